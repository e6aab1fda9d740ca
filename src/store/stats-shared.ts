/**
 * stats() for both dialects: plan which rollup buckets cover a time range, build the SQL, and assemble the result.
 *
 * Boundaries are exact to the millisecond: a range [from, ∞) is covered by whole buckets of the series grain from
 * ceil(from) on, then by finer grains (hour, minute) for the partial bucket at the start, and the last partial minute
 * [from, ceil_minute(from)) is read from the raw activity table (index (gateway, at) or (key_id, at)). So per range
 * we read at most ~(buckets in range × models) rollup rows, ~60×2 edge rows per finer grain and one minute of raw rows.
 * Percentiles come from summed log-scale histograms: within 4.9% of the exact nearest-rank value (see rollup.ts).
 */
import type { GatewayStatsResult, ModelStats, SeriesPoint, TimeRange } from './types.ts';
import {
  ALL_KEYS_SCOPE, DAY_MS, GRAINS, HOUR_MS, KSum, METRIC_LATENCY, METRIC_TTFT, MINUTE_MS, histBin, percentileFromHist,
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
const COARSE_GRAIN: Record<TimeRange, number> = {
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
export interface StatsPlan {
  seriesMs: number;
  /** Series-aligned cover (whole buckets of the series grain): for the rollup rows (totals, byModel, series). */
  seriesSegments: Segment[];
  /** Coarsest cover (days, then hours, then minutes): for histograms and unique keys, which ignore the series. */
  summarySegments: Segment[];
  /** [from, ceil_minute(from)): read from the raw log. */
  raw: Span | null;
}

const ceilTo = (t: number, grain: number): number => Math.ceil(t / grain) * grain;

/** Cover [from, ∞) with whole buckets of `coarsest` and finer grains; returns where the raw part ends. */
function cover(from: number, coarsest: number): { segments: Segment[]; rawTo: number } {
  const segments: Segment[] = [];
  let upper = MAX_MS;
  for (const grain of GRAINS) {
    if (grain > coarsest) continue;
    const lo = ceilTo(from, grain);
    if (lo < upper) segments.push({ grain, from: lo, to: upper });
    upper = lo;
  }
  return { segments, rawTo: upper };
}

export function planStats(range: TimeRange, now: number): StatsPlan {
  const seriesMs = SERIES_MS[range];
  if (range === 'ALL') {
    const all = [{ grain: DAY_MS, from: MIN_MS, to: MAX_MS }];
    return { seriesMs, seriesSegments: all, summarySegments: all, raw: null };
  }
  const from = Math.ceil(now - RANGE_MS[range]); // `at` is integral: at >= x  <=>  at >= ceil(x)
  const series = cover(from, COARSE_GRAIN[range]);
  const summary = cover(from, DAY_MS); // both end at ceil_minute(from)
  return { seriesMs, seriesSegments: series.segments, summarySegments: summary.segments, raw: from < series.rawTo ? { from, to: series.rawTo } : null };
}

export interface SqlQuery {
  sql: string;
  params: unknown[];
}

const ROLLUP_COLS =
  'model, bucket_start, requests, errors, cancelled, prompt_tokens, completion_tokens, total_tokens, cost_usd, cost_err, latency_sum, tps_sum, tps_count';

function union(segments: Segment[], part: (seg: Segment) => SqlQuery): SqlQuery {
  const parts = segments.map(part);
  return { sql: parts.map((p) => p.sql).join('\nUNION ALL\n'), params: parts.flatMap((p) => p.params) };
}

/** Rollup rows of the plan's segments (not grouped: JS sums them with compensation). '?' placeholders. */
export function rollupRowsQuery(plan: StatsPlan, gateway: string, scope: string): SqlQuery {
  return union(plan.seriesSegments, (s) => ({
    sql: `SELECT ${ROLLUP_COLS} FROM rollup WHERE gateway = ? AND scope = ? AND grain = ${s.grain} AND bucket_start >= ? AND bucket_start < ?`,
    params: [gateway, scope, s.from, s.to],
  }));
}

export function histQuery(plan: StatsPlan, gateway: string, scope: string): SqlQuery {
  const u = union(plan.summarySegments, (s) => ({
    sql: `SELECT metric, bin, n FROM rollup_hist WHERE gateway = ? AND scope = ? AND grain = ${s.grain} AND bucket_start >= ? AND bucket_start < ?`,
    params: [gateway, scope, s.from, s.to],
  }));
  return { sql: `SELECT metric, bin, SUM(n) AS n FROM (${u.sql}) h GROUP BY metric, bin`, params: u.params };
}

/** Distinct non-null keys over the segments and the raw edge (all-keys scope only). */
export function uniqueKeysQuery(plan: StatsPlan, gateway: string): SqlQuery {
  const parts = plan.summarySegments.map((s) => ({
    sql: `SELECT key_id FROM rollup_keys WHERE gateway = ? AND grain = ${s.grain} AND bucket_start >= ? AND bucket_start < ?`,
    params: [gateway, s.from, s.to] as unknown[],
  }));
  if (plan.raw) {
    parts.push({
      sql: `SELECT key_id FROM activity WHERE gateway = ? AND at >= ? AND at < ? AND key_id IS NOT NULL AND key_id <> ''`,
      params: [gateway, plan.raw.from, plan.raw.to],
    });
  }
  return { sql: `SELECT COUNT(*) AS n FROM (${parts.map((p) => p.sql).join('\nUNION\n')}) k`, params: parts.flatMap((p) => p.params) };
}

export function rawEdgeQuery(raw: Span, gateway: string, keyId: string | null): SqlQuery {
  const cols =
    'model, at, prompt_tokens, completion_tokens, total_tokens, cost_usd, latency_ms, ttft_ms, tokens_per_second, error_code, cancelled';
  return keyId === null
    ? { sql: `SELECT ${cols} FROM activity WHERE gateway = ? AND at >= ? AND at < ?`, params: [gateway, raw.from, raw.to] }
    : {
        sql: `SELECT ${cols} FROM activity WHERE key_id = ? AND at >= ? AND at < ? AND gateway = ?`,
        params: [keyId, raw.from, raw.to, gateway],
      };
}

export interface RollupRow {
  model: string;
  bucket_start: number;
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
}
export interface RawRow {
  model: string;
  at: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost_usd: number | null;
  latency_ms: number;
  ttft_ms: number | null;
  tokens_per_second: number | null;
  error_code: string | null;
  cancelled: number | boolean;
}
export interface HistRow {
  metric: number;
  bin: number;
  n: number;
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
}
const newAcc = (): Acc => ({
  requests: 0, errors: 0, cancelled: 0, prompt: 0, completion: 0, total: 0, cost: new KSum(), latencySum: 0, tpsSum: 0, tpsCount: 0,
});

function addRollup(a: Acc, r: RollupRow): void {
  a.requests += r.requests;
  a.errors += r.errors;
  a.cancelled += r.cancelled;
  a.prompt += r.prompt_tokens;
  a.completion += r.completion_tokens;
  a.total += r.total_tokens;
  a.cost.add(r.cost_usd);
  a.cost.add(r.cost_err);
  a.latencySum += r.latency_sum;
  a.tpsSum += r.tps_sum;
  a.tpsCount += r.tps_count;
}

const rawAsRollup = (r: RawRow): RollupRow => {
  const cancelled = r.cancelled === true || r.cancelled === 1;
  return {
    model: r.model, bucket_start: r.at, requests: 1, errors: r.error_code !== null && !cancelled ? 1 : 0, cancelled: cancelled ? 1 : 0,
    prompt_tokens: r.prompt_tokens, completion_tokens: r.completion_tokens, total_tokens: r.total_tokens, cost_usd: r.cost_usd ?? 0,
    cost_err: 0, latency_sum: r.latency_ms, tps_sum: r.tokens_per_second ?? 0, tps_count: r.tokens_per_second === null ? 0 : 1,
  };
};

/** uniqueKeys: the count for the all-keys scope, or null for a one-key query (then 1 if it has rows, else 0). */
export function buildStats(plan: StatsPlan, rollupRows: RollupRow[], rawRows: RawRow[], histRows: HistRow[], uniqueKeys: number | null): GatewayStatsResult {
  const total = newAcc();
  const models = new Map<string, Acc>();
  const series = new Map<number, Acc>();
  const hists = [new Map<number, number>(), new Map<number, number>()] as const;
  const add = (r: RollupRow): void => {
    addRollup(total, r);
    let m = models.get(r.model);
    if (!m) models.set(r.model, (m = newAcc()));
    addRollup(m, r);
    const sb = Math.floor(r.bucket_start / plan.seriesMs) * plan.seriesMs;
    let s = series.get(sb);
    if (!s) series.set(sb, (s = newAcc()));
    addRollup(s, r);
  };
  for (const r of rollupRows) add(r);
  const bump = (metric: number, bin: number, n: number): void => {
    const h = hists[metric === METRIC_TTFT ? 1 : 0];
    h.set(bin, (h.get(bin) ?? 0) + n);
  };
  for (const r of rawRows) {
    add(rawAsRollup(r));
    bump(METRIC_LATENCY, histBin(r.latency_ms), 1);
    if (r.ttft_ms !== null) bump(METRIC_TTFT, histBin(r.ttft_ms), 1);
  }
  for (const h of histRows) bump(h.metric, h.bin, h.n);

  const byModel: ModelStats[] = [...models.entries()]
    .filter(([, a]) => a.requests > 0)
    .map(([model, a]) => ({
      model, requests: a.requests, totalTokens: a.total, costUsd: a.cost.value,
      avgLatencyMs: a.requests > 0 ? a.latencySum / a.requests : null, errorRate: a.requests > 0 ? a.errors / a.requests : 0,
    }))
    .sort((x, y) => y.requests - x.requests || (x.model < y.model ? -1 : x.model > y.model ? 1 : 0));
  const points: SeriesPoint[] = [...series.entries()]
    .filter(([, a]) => a.requests > 0)
    .sort((x, y) => x[0] - y[0])
    .map(([bucketStart, a]) => ({ bucketStart, requests: a.requests, totalTokens: a.total, costUsd: a.cost.value, errors: a.errors }));
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
    latencyP50Ms: percentileFromHist(hists[0], 0.5),
    latencyP95Ms: percentileFromHist(hists[0], 0.95),
    ttftP50Ms: percentileFromHist(hists[1], 0.5),
    ttftP95Ms: percentileFromHist(hists[1], 0.95),
    byModel,
    series: points,
    bucketSeconds: plan.seriesMs / 1000,
  };
}

export { ALL_KEYS_SCOPE };
