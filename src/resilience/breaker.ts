import { GatewayError } from '../core/errors.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Shown in the fail-fast message and in metrics, e.g. "Together". */
  name: string;
  /** Consecutive failures (within `windowMs` of each other) that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one probe is let through. */
  resetMs: number;
  /** A failure older than this no longer counts towards the next one: sparse failures never open it. */
  windowMs?: number;
  now?: () => number;
  onStateChange?: (from: BreakerState, to: BreakerState, snapshot: BreakerSnapshot) => void;
}

/** What metrics (and tests) read: a plain copy, never the live object. */
export interface BreakerSnapshot {
  name: string;
  state: BreakerState;
  consecutiveFailures: number;
  /** Epoch ms when the circuit last opened; null while it never has. */
  openedAt: number | null;
  /** Epoch ms when a probe may go through; null unless open. */
  probeAt: number | null;
  /** Times the circuit has opened since start. */
  opens: number;
  /** Calls refused without reaching the upstream. */
  rejected: number;
}

/**
 * One call's pass through the breaker. Settle it exactly once: `success()` when the upstream answered (any
 * non-5xx answer counts: a 4xx proves it is up), `failure()` when it did not (5xx, unreachable, deadline),
 * `release()` when the call says nothing about the upstream (the client went away, shutdown).
 */
export interface BreakerPermit {
  success(): void;
  failure(): void;
  release(): void;
}

const DEFAULT_WINDOW_MS = 60_000;

/**
 * A consecutive-failure circuit breaker. Closed: calls pass, failures are counted, a success resets the count;
 * `failureThreshold` failures in a row (each within `windowMs` of the previous) open it. Open: calls fail fast
 * with UPSTREAM_UNAVAILABLE and `retryAfterSeconds` = time to the probe, without reaching the upstream. After
 * `resetMs` it is half-open: exactly one call (the probe) goes through, others still fail fast; the probe's
 * success closes it, its failure opens it for another `resetMs`, and a probe that ends with no verdict
 * (cancelled) hands the probe to the next caller.
 *
 * Small and synchronous on purpose: it sits outside `withRetries` (one logical call = one verdict, whatever
 * its retries) and around a stream's whole life, which a promise-wrapping breaker (opossum) cannot see.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private lastFailureAt = 0;
  private openedAt: number | null = null;
  private probeInFlight = false;
  private opens = 0;
  private rejected = 0;
  private readonly now: () => number;
  private readonly windowMs: number;

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now ?? Date.now;
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  }

  /** The state now (an open circuit whose cool-down has passed reads as half-open). */
  get state(): BreakerState {
    if (this.current === 'open' && this.openedAt !== null && this.now() - this.openedAt >= this.options.resetMs) {
      this.transition('half-open');
    }
    return this.current;
  }

  snapshot(): BreakerSnapshot {
    const state = this.state;
    return {
      name: this.options.name,
      state,
      consecutiveFailures: this.failures,
      openedAt: this.openedAt,
      probeAt: state === 'open' && this.openedAt !== null ? this.openedAt + this.options.resetMs : null,
      opens: this.opens,
      rejected: this.rejected,
    };
  }

  /** A permit for one call, or UPSTREAM_UNAVAILABLE at once when the circuit refuses it. */
  acquire(): BreakerPermit {
    const state = this.state;
    if (state === 'open') throw this.refusal(this.openedAt! + this.options.resetMs - this.now());
    if (state === 'half-open') {
      // The probe itself is bounded by the upstream deadlines; whoever comes meanwhile waits for its verdict.
      if (this.probeInFlight) throw this.refusal(1000);
      this.probeInFlight = true;
      return this.permit(true);
    }
    return this.permit(false);
  }

  private permit(probe: boolean): BreakerPermit {
    let settled = false;
    const once = (fn: () => void) => () => {
      if (settled) return;
      settled = true;
      if (probe) this.probeInFlight = false;
      fn();
    };
    return {
      success: once(() => this.onSuccess()),
      failure: once(() => this.onFailure(probe)),
      release: once(() => undefined),
    };
  }

  private onSuccess(): void {
    this.failures = 0;
    if (this.current !== 'closed') {
      this.openedAt = null;
      this.transition('closed');
    }
  }

  private onFailure(probe: boolean): void {
    const at = this.now();
    if (probe || this.current === 'half-open') return this.open(at);
    if (this.current === 'open') return; // a call admitted before it opened: already counted enough
    this.failures = this.failures > 0 && at - this.lastFailureAt <= this.windowMs ? this.failures + 1 : 1;
    this.lastFailureAt = at;
    if (this.failures >= this.options.failureThreshold) this.open(at);
  }

  private open(at: number): void {
    this.openedAt = at;
    this.lastFailureAt = at;
    this.opens++;
    this.transition('open');
  }

  private transition(to: BreakerState): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    this.options.onStateChange?.(from, to, {
      name: this.options.name,
      state: to,
      consecutiveFailures: this.failures,
      openedAt: this.openedAt,
      probeAt: to === 'open' && this.openedAt !== null ? this.openedAt + this.options.resetMs : null,
      opens: this.opens,
      rejected: this.rejected,
    });
  }

  private refusal(msToProbe: number): GatewayError {
    this.rejected++;
    return new GatewayError('UPSTREAM_UNAVAILABLE', `${this.options.name} is failing; circuit open`, {
      retryAfterSeconds: Math.max(1, Math.ceil(msToProbe / 1000)),
      details: { circuit: 'open' },
    });
  }
}
