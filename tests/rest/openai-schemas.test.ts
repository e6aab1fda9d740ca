import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LLAMA, type Stack, startStack } from '../helpers/stack.ts';
import { jsonOf, newKey, postChat, sseData } from './helpers.ts';

/**
 * Strict OpenAI clients validate what they receive against OpenAI's published OpenAPI description. So does
 * this test: every body, SSE chunk, stream event and error of the OpenAI-compatible routes is checked against
 * the vendored schemas (tests/schemas/openai-openapi-subset.json: source, version and commit in its $comment).
 * The gateway's additions (`provider`, `cost_usd`, `message.reasoning`, `usage.estimated`) are extra properties,
 * which those schemas allow.
 */

const spec = JSON.parse(readFileSync(new URL('../schemas/openai-openapi-subset.json', import.meta.url), 'utf8'));
// OpenAPI keywords (`discriminator`, `x-…`) are not JSON Schema: ignored, not failed on.
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addFormat('unixtime', { type: 'number', validate: (n: number) => Number.isFinite(n) && n >= 0 });
ajv.addSchema({ $id: 'openai', components: spec.components });

const validators = new Map<string, ValidateFunction>();
function validatorFor(name: string): ValidateFunction {
  let v = validators.get(name);
  if (!v) {
    v = ajv.compile({ $ref: `openai#/components/schemas/${name}` });
    validators.set(name, v);
  }
  return v;
}

