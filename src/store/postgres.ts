/**
 * PostgreSQL store (pg.Pool, max 10). Batches go in with unnest() arrays; rollup deltas are pre-aggregated and sorted
 * by primary key so concurrent writers take row locks in one order (deadlocks/serialization failures are retried).
 * bigint (int8) and numeric results are parsed as JS numbers by this pool only (epoch ms and counters are far below
 * 2^53); money columns are double precision, so they come back as JS numbers with full precision.
 */
import { userInfo } from 'node:os';
import pg from 'pg';
import type { PoolClient } from 'pg';
import type { ActivityEntry } from '../usage/activity.ts';
import {
  HIST_CONFLICT, KEYS_CONFLICT, MIGRATIONS, histUpsertSet, ROLLUP_CONFLICT, ROLLUP_INSERT_COLUMNS, ROLLUP_UPSERT_SET, SCHEMA_MIGRATIONS_DDL,
} from './migrations.ts';
import { computeDeltas } from './rollup.ts';
import { ACTIVITY_COLUMNS, KEY_COLUMNS, activityFromRow, activityValues, keyFromRow, quarantineFromRow, quarantineJson } from './rows.ts';
import {
  BUDGET_EPSILON_USD, type GroupRow, type HistRow, type SqlQuery, buildStats, groupsQuery, histQuery, planStats, uniqueKeysQuery,
} from './stats-shared.ts';
import { type KeyUsageRow, buildKeyUsage, keyUsageQuery } from './stats-keys.ts';
import {
  type GatewayStore, type KeyLimitsPatch, type KeyRecord, type NewKey, type OrphanRule, type ReleasedReservations, type ReservationLease, keyNameTaken, rowRejected,
} from './types.ts';
import type { GatewayStatsResult, StatsQuery } from '../usage/stats-types.ts';

const MIGRATION_LOCK_ID = 0x67775f73746f7265n; // pg_advisory_xact_lock key ("gw_store")
const RETRYABLE = new Set(['40P01', '40001']); // deadlock_detected, serialization_failure
const INT8_OID = 20;
/** The database's clock in epoch ms (now(): the transaction's start, one instant for all its statements). */
const PG_NOW_MS = `(extract(epoch from now()) * 1000)::bigint`;
/**
 * SQLSTATE classes where the data itself is refused, not the connection: 22 data exception (NUL in text 22021,
 * integer out of range 22003), 23 integrity constraint violation, 54 program limit exceeded (index row too large).
 */
const ROW_ERROR_CLASSES = new Set(['22', '23', '54']);
const isRowError = (err: unknown): boolean => ROW_ERROR_CLASSES.has(String((err as { code?: unknown })?.code ?? '').slice(0, 2));
const NUMERIC_OID = 1700;

const getTypeParser = ((oid: number, format?: 'text' | 'binary') =>
  oid === INT8_OID || oid === NUMERIC_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser;

/** '?' placeholders (stats-shared.ts) → $1, $2, … */
const numbered = (sql: string): string => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};

const ACTIVITY_TYPES = [
  'text', 'text', 'bigint', 'text', 'text', 'text', 'text', 'boolean', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint',
  'float8', 'float8', 'float8', 'float8', 'text', 'text', 'boolean', 'boolean', 'text', 'text', 'integer',
];
const INSERT_ACTIVITY = `INSERT INTO activity (${ACTIVITY_COLUMNS.join(', ')})
  SELECT * FROM unnest(${ACTIVITY_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})
  ON CONFLICT (id) DO NOTHING RETURNING id`;
const ROLLUP_TYPES = ['text', 'text', 'integer', 'bigint', 'text', 'text', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'float8', 'float8', 'float8', 'float8', 'bigint', 'bigint'];
const UPSERT_ROLLUP = `INSERT INTO rollup (${ROLLUP_INSERT_COLUMNS})
  SELECT * FROM unnest(${ROLLUP_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})
  ON CONFLICT ${ROLLUP_CONFLICT} DO UPDATE SET ${ROLLUP_UPSERT_SET}`;
