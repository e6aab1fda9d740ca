/**
 * One owner per upstream call: a `Call` holds the abort signal, the budget ticket, the timing, the breaker
 * verdicts and the attempts of one client request, and writes exactly one activity row per attempt (a call
 * refused before any attempt: one row for the refusal). Faces (GraphQL resolvers, graphql-ws, REST and the
 * other wire formats) never build one: they call a service (ChatService.complete / stream), then only iterate
 * or abort what it returns.
 *
 * How an operation plugs in (chat in ./service.ts is the worked example; embeddings, rerank and images the same):
 *   1. `const call = calls.open(caller, { kind: 'embedding', stream: false, model, gateway }, signal)`.
 *      From here on every way out must end the call: wrap the rest in `try { … } catch (err) { call.fail(err); throw err; }`.
 *      `fail` is idempotent and writes only what is missing (an open attempt's row, or the refusal's row).
 *   2. Route: `call.route(candidates)`, the requested model first, then its fallbacks (`Candidate.unavailable`
 *      for one that cannot be tried, e.g. not in the catalog: recorded as a tried model without an upstream call).
 *   3. Admit: `await call.admit((admission, key, models) => admission.admit(key, request, models))`: rpm, then a
 *      budget reservation for the most expensive candidate; settled with what the attempts cost when the call ends.
 *   4. Attempt: `const { value, attempt } = await call.attempt((candidate, options) => provider.x(…, call.signal, options))`.
 *      The owner walks the candidates: skips a model whose breaker is open, gives each attempt its share of what is
 *      left of the call's one deadline (split evenly among the models still to try), lets only the last candidate retry, and moves on after the failures that fall back
 *      (FALLBACK_CODES). It resolves with the first attempt that answered, still open.
 *   5. Finish that attempt once: `attempt.succeed({ usage, usageEstimated, costUsd, ttftMs, finishReason })`, or
 *      `attempt.fail(err, partialOutcome)`. That writes its row, settles its breaker permit and ends the call.
 *   6. Streams: return `call.events(generator, closeUpstream)` to the face: its `return()` aborts the upstream at once, and a
 *      stream closed before its first `next()` still ends the call (row: cancelled). The call is registered with
 *      the in-flight streams (drained at shutdown) for its whole life.
 * `call.attempts` ({model, code, latencyMs} per tried model, in order) is what answers report as `attempts`.
 * Traces: each attempt is a GenAI client span (src/observability/model-call-span.ts), a child of
 * `caller.traceContext`, started with the attempt and ended with its row; `call.describe(request)` gives it the
 * request's parameters. Its trace and span ids go on the row and the log line.
 */
import type { Context } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Admission } from '../auth/admission.ts';
import type { AuthenticatedKey } from '../auth/keys.ts';
import type { BudgetTicket } from '../auth/limits.ts';
import type { CancelSignal } from '../core/cancellation.ts';
import { CancelledError, type ErrorCode, GatewayError, findGatewayError } from '../core/errors.ts';
import type { AttemptOptions, CatalogModel } from '../domain.ts';
import type { BreakerPermit } from '../resilience/breaker.ts';
import { type ModelCallParams, ModelCallSpan } from '../observability/model-call-span.ts';
import { traceIdsOf, tracingEnabled } from '../observability/tracing.ts';
import type { ModelBreakers } from '../resilience/model-breakers.ts';
import { type ActivityRecorder, UNKNOWN_MODEL } from '../usage/activity.ts';
import { Attempt, type Candidate, failedOutcome } from './attempt.ts';
import { type AttemptOutcome, type CallKind, writeAttemptRow } from './call-log.ts';
import type { InflightStreams } from './inflight.ts';

export type { AttemptOutcome, CallKind } from './call-log.ts';
export type { Attempt, Candidate } from './attempt.ts';

/** Who is calling: the request id for logs and rows, and the key admission checks. */
export interface Caller {
  requestId: string;
  keyId: string | null;
  /** The authenticated gateway key; admission (rpm, budget) needs it. */
  key?: AuthenticatedKey | null;
  /** When given, filled in with when the upstream was called and answered: the REST overhead header needs them. */
  timing?: UpstreamTiming;
  /** The caller's span (GraphQL operation, HTTP request): the attempts' spans are its children. */
  traceContext?: Context | undefined;
}

/** performance.now() marks around the upstream (first attempt's start; for streams, `answeredAt` is the first event). */
export interface UpstreamTiming {
  calledAt?: number;
  answeredAt?: number;
}

