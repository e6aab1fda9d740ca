import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LLAMA, type Stack, startStack } from '../helpers/stack.ts';

let stack: Stack;
let client: OpenAI;
beforeAll(async () => {
  stack = await startStack();
  client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: stack.key, maxRetries: 0 });
});
afterAll(() => stack.close());

const tools: ChatCompletionTool[] = [
  { type: 'function', function: { name: 'square_root', description: 'Square root of a number', parameters: { type: 'object', properties: { number: { type: 'string' } }, required: ['number'] } } },
];
const ask: ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the square root of 132413? Use the tool.' }];
const lastSent = () => stack.sim.stats.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!.body;

describe('a whole tool loop through REST with the openai client (recorded Together turns)', () => {
  it('non-stream: tool call → tool result → answer', async () => {
    stack.sim.addFault({ route: 'chat', scenario: 'chat-llama33-70b-tool-loop-1' });
    const first = await client.chat.completions.create({ model: LLAMA, messages: ask, tools });
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(first.choices[0]!.message.content).toBeNull();
    expect(call).toMatchObject({ id: 'call_004cu1ffdm0khbduglfzqs3n', type: 'function', function: { name: 'square_root', arguments: '{"number":"132413"}' } });
    expect(lastSent().tools).toEqual(tools);

    stack.sim.addFault({ route: 'chat', scenario: 'chat-llama33-70b-tool-loop-2' });
    const second = await client.chat.completions.create({
      model: LLAMA,
      tools,
      messages: [...ask, first.choices[0]!.message as ChatCompletionMessageParam, { role: 'tool', tool_call_id: call.id, content: '363.88' }],
    });
    // Together got the assistant's tool call back and our tool result, in its own format.
    expect(lastSent().messages.slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: 'square_root', arguments: '{"number":"132413"}' } }] },
      { role: 'tool', content: '363.88', tool_call_id: call.id },
    ]);
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect(second.choices[0]!.message.content).toContain('363');
  });

  it('stream: the client assembles the tool call from OpenAI-style deltas, finishing with tool_calls once', async () => {
    stack.sim.addFault({ route: 'chat', scenario: 'stream-llama33-70b-tool-loop-1' });
    const stream = await client.chat.completions.create({ model: LLAMA, messages: ask, tools, stream: true, stream_options: { include_usage: true } });
    const calls: Record<number, { id?: string; name?: string; arguments: string }> = {};
    const finishes: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
        const call = (calls[d.index] ??= { arguments: '' });
        if (d.id) call.id = d.id;
        if (d.function?.name) call.name = d.function.name;
        call.arguments += d.function?.arguments ?? '';
      }
      if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(calls).toEqual({ 0: { id: 'call_p08i42ly08hddnkipizfur97', name: 'square_root', arguments: '{"number":"132413"}' } });
    expect(finishes).toEqual(['tool_calls']);
    expect(usage).toMatchObject({ prompt_tokens: 266, completion_tokens: 24, total_tokens: 290 });
  });
});
