/**
 * Versioned schema migrations for both dialects. Applied in order by migrate(), each in its own transaction together
 * with its schema_migrations row; never edit a released migration — append a new version.
 * Types: times are epoch ms (INTEGER / bigint); money and durations are REAL / double precision (never rounded;
 * PostgreSQL returns double precision as JS numbers); SQLite booleans are 0/1 integers.
 */
export type Dialect = 'sqlite' | 'postgres';

interface Types {
  text: string;
  ms: string;
  int: string;
  big: string;
  float: string;
  bool: string;
  /** Table suffix for the rollups: clustered by primary key in SQLite. */
  clustered: string;
}
const TYPES: Record<Dialect, Types> = {
  sqlite: { text: 'TEXT', ms: 'INTEGER', int: 'INTEGER', big: 'INTEGER', float: 'REAL', bool: 'INTEGER', clustered: ' WITHOUT ROWID' },
  postgres: { text: 'text', ms: 'bigint', int: 'integer', big: 'bigint', float: 'double precision', bool: 'boolean', clustered: '' },
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
          id ${t.text} PRIMARY KEY,
          request_id ${t.text} NOT NULL,
          at ${t.ms} NOT NULL,
          key_id ${t.text},
          gateway ${t.text} NOT NULL,
          provider ${t.text} NOT NULL,
          model ${t.text} NOT NULL,
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
          gateway ${t.text} NOT NULL,
          scope ${t.text} NOT NULL,
          grain ${t.int} NOT NULL,
          bucket_start ${t.ms} NOT NULL,
          model ${t.text} NOT NULL,
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
        // metric 0 = latency, 1 = TTFT; bin per rollup.ts histBin().
        `CREATE TABLE rollup_hist (
          gateway ${t.text} NOT NULL,
          scope ${t.text} NOT NULL,
          grain ${t.int} NOT NULL,
          bucket_start ${t.ms} NOT NULL,
          metric ${t.int} NOT NULL,
          bin ${t.int} NOT NULL,
          n ${t.big} NOT NULL,
          PRIMARY KEY (gateway, scope, grain, bucket_start, metric, bin)
        )${t.clustered}`,
        `CREATE TABLE rollup_keys (
          gateway ${t.text} NOT NULL,
          grain ${t.int} NOT NULL,
          bucket_start ${t.ms} NOT NULL,
          key_id ${t.text} NOT NULL,
          requests ${t.big} NOT NULL,
          PRIMARY KEY (gateway, grain, bucket_start, key_id)
        )${t.clustered}`,
      ];
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
  tps_count = rollup.tps_count + excluded.tps_count`;

export const ROLLUP_INSERT_COLUMNS =
  'gateway, scope, grain, bucket_start, model, requests, errors, cancelled, prompt_tokens, completion_tokens, total_tokens, cost_usd, cost_err, latency_sum, tps_sum, tps_count';
export const ROLLUP_CONFLICT = '(gateway, scope, grain, bucket_start, model)';
export const HIST_CONFLICT = '(gateway, scope, grain, bucket_start, metric, bin)';
export const KEYS_CONFLICT = '(gateway, grain, bucket_start, key_id)';
