/**
 * One Redis connection per process (`CACHE_URL=redis://…`), shared by the catalog cache and the rate limiter.
 *
 * Redis is an optimisation here, never a dependency: commands fail fast while it is unreachable (no offline queue,
 * a deadline on every command), callers fall back to in-process state, the client reconnects in the background,
 * and an outage is logged once when it starts and once when it ends — not once per request.
 *
 * `?prefix=name:` on the URL namespaces every key this process writes (default `gw:`), so several deployments or
 * parallel test runs can share one Redis. Other URL parts (user, password, database number, `rediss://`) go to the
 * client unchanged.
 */
import { type RedisClientType, createClient } from '@keyv/redis';
import type { Logger } from 'pino';
import { StartupError } from '../core/startup.ts';

export const DEFAULT_KEY_PREFIX = 'gw:';
/** Longest wait for one Redis command before the caller falls back to its in-process path. */
export const REDIS_COMMAND_TIMEOUT_MS = 1_000;
/**
 * Consecutive failed or timed-out commands that open the Redis breaker. A hung Redis (a partition, a stopped
 * server: the socket stays open, nothing answers) otherwise costs every call the whole command deadline (issue 16).
 */
export const REDIS_BREAKER_THRESHOLD = 3;
/** Default time the breaker stays open before one background probe (CACHE_BREAKER_RESET_MS). */
export const REDIS_BREAKER_RESET_MS = 5_000;
/** Longest wait at startup for the first connection (an unreachable Redis answers "refused" long before). */
const STARTUP_WAIT_MS = 1_000;
const PREFIX = /^[\w.:-]{1,64}$/;

export type CacheHealth = 'memory' | 'redis' | 'degraded';

export interface RedisTarget {
  url: string;
  prefix: string;
}

export function parseCacheUrl(cacheUrl: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(cacheUrl.trim());
  } catch (err) {
    throw new StartupError('CACHE_URL', 'CACHE_URL is not a valid URL (expected redis://host:port)', { cause: err });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new StartupError('CACHE_URL', `CACHE_URL must be redis:// or rediss:// (got ${parsed.protocol}//)`);
  }
  const prefix = parsed.searchParams.get('prefix') ?? DEFAULT_KEY_PREFIX;
  if (!PREFIX.test(prefix)) throw new StartupError('CACHE_URL', `Invalid prefix in CACHE_URL: ${JSON.stringify(prefix)} (1–64 of A-Z a-z 0-9 _ . : -)`);
  parsed.searchParams.delete('prefix');
  return { url: parsed.toString(), prefix };
}

export class RedisConnection {
  readonly client: RedisClientType;
  readonly prefix: string;
  /** host:port, for logs (never the password). */
  readonly target: string;
  private outage = false;
  private closed = false;
  private readonly firstAttempt: Promise<void>;
  /** Commands failed in a row; REDIS_BREAKER_THRESHOLD of them open the breaker. */
  private consecutiveFailures = 0;
  /** The breaker is open: nothing is sent to Redis (every caller takes its in-process path) until a probe answers. */
  private tripped = false;
  private probeTimer: NodeJS.Timeout | null = null;
  readonly breakerStats = { opens: 0, probes: 0 };

  constructor(
    cacheUrl: string,
    private readonly logger: Logger,
    private readonly breakerResetMs = REDIS_BREAKER_RESET_MS,
  ) {
    const target = parseCacheUrl(cacheUrl);
    this.prefix = target.prefix;
    const parsed = new URL(target.url);
    this.target = `${parsed.hostname}:${parsed.port || '6379'}`;
    this.client = createClient({
      url: target.url,
      // Fail fast while disconnected instead of queueing commands until Redis is back.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 2_000,
        // Keep trying forever, at most every second: Redis coming back restores sharing without a restart.
        reconnectStrategy: (attempt: number) => Math.min(100 * 2 ** attempt, 1_000),
      },
    }) as RedisClientType;
    let settle: () => void = () => undefined;
    this.firstAttempt = new Promise<void>((resolve) => (settle = resolve));
    this.client.on('ready', () => {
      settle();
      this.succeeded();
    });
    this.client.on('error', (err: Error) => {
      settle();
      this.failed(err);
    });
    // Resolves once connected; while Redis is unreachable it keeps retrying (the promise stays pending).
    this.client.connect().catch((err: unknown) => this.failed(err));
  }

  /** Waits (bounded) for the first connection attempt, so a healthy Redis is in use from the first request. */
  async started(): Promise<void> {
    await Promise.race([this.firstAttempt, sleep(STARTUP_WAIT_MS)]);
  }

  get health(): CacheHealth {
    return this.usable && !this.outage ? 'redis' : 'degraded';
  }

  /** Connected, and the breaker closed: callers may send commands (else they take their in-process path at once). */
  get usable(): boolean {
    return !this.closed && !this.tripped && this.client.isReady;
  }

  /**
   * Runs one Redis command with a deadline; failures are reported (once per outage), counted by the breaker and
   * rethrown. While the breaker is open it throws at once, without a round trip.
   */
  async run<T>(command: (client: RedisClientType) => Promise<T>): Promise<T> {
    if (!this.usable) throw new Error(this.closed ? 'Redis connection closed' : this.tripped ? 'Redis breaker open' : 'Redis is not connected');
    try {
      const result = await withTimeout(command(this.client), REDIS_COMMAND_TIMEOUT_MS);
      this.consecutiveFailures = 0;
      this.succeeded();
      return result;
    } catch (err) {
      this.failed(err);
      if (++this.consecutiveFailures >= REDIS_BREAKER_THRESHOLD) this.trip();
      throw err;
    }
  }

  /**
   * Opens the breaker: no command is sent until a probe (one PING, in the background, never on a caller's path)
   * answers within the command deadline; a failed probe keeps it open for another `breakerResetMs`.
   */
  private trip(): void {
    if (this.tripped || this.closed) return;
    this.tripped = true;
    this.breakerStats.opens++;
    this.logger.info({ redis: this.target, retryInMs: this.breakerResetMs }, 'Redis breaker open: in-process until a probe answers');
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    this.probeTimer = setTimeout(() => void this.probe(), this.breakerResetMs);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    this.probeTimer = null;
    if (this.closed) return;
    this.breakerStats.probes++;
    try {
      if (!this.client.isReady) throw new Error('Redis is not connected');
      await withTimeout(this.client.ping(), REDIS_COMMAND_TIMEOUT_MS);
    } catch {
      if (!this.closed) this.scheduleProbe();
      return;
    }
    this.tripped = false;
    this.consecutiveFailures = 0;
    this.logger.info({ redis: this.target }, 'Redis breaker closed: a probe answered');
    this.succeeded();
  }

  /** Records a failure (logged once per outage). */
  private failed(err: unknown): void {
    if (this.outage || this.closed) return;
    this.outage = true;
    this.logger.warn(
      { err: { message: (err as Error)?.message ?? String(err) }, redis: this.target, cache: 'degraded' },
      'Redis unreachable: serving the catalog from the in-process copy and enforcing rate limits per process until it is back',
    );
  }

  private succeeded(): void {
    if (!this.outage || this.closed) return;
    this.outage = false;
    this.logger.info({ redis: this.target, cache: 'redis' }, 'Redis reachable again: catalog cache and rate limits are shared again');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.client.removeAllListeners('error');
    this.client.on('error', () => undefined);
    try {
      if (this.client.isReady) await withTimeout(this.client.close(), REDIS_COMMAND_TIMEOUT_MS);
      else this.client.destroy();
    } catch {
      try {
        this.client.destroy();
      } catch {
        // already gone
      }
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
