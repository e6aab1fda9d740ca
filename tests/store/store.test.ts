/**
 * One suite, run against SQLite (temp files) and PostgreSQL (TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test;
 * every store gets its own random schema via `?schema=`, dropped afterwards). PostgreSQL is skipped when unreachable.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, parseDatabaseUrl } from '../../src/store/index.ts';
import { HIST_RELATIVE_PRECISION } from '../../src/store/rollup.ts';
import type { GatewayStore } from '../../src/store/types.ts';
import type { GatewayStatsResult, StatsQuery, TimeRange } from '../../src/usage/stats-types.ts';
import type { ActivityEntry } from '../../src/usage/activity.ts';
import { type Harness, PG_URL, newKey as newKeyAt, postgresHarness, postgresReachable, rand6, sqliteHarness } from './harness.ts';

// ---------------------------------------------------------------------------------------------------------------
// Data and a naive reference implementation of stats().

const NOW = Date.UTC(2025, 5, 15, 13, 37, 21, 123); // deliberately not aligned to a minute
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const RANGES: TimeRange[] = ['LAST_1H', 'LAST_24H', 'LAST_7D', 'LAST_30D', 'ALL'];
const RANGE_MS: Record<TimeRange, number> = { LAST_1H: HOUR, LAST_24H: DAY, LAST_7D: 7 * DAY, LAST_30D: 30 * DAY, ALL: Infinity };
const SERIES_S: Record<TimeRange, number> = { LAST_1H: 60, LAST_24H: 3600, LAST_7D: 21_600, LAST_30D: 86_400, ALL: 86_400 };

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let seq = 0;
function entry(over: Partial<ActivityEntry> = {}): ActivityEntry {
  seq += 1;
  return {
    id: `row-${seq}-${rand6()}`,
    requestId: `req-${seq}`,
    at: NOW - 5 * MIN,
    keyId: 'key-a',
    gateway: 'gw-main',
    provider: 'together',
    kind: 'chat',
    attempt: 0,
    model: 'm/alpha',
    stream: false,
    promptTokens: 100,
    completionTokens: 50,
    totalTokens: 150,
    cachedTokens: 0,
    reasoningTokens: 0,
    costUsd: 8.8e-6,
    latencyMs: 250,
    ttftMs: null,
    tokensPerSecond: 40,
    finishReason: 'STOP',
    errorCode: null,
    cancelled: false,
    usageEstimated: false,
    traceId: null,
    ...over,
  };
}

/** ~1,500 rows over 40 days with random models/keys/outcomes, plus rows exactly on and just past every range boundary. */
function dataset(): ActivityEntry[] {
  const r = rng(7);
  const models = ['m/alpha', 'm/beta', 'm/gamma', 'm/delta'];
  const keys = ['key-a', 'key-b', 'key-c', null];
  const rows: ActivityEntry[] = [];
  const offsets: number[] = [];
  for (let i = 0; i < 1400; i++) offsets.push(Math.floor(Math.pow(r(), 3) * 40 * DAY)); // denser near now
  for (let i = 0; i < 60; i++) offsets.push(Math.floor(r() * 2 * HOUR)); // the 1h edge, partial minutes
  for (const range of RANGES.slice(0, 4)) offsets.push(RANGE_MS[range], RANGE_MS[range] + 1, RANGE_MS[range] - 1);
  for (const off of offsets) {
    const stream = r() < 0.6;
    const cancelled = r() < 0.05;
    const errorCode = r() < 0.08 ? 'UPSTREAM_TIMEOUT' : null; // some cancelled rows carry an error code too
    const latencyMs = Math.round(Math.exp(Math.log(5) + r() * Math.log(12_000)) * 100) / 100; // 5 ms … 60 s, log-uniform
    const prompt = Math.floor(r() * 2000);
    const completion = errorCode ? 0 : Math.floor(r() * 800);
    rows.push(
      entry({
        at: NOW - off,
        keyId: keys[Math.floor(r() * keys.length)] ?? null,
        model: models[Math.floor(r() * models.length)] as string,
        kind: (['chat', 'chat', 'chat', 'embedding', 'rerank', 'image'] as const)[Math.floor(r() * 6)],
        attempt: r() < 0.15 ? 1 + Math.floor(r() * 3) : 0, // fallbacks (issue 20)
        stream,
        promptTokens: prompt,
        completionTokens: completion,
        totalTokens: prompt + completion,
        costUsd: r() < 0.1 ? null : prompt * 1.1e-7 + completion * 3.3e-7,
        latencyMs,
        ttftMs: stream ? Math.round(latencyMs * r() * 100) / 100 : null,
        tokensPerSecond: completion > 0 ? completion / (latencyMs / 1000) : null,
        finishReason: cancelled ? 'CANCELLED' : errorCode ? 'ERROR' : 'STOP',
        errorCode,
        cancelled,
      }),
    );
  }
  // Noise in another gateway: never counted for gw-main.
  for (let i = 0; i < 50; i++) rows.push(entry({ gateway: 'gw-other', at: NOW - Math.floor(r() * 10 * DAY), keyId: 'key-a' }));
  return rows;
}

