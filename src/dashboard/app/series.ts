/**
 * The API leaves empty buckets out of `series`; charts want every bucket of the range on the x axis. This only
 * lays the API's own points on that axis (no value is computed: an absent bucket had no calls, so its counts
 * are 0 and its percentiles are unknown).
 */
import type { DashboardQuery, TimeRange } from '../../../client/index.ts';

type Point = DashboardQuery['gatewayStats']['series'][number];

const RANGE_SECONDS: Record<TimeRange, number | null> = { LAST_1H: 3600, LAST_24H: 86_400, LAST_7D: 604_800, LAST_30D: 2_592_000, ALL: null };

export interface Timeline {
  /** Bucket starts, epoch seconds. */
  x: number[];
  /** The API's point for each bucket, or null when the bucket had no calls. */
  points: Array<Point | null>;
}

export function timeline(series: readonly Point[], bucketSeconds: number, range: TimeRange, nowMs: number): Timeline {
  const bySecond = new Map(series.map((p) => [Date.parse(p.start) / 1000, p]));
  const now = Math.floor(nowMs / 1000);
  const last = Math.floor(now / bucketSeconds) * bucketSeconds;
  const span = RANGE_SECONDS[range];
  const earliestPoint = series.length ? Date.parse(series[0]!.start) / 1000 : last;
  const first = span === null ? earliestPoint : Math.min(Math.floor((now - span) / bucketSeconds) * bucketSeconds, earliestPoint);
  const x: number[] = [];
  // ALL over years of daily buckets stays a few thousand points; cap anyway so a clock skew cannot hang the page.
  for (let t = first; t <= Math.max(last, first) && x.length < 20_000; t += bucketSeconds) x.push(t);
  for (const t of bySecond.keys()) if (t > x[x.length - 1]!) x.push(t); // a bucket past the browser's clock
  return { x, points: x.map((t) => bySecond.get(t) ?? null) };
}