const UPSERT_HIST = `INSERT INTO rollup_hist (gateway, scope, grain, bucket_start, latency_hist, ttft_hist)
  SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[], $5::jsonb[], $6::jsonb[])
  ON CONFLICT ${HIST_CONFLICT} DO UPDATE SET ${histUpsertSet('postgres')}`;
const UPSERT_KEYS = `INSERT INTO rollup_keys (gateway, grain, bucket_start, key_id, requests)
  SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::text[], $5::bigint[])
  ON CONFLICT ${KEYS_CONFLICT} DO UPDATE SET requests = rollup_keys.requests + excluded.requests`;

/** Column-major arrays for unnest(). */
function columns<T>(items: readonly T[], width: number, values: (item: T) => unknown[]): unknown[][] {
  const cols: unknown[][] = Array.from({ length: width }, () => new Array<unknown>(items.length));
  items.forEach((item, i) => values(item).forEach((v, c) => ((cols[c] as unknown[])[i] = v)));
  return cols;
}

export interface PostgresOptions {
  connectionString: string;
  /** Schema for all tables (created if missing) via search_path; null = the server default (public). */
  schema: string | null;
  max?: number;
}

/**
 * A URL without a user name connects as the OS user, as libpq (psql) does. pg falls back to $USER only, so under a
 * service manager or `env -i` (no USER) it sent no user at all ("no PostgreSQL user name specified in startup packet").
 */
function withDefaultUser(connectionString: string): string {
  const url = new URL(connectionString);
  if (url.username || process.env.PGUSER || url.searchParams.has('user')) return connectionString;
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER || process.env.LOGNAME; // no passwd entry for this uid (some containers)
  }
  if (!user) return connectionString;
  url.username = encodeURIComponent(user);
  return url.toString();
}

