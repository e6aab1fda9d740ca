import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { CancelledError, findGatewayError } from '../core/errors.ts';
import { type ActivityEntry, type ActivityRecorder, type CallKind, storableEntry } from '../usage/activity.ts';
import type { FinishReason, Usage } from '../domain.ts';

export type { CallKind } from '../usage/activity.ts';

/** How an attempt ended, as its row records it. */
export interface AttemptOutcome {
  usage: Usage;
  usageEstimated: boolean;
  costUsd: number | null;
  /** Streams: the attempt's time to its first event. */
  ttftMs: number | null;
  finishReason: FinishReason | null;
}

/** One attempt as its row records it. `err` null for the attempt that answered. */
export interface AttemptRow {
  requestId: string;
  keyId: string | null;
  kind: CallKind;
  stream: boolean;
  gateway: string;
  model: string;
  /** Epoch ms when the attempt started. */
  at: number;
  latencyMs: number;
  outcome: AttemptOutcome;
  err: unknown;
}

/**
 * Turns a finished attempt into its activity row. A failure keeps what was streamed before it (estimated); a
 * client leaving is `cancelled`, not an error. The call owner (./call.ts) calls this exactly once per attempt.
 */
export function writeAttemptRow(recorder: ActivityRecorder, logger: Logger, row: AttemptRow): void {
  const { usage } = row.outcome;
  const cancelled = row.err instanceof CancelledError;
  const generationMs = row.latencyMs - (row.outcome.ttftMs ?? 0);
  const entry: ActivityEntry = storableEntry({
    id: randomUUID(),
    requestId: row.requestId,
    at: row.at,
    keyId: row.keyId,
    gateway: row.gateway,
    provider: row.gateway,
    model: row.model,
    kind: row.kind,
    stream: row.stream,
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    totalTokens: usage.totalTokens,
    cachedTokens: usage.cachedTokens ?? 0,
    reasoningTokens: usage.reasoningTokens ?? 0,
    costUsd: row.outcome.costUsd,
    latencyMs: row.latencyMs,
    ttftMs: row.outcome.ttftMs,
    tokensPerSecond: usage.completionTokens > 0 && generationMs > 0 ? usage.completionTokens / (generationMs / 1000) : null,
    finishReason: row.outcome.finishReason,
    errorCode: row.err === null || cancelled ? null : (findGatewayError(row.err)?.code ?? 'INTERNAL_SERVER_ERROR'),
    cancelled,
    usageEstimated: row.outcome.usageEstimated,
  });
  try {
    recorder.record(entry);
  } catch (err) {
    logger.error({ err, requestId: row.requestId }, 'activity recorder failed');
  }
}
