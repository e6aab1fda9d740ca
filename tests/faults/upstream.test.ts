import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTogetherSimulator } from '../../src/simulator/index.ts';
import { CHAT_MUTATION, CHAT_STREAM, type Stack, runStream, startStack } from '../helpers/stack.ts';
import { FAULT_ENV, chatInput, codeOf, expectHealthy, newKey, rowsOf } from './helpers.ts';

/**
 * Together misbehaving, one fault at a time. Each scenario checks three things: the client gets the right code,
 * the gateway still serves afterwards, and the activity log holds exactly one row saying what happened.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: FAULT_ENV });
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.clearFaults());

const mutate = (headers: Record<string, string>, content?: string) => stack.gql(CHAT_MUTATION, chatInput(content), headers);

describe('faults before the first byte (chatCompletion)', () => {
  it('429 then success: retried after retry-after, the client sees only the answer', async () => {
    const k = await newKey(stack);
    const calls = stack.sim.stats.chatCalls;
    stack.sim.addFault({ route: 'chat', status: 429, headers: { 'retry-after': '0.3' } });
    const t0 = Date.now();
    const res = await mutate(k.headers);
    expect(res.body.errors).toBeUndefined();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(stack.sim.stats.chatCalls - calls).toBe(2);
    const rows = await rowsOf(stack, k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ stream: false, finishReason: 'STOP', errorCode: null, cancelled: false });
    expect(rows[0]!.costUsd).toBe(res.body.data.chatCompletion.costUsd);
    await expectHealthy(stack);
  });

  it('503 twice then success: two retries, one row for the one answer', async () => {
    const k = await newKey(stack);
    const calls = stack.sim.stats.chatCalls;
    stack.sim.addFault({ route: 'chat', status: 503, times: 2 });
    const res = await mutate(k.headers);
    expect(res.body.errors).toBeUndefined();
    expect(stack.sim.stats.chatCalls - calls).toBe(3);
    const rows = await rowsOf(stack, k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ finishReason: 'STOP', errorCode: null });
    await expectHealthy(stack);
  });

  it('persistent 500: UPSTREAM_UNAVAILABLE after 1 + 2 attempts, one ERROR row', async () => {
    const k = await newKey(stack);
    const calls = stack.sim.stats.chatCalls;
    stack.sim.addFault({ route: 'chat', status: 500, times: Infinity });
    const res = await mutate(k.headers);
    expect(codeOf(res.body)).toBe('UPSTREAM_UNAVAILABLE');
    expect(res.status).toBe(200);
    expect(stack.sim.stats.chatCalls - calls).toBe(3);
    const rows = await rowsOf(stack, k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ finishReason: 'ERROR', errorCode: 'UPSTREAM_UNAVAILABLE', cancelled: false, totalTokens: 0, costUsd: 0 });
    stack.sim.clearFaults();
    await expectHealthy(stack);
  });

  it('slow first byte past UPSTREAM_TIMEOUT_MS: UPSTREAM_TIMEOUT at the deadline, and the upstream request is abandoned', async () => {
    const k = await newKey(stack);
    const aborted = stack.sim.stats.abortedRequests;
    stack.sim.addFault({ route: 'chat', firstByteDelayMs: 30_000 });
    const t0 = Date.now();
    const res = await mutate(k.headers);
    const elapsed = Date.now() - t0;
    expect(codeOf(res.body)).toBe('UPSTREAM_TIMEOUT');
    expect(elapsed).toBeGreaterThanOrEqual(1_400);
    expect(elapsed).toBeLessThan(4_000);
    await stack.sim.waitFor((s) => s.abortedRequests === aborted + 1, 2_000);
    const rows = await rowsOf(stack, k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ finishReason: 'ERROR', errorCode: 'UPSTREAM_TIMEOUT' });
    await expectHealthy(stack);
  });
});

describe('faults after the first byte (chatStream)', () => {
  const stream = (key: string) => runStream(stack.wsClient(stack.auth(key)), CHAT_STREAM, chatInput('one two three four five six seven eight'), stack.sim);

  it('stall mid-stream: UPSTREAM_TIMEOUT after STREAM_IDLE_TIMEOUT_MS, upstream socket closed, row keeps the tokens so far', async () => {
    const k = await newKey(stack);
    const aborted = stack.sim.stats.abortedStreams;
    stack.sim.addFault({ route: 'chat', stallAfterChunks: 2 });
    const run = stream(k.key);
    await run.finished;
    expect(run.errors?.[0]?.extensions?.code).toBe('UPSTREAM_TIMEOUT');
    expect(run.events.filter((e) => !e.done)).toHaveLength(2);
    expect(run.events.some((e) => e.done)).toBe(false);
    await stack.sim.waitFor((s) => s.abortedStreams === aborted + 1 && s.openStreams === 0, 2_000);
    const rows = await rowsOf(stack, k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ stream: true, finishReason: 'ERROR', errorCode: 'UPSTREAM_TIMEOUT', completionTokens: 2, cancelled: false });
    await expectHealthy(stack);
  });

  it('stream cut after 3 chunks: UPSTREAM_UNAVAILABLE, never retried after the first byte, never done: true', async () => {
    const k = await newKey(stack);
    const calls = stack.sim.stats.chatCalls;
    stack.sim.addFault({ route: 'chat', cutAfterChunks: 3 });
    const run = stream(k.key);
    await run.finished;
    expect(run.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(run.events.some((e) => e.done)).toBe(false);
    expect(stack.sim.stats.chatCalls - calls).toBe(1);
    const rows = await rowsOf(stack, k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ stream: true, finishReason: 'ERROR', errorCode: 'UPSTREAM_UNAVAILABLE', completionTokens: 3 });
    await expectHealthy(stack);
  });

  it('stream cut right after the headers: still not retried (Together may already be generating, and billing)', async () => {
    const k = await newKey(stack);
    const calls = stack.sim.stats.chatCalls;
    stack.sim.addFault({ route: 'chat', cutAfterChunks: 0 });
    const run = stream(k.key);
    await run.finished;
    expect(run.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(stack.sim.stats.chatCalls - calls).toBe(1);
    expect(await rowsOf(stack, k.id)).toHaveLength(1);
  });

  it('malformed SSE chunk: UPSTREAM_UNAVAILABLE, the upstream stream closed, one ERROR row', async () => {
    const k = await newKey(stack);
    stack.sim.addFault({ route: 'chat', malformedAtChunk: 2 });
    const run = stream(k.key);
    await run.finished;
    expect(run.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(run.events.some((e) => e.done)).toBe(false);
    await stack.sim.waitFor((s) => s.openStreams === 0, 2_000);
    const rows = await rowsOf(stack, k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ stream: true, finishReason: 'ERROR', errorCode: 'UPSTREAM_UNAVAILABLE', completionTokens: 2 });
    await expectHealthy(stack);
  });
});

describe('Together unreachable', () => {
  it('a closed port: UPSTREAM_UNAVAILABLE after the retries; service resumes when Together is back on the same address', async () => {
    const together = createTogetherSimulator();
    const url = await together.start(0);
    const port = together.port;
    const down = await startStack({ env: { ...FAULT_ENV, TOGETHER_BASE_URL: url } });
    try {
      // The catalog is loaded while Together is up, so the chat call gets as far as Together itself.
      expect((await down.gql('{ models { id } }')).body.data.models.length).toBeGreaterThan(0);
      await together.close();
      const k = await newKey(down);
      const res = await down.gql(CHAT_MUTATION, chatInput(), k.headers);
      expect(codeOf(res.body)).toBe('UPSTREAM_UNAVAILABLE');
      expect(res.body.errors?.[0]?.message).toBe('Together is unreachable');
      const rows = await rowsOf(down, k.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ finishReason: 'ERROR', errorCode: 'UPSTREAM_UNAVAILABLE' });
      expect((await fetch(`${down.url}/healthz`)).status).toBe(200);

      const back = createTogetherSimulator();
      await back.start(port);
      try {
        await expectHealthy(down);
      } finally {
        await back.close();
      }
    } finally {
      await down.close();
    }
  });
});
