import { randomUUID } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisConnection } from '../cache/redis.ts';
import { GatewayError } from '../core/errors.ts';
import type { GatewayStore } from '../store/types.ts';
import type { AuthenticatedKey } from './keys.ts';

/** Requests-per-minute per key. In process today; a Redis-backed limiter (same library) shares it across replicas. */
export interface RequestLimiter {
  /** Counts one request; throws RATE_LIMITED with retryAfterSeconds when the key's minute is used up. */
  hit(key: AuthenticatedKey): Promise<void>;
}

/** What RpmLimiter needs of a limiter: consume one point, reject with a RateLimiterRes past the limit. */
export interface PointLimiter {
  consume(key: string): Promise<RateLimiterRes>;
}

export type LimiterFactory = (rpm: number) => PointLimiter;

export const memoryLimiterFactory: LimiterFactory = (rpm) => new RateLimiterMemory({ points: rpm, duration: 60, keyPrefix: `rpm${rpm}` });

/**
 * Limits shared by every replica on one Redis (the same connection as the catalog cache). While Redis is
 * unreachable, answers slower than the command deadline (a hung server, a partition without resets), or its
 * breaker is open after such failures (src/cache/redis.ts), each process counts in its own in-memory limiter (the
 * "insurance" limiter): a Redis outage loosens limits to rpm per replica instead of failing or stalling chat calls,
 * and once the breaker is open no call waits on Redis at all.
 */
export function redisLimiterFactory(redis: RedisConnection): LimiterFactory {
  return (rpm) => {
    const insurance = memoryLimiterFactory(rpm);
    const shared = new RateLimiterRedis({
      storeClient: redis.client,
      useRedisPackage: true,
      rejectIfRedisNotReady: true,
      points: rpm,
      duration: 60,
      keyPrefix: `${redis.prefix}rpm${rpm}`,
    });
    return {
      async consume(key) {
        if (!redis.usable) return insurance.consume(key);
        // Through the connection's deadline and breaker; a rejection (over the limit) is an answer, not a failure.
        const outcome = await redis
          .run(() => shared.consume(key).then((res) => ({ res, over: false }), (rej: unknown) => {
            if (rej instanceof RateLimiterRes) return { res: rej, over: true };
            throw rej;
          }))
          .catch(() => null);
        if (!outcome) return insurance.consume(key);
        if (outcome.over) throw outcome.res;
        return outcome.res;
      },
    };
  };
}

export class RpmLimiter implements RequestLimiter {
  private readonly byRpm = new Map<number, PointLimiter>();

  constructor(private readonly factory: LimiterFactory = memoryLimiterFactory) {}

  async hit(key: AuthenticatedKey): Promise<void> {
    if (!key.rpm) return;
    let limiter = this.byRpm.get(key.rpm);
    if (!limiter) {
      limiter = this.factory(key.rpm);
      this.byRpm.set(key.rpm, limiter);
    }
    try {
      await limiter.consume(key.id);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw new GatewayError('RATE_LIMITED', `Gateway key "${key.name}" is limited to ${key.rpm} requests per minute`, { retryAfterSeconds });
      }
      throw rejection;
    }
  }
}

/** A spending reservation held for one call; settle it exactly once with the real cost. */
export interface BudgetTicket {
  settle(actualUsd: number | null): Promise<void>;
}

const NO_TICKET: BudgetTicket = { settle: async () => undefined };

/**
 * Budgets, enforced before Together is called. Each call reserves its worst-case cost atomically in the store
 * (`spend + reserved + estimate <= budget`, one conditional UPDATE, safe across processes), and settles the
 * real cost afterwards. So concurrent calls cannot jointly pass the budget by more than what the admitted calls
 * spend beyond their own reservation (zero when maxTokens is set; see docs/usage.md). Each reservation is stored
 * under this replica's owner id, so that if the replica dies before settling, another releases it
 * (ReservationKeeper).
 */
export class BudgetGuard {
  constructor(
    private readonly store: GatewayStore,
    /** The replica's owner id (ReservationKeeper.owner), heartbeated while it runs. */
    private readonly owner: string,
  ) {}

  async reserve(key: AuthenticatedKey, estimateUsd: number): Promise<BudgetTicket> {
    if (key.budgetUsd === null) return NO_TICKET;
    // Admission refuses a non-finite estimate before this; a NaN or Infinity here must never become $0.
    if (!Number.isFinite(estimateUsd)) throw new GatewayError('BUDGET_EXCEEDED', `No usable cost estimate for gateway key "${key.name}"`, { details: { budgetUsd: key.budgetUsd } });
    const amount = estimateUsd > 0 ? estimateUsd : 0;
    const lease = { id: randomUUID(), owner: this.owner, at: Date.now() };
    const ok = await this.store.reserveBudget(key.id, amount, lease);
    if (!ok) {
      throw new GatewayError('BUDGET_EXCEEDED', `Gateway key "${key.name}" has used its budget of $${key.budgetUsd}`, {
        details: { budgetUsd: key.budgetUsd },
      });
    }
    let settled = false;
    return {
      settle: async (actualUsd) => {
        if (settled) return;
        settled = true;
        await this.store.settleBudget(key.id, lease.id, actualUsd ?? 0);
      },
    };
  }
}
