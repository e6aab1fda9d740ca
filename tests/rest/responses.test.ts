import OpenAI, { type APIError } from 'openai';
import type { ResponseInputItem, ResponseStreamEvent, Tool } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { synthesizeReply } from '../../src/simulator/index.ts';
import { expectedFromChat, expectedFromStream, fixtureText } from '../helpers/recordings.ts';
import { LLAMA, type Stack, startStack } from '../helpers/stack.ts';
import { jsonOf, newKey, openai, rowsOf } from './helpers.ts';

/** The official openai client's Responses API (`responses.create`, plain and streaming) against the simulator. */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.clearFaults());

const prompt = 'one two three four five six seven eight';
const lastSent = () => stack.sim.stats.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!.body;
const chatCalls = () => stack.sim.stats.requests.filter((r) => r.path === '/v1/chat/completions').length;
const postResponses = (body: unknown, headers: Record<string, string> = stack.auth()) =>
  fetch(`${stack.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

const tools: Tool[] = [
  {
    type: 'function',
    name: 'square_root',
    description: 'Square root of a number',
    parameters: { type: 'object', properties: { number: { type: 'string' } }, required: ['number'] },
    strict: false,
  },
];
const ask = 'What is the square root of 132413? Use the tool.';

async function collect(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('POST /v1/responses with the openai client', () => {
  it('answers a string input with instructions: one message item, usage, cost, one activity row', async () => {
    const { key, id } = await newKey(stack, 'responses-plain');
    const response = await openai(stack, key).responses.create({ model: LLAMA, instructions: 'Be brief.', input: prompt });
    const reply = synthesizeReply({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: prompt }] });
    expect(lastSent().messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: prompt },
    ]);
    expect(response).toMatchObject({ object: 'response', status: 'completed', model: LLAMA, instructions: 'Be brief.', store: false, error: null });
    expect(response.id).toMatch(/^resp_/);
    expect(response.output).toEqual([
      { type: 'message', id: expect.stringMatching(/^msg_/), status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: reply.tokens.join(''), annotations: [], logprobs: [] }] },
    ]);
    expect(response.output_text).toBe(reply.tokens.join(''));
    const total = reply.promptTokens + reply.tokens.length;
    expect(response.usage).toMatchObject({ input_tokens: reply.promptTokens, output_tokens: reply.tokens.length, total_tokens: total });
    expect((response as unknown as { cost_usd: number }).cost_usd).toBe((total * 0.88) / 1e6);
    const rows = await rowsOf(stack, id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ model: LLAMA, errorCode: null, finishReason: 'STOP', stream: false, promptTokens: reply.promptTokens, completionTokens: reply.tokens.length, costUsd: (total * 0.88) / 1e6 });
  });

  it('maps message items, max_output_tokens, temperature, top_p and text.format json_schema onto the one request Together receives', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const response = await openai(stack).responses.create({
      model: LLAMA,
      input: [
        { role: 'developer', content: 'Answer in JSON.' },
        { role: 'user', content: [{ type: 'input_text', text: 'Part one.' }, { type: 'input_text', text: 'Part two.' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Earlier answer.', annotations: [] }], id: 'msg_1', status: 'completed' },
        { role: 'user', content: 'again' },
      ],
      max_output_tokens: 40,
      temperature: 0.5,
      top_p: 0.9,
      user: 'end-user-7',
      text: { format: { type: 'json_schema', name: 'reply', schema, strict: true } },
    });
    expect(lastSent()).toMatchObject({
      model: LLAMA,
      messages: [
        { role: 'system', content: 'Answer in JSON.' },
        { role: 'user', content: 'Part one.\nPart two.' },
        { role: 'assistant', content: 'Earlier answer.' },
        { role: 'user', content: 'again' },
      ],
      max_tokens: 40,
      temperature: 0.5,
      top_p: 0.9,
      user: 'end-user-7',
      response_format: { type: 'json_schema', json_schema: { name: 'reply', schema, strict: true } },
    });
    expect(response).toMatchObject({ max_output_tokens: 40, temperature: 0.5, top_p: 0.9, text: { format: { type: 'json_schema', name: 'reply' } } });
  });

  it('text.format json_object is JSON mode upstream', async () => {
    await openai(stack).responses.create({ model: LLAMA, input: 'Reply in JSON', text: { format: { type: 'json_object' } } });
    expect(lastSent().response_format).toEqual({ type: 'json_object' });
  });

  it('a cut-short answer is status incomplete with reason max_output_tokens', async () => {
    const response = await openai(stack).responses.create({ model: LLAMA, input: prompt, max_output_tokens: 2 });
    expect(response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, usage: { output_tokens: 2 } });
    expect(response.output[0]).toMatchObject({ type: 'message', status: 'incomplete' });
  });

  it('reasoning text is a reasoning item before the message (recorded gpt-oss answer)', async () => {
    const expected = expectedFromChat(fixtureText('chat-gpt-oss-120b-reasoning.json'));
    stack.sim.addFault({ route: 'chat', scenario: 'chat-gpt-oss-120b-reasoning' });
    const response = await openai(stack).responses.create({ model: 'openai/gpt-oss-120b', input: 'Think, then answer.' });
    expect(response.output.map((i) => i.type)).toEqual(['reasoning', 'message']);
    expect(response.output[0]).toMatchObject({ type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text: expected.reasoning }] });
    expect(response.output_text).toBe(expected.content);
    expect(response.usage).toMatchObject({ input_tokens: expected.usage.promptTokens, output_tokens: expected.usage.completionTokens });
  });

  it('stream: the typed event sequence, text deltas that add up, usage on response.completed, one streamed row', async () => {
    const { key, id } = await newKey(stack, 'responses-stream');
    const events = await collect(await openai(stack, key).responses.create({ model: LLAMA, input: prompt, stream: true }));
    const reply = synthesizeReply({ messages: [{ role: 'user', content: prompt }] });
    const types = events.map((e) => e.type);
    expect(types.slice(0, 5)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added', 'response.output_text.delta']);
    expect(types.slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const deltas = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : []));
    expect(deltas.join('')).toBe(reply.tokens.join(''));
    const completed = events.at(-1) as Extract<ResponseStreamEvent, { type: 'response.completed' }>;
    expect(completed.response.output).toEqual([
      { type: 'message', id: expect.stringMatching(/^msg_/), status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: reply.tokens.join(''), annotations: [], logprobs: [] }] },
    ]);
    expect(completed.response.usage).toMatchObject({ input_tokens: reply.promptTokens, output_tokens: reply.tokens.length });
    const rows = await rowsOf(stack, id);
    expect(rows).toMatchObject([{ errorCode: null, finishReason: 'STOP', stream: true, completionTokens: reply.tokens.length }]);
  });

  it('stream: reasoning deltas in a reasoning item, then the answer (recorded kimi-k2-thinking stream)', async () => {
    const expected = expectedFromStream(fixtureText('stream-kimi-k2-thinking-reasoning.sse'));
    stack.sim.addFault({ route: 'chat', scenario: 'stream-kimi-k2-thinking-reasoning' });
    const events = await collect(await openai(stack).responses.create({ model: 'moonshotai/Kimi-K2-Thinking', input: 'Think first.', stream: true }));
    const reasoning = events.flatMap((e) => (e.type === 'response.reasoning_text.delta' ? [e.delta] : [])).join('');
    const text = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
    expect(reasoning).toBe(expected.reasoning);
    expect(text).toBe(expected.content);
    const added = events.filter((e) => e.type === 'response.output_item.added').map((e) => (e as { item: { type: string } }).item.type);
    expect(added).toEqual(['reasoning', 'message']);
    const completed = events.at(-1) as Extract<ResponseStreamEvent, { type: 'response.completed' }>;
    expect(completed.response.output[0]).toMatchObject({ type: 'reasoning', content: [{ type: 'reasoning_text', text: expected.reasoning }] });
    expect(completed.response.usage?.output_tokens).toBe(expected.usage.completionTokens);
  });
});

describe('a whole tool loop through /v1/responses with the openai client (recorded Together turns)', () => {
  it('non-stream: function_call item → function_call_output → answer', async () => {
    stack.sim.addFault({ route: 'chat', scenario: 'chat-llama33-70b-tool-loop-1' });
    const first = await openai(stack).responses.create({ model: LLAMA, input: ask, tools });
    expect(first.output).toEqual([
      { type: 'function_call', id: expect.stringMatching(/^fc_/), call_id: 'call_004cu1ffdm0khbduglfzqs3n', name: 'square_root', arguments: '{"number":"132413"}', status: 'completed' },
    ]);
    expect(lastSent().tools).toEqual([{ type: 'function', function: { name: 'square_root', description: 'Square root of a number', parameters: tools[0]!.type === 'function' ? tools[0]!.parameters : null, strict: false } }]);

    stack.sim.addFault({ route: 'chat', scenario: 'chat-llama33-70b-tool-loop-2' });
    const call = first.output[0] as Extract<ResponseInputItem, { type: 'function_call' }>;
    const second = await openai(stack).responses.create({
      model: LLAMA,
      tools,
      input: [{ role: 'user', content: ask }, call, { type: 'function_call_output', call_id: call.call_id, output: '363.88' }],
    });
    expect(lastSent().messages).toEqual([
      { role: 'user', content: ask },
      { role: 'assistant', content: null, tool_calls: [{ id: call.call_id, type: 'function', function: { name: 'square_root', arguments: '{"number":"132413"}' } }] },
      { role: 'tool', content: '363.88', tool_call_id: call.call_id },
    ]);
    expect(second.status).toBe('completed');
    expect(second.output_text).toContain('363');
  });

  it('stream: reasoning, then the function call assembled from argument deltas (recorded gpt-oss tool-call stream)', async () => {
    const expected = expectedFromStream(fixtureText('stream-gpt-oss-120b-tool-call.sse'));
    stack.sim.addFault({ route: 'chat', scenario: 'stream-gpt-oss-120b-tool-call' });
    const events = await collect(await openai(stack).responses.create({ model: 'openai/gpt-oss-120b', input: ask, tools, stream: true }));
    const added = events.flatMap((e) => (e.type === 'response.output_item.added' ? [e.item] : []));
    expect(added.map((i) => i.type)).toEqual(['reasoning', 'function_call']);
    const argDeltas = events.flatMap((e) => (e.type === 'response.function_call_arguments.delta' ? [e.delta] : [])).join('');
    const call = expected.toolCalls[0]!;
    expect(argDeltas).toBe(call.function.arguments);
    const done = events.find((e) => e.type === 'response.function_call_arguments.done');
    expect(done).toMatchObject({ arguments: call.function.arguments, name: call.function.name });
    const completed = events.at(-1) as Extract<ResponseStreamEvent, { type: 'response.completed' }>;
    expect(completed.type).toBe('response.completed');
    expect(completed.response.output[1]).toMatchObject({ type: 'function_call', call_id: call.id, name: call.function.name, arguments: call.function.arguments, status: 'completed' });
  });
});

describe('POST /v1/responses refusals', () => {
  it('previous_response_id is a clear 400 naming the field, and Together is not called', async () => {
    const before = chatCalls();
    const err = await openai(stack)
      .responses.create({ model: LLAMA, input: 'hi', previous_response_id: 'resp_123' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as APIError).error).toMatchObject({ code: 'BAD_USER_INPUT', type: 'invalid_request_error', param: 'previous_response_id' });
    expect((err as APIError).message).toMatch(/does not store responses/);
    expect(chatCalls()).toBe(before);
  });

  it('hosted tools, image inputs and unknown item types are refused by name', async () => {
    const cases: Array<[unknown, string]> = [
      [{ model: LLAMA, input: 'hi', tools: [{ type: 'web_search' }] }, 'tools[0].type'],
      [{ model: LLAMA, input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }] }, 'input[0].content[0]'],
      [{ model: LLAMA, input: [{ type: 'computer_call_output', call_id: 'c' }] }, 'input[0].type'],
      [{ model: LLAMA, input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0]'],
      [{ model: LLAMA }, 'input'],
      [{ model: LLAMA, input: 'hi', max_output_tokens: 0 }, 'max_output_tokens'],
    ];
    for (const [body, param] of cases) {
      const res = await postResponses(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await jsonOf(res)).error).toMatchObject({ code: 'BAD_USER_INPUT', type: 'invalid_request_error', param });
    }
  });

  it('a function_call_output answering no call is refused by the same validation as REST chat', async () => {
    const res = await postResponses({ model: LLAMA, input: [{ role: 'user', content: 'hi' }, { type: 'function_call_output', call_id: 'nope', output: 'x' }] });
    expect(res.status).toBe(400);
    expect((await jsonOf(res)).error.message).toMatch(/answers no tool call/);
  });

  it('an unknown model, a missing key and a rate limit keep their statuses and codes', async () => {
    const unknown = await openai(stack).responses.create({ model: 'nope/nope', input: 'hi' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknown as APIError).error).toMatchObject({ code: 'MODEL_NOT_FOUND' });
    const noKey = await postResponses({ model: LLAMA, input: 'hi' }, {});
    expect(noKey.status).toBe(401);
    expect((await jsonOf(noKey)).error).toMatchObject({ code: 'UNAUTHENTICATED', type: 'authentication_error' });
    const { key } = await newKey(stack, 'responses-rpm', { rpm: 1 });
    await openai(stack, key).responses.create({ model: LLAMA, input: 'hi' });
    const limited = await openai(stack, key).responses.create({ model: LLAMA, input: 'hi' }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((limited as APIError).error).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('a stream that fails after it started ends with an error event and response.failed', async () => {
    stack.sim.addFault({ route: 'chat', cutAfterChunks: 3 });
    const events = await collect(await openai(stack).responses.create({ model: LLAMA, input: prompt, stream: true }));
    expect(events.slice(-2).map((e) => e.type)).toEqual(['error', 'response.failed']);
    expect(events.at(-2)).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(events.at(-1)).toMatchObject({ response: { status: 'failed', error: { code: 'server_error' } } });
  });
});
