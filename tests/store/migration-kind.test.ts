/**
 * Migration 3 (call kind) on a database written by the previous version: its rows and rollups become chat, stats
 * still count them, and new rows of every kind land beside them. SQLite and PostgreSQL.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, parseDatabaseUrl } from '../../src/store/index.ts';
import { MIGRATIONS, SCHEMA_MIGRATIONS_DDL } from '../../src/store/migrations.ts';
import { ALL_KEYS_SCOPE, HOUR_MS } from '../../src/store/rollup.ts';
import type { ActivityEntry } from '../../src/usage/activity.ts';
import { type Harness, postgresHarness, postgresReachable, sqliteHarness } from './harness.ts';

const NOW = Date.UTC(2025, 5, 15, 13, 37, 21, 123);
const OLD_AT = NOW - 3 * HOUR_MS; // whole hours ago: stats read it from the rollup, not the log
const BEFORE_KIND = MIGRATIONS.filter((m) => m.version < 3);

const OLD_ROW = `INSERT INTO activity (id, request_id, at, key_id, gateway, provider, model, stream, prompt_tokens, completion_tokens,
  total_tokens, cached_tokens, reasoning_tokens, cost_usd, latency_ms, ttft_ms, tokens_per_second, finish_reason, error_code, cancelled,
  usage_estimated) VALUES ('old-1', 'r', ${OLD_AT}, 'k', 'gw', 'together', 'm/chat', FALSE, 10, 5, 15, 0, 0, 0.25, 100, NULL, NULL, 'STOP', NULL, FALSE, FALSE)`;
const OLD_ROLLUPS = [3_600_000, 86_400_000].map(
  (grain) => `INSERT INTO rollup (gateway, scope, grain, bucket_start, model, requests, errors, cancelled, prompt_tokens, completion_tokens,
    total_tokens, cost_usd, cost_err, latency_sum, tps_sum, tps_count)
    VALUES ('gw', '${ALL_KEYS_SCOPE}', ${grain}, ${Math.floor(OLD_AT / grain) * grain}, 'm/chat', 1, 0, 0, 10, 5, 15, 0.25, 0, 100, 0, 0)`,
);

async function writeVersion2(url: string): Promise<void> {
  const target = parseDatabaseUrl(url);
  if (target.kind === 'sqlite') {
    mkdirSync(dirname(target.filename), { recursive: true });
    const db = new Database(target.filename);
    db.exec(SCHEMA_MIGRATIONS_DDL('sqlite'));
    for (const m of BEFORE_KIND) {
      for (const sql of m.statements('sqlite')) db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, 0);
    }
    for (const sql of [OLD_ROW, ...OLD_ROLLUPS]) db.exec(sql.replace(/FALSE/g, '0'));
    db.close();
    return;
  }
  const c = new pg.Client({ connectionString: target.connectionString });
  await c.connect();
  try {
    await c.query(`CREATE SCHEMA "${target.schema}"`);
    await c.query(`SET search_path TO "${target.schema}"`);
    await c.query(SCHEMA_MIGRATIONS_DDL('postgres'));
    for (const m of BEFORE_KIND) {
      for (const sql of m.statements('postgres')) await c.query(sql);
      await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)', [m.version, m.name]);
    }
    for (const sql of [OLD_ROW, ...OLD_ROLLUPS]) await c.query(sql);
  } finally {
    await c.end();
  }
}

const newRow = (id: string, kind: ActivityEntry['kind']): ActivityEntry => ({
  id, requestId: id, at: OLD_AT + 1000, keyId: 'k', gateway: 'gw', provider: 'together', model: `m/${kind}`, kind, stream: false,
  promptTokens: 7, completionTokens: 0, totalTokens: 7, cachedTokens: 0, reasoningTokens: 0, costUsd: 0.5, latencyMs: 50, ttftMs: null,
  tokensPerSecond: null, finishReason: null, errorCode: null, cancelled: false, usageEstimated: false, attempt: 0,
});

function suite(name: string, makeHarness: () => Harness): void {
  const h = makeHarness();
  afterAll(() => h.cleanup());
  it(`${name}: old rows and rollups become chat; new rows keep their kind; stats break them down`, async () => {
    const url = h.newUrl('kind');
    await writeVersion2(url);
    const store = await openStore(url);
    try {
      await store.insertActivity([newRow('new-e', 'embedding'), newRow('new-i', 'image')]);
      const rows = await store.listActivity({ limit: 10 });
      expect(rows.map((r) => [r.id, r.kind]).sort()).toEqual([['new-e', 'embedding'], ['new-i', 'image'], ['old-1', 'chat']]);
      const stats = await store.stats({ gateway: 'gw', timeRange: 'LAST_24H', now: NOW });
      expect(stats.totalRequests).toBe(3);
      expect(stats.byKind.map((k) => [k.kind, k.requests, k.costUsd]).sort()).toEqual([['chat', 1, 0.25], ['embedding', 1, 0.5], ['image', 1, 0.5]]);
    } finally {
      await store.close();
    }
  });
}

describe('migration 3: call kind', () => {
  suite('sqlite', sqliteHarness);
});
const pgUp = await postgresReachable();
(pgUp ? describe : describe.skip)('migration 3: call kind (PostgreSQL)', () => suite('postgres', postgresHarness));
