import { createOpenAI } from '@ai-sdk/openai';
import { APICallError, type ModelMessage, generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { synthesizeReply } from '../../src/simulator/index.ts';
import { expectedFromStream, fixtureText } from '../helpers/recordings.ts';
import { LLAMA, type Stack, startStack } from '../helpers/stack.ts';
import { newKey, rowsOf } from './helpers.ts';

/**
 * The Vercel AI SDK's default OpenAI model, `openai(model)`, which speaks the Responses API (`POST /v1/responses`),
 * unchanged: only its baseURL and key point at the gateway.
 */

let stack: Stack;
let openai: ReturnType<typeof createOpenAI>;
beforeAll(async () => {
  stack = await startStack();
  openai = createOpenAI({ baseURL: `${stack.url}/v1`, apiKey: stack.key });
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.clearFaults());

const prompt = 'one two three four five six seven eight';
const sent = () => stack.sim.stats.requests.filter((r) => r.path === '/v1/chat/completions');
const gatewayPaths: string[] = [];

const ask = 'What is the square root of 132413? Use the tool.';
/** The recorded turns' tool; `execute` runs locally, as in any AI SDK app, and its result goes back as a function_call_output. */
const squareRoot = () =>
  tool({
    description: 'Square root of a number',
    inputSchema: jsonSchema<{ number: string }>({ type: 'object', properties: { number: { type: 'string' } }, required: ['number'] }),
    execute: async ({ number }) => Math.sqrt(Number(number)).toFixed(2),
  });

describe('the Vercel AI SDK openai(model) against /v1/responses', () => {
  it('generateText: the text, usage and finish reason; one row', async () => {
    const { key, id } = await newKey(stack, 'ai-sdk-generate');
    const provider = createOpenAI({
      baseURL: `${stack.url}/v1`,
      apiKey: key,
      fetch: (url, init) => {
        gatewayPaths.push(new URL(String(url)).pathname);
        return fetch(url, init);
      },
    });
    const result = await generateText({ model: provider(LLAMA), prompt, system: 'Be brief.' });
    const reply = synthesizeReply({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: prompt }] });
    expect(gatewayPaths).toEqual(['/v1/responses']);
    expect(result.text).toBe(reply.tokens.join(''));
    expect(result.finishReason).toBe('stop');
    expect(result.usage).toMatchObject({ inputTokens: reply.promptTokens, outputTokens: reply.tokens.length });
    expect(await rowsOf(stack, id)).toMatchObject([{ errorCode: null, stream: false, completionTokens: reply.tokens.length }]);
  });

  it('streamText: the deltas add up to the answer; usage arrives with the finish', async () => {
    const result = streamText({ model: openai(LLAMA), prompt });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    const reply = synthesizeReply({ messages: [{ role: 'user', content: prompt }] });
    expect(text).toBe(reply.tokens.join(''));
    expect(await result.finishReason).toBe('stop');
    expect(await result.usage).toMatchObject({ inputTokens: reply.promptTokens, outputTokens: reply.tokens.length });
  });

  it('generateText with a tool: a whole tool loop replayed from the recorded Together turns', async () => {
    stack.sim.addFault({ route: 'chat', scenario: 'chat-llama33-70b-tool-loop-1' });
    stack.sim.addFault({ route: 'chat', scenario: 'chat-llama33-70b-tool-loop-2' });
    const before = sent().length;
    const result = await generateText({ model: openai(LLAMA), prompt: ask, tools: { square_root: squareRoot() }, stopWhen: stepCountIs(3) });
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]!.toolCalls).toMatchObject([{ toolCallId: 'call_004cu1ffdm0khbduglfzqs3n', toolName: 'square_root', input: { number: '132413' } }]);
    expect(result.steps[0]!.toolResults).toMatchObject([{ output: '363.89' }]);
    // The second turn Together received: the assistant's call and the SDK's tool result, in Together's own format.
    const second = sent()[before + 1]!.body;
    expect(second.messages.slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_004cu1ffdm0khbduglfzqs3n', type: 'function', function: { name: 'square_root', arguments: '{"number":"132413"}' } }] },
      { role: 'tool', content: '363.89', tool_call_id: 'call_004cu1ffdm0khbduglfzqs3n' },
    ]);
    expect(result.text).toContain('363');
    expect(result.finishReason).toBe('stop');
  });

  it('streamText with a tool: the streamed tool loop, recorded reasoning and tool-call turns', async () => {
    const recorded = expectedFromStream(fixtureText('stream-llama33-70b-tool-loop-1.sse'));
    stack.sim.addFault({ route: 'chat', scenario: 'stream-llama33-70b-tool-loop-1' });
    stack.sim.addFault({ route: 'chat', scenario: 'stream-llama33-70b-tool-loop-2' });
    const result = streamText({ model: openai(LLAMA), prompt: ask, tools: { square_root: squareRoot() }, stopWhen: stepCountIs(3) });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    const steps = await result.steps;
    expect(steps).toHaveLength(2);
    expect(steps[0]!.toolCalls).toMatchObject([{ toolCallId: recorded.toolCalls[0]!.id, toolName: 'square_root', input: JSON.parse(recorded.toolCalls[0]!.function.arguments) }]);
    expect(text).toBe(expectedFromStream(fixtureText('stream-llama33-70b-tool-loop-2.sse')).content);
  });

  it('a recorded gpt-oss stream with reasoning before its tool call: the SDK gets the call and finishes with tool-calls', async () => {
    const recorded = expectedFromStream(fixtureText('stream-gpt-oss-120b-tool-call.sse'));
    stack.sim.addFault({ route: 'chat', scenario: 'stream-gpt-oss-120b-tool-call' });
    const result = streamText({ model: openai('openai/gpt-oss-120b'), prompt: ask, tools: { square_root: squareRoot() } });
    await result.consumeStream();
    expect(await result.toolCalls).toMatchObject([{ toolCallId: recorded.toolCalls[0]!.id, toolName: 'square_root' }]);
    expect(await result.finishReason).toBe('tool-calls');
  });

  it('a second turn: the SDK refers to its earlier answer by item id (store: true by default), and Together gets the text', async () => {
    const first = await generateText({ model: openai(LLAMA), prompt: 'one two three' });
    const history: ModelMessage[] = [{ role: 'user', content: 'one two three' }, ...first.response.messages];
    const second = streamText({ model: openai(LLAMA), messages: [...history, { role: 'user', content: 'and four?' }] });
    await second.consumeStream();
    const sentBody = sent().at(-1)!.body;
    expect(sentBody.messages).toEqual([
      { role: 'user', content: 'one two three' },
      { role: 'assistant', content: first.text },
      { role: 'user', content: 'and four?' },
    ]);
    // The third turn refers to the streamed answer the same way.
    const third = await generateText({ model: openai(LLAMA), messages: [...history, { role: 'user', content: 'and four?' }, ...(await second.response).messages, { role: 'user', content: 'five?' }] });
    expect(sent().at(-1)!.body.messages.at(-2)).toEqual({ role: 'assistant', content: await second.text });
    expect(third.text).not.toBe('');
  });

  it('an item reference is recalled for the key that got the answer only', async () => {
    const first = await generateText({ model: openai(LLAMA), prompt: 'one two three' });
    const { key } = await newKey(stack, 'ai-sdk-other-key');
    const other = createOpenAI({ baseURL: `${stack.url}/v1`, apiKey: key });
    const err = await generateText({ model: other(LLAMA), messages: [{ role: 'user', content: 'one two three' }, ...first.response.messages, { role: 'user', content: 'and four?' }], maxRetries: 0 }).catch((e: unknown) => e);
    expect(APICallError.isInstance(err)).toBe(true);
    expect((err as APICallError).statusCode).toBe(400);
    expect((err as APICallError).responseBody).toMatch(/cannot be resolved/);
  });

  it('errors keep their status: an unknown model is a 404 APICallError with the contract code', async () => {
    const err = await generateText({ model: openai('nope/nope'), prompt: 'hi', maxRetries: 0 }).catch((e: unknown) => e);
    expect(APICallError.isInstance(err)).toBe(true);
    expect((err as APICallError).statusCode).toBe(404);
    expect((err as APICallError).responseBody).toContain('MODEL_NOT_FOUND');
  });
});