class Kahan {
  s = 0;
  c = 0;
  add(x: number): void {
    const t = this.s + x;
    this.c += Math.abs(this.s) >= Math.abs(x) ? this.s - t + x : x - t + this.s;
    this.s = t;
  }
  get value(): number {
    return this.s + this.c;
  }
}
const nearestRank = (values: number[], p: number): number | null => {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil(p * s.length)) - 1] as number;
};
const isError = (r: ActivityEntry): boolean => r.errorCode !== null && !r.cancelled;

function reference(rows: ActivityEntry[], q: StatsQuery): GatewayStatsResult {
  const from = q.now - RANGE_MS[q.timeRange];
  const sel = rows.filter((r) => r.gateway === q.gateway && r.at >= from && (q.keyId == null || r.keyId === q.keyId));
  const cost = (xs: ActivityEntry[]): number => {
    const k = new Kahan();
    for (const x of xs) k.add(x.costUsd ?? 0);
    return k.value;
  };
  const sum = (xs: ActivityEntry[], f: (r: ActivityEntry) => number): number => xs.reduce((s, x) => s + f(x), 0);
  const group = <K>(f: (r: ActivityEntry) => K): Map<K, ActivityEntry[]> => {
    const m = new Map<K, ActivityEntry[]>();
    for (const r of sel) m.set(f(r), [...(m.get(f(r)) ?? []), r]);
    return m;
  };
  const bucketMs = SERIES_S[q.timeRange] * 1000;
  const tps = sel.filter((r) => r.tokensPerSecond !== null);
  return {
    totalRequests: sel.length,
    totalTokens: sum(sel, (r) => r.totalTokens),
    promptTokens: sum(sel, (r) => r.promptTokens),
    completionTokens: sum(sel, (r) => r.completionTokens),
    totalCostUsd: cost(sel),
    uniqueModels: new Set(sel.map((r) => r.model)).size,
    uniqueKeys: new Set(sel.filter((r) => r.keyId !== null).map((r) => r.keyId)).size,
    avgTokensPerSecond: tps.length ? sum(tps, (r) => r.tokensPerSecond ?? 0) / tps.length : null,
    avgLatencyMs: sel.length ? sum(sel, (r) => r.latencyMs) / sel.length : null,
    errorRate: sel.length ? sel.filter(isError).length / sel.length : 0,
    cancelledRequests: sel.filter((r) => r.cancelled).length,
    fallbackAttempts: sel.filter((r) => r.attempt > 0).length,
    latencyP50Ms: nearestRank(sel.map((r) => r.latencyMs), 0.5),
    latencyP95Ms: nearestRank(sel.map((r) => r.latencyMs), 0.95),
    ttftP50Ms: nearestRank(sel.flatMap((r) => (r.ttftMs === null ? [] : [r.ttftMs])), 0.5),
    ttftP95Ms: nearestRank(sel.flatMap((r) => (r.ttftMs === null ? [] : [r.ttftMs])), 0.95),
    byModel: [...group((r) => r.model).entries()]
      .map(([model, xs]) => ({
        model, requests: xs.length, totalTokens: sum(xs, (r) => r.totalTokens), costUsd: cost(xs),
        avgLatencyMs: sum(xs, (r) => r.latencyMs) / xs.length, errorRate: xs.filter(isError).length / xs.length,
      }))
      .sort((a, b) => b.requests - a.requests || (a.model < b.model ? -1 : 1)),
    byKind: [...group((r) => r.kind).entries()]
      .map(([kind, xs]) => ({
        kind, requests: xs.length, totalTokens: sum(xs, (r) => r.totalTokens), costUsd: cost(xs),
        avgLatencyMs: sum(xs, (r) => r.latencyMs) / xs.length, errorRate: xs.filter(isError).length / xs.length,
      }))
      .sort((a, b) => b.requests - a.requests || (a.kind < b.kind ? -1 : 1)),
    series: [...group((r) => Math.floor(r.at / bucketMs) * bucketMs).entries()]
      .map(([bucketStart, xs]) => ({
        bucketStart, requests: xs.length, totalTokens: sum(xs, (r) => r.totalTokens), costUsd: cost(xs), errors: xs.filter(isError).length,
      }))
      .sort((a, b) => a.bucketStart - b.bucketStart),
    bucketSeconds: SERIES_S[q.timeRange],
  };
}

