/** How the keys CLI shows keys: a plain aligned table for people, objects for `--json`. Never the key or its hash. */
import type { KeyRecord } from '../store/types.ts';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
/** Minutes are enough for people; the JSON keeps milliseconds. */
const shortTime = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 16).replace('T', ' '));
/** Spend keeps sub-cent amounts visible (6 significant digits), never rounded to $0.00. */
const usd = (v: number): string => `$${v === 0 ? '0' : Number(v.toPrecision(6)).toString()}`;

export function keyJson(k: KeyRecord) {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    isAdmin: k.isAdmin,
    budgetUsd: k.budgetUsd,
    spendUsd: k.spendUsd,
    rpm: k.rpm,
    state: k.revokedAt === null ? ('active' as const) : ('revoked' as const),
    createdAt: iso(k.createdAt),
    lastUsedAt: iso(k.lastUsedAt),
    revokedAt: iso(k.revokedAt),
  };
}

export function keyTable(keys: KeyRecord[]): string {
  const header = ['NAME', 'PREFIX', 'CREATED (UTC)', 'LAST USED', 'BUDGET', 'SPENT', 'RPM', 'STATE'];
  const rows = keys.map((k) => [
    k.name,
    `${k.prefix}…`,
    shortTime(k.createdAt),
    shortTime(k.lastUsedAt),
    k.budgetUsd === null ? '-' : usd(k.budgetUsd),
    usd(k.spendUsd),
    k.rpm === null ? '-' : String(k.rpm),
    k.revokedAt === null ? (k.isAdmin ? 'active, admin' : 'active') : `revoked ${shortTime(k.revokedAt)}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
