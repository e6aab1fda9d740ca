/**
 * stats() for both dialects: plan which rollup buckets cover a time range, build the SQL, and assemble the result.
 *
 * Boundaries are exact to the millisecond. A range [from, ∞) is covered by whole rollup buckets from ceil(from) on —
 * series grain for totals/byModel/series, days for histograms and unique keys — then by finer grains for the partial
 * bucket at the start, down to the finest grain the scope has (all keys: minute; one key: hour, see rollup.ts). What
 * is left, [from, ceil_finest(from)), is aggregated in SQL straight from the activity log (index (gateway, at) or
 * (key_id, at)): under a minute of the gateway's rows, or under an hour of one key's rows (all of the last hour for a
 * one-key LAST_1H). SQL groups everything by model and by series bucket, so a query returns ~(models + series buckets
 * + histogram bins) rows whatever the row count.
 * Percentiles come from summed log-scale histograms: within 4.9% of the exact nearest-rank value (see rollup.ts).
 */
import type { Dialect } from './migrations.ts';
import type { GatewayStatsResult, KindStats, ModelStats, SeriesPoint, TimeRange } from '../usage/stats-types.ts';
import {
  ALL_KEYS_SCOPE, DAY_MS, HIST_BASE, HIST_MAX_BIN, HOUR_MS, KEY_GRAINS, KSum, METRIC_TTFT, MINUTE_MS, SCOPE_GRAINS, percentileFromHist,
} from './rollup.ts';

/** reserveBudget tolerates this much float drift over the budget (a nano-dollar), so "exactly the budget" fits. */
export const BUDGET_EPSILON_USD = 1e-9;

export const RANGE_MS: Record<Exclude<TimeRange, 'ALL'>, number> = {
  LAST_1H: HOUR_MS,
  LAST_24H: DAY_MS,
  LAST_7D: 7 * DAY_MS,
  LAST_30D: 30 * DAY_MS,
};

/** Series bucket size per range, and the rollup grain read for whole buckets. */
export const SERIES_MS: Record<TimeRange, number> = {
  LAST_1H: MINUTE_MS,
  LAST_24H: HOUR_MS,
  LAST_7D: 6 * HOUR_MS,
  LAST_30D: DAY_MS,
  ALL: DAY_MS,
};
const SERIES_GRAIN: Record<TimeRange, number> = {
  LAST_1H: MINUTE_MS,
  LAST_24H: HOUR_MS,
  LAST_7D: HOUR_MS,
  LAST_30D: DAY_MS,
  ALL: DAY_MS,
};

const MAX_MS = 8_640_000_000_000_000;
const MIN_MS = -MAX_MS;

export interface Span {
  from: number;
  to: number;
}
export interface Segment extends Span {
  grain: number;
}
/** Whole rollup buckets plus an optional raw-log span, together exactly [from, ∞). */
export interface Cover {
  segments: Segment[];
  raw: Span | null;
}
export interface StatsPlan {
  seriesMs: number;
  /** Series-aligned: for totals, byModel, series. */
  series: Cover;
  /** Coarsest: for histograms and unique keys, which ignore the series. */
  summary: Cover;
  /** Coarsest with the grains every key scope has: for usage per key (stats-keys.ts). */
  perKey: Cover;
}

const ceilTo = (t: number, grain: number): number => Math.ceil(t / grain) * grain;

/** Cover [from, ∞) with whole buckets of grains <= coarsest among `grains` (coarsest first), then the raw log. */
function cover(from: number, coarsest: number, grains: readonly number[]): Cover {
  const segments: Segment[] = [];
  let upper = MAX_MS;
  for (const grain of grains) {
    if (grain > coarsest) continue;
    const lo = ceilTo(from, grain);
    if (lo < upper) segments.push({ grain, from: lo, to: upper });
    upper = lo;
  }
  return { segments, raw: from < upper ? { from, to: upper } : null };
}

