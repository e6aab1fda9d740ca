/**
 * The parts of `gatewayStats` the dashboard adds (issue 22): latency/TTFT percentiles per series bucket and usage
 * per key with each key's budget. Through real HTTP against a gateway and the Together simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_MUTATION, CHAT_STREAM, LLAMA, type Stack, runStream, startStack, userMessage } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ sim: { chunkDelayMs: 5 } });
});
afterAll(() => stack.close());

async function newKey(name: string, extra: { budgetUsd?: number } = {}) {
  const { key, record } = await stack.gateway.services.keys.create({ name, ...extra });
  return { key, id: record.id, headers: stack.auth(key) };
}
const input = (content: string) => ({ input: { model: LLAMA, messages: userMessage(content) } });

const PARTS = `query($range: TimeRange) { gatewayStats(timeRange: $range) {
  scope totalRequests totalCostUsd latencyP50Ms ttftP50Ms
  series { start requests latencyP50Ms latencyP95Ms ttftP50Ms ttftP95Ms }
  byKey { revoked requests totalTokens costUsd errorRate key { id name budgetUsd spendUsd remainingBudgetUsd } }
} }`;

describe('gatewayStats: series percentiles and byKey', () => {
  let budgeted: Awaited<ReturnType<typeof newKey>>;
  let plain: Awaited<ReturnType<typeof newKey>>;
  beforeAll(async () => {
    budgeted = await newKey('dash-budgeted', { budgetUsd: 0.5 });
    plain = await newKey('dash-plain');
    for (const text of ['one', 'one two']) expect((await stack.gql(CHAT_MUTATION, input(text), budgeted.headers)).body.errors).toBeUndefined();
    const run = runStream(stack.wsClient(stack.auth(budgeted.key)), CHAT_STREAM, input('a streamed one'));
    await run.finished;
    expect(run.errors).toBeNull();
    expect((await stack.gql(CHAT_MUTATION, input('from the plain key'), plain.headers)).body.errors).toBeUndefined();
  });

  it('an admin sees every key with its budget; the entries add up to the totals', async () => {
    const res = await stack.gql(PARTS, { range: 'LAST_1H' }, stack.auth(stack.adminKey));
    expect(res.body.errors).toBeUndefined();
    const s = res.body.data.gatewayStats;
    expect(s.scope).toBe('ALL_KEYS');
    const b = s.byKey.find((u: any) => u.key.id === budgeted.id);
    const p = s.byKey.find((u: any) => u.key.id === plain.id);
    expect(b).toMatchObject({ revoked: false, requests: 3, errorRate: 0, key: { name: 'dash-budgeted', budgetUsd: 0.5 } });
    expect(p).toMatchObject({ revoked: false, requests: 1, key: { name: 'dash-plain', budgetUsd: null, remainingBudgetUsd: null } });
    // Every call here was made in this test, with a key: the per-key entries are the whole of the totals.
    expect(s.byKey.reduce((n: number, u: any) => n + u.requests, 0)).toBe(s.totalRequests);
    expect(b.costUsd).toBeGreaterThan(0);
    expect(b.key.spendUsd).toBeCloseTo(b.costUsd, 15); // all of this key's spend is in the range
    expect(b.key.remainingBudgetUsd).toBeCloseTo(0.5 - b.key.spendUsd, 12);
    const costs = s.byKey.map((u: any) => u.costUsd);
    expect(costs).toEqual([...costs].sort((x: number, y: number) => y - x));
  });

  it('each series bucket has its latency and TTFT percentiles (TTFT only from streamed calls)', async () => {
    const s = (await stack.gql(PARTS, { range: 'LAST_1H' }, stack.auth(stack.adminKey))).body.data.gatewayStats;
    expect(s.series.length).toBeGreaterThan(0);
    for (const point of s.series) {
      expect(point.latencyP50Ms).toBeGreaterThan(0);
      expect(point.latencyP95Ms).toBeGreaterThanOrEqual(point.latencyP50Ms);
    }
    const withTtft = s.series.filter((p: any) => p.ttftP50Ms !== null);
    expect(withTtft.length).toBeGreaterThan(0); // the streamed call's bucket
    for (const point of withTtft) expect(point.ttftP95Ms).toBeGreaterThanOrEqual(point.ttftP50Ms);
  });

  it('a non-admin key sees only its own entry, equal to its totals', async () => {
    const s = (await stack.gql(PARTS, { range: 'LAST_1H' }, plain.headers)).body.data.gatewayStats;
    expect(s.scope).toBe('OWN_KEY');
    expect(s.byKey).toHaveLength(1);
    expect(s.byKey[0]).toMatchObject({ requests: s.totalRequests, costUsd: s.totalCostUsd, key: { id: plain.id, name: 'dash-plain' } });
  });

  it('fields selected through fragments are computed too', async () => {
    const doc = `query { gatewayStats(timeRange: LAST_1H) { ...Parts } }
      fragment Parts on GatewayStats { series { ... on StatsBucket { latencyP95Ms } } byKey { ...K } }
      fragment K on KeyUsage { requests key { name } }`;
    const res = await stack.gql(doc, undefined, stack.auth(stack.adminKey));
    expect(res.body.errors).toBeUndefined();
    const s = res.body.data.gatewayStats;
    expect(s.series.every((p: any) => p.latencyP95Ms > 0)).toBe(true);
    expect(s.byKey.map((u: any) => u.key.name)).toEqual(expect.arrayContaining(['dash-budgeted', 'dash-plain']));
  });

  it('a revoked key keeps its entry, marked revoked', async () => {
    const gone = await newKey('dash-revoked');
    expect((await stack.gql(CHAT_MUTATION, input('before revocation'), gone.headers)).body.errors).toBeUndefined();
    await stack.gateway.services.store.revokeKey('dash-revoked', Date.now());
    const s = (await stack.gql(PARTS, { range: 'LAST_24H' }, stack.auth(stack.adminKey))).body.data.gatewayStats;
    expect(s.byKey.find((u: any) => u.key.id === gone.id)).toMatchObject({ revoked: true, requests: 1 });
  });
});
