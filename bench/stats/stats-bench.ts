/**
 * Stats benchmark: fills a fresh store with N synthetic activity rows (spread over 60 days, ~20 models, ~50 keys,
 * log-normal latencies) through insertActivity in batches, then times stats() per TimeRange (median of 5 runs after
 * 1 warm-up) for all keys and for one key. Prints a table, writes bench/results/stats-<db>.json.
 *
 *   npx tsx bench/stats/stats-bench.ts [--rows 1000000] [--db sqlite|postgres|both] [--batch 5000] [--pg-url postgres://…] [--keep]
 *
 * SQLite goes to a temp file (deleted afterwards); PostgreSQL to a throwaway schema `stats_bench_<pid>` (dropped).
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openStore } from '../../src/store/index.ts';
import type { GatewayStore } from '../../src/store/types.ts';
import type { TimeRange } from '../../src/usage/stats-types.ts';
import type { ActivityEntry } from '../../src/usage/activity.ts';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    db: { type: 'string', default: 'both' },
    batch: { type: 'string', default: '5000' },
    'pg-url': { type: 'string', default: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    /** Keep the filled database (prints its URL) instead of deleting it — for profiling. */
    keep: { type: 'boolean', default: false },
  },
});
const ROWS = Number(args.rows);
const BATCH = Number(args.batch);
const DAYS = 60;
const GATEWAY = 'bench';
const RANGES: TimeRange[] = ['LAST_1H', 'LAST_24H', 'LAST_7D', 'LAST_30D', 'ALL'];
const RESULTS_DIR = new URL('../results/', import.meta.url);

