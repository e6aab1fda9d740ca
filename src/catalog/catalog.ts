import type { Logger } from 'pino';
import type { CatalogModel, ChatProvider, ModelType } from '../domain.ts';
import { GatewayError, findGatewayError, providerNotConfigured } from '../core/errors.ts';
import type { TtlCache } from '../cache/index.ts';
import type { PriceOverrides } from './price-overrides.ts';

export interface CatalogSnapshot {
  models: readonly CatalogModel[];
  byId: ReadonlyMap<string, CatalogModel>;
  /** Lower-cased ids, for callers who type `meta-llama/llama-3.3-70b-instruct-turbo`. */
  byLowerId: ReadonlyMap<string, CatalogModel>;
}

export interface ModelFilter {
  type?: ModelType | null | undefined;
  search?: string | null | undefined;
}

export interface CatalogStats {
  /** Snapshot reads (one per DataLoader batch or list query). */
  reads: number;
  /** Refreshes started against the provider. */
  refreshes: number;
  staleServed: number;
}

/** After a failed refresh, wait this long before letting a request start another one. */
const REFRESH_COOLDOWN_MS = 5_000;

/**
 * The rule for a list that shrinks sharply (issue 25: an empty or partial /models answer was cached like a good one,
 * so every chat got MODEL_NOT_FOUND on every replica for the TTL). A list with fewer than SHRINK_RATIO of the last
 * accepted list's models is refused (the last good copy is kept, a warning logged, the refresh retried after
 * REFRESH_COOLDOWN_MS instead of the TTL) until Together has answered that small for SHRINK_ACCEPT_AFTER_MS: then
 * it is a real withdrawal, and accepted. An empty list is never accepted: it is a failure.
 */
export const SHRINK_RATIO = 0.5;
export const SHRINK_ACCEPT_AFTER_MS = 10 * 60_000;

/**
 * How long a snapshot read from the cache is reused without asking the cache again: a tenth of the TTL, at most
 * 1 s. Every chat call reads the catalog (pricing, validation), and a cache read is not free: cacheable hashes
 * the key and runs its hooks, ~1.5 % of a call's CPU and ~0.2 ms of its latency at one client (bench/gateway,
 * --cpu-prof; bench/floor's timeline). The price: a refresh (or another replica's, through Redis) is seen up to
 * 1 s late.
 */
const MEMO_MAX_MS = 1_000;

function index(models: readonly CatalogModel[]): CatalogSnapshot {
  const byId = new Map<string, CatalogModel>();
  const byLowerId = new Map<string, CatalogModel>();
  for (const m of models) {
    byId.set(m.id, m);
    byLowerId.set(m.id.toLowerCase(), m);
  }
  return { models, byId, byLowerId };
}

/**
 * One provider's model catalog: cached for the TTL, loaded once for all concurrent callers, and served
 * stale while a refresh runs or after it failed (a stale catalog beats an outage; prices change rarely).
 */
export class Catalog {
  readonly stats: CatalogStats = { reads: 0, refreshes: 0, staleServed: 0 };
  private lastGood: CatalogSnapshot | null = null;
  private readonly indexes = new WeakMap<readonly CatalogModel[], CatalogSnapshot>();
  private backgroundRefresh: Promise<unknown> | null = null;
  private lastFailureAt = 0;
  private readonly key: string;
  private readonly memoMs: number;
  /** The last fresh snapshot and until when (performance.now()) it may be reused without a cache read. */
  private memo: { snapshot: CatalogSnapshot; until: number } | null = null;
  /** When (clock) Together first answered with a sharply smaller list, while it keeps doing so; null otherwise. */
  private shrinkingSince: number | null = null;

  constructor(
    private readonly provider: ChatProvider,
    private readonly cache: TtlCache,
    private readonly ttlMs: number,
    private readonly logger: Logger,
    /** The operator's prices (PRICE_OVERRIDES_FILE), laid over every snapshot; never written to the shared cache. */
    private readonly prices: PriceOverrides | null = null,
    /** Epoch ms; tests inject one to pass the shrink rule's wait and the refresh cool-down without waiting. */
    private readonly now: () => number = Date.now,
  ) {
    this.key = `catalog:${provider.name}:v1`;
    this.memoMs = Math.min(MEMO_MAX_MS, ttlMs / 10);
  }

  get gateway(): string {
    return this.provider.name;
  }

  async snapshot(): Promise<CatalogSnapshot> {
    this.stats.reads++;
    if (this.memo && performance.now() < this.memo.until) return this.memo.snapshot;
    const fresh = await this.cache.get<CatalogModel[]>(this.key).catch(() => undefined);
    if (fresh) return this.rememberFresh(fresh);
    if (this.lastGood) {
      this.stats.staleServed++;
      this.refreshInBackground();
      return this.lastGood;
    }
    return this.rememberFresh(await this.refresh());
  }

