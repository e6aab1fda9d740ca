import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActivityEntry } from '../../src/usage/activity.ts';
import { synthesizeReply } from '../../src/simulator/index.ts';
import { CHAT_MUTATION, CHAT_STREAM, LLAMA, type Stack, runStream, startStack, userMessage } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { STREAM_IDLE_TIMEOUT_MS: '300', UPSTREAM_MAX_RETRIES: '0' } });
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.clearFaults());

/** Rows of one key, oldest first, after the batch writer has flushed. */
async function rowsOf(keyId: string): Promise<ActivityEntry[]> {
  await stack.gateway.services.recorder.flush();
  return (await stack.gateway.services.store.listActivity({ keyId, limit: 1000 })).reverse();
}

async function newKey(name: string, extra: { budgetUsd?: number; rpm?: number; isAdmin?: boolean } = {}) {
  const { key, record } = await stack.gateway.services.keys.create({ name, ...extra });
  return { key, id: record.id, headers: stack.auth(key) };
}

const input = (content: string, extra: Record<string, unknown> = {}) => ({ input: { model: LLAMA, messages: userMessage(content), ...extra } });

describe('activity log: exactly one row per chat call', () => {
  it('a completion: tokens, full-precision cost, latency, tokens per second, finish reason', async () => {
    const k = await newKey('row-completion');
    const res = await stack.gql(CHAT_MUTATION, input('a b c'), k.headers);
    const c = res.body.data.chatCompletion;
    const rows = await rowsOf(k.id);
    expect(rows).toHaveLength(1);
    const expected = synthesizeReply({ messages: [{ role: 'user', content: 'a b c' }] });
    expect(rows[0]).toMatchObject({
      keyId: k.id,
      gateway: 'together',
      provider: 'together',
      model: LLAMA,
      stream: false,
      promptTokens: expected.promptTokens,
      completionTokens: expected.tokens.length,
      totalTokens: c.usage.totalTokens,
      costUsd: c.costUsd,
      finishReason: 'STOP',
      errorCode: null,
      cancelled: false,
      usageEstimated: false,
      ttftMs: null,
    });
    expect(rows[0]!.costUsd).toBe(((expected.promptTokens + expected.tokens.length) * 0.88) / 1e6);
    expect(rows[0]!.latencyMs).toBeGreaterThan(0);
  });

  it('a stream: time to first token, and the same cost the client saw', async () => {
    const k = await newKey('row-stream');
    const run = runStream(stack.wsClient(stack.auth(k.key)), CHAT_STREAM, input('one two three'));
    await run.finished;
    const rows = await rowsOf(k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ stream: true, costUsd: run.events.at(-1).costUsd, finishReason: 'STOP', cancelled: false });
    expect(rows[0]!.ttftMs).toBeGreaterThan(0);
    expect(rows[0]!.ttftMs!).toBeLessThanOrEqual(rows[0]!.latencyMs);
  });

  it('failed calls are logged with their error code (validation, Together 500, unknown model)', async () => {
    const k = await newKey('row-failures');
    await stack.gql(CHAT_MUTATION, input('x', { temperature: 5 }), k.headers);
    stack.sim.addFault({ route: 'chat', status: 500 });
    await stack.gql(CHAT_MUTATION, input('x'), k.headers);
    await stack.gql(CHAT_MUTATION, { input: { model: 'no/such', messages: userMessage('x') } }, k.headers);
    const rows = await rowsOf(k.id);
    expect(rows.map((r) => r.errorCode)).toEqual(['BAD_USER_INPUT', 'UPSTREAM_UNAVAILABLE', 'MODEL_NOT_FOUND']);
    expect(rows.every((r) => r.finishReason === 'ERROR' && r.costUsd === 0)).toBe(true);
  });

  it('a failed stream keeps the tokens streamed before the failure', async () => {
    const k = await newKey('row-stream-failure');
    stack.sim.addFault({ route: 'chat', stallAfterChunks: 3 });
    const run = runStream(stack.wsClient(stack.auth(k.key)), CHAT_STREAM, input('one two three four five six'));
    await run.finished;
    const [row] = await rowsOf(k.id);
    expect(row).toMatchObject({ errorCode: 'UPSTREAM_TIMEOUT', cancelled: false, completionTokens: 3, usageEstimated: true });
    expect(row!.costUsd).toBeGreaterThan(0);
  });

  it('a cancelled stream is logged as cancelled with the tokens streamed so far', async () => {
    const k = await newKey('row-cancelled');
    stack.sim.addFault({ route: 'chat', chunkDelayMs: 40 });
    const run = runStream(stack.wsClient(stack.auth(k.key)), CHAT_STREAM, input('one two three four five six seven eight nine ten'), stack.sim);
    while (run.events.length < 2) await new Promise((r) => setTimeout(r, 5));
    run.unsubscribe();
    await stack.sim.waitFor((s) => s.openStreams === 0);
    await new Promise((r) => setTimeout(r, 50));
    const rows = await rowsOf(k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ cancelled: true, errorCode: null, finishReason: 'CANCELLED', usageEstimated: true });
    expect(rows[0]!.completionTokens).toBeGreaterThanOrEqual(2);
    expect(rows[0]!.completionTokens).toBeLessThan(11);
  });
});

