/**
 * Rollups maintained by insertActivity (same transaction as the raw rows), so stats() reads the log only for the
 * partial bucket at the start of a range (see stats-shared.ts).
 *
 * Grains minute, hour, day (bucket_start = epoch ms floored to the grain, UTC) and two kinds of scope: '' = all keys of
 * the gateway (all three grains), or one key id (hour and day only; rows without a key feed only ''). Tables:
 *  - rollup(gateway, scope, grain, bucket_start, model, call_kind): counters and sums;
 *  - rollup_hist(gateway, scope, grain, bucket_start): log-scale histograms of latency and TTFT as JSON {bin: count}
 *    (one row per bucket, not per bin: merged in SQL on conflict, summed in JS by stats);
 *  - rollup_keys(gateway, grain, bucket_start, key_id): which keys were active (for uniqueKeys).
 * Deltas are aggregated per batch in JS and sorted in one fixed order, so concurrent writers lock rows in the same order.
 */
import type { ActivityEntry } from '../usage/activity.ts';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Grains of the all-keys scope, coarsest first (each divides the next coarser one). */
export const SCOPE_GRAINS: readonly number[] = [DAY_MS, HOUR_MS, MINUTE_MS];
/**
 * Grains of one-key scopes and of rollup_keys. No minute grain: at realistic densities nearly every row would be its
 * own per-key minute bucket, doubling the write cost; stats read the sub-hour edge of a key from the log instead.
 */
export const KEY_GRAINS: readonly number[] = [DAY_MS, HOUR_MS];

export const ALL_KEYS_SCOPE = '';
export const METRIC_LATENCY = 0;
export const METRIC_TTFT = 1;

/**
 * Histogram: bin 0 holds [0, 1) ms; bin i >= 1 holds [B^(i-1), B^i) ms with B = 1.1 (clamped at HIST_MAX_BIN).
 * A percentile is reported as the bin's geometric midpoint B^(i-1/2), so it is within a factor sqrt(1.1) of the
 * exact nearest-rank percentile: relative error <= 4.9% (absolute <= 0.5 ms below 1 ms).
 */
export const HIST_BASE = 1.1;
export const HIST_MAX_BIN = 300;
export const HIST_RELATIVE_PRECISION = Math.sqrt(HIST_BASE) - 1;
const LN_BASE = Math.log(HIST_BASE);

export function histBin(valueMs: number): number {
  if (!(valueMs >= 1)) return 0;
  return Math.min(HIST_MAX_BIN, 1 + Math.floor(Math.log(valueMs) / LN_BASE));
}

export function histValue(bin: number): number {
  return bin <= 0 ? 0.5 : Math.pow(HIST_BASE, bin - 0.5);
}

/** Nearest-rank percentile (p in (0, 1]) from bin counts; null when empty. */
export function percentileFromHist(counts: Map<number, number>, p: number): number | null {
  let total = 0;
  for (const n of counts.values()) total += n;
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const bin of [...counts.keys()].sort((a, b) => a - b)) {
    seen += counts.get(bin) ?? 0;
    if (seen >= rank) return histValue(bin);
  }
  return null;
}

/** Neumaier compensated sum: cost sums keep (hi, lo) so totals stay correct to the last bits. */
export class KSum {
  hi = 0;
  lo = 0;
  add(x: number): void {
    const t = this.hi + x;
    this.lo += Math.abs(this.hi) >= Math.abs(x) ? this.hi - t + x : x - t + this.hi;
    this.hi = t;
  }
  get value(): number {
    return this.hi + this.lo;
  }
}

/** A row is an error when it has an error code and was not cancelled (cancelled calls are not errors). */
export const isError = (r: { errorCode: string | null; cancelled: boolean }): boolean => r.errorCode !== null && !r.cancelled;

export interface RollupDelta {
  gateway: string;
  scope: string;
  grain: number;
  bucketStart: number;
  model: string;
  kind: string;
  requests: number;
  errors: number;
  cancelled: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cost: KSum;
  latencySum: number;
  tpsSum: number;
  tpsCount: number;
  /** Rows of attempts on a fallback model (ActivityEntry.attempt > 0). */
  fallbacks: number;
}

