import type { CacheHealth } from './redis.ts';

/**
 * A TTL cache with single-flight loads. The catalog depends on this interface only, so the in-process
 * store can be swapped for Redis (`CACHE_URL`) without touching catalog code. Its own module so that both
 * implementations (index.ts, shared.ts) import it without importing each other.
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
  /** `memory` (no CACHE_URL), `redis` (shared), or `degraded` (CACHE_URL set, Redis unreachable: in-process only). */
  health?(): CacheHealth;
}
