import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/core/errors.ts';
import { CircuitBreaker, type BreakerState } from '../../src/resilience/breaker.ts';

function setup(threshold = 3, resetMs = 1000, windowMs = 60_000) {
  let now = 1_000_000;
  const changes: Array<[BreakerState, BreakerState]> = [];
  const breaker = new CircuitBreaker({
    name: 'Together',
    failureThreshold: threshold,
    resetMs,
    windowMs,
    now: () => now,
    onStateChange: (from, to) => changes.push([from, to]),
  });
  return { breaker, changes, advance: (ms: number) => (now += ms) };
}

const fail = (b: CircuitBreaker, n = 1) => {
  for (let i = 0; i < n; i++) b.acquire().failure();
};

function refusal(b: CircuitBreaker): GatewayError {
  try {
    b.acquire();
  } catch (err) {
    return err as GatewayError;
  }
  throw new Error('expected the breaker to refuse');
}

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures and fails fast with UPSTREAM_UNAVAILABLE and the time to the probe', () => {
    const { breaker, advance } = setup(3, 10_000);
    fail(breaker, 2);
    expect(breaker.state).toBe('closed');
    fail(breaker);
    expect(breaker.state).toBe('open');
    advance(2_500);
    const err = refusal(breaker);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(err.message).toBe('Together is failing; circuit open');
    expect(err.retryAfterSeconds).toBe(8); // 7.5 s to the probe, rounded up
    expect(breaker.snapshot()).toMatchObject({ state: 'open', consecutiveFailures: 3, opens: 1, rejected: 1, probeAt: 1_000_000 + 10_000 });
  });

  it('a success resets the count: failures must be consecutive', () => {
    const { breaker } = setup(3);
    fail(breaker, 2);
    breaker.acquire().success();
    fail(breaker, 2);
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().consecutiveFailures).toBe(2);
  });

  it('failures further apart than the window start a new count', () => {
    const { breaker, advance } = setup(3, 1000, 5_000);
    fail(breaker, 2);
    advance(6_000);
    fail(breaker);
    expect(breaker.state).toBe('closed');
    fail(breaker, 2);
    expect(breaker.state).toBe('open');
  });

  it('released permits (cancelled calls) count for nothing', () => {
    const { breaker } = setup(2);
    breaker.acquire().failure();
    for (let i = 0; i < 10; i++) breaker.acquire().release();
    expect(breaker.snapshot().consecutiveFailures).toBe(1);
    expect(breaker.state).toBe('closed');
  });

  it('half-open after the cool-down: exactly one probe goes through; its success closes the circuit', () => {
    const { breaker, advance, changes } = setup(1, 1000);
    fail(breaker);
    advance(999);
    expect(breaker.state).toBe('open');
    advance(1);
    expect(breaker.state).toBe('half-open');
    const probe = breaker.acquire();
    // Others wait for the probe's verdict.
    expect(refusal(breaker).retryAfterSeconds).toBe(1);
    probe.success();
    expect(breaker.state).toBe('closed');
    breaker.acquire().success();
    expect(changes).toEqual([
      ['closed', 'open'],
      ['open', 'half-open'],
      ['half-open', 'closed'],
    ]);
  });

  it('a failed probe opens it again for a full cool-down', () => {
    const { breaker, advance } = setup(1, 1000);
    fail(breaker);
    advance(1000);
    breaker.acquire().failure();
    expect(breaker.state).toBe('open');
    expect(refusal(breaker).retryAfterSeconds).toBe(1);
    advance(500);
    expect(breaker.state).toBe('open');
    advance(500);
    expect(breaker.state).toBe('half-open');
    expect(breaker.snapshot().opens).toBe(2);
  });

  it('a probe released without a verdict hands the probe to the next caller', () => {
    const { breaker, advance } = setup(1, 1000);
    fail(breaker);
    advance(1000);
    breaker.acquire().release();
    expect(breaker.state).toBe('half-open');
    const next = breaker.acquire();
    next.success();
    expect(breaker.state).toBe('closed');
  });

  it('a permit settles once: a second verdict is ignored', () => {
    const { breaker } = setup(2);
    const permit = breaker.acquire();
    permit.failure();
    permit.failure();
    permit.success();
    expect(breaker.snapshot().consecutiveFailures).toBe(1);
  });
});
