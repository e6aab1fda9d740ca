import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FIXTURES_DIR, assemble, catalogEntry, expectedCost, expectedFromChat, expectedFromStream, fixtureNames, fixtureText } from '../helpers/recordings.ts';
import { LLAMA, type Stack, runStream, startStack, userMessage } from '../helpers/stack.ts';

const CHAT = `mutation Chat($input: ChatCompletionInput!) {
  chatCompletion(input: $input) {
    id model provider content reasoning finishReason costUsd seed
    toolCalls { id type function { name arguments } }
    usage { promptTokens completionTokens totalTokens cachedTokens reasoningTokens estimated }
  }
}`;

const STREAM = `subscription Stream($input: ChatCompletionInput!) {
  chatStream(input: $input) {
    id model delta reasoningDelta toolCallDeltas { index id name argumentsDelta }
    done finishReason costUsd seed
    usage { promptTokens completionTokens totalTokens cachedTokens reasoningTokens estimated }
  }
}`;

const OLD_CATALOG = 'models.json';
const NEW_CATALOG = 'models-maruel-genai-warmup.json';

/**
 * Every recording is replayed with the model it was recorded with (without Together's `-cached` suffix), from the
 * older catalog when it lists the model, else from the newer one (DeepSeek-V4-Pro is only there).
 */
function caseOf(file: string): { file: string; scenario: string; stream: boolean; model: string; catalog: string } {
  const stream = file.endsWith('.sse');
  const text = fixtureText(file);
  const recorded: string = stream ? JSON.parse(text.split('\n')[0]!.slice(6)).model : JSON.parse(text).model;
  const model = recorded.replace(/-cached$/, '');
  const catalog = catalogEntry(OLD_CATALOG, model) ? OLD_CATALOG : NEW_CATALOG;
  expect(catalogEntry(catalog, model), `${file}: ${model} is in no catalog`).toBeDefined();
  return { file, scenario: file.replace(/\.(sse|json)$/, ''), stream, model, catalog };
}

const RECORDINGS = fixtureNames()
  .filter((f) => /^(stream-.*\.sse|chat-.*\.json)$/.test(f))
  .map(caseOf);

let oldStack: Stack;
let newStack: Stack;
/** A copy of the fixtures plus two synthetic Kimi-K3 recordings with cached tokens (none of the real ones has any). */
let extraDir: string;

const KIMI_K3 = 'moonshotai/Kimi-K3';
/** An exact uint64 that a double cannot hold: JSON.parse would turn it into 18446744073709552000. */
const EXACT_SEED = '18446744073709551557';

