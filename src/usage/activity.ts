import type { FinishReason } from '../domain.ts';
import type { ErrorCode } from '../core/errors.ts';

/** Which kind of model call a row records. */
export type CallKind = 'chat' | 'embedding' | 'rerank' | 'image';
export const CALL_KINDS: readonly CallKind[] = ['chat', 'embedding', 'rerank', 'image'];

/**
 * The model a row names when the caller asked for a model that no catalog lists and no upstream served: one
 * bounded value, so client-chosen ids cannot grow the log's rollups (byModel) or the metrics (issue 25).
 */
export const UNKNOWN_MODEL = '(unknown)';

/** One row of the activity log: exactly one per model call, whatever its outcome. */
export interface ActivityEntry {
  /** Unique per call (a UUID): the store ignores a second insert of the same id, so a retried flush never duplicates. */
  id: string;
  requestId: string;
  /** Epoch milliseconds when the call started. */
  at: number;
  keyId: string | null;
  gateway: string;
  provider: string;
  /** The model requested (the catalog id); UNKNOWN_MODEL for an id no catalog lists that was not served. */
  model: string;
  kind: CallKind;
  stream: boolean;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  /** Full precision; null when the model has no per-token price. */
  costUsd: number | null;
  latencyMs: number;
  /** Streams only: time to the first token the client received. */
  ttftMs: number | null;
  tokensPerSecond: number | null;
  finishReason: FinishReason | null;
  errorCode: ErrorCode | null;
  cancelled: boolean;
  /** Together sent no usage; the tokens were counted by the gateway. */
  usageEstimated: boolean;
  /** This row's place among its call's attempts: 0 for the requested model, 1… for fallbacks (rows written before migration 7: 0). */
  attempt: number;
  /** The OpenTelemetry trace of the call (null while tracing is off): an outlier row opens in the tracing system. */
  traceId?: string | null;
  /** The attempt's span (the log line carries it; not stored). */
  spanId?: string | null;
}

/** Where finished calls go. The store-backed recorder batches off the request path; tests may collect. */
export interface ActivityRecorder {
  record(entry: ActivityEntry): void;
}


/** The activity log as its readers see it: `flush()` puts every finished call's row in the store. */
export interface ActivityLog {
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** The longest model id a call accepts and a row carries (the catalog's longest is under 100). */
export const MAX_MODEL_ID_CHARS = 256;

/** C0 controls (NUL included: PostgreSQL refuses 0x00 in text), DEL and C1 controls. */
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/** A model id a caller may send: non-empty, at most MAX_MODEL_ID_CHARS, no control characters. */
export function modelIdProblem(id: string): string | null {
  if (id === '') return 'must not be empty';
  if (id.length > MAX_MODEL_ID_CHARS) return `must be at most ${MAX_MODEL_ID_CHARS} characters`;
  if (CONTROL_CHARS.test(id)) return 'must not contain control characters';
  return null;
}

/**
 * The biggest token count a row carries: the token columns are 64-bit (migration 5), but a JS number above 2^53
 * is no longer an exact integer, and PostgreSQL's driver sends 1e21 as "1e+21", which bigint refuses.
 */
const MAX_TOKENS = Number.MAX_SAFE_INTEGER;
const tokens = (n: number): number => (Number.isFinite(n) && n > 0 ? Math.min(Math.floor(n), MAX_TOKENS) : 0);
const finiteOrNull = (n: number | null): number | null => (n !== null && Number.isFinite(n) ? n : null);

/**
 * The row as the store can always take it (issue 25.1): a model id no call could use is recorded as
 * UNKNOWN_MODEL (a refused call's row never carries the raw string), token counts are non-negative integers
 * within 2^53, money and timings are finite (a non-finite cost is unknown: null). Every row passes here before
 * the recorder sees it (chat/call-log.ts); the recorder's quarantine (usage/recorder.ts) is the net behind it.
 */
export function storableEntry(e: ActivityEntry): ActivityEntry {
  const latencyMs = Number.isFinite(e.latencyMs) && e.latencyMs >= 0 ? e.latencyMs : 0;
  return {
    ...e,
    model: modelIdProblem(e.model) === null ? e.model : UNKNOWN_MODEL,
    promptTokens: tokens(e.promptTokens),
    completionTokens: tokens(e.completionTokens),
    totalTokens: tokens(e.totalTokens),
    cachedTokens: tokens(e.cachedTokens),
    reasoningTokens: tokens(e.reasoningTokens),
    costUsd: finiteOrNull(e.costUsd),
    latencyMs,
    ttftMs: finiteOrNull(e.ttftMs),
    tokensPerSecond: finiteOrNull(e.tokensPerSecond),
  };
}
