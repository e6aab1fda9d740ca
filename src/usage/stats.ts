import type { AuthenticatedKey } from '../auth/keys.ts';
import type { GatewayRegistry } from '../catalog/registry.ts';
import type { GatewayStore, KeyRecord } from '../store/types.ts';
import type { GatewayStatsResult, KeyUsageStats, TimeRange } from './stats-types.ts';
import type { ActivityLog } from './activity.ts';

export interface GatewayStatsView extends GatewayStatsResult {
  gateway: string;
  timeRange: TimeRange;
  scope: 'ALL_KEYS' | 'OWN_KEY';
  /** Present when asked for (StatsParts.byKey). */
  byKey?: KeyUsageView[];
}

/** Optional parts of gatewayStats, each an extra read: computed only when a caller asks. */
export interface StatsParts {
  /** Latency/TTFT percentiles per series bucket. */
  seriesPercentiles?: boolean;
  /** Usage per key with each key's budget (all keys for an admin, the caller's own otherwise). */
  byKey?: boolean;
}

export interface KeyUsageView {
  key: GatewayKeyView;
  revoked: boolean;
  requests: number;
  totalTokens: number;
  costUsd: number;
  errorRate: number;
}

export interface GatewayKeyView {
  id: string;
  name: string;
  prefix: string;
  isAdmin: boolean;
  budgetUsd: number | null;
  spendUsd: number;
  remainingBudgetUsd: number | null;
  rpm: number | null;
  createdAt: string | null;
  lastUsedAt: string | null;
  revokedAt?: string | null;
}

/** Usage for one gateway and range: admins see every key, others only their own. Reads its own writes. */
export async function gatewayStats(
  deps: { store: GatewayStore; gateways: GatewayRegistry; recorder: ActivityLog },
  caller: AuthenticatedKey,
  gatewayName: string,
  timeRange: TimeRange,
  parts: StatsParts = {},
): Promise<GatewayStatsView> {
  const gateway = deps.gateways.get(gatewayName).provider.name;
  // Rows are written in batches off the request path; flush so the caller's own last call is counted.
  await deps.recorder.flush();
  const { keyUsage, ...result } = await deps.store.stats({
    gateway, timeRange, now: Date.now(), keyId: caller.isAdmin ? null : caller.id, seriesPercentiles: parts.seriesPercentiles, byKey: parts.byKey,
  });
  const view: GatewayStatsView = { ...result, gateway, timeRange, scope: caller.isAdmin ? 'ALL_KEYS' : 'OWN_KEY' };
  if (parts.byKey) view.byKey = caller.isAdmin ? await usageWithKeys(deps.store, keyUsage ?? []) : await ownUsage(deps.store, caller, result);
  return view;
}

/** The store's per-key sums joined with the keys table (revoked keys included: their calls still count). */
async function usageWithKeys(store: GatewayStore, usage: KeyUsageStats[]): Promise<KeyUsageView[]> {
  if (usage.length === 0) return [];
  const records = new Map((await store.listKeys()).map((r) => [r.id, r]));
  return usage.map((u) => {
    const record = records.get(u.keyId);
    return {
      key: record ? keyRecordView(record) : unknownKey(u.keyId),
      revoked: record?.revokedAt != null,
      requests: u.requests,
      totalTokens: u.totalTokens,
      costUsd: u.costUsd,
      errorRate: u.errors / u.requests,
    };
  });
}

/** A key's own breakdown is its totals: the same numbers, no second read of the log. */
async function ownUsage(store: GatewayStore, caller: AuthenticatedKey, totals: GatewayStatsResult): Promise<KeyUsageView[]> {
  if (totals.totalRequests === 0) return [];
  return [{
    key: await describeKey(store, caller),
    revoked: false,
    requests: totals.totalRequests,
    totalTokens: totals.totalTokens,
    costUsd: totals.totalCostUsd,
    errorRate: totals.errorRate,
  }];
}

/** Rows name a key id the keys table lacks only if it was edited by hand: show the id rather than drop the row. */
const unknownKey = (id: string): GatewayKeyView => ({
  id, name: id, prefix: '', isAdmin: false, budgetUsd: null, spendUsd: 0, remainingBudgetUsd: null, rpm: null, createdAt: null, lastUsedAt: null,
});

const remaining = (budget: number | null, spend: number, reserved: number): number | null =>
  budget === null ? null : Math.max(0, budget - spend - reserved);

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export async function describeKey(store: GatewayStore, caller: AuthenticatedKey): Promise<GatewayKeyView> {
  const record: KeyRecord | null = await store.findKeyByName(caller.name).then((r) => (r && r.id === caller.id ? r : null));
  const spend = record?.spendUsd ?? 0;
  const reserved = record?.reservedUsd ?? 0;
  return {
    id: caller.id,
    name: caller.name,
    prefix: caller.prefix,
    isAdmin: caller.isAdmin,
    budgetUsd: caller.budgetUsd,
    spendUsd: spend,
    remainingBudgetUsd: remaining(caller.budgetUsd, spend, reserved),
    rpm: caller.rpm,
    createdAt: iso(record?.createdAt ?? null),
    lastUsedAt: iso(record?.lastUsedAt ?? null),
  };
}

/** A stored key as the GraphQL `GatewayKey` (the admin key mutations, the `keys` query and `byKey` entries). */
export function keyRecordView(record: KeyRecord): GatewayKeyView {
  return {
    id: record.id,
    name: record.name,
    prefix: record.prefix,
    isAdmin: record.isAdmin,
    budgetUsd: record.budgetUsd,
    spendUsd: record.spendUsd,
    remainingBudgetUsd: remaining(record.budgetUsd, record.spendUsd, record.reservedUsd),
    rpm: record.rpm,
    createdAt: iso(record.createdAt),
    lastUsedAt: iso(record.lastUsedAt),
    revokedAt: iso(record.revokedAt),
  };
}