/** Asserts `value` is a valid `schema`; the failure names what broke and where. */
function expectValid(schema: string, value: unknown): void {
  const validate = validatorFor(schema);
  const ok = validate(value);
  expect(ok ? [] : validate.errors!.map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`), `${schema}: ${JSON.stringify(value).slice(0, 300)}`).toEqual([]);
}

/** Each typed Responses stream event has its own schema: `response.output_text.delta` → ResponseTextDeltaEvent, …. */
const eventSchemas = new Map<string, string>(
  (spec.components.schemas.ResponseStreamEvent.anyOf as Array<{ $ref: string }>).flatMap(({ $ref }) => {
    const name = $ref.split('/').at(-1)!;
    const type = spec.components.schemas[name]?.properties?.type?.enum?.[0];
    return typeof type === 'string' ? [[type, name] as [string, string]] : [];
  }),
);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.clearFaults());

const ask = (content: string) => [{ role: 'user', content }];
const tool = { type: 'function', function: { name: 'square_root', description: 'Square root', parameters: { type: 'object', properties: { number: { type: 'string' } } } } };
const post = (path: string, body: unknown, headers: Record<string, string> = stack.auth()) =>
  fetch(`${stack.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

/** The SSE body's events: chat completions send `data:` lines only; Responses sends `event:` + `data:`. */
async function responsesEvents(res: Response): Promise<any[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((e) => e !== '')
    .map((e) => {
      const [event, data] = e.split('\n');
      const json = JSON.parse(data!.slice('data: '.length));
      expect(event).toBe(`event: ${json.type}`);
      return json;
    });
}

describe('/v1/chat/completions against OpenAI\'s schemas', () => {
  const scenarios: Array<[string, string | null, string]> = [
    ['a plain answer', null, LLAMA],
    ['a tool call (content null)', 'chat-llama33-70b-tool-loop-1', LLAMA],
    ['a reasoning answer', 'chat-gpt-oss-120b-reasoning', 'openai/gpt-oss-120b'],
  ];
  for (const [label, scenario, model] of scenarios) {
    it(`non-stream, ${label}: CreateChatCompletionResponse, with message.refusal null`, async () => {
      if (scenario) stack.sim.addFault({ route: 'chat', scenario });
      const res = await postChat(stack, { model, messages: ask('hi'), tools: [tool] });
      const body = await jsonOf(res);
      expect(res.status).toBe(200);
      expectValid('CreateChatCompletionResponse', body);
      expect(body.choices[0].message.refusal).toBeNull();
    });

    it(`stream, ${label}: every chunk is a CreateChatCompletionStreamResponse (include_usage)`, async () => {
      if (scenario) stack.sim.addFault({ route: 'chat', scenario: scenario.replace(/^chat-/, 'stream-') });
      const res = await postChat(stack, { model, messages: ask('hi'), tools: [tool], stream: true, stream_options: { include_usage: true } });
      const data = sseData(await res.text());
      expect(data.at(-1)).toBe('[DONE]');
      for (const chunk of data.slice(0, -1)) expectValid('CreateChatCompletionStreamResponse', JSON.parse(chunk));
    });
  }

  it('a stream failing after its start: the error line is an ErrorResponse', async () => {
    stack.sim.addFault({ route: 'chat', cutAfterChunks: 2 });
    const data = sseData(await (await postChat(stack, { model: LLAMA, messages: ask('one two three four'), stream: true })).text());
    expectValid('ErrorResponse', JSON.parse(data.at(-1)!));
  });
});

describe('/v1/models against OpenAI\'s schemas', () => {
  it('the list is a ListModelsResponse and one model a Model', async () => {
    const list = await jsonOf(await fetch(`${stack.url}/v1/models`));
    expect(list.data.length).toBeGreaterThan(10);
    expectValid('ListModelsResponse', list);
    expectValid('Model', await jsonOf(await fetch(`${stack.url}/v1/models/${encodeURIComponent(LLAMA)}`)));
  });
});

describe('/v1/responses against OpenAI\'s schemas', () => {
  const cases: Array<[string, string | null, string, Record<string, unknown>]> = [
    ['a plain answer with instructions', null, LLAMA, { instructions: 'Be brief.' }],
    ['an answer cut short (incomplete)', null, LLAMA, { max_output_tokens: 2 }],
    ['a function call', 'chat-llama33-70b-tool-loop-1', LLAMA, {}],
    ['reasoning, then a function call', 'chat-gpt-oss-120b-tool-call', 'openai/gpt-oss-120b', {}],
    ['reasoning, then text', 'chat-kimi-k2-thinking-reasoning', 'moonshotai/Kimi-K2-Thinking', { text: { format: { type: 'json_object' } } }],
  ];
  const tools = [{ type: 'function', name: 'square_root', parameters: { type: 'object', properties: { number: { type: 'string' } } } }];
  for (const [label, scenario, model, extra] of cases) {
    it(`non-stream, ${label}: a Response`, async () => {
      if (scenario) stack.sim.addFault({ route: 'chat', scenario });
      const res = await post('/v1/responses', { model, input: 'one two three four five', tools, ...extra });
      expect(res.status).toBe(200);
      expectValid('Response', await jsonOf(res));
    });

    it(`stream, ${label}: every event valid against its own event schema`, async () => {
      if (scenario) stack.sim.addFault({ route: 'chat', scenario: scenario.replace(/^chat-/, 'stream-') });
      const events = await responsesEvents(await post('/v1/responses', { model, input: 'one two three four five', tools, stream: true, ...extra }));
      expect(['response.completed', 'response.incomplete']).toContain(events.at(-1).type);
      for (const event of events) {
        const schema = eventSchemas.get(event.type);
        expect(schema, `no schema for ${event.type}`).toBeDefined();
        expectValid(schema!, event);
        expectValid('ResponseStreamEvent', event);
      }
    });
  }

  it('a stream failing after its start: valid error and response.failed events', async () => {
    stack.sim.addFault({ route: 'chat', cutAfterChunks: 2 });
    const events = await responsesEvents(await post('/v1/responses', { model: LLAMA, input: 'one two three four five', stream: true }));
    expect(events.slice(-2).map((e) => e.type)).toEqual(['error', 'response.failed']);
    for (const event of events) expectValid(eventSchemas.get(event.type)!, event);
  });
});

describe('error bodies against OpenAI\'s ErrorResponse', () => {
  it('400, 401, 402, 404, 415 and 429 on chat completions and responses', async () => {
    const { key: limited } = await newKey(stack, 'schema-rpm', { rpm: 1 });
    const { key: broke } = await newKey(stack, 'schema-budget', { budgetUsd: 0 });
    for (const path of ['/v1/chat/completions', '/v1/responses']) {
      const body = (model: string) => (path === '/v1/responses' ? { model, input: 'hi' } : { model, messages: ask('hi') });
      const answers = [
        await post(path, { ...body(LLAMA), temperature: 9 }),
        await post(path, body(LLAMA), {}),
        await post(path, body(LLAMA), stack.auth(broke)),
        await post(path, body('nope/nope')),
        await fetch(`${stack.url}${path}`, { method: 'POST', headers: { ...stack.auth(), 'content-type': 'text/plain' }, body: 'hi' }),
        await post(path, body(LLAMA), stack.auth(limited)),
        await post(path, body(LLAMA), stack.auth(limited)),
      ];
      expect(answers.map((r) => r.status)).toEqual([400, 401, 402, 404, 415, path === '/v1/chat/completions' ? 200 : 429, 429]);
      for (const res of answers.filter((r) => r.status !== 200)) expectValid('ErrorResponse', await jsonOf(res));
    }
  });
});
