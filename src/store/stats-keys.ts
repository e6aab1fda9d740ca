/**
 * Usage per key over a time range, for an admin's `gatewayStats { byKey }`: the one-key rollups (scope = key id,
 * hour and day grains) for whole buckets, the log for the sub-hour edge at the start of the range — the same cover
 * a one-key stats() reads (stats-shared.ts), so each entry equals that key's own `gatewayStats` totals.
 *
 * Only keys active in the range are read: rollup_keys (day grain) names them, and each key's rollup rows are then
 * found by primary key (gateway, scope, grain, bucket_start), never by scanning every key's rows.
 */
import type { Dialect } from './migrations.ts';
import { DAY_MS, KEY_GRAINS, KSum } from './rollup.ts';
import { type SqlQuery, type StatsPlan, boolInt, exactCostSum, union } from './stats-shared.ts';
import type { KeyUsageStats } from '../usage/stats-types.ts';

export function keyUsageQuery(d: Dialect, plan: StatsPlan, gateway: string): SqlQuery {
  const cover = plan.perKey;
  const first = Math.min(...cover.segments.map((s) => s.from), cover.raw?.from ?? Infinity);
  // Keys with any call from the day bucket holding the range's start on: a superset of the keys in the range.
  const activeKeys = `SELECT DISTINCT key_id FROM rollup_keys WHERE gateway = ? AND grain = ${DAY_MS} AND bucket_start >= ?`;
  const activeFrom = Number.isFinite(first) ? Math.floor(first / DAY_MS) * DAY_MS : 0;
  const parts: SqlQuery[] = cover.segments
    .filter((seg) => KEY_GRAINS.includes(seg.grain))
    .map((seg) => ({
      sql: `SELECT scope AS key_id, requests, errors, total_tokens, cost_usd, cost_err FROM rollup
        WHERE gateway = ? AND scope IN (${activeKeys}) AND grain = ${seg.grain} AND bucket_start >= ? AND bucket_start < ?`,
      params: [gateway, gateway, activeFrom, seg.from, seg.to],
    }));
  if (cover.raw) {
    const cancelled = boolInt(d, 'cancelled');
    parts.push({
      sql: `SELECT key_id, 1 AS requests, CASE WHEN error_code IS NOT NULL AND ${cancelled} = 0 THEN 1 ELSE 0 END AS errors,
        total_tokens, COALESCE(cost_usd, 0) AS cost_usd, 0 AS cost_err
        FROM activity WHERE gateway = ? AND at >= ? AND at < ? AND key_id IS NOT NULL AND key_id <> ''`,
      params: [gateway, cover.raw.from, cover.raw.to],
    });
  }
  if (parts.length === 0) return { sql: 'SELECT 0 AS requests WHERE 1 = 0', params: [] };
  const u = union(parts);
  return {
    sql: `SELECT key_id, SUM(requests) AS requests, SUM(errors) AS errors, SUM(total_tokens) AS total_tokens,
        ${exactCostSum(d)} AS cost_usd, SUM(cost_err) AS cost_err
      FROM (${u.sql}) k GROUP BY key_id`,
    params: u.params,
  };
}

export interface KeyUsageRow {
  key_id: string;
  requests: number;
  errors: number;
  total_tokens: number;
  cost_usd: number;
  cost_err: number;
}

/** Most spent first, then most requests, then key id (a stable order). */
export function buildKeyUsage(rows: KeyUsageRow[]): KeyUsageStats[] {
  return rows
    .filter((r) => Number(r.requests) > 0)
    .map((r) => {
      const cost = new KSum();
      cost.add(Number(r.cost_usd));
      cost.add(Number(r.cost_err));
      return { keyId: r.key_id, requests: Number(r.requests), errors: Number(r.errors), totalTokens: Number(r.total_tokens), costUsd: cost.value };
    })
    .sort((a, b) => b.costUsd - a.costUsd || b.requests - a.requests || (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
}
