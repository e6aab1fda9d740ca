import { CancelledError, GatewayError } from '../../core/errors.ts';
import { isRetryable, mapTogetherError, retryAfterMs } from './errors.ts';

/**
 * One upstream attempt's abort plumbing: aborted by the caller's signal (client gone, shutdown) or by our
 * own timer (first-byte deadline, then the idle gap between chunks). Remembers which one fired, because the
 * openai SDK reports both as the same abort error, and its stream iterator even ends silently on abort.
 */
/** One shared reason (no stack capture per call) for closing an upstream response nobody reads any more. */
const FINISHED = new Error('upstream call finished');

export class UpstreamCall {
  readonly controller = new AbortController();
  timedOut = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly onParentAbort = (): void => this.controller.abort(this.parent.reason);

  constructor(private readonly parent: AbortSignal) {
    if (parent.aborted) this.controller.abort(parent.reason);
    else parent.addEventListener('abort', this.onParentAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  arm(ms: number): void {
    this.disarm();
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new Error('upstream deadline'));
    }, ms);
    this.timer.unref?.();
  }

  disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Stops the timer and detaches from the parent. With `abortUpstream`, also closes an upstream response that
   * is still open (a stream the client left). A call whose body was read to the end has nothing to abort, and
   * skipping it matters: an abort builds an Error and a DOMException with stack traces on every request.
   */
  dispose(abortUpstream = true): void {
    this.disarm();
    this.parent.removeEventListener('abort', this.onParentAbort);
    if (abortUpstream && !this.controller.signal.aborted) this.controller.abort(FINISHED);
  }

  /** The error to raise for a failure (or a silent end) of this call. */
  failure(err: unknown, timeoutMessage: string): Error {
    if (this.timedOut) return new GatewayError('UPSTREAM_TIMEOUT', timeoutMessage, { cause: err });
    if (this.parent.aborted) return cancellation(this.parent);
    return mapTogetherError(err);
  }
}

/** Why the caller aborted: a GatewayError reason (e.g. shutdown) is kept; anything else is the client leaving. */
export function cancellation(signal: AbortSignal): Error {
  return signal.reason instanceof GatewayError ? signal.reason : new CancelledError();
}

export interface RetryPolicy {
  /** Attempts after the first; 0 disables retries. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Total time allowed until Together's first byte, across all attempts. */
  deadlineMs: number;
  onRetry?: (attempt: number, error: GatewayError, delayMs: number) => void;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(cancellation(signal));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancellation(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it yields a response: retries 429, 5xx and connection failures that happen before the
 * first byte, with exponential backoff and full jitter, waiting at least what `retry-after` asks, never past
 * the deadline. The one place that owns retries (the SDK's own are off). Returns the live call so that a
 * stream can keep using its abort plumbing.
 */
export async function withRetries<T>(
  parent: AbortSignal,
  policy: RetryPolicy,
  attempt: (signal: AbortSignal) => Promise<T>,
): Promise<{ value: T; call: UpstreamCall }> {
  const started = Date.now();
  let lastFailure: GatewayError | undefined;
  for (let n = 0; ; n++) {
    const remaining = policy.deadlineMs - (Date.now() - started);
    // A backoff timer that fired a little late: Together's own last answer says more than "deadline".
    if (remaining <= 0) throw lastFailure ?? new GatewayError('UPSTREAM_TIMEOUT', 'Together did not answer before the deadline');
    const call = new UpstreamCall(parent);
    call.arm(remaining);
    try {
      const value = await attempt(call.signal);
      call.disarm();
      return { value, call };
    } catch (err) {
      call.dispose();
      const failure = call.failure(err, 'Together did not answer before the deadline');
      if (!(failure instanceof GatewayError) || call.timedOut || n >= policy.maxRetries || !isRetryable(err)) throw failure;
      const backoff = Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** n);
      // Together's own retry-after (exact, 0 allowed) wins over a shorter backoff.
      const delay = Math.max(backoff, retryAfterMs(err) ?? 0);
      // Waiting past the deadline helps nobody: hand the client the error (with its retry-after) now.
      if (Date.now() - started + delay >= policy.deadlineMs) throw failure;
      lastFailure = failure;
      policy.onRetry?.(n + 1, failure, delay);
      await sleep(delay, parent);
    }
  }
}