const STATS = `query($range: TimeRange) { gatewayStats(timeRange: $range) {
  gateway timeRange scope totalRequests totalTokens promptTokens completionTokens totalCostUsd uniqueModels uniqueKeys
  avgLatencyMs avgTokensPerSecond errorRate cancelledRequests latencyP50Ms latencyP95Ms ttftP50Ms ttftP95Ms bucketSeconds
  byModel { model requests totalTokens costUsd errorRate } series { start requests totalTokens costUsd errors } } }`;

describe('gatewayStats', () => {
  it('adds up the caller\'s own rows exactly; admins see every key', async () => {
    const a = await newKey('stats-a');
    const b = await newKey('stats-b');
    for (const text of ['one', 'one two', 'one two three']) await stack.gql(CHAT_MUTATION, input(text), a.headers);
    await stack.gql(CHAT_MUTATION, { input: { model: 'Qwen/Qwen2.5-7B-Instruct-Turbo', provider: 'together', messages: userMessage('hello') } }, a.headers);
    await stack.gql(CHAT_MUTATION, input('x', { temperature: 7 }), a.headers);
    await stack.gql(CHAT_MUTATION, input('from b'), b.headers);

    const own = await stack.gql(STATS, { range: 'LAST_1H' }, a.headers);
    expect(own.body.errors).toBeUndefined();
    const s = own.body.data.gatewayStats;
    const rows = await rowsOf(a.id);
    expect(rows).toHaveLength(5);
    expect(s).toMatchObject({
      gateway: 'together',
      timeRange: 'LAST_1H',
      scope: 'OWN_KEY',
      totalRequests: 5,
      uniqueKeys: 1,
      totalTokens: rows.reduce((n, r) => n + r.totalTokens, 0),
      promptTokens: rows.reduce((n, r) => n + r.promptTokens, 0),
      completionTokens: rows.reduce((n, r) => n + r.completionTokens, 0),
      errorRate: 1 / 5,
      cancelledRequests: 0,
      bucketSeconds: 60,
    });
    expect(s.totalCostUsd).toBeCloseTo(rows.reduce((n, r) => n + (r.costUsd ?? 0), 0), 15);
    expect(s.avgLatencyMs).toBeCloseTo(rows.reduce((n, r) => n + r.latencyMs, 0) / rows.length, 6);
    expect(s.uniqueModels).toBe(new Set(rows.map((r) => r.model)).size);
    expect(s.byModel.find((m: any) => m.model === LLAMA)).toMatchObject({ requests: 4, errorRate: 0.25 });
    expect(s.series.reduce((n: number, p: any) => n + p.requests, 0)).toBe(5);
    expect(s.latencyP50Ms).toBeGreaterThan(0);

    const all = await stack.gql(STATS, { range: 'ALL' }, stack.auth(stack.adminKey));
    expect(all.body.data.gatewayStats.scope).toBe('ALL_KEYS');
    expect(all.body.data.gatewayStats.uniqueKeys).toBeGreaterThanOrEqual(2);
    expect(all.body.data.gatewayStats.totalRequests).toBeGreaterThanOrEqual(6);
  });

  it('an unknown gateway is BAD_USER_INPUT', async () => {
    const res = await stack.gql('{ gatewayStats(gateway: "nope") { totalRequests } }');
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('me reports the key, its limits and its spend', async () => {
    const k = await newKey('me-key', { budgetUsd: 1, rpm: 100 });
    const res = await stack.gql(CHAT_MUTATION, input('hello'), k.headers);
    const cost = res.body.data.chatCompletion.costUsd;
    const me = (await stack.gql('{ me { name prefix isAdmin budgetUsd spendUsd remainingBudgetUsd rpm createdAt lastUsedAt } }', undefined, k.headers)).body.data.me;
    expect(me).toMatchObject({ name: 'me-key', prefix: k.key.slice(0, 10), isAdmin: false, budgetUsd: 1, rpm: 100 });
    expect(me.spendUsd).toBeCloseTo(cost, 15);
    expect(me.remainingBudgetUsd).toBeCloseTo(1 - cost, 12);
    expect(Date.parse(me.createdAt)).toBeGreaterThan(0);
  });
});

describe('per-key limits', () => {
  it('rpm: 12 concurrent calls on a 5-per-minute key → 5 answers and 7 RATE_LIMITED with retryAfterSeconds', async () => {
    const k = await newKey('rpm-5', { rpm: 5 });
    const results = await Promise.all(Array.from({ length: 12 }, () => stack.gql(CHAT_MUTATION, input('hi'), k.headers)));
    const ok = results.filter((r) => !r.body.errors);
    const limited = results.filter((r) => r.body.errors?.[0]?.extensions?.code === 'RATE_LIMITED');
    expect(ok).toHaveLength(5);
    expect(limited).toHaveLength(7);
    for (const r of limited) expect(r.body.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it('budget: 50 concurrent calls on a key with room for 10 → 10 answers, 40 BUDGET_EXCEEDED, spend within budget', async () => {
    // Reservation per call: (prompt bound + maxTokens) × $0.88/1M, the bound being UTF-8 bytes + 128 + 16 per
    // message (docs/usage.md); the budget holds exactly 10 of them.
    const content = 'count to three';
    const reservation = ((Buffer.byteLength(content) + 128 + 16 + 20) * 0.88) / 1e6;
    const budget = reservation * 10 * (1 + 1e-9);
    const k = await newKey('budget-10', { budgetUsd: budget });
    const before = stack.sim.stats.chatCalls;
    // Together holds every call, so all 50 are in flight together and none settles before the others reserve.
    // Long enough that all 50 reach admission (on a loaded 2-core machine that can take over a second).
    stack.sim.addFault({ route: 'chat', firstByteDelayMs: 2000, times: Infinity });
    const results = await Promise.all(Array.from({ length: 50 }, () => stack.gql(CHAT_MUTATION, input(content, { maxTokens: 20 }), k.headers)));
    const ok = results.filter((r) => !r.body.errors);
    const refused = results.filter((r) => r.body.errors?.[0]?.extensions?.code === 'BUDGET_EXCEEDED');
    expect(ok).toHaveLength(10);
    expect(refused).toHaveLength(40);
    expect(stack.sim.stats.chatCalls - before).toBe(10);
    const record = await stack.gateway.services.store.findKeyByName('budget-10');
    expect(record!.reservedUsd).toBeCloseTo(0, 15);
    expect(record!.spendUsd).toBeLessThanOrEqual(budget);
    expect(record!.spendUsd).toBeCloseTo(ok.reduce((n, r) => n + r.body.data.chatCompletion.costUsd, 0), 15);
    // The settled spend matches the log, row for row.
    await stack.gateway.services.recorder.flush();
    expect(await stack.gateway.services.store.spendFromLog(k.id)).toBeCloseTo(record!.spendUsd, 15);
  });
});
