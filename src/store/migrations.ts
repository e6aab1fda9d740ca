/**
 * Versioned schema migrations for both dialects, applied in order by migrate() with their schema_migrations rows
 * (SQLite: one BEGIN IMMEDIATE transaction per migration; PostgreSQL: all pending ones in one transaction under an
 * advisory lock, so concurrent starts are safe). Never edit a released migration — append a new version.
 * Types: times are epoch ms (INTEGER / bigint); money and durations are REAL / double precision (never rounded;
 * PostgreSQL returns double precision as JS numbers); SQLite booleans are 0/1 integers.
 */
export type Dialect = 'sqlite' | 'postgres';

interface Types {
  text: string;
  /** Identifier-like text compared bytewise (PostgreSQL: COLLATE "C", cheaper B-tree comparisons than a locale). */
  id: string;
  ms: string;
  int: string;
  big: string;
  float: string;
  bool: string;
  /** JSON object {bin: count}. */
  json: string;
  /** Table suffix for the rollups: clustered by primary key in SQLite. */
  clustered: string;
}
const TYPES: Record<Dialect, Types> = {
  sqlite: { text: 'TEXT', id: 'TEXT', ms: 'INTEGER', int: 'INTEGER', big: 'INTEGER', float: 'REAL', bool: 'INTEGER', json: 'TEXT', clustered: ' WITHOUT ROWID' },
  postgres: { text: 'text', id: 'text COLLATE "C"', ms: 'bigint', int: 'integer', big: 'bigint', float: 'double precision', bool: 'boolean', json: 'jsonb', clustered: '' },
};

export interface Migration {
  version: number;
  name: string;
  statements(dialect: Dialect): string[];
}

