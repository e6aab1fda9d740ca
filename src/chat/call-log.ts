import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { CancelledError, findGatewayError } from '../core/errors.ts';
import { type ActivityEntry, type ActivityRecorder, type CallKind, storableEntry } from '../usage/activity.ts';
import type { FinishReason, ToolCall, Usage } from '../domain.ts';
import type { ModelCallResult } from '../observability/model-call-span.ts';

export type { CallKind } from '../usage/activity.ts';

/** How an attempt ended, as its row records it. */
export interface AttemptOutcome {
  usage: Usage;
  usageEstimated: boolean;
  costUsd: number | null;
  /** Streams: the attempt's time to its first event. */
  ttftMs: number | null;
  finishReason: FinishReason | null;
  /** What only the answer knows, for the attempt's span: Together's id and model, its text (kept only with content capture on). */
  response?: { id?: string | undefined; model?: string | undefined; content?: string | undefined; toolCalls?: ToolCall[] | undefined } | undefined;
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
  /** 0 for the call's first row, 1… for its attempts on fallback models. */
  attempt: number;
  /** The attempt's span (or the caller's, for a row without an upstream call); undefined while tracing is off. */
  trace?: { traceId: string; spanId: string } | undefined;
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
    attempt: row.attempt,
    traceId: row.trace?.traceId ?? null,
    spanId: row.trace?.spanId ?? null,
  });
  try {
    recorder.record(entry);
  } catch (err) {
    logger.error({ err, requestId: row.requestId }, 'activity recorder failed');
  }
}

/** An attempt's outcome as its span records it. */
export function spanResult(o: AttemptOutcome): ModelCallResult {
  return {
    promptTokens: o.usage.promptTokens,
    completionTokens: o.usage.completionTokens,
    costUsd: o.costUsd,
    finishReason: o.finishReason,
    responseId: o.response?.id,
    responseModel: o.response?.model,
    outputText: o.response?.content,
    outputToolCalls: o.response?.toolCalls,
  };
}