export function planStats(range: TimeRange, now: number, scope: string): StatsPlan {
  const seriesMs = SERIES_MS[range];
  if (range === 'ALL') {
    const all: Cover = { segments: [{ grain: DAY_MS, from: MIN_MS, to: MAX_MS }], raw: null };
    return { seriesMs, series: all, summary: all, perKey: all };
  }
  const from = Math.ceil(now - RANGE_MS[range]); // `at` is integral: at >= x  <=>  at >= ceil(x)
  const grains = scope === ALL_KEYS_SCOPE ? SCOPE_GRAINS : KEY_GRAINS;
  return { seriesMs, series: cover(from, SERIES_GRAIN[range], grains), summary: cover(from, DAY_MS, grains), perKey: cover(from, DAY_MS, KEY_GRAINS) };
}

export interface SqlQuery {
  sql: string;
  params: unknown[];
}

export const union = (parts: SqlQuery[]): SqlQuery => ({
  sql: parts.map((p) => p.sql).join('\nUNION ALL\n'),
  params: parts.flatMap((p) => p.params),
});

/** WHERE for raw activity rows of a span, using the (key_id, at) or (gateway, at) index. */
function rawWhere(raw: Span, gateway: string, keyId: string | null): SqlQuery {
  return keyId === null
    ? { sql: 'gateway = ? AND at >= ? AND at < ?', params: [gateway, raw.from, raw.to] }
    : { sql: 'key_id = ? AND at >= ? AND at < ? AND gateway = ?', params: [keyId, raw.from, raw.to, gateway] };
}

export const boolInt = (d: Dialect, col: string): string => (d === 'postgres' ? `${col}::int` : col);
/** rollup.ts histBin() in SQL (ln may differ from Math.log in the last bit: harmless at a bin edge). */
const binSql = (d: Dialect, col: string): string =>
  `CASE WHEN ${col} >= 1 THEN ${d === 'postgres' ? 'LEAST' : 'MIN'}(${HIST_MAX_BIN}, 1 + CAST(floor(ln(${col}) / ${Math.log(HIST_BASE)}) AS INTEGER)) ELSE 0 END`;

/** SUM(cost_usd) to the last bit: see groupsQuery. */
export const exactCostSum = (d: Dialect): string => (d === 'postgres' ? 'SUM(cost_usd::text::numeric)::float8' : 'SUM(cost_usd)');

/**
 * Sums grouped three ways: kind 0 = per model, kind 1 = per series bucket (sb), kind 2 = per call kind (chat,
 * embedding, rerank, image). '?' placeholders.
 * Cost is summed precisely: SQLite's SUM is compensated (Kahan-Babushka-Neumaier); PostgreSQL sums exact numerics
 * (each double via its shortest round-trip text — float8::numeric would keep only 15 digits) and rounds once.
 */
export function groupsQuery(d: Dialect, plan: StatsPlan, gateway: string, keyId: string | null): SqlQuery {
  const s = plan.seriesMs;
  const scope = keyId ?? ALL_KEYS_SCOPE;
  const parts: SqlQuery[] = plan.series.segments.map((seg) => ({
    sql: `SELECT model, call_kind, (bucket_start / ${s}) * ${s} AS sb, requests, errors, cancelled, prompt_tokens, completion_tokens, total_tokens,
      cost_usd, cost_err, latency_sum, tps_sum, tps_count, fallbacks
      FROM rollup WHERE gateway = ? AND scope = ? AND grain = ${seg.grain} AND bucket_start >= ? AND bucket_start < ?`,
    params: [gateway, scope, seg.from, seg.to],
  }));
  if (plan.series.raw) {
    const w = rawWhere(plan.series.raw, gateway, keyId);
    const cancelled = boolInt(d, 'cancelled');
    parts.push({
      sql: `SELECT model, call_kind, (at / ${s}) * ${s} AS sb, 1 AS requests,
        CASE WHEN error_code IS NOT NULL AND ${cancelled} = 0 THEN 1 ELSE 0 END AS errors, ${cancelled} AS cancelled,
        prompt_tokens, completion_tokens, total_tokens, COALESCE(cost_usd, 0) AS cost_usd, 0 AS cost_err, latency_ms AS latency_sum,
        COALESCE(tokens_per_second, 0) AS tps_sum, CASE WHEN tokens_per_second IS NULL THEN 0 ELSE 1 END AS tps_count,
        CASE WHEN attempt > 0 THEN 1 ELSE 0 END AS fallbacks
        FROM activity WHERE ${w.sql}`,
      params: w.params,
    });
  }
  if (parts.length === 0) return { sql: 'SELECT 0 AS kind WHERE 1 = 0', params: [] };
  const u = union(parts);
  const cost = exactCostSum(d);
  const sums = `SUM(requests) AS requests, SUM(errors) AS errors, SUM(cancelled) AS cancelled, SUM(prompt_tokens) AS prompt_tokens,
    SUM(completion_tokens) AS completion_tokens, SUM(total_tokens) AS total_tokens, ${cost} AS cost_usd, SUM(cost_err) AS cost_err,
    SUM(latency_sum) AS latency_sum, SUM(tps_sum) AS tps_sum, SUM(tps_count) AS tps_count, SUM(fallbacks) AS fallbacks`;
  return {
    sql: `WITH t AS (${u.sql})
      SELECT 0 AS kind, model, '' AS call_kind, 0 AS sb, ${sums} FROM t GROUP BY model
      UNION ALL
      SELECT 1 AS kind, '' AS model, '' AS call_kind, sb, ${sums} FROM t GROUP BY sb
      UNION ALL
      SELECT 2 AS kind, '' AS model, call_kind, 0 AS sb, ${sums} FROM t GROUP BY call_kind`,
    params: u.params,
  };
}

