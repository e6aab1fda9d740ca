/**
 * SQLite store (better-sqlite3: synchronous, so each method runs to completion; the async signatures match the
 * PostgreSQL store). WAL, busy_timeout 5000, synchronous NORMAL. Writes use BEGIN IMMEDIATE, so several processes
 * may share one file: they serialize on the write lock and every budget change is one short transaction.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
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

type Row = Record<string, unknown>;

/** Activity rows per write transaction (~0.3 ms of blocking each on the bench machine). */
const ROWS_PER_WRITE = 32;

/**
 * Errors where SQLite refused the data itself, not the file: a constraint (NOT NULL on a NaN rollup), a value too
 * big, a type mismatch, or a value better-sqlite3 cannot bind at all (TypeError / RangeError).
 */
const ROW_ERROR_CODES = /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH|RANGE)/;
const isRowError = (err: unknown): boolean =>
  err instanceof TypeError || err instanceof RangeError || ROW_ERROR_CODES.test(String((err as { code?: unknown })?.code ?? ''));

/** SQLite's clock in epoch ms (julianday works on every SQLite version; unixepoch('subsec') needs 3.42). */
const NOW_MS_EXPR = `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`;
const SQLITE_NOW_MS = `SELECT ${NOW_MS_EXPR} AS t`;

const toSqlite = (v: unknown): unknown => (v === true ? 1 : v === false ? 0 : v);