const closeRel = (actual: number | null, expected: number | null, rel: number, label: string): void => {
  if (expected === null || actual === null) {
    expect(actual, label).toBe(expected);
    return;
  }
  expect(Math.abs(actual - expected), `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(rel * Math.abs(expected) + 1e-300);
};
const closePercentile = (actual: number | null, expected: number | null, label: string): void => {
  if (expected === null || actual === null) {
    expect(actual, label).toBe(expected);
    return;
  }
  const tolerance = expected < 1 ? 0.5 : HIST_RELATIVE_PRECISION * expected * 1.0001;
  expect(Math.abs(actual - expected), `${label}: ${actual} vs exact ${expected}`).toBeLessThanOrEqual(tolerance);
};

function expectStats(actual: GatewayStatsResult, expected: GatewayStatsResult, label: string): void {
  const ints = ['totalRequests', 'totalTokens', 'promptTokens', 'completionTokens', 'uniqueModels', 'uniqueKeys', 'cancelledRequests', 'fallbackAttempts', 'bucketSeconds'] as const;
  for (const k of ints) expect(actual[k], `${label} ${k}`).toBe(expected[k]);
  closeRel(actual.totalCostUsd, expected.totalCostUsd, 1e-15, `${label} totalCostUsd`);
  closeRel(actual.avgLatencyMs, expected.avgLatencyMs, 1e-9, `${label} avgLatencyMs`);
  closeRel(actual.avgTokensPerSecond, expected.avgTokensPerSecond, 1e-9, `${label} avgTokensPerSecond`);
  closeRel(actual.errorRate, expected.errorRate, 1e-12, `${label} errorRate`);
  closePercentile(actual.latencyP50Ms, expected.latencyP50Ms, `${label} latencyP50Ms`);
  closePercentile(actual.latencyP95Ms, expected.latencyP95Ms, `${label} latencyP95Ms`);
  closePercentile(actual.ttftP50Ms, expected.ttftP50Ms, `${label} ttftP50Ms`);
  closePercentile(actual.ttftP95Ms, expected.ttftP95Ms, `${label} ttftP95Ms`);
  expect(actual.byModel.map((m) => [m.model, m.requests, m.totalTokens]), `${label} byModel`).toEqual(
    expected.byModel.map((m) => [m.model, m.requests, m.totalTokens]),
  );
  actual.byModel.forEach((m, i) => {
    const e = expected.byModel[i];
    closeRel(m.costUsd, e?.costUsd ?? null, 1e-15, `${label} byModel ${m.model} costUsd`);
    closeRel(m.avgLatencyMs, e?.avgLatencyMs ?? null, 1e-9, `${label} byModel ${m.model} avgLatencyMs`);
    closeRel(m.errorRate, e?.errorRate ?? null, 1e-12, `${label} byModel ${m.model} errorRate`);
  });
  expect(actual.byKind.map((k) => [k.kind, k.requests, k.totalTokens]), `${label} byKind`).toEqual(
    expected.byKind.map((k) => [k.kind, k.requests, k.totalTokens]),
  );
  actual.byKind.forEach((k, i) => {
    const e = expected.byKind[i];
    closeRel(k.costUsd, e?.costUsd ?? null, 1e-15, `${label} byKind ${k.kind} costUsd`);
    closeRel(k.avgLatencyMs, e?.avgLatencyMs ?? null, 1e-9, `${label} byKind ${k.kind} avgLatencyMs`);
    closeRel(k.errorRate, e?.errorRate ?? null, 1e-12, `${label} byKind ${k.kind} errorRate`);
  });
  expect(actual.series.map((p) => [p.bucketStart, p.requests, p.totalTokens, p.errors]), `${label} series`).toEqual(
    expected.series.map((p) => [p.bucketStart, p.requests, p.totalTokens, p.errors]),
  );
  actual.series.forEach((p, i) => closeRel(p.costUsd, expected.series[i]?.costUsd ?? null, 1e-15, `${label} series ${p.bucketStart} costUsd`));
}


const newKey: typeof newKeyAt = (over = {}) => newKeyAt({ createdAt: NOW, ...over });

// ---------------------------------------------------------------------------------------------------------------

function describeStore(name: 'sqlite' | 'postgres', makeHarness: () => Harness): void {
  describe(`GatewayStore (${name})`, () => {
    let h: Harness;
    let store: GatewayStore;
    beforeAll(async () => {
      h = makeHarness();
      store = await openStore(h.newUrl('shared'));
    });
    afterAll(async () => {
      await store?.close();
      await h?.cleanup();
    });

    it('opens the right implementation; migrations are idempotent (open twice, migrate again)', async () => {
      expect(store.kind).toBe(name);
      const url = h.newUrl('migrations');
      const first = await openStore(url);
      const key = await first.createKey(newKey());
      const second = await openStore(url); // runs migrate() again on a migrated database
      await second.migrate();
      await first.migrate();
      expect((await second.findKeyByName(key.name))?.id).toBe(key.id);
      await Promise.all([first.close(), second.close()]);
    });

    it('creates, finds, lists and revokes keys; duplicate names fail with KEY_NAME_TAKEN', async () => {
      const admin = await store.createKey(newKey({ name: `admin-${rand6()}`, isAdmin: true, createdAt: NOW - 1000 }));
      const limited = await store.createKey(newKey({ budgetUsd: 12.5, rpm: 60 }));
      expect(limited).toEqual({ ...limited, budgetUsd: 12.5, rpm: 60, spendUsd: 0, reservedUsd: 0, lastUsedAt: null, revokedAt: null });
      expect(await store.findKeyByHash(admin.hash)).toEqual(admin);
      expect(await store.findKeyByName(limited.name)).toEqual(limited);
      expect(await store.findKeyByHash('nope')).toBeNull();
      expect(await store.findKeyByName('nope')).toBeNull();
      const listed = await store.listKeys();
      expect(listed).toContainEqual(admin);
      expect(listed).toContainEqual(limited);
      expect(listed.findIndex((k) => k.id === admin.id)).toBeLessThan(listed.findIndex((k) => k.id === limited.id));

      await expect(store.createKey(newKey({ name: limited.name }))).rejects.toMatchObject({ code: 'KEY_NAME_TAKEN' });

      expect(await store.revokeKey(limited.name, NOW + 5)).toBe(true);
      expect(await store.revokeKey(limited.name, NOW + 6)).toBe(false);
      expect(await store.revokeKey('no-such-key', NOW)).toBe(false);
      expect((await store.findKeyByHash(limited.hash))?.revokedAt).toBe(NOW + 5); // still found: auth checks revokedAt
      // A revoked key's name may be reused (tests/operators/key-store.test.ts has the rest).
      const reused = await store.createKey(newKey({ name: limited.name }));
      expect(await store.findKeyByName(limited.name)).toEqual(reused);
    });

    it('touchKey records last use and never moves it backwards', async () => {
      const k = await store.createKey(newKey());
      await store.touchKey(k.id, NOW + 100);
      expect((await store.findKeyByName(k.name))?.lastUsedAt).toBe(NOW + 100);
      await store.touchKey(k.id, NOW + 50);
      expect((await store.findKeyByName(k.name))?.lastUsedAt).toBe(NOW + 100);
      await store.touchKey('unknown-id', NOW); // no-op
    });

    it('insertActivity is idempotent: the same ids twice (and duplicates within a batch) count once', async () => {
      const gateway = `gw-idem-${rand6()}`;
      const rows = Array.from({ length: 30 }, (_, i) => entry({ gateway, keyId: 'key-idem', at: NOW - i * 7 * MIN }));
      await store.insertActivity(rows);
      await store.insertActivity(rows);
      const extra = entry({ gateway, keyId: 'key-idem', at: NOW - 1000 });
      await store.insertActivity([rows[0] as ActivityEntry, extra, extra, rows[5] as ActivityEntry]);
      await store.insertActivity([]);
      for (const timeRange of ['LAST_1H', 'ALL'] as const) {
        const got = await store.stats({ gateway, timeRange, now: NOW });
        expectStats(got, reference([...rows, extra], { gateway, timeRange, now: NOW }), `${timeRange}`);
      }
      expect(await store.listActivity({ keyId: 'key-idem', limit: 100 })).toHaveLength(31);
      const all = await store.stats({ gateway, timeRange: 'ALL', now: NOW });
      expect(all.totalRequests).toBe(31);
      expect(all.totalCostUsd).toBeCloseTo(8.8e-6 * 31, 15);
    });

    it('a large batch (duplicates across its slices) counts each row once, and other work runs while it is written', async () => {
      const gateway = `gw-big-${rand6()}`;
      const rows = Array.from({ length: 2000 }, (_, i) => entry({ gateway, keyId: 'key-big', at: NOW - i * 1000 }));
      const batch = [...rows, rows[0] as ActivityEntry, rows[1500] as ActivityEntry, rows[40] as ActivityEntry];
      // A timer due at once: it fires only if the write hands the event loop back before it ends.
      let ticks = 0;
      const timer = setInterval(() => ticks++, 0);
      try {
        await store.insertActivity(batch);
      } finally {
        clearInterval(timer);
      }
      expect(ticks).toBeGreaterThan(0);
      const all = await store.stats({ gateway, timeRange: 'ALL', now: NOW });
      expectStats(all, reference(rows, { gateway, timeRange: 'ALL', now: NOW }), 'ALL');
      expect(all.totalRequests).toBe(2000);
    });

    it('listActivity returns rows as inserted (trace id included), newest first, filtered by key and limited', async () => {
      const url = h.newUrl('list');
      const s = await openStore(url);
      try {
        const rows = [
          // The trace id (migration 6) is kept as is; the span id is only for the log line.
          entry({ keyId: 'key-l1', at: NOW - 3000, stream: true, ttftMs: 12.5, costUsd: 1.2345678901234567e-7, usageEstimated: true, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }),
          entry({ keyId: 'key-l2', at: NOW - 2000, costUsd: null, tokensPerSecond: null, finishReason: null, errorCode: 'UPSTREAM_TIMEOUT' }),
          entry({ keyId: null, at: NOW - 1000, cancelled: true, finishReason: 'CANCELLED' }),
        ];
        await s.insertActivity(rows);
        expect(await s.listActivity({ limit: 10 })).toEqual([rows[2], rows[1], rows[0]]);
        expect(await s.listActivity({ limit: 2, keyId: null })).toEqual([rows[2], rows[1]]);
        expect(await s.listActivity({ limit: 10, keyId: 'key-l1' })).toEqual([rows[0]]);
        expect(await s.spendFromLog('key-l1')).toBe(1.2345678901234567e-7);
        expect(await s.spendFromLog('key-l2')).toBe(0);
        expect(await s.spendFromLog('nobody')).toBe(0);
      } finally {
        await s.close();
      }
    });

    it('keeps full precision on money: n × 8.8e-6', async () => {
      const gateway = `gw-money-${rand6()}`;
      const n = 1234;
      const rows = Array.from({ length: n }, (_, i) => entry({ gateway, keyId: 'key-money', at: NOW - (i % 600) * 9 * MIN - 1 }));
      for (let i = 0; i < n; i += 200) await store.insertActivity(rows.slice(i, i + 200));
      const all = await store.stats({ gateway, timeRange: 'ALL', now: NOW });
      expect(all.totalCostUsd).toBeCloseTo(8.8e-6 * n, 15);
      closeRel(all.totalCostUsd, 8.8e-6 * n, 1e-15, 'ALL total');
      const mine = await store.stats({ gateway, timeRange: 'LAST_30D', now: NOW, keyId: 'key-money' });
      closeRel(mine.totalCostUsd, 8.8e-6 * n, 1e-15, 'key total');
      closeRel(await store.spendFromLog('key-money'), 8.8e-6 * n, 1e-15, 'spendFromLog');
    });

    it('errorRate counts rows with an error code; cancelled rows are not errors', async () => {
      const gateway = `gw-err-${rand6()}`;
      await store.insertActivity([
        entry({ gateway }),
        entry({ gateway, errorCode: 'UPSTREAM_UNAVAILABLE' }),
        entry({ gateway, cancelled: true, finishReason: 'CANCELLED' }),
        entry({ gateway, cancelled: true, errorCode: 'UPSTREAM_TIMEOUT' }),
      ]);
      const s = await store.stats({ gateway, timeRange: 'LAST_1H', now: NOW });
      expect(s.errorRate).toBe(0.25);
      expect(s.cancelledRequests).toBe(2);
      expect(s.series.reduce((n, p) => n + p.errors, 0)).toBe(1);
      expect(s.byModel[0]?.errorRate).toBe(0.25);
    });

    it('an empty scope gives zeros and nulls', async () => {
      const s = await store.stats({ gateway: 'gw-nothing', timeRange: 'LAST_24H', now: NOW, keyId: 'nobody' });
      expect(s).toEqual({
        totalRequests: 0, totalTokens: 0, promptTokens: 0, completionTokens: 0, totalCostUsd: 0, uniqueModels: 0, uniqueKeys: 0,
        avgTokensPerSecond: null, avgLatencyMs: null, errorRate: 0, cancelledRequests: 0, fallbackAttempts: 0, latencyP50Ms: null, latencyP95Ms: null,
        ttftP50Ms: null, ttftP95Ms: null, byModel: [], byKind: [], series: [], bucketSeconds: 3600,
      });
    });

    describe('stats() against a reference computed from the rows', () => {
      const rows = dataset();
      let s: GatewayStore;
      beforeAll(async () => {
        s = await openStore(h.newUrl('stats'));
        // Shuffled, in batches: rollup rows are merged across transactions and out of time order.
        const r = rng(3);
        const shuffled = [...rows].sort(() => r() - 0.5);
        for (let i = 0; i < shuffled.length; i += 250) await s.insertActivity(shuffled.slice(i, i + 250));
      });
      afterAll(async () => {
        await s?.close();
      });

      const cases = RANGES.flatMap((timeRange) =>
        [null, 'key-a', 'key-c', 'key-none'].map((keyId) => ({ timeRange, keyId })),
      );
      it.each(cases)('$timeRange for keyId=$keyId', async ({ timeRange, keyId }) => {
        const q: StatsQuery = { gateway: 'gw-main', timeRange, now: NOW, keyId };
        const expected = reference(rows, q);
        if (keyId !== 'key-none') expect(expected.totalRequests).toBeGreaterThan(0);
        expectStats(await s.stats(q), expected, `${timeRange}/${keyId}`);
      });

      it.each(RANGES.flatMap((timeRange) => [null, 'key-b'].map((keyId) => ({ timeRange, keyId }))))(
        'series percentiles and usage per key: $timeRange for keyId=$keyId',
        async ({ timeRange, keyId }) => {
          const q: StatsQuery = { gateway: 'gw-main', timeRange, now: NOW, keyId };
          const expected = reference(rows, q);
          const actual = await s.stats({ ...q, seriesPercentiles: true, byKey: true });
          // Reading the finer histogram rows changes nothing else, and the totals' percentiles stay within bounds.
          expectStats(actual, expected, `${timeRange}/${keyId} +series`);
          const from = NOW - RANGE_MS[timeRange];
          const sel = rows.filter((r) => r.gateway === 'gw-main' && r.at >= from && (keyId === null || r.keyId === keyId));
          const bucketMs = SERIES_S[timeRange] * 1000;
          for (const point of actual.series) {
            const inBucket = sel.filter((r) => Math.floor(r.at / bucketMs) * bucketMs === point.bucketStart);
            const ttfts = inBucket.flatMap((r) => (r.ttftMs === null ? [] : [r.ttftMs]));
            const label = `${timeRange}/${keyId} bucket ${point.bucketStart}`;
            closePercentile(point.latencyP50Ms ?? null, nearestRank(inBucket.map((r) => r.latencyMs), 0.5), `${label} latencyP50Ms`);
            closePercentile(point.latencyP95Ms ?? null, nearestRank(inBucket.map((r) => r.latencyMs), 0.95), `${label} latencyP95Ms`);
            closePercentile(point.ttftP50Ms ?? null, nearestRank(ttfts, 0.5), `${label} ttftP50Ms`);
            closePercentile(point.ttftP95Ms ?? null, nearestRank(ttfts, 0.95), `${label} ttftP95Ms`);
          }
          if (keyId !== null) {
            expect(actual.keyUsage, 'a one-key query has no per-key breakdown').toBeUndefined();
            return;
          }
          const keys = [...new Set(sel.flatMap((r) => (r.keyId ? [r.keyId] : [])))];
          const perKey = keys.map((k) => {
            const xs = sel.filter((r) => r.keyId === k);
            const cost = new Kahan();
            for (const x of xs) cost.add(x.costUsd ?? 0);
            return { keyId: k, requests: xs.length, errors: xs.filter(isError).length, totalTokens: xs.reduce((n, x) => n + x.totalTokens, 0), costUsd: cost.value };
          });
          expect(keys.length).toBeGreaterThan(0);
          expect(actual.keyUsage?.map((u) => [u.keyId, u.requests, u.errors, u.totalTokens]).sort()).toEqual(
            perKey.map((u) => [u.keyId, u.requests, u.errors, u.totalTokens]).sort(),
          );
          for (const u of actual.keyUsage ?? []) closeRel(u.costUsd, perKey.find((e) => e.keyId === u.keyId)?.costUsd ?? null, 1e-15, `${timeRange} ${u.keyId} costUsd`);
          const costs = (actual.keyUsage ?? []).map((u) => u.costUsd);
          expect(costs, 'most spent first').toEqual([...costs].sort((a, b) => b - a));
        },
      );

      it('boundaries are exact: at = now - range is in, one millisecond earlier is out', async () => {
        for (const timeRange of ['LAST_1H', 'LAST_24H', 'LAST_7D', 'LAST_30D'] as const) {
          const at = await s.stats({ gateway: 'gw-main', timeRange, now: NOW });
          const before = await s.stats({ gateway: 'gw-main', timeRange, now: NOW + 1 });
          const inAt = rows.filter((r) => r.gateway === 'gw-main' && r.at === NOW - RANGE_MS[timeRange]).length;
          expect(inAt).toBeGreaterThan(0);
          expect(at.totalRequests - before.totalRequests, timeRange).toBe(inAt);
        }
      });

      it('the all-keys view covers keyless rows; uniqueKeys ignores them', async () => {
        const q: StatsQuery = { gateway: 'gw-main', timeRange: 'ALL', now: NOW };
        const all = await s.stats(q);
        const perKey = await Promise.all(['key-a', 'key-b', 'key-c'].map((keyId) => s.stats({ ...q, keyId })));
        const keyless = rows.filter((r) => r.gateway === 'gw-main' && r.keyId === null).length;
        expect(keyless).toBeGreaterThan(0);
        expect(all.totalRequests).toBe(perKey.reduce((n, x) => n + x.totalRequests, 0) + keyless);
        expect(all.uniqueKeys).toBe(3);
      });
    });
  });
}

describeStore('sqlite', sqliteHarness);

const pgUp = await postgresReachable();
if (!pgUp) console.warn(`PostgreSQL not reachable at ${PG_URL}: skipping the PostgreSQL store tests`);
(pgUp ? describe : describe.skip)('PostgreSQL', () => describeStore('postgres', postgresHarness));

describe('openStore URLs', () => {
  it('creates the SQLite file and its folders (file: URL, plain path, :memory:)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'store-url-'));
    try {
      const viaUrl = join(dir, 'a', 'b', 'x.db');
      const s1 = await openStore(`file:${viaUrl}`);
      await s1.close();
      expect(existsSync(viaUrl)).toBe(true);
      const plain = join(dir, 'c', 'y.db');
      const s2 = await openStore(plain);
      expect(s2.kind).toBe('sqlite');
      await s2.close();
      expect(existsSync(plain)).toBe(true);
      const mem = await openStore(':memory:');
      await mem.createKey(newKey());
      expect(await mem.listKeys()).toHaveLength(1);
      await mem.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses PostgreSQL URLs and the schema parameter', () => {
    expect(parseDatabaseUrl('postgres://u@h:5432/db?schema=abc_1&sslmode=disable')).toEqual({
      kind: 'postgres', connectionString: 'postgres://u@h:5432/db?sslmode=disable', schema: 'abc_1',
    });
    expect(parseDatabaseUrl('postgresql://u@h/db')).toMatchObject({ kind: 'postgres', schema: null });
    expect(() => parseDatabaseUrl('postgres://u@h/db?schema=x;drop')).toThrow(/schema/);
    expect(parseDatabaseUrl('file:./data/x.db')).toEqual({ kind: 'sqlite', filename: './data/x.db' });
    expect(parseDatabaseUrl('file:///tmp/x.db')).toEqual({ kind: 'sqlite', filename: '/tmp/x.db' });
    expect(parseDatabaseUrl(':memory:')).toEqual({ kind: 'sqlite', filename: ':memory:' });
  });
});