/** Histograms of one (gateway, scope, grain, bucket): bin → count, stored as JSON objects ({"57": 3, …}). */
export interface HistDelta {
  gateway: string;
  scope: string;
  grain: number;
  bucketStart: number;
  latency: Record<string, number>;
  ttft: Record<string, number>;
}

export interface KeyDelta {
  gateway: string;
  grain: number;
  bucketStart: number;
  keyId: string;
  requests: number;
}

export interface Deltas {
  rollup: RollupDelta[];
  hist: HistDelta[];
  keys: KeyDelta[];
}

const SEP = '\u0000';
const cmpStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** A total order on bucket rows (numbers first: cheap), identical in every process. */
const cmpBucket = (a: { grain: number; bucketStart: number; gateway: string }, b: typeof a): number =>
  a.grain - b.grain || a.bucketStart - b.bucketStart || cmpStr(a.gateway, b.gateway);

const ALL_ONLY = [ALL_KEYS_SCOPE];

export function computeDeltas(rows: readonly ActivityEntry[]): Deltas {
  const rollup = new Map<string, RollupDelta>();
  const hist = new Map<string, HistDelta>();
  const keys = new Map<string, KeyDelta>();
  const scopes: string[] = [ALL_KEYS_SCOPE];
  for (const r of rows) {
    const at = Math.floor(r.at);
    const keyId = r.keyId ? r.keyId : null;
    scopes.length = 1;
    if (keyId !== null) scopes.push(keyId);
    const error = isError(r) ? 1 : 0;
    const cancelled = r.cancelled ? 1 : 0;
    const fallback = r.attempt > 0 ? 1 : 0;
    const latencyBin = histBin(r.latencyMs);
    const ttftBin = r.ttftMs === null ? -1 : histBin(r.ttftMs);
    const gateway = r.gateway;
    for (const grain of SCOPE_GRAINS) {
      const bucketStart = Math.floor(at / grain) * grain;
      const gb = gateway + SEP + grain + SEP + bucketStart + SEP;
      const keyGrain = KEY_GRAINS.includes(grain);
      for (const scope of keyGrain ? scopes : ALL_ONLY) {
        const sk = gb + scope + SEP;
        const rk = sk + r.model + SEP + r.kind;
        let d = rollup.get(rk);
        if (d === undefined) {
          d = {
            gateway, scope, grain, bucketStart, model: r.model, kind: r.kind, requests: 0, errors: 0, cancelled: 0,
            promptTokens: 0, completionTokens: 0, totalTokens: 0, cost: new KSum(), latencySum: 0, tpsSum: 0, tpsCount: 0, fallbacks: 0,
          };
          rollup.set(rk, d);
        }
        d.requests += 1;
        d.errors += error;
        d.cancelled += cancelled;
        d.fallbacks += fallback;
        d.promptTokens += r.promptTokens;
        d.completionTokens += r.completionTokens;
        d.totalTokens += r.totalTokens;
        if (r.costUsd !== null) d.cost.add(r.costUsd);
        d.latencySum += r.latencyMs;
        if (r.tokensPerSecond !== null) {
          d.tpsSum += r.tokensPerSecond;
          d.tpsCount += 1;
        }
        let h = hist.get(sk);
        if (h === undefined) hist.set(sk, (h = { gateway, scope, grain, bucketStart, latency: {}, ttft: {} }));
        h.latency[latencyBin] = (h.latency[latencyBin] ?? 0) + 1;
        if (ttftBin >= 0) h.ttft[ttftBin] = (h.ttft[ttftBin] ?? 0) + 1;
      }
      if (keyId !== null && keyGrain) {
        const kk = gb + keyId;
        const k = keys.get(kk);
        if (k !== undefined) k.requests += 1;
        else keys.set(kk, { gateway, grain, bucketStart, keyId, requests: 1 });
      }
    }
  }
  return {
    rollup: [...rollup.values()].sort((a, b) => cmpBucket(a, b) || cmpStr(a.scope, b.scope) || cmpStr(a.model, b.model) || cmpStr(a.kind, b.kind)),
    hist: [...hist.values()].sort((a, b) => cmpBucket(a, b) || cmpStr(a.scope, b.scope)),
    keys: [...keys.values()].sort((a, b) => cmpBucket(a, b) || cmpStr(a.keyId, b.keyId)),
  };
}
