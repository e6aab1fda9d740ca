import { afterEach, describe, expect, it } from 'vitest';
import { KeyvTtlCache } from '../../src/cache/index.ts';
import { Catalog } from '../../src/catalog/catalog.ts';
import { createLogger } from '../../src/core/logger.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const COUNT = `{ models { id } }`;

describe('catalog cache', () => {
  it('single-flight: 50 concurrent cold queries make exactly one upstream /models call', async () => {
    stack = await startStack({ sim: { latencyMs: 50 } });
    const results = await Promise.all(Array.from({ length: 50 }, () => stack!.gql(COUNT)));
    for (const r of results) expect(r.body.data.models).toHaveLength(131);
    expect(stack.sim.stats.modelsCalls).toBe(1);
    // Warm: no further calls.
    await stack.gql(COUNT);
    expect(stack.sim.stats.modelsCalls).toBe(1);
  });

  it('refreshes after CATALOG_TTL_SECONDS, once, serving the old copy meanwhile', async () => {
    stack = await startStack({ env: { CATALOG_TTL_SECONDS: '1' } });
    await stack.gql(COUNT);
    expect(stack.sim.stats.modelsCalls).toBe(1);
    await new Promise((r) => setTimeout(r, 1100));
    const results = await Promise.all(Array.from({ length: 10 }, () => stack!.gql(COUNT)));
    for (const r of results) expect(r.body.data.models).toHaveLength(131);
    await stack.sim.waitFor((s) => s.modelsCalls === 2);
    await stack.gateway.services.gateways.get('together').catalog.settled();
    await stack.gql(COUNT);
    expect(stack.sim.stats.modelsCalls).toBe(2);
  });

  it('stale-on-error: a failing refresh keeps serving the last good copy and logs a warning', async () => {
    const logLines: string[] = [];
    stack = await startStack({ env: { CATALOG_TTL_SECONDS: '1', UPSTREAM_MAX_RETRIES: '0' }, logLines });
    await stack.gql(COUNT);
    stack.sim.addFault({ route: 'models', status: 500, times: Infinity });
    await new Promise((r) => setTimeout(r, 1100));
    const during = await stack.gql(COUNT);
    expect(during.body.errors).toBeUndefined();
    expect(during.body.data.models).toHaveLength(131);
    await stack.gateway.services.gateways.get('together').catalog.settled();
    expect(stack.sim.stats.modelsCalls).toBe(2);
    const after = await stack.gql(COUNT);
    expect(after.body.data.models).toHaveLength(131);
    expect(logLines.some((l) => l.includes('catalog refresh failed') && l.includes('"level":40'))).toBe(true);
  });

  it('no copy and Together failing: UPSTREAM_UNAVAILABLE "Models data unavailable"', async () => {
    stack = await startStack({ env: { UPSTREAM_MAX_RETRIES: '0' } });
    stack.sim.addFault({ route: 'models', status: 500, times: Infinity });
    const res = await stack.gql(COUNT);
    expect(res.body.errors?.[0]).toMatchObject({ message: 'Models data unavailable', extensions: { code: 'UPSTREAM_UNAVAILABLE' } });
    // A failure is not cached: the next query tries again and succeeds once Together is back.
    stack.sim.clearFaults();
    const ok = await stack.gql(COUNT);
    expect(ok.body.data.models).toHaveLength(131);
  });

  it('no copy and Together rejecting our key: UPSTREAM_AUTH_FAILED, without echoing the key', async () => {
    stack = await startStack({ sim: { apiKey: 'the-right-key' } });
    const res = await stack.gql(COUNT);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_AUTH_FAILED');
    expect(JSON.stringify(res.body)).not.toContain('tgp_v1_');
  });

  it('no copy and Together too slow: UPSTREAM_TIMEOUT', async () => {
    stack = await startStack({ env: { UPSTREAM_TIMEOUT_MS: '200' } });
    stack.sim.addFault({ route: 'models', firstByteDelayMs: 2000 });
    const res = await stack.gql(COUNT);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_TIMEOUT');
  });

  it('no TOGETHER_API_KEY: the server starts and the catalog says PROVIDER_NOT_CONFIGURED', async () => {
    stack = await startStack({ env: { TOGETHER_API_KEY: '' } });
    const health = await fetch(`${stack.url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const res = await stack.gql(COUNT);
    expect(res.body.errors?.[0]).toMatchObject({ message: 'Together API key not configured', extensions: { code: 'PROVIDER_NOT_CONFIGURED' } });
    expect(stack.sim.stats.modelsCalls).toBe(0);
  });
});

describe('model loader', () => {
  it('20 aliased model(id:) fields cost one catalog read', async () => {
    stack = await startStack();
    const ids = (await stack.gql(COUNT)).body.data.models.slice(0, 20).map((m: any) => m.id);
    const catalog = stack.gateway.services.gateways.get('together').catalog;
    const before = catalog.stats.reads;
    const query = `{ ${ids.map((id: string, i: number) => `m${i}: model(id: ${JSON.stringify(id)}) { id }`).join(' ')} }`;
    const res = await stack.gql(query);
    expect(Object.values(res.body.data).map((m: any) => m.id)).toEqual(ids);
    expect(catalog.stats.reads - before).toBe(1);
  });
});

describe('catalog memo', () => {
  /** The real in-process cache, counting the reads the catalog makes of it. */
  class CountingCache extends KeyvTtlCache {
    gets = 0;
    override get<T>(key: string): Promise<T | undefined> {
      this.gets++;
      return super.get<T>(key);
    }
  }

  it('reuses a fresh snapshot for a tenth of the TTL without reading the cache, then reads it again', async () => {
    stack = await startStack();
    const { provider } = stack.gateway.services.gateways.get('together');
    const cache = new CountingCache();
    const catalog = new Catalog(provider, cache, 600, createLogger('silent')); // memo: 60 ms
    const first = await catalog.snapshot();
    expect(first.models).toHaveLength(131);
    expect(cache.gets).toBe(1); // the miss that loaded it
    for (let i = 0; i < 100; i++) expect(await catalog.snapshot()).toBe(first);
    expect(cache.gets).toBe(1);
    expect(catalog.stats.reads).toBe(101);
    await new Promise((r) => setTimeout(r, 80));
    expect(await catalog.snapshot()).toBe(first); // still in the cache (600 ms TTL): the same snapshot
    expect(cache.gets).toBe(2);
    expect(stack.sim.stats.modelsCalls).toBe(1);
  });

  it('never serves a memo past the TTL by more than the memo window: an expired entry is refreshed', async () => {
    stack = await startStack();
    const { provider } = stack.gateway.services.gateways.get('together');
    const cache = new CountingCache();
    const catalog = new Catalog(provider, cache, 200, createLogger('silent')); // memo: 20 ms
    await catalog.snapshot();
    const calls = stack.sim.stats.modelsCalls;
    await new Promise((r) => setTimeout(r, 250));
    await catalog.snapshot(); // expired: served stale, refresh started
    await catalog.settled();
    expect(stack.sim.stats.modelsCalls).toBe(calls + 1);
  });
});
