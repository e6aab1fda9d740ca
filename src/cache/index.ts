import { Cacheable, Keyv, KeyvCacheableMemory } from 'cacheable';
import type { Logger } from 'pino';
// Type-only: the Redis client (~0.6 s to import) is loaded only when CACHE_URL is set.
import type { CacheHealth, RedisConnection } from './redis.ts';
import type { TtlCache } from './ttl-cache.ts';

export type { CacheHealth } from './redis.ts';
export type { TtlCache } from './ttl-cache.ts';

/** Cacheable (built on Keyv) in process memory; `getOrSet` coalesces concurrent misses per key. */
export class KeyvTtlCache implements TtlCache {
  constructor(private readonly cache: Cacheable = new Cacheable({ primary: inProcessStore() })) {}

  get<T>(key: string): Promise<T | undefined> {
    return this.cache.get<T>(key);
  }

  async getOrSet<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    const value = await this.cache.getOrSet<T>(key, load, { ttl: ttlMs, throwErrors: true });
    if (value === undefined) throw new Error(`cache load for ${key} produced nothing`);
    return value;
  }

  async delete(key: string): Promise<void> {
    await this.cache.delete(key);
  }

  async close(): Promise<void> {
    await this.cache.disconnect().catch(() => undefined);
  }

  health(): CacheHealth {
    return 'memory';
  }
}

/**
 * Values are returned by reference, not cloned (the default clones on every get, which would copy the whole
 * catalog per request). Callers treat cached values as immutable.
 */
function inProcessStore(): Keyv {
  return new Keyv({ store: new KeyvCacheableMemory({ useClone: false }), serialize: undefined, deserialize: undefined });
}

export function createCache(): TtlCache {
  return new KeyvTtlCache();
}

/**
 * The catalog cache for a process: in-process only, or with `CACHE_URL` a two-level cache over Redis. The Redis
 * connection is returned too (null without CACHE_URL), for the rate limiter to share; closing the cache closes it.
 */
export async function createCacheFor(
  cacheUrl: string | undefined,
  logger: Logger,
  breakerResetMs?: number,
): Promise<{ cache: TtlCache; redis: RedisConnection | null }> {
  if (!cacheUrl) return { cache: createCache(), redis: null };
  const [{ RedisConnection }, { SharedTtlCache }] = await Promise.all([import('./redis.ts'), import('./shared.ts')]);
  const redis = new RedisConnection(cacheUrl, logger, breakerResetMs);
  await redis.started();
  return { cache: new SharedTtlCache(redis), redis };
}
