import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_MUTATION, CHAT_STREAM, LLAMA, type Stack, TEST_UPSTREAM_KEY, runStream, startStack, userMessage } from './helpers/stack.ts';

let stack: Stack;
const logLines: string[] = [];
beforeAll(async () => {
  stack = await startStack({ logLines, env: { UPSTREAM_MAX_RETRIES: '1' } });
});
afterAll(() => stack.close());

const metric = (text: string, name: string, labels: Record<string, string> = {}): number => {
  const lines = text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  const match = lines.find((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return match ? Number(match.split(' ').at(-1)) : Number.NaN;
};

describe('metrics and logs', () => {
  it('GET /metrics reports operations, chat calls, tokens, cost, latency, retries, catalog and open streams', async () => {
    await stack.gql('query Catalog { models { id } }', undefined, { authorization: '' });
    const chat = await stack.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage('one two') } });
    const cost = chat.body.data.chatCompletion.costUsd;
    const usage = chat.body.data.chatCompletion.usage;
    stack.sim.addFault({ route: 'chat', status: 503 });
    await stack.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage('retried') } });
    await stack.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage('x'), temperature: 9 } });
    const run = runStream(stack.wsClient(), CHAT_STREAM, { input: { model: LLAMA, messages: userMessage('streamed') } });
    await run.finished;

    const res = await fetch(`${stack.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(metric(text, 'gateway_operations_total', { kind: 'query', operation: 'Catalog', outcome: 'ok' })).toBe(1);
    expect(metric(text, 'gateway_chat_calls_total', { model: LLAMA, stream: 'false', outcome: 'ok' })).toBe(2);
    expect(metric(text, 'gateway_chat_calls_total', { model: LLAMA, stream: 'true', outcome: 'ok' })).toBe(1);
    expect(metric(text, 'gateway_chat_calls_total', { outcome: 'BAD_USER_INPUT' })).toBe(1);
    expect(metric(text, 'gateway_errors_total', { code: 'BAD_USER_INPUT', face: 'graphql' })).toBe(1);
    expect(metric(text, 'gateway_upstream_retries_total', { code: 'UPSTREAM_UNAVAILABLE' })).toBe(1);
    expect(metric(text, 'gateway_tokens_total', { model: LLAMA, kind: 'prompt' })).toBeGreaterThanOrEqual(usage.promptTokens);
    expect(metric(text, 'gateway_cost_usd_total', { model: LLAMA })).toBeGreaterThan(cost);
    expect(metric(text, 'gateway_chat_latency_seconds_count', { stream: 'false' })).toBe(3);
    expect(metric(text, 'gateway_chat_ttft_seconds_count')).toBe(1);
    expect(metric(text, 'gateway_catalog_refreshes', { gateway: 'together' })).toBe(1);
    expect(metric(text, 'gateway_catalog_reads', { gateway: 'together' })).toBeGreaterThanOrEqual(4);
    expect(metric(text, 'gateway_open_streams')).toBe(0);
    expect(text).toContain('gateway_process_resident_memory_bytes');
  });

  it('logs JSON with a request id on each operation line, one summary per chat, and no key anywhere', async () => {
    const res = await stack.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage('log me') } }, { 'x-request-id': 'req-12345' });
    expect(res.headers.get('x-request-id')).toBe('req-12345');
    const parsed = logLines.map((l) => JSON.parse(l));
    const chatLine = parsed.find((l) => l.msg === 'chat' && l.requestId === 'req-12345');
    expect(chatLine).toMatchObject({ model: LLAMA, stream: false, outcome: 'ok', finishReason: 'STOP' });
    expect(chatLine.costUsd).toBe(res.body.data.chatCompletion.costUsd);
    expect(parsed.find((l) => l.msg === 'graphql operation' && l.requestId === 'req-12345')).toMatchObject({ kind: 'mutation', outcome: 'ok' });
    const all = logLines.join('\n');
    expect(all).not.toContain(TEST_UPSTREAM_KEY);
    expect(all).not.toContain(stack.key);
    expect(all).not.toContain(stack.adminKey);
    expect(all).not.toContain('log me'); // prompts are not logged either
  });
});
