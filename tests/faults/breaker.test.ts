import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CircuitBreaker } from '../../src/resilience/breaker.ts';
import { CHAT_MUTATION, CHAT_STREAM, LLAMA, type Stack, runStream, startStack } from '../helpers/stack.ts';
import { FAULT_ENV, chatInput, codeOf, expectHealthy, newKey, rowsOf } from './helpers.ts';

/** A model failing again and again: its breaker opens, fails fast without calling Together, probes, and closes. */
// Long enough that the open-state checks below finish before the probe window, even on a busy machine.
const RESET_MS = 1500;
let stack: Stack;
/** The model's breaker (created by its first call). */
let provider: { breaker: CircuitBreaker };
beforeAll(async () => {
  stack = await startStack({ env: { ...FAULT_ENV, UPSTREAM_MAX_RETRIES: '0', BREAKER_FAILURE_THRESHOLD: '3', BREAKER_RESET_MS: String(RESET_MS) } });
  provider = { get breaker() { return stack.gateway.services.chat.breakers.get('together', LLAMA); } };
  // The catalog is loaded while Together is healthy.
  expect((await stack.gql('{ models { id } }')).body.errors).toBeUndefined();
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.clearFaults());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('circuit breaker', () => {
  it('opens after 3 consecutive failures, fails fast without calling Together, serves the catalog, probes and closes', async () => {
    const k = await newKey(stack);
    stack.sim.addFault({ route: 'chat', status: 500, times: Infinity });
    for (let i = 0; i < 3; i++) {
      expect(codeOf((await stack.gql(CHAT_MUTATION, chatInput(), k.headers)).body)).toBe('UPSTREAM_UNAVAILABLE');
    }
    expect(provider.breaker.state).toBe('open');

    // Open: refused at once, Together not called.
    const calls = stack.sim.stats.chatCalls;
    const t0 = Date.now();
    const fast = await stack.gql(CHAT_MUTATION, chatInput(), k.headers);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(fast.body.errors?.[0]).toMatchObject({
      message: `${LLAMA} on together is failing; circuit open`,
      extensions: { code: 'UPSTREAM_UNAVAILABLE', circuit: 'open' },
    });
    // Seconds to the probe, rounded up.
    expect(fast.body.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(fast.body.errors?.[0]?.extensions?.retryAfterSeconds).toBeLessThanOrEqual(Math.ceil(RESET_MS / 1000));
    const run = runStream(stack.wsClient(stack.auth(k.key)), CHAT_STREAM, chatInput(), stack.sim);
    await run.finished;
    expect(run.errors?.[0]?.message).toBe(`${LLAMA} on together is failing; circuit open`);
    expect(stack.sim.stats.chatCalls).toBe(calls);

    // The catalog has its own breaker (Together's /models answers): it keeps serving, refreshing when asked.
    await stack.gateway.services.cache.delete('catalog:together:v1');
    const catalog = await stack.gql('{ models { id } }');
    expect(catalog.body.errors).toBeUndefined();
    expect(catalog.body.data.models.length).toBeGreaterThan(0);
    await stack.gateway.services.gateways.get('together').catalog.settled();

    // Rows: 3 upstream failures, then 2 refused (mutation and stream), all UPSTREAM_UNAVAILABLE.
    const rows = await rowsOf(stack, k.id);
    expect(rows).toHaveLength(5);
    expect(rows.every((r) => r.errorCode === 'UPSTREAM_UNAVAILABLE' && r.finishReason === 'ERROR')).toBe(true);

    // Together recovers; after the cool-down one probe goes through and closes the circuit.
    stack.sim.clearFaults();
    await sleep(RESET_MS + 50);
    expect(provider.breaker.state).toBe('half-open');
    const probe = await stack.gql(CHAT_MUTATION, chatInput(), k.headers);
    expect(probe.body.errors).toBeUndefined();
    expect(provider.breaker.state).toBe('closed');
    expect(stack.sim.stats.chatCalls).toBe(calls + 1);
    await expectHealthy(stack);
    expect(provider.breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('a failed probe opens it again for another cool-down', async () => {
    const k = await newKey(stack);
    stack.sim.addFault({ route: 'chat', status: 503, times: Infinity });
    for (let i = 0; i < 3; i++) await stack.gql(CHAT_MUTATION, chatInput(), k.headers);
    expect(provider.breaker.state).toBe('open');
    const opens = provider.breaker.snapshot().opens;
    await sleep(RESET_MS + 50);
    const calls = stack.sim.stats.chatCalls;
    expect(codeOf((await stack.gql(CHAT_MUTATION, chatInput(), k.headers)).body)).toBe('UPSTREAM_UNAVAILABLE');
    expect(stack.sim.stats.chatCalls).toBe(calls + 1);
    expect(provider.breaker.snapshot()).toMatchObject({ state: 'open', opens: opens + 1 });
    expect((await stack.gql(CHAT_MUTATION, chatInput(), k.headers)).body.errors?.[0]?.message).toBe(`${LLAMA} on together is failing; circuit open`);
    expect(stack.sim.stats.chatCalls).toBe(calls + 1);

    stack.sim.clearFaults();
    await sleep(RESET_MS + 50);
    await expectHealthy(stack);
    expect(provider.breaker.state).toBe('closed');
  });

  it('4xx answers never open it: Together is up, the request was wrong', async () => {
    const k = await newKey(stack);
    stack.sim.addFault({ route: 'chat', status: 400, times: 5 });
    for (let i = 0; i < 5; i++) expect(codeOf((await stack.gql(CHAT_MUTATION, chatInput(), k.headers)).body)).toBe('BAD_USER_INPUT');
    expect(provider.breaker.state).toBe('closed');
  });

  it('streams that break mid-way count as failures', async () => {
    const k = await newKey(stack);
    stack.sim.addFault({ route: 'chat', cutAfterChunks: 2, times: 3 });
    for (let i = 0; i < 3; i++) {
      const run = runStream(stack.wsClient(stack.auth(k.key)), CHAT_STREAM, chatInput('one two three four five'), stack.sim);
      await run.finished;
      expect(run.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    }
    expect(provider.breaker.state).toBe('open');
    await sleep(RESET_MS + 50);
    await expectHealthy(stack);
    expect(provider.breaker.state).toBe('closed');
  });
});
