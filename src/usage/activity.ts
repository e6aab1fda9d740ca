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
