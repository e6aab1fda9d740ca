import { afterEach, describe, expect, it } from 'vitest';
import { CHAT_MUTATION, type Stack, startStack } from '../helpers/stack.ts';
import { FAULT_ENV, chatInput, codeOf, expectHealthy, newKey, rowsOf } from './helpers.ts';

/** The catalog refresh failing: with a last good copy it is served (no error), without one the contract's error. */
const ENV = { ...FAULT_ENV, UPSTREAM_MAX_RETRIES: '0', CATALOG_TTL_SECONDS: '1' };
const MODELS = '{ models(type: CHAT) { id pricing { inputPerMillion } } }';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('catalog refresh failing', () => {
  it('with a stale copy: the copy is served without error, chat keeps routing and pricing from it', async () => {
    stack = await startStack({ env: ENV });
    const fresh = await stack.gql(MODELS);
    expect(fresh.body.errors).toBeUndefined();
    const models = stack.sim.stats.modelsCalls;
    stack.sim.addFault({ route: 'models', status: 503, times: Infinity });
    // Past the 1 s TTL: the next read triggers a refresh, which fails.
    await new Promise((r) => setTimeout(r, 1_100));
    const stale = await stack.gql(MODELS);
    expect(stale.body.errors).toBeUndefined();
    expect(stale.body.data.models).toEqual(fresh.body.data.models);
    await stack.gateway.services.gateways.get('together').catalog.settled();
    expect(stack.sim.stats.modelsCalls).toBeGreaterThan(models);
    expect(stack.gateway.services.gateways.get('together').catalog.stats.staleServed).toBeGreaterThan(0);

    const k = await newKey(stack);
    const chat = await stack.gql(CHAT_MUTATION, chatInput(), k.headers);
    expect(chat.body.errors).toBeUndefined();
    expect(chat.body.data.chatCompletion.costUsd).toBeGreaterThan(0);
    const rows = await rowsOf(stack, k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ finishReason: 'STOP', errorCode: null });
    await expectHealthy(stack);
  });

  it('without a copy: UPSTREAM_UNAVAILABLE "Models data unavailable"; a chat needing the catalog fails with one row; recovers once Together does', async () => {
    stack = await startStack({ env: ENV });
    stack.sim.addFault({ route: 'models', status: 500, times: Infinity });
    const res = await stack.gql(MODELS);
    expect(res.body.errors?.[0]).toMatchObject({ message: 'Models data unavailable', extensions: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(res.body.data).toBeNull();

    const k = await newKey(stack);
    const chatCalls = stack.sim.stats.chatCalls;
    const chat = await stack.gql(CHAT_MUTATION, chatInput(), k.headers);
    expect(codeOf(chat.body)).toBe('UPSTREAM_UNAVAILABLE');
    expect(stack.sim.stats.chatCalls).toBe(chatCalls);
    const rows = await rowsOf(stack, k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ finishReason: 'ERROR', errorCode: 'UPSTREAM_UNAVAILABLE' });
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);

    stack.sim.clearFaults();
    const recovered = await stack.gql(MODELS);
    expect(recovered.body.errors).toBeUndefined();
    expect(recovered.body.data.models.length).toBeGreaterThan(0);
    await expectHealthy(stack);
  });

  it('without a copy and Together too slow: UPSTREAM_TIMEOUT, the failure\'s own code', async () => {
    stack = await startStack({ env: { ...ENV, UPSTREAM_TIMEOUT_MS: '300' } });
    stack.sim.addFault({ route: 'models', firstByteDelayMs: 10_000 });
    const res = await stack.gql(MODELS);
    expect(codeOf(res.body)).toBe('UPSTREAM_TIMEOUT');
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
  });
});
