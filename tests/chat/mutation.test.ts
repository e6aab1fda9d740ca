import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { synthesizeReply } from '../../src/simulator/index.ts';
import { CHAT_MUTATION, LLAMA, type Stack, TEST_UPSTREAM_KEY, startStack, userMessage } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { UPSTREAM_TIMEOUT_MS: '1500', UPSTREAM_MAX_RETRIES: '2' } });
});
afterAll(() => stack.close());
beforeEach(() => {
  stack.sim.clearFaults();
});

const chat = (input: Record<string, unknown>) => stack.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage('hello there world'), ...input } });
const code = (res: Awaited<ReturnType<typeof chat>>) => res.body.errors?.[0]?.extensions?.code;

describe('chatCompletion', () => {
  it('answers with content, usage, exact cost and latency', async () => {
    const res = await chat({});
    expect(res.body.errors).toBeUndefined();
    const c = res.body.data.chatCompletion;
    const expected = synthesizeReply({ messages: [{ role: 'user', content: 'hello there world' }] });
    expect(c.content).toBe(expected.tokens.join(''));
    expect(c.finishReason).toBe('STOP');
    expect(c.provider).toBe('together');
    expect(c.usage).toEqual({
      promptTokens: expected.promptTokens,
      completionTokens: expected.tokens.length,
      totalTokens: expected.promptTokens + expected.tokens.length,
      cachedTokens: 0,
      reasoningTokens: null,
      estimated: false,
    });
    // Llama 3.3 70B Turbo lists $0.88 / 1M in and out: (6 + 4) × 0.88 / 1e6, not rounded to zero.
    expect(c.costUsd).toBe(((expected.promptTokens + expected.tokens.length) * 0.88) / 1e6);
    expect(c.costUsd).toBeGreaterThan(0);
    expect(c.latencyMs).toBeGreaterThan(0);
  });

  it('sends Together the request it expects, with our upstream key', async () => {
    await chat({ maxTokens: 50, temperature: 0.5, topP: 0.9, stop: ['\n\n'], seed: 42 });
    const sent = stack.sim.stats.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!;
    expect(sent.body).toMatchObject({ model: LLAMA, max_tokens: 50, temperature: 0.5, top_p: 0.9, stop: ['\n\n'], seed: 42, messages: [{ role: 'user', content: 'hello there world' }] });
    expect(sent.headers.authorization).toBe(`Bearer ${TEST_UPSTREAM_KEY}`);
  });

  it('maps length to LENGTH', async () => {
    const res = await chat({ maxTokens: 2 });
    expect(res.body.data.chatCompletion).toMatchObject({ finishReason: 'LENGTH', usage: { completionTokens: 2 } });
  });

  it('finds the model case-insensitively and answers with the catalog id', async () => {
    const res = await chat({ model: LLAMA.toLowerCase() });
    expect(res.body.data.chatCompletion.model).toBe(LLAMA);
  });

  it('costUsd is null (not 0) for a model with no per-token price', async () => {
    const res = await chat({ model: 'togethercomputer/MoA-1' });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.chatCompletion.costUsd).toBeNull();
  });

  describe('validation happens before any upstream call', () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['empty messages', { messages: [] }, 'messages'],
      ['whitespace-only content', { messages: userMessage('   ') }, 'messages'],
      ['empty model', { model: '  ' }, 'model'],
      ['temperature above 2', { temperature: 2.5 }, 'temperature'],
      ['temperature below 0', { temperature: -0.1 }, 'temperature'],
      ['topP above 1', { topP: 1.5 }, 'topP'],
      ['maxTokens 0', { maxTokens: 0 }, 'maxTokens'],
      ['too many stop sequences', { stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
      ['oversized content', { messages: userMessage('x'.repeat(200_001)) }, 'messages.0.content'],
      ['unknown provider', { provider: 'openrouter' }, 'provider'],
    ];
    for (const [name, input, field] of cases) {
      it(`${name} → BAD_USER_INPUT naming ${field}`, async () => {
        const before = stack.sim.stats.chatCalls;
        const res = await chat(input);
        expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
        expect(stack.sim.stats.chatCalls).toBe(before);
      });
    }

    it('maxTokens over the model context → CONTEXT_LENGTH_EXCEEDED without calling Together', async () => {
      const before = stack.sim.stats.chatCalls;
      const res = await chat({ maxTokens: 200_000 });
      expect(code(res)).toBe('CONTEXT_LENGTH_EXCEEDED');
      expect(stack.sim.stats.chatCalls).toBe(before);
    });
  });

  describe('provider routing', () => {
    it('an unknown model is MODEL_NOT_FOUND without calling Together', async () => {
      const before = stack.sim.stats.chatCalls;
      const res = await chat({ model: 'nobody/nothing-7B' });
      expect(code(res)).toBe('MODEL_NOT_FOUND');
      expect(stack.sim.stats.chatCalls).toBe(before);
    });

    it('an explicit provider passes the model through; Together\'s 404 model_not_available becomes MODEL_NOT_FOUND', async () => {
      const before = stack.sim.stats.chatCalls;
      const res = await chat({ model: 'nobody/nothing-7B', provider: 'together' });
      expect(code(res)).toBe('MODEL_NOT_FOUND');
      expect(res.body.errors?.[0]?.message).toContain('Unable to access model nobody/nothing-7B');
      expect(stack.sim.stats.chatCalls).toBe(before + 1);
    });

    it('provider "together" with a catalog model works and is priced', async () => {
      const res = await chat({ provider: 'Together' });
      expect(res.body.data.chatCompletion.costUsd).toBeGreaterThan(0);
    });
  });

  describe('Together failures map to the contract codes', () => {
    it('401 → UPSTREAM_AUTH_FAILED, never echoing the key', async () => {
      stack.sim.addFault({ route: 'chat', status: 401 });
      const res = await chat({});
      expect(code(res)).toBe('UPSTREAM_AUTH_FAILED');
      expect(JSON.stringify(res.body)).not.toContain(TEST_UPSTREAM_KEY);
    });

    it('403 → CONTEXT_LENGTH_EXCEEDED (Together\'s 403 is about context, not auth)', async () => {
      stack.sim.addFault({ route: 'chat', status: 403 });
      expect(code(await chat({}))).toBe('CONTEXT_LENGTH_EXCEEDED');
    });

    it('429 persisting past the retries → RATE_LIMITED with retryAfterSeconds from retry-after', async () => {
      stack.sim.addFault({ route: 'chat', status: 429, times: Infinity, headers: { 'retry-after': '7', 'x-ratelimit-reset': '7' } });
      const res = await chat({});
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 7 });
    });

    it('429 with only x-ratelimit-reset → retryAfterSeconds from it', async () => {
      stack.sim.addFault({ route: 'chat', status: 429, times: Infinity, headers: { 'x-ratelimit-reset': '3' } });
      const res = await chat({});
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 3 });
    });

    it('503 twice then success: retried, the client sees only the answer', async () => {
      const before = stack.sim.stats.chatCalls;
      stack.sim.addFault({ route: 'chat', status: 503, times: 2 });
      const res = await chat({});
      expect(res.body.errors).toBeUndefined();
      expect(stack.sim.stats.chatCalls - before).toBe(3);
    });

    it('persistent 500 → UPSTREAM_UNAVAILABLE after 1 + 2 attempts', async () => {
      const before = stack.sim.stats.chatCalls;
      stack.sim.addFault({ route: 'chat', status: 500, times: Infinity });
      expect(code(await chat({}))).toBe('UPSTREAM_UNAVAILABLE');
      expect(stack.sim.stats.chatCalls - before).toBe(3);
    });

    it('Cloudflare 521 text/plain → UPSTREAM_UNAVAILABLE', async () => {
      stack.sim.addFault({ route: 'chat', status: 521, times: Infinity });
      expect(code(await chat({}))).toBe('UPSTREAM_UNAVAILABLE');
    });

    it('400 validation errors are not retried and say what Together said', async () => {
      const before = stack.sim.stats.chatCalls;
      stack.sim.addFault({ route: 'chat', status: 400 });
      const res = await chat({});
      expect(code(res)).toBe('BAD_USER_INPUT');
      expect(res.body.errors?.[0]?.message).toContain('Input validation error');
      expect(stack.sim.stats.chatCalls - before).toBe(1);
    });

    it('slow first byte past UPSTREAM_TIMEOUT_MS → UPSTREAM_TIMEOUT', async () => {
      stack.sim.addFault({ route: 'chat', firstByteDelayMs: 5000 });
      expect(code(await chat({}))).toBe('UPSTREAM_TIMEOUT');
    });

    it('a connection dropped before any answer → UPSTREAM_UNAVAILABLE', async () => {
      stack.sim.addFault({ route: 'chat', cutAfterChunks: 0, times: Infinity });
      expect(code(await chat({}))).toBe('UPSTREAM_UNAVAILABLE');
    });
  });
});

describe('without TOGETHER_API_KEY', () => {
  it('chat fails with PROVIDER_NOT_CONFIGURED "Together API key not configured"', async () => {
    const bare = await startStack({ env: { TOGETHER_API_KEY: undefined } });
    try {
      const res = await bare.gql(CHAT_MUTATION, { input: { model: LLAMA, provider: 'together', messages: userMessage('hi') } });
      expect(res.body.errors?.[0]).toMatchObject({ message: 'Together API key not configured', extensions: { code: 'PROVIDER_NOT_CONFIGURED' } });
      const auto = await bare.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage('hi') } });
      expect(auto.body.errors?.[0]?.extensions?.code).toBe('PROVIDER_NOT_CONFIGURED');
      expect(bare.sim.stats.chatCalls + bare.sim.stats.modelsCalls).toBe(0);
    } finally {
      await bare.close();
    }
  });
});
