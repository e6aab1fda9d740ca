/** Row ⇄ object mapping shared by both dialects (SQLite booleans are 0/1 integers, PostgreSQL ones are booleans). */
import type { ActivityEntry } from '../usage/activity.ts';
import type { KeyRecord } from './types.ts';

export const ACTIVITY_COLUMNS = [
  'id', 'request_id', 'at', 'key_id', 'gateway', 'provider', 'model', 'stream', 'prompt_tokens', 'completion_tokens',
  'total_tokens', 'cached_tokens', 'reasoning_tokens', 'cost_usd', 'latency_ms', 'ttft_ms', 'tokens_per_second',
  'finish_reason', 'error_code', 'cancelled', 'usage_estimated', 'call_kind', 'trace_id', 'attempt',
] as const;

/** Values in ACTIVITY_COLUMNS order; booleans stay booleans (the SQLite side maps them to 0/1). */
export function activityValues(e: ActivityEntry): unknown[] {
  return [
    e.id, e.requestId, Math.floor(e.at), e.keyId, e.gateway, e.provider, e.model, e.stream, e.promptTokens, e.completionTokens,
    e.totalTokens, e.cachedTokens, e.reasoningTokens, e.costUsd, e.latencyMs, e.ttftMs, e.tokensPerSecond,
    e.finishReason, e.errorCode, e.cancelled, e.usageEstimated, e.kind, e.traceId ?? null, e.attempt,
  ];
}

const bool = (v: unknown): boolean => v === true || v === 1 || v === 1n;
const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function activityFromRow(r: Record<string, unknown>): ActivityEntry {
  return {
    id: r.id as string,
    requestId: r.request_id as string,
    at: num(r.at),
    keyId: (r.key_id as string | null) ?? null,
    gateway: r.gateway as string,
    provider: r.provider as string,
    model: r.model as string,
    kind: ((r.call_kind as string | undefined) ?? 'chat') as ActivityEntry['kind'],
    stream: bool(r.stream),
    promptTokens: num(r.prompt_tokens),
    completionTokens: num(r.completion_tokens),
    totalTokens: num(r.total_tokens),
    cachedTokens: num(r.cached_tokens),
    reasoningTokens: num(r.reasoning_tokens),
    costUsd: numOrNull(r.cost_usd),
    latencyMs: num(r.latency_ms),
    ttftMs: numOrNull(r.ttft_ms),
    tokensPerSecond: numOrNull(r.tokens_per_second),
    finishReason: (r.finish_reason ?? null) as ActivityEntry['finishReason'],
    errorCode: (r.error_code ?? null) as ActivityEntry['errorCode'],
    cancelled: bool(r.cancelled),
    usageEstimated: bool(r.usage_estimated),
    traceId: (r.trace_id as string | null | undefined) ?? null,
    attempt: num(r.attempt ?? 0),
  };
}

export const KEY_COLUMNS =
  'id, name, prefix, hash, is_admin, budget_usd, rpm, spend_usd, reserved_usd, created_at, last_used_at, revoked_at';

export function keyFromRow(r: Record<string, unknown>): KeyRecord {
  return {
    id: r.id as string,
    name: r.name as string,
    prefix: r.prefix as string,
    hash: r.hash as string,
    isAdmin: bool(r.is_admin),
    budgetUsd: numOrNull(r.budget_usd),
    rpm: numOrNull(r.rpm),
    spendUsd: num(r.spend_usd),
    reservedUsd: num(r.reserved_usd),
    createdAt: num(r.created_at),
    lastUsedAt: numOrNull(r.last_used_at),
    revokedAt: numOrNull(r.revoked_at),
  };
}

/** A quarantined row's JSON (NUL and other control characters are escaped by JSON, so any text database takes it). */
export const quarantineJson = (e: ActivityEntry): string => JSON.stringify(e);

export function quarantineFromRow(r: Record<string, unknown>): { entry: ActivityEntry; reason: string; at: number } {
  return { entry: JSON.parse(r.entry_json as string) as ActivityEntry, reason: r.reason as string, at: num(r.at) };
}