function writeKimiK3Recordings(dir: string): void {
  const id = 'oSynth1-kimik3-cached';
  const chunk = (choices: unknown[], usage: unknown, seed = '') =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1780000000, choices, model: KIMI_K3, usage }).replace('"SEED"', seed)}\n\n`;
  const delta = (content: string | null, reasoning: string | null, finish: string | null = null, seed: unknown = null) => ({
    index: 0,
    text: content ?? '',
    logprobs: null,
    finish_reason: finish,
    seed,
    delta: { token_id: null, role: 'assistant', content, reasoning },
  });
  // OpenAI-style usage details this time (prompt_tokens_details / completion_tokens_details), on a `choices: []` chunk.
  const usage = {
    prompt_tokens: 1200,
    completion_tokens: 300,
    total_tokens: 1500,
    prompt_tokens_details: { cached_tokens: 1000 },
    completion_tokens_details: { reasoning_tokens: 120 },
  };
  writeFileSync(
    join(dir, 'stream-kimi-k3-cached.sse'),
    chunk([delta('', 'Cached')], null) +
      chunk([delta('', ' prompt.')], null) +
      chunk([delta('Hi', null)], null) +
      chunk([delta('', null, 'stop', 'SEED')], null, EXACT_SEED) +
      chunk([], usage) +
      'data: [DONE]\n\n',
  );
  writeFileSync(
    join(dir, 'chat-kimi-k3-cached.json'),
    JSON.stringify(
      {
        id,
        object: 'chat.completion',
        created: 1780000000,
        model: KIMI_K3,
        prompt: [],
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hi', tool_calls: [], reasoning: 'Cached prompt.' }, logprobs: null, finish_reason: 'stop', seed: 'SEED' }],
        usage: { prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500, cached_tokens: 1000, reasoning_tokens: 120 },
      },
      null,
      2,
    ).replace('"SEED"', EXACT_SEED),
  );
}

beforeAll(async () => {
  extraDir = mkdtempSync(join(tmpdir(), 'gw-fixtures-'));
  cpSync(FIXTURES_DIR, extraDir, { recursive: true });
  writeKimiK3Recordings(extraDir);
  [oldStack, newStack] = await Promise.all([
    startStack(),
    startStack({ sim: { fixturesDir: extraDir, modelsFile: NEW_CATALOG } }),
  ]);
});
afterAll(async () => {
  await Promise.all([oldStack?.close(), newStack?.close()]);
  rmSync(extraDir, { recursive: true, force: true });
});
beforeEach(() => {
  oldStack.sim.clearFaults();
  newStack.sim.clearFaults();
});

const stackFor = (catalog: string): Stack => (catalog === OLD_CATALOG ? oldStack : newStack);
const ask = (model: string, extra: Record<string, unknown> = {}) => ({ input: { model, messages: userMessage('Say hello. Use only one word.'), ...extra } });

async function subscribe(stack: Stack, variables: Record<string, unknown>) {
  const run = runStream(stack.wsClient(), STREAM, variables, stack.sim);
  await run.finished;
  expect(run.errors).toBeNull();
  return run.events;
}

describe('every recorded Together answer, replayed through GraphQL, is what the client sees', () => {
  it('covers all recordings (10 reasoning / tool / text chat bodies and 12 streams)', () => {
    expect(RECORDINGS.filter((c) => c.stream)).toHaveLength(12);
    expect(RECORDINGS.filter((c) => !c.stream)).toHaveLength(10);
  });

  for (const c of RECORDINGS.filter((r) => !r.stream)) {
    it(`mutation: ${c.file}`, async () => {
      const stack = stackFor(c.catalog);
      const expected = expectedFromChat(fixtureText(c.file));
      stack.sim.addFault({ route: 'chat', scenario: c.scenario });
      const res = await stack.gql(CHAT, ask(c.model));
      expect(res.body.errors).toBeUndefined();
      const answer = res.body.data.chatCompletion;
      expect(answer).toEqual({
        id: expected.id,
        model: expected.model,
        provider: 'together',
        content: expected.content,
        reasoning: expected.reasoning === '' ? null : expected.reasoning,
        finishReason: expected.finishReason,
        costUsd: expectedCost(catalogEntry(c.catalog, c.model).pricing, expected.usage),
        seed: expected.seed,
        toolCalls: expected.toolCalls,
        usage: expected.usage,
      });
    });
  }

  for (const c of RECORDINGS.filter((r) => r.stream)) {
    it(`subscription: ${c.file}`, async () => {
      const stack = stackFor(c.catalog);
      const expected = expectedFromStream(fixtureText(c.file));
      stack.sim.addFault({ route: 'chat', scenario: c.scenario });
      const events = await subscribe(stack, ask(c.model));
      const last = events.at(-1);
      const body = events.slice(0, -1);
      // One event per upstream chunk that carried something, in order: answer, thinking and tool-call pieces apart.
      expect(body.map((e) => ({ delta: e.delta, reasoningDelta: e.reasoningDelta, toolCallDeltas: e.toolCallDeltas }))).toEqual(expected.deltas);
      const assembled = assemble(events);
      expect(assembled).toEqual({ content: expected.content, reasoning: expected.reasoning, toolCalls: expected.toolCalls });
      // Finish reason, usage, cost and seed once, on the last event (Together's repeated tool_calls included).
      expect(body.every((e) => !e.done && e.finishReason === null && e.usage === null && e.costUsd === null && e.seed === null)).toBe(true);
      expect(last).toEqual({
        id: expected.id,
        model: expected.model,
        delta: '',
        reasoningDelta: '',
        toolCallDeltas: [],
        done: true,
        finishReason: expected.finishReason,
        costUsd: expectedCost(catalogEntry(c.catalog, c.model).pricing, expected.usage),
        seed: expected.seed,
        usage: expected.usage,
      });
      expect(events.every((e) => e.id === expected.id && e.model === expected.model)).toBe(true);
    });
  }
});

describe('reasoning models', () => {
  it('gpt-oss: reasoning streams before the answer and never leaks into it; usage on the separate choices:[] chunk', async () => {
    oldStack.sim.addFault({ route: 'chat', scenario: 'stream-gpt-oss-120b-reasoning' });
    const events = await subscribe(oldStack, ask('openai/gpt-oss-120b'));
    const firstAnswer = events.findIndex((e) => e.delta !== '');
    const lastThought = events.findLastIndex((e) => e.reasoningDelta !== '');
    expect(lastThought).toBeGreaterThan(0);
    expect(firstAnswer).toBeGreaterThan(lastThought);
    expect(assemble(events).content).toBe('Hello');
    expect(assemble(events).reasoning).toBe('We need to respond with one word saying hello. Likely "Hello". That\'s one word.');
    // Together reports reasoning_tokens: 0 for gpt-oss even though it reasoned: relayed as reported, not guessed.
    expect(events.at(-1).usage).toEqual({ promptTokens: 75, completionTokens: 30, totalTokens: 105, cachedTokens: null, reasoningTokens: 0, estimated: false });
    // gpt-oss-120b: $0.15 in, $0.60 out per 1M.
    expect(events.at(-1).costUsd).toBe((75 * 0.15 + 30 * 0.6) / 1e6);
  });

  it('DeepSeek-V4-Pro (newer catalog only): reasoningTokens 183 of 185 completion tokens, billed as output', async () => {
    newStack.sim.addFault({ route: 'chat', scenario: 'chat-deepseek-v4-pro-reasoning' });
    const res = await newStack.gql(CHAT, ask('deepseek-ai/DeepSeek-V4-Pro'));
    const answer = res.body.data.chatCompletion;
    expect(answer.content).toBe('Hello');
    expect(answer.reasoning).toMatch(/^First, the user said: "Say hello\. Use only one word\."/);
    expect(answer.usage).toMatchObject({ promptTokens: 91, completionTokens: 185, reasoningTokens: 183, cachedTokens: null });
    // $1.74 in, $3.48 out (cached 0.20 listed, but no cached tokens here).
    expect(answer.costUsd).toBe((91 * 1.74 + 185 * 3.48) / 1e6);
  });

  it('Kimi-K2-Thinking: leading spaces of reasoning and answer are kept exactly', async () => {
    oldStack.sim.addFault({ route: 'chat', scenario: 'stream-kimi-k2-thinking-reasoning' });
    const events = await subscribe(oldStack, ask('moonshotai/Kimi-K2-Thinking'));
    const { content, reasoning } = assemble(events);
    expect(content).toBe(' Hello');
    expect(reasoning.startsWith('  The user wants me to say "hello"')).toBe(true);
  });

  it('a named provider passes an uncatalogued model through: the answer is relayed, the cost is null (unknown)', async () => {
    oldStack.sim.addFault({ route: 'chat', scenario: 'chat-deepseek-v4-pro-reasoning' });
    const res = await oldStack.gql(CHAT, ask('deepseek-ai/DeepSeek-V4-Pro', { provider: 'together' }));
    expect(res.body.data.chatCompletion).toMatchObject({ content: 'Hello', costUsd: null, usage: { reasoningTokens: 183 } });
  });
});

describe('tool calls', () => {
  const squareRoot = {
    function: {
      name: 'square_root',
      description: 'Calculates the square root of a number',
      parameters: JSON.stringify({ type: 'object', properties: { number: { type: 'number' } }, required: ['number'] }),
    },
  };
  const question = userMessage('Use the square_root tool to calculate the square root of 132413. Reply with only the result, rounded to 2 decimals.');
  const lastSent = (stack: Stack) => stack.sim.stats.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!.body;
  /** What the client's tool does. */
  const runTool = (args: string): string => Math.sqrt(Number(JSON.parse(args).number)).toFixed(2);

  it('Llama streams the call as pieces; the doubled finish_reason "tool_calls" reaches the client once', async () => {
    oldStack.sim.addFault({ route: 'chat', scenario: 'stream-tool-call-llama33-70b-include-usage' });
    const events = await subscribe(oldStack, ask(LLAMA, { tools: [squareRoot] }));
    expect(events.filter((e) => e.finishReason !== null)).toHaveLength(1);
    expect(events.filter((e) => e.done)).toHaveLength(1);
    expect(events.map((e) => e.toolCallDeltas)).toEqual([
      [{ index: 0, id: 'call_yu1mxtmex7x48nximi9c8jpo', name: 'get_weather', argumentsDelta: '' }],
      [{ index: 0, id: null, name: null, argumentsDelta: '{"city":"Paris"}' }],
      [],
    ]);
    expect(events.at(-1)).toMatchObject({ finishReason: 'TOOL_CALLS', usage: { promptTokens: 194, completionTokens: 19 } });
  });

  it('gpt-oss thinks, then calls the tool (arguments in two pieces)', async () => {
    oldStack.sim.addFault({ route: 'chat', scenario: 'stream-gpt-oss-120b-tool-call' });
    const events = await subscribe(oldStack, ask('openai/gpt-oss-120b', { tools: [squareRoot] }));
    const { content, reasoning, toolCalls } = assemble(events);
    expect(content).toBe('');
    expect(reasoning).toBe('We need to call function square_root with number 132413.');
    expect(toolCalls).toEqual([{ id: 'call_9fac4e2e63054355818b5f1d', type: 'FUNCTION', function: { name: 'square_root', arguments: '{"number": 132413}' } }]);
    expect(runTool(toolCalls[0]!.function.arguments)).toBe('363.89');
  });

  it('a whole tool loop through the mutation: ask → tool call → tool result → answer', async () => {
    // Turn 1: the model asks for the tool.
    oldStack.sim.addFault({ route: 'chat', scenario: 'chat-llama33-70b-tool-loop-1' });
    const first = await oldStack.gql(CHAT, { input: { model: LLAMA, messages: question, tools: [squareRoot], toolChoice: { mode: 'REQUIRED' } } });
    expect(first.body.errors).toBeUndefined();
    const call = first.body.data.chatCompletion;
    expect(call).toMatchObject({
      content: '',
      finishReason: 'TOOL_CALLS',
      toolCalls: [{ id: 'call_004cu1ffdm0khbduglfzqs3n', type: 'FUNCTION', function: { name: 'square_root', arguments: '{"number":"132413"}' } }],
      costUsd: (266 * 0.88 + 24 * 0.88) / 1e6,
    });
    expect(lastSent(oldStack)).toMatchObject({
      tools: [{ type: 'function', function: { name: 'square_root', description: squareRoot.function.description, parameters: JSON.parse(squareRoot.function.parameters) } }],
      tool_choice: 'required',
    });

    // Turn 2: the client runs the tool and sends the conversation back, the model's turn exactly as received.
    const toolCall = call.toolCalls[0];
    const messages = [
      ...question,
      { role: 'ASSISTANT', content: call.content, toolCalls: call.toolCalls },
      { role: 'TOOL', toolCallId: toolCall.id, content: runTool(toolCall.function.arguments) },
    ];
    oldStack.sim.addFault({ route: 'chat', scenario: 'chat-llama33-70b-tool-loop-2' });
    const second = await oldStack.gql(CHAT, { input: { model: LLAMA, messages, tools: [squareRoot] } });
    expect(second.body.errors).toBeUndefined();
    expect(second.body.data.chatCompletion).toMatchObject({ content: '363.89', finishReason: 'STOP', toolCalls: [], costUsd: (132 * 0.88 + 4 * 0.88) / 1e6 });
    // Together got OpenAI's shapes: the assistant turn with content null and tool_calls, then the tool result.
    expect(lastSent(oldStack).messages).toEqual([
      { role: 'user', content: question[0]!.content },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_004cu1ffdm0khbduglfzqs3n', type: 'function', function: { name: 'square_root', arguments: '{"number":"132413"}' } }] },
      { role: 'tool', content: '363.89', tool_call_id: 'call_004cu1ffdm0khbduglfzqs3n' },
    ]);
  });

  it('a whole tool loop through the subscription, assembling the call from its deltas', async () => {
    oldStack.sim.addFault({ route: 'chat', scenario: 'stream-llama33-70b-tool-loop-1' });
    const first = await subscribe(oldStack, { input: { model: LLAMA, messages: question, tools: [squareRoot], toolChoice: { functionName: 'square_root' } } });
    expect(lastSent(oldStack).tool_choice).toEqual({ type: 'function', function: { name: 'square_root' } });
    expect(first.at(-1)).toMatchObject({ done: true, finishReason: 'TOOL_CALLS', costUsd: (266 * 0.88 + 24 * 0.88) / 1e6 });
    const { content, toolCalls } = assemble(first);
    expect(toolCalls).toEqual([{ id: 'call_p08i42ly08hddnkipizfur97', type: 'FUNCTION', function: { name: 'square_root', arguments: '{"number":"132413"}' } }]);

    oldStack.sim.addFault({ route: 'chat', scenario: 'stream-llama33-70b-tool-loop-2' });
    const messages = [
      ...question,
      { role: 'ASSISTANT', content, toolCalls },
      { role: 'TOOL', toolCallId: toolCalls[0]!.id, content: runTool(toolCalls[0]!.function.arguments) },
    ];
    const second = await subscribe(oldStack, { input: { model: LLAMA, messages, tools: [squareRoot] } });
    expect(assemble(second).content).toBe('363.89');
    // Together answered from its cache-backed variant: the client sees that model; the price is the requested one's.
    expect(second.at(-1)).toMatchObject({ model: `${LLAMA}-cached`, finishReason: 'STOP', costUsd: (132 * 0.88 + 4 * 0.88) / 1e6, seed: '7973164868729900000' });
    expect(lastSent(oldStack).messages.slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_p08i42ly08hddnkipizfur97', type: 'function', function: { name: 'square_root', arguments: '{"number":"132413"}' } }] },
      { role: 'tool', content: '363.89', tool_call_id: 'call_p08i42ly08hddnkipizfur97' },
    ]);
  });

  it('a model that calls a tool but says "stop" still finishes with TOOL_CALLS', async () => {
    const body = JSON.parse(fixtureText('chat-llama33-70b-tool-loop-1.json'));
    body.choices[0].finish_reason = 'stop';
    oldStack.sim.addFault({ route: 'chat', body });
    const res = await oldStack.gql(CHAT, ask(LLAMA, { tools: [squareRoot] }));
    expect(res.body.data.chatCompletion).toMatchObject({ finishReason: 'TOOL_CALLS', toolCalls: [{ id: 'call_004cu1ffdm0khbduglfzqs3n' }] });
  });
});

describe('cached tokens are billed at the catalog\'s cached price (newer catalog: Kimi-K3 $3 in, $0.30 cached, $15 out)', () => {
  // 1200 prompt tokens of which 1000 cached, 300 completion: (200 × 3 + 1000 × 0.3 + 300 × 15) / 1e6.
  const cost = (200 * 3 + 1000 * 0.3 + 300 * 15) / 1e6;

  it('the catalog exposes the cached price', async () => {
    const res = await newStack.gql(`{ model(id: "${KIMI_K3}") { pricing { inputPerMillion cachedInputPerMillion outputPerMillion } } }`);
    expect(res.body.data.model.pricing).toEqual({ inputPerMillion: 3, cachedInputPerMillion: 0.3, outputPerMillion: 15 });
  });

  it('mutation (top-level cached_tokens / reasoning_tokens)', async () => {
    newStack.sim.addFault({ route: 'chat', scenario: 'chat-kimi-k3-cached' });
    const res = await newStack.gql(CHAT, ask(KIMI_K3));
    const answer = res.body.data.chatCompletion;
    expect(answer.usage).toEqual({ promptTokens: 1200, completionTokens: 300, totalTokens: 1500, cachedTokens: 1000, reasoningTokens: 120, estimated: false });
    expect(answer.costUsd).toBe(cost);
    expect(answer.costUsd).toBe(0.0054);
    // Without the cache the same call would have cost (1200 × 3 + 300 × 15) / 1e6.
    expect(answer.costUsd).toBeLessThan((1200 * 3 + 300 * 15) / 1e6);
    expect(answer.costUsd).toBe(expectedCost(catalogEntry(NEW_CATALOG, KIMI_K3).pricing, answer.usage));
  });

  it('subscription (OpenAI-style prompt_tokens_details / completion_tokens_details, usage on a choices:[] chunk)', async () => {
    newStack.sim.addFault({ route: 'chat', scenario: 'stream-kimi-k3-cached' });
    const events = await subscribe(newStack, ask(KIMI_K3));
    expect(assemble(events)).toMatchObject({ content: 'Hi', reasoning: 'Cached prompt.' });
    expect(events.at(-1)).toMatchObject({
      usage: { promptTokens: 1200, completionTokens: 300, cachedTokens: 1000, reasoningTokens: 120 },
      costUsd: cost,
    });
  });

  it('a model without a cached price bills cached tokens at the input price', async () => {
    const body = JSON.parse(fixtureText('chat-llama32-3b-text.json'));
    body.usage = { prompt_tokens: 40, completion_tokens: 3, total_tokens: 43, cached_tokens: 30 };
    oldStack.sim.addFault({ route: 'chat', body });
    const res = await oldStack.gql(CHAT, ask(LLAMA));
    expect(res.body.data.chatCompletion).toMatchObject({ usage: { cachedTokens: 30 }, costUsd: (40 * 0.88 + 3 * 0.88) / 1e6 });
  });
});

describe('the response seed keeps every digit (Together\'s seeds exceed 2^53)', () => {
  it('a recorded seed comes back as the exact digits of the raw response', async () => {
    oldStack.sim.addFault({ route: 'chat', scenario: 'chat-llama33-70b-tool-loop-1' });
    const res = await oldStack.gql(CHAT, ask(LLAMA));
    expect(res.body.data.chatCompletion.seed).toBe('13918812265676696000');
    // The trap: the number JSON.parse gives is not that integer (BigInt shows the double's real value).
    expect(BigInt(JSON.parse(fixtureText('chat-llama33-70b-tool-loop-1.json')).choices[0].seed).toString()).toBe('13918812265676695552');
  });

  it('a seed no double can hold survives, in the mutation and on the stream', async () => {
    expect(String(JSON.parse(`{"seed":${EXACT_SEED}}`).seed)).not.toBe(EXACT_SEED);
    newStack.sim.addFault({ route: 'chat', scenario: 'chat-kimi-k3-cached' });
    const res = await newStack.gql(CHAT, ask(KIMI_K3));
    expect(res.body.data.chatCompletion.seed).toBe(EXACT_SEED);
    newStack.sim.addFault({ route: 'chat', scenario: 'stream-kimi-k3-cached' });
    const events = await subscribe(newStack, ask(KIMI_K3));
    expect(events.at(-1).seed).toBe(EXACT_SEED);
  });

  it('the request seed stays an Int and is sent as a number', async () => {
    await oldStack.gql(CHAT, ask(LLAMA, { seed: 2147483647 }));
    const sent = oldStack.sim.stats.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!;
    expect(sent.body.seed).toBe(2147483647);
  });
});

describe('JSON mode and sampling parameters', () => {
  const lastSent = () => oldStack.sim.stats.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!.body;
  const schema = { type: 'object', properties: { people: { type: 'array' } }, required: ['people'] };

  it('JSON_OBJECT with a schema (Together\'s form): the recorded JSON-mode answer parses', async () => {
    oldStack.sim.addFault({ route: 'chat', scenario: 'chat-llama31-8b-json-mode-aiproxyswift' });
    const res = await oldStack.gql(CHAT, ask('meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', { responseFormat: { type: 'JSON_OBJECT', schema: JSON.stringify(schema) } }));
    expect(JSON.parse(res.body.data.chatCompletion.content)).toEqual({ people: [{ address: '100 Main St', name: 'Alice Bob' }] });
    expect(lastSent().response_format).toEqual({ type: 'json_object', schema });
  });

  it('every format and parameter reaches Together in its own spelling', async () => {
    await oldStack.gql(CHAT, ask(LLAMA, {
      responseFormat: { type: 'JSON_SCHEMA', name: 'people', schema: JSON.stringify(schema), strict: true },
      presencePenalty: -2,
      frequencyPenalty: 2,
      repetitionPenalty: 1.1,
      user: 'user-42',
    }));
    expect(lastSent()).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { name: 'people', schema, strict: true } },
      presence_penalty: -2,
      frequency_penalty: 2,
      repetition_penalty: 1.1,
      user: 'user-42',
    });
    await oldStack.gql(CHAT, ask(LLAMA, { responseFormat: { type: 'JSON_SCHEMA', schema: JSON.stringify(schema) } }));
    expect(lastSent().response_format).toEqual({ type: 'json_schema', json_schema: { name: 'response', schema } });
    await oldStack.gql(CHAT, ask(LLAMA, { responseFormat: { type: 'JSON_OBJECT' } }));
    expect(lastSent().response_format).toEqual({ type: 'json_object' });
    await oldStack.gql(CHAT, ask(LLAMA, { responseFormat: { type: 'TEXT' }, toolChoice: { mode: 'AUTO' } }));
    expect(lastSent().response_format).toEqual({ type: 'text' });
    // AUTO without tools means nothing: not sent.
    expect(lastSent()).not.toHaveProperty('tool_choice');
    expect(lastSent()).not.toHaveProperty('tools');
  });
});

describe('validation of the new inputs happens before any upstream call', () => {
  const tool = (name: string, parameters?: string) => ({ function: { name, ...(parameters === undefined ? {} : { parameters }) } });
  const call = { id: 'call_1', function: { name: 'f', arguments: '{}' } };
  const loop = (toolMessage: Record<string, unknown>) => [
    { role: 'USER', content: 'go' },
    { role: 'ASSISTANT', content: '', toolCalls: [call] },
    { role: 'TOOL', content: 'done', ...toolMessage },
  ];
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['parameters that are not JSON', { tools: [tool('f', '{type: object}')] }, 'tools.0.function.parameters'],
    ['parameters that are a JSON array', { tools: [tool('f', '[1, 2]')] }, 'tools.0.function.parameters'],
    ['parameters that are JSON null', { tools: [tool('f', 'null')] }, 'tools.0.function.parameters'],
    ['a tool name with a space', { tools: [tool('get weather')] }, 'tools.0.function.name'],
    ['a tool name over 64 characters', { tools: [tool('f'.repeat(65))] }, 'tools.0.function.name'],
    ['the same tool twice', { tools: [tool('f'), tool('g'), tool('f')] }, 'tools.2.function.name'],
    ['129 tools', { tools: Array.from({ length: 129 }, (_, i) => tool(`f${i}`)) }, 'tools'],
    ['toolChoice with both mode and functionName', { tools: [tool('f')], toolChoice: { mode: 'AUTO', functionName: 'f' } }, 'toolChoice'],
    ['toolChoice with neither', { tools: [tool('f')], toolChoice: {} }, 'toolChoice'],
    ['toolChoice naming an unknown function', { tools: [tool('f')], toolChoice: { functionName: 'g' } }, 'toolChoice.functionName'],
    ['toolChoice REQUIRED without tools', { toolChoice: { mode: 'REQUIRED' } }, 'toolChoice'],
    ['a TOOL message without toolCallId', { messages: loop({}) }, 'messages.2.toolCallId'],
    ['a TOOL message answering no earlier call', { messages: loop({ toolCallId: 'call_2' }) }, 'messages.2.toolCallId'],
    ['a TOOL message answering a later call', { messages: [{ role: 'USER', content: 'go' }, { role: 'TOOL', content: 'x', toolCallId: 'call_1' }, { role: 'ASSISTANT', content: '', toolCalls: [call] }] }, 'messages.1.toolCallId'],
    ['toolCalls on a USER message', { messages: [{ role: 'USER', content: 'go', toolCalls: [call] }] }, 'messages.0.toolCalls'],
    ['toolCallId on a USER message', { messages: [{ role: 'USER', content: 'go', toolCallId: 'call_1' }] }, 'messages.0.toolCallId'],
    ['a tool call with an empty id', { messages: [{ role: 'USER', content: 'go' }, { role: 'ASSISTANT', content: '', toolCalls: [{ ...call, id: ' ' }] }] }, 'messages.1.toolCalls.0.id'],
    ['a tool call with a bad function name', { messages: [{ role: 'USER', content: 'go' }, { role: 'ASSISTANT', content: '', toolCalls: [{ ...call, function: { name: 'a.b', arguments: '{}' } }] }] }, 'messages.1.toolCalls.0.function.name'],
    ['only an assistant tool-call turn, no text anywhere', { messages: [{ role: 'ASSISTANT', content: '', toolCalls: [call] }] }, 'messages'],
    ['JSON_SCHEMA without a schema', { responseFormat: { type: 'JSON_SCHEMA' } }, 'responseFormat.schema'],
    ['a schema that is not JSON', { responseFormat: { type: 'JSON_SCHEMA', schema: '{' } }, 'responseFormat.schema'],
    ['a schema that is a JSON string', { responseFormat: { type: 'JSON_OBJECT', schema: '"object"' } }, 'responseFormat.schema'],
    ['TEXT with a schema', { responseFormat: { type: 'TEXT', schema: '{}' } }, 'responseFormat.schema'],
    ['JSON_OBJECT with a name', { responseFormat: { type: 'JSON_OBJECT', name: 'x' } }, 'responseFormat.name'],
    ['JSON_SCHEMA with a bad name', { responseFormat: { type: 'JSON_SCHEMA', name: 'my schema', schema: '{}' } }, 'responseFormat.name'],
    ['presencePenalty above 2', { presencePenalty: 2.01 }, 'presencePenalty'],
    ['presencePenalty below -2', { presencePenalty: -3 }, 'presencePenalty'],
    ['frequencyPenalty above 2', { frequencyPenalty: 5 }, 'frequencyPenalty'],
    ['frequencyPenalty below -2', { frequencyPenalty: -2.5 }, 'frequencyPenalty'],
    ['repetitionPenalty 0', { repetitionPenalty: 0 }, 'repetitionPenalty'],
    ['repetitionPenalty negative', { repetitionPenalty: -1 }, 'repetitionPenalty'],
    ['user over 256 characters', { user: 'u'.repeat(257) }, 'user'],
  ];
  for (const [name, input, field] of cases) {
    it(`${name} → BAD_USER_INPUT naming ${field}`, async () => {
      const before = oldStack.sim.stats.chatCalls;
      const res = await oldStack.gql(CHAT, ask(LLAMA, input));
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(oldStack.sim.stats.chatCalls).toBe(before);
    });
  }

  it('the same rules reject a subscription before it starts', async () => {
    const run = runStream(oldStack.wsClient(), STREAM, ask(LLAMA, { tools: [tool('f', '[]')] }));
    await run.finished;
    expect(run.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'tools.0.function.parameters' });
  });

  it('accepts the edges: penalties ±2, repetitionPenalty just above 0, a 256-character user, an empty assistant turn with tool calls', async () => {
    const res = await oldStack.gql(CHAT, ask(LLAMA, {
      presencePenalty: 2,
      frequencyPenalty: -2,
      repetitionPenalty: 0.01,
      user: 'u'.repeat(256),
      tools: [tool('f', '{}')],
      messages: loop({ toolCallId: 'call_1' }),
    }));
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.chatCompletion.content).toBe('The tool returned: done'); // the simulator's answer once a tool result comes back (src/simulator/tools.ts)
  });
});
