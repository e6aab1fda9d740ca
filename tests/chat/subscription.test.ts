import WebSocket from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { synthesizeReply } from '../../src/simulator/index.ts';
import { CHAT_STREAM, LLAMA, type Stack, runStream, startStack, userMessage } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { STREAM_IDLE_TIMEOUT_MS: '400', UPSTREAM_TIMEOUT_MS: '2000', UPSTREAM_MAX_RETRIES: '1' } });
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.clearFaults());

const input = (content: string, extra: Record<string, unknown> = {}) => ({ input: { model: LLAMA, messages: userMessage(content), ...extra } });
const prompt = 'one two three four five six seven eight';

describe('chatStream', () => {
  it('pushes each delta as it arrives and ends with done, usage and cost', async () => {
    stack.sim.addFault({ route: 'chat', chunkDelayMs: 30 });
    const run = runStream(stack.wsClient(), CHAT_STREAM, input(prompt), stack.sim);
    await run.finished;
    expect(run.errors).toBeNull();
    const expected = synthesizeReply({ messages: [{ role: 'user', content: prompt }] });
    const deltas = run.events.filter((e) => !e.done).map((e) => e.delta);
    expect(deltas).toEqual(expected.tokens);
    const last = run.events.at(-1);
    const total = expected.promptTokens + expected.tokens.length;
    expect(last).toEqual({
      delta: '',
      reasoningDelta: '',
      done: true,
      finishReason: 'STOP',
      costUsd: (total * 0.88) / 1e6,
      usage: { promptTokens: expected.promptTokens, completionTokens: expected.tokens.length, totalTokens: total, estimated: false },
    });
    expect(run.events.filter((e) => e.done)).toHaveLength(1);
    // Not buffered: the first deltas reached the client while Together was still streaming.
    expect(run.openStreamsAtEvent[0]).toBe(1);
    // And we always ask Together for usage.
    const sent = stack.sim.stats.requests.filter((r) => r.body?.stream).at(-1)!;
    expect(sent.body.stream_options).toEqual({ include_usage: true });
  });

  it('reads usage from a separate `choices: []` chunk (gpt-oss / DeepSeek style)', async () => {
    stack.sim.addFault({ route: 'chat', usageStyle: 'separate' });
    const run = runStream(stack.wsClient(), CHAT_STREAM, input('alpha beta'), stack.sim);
    await run.finished;
    const expected = synthesizeReply({ messages: [{ role: 'user', content: 'alpha beta' }] });
    expect(run.events.at(-1)).toMatchObject({ done: true, usage: { completionTokens: expected.tokens.length, estimated: false } });
  });

  it('replays a recorded Together stream exactly (Llama 3.2 3B)', async () => {
    stack.sim.addFault({ route: 'chat', scenario: 'stream-llama32-3b-text' });
    const run = runStream(stack.wsClient(), CHAT_STREAM, input('hi'), stack.sim);
    await run.finished;
    expect(run.events.map((e) => e.delta).join('')).toBe('Hello.');
    expect(run.events.at(-1)).toMatchObject({ finishReason: 'STOP', usage: { promptTokens: 43, completionTokens: 3, totalTokens: 46 } });
    expect(run.events.at(-1).costUsd).toBe((43 * 0.88 + 3 * 0.88) / 1e6);
  });

  it('finishes with LENGTH when maxTokens cuts the answer', async () => {
    const run = runStream(stack.wsClient(), CHAT_STREAM, input(prompt, { maxTokens: 3 }), stack.sim);
    await run.finished;
    expect(run.events.filter((e) => !e.done)).toHaveLength(3);
    expect(run.events.at(-1)).toMatchObject({ finishReason: 'LENGTH', usage: { completionTokens: 3 } });
  });

  it('unsubscribing aborts the upstream request', async () => {
    const before = stack.sim.stats.abortedStreams;
    stack.sim.addFault({ route: 'chat', stallAfterChunks: 2 });
    const run = runStream(stack.wsClient(), CHAT_STREAM, input(prompt), stack.sim);
    await stack.sim.waitFor((s) => s.openStreams === 1);
    await new Promise((r) => setTimeout(r, 50));
    run.unsubscribe();
    await stack.sim.waitFor((s) => s.abortedStreams === before + 1, 1000);
    expect(stack.sim.stats.openStreams).toBe(0);
  });

  it('a closed websocket aborts the upstream request', async () => {
    const before = stack.sim.stats.abortedStreams;
    stack.sim.addFault({ route: 'chat', stallAfterChunks: 1 });
    const socket = new WebSocket(stack.wsUrl, 'graphql-transport-ws');
    await new Promise((r) => socket.once('open', r));
    socket.send(JSON.stringify({ type: 'connection_init', payload: stack.auth() }));
    await new Promise((r) => socket.once('message', r));
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: CHAT_STREAM, variables: input(prompt) } }));
    await stack.sim.waitFor((s) => s.openStreams === 1);
    socket.terminate();
    await stack.sim.waitFor((s) => s.abortedStreams === before + 1, 1000);
  });

  describe('a failure after the stream started reaches the client as an error with a code', () => {
    it('stream cut mid-way → UPSTREAM_UNAVAILABLE, never done: true', async () => {
      stack.sim.addFault({ route: 'chat', cutAfterChunks: 3 });
      const run = runStream(stack.wsClient(), CHAT_STREAM, input(prompt), stack.sim);
      await run.finished;
      expect(run.events.length).toBeGreaterThan(0);
      expect(run.events.some((e) => e.done)).toBe(false);
      expect(run.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    });

    it('malformed chunk → UPSTREAM_UNAVAILABLE', async () => {
      stack.sim.addFault({ route: 'chat', malformedAtChunk: 2 });
      const run = runStream(stack.wsClient(), CHAT_STREAM, input(prompt), stack.sim);
      await run.finished;
      expect(run.events.some((e) => e.done)).toBe(false);
      expect(run.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    });

    it('stall longer than STREAM_IDLE_TIMEOUT_MS → UPSTREAM_TIMEOUT, and the upstream socket is closed', async () => {
      const before = stack.sim.stats.abortedStreams;
      stack.sim.addFault({ route: 'chat', stallAfterChunks: 2 });
      const run = runStream(stack.wsClient(), CHAT_STREAM, input(prompt), stack.sim);
      await run.finished;
      expect(run.events.filter((e) => !e.done)).toHaveLength(2);
      expect(run.errors?.[0]?.extensions?.code).toBe('UPSTREAM_TIMEOUT');
      await stack.sim.waitFor((s) => s.abortedStreams === before + 1, 1000);
    });

    it('errors before the first token keep their code (429 → RATE_LIMITED, unknown model → MODEL_NOT_FOUND)', async () => {
      stack.sim.addFault({ route: 'chat', status: 429, times: Infinity, headers: { 'retry-after': '30' } });
      const limited = runStream(stack.wsClient(), CHAT_STREAM, input('hi'), stack.sim);
      await limited.finished;
      expect(limited.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 30 });
      stack.sim.clearFaults();
      const unknown = runStream(stack.wsClient(), CHAT_STREAM, { input: { model: 'no/such', messages: userMessage('hi') } }, stack.sim);
      await unknown.finished;
      expect(unknown.errors?.[0]?.extensions?.code).toBe('MODEL_NOT_FOUND');
      const invalid = runStream(stack.wsClient(), CHAT_STREAM, input('hi', { temperature: 9 }), stack.sim);
      await invalid.finished;
      expect(invalid.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });
  });

  it('20 concurrent streams on one socket each get their own complete answer, and the process warns of no leak', async () => {
    // Each operation listens for the socket's close until its call ends: 20 listeners on one socket is the limit
    // (WS_MAX_SUBSCRIPTIONS_PER_CONNECTION), not a leak, and must not print Node's MaxListenersExceededWarning.
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    const client = stack.wsClient();
    const prompts = Array.from({ length: 20 }, (_, i) => `stream number ${i} says hello`);
    const runs = prompts.map((p) => runStream(client, CHAT_STREAM, input(p), stack.sim));
    await Promise.all(runs.map((r) => r.finished));
    process.off('warning', onWarning);
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    runs.forEach((run, i) => {
      expect(run.errors).toBeNull();
      const expected = synthesizeReply({ messages: [{ role: 'user', content: prompts[i] }] });
      expect(run.events.map((e) => e.delta).join('')).toBe(expected.tokens.join(''));
      expect(run.events.at(-1)).toMatchObject({ done: true, finishReason: 'STOP' });
    });
    expect(stack.sim.stats.openStreams).toBe(0);
  });
});