export async function openSqliteStore(filename: string): Promise<GatewayStore> {
  if (filename !== ':memory:' && filename !== '') mkdirSync(dirname(filename), { recursive: true });
  const store = new SqliteStore(filename);
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

class SqliteStore implements GatewayStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  /**
   * The budget transactions, wrapped once: better-sqlite3's transaction() builds its wrappers on every call
   * (6–10 µs, more than running one of these), and reserve and settle run on every budgeted chat call.
   */
  private readonly budget: ReturnType<SqliteStore['wrapBudgetTransactions']>;

  constructor(filename: string) {
    this.db = new Database(filename);
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.budget = this.wrapBudgetTransactions();
  }

  private wrapBudgetTransactions() {
    const reserve = this.db.transaction((keyId: string, amountUsd: number, lease: ReservationLease): boolean => {
      const reserved = this.stmt(
        `UPDATE api_keys SET reserved_usd = reserved_usd + ?
         WHERE id = ? AND (budget_usd IS NULL OR spend_usd + reserved_usd + ? <= budget_usd + ${BUDGET_EPSILON_USD})`,
      ).run(amountUsd, keyId, amountUsd);
      if (reserved.changes !== 1) return false;
      this.stmt('INSERT INTO budget_reservations (id, key_id, amount_usd, owner, created_at) VALUES (?, ?, ?, ?, ?)').run(
        lease.id, keyId, amountUsd, lease.owner, lease.at,
      );
      return true;
    });
    const settle = this.db.transaction((keyId: string, reservationId: string, actualUsd: number): void => {
      const held = this.stmt('DELETE FROM budget_reservations WHERE id = ? RETURNING amount_usd').get(reservationId) as
        | { amount_usd: number }
        | undefined;
      this.stmt('UPDATE api_keys SET reserved_usd = MAX(reserved_usd - ?, 0), spend_usd = spend_usd + ? WHERE id = ?').run(
        held?.amount_usd ?? 0, actualUsd, keyId,
      );
    });
    const release = this.db.transaction((rule: OrphanRule): ReleasedReservations => {
      // One clock (SQLite's: the machine every process sharing the file runs on), each owner judged by its own interval.
      const now = rule.now ?? (this.stmt(SQLITE_NOW_MS).get() as { t: number }).t;
      const stale = 'p.heartbeat_at < @now - @beats * COALESCE(p.heartbeat_ms, @fallback)';
      const params = { now, beats: rule.staleAfterBeats, fallback: Math.round(rule.fallbackIntervalMs) };
      const orphans = this.stmt(
        `DELETE FROM budget_reservations
         WHERE NOT EXISTS (SELECT 1 FROM gateway_replicas p WHERE p.id = budget_reservations.owner AND NOT (${stale}))
         RETURNING key_id, amount_usd`,
      ).all(params) as Array<{ key_id: string; amount_usd: number }>;
      const releaseKey = this.stmt('UPDATE api_keys SET reserved_usd = MAX(reserved_usd - ?, 0) WHERE id = ?');
      for (const o of orphans) releaseKey.run(o.amount_usd, o.key_id);
      this.stmt(`DELETE FROM gateway_replicas AS p WHERE ${stale}`).run(params);
      return { reservations: orphans.length, amountUsd: orphans.reduce((sum, o) => sum + o.amount_usd, 0) };
    });
    return { reserve, settle, release };
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private all<T>(q: SqlQuery): T[] {
    return this.stmt(q.sql).all(...q.params) as T[];
  }

  async migrate(): Promise<void> {
    this.db.exec(SCHEMA_MIGRATIONS_DDL('sqlite'));
    for (const m of MIGRATIONS) {
      this.db
        .transaction(() => {
          if (this.db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version)) return;
          for (const sql of m.statements('sqlite')) this.db.exec(sql);
          this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
        })
        .immediate();
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async createKey(key: NewKey): Promise<KeyRecord> {
    try {
      this.stmt(
        `INSERT INTO api_keys (id, name, prefix, hash, is_admin, budget_usd, rpm, spend_usd, reserved_usd, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, ?)`,
      ).run(key.id, key.name, key.prefix, key.hash, key.isAdmin ? 1 : 0, key.budgetUsd, key.rpm, key.createdAt);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' && e.message?.includes('api_keys.name')) throw keyNameTaken(key.name, err);
      throw err;
    }
    return { ...key, spendUsd: 0, reservedUsd: 0, lastUsedAt: null, revokedAt: null };
  }

  async findKeyByHash(hash: string): Promise<KeyRecord | null> {
    const row = this.stmt(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE hash = ?`).get(hash) as Row | undefined;
    return row ? keyFromRow(row) : null;
  }

  async findKeyByName(name: string): Promise<KeyRecord | null> {
    const row = this.stmt(
      `SELECT ${KEY_COLUMNS} FROM api_keys WHERE name = ? ORDER BY revoked_at IS NULL DESC, created_at DESC LIMIT 1`,
    ).get(name) as Row | undefined;
    return row ? keyFromRow(row) : null;
  }

  private activeKey(name: string): KeyRecord | null {
    const row = this.stmt(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE name = ? AND revoked_at IS NULL`).get(name) as Row | undefined;
    return row ? keyFromRow(row) : null;
  }

  async rotateKey(name: string, next: Pick<NewKey, 'id' | 'prefix' | 'hash' | 'createdAt'>, at: number): Promise<KeyRecord | null> {
    return this.db
      .transaction((): KeyRecord | null => {
        const old = this.activeKey(name);
        if (!old) return null;
        this.stmt('UPDATE api_keys SET revoked_at = ? WHERE id = ?').run(at, old.id);
        this.stmt(
          `INSERT INTO api_keys (id, name, prefix, hash, is_admin, budget_usd, rpm, spend_usd, reserved_usd, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
        ).run(next.id, old.name, next.prefix, next.hash, old.isAdmin ? 1 : 0, old.budgetUsd, old.rpm, old.spendUsd, next.createdAt);
        return { ...old, ...next, reservedUsd: 0, lastUsedAt: null, revokedAt: null };
      })
      .immediate();
  }

  async updateKeyLimits(name: string, limits: KeyLimitsPatch): Promise<KeyRecord | null> {
    return this.db
      .transaction((): KeyRecord | null => {
        const old = this.activeKey(name);
        if (!old) return null;
        const budgetUsd = limits.budgetUsd === undefined ? old.budgetUsd : limits.budgetUsd;
        const rpm = limits.rpm === undefined ? old.rpm : limits.rpm;
        this.stmt('UPDATE api_keys SET budget_usd = ?, rpm = ? WHERE id = ?').run(budgetUsd, rpm, old.id);
        return { ...old, budgetUsd, rpm };
      })
      .immediate();
  }

  async listKeys(): Promise<KeyRecord[]> {
    return (this.stmt(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at, name`).all() as Row[]).map(keyFromRow);
  }

  async revokeKey(name: string, at: number): Promise<boolean> {
    return this.stmt('UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL').run(at, name).changes === 1;
  }

  async touchKey(id: string, at: number): Promise<void> {
    this.stmt('UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)').run(at, id, at);
  }

  async reserveBudget(keyId: string, amountUsd: number, lease: ReservationLease): Promise<boolean> {
    return this.budget.reserve.immediate(keyId, amountUsd, lease);
  }

  async settleBudget(keyId: string, reservationId: string, actualUsd: number): Promise<void> {
    this.budget.settle.immediate(keyId, reservationId, actualUsd);
  }

  async heartbeat(owner: string, intervalMs: number, at?: number): Promise<void> {
    this.stmt(
      `INSERT INTO gateway_replicas (id, heartbeat_at, heartbeat_ms) VALUES (@owner, COALESCE(@at, ${NOW_MS_EXPR}), @interval)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = MAX(heartbeat_at, excluded.heartbeat_at), heartbeat_ms = excluded.heartbeat_ms`,
    ).run({ owner, at: at ?? null, interval: Math.round(intervalMs) });
  }

  async releaseOrphanedReservations(rule: OrphanRule): Promise<ReleasedReservations> {
    return this.budget.release.immediate(rule);
  }

  async retireOwner(owner: string): Promise<void> {
    this.stmt('DELETE FROM gateway_replicas WHERE id = ?').run(owner);
  }

  /**
   * In slices of ROWS_PER_WRITE, one transaction each, handing the event loop back between them: better-sqlite3
   * blocks the process while it writes, and a whole batch (200 ms of traffic) blocked it for 1-3 ms, long enough
   * to be the slowest 1 % of calls at one client (bench/gateway, --cpu-prof). A slice that fails leaves the
   * earlier ones written; the recorder retries the batch and the ids already stored are skipped.
   */
  async insertActivity(rows: ActivityEntry[]): Promise<void> {
    for (let start = 0; start < rows.length; start += ROWS_PER_WRITE) {
      if (start > 0) await new Promise((resolve) => setImmediate(resolve));
      const slice = rows.slice(start, start + ROWS_PER_WRITE);
      try {
        this.db.transaction(() => this.insertActivitySync(slice)).immediate();
      } catch (err) {
        throw isRowError(err) ? rowRejected(err) : err;
      }
    }
  }

  async quarantineActivity(entry: ActivityEntry, reason: string, at: number): Promise<void> {
    this.stmt('INSERT INTO activity_quarantine (id, at, reason, entry_json) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING').run(
      entry.id, Math.floor(at), reason, quarantineJson(entry),
    );
  }

  async listQuarantine(limit: number): Promise<Array<{ entry: ActivityEntry; reason: string; at: number }>> {
    const rows = this.stmt('SELECT * FROM activity_quarantine ORDER BY at DESC, id DESC LIMIT ?').all(Math.max(0, Math.floor(limit)));
    return (rows as Row[]).map(quarantineFromRow);
  }

  async ping(): Promise<void> {
    this.stmt('SELECT 1').get();
  }

  private insertActivitySync(rows: ActivityEntry[]): void {
    const insert = this.stmt(
      `INSERT INTO activity (${ACTIVITY_COLUMNS.join(', ')}) VALUES (${ACTIVITY_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (id) DO NOTHING`,
    );
    const fresh: ActivityEntry[] = [];
    for (const r of rows) if (insert.run(...activityValues(r).map(toSqlite)).changes === 1) fresh.push(r);
    if (fresh.length === 0) return;
    const d = computeDeltas(fresh);
    const up = this.stmt(
      `INSERT INTO rollup (${ROLLUP_INSERT_COLUMNS}) VALUES (${Array(18).fill('?').join(', ')})
       ON CONFLICT ${ROLLUP_CONFLICT} DO UPDATE SET ${ROLLUP_UPSERT_SET}`,
    );
    for (const r of d.rollup) {
      up.run(r.gateway, r.scope, r.grain, r.bucketStart, r.model, r.kind, r.requests, r.errors, r.cancelled, r.promptTokens, r.completionTokens,
        r.totalTokens, r.cost.hi, r.cost.lo, r.latencySum, r.tpsSum, r.tpsCount, r.fallbacks);
    }
    const hist = this.stmt(
      `INSERT INTO rollup_hist (gateway, scope, grain, bucket_start, latency_hist, ttft_hist) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT ${HIST_CONFLICT} DO UPDATE SET ${histUpsertSet('sqlite')}`,
    );
    for (const h of d.hist) hist.run(h.gateway, h.scope, h.grain, h.bucketStart, JSON.stringify(h.latency), JSON.stringify(h.ttft));
    const keys = this.stmt(
      `INSERT INTO rollup_keys (gateway, grain, bucket_start, key_id, requests) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT ${KEYS_CONFLICT} DO UPDATE SET requests = rollup_keys.requests + excluded.requests`,
    );
    for (const k of d.keys) keys.run(k.gateway, k.grain, k.bucketStart, k.keyId, k.requests);
  }

  async stats(query: StatsQuery): Promise<GatewayStatsResult> {
    const keyId = query.keyId ?? null;
    const plan = planStats(query.timeRange, query.now, keyId ?? '');
    const perSeries = query.seriesPercentiles === true;
    if (keyId === '') return buildStats(plan, [], [], null, perSeries); // '' is never a key (such rows count as keyless)
    // One read transaction: a consistent snapshot across the three reads.
    return this.db.transaction(() => {
      const groups = this.all<GroupRow>(groupsQuery('sqlite', plan, query.gateway, keyId));
      const histRows = this.all<HistRow>(histQuery('sqlite', plan, query.gateway, keyId, perSeries));
      const uniqueKeys = keyId === null ? Number(this.all<{ n: number }>(uniqueKeysQuery(plan, query.gateway))[0]?.n ?? 0) : null;
      const result = buildStats(plan, groups, histRows, uniqueKeys, perSeries);
      if (query.byKey && keyId === null) result.keyUsage = buildKeyUsage(this.all<KeyUsageRow>(keyUsageQuery('sqlite', plan, query.gateway)));
      return result;
    })();
  }

  async listActivity(filter: { keyId?: string | null; limit: number }): Promise<ActivityEntry[]> {
    const limit = Math.max(0, Math.floor(filter.limit));
    const rows = filter.keyId
      ? this.stmt('SELECT * FROM activity WHERE key_id = ? ORDER BY at DESC, id DESC LIMIT ?').all(filter.keyId, limit)
      : this.stmt('SELECT * FROM activity ORDER BY at DESC, id DESC LIMIT ?').all(limit);
    return (rows as Row[]).map(activityFromRow);
  }

  async spendFromLog(keyId: string): Promise<number> {
    // SQLite's sum() is compensated (Kahan-Babushka-Neumaier) since 3.43.
    const row = this.stmt('SELECT TOTAL(cost_usd) AS s FROM activity WHERE key_id = ?').get(keyId) as { s: number };
    return row.s;
  }
}
