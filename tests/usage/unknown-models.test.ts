import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNKNOWN_MODEL } from '../../src/usage/activity.ts';
import { CHAT_MUTATION, LLAMA, type Stack, startStack, userMessage } from '../helpers/stack.ts';
import { rowsOf } from '../faults/helpers.ts';

/**
 * Issue 25 item 3: a call to a model no catalog lists still counts toward the key's rpm, and every such id is
 * recorded under one bounded value (UNKNOWN_MODEL) in rows, rollups (byModel) and metrics.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

const STATS = `{ gatewayStats(timeRange: LAST_1H) { totalRequests uniqueModels byModel { model requests } } }`;
const code = (res: { body: { errors?: Array<{ extensions?: Record<string, any> }> } }) => res.body.errors?.[0]?.extensions?.code ?? null;

async function keyWith(name: string, rpm: number | null) {
  const { key, record } = await stack.gateway.services.keys.create({ name: `${name}-${Date.now()}`, rpm });
  return { id: record.id, headers: stack.auth(key) };
}

describe('unknown models', () => {
  it('30 calls to distinct unknown models on an rpm-10 key: the 11th on is RATE_LIMITED; rows and byModel stay one entry', async () => {
    const k = await keyWith('unknown-rpm', 10);
    const codes: Array<string | null> = [];
    for (let i = 0; i < 30; i++) {
      codes.push(code(await stack.gql(CHAT_MUTATION, { input: { model: `nobody/unknown-${i}`, messages: userMessage('x') } }, k.headers)));
    }
    expect(codes.slice(0, 10)).toEqual(Array(10).fill('MODEL_NOT_FOUND'));
    expect(codes.slice(10)).toEqual(Array(20).fill('RATE_LIMITED'));
    // A known model is limited too now: the key's minute is spent.
    expect(code(await stack.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage('x') } }, k.headers))).toBe('RATE_LIMITED');

    const rows = await rowsOf(stack, k.id);
    expect(rows).toHaveLength(31);
    expect(new Set(rows.map((r) => r.model))).toEqual(new Set([UNKNOWN_MODEL, LLAMA]));
    const stats = (await stack.gql(STATS, undefined, k.headers)).body.data.gatewayStats;
    expect(stats.totalRequests).toBe(31);
    expect(stats.uniqueModels).toBe(2);
    expect(stats.byModel.find((m: { model: string }) => m.model === UNKNOWN_MODEL)).toMatchObject({ requests: 30 });
  });

  it('ids passed through a named provider that Together does not know, or refused before trying, are (unknown) too; the answer keeps the id', async () => {
    const k = await keyWith('unknown-passthrough', null);
    const CHAT = `mutation Chat($input: ChatCompletionInput!) { chatCompletion(input: $input) { model attempts { model code } } }`;
    for (let i = 0; i < 5; i++) {
      const res = await stack.gql(CHAT, { input: { model: `nobody/passed-${i}`, provider: 'together', messages: userMessage('x') } }, k.headers);
      expect(code(res)).toBe('MODEL_NOT_FOUND');
    }
    // Fallbacks: the answer names each tried model as the caller wrote it; the rows do not.
    const res = await stack.gql(CHAT, { input: { model: 'nobody/first', fallbackModels: [LLAMA], messages: userMessage('x') } }, k.headers);
    expect(res.body.data.chatCompletion.attempts).toEqual([
      { model: 'nobody/first', code: 'MODEL_NOT_FOUND' },
      { model: LLAMA, code: null },
    ]);
    const rows = await rowsOf(stack, k.id);
    expect(rows.map((r) => r.model).sort()).toEqual([...Array(6).fill(UNKNOWN_MODEL), LLAMA].sort());

    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).not.toContain('nobody/');
    expect(metrics).toContain(`model="${UNKNOWN_MODEL}"`);
  });

  it('requests refused before admission (bad input) count toward rpm as well', async () => {
    const k = await keyWith('bad-input-rpm', 3);
    for (let i = 0; i < 3; i++) {
      expect(code(await stack.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage('x'), temperature: 9 } }, k.headers))).toBe('BAD_USER_INPUT');
    }
    // The refusal's count is taken as the refusal is written, before its answer leaves (the in-process limiter
    // settles within the same tick): the next request finds the minute spent.
    expect(code(await stack.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage('x') } }, k.headers))).toBe('RATE_LIMITED');
  });
});
