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

  constructor(
    private readonly provider: ChatProvider,
    private readonly cache: TtlCache,
    private readonly ttlMs: number,
    private readonly logger: Logger,
    /** The operator's prices (PRICE_OVERRIDES_FILE), laid over every snapshot; never written to the shared cache. */
    private readonly prices: PriceOverrides | null = null,
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
      .getOrSet(this.key, this.ttlMs, () => {
        this.stats.refreshes++;
        return this.provider.listModels();
      })
      .catch((err: unknown) => {
        this.lastFailureAt = Date.now();
        throw toCatalogError(err);
      });
  }

  private refreshInBackground(): void {
    if (this.backgroundRefresh || Date.now() - this.lastFailureAt < REFRESH_COOLDOWN_MS) return;
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
