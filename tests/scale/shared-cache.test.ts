/**
 * The two-level cache's cross-process rules, with two caches on two Redis connections (as two replicas have):
 * one load between them, fail-open after a dead holder's lock expires, loader failures reaching every caller and
 * nothing cached, and in-process loads when Redis is unreachable.
 */
import { createClient } from '@keyv/redis';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RedisConnection } from '../../src/cache/redis.ts';
import { SharedTtlCache } from '../../src/cache/shared.ts';
import { REDIS_PORT, announceSkip, freePort, probeTcp, randomId } from '../helpers/processes.ts';

const redisUp = await probeTcp(REDIS_PORT);
announceSkip('shared cache on Redis', redisUp ? [] : [`Redis (127.0.0.1:${REDIS_PORT})`]);

const PREFIX = `gwtest-${randomId()}:`;
const silent = pino({ level: 'silent' });
const opened: SharedTtlCache[] = [];

async function cache(options: ConstructorParameters<typeof SharedTtlCache>[1] = {}, url = `redis://127.0.0.1:${REDIS_PORT}?prefix=${PREFIX}`) {
  const redis = new RedisConnection(url, silent);
  await redis.started();
  const c = new SharedTtlCache(redis, options);
  opened.push(c);
  return c;
}

const slowLoader = (value: unknown, ms = 200) => {
  const loader = Object.assign(
    async () => {
      loader.calls++;
      await new Promise((r) => setTimeout(r, ms));
      return value;
    },
    { calls: 0 },
  );
  return loader;
};

describe.skipIf(!redisUp)('SharedTtlCache on Redis', () => {
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    const redis = createClient({ url: `redis://127.0.0.1:${REDIS_PORT}` });
    await redis.connect();
    for await (const keys of redis.scanIterator({ MATCH: `${PREFIX}*`, COUNT: 100 })) if (keys.length) await redis.del(keys);
    await redis.close();
  });

  it('two processes, 20 concurrent cold reads: one load, one value, shared with its TTL', async () => {
    const [a, b] = await Promise.all([cache(), cache()]);
    const load = slowLoader([{ id: 'm1' }]);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).getOrSet('k1', 5_000, load)));
    expect(load.calls).toBe(1);
    for (const r of results) expect(r).toEqual([{ id: 'm1' }]);
    expect(a.stats.loads + b.stats.loads).toBe(1);
    expect(a.stats.remoteHits + b.stats.remoteHits).toBeGreaterThanOrEqual(1);
    // Warm reads are in process, by reference.
    expect(await a.get('k1')).toBe(await a.get('k1'));
    const raw = createClient({ url: `redis://127.0.0.1:${REDIS_PORT}` });
    await raw.connect();
    try {
      const ttl = await raw.pTTL(`${PREFIX}k1`);
      expect(ttl).toBeGreaterThan(3_000);
      expect(ttl).toBeLessThanOrEqual(5_000);
      expect(await raw.exists(`${PREFIX}lock:k1`)).toBe(0); // released
    } finally {
      await raw.close();
    }
  });

  it('a holder that died with the lock: the others load themselves once its TTL passes (fail-open)', async () => {
    const a = await cache({ lockTtlMs: 300, pollMs: 20 });
    const raw = createClient({ url: `redis://127.0.0.1:${REDIS_PORT}` });
    await raw.connect();
    await raw.set(`${PREFIX}lock:k2`, 'dead-holder', { PX: 300 });
    await raw.close();
    const load = slowLoader('fresh', 10);
    const started = Date.now();
    expect(await a.getOrSet('k2', 5_000, load)).toBe('fresh');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(load.calls).toBe(1);
    expect(a.stats.failOpenLoads).toBe(1);
  });

  it("a failing load rejects every caller with the loader's error and caches nothing", async () => {
    const [a, b] = await Promise.all([cache({ pollMs: 20 }), cache({ pollMs: 20 })]);
    const boom = Object.assign(
      async () => {
        boom.calls++;
        await new Promise((r) => setTimeout(r, 100));
        throw new Error('Together is down');
      },
      { calls: 0 },
    );
    const results = await Promise.allSettled([a.getOrSet('k3', 5_000, boom), b.getOrSet('k3', 5_000, boom)]);
    for (const r of results) expect(r).toMatchObject({ status: 'rejected', reason: { message: 'Together is down' } });
    expect(boom.calls).toBeLessThanOrEqual(2); // each process tries at most once
    expect(await a.get('k3')).toBeUndefined();
    expect(await b.get('k3')).toBeUndefined();
  });

  it('Redis unreachable: loads in process, single-flight still holds, health is degraded', async () => {
    const a = await cache({}, `redis://127.0.0.1:${await freePort()}?prefix=${PREFIX}`);
    expect(a.health()).toBe('degraded');
    const load = slowLoader('local', 50);
    const results = await Promise.all(Array.from({ length: 10 }, () => a.getOrSet('k4', 5_000, load)));
    expect(results).toEqual(Array(10).fill('local'));
    expect(load.calls).toBe(1);
    expect(await a.get('k4')).toBe('local');
  });
});