export async function openPostgresStore(options: PostgresOptions): Promise<GatewayStore> {
  const { schema } = options;
  const pool = new pg.Pool({
    connectionString: withDefaultUser(options.connectionString),
    max: options.max ?? 10,
    // A database that accepts TCP but never answers must not hang requests forever: a new connection that is not
    // ready in 5 s fails (the request gets its error, /readyz already says 503 after 2 s).
    connectionTimeoutMillis: 5_000,
    types: { getTypeParser },
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  pool.on('error', () => undefined); // an idle client died; the pool replaces it and the next query reports problems
  const store = new PostgresStore(pool);
  try {
    if (schema) {
      await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`).catch((err: { code?: string }) => {
        if (err.code !== '23505' && err.code !== '42P06') throw err; // lost a creation race: fine
      });
    }
    await store.migrate();
  } catch (err) {
    await pool.end();
    throw err;
  }
  return store;
}

class PostgresStore implements GatewayStore {
  readonly kind = 'postgres' as const;
  constructor(private readonly pool: pg.Pool) {}

  private async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const c = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await c.query('BEGIN');
        const result = await fn(c);
        await c.query('COMMIT');
        return result;
      } catch (err) {
        await c.query('ROLLBACK').catch((e: Error) => (broken = e));
        if (attempt < 3 && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
        throw err;
      } finally {
        c.release(broken);
      }
    }
  }

  private async rows<T>(q: SqlQuery): Promise<T[]> {
    return (await this.pool.query(numbered(q.sql), q.params)).rows as T[];
  }

  async migrate(): Promise<void> {
    await this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID.toString()]);
      await c.query(SCHEMA_MIGRATIONS_DDL('postgres'));
      const done = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        for (const sql of m.statements('postgres')) await c.query(sql);
        await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async createKey(key: NewKey): Promise<KeyRecord> {
    try {
      await this.pool.query(
        `INSERT INTO api_keys (id, name, prefix, hash, is_admin, budget_usd, rpm, spend_usd, reserved_usd, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, $8)`,
        [key.id, key.name, key.prefix, key.hash, key.isAdmin, key.budgetUsd, key.rpm, key.createdAt],
      );
    } catch (err) {
      const e = err as { code?: string; constraint?: string };
      if (e.code === '23505' && (e.constraint === 'api_keys_active_name' || e.constraint === 'api_keys_name_key')) throw keyNameTaken(key.name, err);
      throw err;
    }
    return { ...key, spendUsd: 0, reservedUsd: 0, lastUsedAt: null, revokedAt: null };
  }

  async findKeyByHash(hash: string): Promise<KeyRecord | null> {
    const { rows } = await this.pool.query(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE hash = $1`, [hash]);
    return rows[0] ? keyFromRow(rows[0]) : null;
  }

  async findKeyByName(name: string): Promise<KeyRecord | null> {
    const { rows } = await this.pool.query(
      `SELECT ${KEY_COLUMNS} FROM api_keys WHERE name = $1 ORDER BY revoked_at IS NULL DESC, created_at DESC LIMIT 1`,
      [name],
    );
    return rows[0] ? keyFromRow(rows[0]) : null;
  }

  async rotateKey(name: string, next: Pick<NewKey, 'id' | 'prefix' | 'hash' | 'createdAt'>, at: number): Promise<KeyRecord | null> {
    return this.tx(async (c) => {
      // The revocation frees the name in the partial unique index before the new row takes it.
      const { rows } = await c.query(
        `UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL RETURNING ${KEY_COLUMNS}`,
        [at, name],
      );
      if (!rows[0]) return null;
      const old = keyFromRow(rows[0]);
      await c.query(
        `INSERT INTO api_keys (id, name, prefix, hash, is_admin, budget_usd, rpm, spend_usd, reserved_usd, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9)`,
        [next.id, old.name, next.prefix, next.hash, old.isAdmin, old.budgetUsd, old.rpm, old.spendUsd, next.createdAt],
      );
      return { ...old, ...next, reservedUsd: 0, lastUsedAt: null, revokedAt: null };
    });
  }

  async updateKeyLimits(name: string, limits: KeyLimitsPatch): Promise<KeyRecord | null> {
    // $2/$4 say whether a field was given: an omitted field keeps its value, an explicit null clears the limit.
    const { rows } = await this.pool.query(
      `UPDATE api_keys SET budget_usd = CASE WHEN $2 THEN $3::double precision ELSE budget_usd END,
         rpm = CASE WHEN $4 THEN $5::integer ELSE rpm END
       WHERE name = $1 AND revoked_at IS NULL RETURNING ${KEY_COLUMNS}`,
      [name, limits.budgetUsd !== undefined, limits.budgetUsd ?? null, limits.rpm !== undefined, limits.rpm ?? null],
    );
    return rows[0] ? keyFromRow(rows[0]) : null;
  }

  async listKeys(): Promise<KeyRecord[]> {
    return (await this.pool.query(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at, name`)).rows.map(keyFromRow);
  }

  async revokeKey(name: string, at: number): Promise<boolean> {
    const r = await this.pool.query('UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL', [at, name]);
    return r.rowCount === 1;
  }

  async touchKey(id: string, at: number): Promise<void> {
    await this.pool.query('UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)', [at, id]);
  }

  async reserveBudget(keyId: string, amountUsd: number, lease: ReservationLease): Promise<boolean> {
    // One statement (one round trip, atomic): the conditional UPDATE, and the reservation row only if it passed.
    const r = await this.pool.query(
      `WITH reserved AS (
         UPDATE api_keys SET reserved_usd = reserved_usd + $1
         WHERE id = $2 AND (budget_usd IS NULL OR spend_usd + reserved_usd + $1 <= budget_usd + ${BUDGET_EPSILON_USD})
         RETURNING id)
       INSERT INTO budget_reservations (id, key_id, amount_usd, owner, created_at)
       SELECT $3, id, $1, $4, $5 FROM reserved`,
      [amountUsd, keyId, lease.id, lease.owner, lease.at],
    );
    return r.rowCount === 1;
  }

  async settleBudget(keyId: string, reservationId: string, actualUsd: number): Promise<void> {
    // The DELETE and the UPDATE are one statement: a reaper deleting the same row concurrently gets it or not, once.
    await this.pool.query(
      `WITH held AS (DELETE FROM budget_reservations WHERE id = $1 RETURNING amount_usd)
       UPDATE api_keys SET reserved_usd = GREATEST(reserved_usd - COALESCE((SELECT sum(amount_usd) FROM held), 0), 0),
         spend_usd = spend_usd + $2
       WHERE id = $3`,
      [reservationId, actualUsd, keyId],
    );
  }

  async heartbeat(owner: string, intervalMs: number, at?: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO gateway_replicas (id, heartbeat_at, heartbeat_ms) VALUES ($1, COALESCE($2::bigint, ${PG_NOW_MS}), $3)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = GREATEST(gateway_replicas.heartbeat_at, excluded.heartbeat_at),
         heartbeat_ms = excluded.heartbeat_ms`,
      [owner, at ?? null, Math.round(intervalMs)],
    );
  }

  async releaseOrphanedReservations(rule: OrphanRule): Promise<ReleasedReservations> {
    // One clock (the database's, fixed for the transaction), and each owner judged by its own interval.
    const params = [rule.now ?? null, rule.staleAfterBeats, Math.round(rule.fallbackIntervalMs)];
    const stale = `p.heartbeat_at < COALESCE($1::bigint, ${PG_NOW_MS}) - $2::bigint * COALESCE(p.heartbeat_ms, $3::bigint)`;
    return this.tx(async (c) => {
      const { rows } = await c.query<{ reservations: number; amount: number }>(
        `WITH orphans AS (
           DELETE FROM budget_reservations r
           WHERE NOT EXISTS (SELECT 1 FROM gateway_replicas p WHERE p.id = r.owner AND NOT (${stale}))
           RETURNING key_id, amount_usd),
         by_key AS (SELECT key_id, sum(amount_usd) AS amount, count(*) AS n FROM orphans GROUP BY key_id),
         released AS (
           UPDATE api_keys k SET reserved_usd = GREATEST(k.reserved_usd - b.amount, 0)
           FROM by_key b WHERE k.id = b.key_id RETURNING b.amount, b.n)
         SELECT COALESCE(sum(n), 0) AS reservations, COALESCE(sum(amount), 0) AS amount FROM released`,
        params,
      );
      await c.query(`DELETE FROM gateway_replicas p WHERE ${stale}`, params);
      return { reservations: Number(rows[0]?.reservations ?? 0), amountUsd: Number(rows[0]?.amount ?? 0) };
    });
  }

  async retireOwner(owner: string): Promise<void> {
    await this.pool.query('DELETE FROM gateway_replicas WHERE id = $1', [owner]);
  }

  async insertActivity(rows: ActivityEntry[]): Promise<void> {
    if (rows.length === 0) return;
    const unique = new Map<string, ActivityEntry>();
    for (const r of rows) if (!unique.has(r.id)) unique.set(r.id, r);
    const sorted = [...unique.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    await this.writeActivity(sorted).catch((err: unknown) => {
      throw isRowError(err) ? rowRejected(err) : err;
    });
  }

  async quarantineActivity(entry: ActivityEntry, reason: string, at: number): Promise<void> {
    await this.pool.query('INSERT INTO activity_quarantine (id, at, reason, entry_json) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING', [
      entry.id, Math.floor(at), reason, quarantineJson(entry),
    ]);
  }

  async listQuarantine(limit: number): Promise<Array<{ entry: ActivityEntry; reason: string; at: number }>> {
    const { rows } = await this.pool.query('SELECT * FROM activity_quarantine ORDER BY at DESC, id DESC LIMIT $1', [Math.max(0, Math.floor(limit))]);
    return rows.map(quarantineFromRow);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  private async writeActivity(sorted: ActivityEntry[]): Promise<void> {
    await this.tx(async (c) => {
      const res = await c.query<{ id: string }>(INSERT_ACTIVITY, columns(sorted, ACTIVITY_COLUMNS.length, activityValues));
      const inserted = new Set(res.rows.map((r) => r.id));
      const fresh = inserted.size === sorted.length ? sorted : sorted.filter((r) => inserted.has(r.id));
      if (fresh.length === 0) return;
      const d = computeDeltas(fresh);
      await c.query(
        UPSERT_ROLLUP,
        columns(d.rollup, 18, (r) => [r.gateway, r.scope, r.grain, r.bucketStart, r.model, r.kind, r.requests, r.errors, r.cancelled,
          r.promptTokens, r.completionTokens, r.totalTokens, r.cost.hi, r.cost.lo, r.latencySum, r.tpsSum, r.tpsCount, r.fallbacks]),
      );
      await c.query(
        UPSERT_HIST,
        columns(d.hist, 6, (h) => [h.gateway, h.scope, h.grain, h.bucketStart, JSON.stringify(h.latency), JSON.stringify(h.ttft)]),
      );
      if (d.keys.length > 0) {
        await c.query(UPSERT_KEYS, columns(d.keys, 5, (k) => [k.gateway, k.grain, k.bucketStart, k.keyId, k.requests]));
      }
    });
  }

  async stats(query: StatsQuery): Promise<GatewayStatsResult> {
    const keyId = query.keyId ?? null;
    const plan = planStats(query.timeRange, query.now, keyId ?? '');
    const perSeries = query.seriesPercentiles === true;
    if (keyId === '') return buildStats(plan, [], [], null, perSeries); // '' is never a key (such rows count as keyless)
    // Independent reads in parallel on the pool (not one snapshot: rows committed meanwhile may show in some).
    const [groups, histRows, keyRows, usageRows] = await Promise.all([
      this.rows<GroupRow>(groupsQuery('postgres', plan, query.gateway, keyId)),
      this.rows<HistRow>(histQuery('postgres', plan, query.gateway, keyId, perSeries)),
      keyId === null ? this.rows<{ n: number }>(uniqueKeysQuery(plan, query.gateway)) : Promise.resolve(null),
      query.byKey && keyId === null ? this.rows<KeyUsageRow>(keyUsageQuery('postgres', plan, query.gateway)) : Promise.resolve(null),
    ]);
    const result = buildStats(plan, groups, histRows, keyRows ? Number(keyRows[0]?.n ?? 0) : null, perSeries);
    if (usageRows) result.keyUsage = buildKeyUsage(usageRows);
    return result;
  }

  async listActivity(filter: { keyId?: string | null; limit: number }): Promise<ActivityEntry[]> {
    const limit = Math.max(0, Math.floor(filter.limit));
    const { rows } = filter.keyId
      ? await this.pool.query('SELECT * FROM activity WHERE key_id = $1 ORDER BY at DESC, id DESC LIMIT $2', [filter.keyId, limit])
      : await this.pool.query('SELECT * FROM activity ORDER BY at DESC, id DESC LIMIT $1', [limit]);
    return rows.map(activityFromRow);
  }

  async spendFromLog(keyId: string): Promise<number> {
    // Summed exactly as numeric (via the shortest round-trip text of each double), rounded once.
    const { rows } = await this.pool.query<{ s: number }>(
      'SELECT COALESCE(SUM(cost_usd::text::numeric), 0)::float8 AS s FROM activity WHERE key_id = $1',
      [keyId],
    );
    return Number(rows[0]?.s ?? 0);
  }
}