export interface CallSpec {
  kind: CallKind;
  stream: boolean;
  /** The model and gateway as the caller named them: the refusal row's, when the call fails before routing. */
  model: string;
  gateway: string;
}

/** One tried model as answers report it (`ChatAttempt`): code null for the one that answered. */
export interface AttemptReport {
  model: string;
  code: ErrorCode | null;
  latencyMs: number;
}

/**
 * Failures after which the next candidate is tried (the contract's "Fallbacks"): the model is down, slow,
 * rate limited by Together, gone, or too small for the prompt. Never the caller's own errors (BAD_USER_INPUT),
 * the key's (UNAUTHENTICATED, FORBIDDEN, BUDGET_EXCEEDED, its own RATE_LIMITED: raised by admission, before any
 * attempt) or a cancellation, and not UPSTREAM_AUTH_FAILED (every model shares the gateway's Together key).
 */
export const FALLBACK_CODES: ReadonlySet<ErrorCode> = new Set(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT', 'RATE_LIMITED', 'MODEL_NOT_FOUND', 'CONTEXT_LENGTH_EXCEEDED']);

export interface CallOwnerDeps {
  recorder: ActivityRecorder;
  logger: Logger;
  breakers: ModelBreakers;
  streams: InflightStreams;
  /** Null only in tests of the chat path alone; the server always passes one. */
  admission: Admission | null;
  /** The call's one deadline to the upstream's first byte (or first event), across all attempts and retries. */
  deadlineMs: number;
}

/** Makes the calls of one process: `open()` is where every upstream call begins. */
export class CallOwner {
  constructor(readonly deps: CallOwnerDeps) {}

  open(caller: Caller, spec: CallSpec, signal?: CancelSignal): Call {
    return new Call(this.deps, caller, spec, signal);
  }
}

export class Call {
  readonly attempts: AttemptReport[] = [];
  /** performance.now() and Date.now() when the call began. */
  readonly started = performance.now();
  readonly at = Date.now();
  private readonly controller = new AbortController();
  private candidates: Candidate[] = [];
  private ticket: BudgetTicket | null = null;
  private spentUsd = 0;
  private open: Attempt | null = null;
  private params: ModelCallParams | undefined;
  /** End of the last finished attempt: the next one's latency counts from here, so rows sum to the call. */
  private lastMark = this.started;
  private rows = 0;
  /** Admission ran (rpm counted this call), whatever it decided. */
  private counted = false;
  private ended = false;
  private readonly untrack: (() => void) | null;
  private readonly onParentAbort = (): void => this.abort(this.parent?.reason);

  constructor(
    private readonly deps: CallOwnerDeps,
    readonly caller: Caller,
    readonly spec: CallSpec,
    private readonly parent?: CancelSignal,
  ) {
    // Streams are drained at shutdown; a draining process refuses new ones here (before any row).
    this.untrack = spec.stream ? deps.streams.track(this.controller, caller.key ?? null) : null;
    if (parent?.aborted) this.controller.abort(parent.reason);
    else parent?.addEventListener('abort', this.onParentAbort, { once: true });
  }

  /** Aborted by `abort()`, by the face's own signal (client gone) and by shutdown: every upstream request uses it. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Stops the call now: the upstream request is aborted and the open attempt's row says cancelled. */
  abort(reason?: unknown): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  route(candidates: Candidate[]): void {
    this.candidates = candidates;
  }

  /** What the request asks (sampling parameters, messages): attributes of the attempts' spans. A ChatRequest fits as is. */
  describe(params: ModelCallParams): void {
    this.params = params;
  }

  /** The candidates that can be tried, for the budget's worst case. */
  get routable(): Candidate[] {
    return this.candidates.filter((c) => !c.unavailable);
  }

  /**
   * rpm, then the budget reservation `reserve` computes for the routable candidates (the most expensive one counts).
   * A call that can reach no model (none in the catalog) is still counted by rpm and refused RATE_LIMITED past it;
   * within the limit, attempt() records each candidate and fails (MODEL_NOT_FOUND).
   */
  async admit(
    reserve: (admission: Admission, key: AuthenticatedKey | null, models: readonly (CatalogModel | null)[]) => Promise<BudgetTicket | null>,
  ): Promise<void> {
    if (!this.deps.admission) return;
    this.counted = true;
    if (this.routable.length === 0) return this.deps.admission.countRequest(this.caller.key ?? null);
    this.ticket = await reserve(this.deps.admission, this.caller.key ?? null, this.routable.map((c) => c.catalogModel));
  }

  /**
   * Tries the candidates in order until one answers; resolves with its value and its attempt, still open (finish
   * it with succeed() or fail()). Every other tried model has its row already. Throws when none answered: the one
   * failure when a single model was tried, else one naming every tried model and its code.
   */
  async attempt<T>(start: (candidate: Candidate, options: AttemptOptions) => Promise<T>): Promise<{ value: T; attempt: Attempt }> {
    const deadline = this.started + this.deps.deadlineMs;
    // Made only when needed: an Error captures a stack (~3-10 µs), and the happy path never throws this one.
    let failure: unknown;
    for (let i = 0; i < this.candidates.length; i++) {
      const candidate = this.candidates[i]!;
      const last = this.candidates.slice(i + 1).every((c) => c.unavailable);
      if (candidate.unavailable) {
        failure = candidate.unavailable;
        this.skip(candidate, failure);
        continue;
      }
      let permit: BreakerPermit;
      try {
        permit = this.deps.breakers.get(candidate.gateway.provider.name, candidate.model).acquire();
      } catch (refusal) {
        // Open circuit: the model is skipped at once, and the skip is recorded as its attempt.
        failure = refusal;
        this.skip(candidate, refusal);
        continue;
      }
      const span = tracingEnabled()
        ? ModelCallSpan.start(
            this.caller.traceContext,
            { kind: this.spec.kind, stream: this.spec.stream, model: candidate.model, catalogModel: candidate.catalogModel?.id ?? null, provider: candidate.gateway.provider.name },
            this.params,
          )
        : undefined;
      const attempt = new Attempt(this, candidate, permit, this.lastMark, span);
      this.open = attempt;
      const remaining = deadline - performance.now();
      // The call's one deadline, shared evenly by the models still to try: a model that hangs leaves the others
      // their turn (the last one gets all that is left).
      const share = remaining / this.candidates.slice(i).filter((c) => !c.unavailable).length;
      try {
        if (remaining <= 0) throw new GatewayError('UPSTREAM_TIMEOUT', 'The upstream did not answer before the deadline');
        if (this.caller.timing) this.caller.timing.calledAt ??= performance.now();
        const options = { deadlineMs: share, maxRetries: last ? undefined : 0 };
        // The span is active around the upstream request, so its traceparent is what Together receives.
        const value = await (span ? span.run(() => start(candidate, options)) : start(candidate, options));
        if (this.caller.timing) this.caller.timing.answeredAt = performance.now();
        return { value, attempt };
      } catch (err) {
        failure = err;
        const code = findGatewayError(err)?.code;
        const fallsBack = !last && !this.signal.aborted && code !== undefined && FALLBACK_CODES.has(code);
        attempt.fail(err, null, !fallsBack);
        if (!fallsBack) throw this.exhausted(err);
      }
    }
    throw this.exhausted(failure ?? new GatewayError('MODEL_NOT_FOUND', 'No model to call'));
  }

  /**
   * The call failed: writes what is missing (the open attempt's row, or the row of a call refused before any
   * attempt) and ends the call. Safe to call more than once and after the call ended.
   */
  fail(err: unknown): void {
    if (this.ended) return;
    if (this.open) return this.open.fail(err, null, true);
    if (this.rows === 0) this.writeRow(this.refusalSubject(err), this.at, performance.now() - this.started, failedOutcome(err), err);
    // Refused before admission (bad input, a failed catalog lookup): the request still counts toward the key's
    // minute, so no kind of request is free of rpm. Its refusal is already decided; only later calls feel it.
    if (!this.counted && this.caller.key && this.deps.admission) {
      this.counted = true;
      this.deps.admission.countRequest(this.caller.key).catch(() => undefined);
    }
    this.end();
  }

  /** Whom a refusal row names: the requested model as routed, UNKNOWN_MODEL when no catalog lists it. */
  private refusalSubject(err: unknown): { model: string; gateway: string } {
    const first = this.candidates[0];
    if (!first) return { model: this.spec.model, gateway: this.spec.gateway };
    return { model: rowModel(first, first.unavailable ?? err), gateway: first.gateway.provider.name };
  }

  /**
   * The face's view of a stream: `return()`/`throw()` abort the upstream at once (a plain generator would queue
   * them behind a pending `next()`, which waits on the upstream), and a stream closed before its first `next()`
   * (its own finally never runs) still ends the call as cancelled.
   */
  events<E>(source: AsyncGenerator<E>, onUnstartedClose?: () => void): AsyncGenerator<E> {
    let started = false;
    let returned = false;
    const stop = (): void => {
      this.abort();
      if (started) return;
      started = true;
      this.fail(new CancelledError());
      onUnstartedClose?.();
    };
    const iterator = {
      next: () => {
        started = true;
        // Once the consumer has called return() nobody is listening: a next() still in flight ends the stream
        // instead of rejecting with the abort it caused (graphql-ws would send an error frame for an id the
        // client had completed, which the protocol forbids, and log it as a bug). The row says CANCELLED.
        return source.next().catch((err: unknown) => {
          if (returned) return { done: true, value: undefined } as IteratorResult<E>;
          throw err;
        });
      },
      return: (value?: unknown) => {
        returned = true;
        stop();
        return source.return(value as E);
      },
      throw: (err?: unknown) => {
        stop();
        return source.throw(err);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator as unknown as AsyncGenerator<E>;
  }

  /** The error a client sees when no model answered: with fallbacks, it names each tried model and its code. */
  private exhausted(last: unknown): unknown {
    const known = findGatewayError(last);
    if (this.attempts.length <= 1 || !known) return last;
    const tried = this.attempts.map((a) => `${a.model} (${a.code ?? 'ok'})`).join(', ');
    return new GatewayError(known.code, `No model answered: ${tried}. Last: ${known.message}`, {
      ...(known.retryAfterSeconds !== undefined ? { retryAfterSeconds: known.retryAfterSeconds } : {}),
      details: { ...known.details, attempts: this.attempts.map((a) => ({ ...a })) },
      cause: known,
    });
  }

  /** A candidate tried without an upstream call (open circuit, not in the catalog). */
  private skip(candidate: Candidate, err: unknown): void {
    const now = performance.now();
    const at = this.at + (this.lastMark - this.started);
    this.settleAttempt(candidate, at, now - this.lastMark, failedOutcome(err), err);
  }

  /** @internal Attempt → call: its row, its report, its cost toward the settlement. */
  settleAttempt(candidate: Candidate, at: number, latencyMs: number, outcome: AttemptOutcome, err: unknown, trace?: { traceId: string; spanId: string }): void {
    this.lastMark = performance.now();
    const cancelled = err instanceof CancelledError;
    // The answer's `attempts` report the id as the caller sent it (it is theirs); the row names a bounded one.
    this.attempts.push({ model: candidate.model, code: err === null ? null : cancelled ? null : (findGatewayError(err)?.code ?? 'INTERNAL_SERVER_ERROR'), latencyMs });
    this.spentUsd += outcome.costUsd ?? 0;
    this.writeRow({ model: rowModel(candidate, err, outcome), gateway: candidate.gateway.provider.name }, at, latencyMs, outcome, err, trace);
  }

  /** @internal */
  attemptEnded(attempt: Attempt, final: boolean): void {
    if (this.open === attempt) this.open = null;
    if (final) this.end();
  }

  private writeRow(where: { model: string; gateway: string }, at: number, latencyMs: number, outcome: AttemptOutcome, err: unknown, trace?: { traceId: string; spanId: string }): void {
    const attempt = this.rows++;
    writeAttemptRow(this.deps.recorder, this.deps.logger, {
      attempt,
      requestId: this.caller.requestId,
      keyId: this.caller.keyId,
      kind: this.spec.kind,
      stream: this.spec.stream,
      gateway: where.gateway,
      model: where.model,
      at,
      latencyMs,
      outcome,
      err,
      // Rows without a span of their own (a refusal, a skipped model) name the caller's span.
      trace: trace ?? traceIdsOf(this.caller.traceContext),
    });
  }

  /** Settles the budget with what the attempts cost, releases the stream slot and the parent listener. Once. */
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.parent?.removeEventListener('abort', this.onParentAbort);
    this.untrack?.();
    this.ticket?.settle(this.spentUsd).catch((err: unknown) => this.deps.logger.error({ err, requestId: this.caller.requestId }, 'budget settlement failed'));
  }
}

/**
 * The model an attempt's row names: the candidate's id, or UNKNOWN_MODEL for an id no catalog lists that did
 * not answer (not in the catalog; passed through by a named provider and refused, failed or answered 404):
 * client-chosen ids would otherwise be unbounded rows, rollup entries (byModel) and metric series (issue 25).
 * A passed-through id that answered (even partly, then cancelled) keeps its name: the upstream knows it.
 */
function rowModel(candidate: Candidate, err: unknown, outcome?: AttemptOutcome): string {
  if (candidate.catalogModel !== null || err === null) return candidate.model;
  return (outcome?.usage.completionTokens ?? 0) > 0 ? candidate.model : UNKNOWN_MODEL;
}
