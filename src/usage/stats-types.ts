import type { CallKind } from './activity.ts';

/**
 * The usage vocabulary (time ranges, the stats a store computes): words of the domain, which the store
 * implements and the faces render. The store imports them from here, never the reverse.
 */

export type TimeRange = 'LAST_1H' | 'LAST_24H' | 'LAST_7D' | 'LAST_30D' | 'ALL';

export interface StatsQuery {
  gateway: string;
  timeRange: TimeRange;
  /** Epoch ms; ranges other than ALL cover `at >= now - range` (no upper bound). */
  now: number;
  /** null/undefined = all keys (admin). */
  keyId?: string | null;
  /** Also latency/TTFT percentiles per series bucket (reads finer histogram rows; off unless asked for). */
  seriesPercentiles?: boolean;
  /** Also usage per key (`keyUsage`); all-keys queries only (a one-key query is its own breakdown). */
  byKey?: boolean;
}

export interface ModelStats {
  model: string;
  requests: number;
  totalTokens: number;
  costUsd: number;
  avgLatencyMs: number | null;
  errorRate: number;
}

/** Usage of one kind of model call (chat, embedding, rerank, image). */
export interface KindStats {
  kind: CallKind;
  requests: number;
  totalTokens: number;
  costUsd: number;
  avgLatencyMs: number | null;
  errorRate: number;
}

export interface SeriesPoint {
  /** Epoch ms, a multiple of bucketSeconds * 1000 (buckets are aligned to the UTC epoch). */
  bucketStart: number;
  requests: number;
  totalTokens: number;
  costUsd: number;
  errors: number;
  /** Only when the query asked for `seriesPercentiles` (same log-scale histograms as the totals'). */
  latencyP50Ms?: number | null;
  latencyP95Ms?: number | null;
  ttftP50Ms?: number | null;
  ttftP95Ms?: number | null;
}

/** One key's calls in a range (rows without a key are in no entry). */
export interface KeyUsageStats {
  keyId: string;
  requests: number;
  errors: number;
  totalTokens: number;
  costUsd: number;
}

export interface GatewayStatsResult {
  totalRequests: number;
  totalTokens: number;
  promptTokens: number;
  completionTokens: number;
  totalCostUsd: number;
  uniqueModels: number;
  uniqueKeys: number;
  avgTokensPerSecond: number | null;
  avgLatencyMs: number | null;
  errorRate: number;
  cancelledRequests: number;
  /** Upstream attempts on a fallback model (rows after a call's first); totalRequests − this = calls. */
  fallbackAttempts: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  /** Sorted by requests descending, then model ascending. */
  byModel: ModelStats[];
  /** Per kind of call, most used first; kinds without calls are left out. */
  byKind: KindStats[];
  /** Non-empty buckets only, ascending. */
  series: SeriesPoint[];
  bucketSeconds: number;
  /** Only when the query asked for `byKey` with all keys: most spent first. */
  keyUsage?: KeyUsageStats[];
}
