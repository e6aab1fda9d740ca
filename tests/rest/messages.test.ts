import Anthropic from '@anthropic-ai/sdk';
import type { MessageParam, Tool } from '@anthropic-ai/sdk/resources/messages';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { synthesizeReply } from '../../src/simulator/index.ts';
import { expectedFromChat, expectedFromStream, fixtureText } from '../helpers/recordings.ts';
import { LLAMA, type Stack, startStack } from '../helpers/stack.ts';
import { jsonOf, newKey, rowsOf } from './helpers.ts';

/** Anthropic's official SDK (`@anthropic-ai/sdk`) against `/v1/messages`, unchanged but for baseURL and key. */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.clearFaults());

/** The SDK appends `/v1/messages` to its baseURL. No SDK retries, so every status is seen as sent. */
const anthropic = (options: { apiKey?: string | null; authToken?: string | null } = {}) =>
  new Anthropic({ baseURL: stack.url, apiKey: stack.key, maxRetries: 0, timeout: 10_000, ...options });

const prompt = 'one two three four five six seven eight';
const sent = () => stack.sim.stats.requests.filter((r) => r.path === '/v1/chat/completions');
const lastSent = () => sent().at(-1)!.body;
const postMessages = (body: unknown, headers: Record<string, string> = { 'x-api-key': stack.key }) =>
  fetch(`${stack.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

const tools: Tool[] = [
  { name: 'square_root', description: 'Square root of a number', input_schema: { type: 'object', properties: { number: { type: 'string' } }, required: ['number'] } },
];
const ask = 'What is the square root of 132413? Use the tool.';

describe('POST /v1/messages with @anthropic-ai/sdk', () => {
  it('answers with a text block, end_turn, Anthropic usage and cost; one row; the key as x-api-key', async () => {
    const { key, id } = await newKey(stack, 'messages-plain');
    const { data: message, response } = await anthropic({ apiKey: key })
      .messages.create({ model: LLAMA, max_tokens: 100, system: 'Be brief.', messages: [{ role: 'user', content: prompt }] })
      .withResponse();
    const reply = synthesizeReply({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: prompt }] });
    expect(lastSent()).toMatchObject({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: prompt }], max_tokens: 100 });
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: LLAMA,
      content: [{ type: 'text', text: reply.tokens.join('') }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: reply.promptTokens, output_tokens: reply.tokens.length, cache_read_input_tokens: 0 },
    });
    expect(message.id).toMatch(/^msg_/);
    expect(response.headers.get('request-id')).toBe(response.headers.get('x-request-id'));
    const total = reply.promptTokens + reply.tokens.length;
    expect((message as unknown as { cost_usd: number }).cost_usd).toBe((total * 0.88) / 1e6);
    expect(await rowsOf(stack, id)).toMatchObject([{ errorCode: null, stream: false, promptTokens: reply.promptTokens, costUsd: (total * 0.88) / 1e6 }]);
  });

  it('the key as a bearer token (the SDK\'s authToken) works too', async () => {
    const message = await anthropic({ apiKey: null, authToken: stack.key }).messages.create({ model: LLAMA, max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.type).toBe('message');
  });

  it('system blocks, stop_sequences, temperature, top_p, metadata.user_id, tool_choice reach Together in its format', async () => {
    await anthropic().messages.create({
      model: LLAMA,
      max_tokens: 30,
      system: [{ type: 'text', text: 'Part one.' }, { type: 'text', text: 'Part two.' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'hello' }] },
        { role: 'assistant', content: 'Hi.' },
        { role: 'user', content: 'again' },
      ],
      stop_sequences: ['END'],
      // Older clients send these (the SDK's newest types dropped them): still honoured.
      ...({ temperature: 0.5, top_p: 0.9 } as object),
      metadata: { user_id: 'end-user-7' },
      tools,
      tool_choice: { type: 'tool', name: 'square_root' },
    });
    expect(lastSent()).toMatchObject({
      messages: [
        { role: 'system', content: 'Part one.\nPart two.' },
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: 'Hi.' },
        { role: 'user', content: 'again' },
      ],
      max_tokens: 30,
      stop: ['END'],
      temperature: 0.5,
      top_p: 0.9,
      user: 'end-user-7',
      tools: [{ type: 'function', function: { name: 'square_root', description: 'Square root of a number', parameters: tools[0]!.input_schema } }],
      tool_choice: { type: 'function', function: { name: 'square_root' } },
    });
  });

  it('a cut-short answer stops with max_tokens', async () => {
    const message = await anthropic().messages.create({ model: LLAMA, max_tokens: 2, messages: [{ role: 'user', content: prompt }] });
    expect(message).toMatchObject({ stop_reason: 'max_tokens', usage: { output_tokens: 2 } });
  });

  it('reasoning is a thinking block before the text (recorded kimi-k2-thinking answer)', async () => {
    const expected = expectedFromChat(fixtureText('chat-kimi-k2-thinking-reasoning.json'));
    stack.sim.addFault({ route: 'chat', scenario: 'chat-kimi-k2-thinking-reasoning' });
    const message = await anthropic().messages.create({ model: 'moonshotai/Kimi-K2-Thinking', max_tokens: 1000, messages: [{ role: 'user', content: 'Think first.' }] });
    expect(message.content).toEqual([
      { type: 'thinking', thinking: expected.reasoning, signature: '' },
      { type: 'text', text: expected.content },
    ]);
  });

  it('stream: Anthropic\'s event sequence; the SDK\'s finalMessage equals the text, usage and stop reason; one streamed row', async () => {
    const { key, id } = await newKey(stack, 'messages-stream');
    const stream = anthropic({ apiKey: key }).messages.stream({ model: LLAMA, max_tokens: 100, messages: [{ role: 'user', content: prompt }] });
    const types: string[] = [];
    stream.on('streamEvent', (e) => types.push(e.type));
    let text = '';
    stream.on('text', (delta) => (text += delta));
    const final = await stream.finalMessage();
    const reply = synthesizeReply({ messages: [{ role: 'user', content: prompt }] });
    expect(types[0]).toBe('message_start');
    expect(types[1]).toBe('content_block_start');
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(text).toBe(reply.tokens.join(''));
    expect(final).toMatchObject({ content: [{ type: 'text', text: reply.tokens.join('') }], stop_reason: 'end_turn', usage: { input_tokens: reply.promptTokens, output_tokens: reply.tokens.length } });
    expect(await rowsOf(stack, id)).toMatchObject([{ errorCode: null, stream: true, completionTokens: reply.tokens.length }]);
  });

  it('stream: thinking deltas, then text (recorded gpt-oss reasoning stream)', async () => {
    const expected = expectedFromStream(fixtureText('stream-gpt-oss-120b-reasoning.sse'));
    stack.sim.addFault({ route: 'chat', scenario: 'stream-gpt-oss-120b-reasoning' });
    const stream = anthropic().messages.stream({ model: 'openai/gpt-oss-120b', max_tokens: 1000, messages: [{ role: 'user', content: 'Think first.' }] });
    let thinking = '';
    stream.on('thinking', (delta) => (thinking += delta));
    const final = await stream.finalMessage();
    expect(thinking).toBe(expected.reasoning);
    expect(final.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect(final.content[1]).toMatchObject({ type: 'text', text: expected.content });
    expect(final.usage.output_tokens).toBe(expected.usage.completionTokens);
  });
});

describe('a whole tool loop through /v1/messages with @anthropic-ai/sdk (recorded Together turns)', () => {
  it('non-stream: tool_use → tool_result → answer', async () => {
    stack.sim.addFault({ route: 'chat', scenario: 'chat-llama33-70b-tool-loop-1' });
    const messages: MessageParam[] = [{ role: 'user', content: ask }];
    const first = await anthropic().messages.create({ model: LLAMA, max_tokens: 200, tools, messages });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content).toEqual([{ type: 'tool_use', id: 'call_004cu1ffdm0khbduglfzqs3n', name: 'square_root', input: { number: '132413' } }]);

    stack.sim.addFault({ route: 'chat', scenario: 'chat-llama33-70b-tool-loop-2' });
    const second = await anthropic().messages.create({
      model: LLAMA,
      max_tokens: 200,
      tools,
      messages: [...messages, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_004cu1ffdm0khbduglfzqs3n', content: '363.88' }] }],
    });
    expect(lastSent().messages.slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_004cu1ffdm0khbduglfzqs3n', type: 'function', function: { name: 'square_root', arguments: '{"number":"132413"}' } }] },
      { role: 'tool', content: '363.88', tool_call_id: 'call_004cu1ffdm0khbduglfzqs3n' },
    ]);
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content[0]).toMatchObject({ type: 'text' });
    expect((second.content[0] as { text: string }).text).toContain('363');
  });

  it('stream: thinking, then the tool_use input assembled from input_json_delta (recorded gpt-oss tool-call stream)', async () => {
    const expected = expectedFromStream(fixtureText('stream-gpt-oss-120b-tool-call.sse'));
    stack.sim.addFault({ route: 'chat', scenario: 'stream-gpt-oss-120b-tool-call' });
    const final = await anthropic().messages.stream({ model: 'openai/gpt-oss-120b', max_tokens: 200, tools, messages: [{ role: 'user', content: ask }] }).finalMessage();
    const call = expected.toolCalls[0]!;
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toEqual([
      { type: 'thinking', thinking: expected.reasoning, signature: '' },
      { type: 'tool_use', id: call.id, name: call.function.name, input: JSON.parse(call.function.arguments) },
    ]);
  });
});

describe('POST /v1/messages errors, in Anthropic\'s shape', () => {
  it('the SDK raises its own error classes with the status; the body is {type: "error", error: {type, message}}', async () => {
    const unknown = await anthropic().messages.create({ model: 'nope/nope', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
    expect((unknown as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'not_found_error', code: 'MODEL_NOT_FOUND' } });
    const badKey = await anthropic({ apiKey: 'gw_not_a_key' }).messages.create({ model: LLAMA, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(badKey).toBeInstanceOf(Anthropic.AuthenticationError);
    const { key } = await newKey(stack, 'messages-rpm', { rpm: 1 });
    await anthropic({ apiKey: key }).messages.create({ model: LLAMA, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    const limited = await anthropic({ apiKey: key }).messages.create({ model: LLAMA, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect((limited as InstanceType<typeof Anthropic.APIError>).headers?.get('retry-after')).toMatch(/^\d+$/);
  });

  it('bad input names the Anthropic field; malformed JSON and a missing key are Anthropic-shaped too', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ model: LLAMA, messages: [{ role: 'user', content: 'hi' }] }, /max_tokens is required/],
      [{ model: LLAMA, max_tokens: 0, messages: [{ role: 'user', content: 'hi' }] }, /max_tokens must be between/],
      [{ model: LLAMA, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], stop_sequences: ['a', 'b', 'c', 'd', 'e'] }, /stop_sequences may hold/],
      [{ model: LLAMA, max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'image', source: {} }] }] }, /only text and tool_result/],
      [{ model: LLAMA, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, /only client tools/],
      ['{"model":', /not valid JSON/],
    ];
    for (const [body, message] of cases) {
      const res = await postMessages(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const json = await jsonOf(res);
      expect(json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(message) } });
      expect(json.request_id).toBe(res.headers.get('request-id'));
    }
    const noKey = await postMessages({ model: LLAMA, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, {});
    expect(noKey.status).toBe(401);
    expect(await jsonOf(noKey)).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect(sent().every((r) => r.body.max_tokens !== 0)).toBe(true);
  });

  it('a stream that fails after it started ends with an error event the SDK raises', async () => {
    stack.sim.addFault({ route: 'chat', cutAfterChunks: 3 });
    const err = await anthropic()
      .messages.stream({ model: LLAMA, max_tokens: 100, messages: [{ role: 'user', content: prompt }] })
      .finalMessage()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(String((err as Error).message)).toMatch(/Together/);
  });
});