export const SCHEMA_MIGRATIONS_DDL = (d: Dialect): string =>
  `CREATE TABLE IF NOT EXISTS schema_migrations (version ${TYPES[d].int} PRIMARY KEY, name ${TYPES[d].text} NOT NULL, applied_at ${TYPES[d].ms} NOT NULL)`;

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'keys_activity_rollups',
    statements(d) {
      const t = TYPES[d];
      return [
        `CREATE TABLE api_keys (
          id ${t.text} PRIMARY KEY,
          name ${t.text} NOT NULL UNIQUE,
          prefix ${t.text} NOT NULL,
          hash ${t.text} NOT NULL UNIQUE,
          is_admin ${t.bool} NOT NULL,
          budget_usd ${t.float},
          rpm ${t.int},
          spend_usd ${t.float} NOT NULL DEFAULT 0,
          reserved_usd ${t.float} NOT NULL DEFAULT 0,
          created_at ${t.ms} NOT NULL,
          last_used_at ${t.ms},
          revoked_at ${t.ms}
        )`,
        `CREATE TABLE activity (
          id ${t.id} PRIMARY KEY,
          request_id ${t.text} NOT NULL,
          at ${t.ms} NOT NULL,
          key_id ${t.id},
          gateway ${t.id} NOT NULL,
          provider ${t.text} NOT NULL,
          model ${t.id} NOT NULL,
          stream ${t.bool} NOT NULL,
          prompt_tokens ${t.int} NOT NULL,
          completion_tokens ${t.int} NOT NULL,
          total_tokens ${t.int} NOT NULL,
          cached_tokens ${t.int} NOT NULL,
          reasoning_tokens ${t.int} NOT NULL,
          cost_usd ${t.float},
          latency_ms ${t.float} NOT NULL,
          ttft_ms ${t.float},
          tokens_per_second ${t.float},
          finish_reason ${t.text},
          error_code ${t.text},
          cancelled ${t.bool} NOT NULL,
          usage_estimated ${t.bool} NOT NULL
        )`,
        `CREATE INDEX activity_gateway_at ON activity (gateway, at)`,
        `CREATE INDEX activity_key_at ON activity (key_id, at)`,
        `CREATE INDEX activity_at ON activity (at)`,
        // scope '' = all keys of the gateway, else one key id. grain/bucket_start in ms (see rollup.ts).
        // cost_usd + cost_err is a compensated (Neumaier) sum: the total keeps full double precision.
        `CREATE TABLE rollup (
          gateway ${t.id} NOT NULL,
          scope ${t.id} NOT NULL,
          grain ${t.int} NOT NULL,
          bucket_start ${t.ms} NOT NULL,
          model ${t.id} NOT NULL,
          requests ${t.big} NOT NULL,
          errors ${t.big} NOT NULL,
          cancelled ${t.big} NOT NULL,
          prompt_tokens ${t.big} NOT NULL,
          completion_tokens ${t.big} NOT NULL,
          total_tokens ${t.big} NOT NULL,
          cost_usd ${t.float} NOT NULL,
          cost_err ${t.float} NOT NULL,
          latency_sum ${t.float} NOT NULL,
          tps_sum ${t.float} NOT NULL,
          tps_count ${t.big} NOT NULL,
          PRIMARY KEY (gateway, scope, grain, bucket_start, model)
        )${t.clustered}`,
        // Histograms {bin: count} (bins per rollup.ts histBin()); one row per bucket, merged on conflict.
        `CREATE TABLE rollup_hist (
          gateway ${t.id} NOT NULL,
          scope ${t.id} NOT NULL,
          grain ${t.int} NOT NULL,
          bucket_start ${t.ms} NOT NULL,
          latency_hist ${t.json} NOT NULL,
          ttft_hist ${t.json} NOT NULL,
          PRIMARY KEY (gateway, scope, grain, bucket_start)
        )${t.clustered}`,
        `CREATE TABLE rollup_keys (
          gateway ${t.id} NOT NULL,
          grain ${t.int} NOT NULL,
          bucket_start ${t.ms} NOT NULL,
          key_id ${t.id} NOT NULL,
          requests ${t.big} NOT NULL,
          PRIMARY KEY (gateway, grain, bucket_start, key_id)
        )${t.clustered}`,
      ];
    },
  },
  {
    version: 2,
    name: 'budget_reservations',
    statements(d) {
      const t = TYPES[d];
      // Each budget reservation is a row owned by the replica that made it; api_keys.reserved_usd stays their sum.
      // A replica that dies without settling stops heartbeating, and any live replica releases its rows
      // (src/auth/reservations.ts). Ids are plain text, like api_keys.id, so joins compare under one collation.
      // The table holds only calls in flight, so the reaper scans it whole: no index on owner, and in SQLite no
      // rowid either, so that a reservation writes one more B-tree page, not three (every page written is a WAL
      // frame on a budgeted call's path; bench in docs/benchmarks.md).
      return [
        `CREATE TABLE budget_reservations (
          id ${t.text} PRIMARY KEY,
          key_id ${t.text} NOT NULL,
          amount_usd ${t.float} NOT NULL,
          owner ${t.text} NOT NULL,
          created_at ${t.ms} NOT NULL
        )${t.clustered}`,
        `CREATE TABLE gateway_replicas (
          id ${t.text} PRIMARY KEY,
          heartbeat_at ${t.ms} NOT NULL
        )${t.clustered}`,
      ];
    },
  },
  {
    version: 3,
    name: 'call_kind',
    statements(d) {
      const t = TYPES[d];
      // Every row says which kind of model call it was (chat, embedding, rerank, image); rows from before are chat.
      // The rollup gains the kind in its key, so stats break usage down by kind without reading the log: rebuilt
      // (SQLite cannot change a primary key in place) with the old rows as chat.
      return [
        `ALTER TABLE activity ADD COLUMN call_kind ${t.id} NOT NULL DEFAULT 'chat'`,
        `CREATE TABLE rollup_v3 (
          gateway ${t.id} NOT NULL,
          scope ${t.id} NOT NULL,
          grain ${t.int} NOT NULL,
          bucket_start ${t.ms} NOT NULL,
          model ${t.id} NOT NULL,
          call_kind ${t.id} NOT NULL,
          requests ${t.big} NOT NULL,
          errors ${t.big} NOT NULL,
          cancelled ${t.big} NOT NULL,
          prompt_tokens ${t.big} NOT NULL,
          completion_tokens ${t.big} NOT NULL,
          total_tokens ${t.big} NOT NULL,
          cost_usd ${t.float} NOT NULL,
          cost_err ${t.float} NOT NULL,
          latency_sum ${t.float} NOT NULL,
          tps_sum ${t.float} NOT NULL,
          tps_count ${t.big} NOT NULL,
          PRIMARY KEY (gateway, scope, grain, bucket_start, model, call_kind)
        )${t.clustered}`,
        `INSERT INTO rollup_v3 (gateway, scope, grain, bucket_start, model, call_kind, requests, errors, cancelled, prompt_tokens,
           completion_tokens, total_tokens, cost_usd, cost_err, latency_sum, tps_sum, tps_count)
         SELECT gateway, scope, grain, bucket_start, model, 'chat', requests, errors, cancelled, prompt_tokens,
           completion_tokens, total_tokens, cost_usd, cost_err, latency_sum, tps_sum, tps_count FROM rollup`,
        `DROP TABLE rollup`,
        `ALTER TABLE rollup_v3 RENAME TO rollup`,
      ];
    },
  },
  {
    version: 4,
    name: 'key_names_reusable_after_revocation',
    statements(d) {
      const t = TYPES[d];
      // A name is unique among active keys only, so a revoked key's name can be given to a new key (and `rotate`
      // keeps the name). Revoked rows stay for the activity log's key ids. SQLite cannot drop a column's UNIQUE
      // constraint, so its table is rebuilt (nothing references api_keys: no foreign keys, views or triggers).
      const unique = [
        `CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL`,
        `CREATE INDEX api_keys_name ON api_keys (name, created_at)`,
      ];
      if (d === 'postgres') return ['ALTER TABLE api_keys DROP CONSTRAINT api_keys_name_key', ...unique];
      return [
        `CREATE TABLE api_keys_v4 (
          id ${t.text} PRIMARY KEY,
          name ${t.text} NOT NULL,
          prefix ${t.text} NOT NULL,
          hash ${t.text} NOT NULL UNIQUE,
          is_admin ${t.bool} NOT NULL,
          budget_usd ${t.float},
          rpm ${t.int},
          spend_usd ${t.float} NOT NULL DEFAULT 0,
          reserved_usd ${t.float} NOT NULL DEFAULT 0,
          created_at ${t.ms} NOT NULL,
          last_used_at ${t.ms},
          revoked_at ${t.ms}
        )`,
        `INSERT INTO api_keys_v4 SELECT id, name, prefix, hash, is_admin, budget_usd, rpm, spend_usd, reserved_usd, created_at, last_used_at, revoked_at FROM api_keys`,
        'DROP TABLE api_keys',
        'ALTER TABLE api_keys_v4 RENAME TO api_keys',
        ...unique,
      ];
    },
  },
  {
    version: 5,
    name: 'row_safety_and_replica_intervals',
    statements(d) {
      const t = TYPES[d];
      // Issue 25. (1) Token counts are 64-bit: one upstream answer above 2^31 tokens used to fail its whole batch on
      // PostgreSQL (SQLite's INTEGER is 64-bit already; the rollups were bigint from the start). (2) Rows the store
      // refuses anyway are kept, as JSON text with no index, for an operator to read (usage/recorder.ts). (3) Each
      // replica records its own heartbeat interval, so a peer judges its staleness by that interval, not its own
      // (auth/reservations.ts); null: a replica from before, judged by the judge's interval as it was.
      const tokens = ['prompt_tokens', 'completion_tokens', 'total_tokens', 'cached_tokens', 'reasoning_tokens'];
      return [
        ...(d === 'postgres' ? [`ALTER TABLE activity ${tokens.map((c) => `ALTER COLUMN ${c} TYPE bigint`).join(', ')}`] : []),
        `CREATE TABLE activity_quarantine (
          id ${t.text} PRIMARY KEY,
          at ${t.ms} NOT NULL,
          reason ${t.text} NOT NULL,
          entry_json ${t.text} NOT NULL
        )`,
        `ALTER TABLE gateway_replicas ADD COLUMN heartbeat_ms ${t.big}`,
      ];
    },
  },
  {
    version: 6,
    name: 'activity_trace_id',
    statements(d) {
      // The OpenTelemetry trace of each call (null while tracing is off, and for rows written before): an outlier
      // found in the activity log opens in the tracing system. Nullable, no default: no table rewrite in either dialect.
      return [`ALTER TABLE activity ADD COLUMN trace_id ${TYPES[d].text}`];
    },
  },
  {
    version: 7,
    name: 'fallback_attempts',
    statements(d) {
      // Issue 20: stats count fallbacks. Each row keeps its place among its call's attempts (0 = the requested
      // model), and the rollups count the rows on a fallback. Constant defaults: no table rewrite in either dialect.
      const t = TYPES[d];
      return [`ALTER TABLE activity ADD COLUMN attempt ${t.int} NOT NULL DEFAULT 0`, `ALTER TABLE rollup ADD COLUMN fallbacks ${t.big} NOT NULL DEFAULT 0`];
    },
  },
];

