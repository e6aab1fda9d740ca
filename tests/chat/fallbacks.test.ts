import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { LLAMA, type Stack, runStream, startStack, userMessage } from '../helpers/stack.ts';
import { postChat, sseData } from '../rest/helpers.ts';
import { newKey, rowsOf } from '../faults/helpers.ts';

/**
 * Fallbacks (contract "Fallbacks"): which failures move on to the next model, which never do, streams before and
 * after their first event, the per-model breaker, rows per attempt, budgets over the candidates.
 */
const LLAMA8 = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const MISTRAL = 'mistralai/Mistral-7B-Instruct-v0.3';
/** 4,096 tokens of context. */
const SMALL = 'marin-community/marin-8b-instruct';
/** $3.50 per million tokens in and out: the expensive candidate. */
const COGITO = 'deepcogito/cogito-v2-preview-llama-405B';

const CHAT = `mutation Chat($input: ChatCompletionInput!) {
  chatCompletion(input: $input) { model content costUsd attempts { model code latencyMs } }
}`;
const STREAM = `subscription Stream($input: ChatCompletionInput!) {
  chatStream(input: $input) { model delta done costUsd }
}`;

const STATS = `query { gatewayStats(timeRange: LAST_1H) { totalRequests fallbackAttempts } }`;

const input = (model: string, fallbackModels: string[] | undefined, extra: Record<string, unknown> = {}) => ({
  input: { model, messages: userMessage('hello there world'), ...(fallbackModels ? { fallbackModels } : {}), ...extra },
});

/** Rows of one call can share a millisecond (the store's order among them is arbitrary): compare them as multisets. */
const same = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort();