/**
 * Histograms: one row per rollup bucket (lat/ttft JSON {bin: count}, summed in JS — cheaper than unpacking JSON in
 * SQL), plus (metric, sb, bin, n) rows binned in SQL from the raw span (metric 0 = latency, 1 = TTFT). Over the
 * summary cover (fewest rows) by default; with `perSeries`, over the series cover with each row's series bucket
 * `sb`, so the same rows give the percentiles of every bucket and, summed, of the whole range.
 */
export function histQuery(d: Dialect, plan: StatsPlan, gateway: string, keyId: string | null, perSeries = false): SqlQuery {
  const scope = keyId ?? ALL_KEYS_SCOPE;
  const s = plan.seriesMs;
  const nul = (pgType: string): string => (d === 'postgres' ? `NULL::${pgType}` : 'NULL');
  const covered = perSeries ? plan.series : plan.summary;
  const sbOf = (col: string): string => (perSeries ? `(${col} / ${s}) * ${s}` : '0');
  const parts: SqlQuery[] = covered.segments.map((seg) => ({
    sql: `SELECT latency_hist AS lat, ttft_hist AS ttft, ${sbOf('bucket_start')} AS sb, ${nul('int')} AS metric, ${nul('int')} AS bin, ${nul('bigint')} AS n
      FROM rollup_hist WHERE gateway = ? AND scope = ? AND grain = ${seg.grain} AND bucket_start >= ? AND bucket_start < ?`,
    params: [gateway, scope, seg.from, seg.to],
  }));
  if (covered.raw) {
    const w = rawWhere(covered.raw, gateway, keyId);
    parts.push({
      sql: `SELECT ${nul('jsonb')} AS lat, ${nul('jsonb')} AS ttft, sb, metric, bin, COUNT(*) AS n FROM (
          SELECT 0 AS metric, ${sbOf('at')} AS sb, ${binSql(d, 'latency_ms')} AS bin FROM activity WHERE ${w.sql}
          UNION ALL
          SELECT 1 AS metric, ${sbOf('at')} AS sb, ${binSql(d, 'ttft_ms')} AS bin FROM activity WHERE ${w.sql} AND ttft_ms IS NOT NULL
        ) r GROUP BY metric, sb, bin`,
      params: [...w.params, ...w.params],
    });
  }
  return union(parts);
}