/** SET clause shared by both dialects' rollup upserts (the compensated cost merge is a Neumaier step in SQL). */
export const ROLLUP_UPSERT_SET = `
  requests = rollup.requests + excluded.requests,
  errors = rollup.errors + excluded.errors,
  cancelled = rollup.cancelled + excluded.cancelled,
  prompt_tokens = rollup.prompt_tokens + excluded.prompt_tokens,
  completion_tokens = rollup.completion_tokens + excluded.completion_tokens,
  total_tokens = rollup.total_tokens + excluded.total_tokens,
  cost_usd = rollup.cost_usd + excluded.cost_usd,
  cost_err = rollup.cost_err + excluded.cost_err + CASE WHEN abs(rollup.cost_usd) >= abs(excluded.cost_usd)
    THEN (rollup.cost_usd - (rollup.cost_usd + excluded.cost_usd)) + excluded.cost_usd
    ELSE (excluded.cost_usd - (rollup.cost_usd + excluded.cost_usd)) + rollup.cost_usd END,
  latency_sum = rollup.latency_sum + excluded.latency_sum,
  tps_sum = rollup.tps_sum + excluded.tps_sum,
  tps_count = rollup.tps_count + excluded.tps_count,
  fallbacks = rollup.fallbacks + excluded.fallbacks`;

