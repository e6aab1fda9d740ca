import { Cacheable, Keyv, KeyvCacheableMemory } from 'cacheable';

/**
 * A TTL cache with single-flight loads. The catalog depends on this interface only, so the in-process
 * store can be swapped for Redis (`CACHE_URL`) without touching catalog code.
 */
export interface TtlCache {
  /** The fresh value, or undefined when absent or expired. */
  get<T>(key: string): Promise<T | undefined>;
  /**
   * The fresh value, or `load()` run once for all concurrent callers of the same key, stored for `ttlMs`.
   * A failing load rejects every waiter and stores nothing.
   */
  getOrSet<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

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