/** mulberry32: deterministic data across runs and databases. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
let rand = rng(42);
const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const logNormal = (median: number, sigma: number): number => median * Math.exp(sigma * gauss());

const MODELS = Array.from({ length: 20 }, (_, i) => ({
  id: `vendor-${i % 5}/model-${i}`,
  inPerToken: (0.1 + i * 0.15) / 1e6,
  outPerToken: (0.2 + i * 0.3) / 1e6,
  latencyMedian: 250 + i * 180,
  weight: 1 / (i + 1),
}));
const KEYS = Array.from({ length: 50 }, (_, i) => ({ id: `key-${String(i).padStart(2, '0')}`, weight: 1 / Math.sqrt(i + 1) }));
const ERRORS = ['UPSTREAM_TIMEOUT', 'UPSTREAM_UNAVAILABLE', 'RATE_LIMITED', 'CONTEXT_LENGTH_EXCEEDED'] as const;

function picker<T extends { weight: number }>(items: T[]): () => T {
  const total = items.reduce((s, x) => s + x.weight, 0);
  return () => {
    let r = rand() * total;
    for (const x of items) if ((r -= x.weight) <= 0) return x;
    return items[items.length - 1] as T;
  };
}
const pickModel = picker(MODELS);
const pickKey = picker(KEYS);

function makeRow(i: number, start: number, spanMs: number): ActivityEntry {
  const model = pickModel();
  const stream = rand() < 0.7;
  const cancelled = rand() < 0.01;
  const errorCode = !cancelled && rand() < 0.02 ? (ERRORS[Math.floor(rand() * ERRORS.length)] ?? null) : null;
  const promptTokens = Math.round(logNormal(600, 1));
  const completionTokens = errorCode ? 0 : Math.round(logNormal(250, 0.9));
  const latencyMs = Math.round(logNormal(model.latencyMedian, 0.6) * 10) / 10;
  const ttftMs = stream && !errorCode ? Math.min(latencyMs, Math.round(logNormal(model.latencyMedian / 4, 0.5))) : null;
  const genMs = latencyMs - (ttftMs ?? 0);
  return {
    id: `row-${String(i).padStart(8, '0')}`,
    requestId: `req-${i}`,
    at: Math.floor(start + ((i + rand()) * spanMs) / ROWS),
    keyId: rand() < 0.02 ? null : pickKey().id,
    gateway: GATEWAY,
    provider: 'together',
    attempt: 0,
    model: model.id,
    kind: 'chat',
    stream,
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    cachedTokens: 0,
    reasoningTokens: 0,
    costUsd: errorCode ? 0 : promptTokens * model.inPerToken + completionTokens * model.outPerToken,
    latencyMs,
    ttftMs,
    tokensPerSecond: completionTokens > 0 && genMs > 0 ? completionTokens / (genMs / 1000) : null,
    finishReason: cancelled ? 'CANCELLED' : errorCode ? 'ERROR' : 'STOP',
    errorCode,
    cancelled,
    usageEstimated: false,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

interface Timing {
  range: TimeRange;
  scope: 'all' | 'key';
  medianMs: number;
  runsMs: number[];
  totalRequests: number;
}

async function bench(db: 'sqlite' | 'postgres'): Promise<void> {
  const pgUrl = args['pg-url'] as string;
  const schema = `stats_bench_${process.pid}`;
  const sqlitePath = join(tmpdir(), `stats-bench-${process.pid}`, 'bench.db');
  const url = db === 'sqlite' ? `file:${sqlitePath}` : `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}schema=${schema}`;
  const store: GatewayStore = await openStore(url);
  const now = Date.now();
  rand = rng(42);
  const start = now - DAYS * 86_400_000;
  try {
    console.log(`\n[${db}] inserting ${ROWS.toLocaleString()} rows in batches of ${BATCH} …`);
    const t0 = performance.now();
    let lastLog = t0;
    for (let i = 0; i < ROWS; i += BATCH) {
      const batch: ActivityEntry[] = [];
      for (let j = i; j < Math.min(ROWS, i + BATCH); j++) batch.push(makeRow(j, start, DAYS * 86_400_000));
      await store.insertActivity(batch);
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        const done = i + batch.length;
        console.log(`  ${done.toLocaleString()} rows, ${Math.round(done / ((lastLog - t0) / 1000)).toLocaleString()} rows/s`);
      }
    }
    const insertSeconds = (performance.now() - t0) / 1000;
    const rowsPerSecond = Math.round(ROWS / insertSeconds);
    console.log(`[${db}] inserted in ${insertSeconds.toFixed(1)} s: ${rowsPerSecond.toLocaleString()} rows/s`);

    const timings: Timing[] = [];
    for (const scope of ['all', 'key'] as const) {
      for (const range of RANGES) {
        const q = { gateway: GATEWAY, timeRange: range, now, keyId: scope === 'key' ? 'key-00' : null };
        await store.stats(q); // warm-up
        const runsMs: number[] = [];
        let totalRequests = 0;
        for (let r = 0; r < 5; r++) {
          const t = performance.now();
          totalRequests = (await store.stats(q)).totalRequests;
          runsMs.push(Math.round((performance.now() - t) * 100) / 100);
        }
        timings.push({ range, scope, medianMs: median(runsMs), runsMs, totalRequests });
      }
    }
    const all = timings.find((t) => t.range === 'ALL' && t.scope === 'all');
    if (all?.totalRequests !== ROWS) throw new Error(`ALL counted ${all?.totalRequests} rows, expected ${ROWS}`);

    console.log(`\n[${db}] stats() median of 5 (ms), ${ROWS.toLocaleString()} rows`);
    console.log('range      | all keys ms | requests  | one key ms | requests');
    for (const range of RANGES) {
      const a = timings.find((t) => t.range === range && t.scope === 'all') as Timing;
      const k = timings.find((t) => t.range === range && t.scope === 'key') as Timing;
      console.log(
        `${range.padEnd(10)} | ${a.medianMs.toFixed(2).padStart(11)} | ${String(a.totalRequests).padStart(9)} | ${k.medianMs.toFixed(2).padStart(10)} | ${k.totalRequests}`,
      );
    }
    const sizes = db === 'sqlite' ? { fileBytes: statSync(sqlitePath).size + walSize(sqlitePath) } : await pgSizes(pgUrl, schema);
    const result = {
      db, rows: ROWS, batch: BATCH, days: DAYS, models: MODELS.length, keys: KEYS.length, node: process.version,
      at: new Date().toISOString(), insertSeconds: Math.round(insertSeconds * 10) / 10, rowsPerSecond, sizes, stats: timings,
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = new URL(`stats-${db}.json`, RESULTS_DIR);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`[${db}] wrote ${file.pathname}`, sizes);
  } finally {
    await store.close();
    if (args.keep) console.log(`[${db}] kept: ${url}`);
    else if (db === 'sqlite') rmSync(join(sqlitePath, '..'), { recursive: true, force: true });
    else await withPg(pgUrl, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  }
}

function walSize(path: string): number {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}

async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function pgSizes(url: string, schema: string): Promise<Record<string, string>> {
  return withPg(url, async (c) => {
    const { rows } = await c.query<{ relname: string; size: string }>(
      `SELECT c.relname, pg_size_pretty(pg_total_relation_size(c.oid)) AS size FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY c.relname`,
      [schema],
    );
    return Object.fromEntries(rows.map((r) => [r.relname, r.size]));
  });
}

const dbs = args.db === 'both' ? (['sqlite', 'postgres'] as const) : [args.db as 'sqlite' | 'postgres'];
for (const db of dbs) {
  if (db !== 'sqlite' && db !== 'postgres') throw new Error(`--db must be sqlite, postgres or both (got ${db})`);
  await bench(db);
}