/** Distinct non-null keys over the summary cover (all-keys scope only; rollup_keys has the key grains). */
export function uniqueKeysQuery(plan: StatsPlan, gateway: string): SqlQuery {
  const parts: SqlQuery[] = plan.summary.segments
    .filter((seg) => KEY_GRAINS.includes(seg.grain))
    .map((seg) => ({
      sql: `SELECT key_id FROM rollup_keys WHERE gateway = ? AND grain = ${seg.grain} AND bucket_start >= ? AND bucket_start < ?`,
      params: [gateway, seg.from, seg.to],
    }));
  // Rollup minute segments and the raw span: from the log (together at most an hour: [from, ceil_hour(from))).
  const finer = [...plan.summary.segments.filter((seg) => !KEY_GRAINS.includes(seg.grain)), ...(plan.summary.raw ? [plan.summary.raw] : [])];
  if (finer.length > 0) {
    const span = { from: Math.min(...finer.map((x) => x.from)), to: Math.max(...finer.map((x) => x.to)) };
    parts.push({
      sql: `SELECT key_id FROM activity WHERE gateway = ? AND at >= ? AND at < ? AND key_id IS NOT NULL AND key_id <> ''`,
      params: [gateway, span.from, span.to],
    });
  }
  if (parts.length === 0) return { sql: 'SELECT 0 AS n', params: [] };
  const u = union(parts);
  return { sql: `SELECT COUNT(DISTINCT key_id) AS n FROM (${u.sql}) k`, params: u.params };
}

export interface GroupRow {
  kind: number;
  model: string;
  call_kind: string;
  sb: number;
  requests: number;
  errors: number;
  cancelled: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost_usd: number;
  cost_err: number;
  latency_sum: number;
  tps_sum: number;
  tps_count: number;
  fallbacks: number;
}
type JsonHist = string | Record<string, number> | null; // SQLite: JSON text; PostgreSQL: parsed jsonb
export interface HistRow {
  lat: JsonHist;
  ttft: JsonHist;
  /** Series bucket start (histQuery perSeries), else 0. */
  sb: number;
  metric: number | null;
  bin: number | null;
  n: number | null;
}

interface Acc {
  requests: number;
  errors: number;
  cancelled: number;
  prompt: number;
  completion: number;
  total: number;
  cost: KSum;
  latencySum: number;
  tpsSum: number;
  tpsCount: number;
  fallbacks: number;
}

function accumulate(rows: GroupRow[]): Acc {
  const a: Acc = { requests: 0, errors: 0, cancelled: 0, prompt: 0, completion: 0, total: 0, cost: new KSum(), latencySum: 0, tpsSum: 0, tpsCount: 0, fallbacks: 0 };
  for (const r of rows) {
    a.requests += Number(r.requests);
    a.errors += Number(r.errors);
    a.cancelled += Number(r.cancelled);
    a.prompt += Number(r.prompt_tokens);
    a.completion += Number(r.completion_tokens);
    a.total += Number(r.total_tokens);
    a.cost.add(Number(r.cost_usd));
    a.cost.add(Number(r.cost_err));
    a.latencySum += Number(r.latency_sum);
    a.tpsSum += Number(r.tps_sum);
    a.tpsCount += Number(r.tps_count);
    a.fallbacks += Number(r.fallbacks ?? 0);
  }
  return a;
}

const byModelOrder = (x: ModelStats, y: ModelStats): number => y.requests - x.requests || (x.model < y.model ? -1 : x.model > y.model ? 1 : 0);

/** [latency, TTFT] bin counts. */
type Histograms = readonly [Map<number, number>, Map<number, number>];

function histogramsBySeriesBucket(histRows: HistRow[]): Map<number, Histograms> {
  const bySb = new Map<number, Histograms>();
  const of = (sb: number): Histograms => {
    let h = bySb.get(sb);
    if (h === undefined) bySb.set(sb, (h = [new Map(), new Map()]));
    return h;
  };
  const bump = (m: Map<number, number>, bin: number, n: number): void => void m.set(bin, (m.get(bin) ?? 0) + n);
  const addJson = (m: Map<number, number>, h: JsonHist): void => {
    const obj: Record<string, number> = typeof h === 'string' ? JSON.parse(h) : (h ?? {});
    for (const bin in obj) bump(m, Number(bin), Number(obj[bin]));
  };
  for (const row of histRows) {
    const h = of(Number(row.sb));
    if (row.lat !== null || row.ttft !== null) {
      addJson(h[0], row.lat);
      addJson(h[1], row.ttft);
    } else bump(h[Number(row.metric) === METRIC_TTFT ? 1 : 0], Number(row.bin), Number(row.n));
  }
  return bySb;
}

