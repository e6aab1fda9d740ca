import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActivityEntry } from '../../src/usage/activity.ts';
import { CHAT_MUTATION, CHAT_STREAM, LLAMA, type Stack, runStream, startStack } from '../helpers/stack.ts';
import { jsonOf, newKey, openai, postChat, rowsOf } from './helpers.ts';

/**
 * REST is a face, not a second implementation: the same input through REST and through GraphQL, with the
 * same key, reaches Together as the same request and leaves the same activity row and cost.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { UPSTREAM_MAX_RETRIES: '0' } });
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.clearFaults());

/** Fields that differ between any two calls: identity, clock and speed. */
const comparable = ({ id: _id, requestId: _r, at: _at, latencyMs: _l, ttftMs: _t, tokensPerSecond: _tps, ...rest }: ActivityEntry) => rest;
const sentToTogether = () => stack.sim.stats.requests.filter((r) => r.path === '/v1/chat/completions').slice(-2).map((r) => r.body);

const graphqlInput = {
  model: LLAMA,
  messages: [{ role: 'SYSTEM', content: 'Be brief.' }, { role: 'USER', content: 'one two three four' }],
  maxTokens: 50,
  temperature: 0.5,
  topP: 0.9,
  stop: ['\n\n'],
  seed: 42,
};
const restBody = {
  model: LLAMA,
  messages: [{ role: 'system' as const, content: 'Be brief.' }, { role: 'user' as const, content: 'one two three four' }],
  max_tokens: 50,
  temperature: 0.5,
  top_p: 0.9,
  stop: ['\n\n'],
  seed: 42,
};

async function twoRows(keyId: string): Promise<[ActivityEntry, ActivityEntry]> {
  const rows = await rowsOf(stack, keyId);
  expect(rows).toHaveLength(2);
  return [rows[0]!, rows[1]!];
}

describe('one core behind both faces', () => {
  it('a completion: the same upstream request, activity row and cost', async () => {
    const k = await newKey(stack, 'parity-complete');
    const gql = await stack.gql(CHAT_MUTATION, { input: graphqlInput }, k.headers);
    const rest = await openai(stack, k.key).chat.completions.create(restBody);
    const [a, b] = sentToTogether();
    expect(b).toEqual(a);
    const [viaGraphQL, viaRest] = await twoRows(k.id);
    expect(comparable(viaRest)).toEqual(comparable(viaGraphQL));
    expect(viaRest.requestId).not.toBe(viaGraphQL.requestId);
    expect((rest as unknown as { cost_usd: number }).cost_usd).toBe(gql.body.data.chatCompletion.costUsd);
    expect(viaRest.costUsd).toBe(viaGraphQL.costUsd);
    expect(rest.choices[0]!.message.content).toBe(gql.body.data.chatCompletion.content);
  });

  it('a stream: the same upstream request, activity row and cost', async () => {
    const k = await newKey(stack, 'parity-stream');
    const run = runStream(stack.wsClient(stack.auth(k.key)), CHAT_STREAM, { input: graphqlInput });
    await run.finished;
    const stream = await openai(stack, k.key).chat.completions.create({ ...restBody, stream: true, stream_options: { include_usage: true } });
    let last: unknown;
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      last = chunk;
    }
    const [a, b] = sentToTogether();
    expect(b).toEqual(a);
    const [viaGraphQL, viaRest] = await twoRows(k.id);
    expect(comparable(viaRest)).toEqual(comparable(viaGraphQL));
    expect(viaRest.stream).toBe(true);
    expect((last as { cost_usd: number }).cost_usd).toBe(run.events.at(-1).costUsd);
    expect(text).toBe(run.events.map((e) => e.delta).join(''));
  });

  it('a refusal: the same code and the same row', async () => {
    const k = await newKey(stack, 'parity-refusal');
    const gql = await stack.gql(CHAT_MUTATION, { input: { ...graphqlInput, temperature: 3 } }, k.headers);
    const rest = await postChat(stack, { ...restBody, temperature: 3 }, k.headers);
    expect(rest.status).toBe(400);
    const error = (await jsonOf(rest)).error;
    expect(error.code).toBe(gql.body.errors?.[0]?.extensions?.code);
    expect(error.message).toBe(gql.body.errors?.[0]?.message);
    const [viaGraphQL, viaRest] = await twoRows(k.id);
    expect(comparable(viaRest)).toEqual(comparable(viaGraphQL));
    expect(viaRest).toMatchObject({ errorCode: 'BAD_USER_INPUT', finishReason: 'ERROR' });
  });
});
