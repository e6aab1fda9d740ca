/**
 * Key verdicts are reused for KEY_CACHE_MS (src/auth/keys.ts), and that must never let a revoked or changed key
 * through longer than promised (docs/reliability.md, "Key lookups"): a change made through this gateway applies
 * to the very next request; a change made behind its back (the keys CLI, another replica) within KEY_CACHE_MS,
 * on the injected clock; 0 turns the reuse off. Unknown keys are never kept, so guessing fills nothing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { KeyService } from '../../src/auth/keys.ts';
import { openStore } from '../../src/store/index.ts';
import type { GatewayStore } from '../../src/store/types.ts';
import { CHAT_MUTATION, LLAMA, type Stack, startStack, userMessage } from '../helpers/stack.ts';
import { type Harness, sqliteHarness } from '../store/harness.ts';

const bearer = (key: string) => `Bearer ${key}`;
const codeOf = (p: Promise<unknown>) => p.then(() => 'OK', (err: { code?: string; extensions?: { code?: string } }) => err.code ?? err.extensions?.code ?? 'ERR');

describe('KeyService verdict reuse, on a real store and an injected clock', () => {
  let h: Harness;
  let store: GatewayStore;
  let n = 0;
  beforeAll(async () => {
    h = sqliteHarness();
    store = await openStore(h.newUrl('key-cache'));
  });
  afterAll(async () => {
    await store?.close();
    await h?.cleanup();
  });
  afterEach(() => vi.restoreAllMocks());

  const service = (cacheMs: number) => {
    const clock = { t: 1_000_000 };
    return { clock, keys: new KeyService(store, undefined, cacheMs, () => clock.t) };
  };

  it('the store is asked once per KEY_CACHE_MS for a key in use, not once per request', async () => {
    const { clock, keys } = service(1_000);
    const { key } = await keys.create({ name: `busy-${n++}` });
    const lookups = vi.spyOn(store, 'findKeyByHash');
    for (let i = 0; i < 50; i++) await keys.authenticate(bearer(key));
    expect(lookups).toHaveBeenCalledTimes(1);
    clock.t += 1_000;
    await keys.authenticate(bearer(key));
    expect(lookups).toHaveBeenCalledTimes(2);
  });

  it('revoked behind its back (the CLI, another replica): accepted at most until KEY_CACHE_MS has passed, then FORBIDDEN', async () => {
    const { clock, keys } = service(1_000);
    const name = `cli-revoked-${n++}`;
    const { key } = await keys.create({ name });
    await keys.authenticate(bearer(key));
    await store.revokeKey(name, Date.now()); // what `npm run keys -- revoke` does, in another process
    clock.t += 999;
    expect(await codeOf(keys.authenticate(bearer(key)))).toBe('OK');
    clock.t += 1;
    expect(await codeOf(keys.authenticate(bearer(key)))).toBe('FORBIDDEN');
  });

  it('revoke, rotate and set through the service apply to the very next request, clock unmoved', async () => {
    const { keys } = service(60_000);
    const a = await keys.create({ name: `direct-${n++}`, rpm: 5 });
    expect((await keys.authenticate(bearer(a.key))).rpm).toBe(5);
    await keys.update(a.record.name, { rpm: 7 });
    expect((await keys.authenticate(bearer(a.key))).rpm).toBe(7);
    const rotated = await keys.rotate(a.record.name);
    expect(await codeOf(keys.authenticate(bearer(a.key)))).toBe('FORBIDDEN');
    expect(await codeOf(keys.authenticate(bearer(rotated.key)))).toBe('OK');
    await keys.revoke(a.record.name);
    expect(await codeOf(keys.authenticate(bearer(rotated.key)))).toBe('FORBIDDEN');
  });

  it('the streams sweep seeing a key revoked elsewhere refuses its new requests at once too', async () => {
    const { keys } = service(60_000);
    const name = `swept-${n++}`;
    const { key } = await keys.create({ name });
    const caller = await keys.authenticate(bearer(key));
    await store.revokeKey(name, Date.now());
    expect(await codeOf(keys.authenticate(bearer(key)))).toBe('OK'); // still within the minute
    expect(await keys.isActive(caller)).toBe(false);
    expect(await codeOf(keys.authenticate(bearer(key)))).toBe('FORBIDDEN');
  });

  it('KEY_CACHE_MS=0: every request asks the store, so a revocation elsewhere applies at once', async () => {
    const { keys } = service(0);
    const name = `uncached-${n++}`;
    const { key } = await keys.create({ name });
    await keys.authenticate(bearer(key));
    await store.revokeKey(name, Date.now());
    expect(await codeOf(keys.authenticate(bearer(key)))).toBe('FORBIDDEN');
    expect(keys.cachedKeys).toBe(0);
  });

  it('unknown and malformed keys are never kept: 2,000 guesses leave nothing behind', async () => {
    const { keys } = service(60_000);
    for (let i = 0; i < 2_000; i++) expect(await codeOf(keys.authenticate(bearer(`gw_guess-${i}-${'x'.repeat(40)}`)))).toBe('UNAUTHENTICATED');
    expect(keys.cachedKeys).toBe(0);
  });
});

describe('through the gateway (default KEY_CACHE_MS)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());
  const chat = (key: string) => stack.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage('hi') } }, stack.auth(key));
  const code = async (key: string) => (await chat(key)).body.errors?.[0]?.extensions?.code ?? 'OK';
  const admin = (query: string, variables: Record<string, unknown>) => stack.gql(query, variables, stack.auth(stack.adminKey));

  it('revokeKey, rotateKey and updateKey over GraphQL apply to the key\'s very next request', async () => {
    const created = await admin('mutation($n: String!) { createKey(input: { name: $n, rpm: 100 }) { key } }', { n: 'gql-cached' });
    const key = created.body.data.createKey.key as string;
    expect(await code(key)).toBe('OK');
    await admin('mutation($n: String!) { updateKey(name: $n, input: { rpm: 1 }) { name } }', { n: 'gql-cached' });
    // rpm 1 from the next request on: one passes, the next is limited (the cached rpm 100 would let it pass).
    expect(await code(key)).toBe('OK');
    expect(await code(key)).toBe('RATE_LIMITED');
    const rotated = await admin('mutation($n: String!) { rotateKey(name: $n) { key } }', { n: 'gql-cached' });
    expect(await code(key)).toBe('FORBIDDEN');
    const next = rotated.body.data.rotateKey.key as string;
    await admin('mutation($n: String!) { revokeKey(name: $n) { name } }', { n: 'gql-cached' });
    expect(await code(next)).toBe('FORBIDDEN');
  });
});