function sumHistograms(parts: Iterable<Histograms>): Histograms {
  const sum: Histograms = [new Map(), new Map()];
  for (const part of parts) {
    for (const i of [0, 1] as const) for (const [bin, n] of part[i]) sum[i].set(bin, (sum[i].get(bin) ?? 0) + n);
  }
  return sum;
}

/**
 * uniqueKeys: the count for the all-keys scope, or null for a one-key query (then 1 if it has rows, else 0).
 * perSeries: histRows came from histQuery(…, perSeries = true); each series point gets its percentiles.
 */
export function buildStats(plan: StatsPlan, groups: GroupRow[], histRows: HistRow[], uniqueKeys: number | null, perSeries = false): GatewayStatsResult {
  const modelRows = groups.filter((g) => Number(g.kind) === 0 && Number(g.requests) > 0);
  const total = accumulate(modelRows);
  const byModel: ModelStats[] = modelRows
    .map((g) => {
      const a = accumulate([g]);
      return { model: g.model, requests: a.requests, totalTokens: a.total, costUsd: a.cost.value, avgLatencyMs: a.latencySum / a.requests, errorRate: a.errors / a.requests };
    })
    .sort(byModelOrder);
  const byKind: KindStats[] = groups
    .filter((g) => Number(g.kind) === 2 && Number(g.requests) > 0)
    .map((g) => {
      const a = accumulate([g]);
      return {
        kind: g.call_kind as KindStats['kind'], requests: a.requests, totalTokens: a.total, costUsd: a.cost.value,
        avgLatencyMs: a.latencySum / a.requests, errorRate: a.errors / a.requests,
      };
    })
    .sort((x, y) => y.requests - x.requests || (x.kind < y.kind ? -1 : x.kind > y.kind ? 1 : 0));
  const series: SeriesPoint[] = groups
    .filter((g) => Number(g.kind) === 1 && Number(g.requests) > 0)
    .map((g) => {
      const a = accumulate([g]);
      return { bucketStart: Number(g.sb), requests: a.requests, totalTokens: a.total, costUsd: a.cost.value, errors: a.errors };
    })
    .sort((x, y) => x.bucketStart - y.bucketStart);
  const hists = histogramsBySeriesBucket(histRows);
  const whole = sumHistograms(hists.values());
  if (perSeries) {
    for (const point of series) {
      const h = hists.get(point.bucketStart);
      point.latencyP50Ms = h ? percentileFromHist(h[0], 0.5) : null;
      point.latencyP95Ms = h ? percentileFromHist(h[0], 0.95) : null;
      point.ttftP50Ms = h ? percentileFromHist(h[1], 0.5) : null;
      point.ttftP95Ms = h ? percentileFromHist(h[1], 0.95) : null;
    }
  }
  const n = total.requests;
  return {
    totalRequests: n,
    totalTokens: total.total,
    promptTokens: total.prompt,
    completionTokens: total.completion,
    totalCostUsd: total.cost.value,
    uniqueModels: byModel.length,
    uniqueKeys: uniqueKeys ?? (n > 0 ? 1 : 0),
    avgTokensPerSecond: total.tpsCount > 0 ? total.tpsSum / total.tpsCount : null,
    avgLatencyMs: n > 0 ? total.latencySum / n : null,
    errorRate: n > 0 ? total.errors / n : 0,
    cancelledRequests: total.cancelled,
    fallbackAttempts: total.fallbacks,
    latencyP50Ms: percentileFromHist(whole[0], 0.5),
    latencyP95Ms: percentileFromHist(whole[0], 0.95),
    ttftP50Ms: percentileFromHist(whole[1], 0.5),
    ttftP95Ms: percentileFromHist(whole[1], 0.95),
    byModel,
    byKind,
    series,
    bucketSeconds: plan.seriesMs / 1000,
  };
}

