import { APIConnectionError, APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { CancelledError, GatewayError } from '../../src/core/errors.ts';
import { type RetryPolicy, withRetries } from '../../src/providers/together/call.ts';

/** Each rule of providers/together/call.ts, against a scripted upstream (no sockets, exact counts). */
const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({ maxRetries: 2, baseDelayMs: 10, maxDelayMs: 50, deadlineMs: 5_000, ...over });

const status = (code: number, headers: Record<string, string> = {}, body: object = { error: { message: `upstream ${code}` } }) =>
  APIError.generate(code, body, undefined, new Headers(headers));

/** An upstream answering from a script: an Error is thrown, anything else is the answer. */
function scripted(...steps: Array<unknown>) {
  const calls: number[] = [];
  const started = Date.now();
  const attempt = async (signal: AbortSignal) => {
    calls.push(Date.now() - started);
    const step = steps[Math.min(calls.length - 1, steps.length - 1)];
    if (step === 'hang') {
      return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    }
    if (step instanceof Error) throw step;
    return step;
  };
  return { attempt, calls };
}

const never = new AbortController().signal;

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    return err as GatewayError;
  }
  throw new Error('expected a failure');
}

describe('withRetries: retries before the first byte', () => {
  it('429 then success: retried once, the caller gets the answer', async () => {
    const up = scripted(status(429, { 'retry-after': '0' }), 'ok');
    const { value, call } = await withRetries(never, policy(), up.attempt);
    call.dispose();
    expect(value).toBe('ok');
    expect(up.calls).toHaveLength(2);
  });

  it('503 twice then success', async () => {
    const up = scripted(status(503), status(503), 'ok');
    const { value } = await withRetries(never, policy(), up.attempt);
    expect(value).toBe('ok');
    expect(up.calls).toHaveLength(3);
  });

  it('connection refused then success', async () => {
    const up = scripted(new APIConnectionError({ message: 'Connection error.' }), 'ok');
    expect((await withRetries(never, policy(), up.attempt)).value).toBe('ok');
    expect(up.calls).toHaveLength(2);
  });

  it('gives up after maxRetries with the last failure mapped', async () => {
    const up = scripted(status(500));
    const err = await failure(withRetries(never, policy({ maxRetries: 2 }), up.attempt));
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(up.calls).toHaveLength(3);
  });

  for (const [code, expected] of [
    [400, 'BAD_USER_INPUT'],
    [401, 'UPSTREAM_AUTH_FAILED'],
    [403, 'CONTEXT_LENGTH_EXCEEDED'],
    [404, 'MODEL_NOT_FOUND'],
    [422, 'BAD_USER_INPUT'],
  ] as const) {
    it(`never retries ${code} (→ ${expected})`, async () => {
      const up = scripted(status(code), 'ok');
      const err = await failure(withRetries(never, policy({ maxRetries: 5 }), up.attempt));
      expect(err.code).toBe(expected);
      expect(up.calls).toHaveLength(1);
    });
  }

  it('never retries a spent credit (429 credit_limit)', async () => {
    const up = scripted(status(429, {}, { error: { message: 'out of credits', code: 'credit_limit' } }), 'ok');
    const err = await failure(withRetries(never, policy(), up.attempt));
    expect(err.code).toBe('RATE_LIMITED');
    expect(up.calls).toHaveLength(1);
  });

  it('honours retry-after on 429: the retry waits at least that long', async () => {
    const up = scripted(status(429, { 'retry-after': '1' }), 'ok');
    const t0 = Date.now();
    await withRetries(never, policy({ baseDelayMs: 1 }), up.attempt);
    expect(up.calls).toHaveLength(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(990);
  });

  it('honours retry-after on 503 and passes it on when giving up', async () => {
    const up = scripted(status(503, { 'retry-after': '1' }));
    const t0 = Date.now();
    const err = await failure(withRetries(never, policy({ maxRetries: 1, baseDelayMs: 1 }), up.attempt));
    expect(up.calls).toHaveLength(2);
    expect(up.calls[1]).toBeGreaterThanOrEqual(990);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(990);
    expect(err).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryAfterSeconds: 1 });
  });

  it('a retry-after beyond the deadline is not waited for: the client gets it at once', async () => {
    const up = scripted(status(429, { 'retry-after': '30' }), 'ok');
    const t0 = Date.now();
    const err = await failure(withRetries(never, policy({ deadlineMs: 2_000 }), up.attempt));
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(err).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 30 });
    expect(up.calls).toHaveLength(1);
  });

  it('the total deadline bounds every attempt and wait: persistent 503s with many retries stop in time', async () => {
    const up = scripted(status(503));
    const t0 = Date.now();
    const err = await failure(withRetries(never, policy({ maxRetries: 100, baseDelayMs: 100, maxDelayMs: 200, deadlineMs: 700 }), up.attempt));
    // 100 retries would take ~15 s; the deadline (plus timer slack on a busy machine) ends it.
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(up.calls.length).toBeGreaterThan(1);
  });

  it('an attempt still waiting at the deadline is aborted: UPSTREAM_TIMEOUT, no further attempt', async () => {
    const up = scripted(status(503), 'hang');
    const t0 = Date.now();
    const err = await failure(withRetries(never, policy({ deadlineMs: 400 }), up.attempt));
    expect(err.code).toBe('UPSTREAM_TIMEOUT');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    expect(Date.now() - t0).toBeLessThan(1_200);
    expect(up.calls).toHaveLength(2);
  });

  it('the caller leaving during a backoff wait ends it at once, as a cancellation', async () => {
    const controller = new AbortController();
    const up = scripted(status(503, { 'retry-after': '2' }), 'ok');
    setTimeout(() => controller.abort(), 50);
    const t0 = Date.now();
    const err = await failure(withRetries(controller.signal, policy(), up.attempt));
    expect(err).toBeInstanceOf(CancelledError);
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(up.calls).toHaveLength(1);
  });
});