export const ROLLUP_INSERT_COLUMNS =
  'gateway, scope, grain, bucket_start, model, call_kind, requests, errors, cancelled, prompt_tokens, completion_tokens, total_tokens, cost_usd, cost_err, latency_sum, tps_sum, tps_count, fallbacks';
export const ROLLUP_CONFLICT = '(gateway, scope, grain, bucket_start, model, call_kind)';
export const HIST_CONFLICT = '(gateway, scope, grain, bucket_start)';

/** SET clause merging two JSON histograms {bin: count} (the stored row's and the incoming one's) by adding counts. */
export function histUpsertSet(d: Dialect): string {
  const merge = (col: string): string =>
    d === 'postgres'
      ? `${col} = (SELECT COALESCE(jsonb_object_agg(k, v), '{}'::jsonb) FROM (SELECT k, SUM(v::bigint) AS v FROM (
          SELECT key AS k, value AS v FROM jsonb_each_text(rollup_hist.${col})
          UNION ALL SELECT key, value FROM jsonb_each_text(excluded.${col})) x GROUP BY k) y)`
      : `${col} = (SELECT json_group_object(k, v) FROM (SELECT k, SUM(v) AS v FROM (
          SELECT key AS k, value AS v FROM json_each(rollup_hist.${col})
          UNION ALL SELECT key, value FROM json_each(excluded.${col})) GROUP BY k))`;
  return `${merge('latency_hist')},\n  ${merge('ttft_hist')}`;
}
export const KEYS_CONFLICT = '(gateway, grain, bucket_start, key_id)';
