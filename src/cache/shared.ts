/**
 * The two-level cache behind `CACHE_URL=redis://…`: an in-process primary (values by reference, so a warm read costs
 * no Redis round trip and no JSON parse) over a Redis secondary (Keyv + @keyv/redis) shared by every replica.
 *
 * Single-flight across processes: a miss first coalesces in process, then takes a Redis lock (`SET key token NX PX`).
 * The holder loads, writes the value to Redis, then releases the lock; the others poll Redis for the value until the
 * lock's TTL, then load themselves (fail-open: a dead or slow holder delays them, it never fails them). With Redis
 * unreachable every path degrades to the in-process cache: each replica loads for itself, as without CACHE_URL.
 */
import { randomUUID } from 'node:crypto';
import KeyvRedis, { Keyv } from '@keyv/redis';
import { Cacheable, KeyvCacheableMemory } from 'cacheable';
import type { CacheHealth, RedisConnection } from './redis.ts';
import { sleep } from './redis.ts';
import type { TtlCache } from './ttl-cache.ts';

export interface SharedCacheOptions {
  /** How long a loader may hold the lock; waiters load themselves after it. */
  lockTtlMs?: number;
  /** How often waiters look for the holder's value. */
  pollMs?: number;
}

export interface SharedCacheStats {
  /** Loads this process ran (as lock holder or fail-open). */
  loads: number;
  /** Values found in Redis (another replica loaded them). */
  remoteHits: number;
  /** Loads run without the lock: Redis unreachable, or a holder that outlived its lock. */
  failOpenLoads: number;
}

const RELEASE_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export class SharedTtlCache implements TtlCache {
  readonly stats: SharedCacheStats = { loads: 0, remoteHits: 0, failOpenLoads: 0 };
  private readonly local = new Cacheable({
    primary: new Keyv({ store: new KeyvCacheableMemory({ useClone: false }), serialize: undefined, deserialize: undefined }),
  });
  private readonly remote: Keyv;
  private readonly flights = new Map<string, Promise<unknown>>();
  private readonly lockTtlMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly redis: RedisConnection,
    options: SharedCacheOptions = {},
  ) {
    this.lockTtlMs = options.lockTtlMs ?? 10_000;
    this.pollMs = options.pollMs ?? 50;
    // Keys are prefixed here (not by Keyv's namespace) so the lock and the value share one visible scheme.
    const store = new KeyvRedis(redis.client, { throwOnConnectError: true, throwOnErrors: true });
    this.remote = new Keyv({ store, useKeyPrefix: false, throwOnErrors: true });
    this.remote.namespace = undefined; // Keyv would otherwise hand its default "keyv" namespace to the store
    this.remote.on('error', () => undefined); // errors are thrown to us as well; this only silences the emitter
  }

  health(): CacheHealth {
    return this.redis.health;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const local = await this.local.get<T>(key);
    if (local !== undefined) return local;
    return this.fromRemote<T>(key).catch(() => undefined);
  }

  getOrSet<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    const running = this.flights.get(key) as Promise<T> | undefined;
    if (running) return running;
    const flight = (async () => {
      const local = await this.local.get<T>(key);
      if (local !== undefined) return local;
      return this.loadShared(key, ttlMs, load);
    })().finally(() => this.flights.delete(key));
    this.flights.set(key, flight);
    return flight;
  }

  async delete(key: string): Promise<void> {
    await this.local.delete(key);
    await this.redis.run(() => this.remote.delete(this.valueKey(key))).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.local.disconnect().catch(() => undefined);
    await this.redis.close();
  }

  private valueKey(key: string): string {
    return `${this.redis.prefix}${key}`;
  }

  private lockKey(key: string): string {
    return `${this.redis.prefix}lock:${key}`;
  }

  /** The value in Redis, copied to the in-process primary for the rest of its TTL. */
  private async fromRemote<T>(key: string): Promise<T | undefined> {
    if (!this.redis.usable) return undefined;
    const raw = await this.redis.run(() => this.remote.getRaw<T>(this.valueKey(key)));
    if (!raw || raw.value === undefined) return undefined;
    const remaining = typeof raw.expires === 'number' ? raw.expires - Date.now() : undefined;
    if (remaining !== undefined && remaining <= 0) return undefined;
    this.stats.remoteHits++;
    await this.local.set(key, raw.value, remaining);
    return raw.value;
  }

  private async loadShared<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const found = await this.fromRemote<T>(key);
        if (found !== undefined) return found;
        if (!this.redis.usable) break;
        const token = randomUUID();
        const acquired = await this.redis.run((c) => c.set(this.lockKey(key), token, { NX: true, PX: this.lockTtlMs }));
        if (acquired === 'OK') return await this.loadAsHolder(key, ttlMs, load, token);
        // Another replica is loading: wait for its value, or for its lock to go away without one (it failed).
        const deadline = Date.now() + this.lockTtlMs;
        while (Date.now() < deadline) {
          await sleep(this.pollMs);
          const value = await this.fromRemote<T>(key);
          if (value !== undefined) return value;
          if (!(await this.redis.run((c) => c.exists(this.lockKey(key))))) break;
        }
        if (Date.now() >= deadline) break; // the holder outlived its lock: load ourselves
      }
    } catch (err) {
      if (err instanceof LoadError) throw err.cause;
      // Redis failed under us: fall through to a local load.
    }
    this.stats.failOpenLoads++;
    return this.loadLocally(key, ttlMs, load, true).catch((err: unknown) => {
      throw err instanceof LoadError ? err.cause : err;
    });
  }

  private async loadAsHolder<T>(key: string, ttlMs: number, load: () => Promise<T>, token: string): Promise<T> {
    try {
      // The value reaches Redis before the lock is released, so a waiter never sees "no lock, no value" on success.
      return await this.loadLocally(key, ttlMs, load, true);
    } finally {
      await this.redis.run((c) => c.eval(RELEASE_LOCK, { keys: [this.lockKey(key)], arguments: [token] })).catch(() => undefined);
    }
  }

  private async loadLocally<T>(key: string, ttlMs: number, load: () => Promise<T>, share: boolean): Promise<T> {
    this.stats.loads++;
    let value: T;
    try {
      value = await load();
    } catch (err) {
      throw new LoadError(err);
    }
    if (value === undefined) throw new LoadError(new Error(`cache load for ${key} produced nothing`));
    await this.local.set(key, value, ttlMs);
    if (share && this.redis.usable) {
      await this.redis.run(() => this.remote.set(this.valueKey(key), value, ttlMs)).catch(() => undefined);
    }
    return value;
  }
}

/** A loader's own failure, told apart from Redis failures so it reaches the caller unchanged. */
class LoadError extends Error {
  constructor(override readonly cause: unknown) {
    super('load failed');
  }
}