let stack: Stack;
beforeAll(async () => {
  // Retries on (2) and a 1.5 s deadline: a fallback waiting must make the failing model's retries vanish.
  stack = await startStack({
    env: { UPSTREAM_TIMEOUT_MS: '1500', STREAM_IDLE_TIMEOUT_MS: '400', UPSTREAM_MAX_RETRIES: '2', BREAKER_FAILURE_THRESHOLD: '1000' },
  });
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.clearFaults());

async function chat(k: { headers: Record<string, string> }, variables: ReturnType<typeof input>) {
  const calls = stack.sim.stats.chatCalls;
  const res = await stack.gql(CHAT, variables, k.headers);
  return { body: res.body, upstreamCalls: stack.sim.stats.chatCalls - calls };
}

describe('failures that fall back (GraphQL mutation)', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['Together 503', { status: 503 }, 'UPSTREAM_UNAVAILABLE'],
    ["Together's own 429", { status: 429, headers: { 'retry-after': '1' } }, 'RATE_LIMITED'],
    ['Together 404 (model withdrawn)', { status: 404 }, 'MODEL_NOT_FOUND'],
    ['Together 403 (context exceeded)', { status: 403 }, 'CONTEXT_LENGTH_EXCEEDED'],
  ];
  for (const [name, fault, code] of cases) {
    it(`${name} → ${code}, answered by the next model at once (no retry), one row per attempt`, async () => {
      const k = await newKey(stack);
      stack.sim.addFault({ route: 'chat', model: LLAMA, times: Infinity, ...fault });
      const { body, upstreamCalls } = await chat(k, input(LLAMA, [LLAMA8]));
      expect(body.errors).toBeUndefined();
      const answer = body.data.chatCompletion;
      expect(answer.model).toBe(LLAMA8);
      expect(answer.attempts.map((a: { model: string; code: string | null }) => [a.model, a.code])).toEqual([[LLAMA, code], [LLAMA8, null]]);
      // The failing model was called once: its retries (and a 429's retry-after wait) gave way to the fallback.
      expect(upstreamCalls).toBe(2);
      const rows = await rowsOf(stack, k.id);
      expect(same(rows.map((r) => [r.model, r.errorCode]))).toEqual(same([[LLAMA, code], [LLAMA8, null]]));
      expect(rows.find((r) => r.model === LLAMA)!.costUsd).toBe(0);
      expect(rows.find((r) => r.model === LLAMA8)!.costUsd).toBe(answer.costUsd);
      // The rows keep their place among the call's attempts, and gatewayStats counts the fallback (issue 20).
      expect(same(rows.map((r) => [r.model, r.attempt]))).toEqual(same([[LLAMA, 0], [LLAMA8, 1]]));
      const stats = await stack.gql(STATS, {}, k.headers);
      expect(stats.body.data.gatewayStats).toEqual({ totalRequests: 2, fallbackAttempts: 1 });
    });
  }

  it('UPSTREAM_TIMEOUT: a hanging model gets its share of the one deadline, then the next answers within it', async () => {
    const k = await newKey(stack);
    stack.sim.addFault({ route: 'chat', model: LLAMA, firstByteDelayMs: 5_000 });
    const started = Date.now();
    const { body } = await chat(k, input(LLAMA, [LLAMA8]));
    expect(body.errors).toBeUndefined();
    expect(body.data.chatCompletion.attempts.map((a: { code: string | null }) => a.code)).toEqual(['UPSTREAM_TIMEOUT', null]);
    // Half of the 1.5 s deadline for the first of two models, and the whole call within the deadline.
    expect(body.data.chatCompletion.attempts[0].latencyMs).toBeGreaterThanOrEqual(700);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('a model missing from the catalog, or too small for maxTokens, is tried without an upstream call', async () => {
    const k = await newKey(stack);
    const missing = await chat(k, input('no-such/model', [LLAMA8]));
    expect(missing.body.data.chatCompletion.attempts.map((a: { code: string | null }) => a.code)).toEqual(['MODEL_NOT_FOUND', null]);
    expect(missing.upstreamCalls).toBe(1);
    const small = await chat(k, input(SMALL, [LLAMA8], { maxTokens: 5000 }));
    expect(small.body.data.chatCompletion.attempts.map((a: { code: string | null }) => a.code)).toEqual(['CONTEXT_LENGTH_EXCEEDED', null]);
    expect(small.upstreamCalls).toBe(1);
    expect(same((await rowsOf(stack, k.id)).map((r) => [r.errorCode]))).toEqual(same([['MODEL_NOT_FOUND'], [null], ['CONTEXT_LENGTH_EXCEEDED'], [null]]));
  });
});

describe('failures that never fall back', () => {
  it("Together's 400 (the caller's request), 401 (the gateway's Together key): one attempt, its error", async () => {
    for (const [status, code] of [[400, 'BAD_USER_INPUT'], [401, 'UPSTREAM_AUTH_FAILED']] as const) {
      const k = await newKey(stack);
      stack.sim.addFault({ route: 'chat', model: LLAMA, status });
      const { body, upstreamCalls } = await chat(k, input(LLAMA, [LLAMA8]));
      expect(body.errors![0]!.extensions!.code).toBe(code);
      expect(upstreamCalls).toBe(1);
      expect(same((await rowsOf(stack, k.id)).map((r) => [r.model, r.errorCode]))).toEqual(same([[LLAMA, code]]));
    }
  });

  it("invalid input, the key's own rpm and budget: refused before any model, one row", async () => {
    const k = await newKey(stack);
    const bad = await chat(k, input(LLAMA, [LLAMA8], { temperature: 7 }));
    expect(bad.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(bad.upstreamCalls).toBe(0);
    const repeated = await chat(k, input(LLAMA, [LLAMA8, LLAMA8]));
    expect(repeated.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'fallbackModels.1' });

    const limited = await stack.gateway.services.keys.create({ name: `rpm-${Date.now()}`, rpm: 1 });
    const headers = stack.auth(limited.key);
    expect((await chat({ headers }, input(LLAMA, [LLAMA8]))).body.errors).toBeUndefined();
    const second = await chat({ headers }, input(LLAMA, [LLAMA8]));
    expect(second.body.errors![0]!.extensions!.code).toBe('RATE_LIMITED');
    expect(second.upstreamCalls).toBe(0);
    expect((await rowsOf(stack, limited.record.id)).map((r) => r.errorCode)).toEqual([null, 'RATE_LIMITED']);
  });

  it('a client that leaves is not followed by a fallback', async () => {
    const k = await newKey(stack);
    stack.sim.addFault({ route: 'chat', model: LLAMA, firstByteDelayMs: 3_000 });
    const calls = stack.sim.stats.chatCalls;
    const controller = new AbortController();
    const pending = postChat(stack, { model: LLAMA, models: [LLAMA8], messages: [{ role: 'user', content: 'hi' }] }, k.headers, controller.signal).catch(() => null);
    await stack.sim.waitFor((s) => s.chatCalls === calls + 1, 5_000);
    controller.abort();
    await pending;
    await new Promise((r) => setTimeout(r, 300)); // nothing else may follow: give a wrong fallback time to show
    expect(stack.sim.stats.chatCalls).toBe(calls + 1);
    const rows = await rowsOf(stack, k.id);
    expect(same(rows.map((r) => [r.model, r.cancelled]))).toEqual(same([[LLAMA, true]]));
  });
});

describe('every model failing', () => {
  it('the error has the last code and names every tried model; one row each', async () => {
    const k = await newKey(stack);
    stack.sim.addFault({ route: 'chat', model: LLAMA, status: 503, times: Infinity });
    stack.sim.addFault({ route: 'chat', model: LLAMA8, status: 429, times: Infinity, headers: { 'retry-after': '0' } });
    const { body } = await chat(k, input(LLAMA, [LLAMA8]));
    const error = body.errors![0]!;
    expect(error.extensions!.code).toBe('RATE_LIMITED');
    expect(error.message).toContain(`${LLAMA} (UPSTREAM_UNAVAILABLE), ${LLAMA8} (RATE_LIMITED)`);
    expect(error.extensions!.attempts.map((a: { model: string; code: string }) => [a.model, a.code])).toEqual([[LLAMA, 'UPSTREAM_UNAVAILABLE'], [LLAMA8, 'RATE_LIMITED']]);
    const rows = await rowsOf(stack, k.id);
    // The last model retried (UPSTREAM_MAX_RETRIES=2): still one row for its attempt.
    expect(same(rows.map((r) => [r.model, r.errorCode]))).toEqual(same([[LLAMA, 'UPSTREAM_UNAVAILABLE'], [LLAMA8, 'RATE_LIMITED']]));
  });
});

describe('streams (graphql-ws)', () => {
  it('fall back before their first event: the events say which model answers', async () => {
    const k = await newKey(stack);
    stack.sim.addFault({ route: 'chat', model: LLAMA, status: 503, times: Infinity });
    const run = runStream(stack.wsClient(stack.auth(k.key)), STREAM, input(LLAMA, [LLAMA8]));
    await run.finished;
    expect(run.errors).toBeNull();
    expect(run.events.at(-1).done).toBe(true);
    expect(new Set(run.events.map((e: { model: string }) => e.model))).toEqual(new Set([LLAMA8]));
    expect(same((await rowsOf(stack, k.id)).map((r) => [r.model, r.errorCode, r.stream]))).toEqual(same([[LLAMA, 'UPSTREAM_UNAVAILABLE', true], [LLAMA8, null, true]]));
  });

  it('a stream cut before its first event falls back; one cut after it ends with its code', async () => {
    const k = await newKey(stack);
    stack.sim.addFault({ route: 'chat', model: LLAMA, cutAfterChunks: 0 });
    const early = runStream(stack.wsClient(stack.auth(k.key)), STREAM, input(LLAMA, [LLAMA8]));
    await early.finished;
    expect(early.errors).toBeNull();
    expect(early.events.at(-1).model).toBe(LLAMA8);

    const calls = stack.sim.stats.chatCalls;
    stack.sim.addFault({ route: 'chat', model: LLAMA, cutAfterChunks: 3 });
    const late = runStream(stack.wsClient(stack.auth(k.key)), STREAM, input(LLAMA, [LLAMA8], { messages: userMessage('one two three four five six') }));
    await late.finished;
    expect(late.events.length).toBeGreaterThan(0);
    expect(late.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(stack.sim.stats.chatCalls).toBe(calls + 1);
    const rows = await rowsOf(stack, k.id);
    expect(same(rows.map((r) => [r.model, r.errorCode]))).toEqual(same([[LLAMA, 'UPSTREAM_UNAVAILABLE'], [LLAMA8, null], [LLAMA, 'UPSTREAM_UNAVAILABLE']]));
    // What the broken stream produced before failing is billed (estimated).
    expect(rows.filter((r) => r.model === LLAMA).some((r) => r.completionTokens > 0)).toBe(true);
  });
});

describe('REST: OpenRouter\'s "models"', () => {
  it('falls back, says which model answered and what was tried, non-stream and stream', async () => {
    const k = await newKey(stack);
    stack.sim.addFault({ route: 'chat', model: LLAMA, status: 503, times: Infinity });
    const res = await postChat(stack, { models: [LLAMA, LLAMA8], messages: [{ role: 'user', content: 'hello' }] }, k.headers);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.model).toBe(LLAMA8);
    expect(body.attempts.map((a: { model: string; code: string | null }) => [a.model, a.code])).toEqual([[LLAMA, 'UPSTREAM_UNAVAILABLE'], [LLAMA8, null]]);

    const streamed = await postChat(stack, { model: LLAMA, models: [LLAMA, LLAMA8], stream: true, messages: [{ role: 'user', content: 'hello' }] }, k.headers);
    expect(streamed.status).toBe(200);
    const data = sseData(await streamed.text());
    expect(data.at(-1)).toBe('[DONE]');
    expect(JSON.parse(data[0]!).model).toBe(LLAMA8);
    expect(same((await rowsOf(stack, k.id)).map((r) => [r.model, r.errorCode]))).toEqual(same([
      [LLAMA, 'UPSTREAM_UNAVAILABLE'], [LLAMA8, null], [LLAMA, 'UPSTREAM_UNAVAILABLE'], [LLAMA8, null],
    ]));
  });

  it('all failing: the status and error of the last, naming the tried models', async () => {
    const k = await newKey(stack);
    stack.sim.addFault({ route: 'chat', status: 503, times: Infinity });
    const res = await postChat(stack, { model: LLAMA, models: [MISTRAL], messages: [{ role: 'user', content: 'hello' }] }, k.headers);
    expect(res.status).toBe(503);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(body.error.message).toContain(`${LLAMA} (UPSTREAM_UNAVAILABLE), ${MISTRAL} (UPSTREAM_UNAVAILABLE)`);
  });
});

describe('budgets over the candidates', () => {
  it('reserve for the most expensive candidate, and settle on what was used', async () => {
    // The prompt bound (UTF-8 bytes + the template allowance) + 20: ~180 tokens, $3.3e-5 at LLAMA8 price, $6.3e-4 at COGITO. A budget between.
    const { key, record } = await stack.gateway.services.keys.create({ name: `budget-${Date.now()}`, budgetUsd: 0.0002 });
    const headers = stack.auth(key);
    const refused = await chat({ headers }, input(LLAMA8, [COGITO], { maxTokens: 20 }));
    expect(refused.body.errors![0]!.extensions!.code).toBe('BUDGET_EXCEEDED');
    expect(refused.upstreamCalls).toBe(0);

    stack.sim.addFault({ route: 'chat', model: LLAMA, status: 503 });
    const answered = await chat({ headers }, input(LLAMA, [LLAMA8], { maxTokens: 20 }));
    expect(answered.body.errors).toBeUndefined();
    const rows = await rowsOf(stack, record.id);
    const spent = rows.reduce((sum, r) => sum + (r.costUsd ?? 0), 0);
    expect(spent).toBe(answered.body.data.chatCompletion.costUsd);
    const stored = await stack.gateway.services.store.findKeyByName(record.name);
    expect(stored!.spendUsd).toBeCloseTo(spent, 15);
    expect(stored!.reservedUsd).toBeCloseTo(0, 15);
  });
});

describe('the per-model breaker', () => {
  it('skips a dead model at once (its attempt recorded), keeps the others, and closes after a good probe', async () => {
    const own = await startStack({ env: { UPSTREAM_MAX_RETRIES: '0', BREAKER_FAILURE_THRESHOLD: '2', BREAKER_RESET_MS: '800' } });
    try {
      const k = await newKey(own);
      own.sim.addFault({ route: 'chat', model: LLAMA, status: 503, times: Infinity });
      for (let i = 0; i < 2; i++) await own.gql(CHAT, input(LLAMA, [LLAMA8]), k.headers);
      expect(own.gateway.services.chat.breakers.get('together', LLAMA).state).toBe('open');
      const calls = own.sim.stats.chatCalls;
      const skipped = (await own.gql(CHAT, input(LLAMA, [LLAMA8]), k.headers)).body.data.chatCompletion;
      expect(own.sim.stats.chatCalls).toBe(calls + 1);
      expect(skipped.attempts.map((a: { model: string; code: string | null }) => [a.model, a.code])).toEqual([[LLAMA, 'UPSTREAM_UNAVAILABLE'], [LLAMA8, null]]);
      // Another model on the same gateway is untouched.
      expect((await own.gql(CHAT, input(MISTRAL, undefined), k.headers)).body.errors).toBeUndefined();
      const rows = await rowsOf(own, k.id);
      expect(same(rows.map((r) => [r.model, r.errorCode]))).toEqual(same([
        [LLAMA, 'UPSTREAM_UNAVAILABLE'], [LLAMA8, null], [LLAMA, 'UPSTREAM_UNAVAILABLE'], [LLAMA8, null],
        [LLAMA, 'UPSTREAM_UNAVAILABLE'], [LLAMA8, null], [MISTRAL, null],
      ]));

      own.sim.clearFaults();
      // The cool-down passing is the condition (an open circuit reads half-open once BREAKER_RESET_MS has passed).
      const breaker = own.gateway.services.chat.breakers.get('together', LLAMA);
      await vi.waitFor(() => expect(breaker.state).toBe('half-open'), { timeout: 10_000, interval: 20 });
      const probe = (await own.gql(CHAT, input(LLAMA, [LLAMA8]), k.headers)).body.data.chatCompletion;
      expect(probe.model).toBe(LLAMA);
      expect(own.gateway.services.chat.breakers.get('together', LLAMA).state).toBe('closed');
    } finally {
      await own.close();
    }
  });
});
