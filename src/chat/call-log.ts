import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { BudgetTicket } from '../auth/limits.ts';
import type { ChatRequest, FinishReason, ModelPricing, ToolCall, Usage } from '../domain.ts';
import { CancelledError, type ErrorCode, findGatewayError } from '../core/errors.ts';
import type { ActivityEntry, ActivityRecorder, CallKind } from '../usage/activity.ts';
import { computeCostUsd } from '../usage/cost.ts';
import { estimateUsage } from '../usage/estimate.ts';

/** One chat call as the log sees it: who, where, what, and the budget reservation to settle. */
export interface LoggedCall {
  requestId: string;
  keyId: string | null;
  /** Epoch ms when the call started. */
  at: number;
  gateway: string;
  model: string;
  request: ChatRequest;
  pricing: ModelPricing | null;
  ticket: BudgetTicket | null;
  /** Chat unless said otherwise. */
  kind?: CallKind;
}

export interface CallOutcome {
  stream: boolean;
  usage: Usage;
  usageEstimated: boolean;
  costUsd: number | null;
  latencyMs: number;
  ttftMs: number | null;
  finishReason: FinishReason | null;
}

/**
 * Turns a finished call into its one activity row and settles its budget reservation with the real cost.
 * Failures keep what was streamed before them (estimated); a client leaving is `cancelled`, not an error.
 */
export class CallLog {
  constructor(
    private readonly recorder: ActivityRecorder,
    private readonly logger: Logger,
  ) {}

  succeeded(call: LoggedCall, outcome: CallOutcome): void {
    this.write(call, outcome, null, false);
  }

  failed(call: LoggedCall, stream: boolean, started: number, err: unknown, partial: { completionTokens: number; ttftMs: number | null } | null): void {
    const cancelled = err instanceof CancelledError;
    const usage = partial && partial.completionTokens > 0 ? estimateUsage(call.request, partial.completionTokens) : { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
    const outcome: CallOutcome = {
      stream,
      usage,
      usageEstimated: usage.totalTokens > 0,
      costUsd: usage.totalTokens > 0 ? computeCostUsd(usage, call.pricing) : 0,
      latencyMs: performance.now() - started,
      ttftMs: partial?.ttftMs ?? null,
      finishReason: cancelled ? 'CANCELLED' : 'ERROR',
    };
    this.write(call, outcome, cancelled ? null : (findGatewayError(err)?.code ?? 'INTERNAL_SERVER_ERROR'), cancelled);
  }

  private write(call: LoggedCall, outcome: CallOutcome, errorCode: ErrorCode | null, cancelled: boolean): void {
    const { usage } = outcome;
    const generationMs = outcome.latencyMs - (outcome.ttftMs ?? 0);
    const entry: ActivityEntry = {
      id: randomUUID(),
      requestId: call.requestId,
      at: call.at,
      keyId: call.keyId,
      gateway: call.gateway,
      provider: call.gateway,
      model: call.model,
      kind: call.kind ?? 'chat',
      stream: outcome.stream,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      totalTokens: usage.totalTokens,
      cachedTokens: usage.cachedTokens ?? 0,
      reasoningTokens: usage.reasoningTokens ?? 0,
      costUsd: outcome.costUsd,
      latencyMs: outcome.latencyMs,
      ttftMs: outcome.ttftMs,
      tokensPerSecond: usage.completionTokens > 0 && generationMs > 0 ? usage.completionTokens / (generationMs / 1000) : null,
      finishReason: outcome.finishReason,
      errorCode,
      cancelled,
      usageEstimated: outcome.usageEstimated,
    };
    try {
      this.recorder.record(entry);
    } catch (err) {
      this.logger.error({ err, requestId: call.requestId }, 'activity recorder failed');
    }
    call.ticket?.settle(entry.costUsd).catch((err: unknown) => this.logger.error({ err, requestId: call.requestId }, 'budget settlement failed'));
  }
}
