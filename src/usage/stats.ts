import type { AuthenticatedKey } from '../auth/keys.ts';
import type { GatewayRegistry } from '../catalog/registry.ts';
import type { GatewayStatsResult, GatewayStore, KeyRecord, TimeRange } from '../store/types.ts';
import type { ActivityLog } from './activity.ts';

export interface GatewayStatsView extends GatewayStatsResult {
  gateway: string;
  timeRange: TimeRange;
  scope: 'ALL_KEYS' | 'OWN_KEY';
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
}

/** Usage for one gateway and range: admins see every key, others only their own. Reads its own writes. */
export async function gatewayStats(
  deps: { store: GatewayStore; gateways: GatewayRegistry; recorder: ActivityLog },
  caller: AuthenticatedKey,
  gatewayName: string,
  timeRange: TimeRange,
): Promise<GatewayStatsView> {
  const gateway = deps.gateways.get(gatewayName).provider.name;
  // Rows are written in batches off the request path; flush so the caller's own last call is counted.
  await deps.recorder.flush();
  const result = await deps.store.stats({ gateway, timeRange, now: Date.now(), keyId: caller.isAdmin ? null : caller.id });
  return { ...result, gateway, timeRange, scope: caller.isAdmin ? 'ALL_KEYS' : 'OWN_KEY' };
}

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
    remainingBudgetUsd: caller.budgetUsd === null ? null : Math.max(0, caller.budgetUsd - spend - reserved),
    rpm: caller.rpm,
    createdAt: iso(record?.createdAt ?? null),
    lastUsedAt: iso(record?.lastUsedAt ?? null),
  };
}
