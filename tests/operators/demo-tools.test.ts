/**
 * The demo's tool loop with no scenario forced: the bundled simulator answers a request with `tools` by calling
 * the first tool with arguments built from the prompt, and once the tool result comes back, with a final answer
 * (src/simulator/tools.ts). Through the gateway's public surface: the GraphQL mutation and subscription, and
 * OpenAI's REST format, as a playground or an SDK user would try it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../helpers/recordings.ts';
import { LLAMA, type Stack, runStream, startStack, userMessage } from '../helpers/stack.ts';

const CHAT = `mutation Chat($input: ChatCompletionInput!) {
  chatCompletion(input: $input) {
    content finishReason costUsd toolCalls { id type function { name arguments } } usage { promptTokens completionTokens }
  }
}`;
const STREAM = `subscription Stream($input: ChatCompletionInput!) {
  chatStream(input: $input) { delta toolCallDeltas { index id name argumentsDelta } done finishReason }
}`;

const weather = {
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: JSON.stringify({ type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city', 'days'] }),
  },
};
const clock = { function: { name: 'get_time', parameters: JSON.stringify({ type: 'object', properties: {} }) } };
const question = userMessage('What will the weather be for 3 days in Paris?');

describe('the simulator answers tool calls (the demo with no Together key)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it('a whole loop through the mutation: the first tool is called with arguments from the prompt, then a final answer', async () => {
    const first = await stack.gql(CHAT, { input: { model: LLAMA, messages: question, tools: [weather, clock] } });
    expect(first.body.errors).toBeUndefined();
    const call = first.body.data.chatCompletion;
    expect(call).toMatchObject({ content: '', finishReason: 'TOOL_CALLS', toolCalls: [{ type: 'FUNCTION', function: { name: 'get_weather', arguments: '{"city":"Paris","days":3}' } }] });
    expect(call.costUsd).toBeGreaterThan(0);
    expect(call.usage.completionTokens).toBeGreaterThan(0);

    // The same request gives the same call, id included (deterministic, so recordings and tests are stable).
    const again = await stack.gql(CHAT, { input: { model: LLAMA, messages: question, tools: [weather, clock] } });
    expect(again.body.data.chatCompletion.toolCalls).toEqual(call.toolCalls);

    const toolCall = call.toolCalls[0];
    const messages = [
      ...question,
      { role: 'ASSISTANT', content: call.content, toolCalls: call.toolCalls },
      { role: 'TOOL', toolCallId: toolCall.id, content: 'Sunny, 24 °C' },
    ];
    const second = await stack.gql(CHAT, { input: { model: LLAMA, messages, tools: [weather, clock] } });
    expect(second.body.errors).toBeUndefined();
    expect(second.body.data.chatCompletion).toMatchObject({ content: 'The tool returned: Sunny, 24 °C', finishReason: 'STOP', toolCalls: [] });
  });

  it('toolChoice picks the function; mode NONE answers with text', async () => {
    const forced = await stack.gql(CHAT, { input: { model: LLAMA, messages: question, tools: [weather, clock], toolChoice: { functionName: 'get_time' } } });
    expect(forced.body.data.chatCompletion.toolCalls).toEqual([expect.objectContaining({ function: { name: 'get_time', arguments: '{}' } })]);
    const none = await stack.gql(CHAT, { input: { model: LLAMA, messages: question, tools: [weather], toolChoice: { mode: 'NONE' } } });
    expect(none.body.data.chatCompletion).toMatchObject({ finishReason: 'STOP', toolCalls: [], content: 'Echo: What will the weather be for 3 days in Paris?' });
  });

  it('streams the call in pieces over graphql-ws, as Together does', async () => {
    const run = runStream(stack.wsClient(), STREAM, { input: { model: LLAMA, messages: question, tools: [weather] } });
    await run.finished;
    expect(run.errors).toBeNull();
    const events = run.events as any[];
    const { content, toolCalls } = assemble(events);
    expect(content).toBe('');
    expect(toolCalls).toEqual([{ id: expect.stringMatching(/^call_/), type: 'FUNCTION', function: { name: 'get_weather', arguments: '{"city":"Paris","days":3}' } }]);
    expect(events.filter((e) => e.done)).toEqual([expect.objectContaining({ finishReason: 'TOOL_CALLS' })]);
  });

  it("OpenAI's REST format: tool_calls with finish_reason tool_calls, then the answer", async () => {
    const post = (body: unknown) =>
      fetch(`${stack.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...stack.auth() }, body: JSON.stringify(body) }).then(
        (r) => r.json() as Promise<any>,
      );
    const tools = [{ type: 'function', function: { name: 'square_root', parameters: { type: 'object', properties: { number: { type: 'number' } }, required: ['number'] } } }];
    const messages: unknown[] = [{ role: 'user', content: 'What is the square root of 132413?' }];
    const first = await post({ model: LLAMA, messages, tools });
    expect(first.choices[0]).toMatchObject({ finish_reason: 'tool_calls', message: { tool_calls: [{ type: 'function', function: { name: 'square_root', arguments: '{"number":132413}' } }] } });
    const call = first.choices[0].message.tool_calls[0];
    messages.push(first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '363.89' });
    const second = await post({ model: LLAMA, messages, tools });
    expect(second.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'The tool returned: 363.89' } });
  });
});
