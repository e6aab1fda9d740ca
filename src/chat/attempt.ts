/**
 * One upstream attempt of a call (src/chat/call.ts owns the call): its row and its breaker verdict, written and
 * settled exactly once whichever of succeed() and fail() comes first, and its GenAI span. Apart from call.ts so
 * each stays readable; an Attempt knows its call only through `AttemptOwner`.
 */
import type { Gateway } from '../catalog/registry.ts';
import { CancelledError, type GatewayError, findGatewayError } from '../core/errors.ts';
import type { CatalogModel } from '../domain.ts';
import type { ModelCallSpan } from '../observability/model-call-span.ts';
import type { BreakerPermit } from '../resilience/breaker.ts';
import { type AttemptOutcome, spanResult } from './call-log.ts';

/** One model the call may use, in the order it is tried. */
export interface Candidate {
  gateway: Gateway;
  /** The model id sent upstream (the catalog id when the catalog knows it). */
  model: string;
  /** Null when a named provider passes an unknown model through (no price). */
  catalogModel: CatalogModel | null;
  /** Why this model cannot be tried (not in the catalog, context too small): a tried model without an upstream call. */
  unavailable?: GatewayError | undefined;
}

/** What an attempt needs of its call. */
export interface AttemptOwner {
  /** Date.now() and performance.now() when the call began. */
  readonly at: number;
  readonly started: number;
  readonly signal: AbortSignal;
  settleAttempt(candidate: Candidate, at: number, latencyMs: number, outcome: AttemptOutcome, err: unknown, trace?: { traceId: string; spanId: string }): void;
  attemptEnded(attempt: Attempt, final: boolean): void;
}

type Verdict = 'success' | 'failure' | 'neutral';

/**
 * What a failed attempt says about the model's health: only the model failing counts against it (unavailable,
 * deadline, a broken stream); any other answer proves it is up; a cancellation or a shutdown says nothing.
 */
function verdictOf(err: unknown, aborted: boolean): Verdict {
  if (aborted || err instanceof CancelledError) return 'neutral';
  const known = findGatewayError(err);
  if (!known || known.code === 'PROVIDER_NOT_CONFIGURED') return 'neutral';
  return known.code === 'UPSTREAM_UNAVAILABLE' || known.code === 'UPSTREAM_TIMEOUT' ? 'failure' : 'success';
}

/** A failure's outcome when nothing was produced: no tokens, no cost (never billed), ERROR or CANCELLED. */
export function failedOutcome(err: unknown): AttemptOutcome {
  return {
    usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
    usageEstimated: false,
    costUsd: 0,
    ttftMs: null,
    finishReason: err instanceof CancelledError ? 'CANCELLED' : 'ERROR',
  };
}

/**
 * One upstream attempt of a call: one row, one breaker verdict, written and settled exactly once, whichever of
 * succeed() and fail() comes first.
 */
export class Attempt {
  private done = false;
  /** Date.now() of the attempt's start (the call's for the first). */
  readonly at: number;

  constructor(
    private readonly call: AttemptOwner,
    readonly candidate: Candidate,
    private readonly permit: BreakerPermit,
    /** performance.now() the attempt's latency counts from. */
    readonly started: number,
    /** Its GenAI span; undefined while tracing is off. */
    private readonly span?: ModelCallSpan,
  ) {
    this.at = call.at + (started - call.started);
  }

  get finished(): boolean {
    return this.done;
  }

  /** Whether the answer text is wanted on the span (a stream accumulates it only then). */
  get capturesContent(): boolean {
    return this.span?.capturesContent ?? false;
  }

  succeed(outcome: AttemptOutcome): void {
    if (this.done) return;
    this.done = true;
    this.permit.success();
    this.span?.succeed(spanResult(outcome));
    this.settle(outcome, null, true);
  }

  /**
   * `partial`: what a stream produced before failing (billed by Together, estimated); null for nothing.
   * `final` false only for the call owner's own fallback loop: the call goes on with the next candidate.
   */
  fail(err: unknown, partial: AttemptOutcome | null = null, final = true): void {
    if (this.done) return;
    this.done = true;
    const verdict = verdictOf(err, this.call.signal.aborted);
    // A client leaving mid-stream says the model was answering.
    if (verdict === 'success' || (verdict === 'neutral' && partial !== null && partial.usage.completionTokens > 0)) this.permit.success();
    else if (verdict === 'failure') this.permit.failure();
    else this.permit.release();
    const base = failedOutcome(err);
    if (this.span) {
      const known = findGatewayError(err);
      this.span.fail(err instanceof CancelledError ? 'CANCELLED' : (known?.code ?? 'INTERNAL_SERVER_ERROR'), known?.message, partial && spanResult(partial));
    }
    this.settle(partial ? { ...partial, finishReason: base.finishReason } : base, err, final);
  }

  private settle(outcome: AttemptOutcome, err: unknown, final: boolean): void {
    this.call.settleAttempt(this.candidate, this.at, performance.now() - this.started, outcome, err, this.span?.ids);
    this.call.attemptEnded(this, final);
  }
}

