import { type BreakerSnapshot, type BreakerState, CircuitBreaker } from './breaker.ts';

export interface ModelBreakerOptions {
  failureThreshold: number;
  resetMs: number;
  windowMs?: number;
  now?: () => number;
  onStateChange?: (from: BreakerState, to: BreakerState, snapshot: BreakerSnapshot) => void;
}

/** Breakers kept beyond this many are dropped while closed and clean (a model id seen once, never failing). */
const MAX_IDLE_BREAKERS = 1024;

/**
 * One circuit breaker per (gateway, model): an overloaded or withdrawn model fails fast on its own while the
 * other models stay available (and a fallback list moves past it at once). Created on first use; a closed
 * breaker with no failures holds no information, so those are the ones dropped when the map grows.
 */
export class ModelBreakers {
  private readonly byModel = new Map<string, CircuitBreaker>();

  constructor(private readonly options: ModelBreakerOptions) {}

  get(gateway: string, model: string): CircuitBreaker {
    const key = `${gateway}\u0000${model}`;
    let breaker = this.byModel.get(key);
    if (!breaker) {
      if (this.byModel.size >= MAX_IDLE_BREAKERS) this.dropIdle();
      breaker = new CircuitBreaker({ ...this.options, name: `${model} on ${gateway}` });
      this.byModel.set(key, breaker);
    }
    return breaker;
  }

  /** The breaker of a model that has one, without creating it (metrics, tests). */
  peek(gateway: string, model: string): CircuitBreaker | undefined {
    return this.byModel.get(`${gateway}\u0000${model}`);
  }

  snapshots(): BreakerSnapshot[] {
    return [...this.byModel.values()].map((b) => b.snapshot());
  }

  private dropIdle(): void {
    for (const [key, breaker] of this.byModel) {
      const s = breaker.snapshot();
      if (s.state === 'closed' && s.consecutiveFailures === 0) this.byModel.delete(key);
    }
  }
}