  async list(filter: ModelFilter = {}): Promise<readonly CatalogModel[]> {
    const { models } = await this.snapshot();
    const search = filter.search?.trim().toLowerCase();
    if (!filter.type && !search) return models;
    return models.filter(
      (m) =>
        (!filter.type || m.type === filter.type) &&
        (!search || m.id.toLowerCase().includes(search) || m.name.toLowerCase().includes(search) || (m.organization ?? '').toLowerCase().includes(search)),
    );
  }

  /** Exact id first, then case-insensitive. */
  static find(snapshot: CatalogSnapshot, id: string): CatalogModel | null {
    return snapshot.byId.get(id) ?? snapshot.byLowerId.get(id.toLowerCase()) ?? null;
  }

  async get(id: string): Promise<CatalogModel | null> {
    return Catalog.find(await this.snapshot(), id);
  }

  /** A snapshot known fresh right now (just read from the cache or loaded): reused for memoMs. */
  private rememberFresh(models: readonly CatalogModel[]): CatalogSnapshot {
    const snapshot = this.remember(models);
    this.memo = { snapshot, until: performance.now() + this.memoMs };
    return snapshot;
  }

  private remember(models: readonly CatalogModel[]): CatalogSnapshot {
    let snap = this.indexes.get(models);
    if (!snap) {
      // Priced here, once per loaded list: the cache (maybe Redis, shared by replicas) keeps Together's prices.
      const prices = this.prices;
      snap = index(prices ? models.map((m) => prices.apply(m)) : models);
      this.indexes.set(models, snap);
    }
    this.lastGood = snap;
    return snap;
  }

  private refresh(): Promise<CatalogModel[]> {
    return this.cache
      .getOrSet(this.key, this.ttlMs, async () => {
        this.stats.refreshes++;
        // Judged inside the loader: a refused list is a failed load, so no cache (in-process or Redis) stores it.
        return this.judge(await this.provider.listModels());
      })
      .catch((err: unknown) => {
        this.lastFailureAt = this.now();
        throw toCatalogError(err);
      });
  }

  private refreshInBackground(): void {
    if (this.backgroundRefresh || this.now() - this.lastFailureAt < REFRESH_COOLDOWN_MS) return;
    this.backgroundRefresh = this.refresh()
      .then((models) => this.rememberFresh(models))
      .catch((err: unknown) => {
        this.logger.warn({ err: { code: (err as GatewayError).code, message: (err as Error).message }, gateway: this.gateway },
          'catalog refresh failed; serving the last good copy');
      })
      .finally(() => {
        this.backgroundRefresh = null;
      });
  }

  /** The list Together answered, or a throw when it must not replace the last good copy (SHRINK_RATIO). */
  private judge(models: CatalogModel[]): CatalogModel[] {
    if (models.length === 0) {
      this.logger.warn({ gateway: this.gateway, lastGoodModels: this.lastGood?.models.length ?? 0 }, 'Together listed no models: refused, keeping the last good copy');
      throw new GatewayError('UPSTREAM_UNAVAILABLE', 'Together listed no models');
    }
    const previous = this.lastGood?.models.length ?? 0;
    if (models.length >= previous * SHRINK_RATIO) {
      this.shrinkingSince = null;
      return models;
    }
    const now = this.now();
    this.shrinkingSince ??= now;
    const shrinkingMs = now - this.shrinkingSince;
    const facts = { gateway: this.gateway, models: models.length, lastGoodModels: previous, shrinkingForMs: shrinkingMs, acceptAfterMs: SHRINK_ACCEPT_AFTER_MS };
    if (shrinkingMs >= SHRINK_ACCEPT_AFTER_MS) {
      this.logger.warn(facts, 'catalog shrank sharply and stayed so: accepting the smaller list');
      this.shrinkingSince = null;
      return models;
    }
    const message = `Together listed ${models.length} models, fewer than ${SHRINK_RATIO * 100}% of the ${previous} last accepted`;
    this.logger.warn(facts, `${message}: refused, keeping the last good copy`);
    throw new GatewayError('UPSTREAM_UNAVAILABLE', message, { details: facts });
  }

  /** Waits for a background refresh, if one runs (tests, shutdown). */
  async settled(): Promise<void> {
    await this.backgroundRefresh;
  }
}

/** The contract's precedence for a failed refresh with no cached copy. */
function toCatalogError(err: unknown): GatewayError {
  const known = findGatewayError(err);
  if (known?.code === 'PROVIDER_NOT_CONFIGURED') return providerNotConfigured();
  if (known?.code === 'UPSTREAM_AUTH_FAILED' || known?.code === 'UPSTREAM_TIMEOUT') return known;
  return new GatewayError('UPSTREAM_UNAVAILABLE', 'Models data unavailable', { cause: err });
}
