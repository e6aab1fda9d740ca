import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActivityEntry } from '../../src/usage/activity.ts';
import { LLAMA, type Stack, TEST_UPSTREAM_KEY, startStack } from '../helpers/stack.ts';
import { jsonOf, newKey, rowsOf } from './helpers.ts';

/**
 * Three wire formats, one core: the same conversation sent as an OpenAI chat completion, an OpenAI Responses
 * request and an Anthropic Messages request reaches Together as the same request and leaves the same activity
 * row and cost; a request the core refuses is refused by all three with the same code and the same row.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { UPSTREAM_MAX_RETRIES: '0' } });
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.clearFaults());

/** Fields that differ between any two calls: identity, clock and speed. */
const comparable = ({ id: _id, requestId: _r, at: _at, latencyMs: _l, ttftMs: _t, tokensPerSecond: _tps, ...rest }: ActivityEntry) => rest;
const sentToTogether = (n: number) => stack.sim.stats.requests.filter((r) => r.path === '/v1/chat/completions').slice(-n).map((r) => r.body);

const bodies = (extra: { stream?: boolean; temperature?: number } = {}) => {
  const temperature = extra.temperature ?? 0.5;
  const stream = extra.stream ?? false;
  return {
    '/v1/chat/completions': {
      model: LLAMA,
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'one two three four' }],
      max_tokens: 50,
      temperature,
      top_p: 0.9,
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
    },
    '/v1/responses': { model: LLAMA, instructions: 'Be brief.', input: 'one two three four', max_output_tokens: 50, temperature, top_p: 0.9, stream },
    '/v1/messages': { model: LLAMA, system: 'Be brief.', messages: [{ role: 'user', content: 'one two three four' }], max_tokens: 50, temperature, top_p: 0.9, stream },
  };
};

async function callAll(key: string, extra: { stream?: boolean; temperature?: number } = {}): Promise<Array<{ status: number; text: string }>> {
  const out: Array<{ status: number; text: string }> = [];
  for (const [path, body] of Object.entries(bodies(extra))) {
    const res = await fetch(`${stack.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
    out.push({ status: res.status, text: await res.text() });
  }
  return out;
}

/** The cost each format reports: `cost_usd` on the body, or on the stream's last chunk / completed event / message_delta. */
function reportedCost(text: string): unknown {
  if (text.startsWith('{')) return JSON.parse(text).cost_usd;
  const datas = text.split('\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)));
  return datas.map((d) => d.cost_usd ?? d.response?.cost_usd).filter((c) => c !== undefined).at(-1);
}

async function threeRows(keyId: string): Promise<ActivityEntry[]> {
  const rows = await rowsOf(stack, keyId);
  expect(rows).toHaveLength(3);
  return rows;
}

describe('one core behind chat completions, Responses and Messages', () => {
  for (const stream of [false, true]) {
    it(`${stream ? 'a stream' : 'a completion'}: the same upstream request, activity row and reported cost`, async () => {
      const k = await newKey(stack, `wire-parity-${stream}`);
      const answers = await callAll(k.key, { stream });
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      const [chat, responses, messages] = sentToTogether(3);
      expect(responses).toEqual(chat);
      expect(messages).toEqual(chat);
      const rows = (await threeRows(k.id)).map(comparable);
      expect(rows[1]).toEqual(rows[0]);
      expect(rows[2]).toEqual(rows[0]);
      expect(rows[0]).toMatchObject({ stream, errorCode: null });
      const costs = answers.map((a) => reportedCost(a.text));
      expect(costs[0]).toBeGreaterThan(0);
      expect(costs).toEqual([costs[0], costs[0], costs[0]]);
    });
  }

  it('a refusal: the same status, code, message and row from all three', async () => {
    const k = await newKey(stack, 'wire-parity-refusal');
    const answers = await callAll(k.key, { temperature: 3 });
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400]);
    const [chat, responses, messages] = answers.map((a) => JSON.parse(a.text).error);
    expect(responses).toMatchObject({ code: chat.code, message: chat.message });
    expect(messages).toMatchObject({ type: 'invalid_request_error', code: chat.code, message: chat.message });
    const rows = (await threeRows(k.id)).map(comparable);
    expect(rows[1]).toEqual(rows[0]);
    expect(rows[2]).toEqual(rows[0]);
    expect(rows[0]).toMatchObject({ errorCode: 'BAD_USER_INPUT', finishReason: 'ERROR' });
  });

  it('the one scrubber covers the new formats: a key Together quotes is masked in JSON errors and stream error events', async () => {
    const leaky = `Incorrect API key provided: ${TEST_UPSTREAM_KEY}`;
    const chunk = { id: 'c1', object: 'chat.completion.chunk', created: 1, model: LLAMA, choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }] };
    for (const stream of [false, true]) {
      for (let i = 0; i < 3; i++) {
        stack.sim.addFault(
          stream
            ? { route: 'chat', status: 200, headers: { 'content-type': 'text/event-stream' }, body: `data: ${JSON.stringify(chunk)}\n\ndata: ${JSON.stringify({ error: { message: leaky, type: 'server_error' } })}\n\n` }
            : { route: 'chat', status: 400, body: { error: { message: leaky, type: 'invalid_request_error' } } },
        );
      }
      const answers = await callAll(stack.key, { stream });
      for (const { text } of answers.slice(1)) {
        expect(text).not.toContain(TEST_UPSTREAM_KEY);
        expect(text).toContain('[redacted]');
      }
    }
  });

  it('the key\'s limits hold across the three formats: an rpm of 2 refuses the third call, whatever its format', async () => {
    const k = await newKey(stack, 'wire-parity-rpm', { rpm: 2 });
    const answers = await callAll(k.key);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(await jsonOf(new Response(answers[2]!.text))).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', code: 'RATE_LIMITED' } });
  });
});
