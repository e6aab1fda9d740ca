import type { Logger } from 'pino';
import { Admission } from './auth/admission.ts';
import { KeyService } from './auth/keys.ts';
import { BudgetGuard, RpmLimiter, redisLimiterFactory } from './auth/limits.ts';
import { ReservationKeeper } from './auth/reservations.ts';
import { type TtlCache, createCacheFor } from './cache/index.ts';
import { Catalog } from './catalog/catalog.ts';
import { GatewayRegistry } from './catalog/registry.ts';
import { PriceOverrides } from './catalog/price-overrides.ts';
import { CallOwner } from './chat/call.ts';
import { InflightStreams } from './chat/inflight.ts';
import { RevocationSweep } from './chat/revocation.ts';
import { ChatService } from './chat/service.ts';
import { InferenceService } from './inference/service.ts';
import type { GatewayConfig } from './core/config.ts';
import type { ChatProvider } from './domain.ts';
import { GatewayMetrics } from './observability/metrics.ts';
import { callSummaryLogger } from './observability/call-summary.ts';
import { TogetherProvider } from './providers/together/client.ts';
import { ModelBreakers } from './resilience/model-breakers.ts';
import { openStore } from './store/index.ts';
import type { GatewayStore } from './store/types.ts';
import type { ActivityEntry, ActivityLog, ActivityRecorder } from './usage/activity.ts';
import { BatchingRecorder } from './usage/recorder.ts';
import { ActivitySpill } from './usage/spill.ts';

/** The long-lived domain services one gateway process shares across requests. */
export interface Services {
  config: GatewayConfig;
  logger: Logger;
  cache: TtlCache;
  store: GatewayStore;
  keys: KeyService;
  gateways: GatewayRegistry;
  chat: ChatService;
  /** Embeddings, rerank and images, on the same call owner as chat. */
  inference: InferenceService;
  /** The activity log's writer: `flush()` puts every finished call's row in the store (stats, tests, shutdown). */
  recorder: ActivityLog;
  /** Streams in progress, drained on shutdown. */
  streams: InflightStreams;
  metrics: GatewayMetrics;
  /** Flushes the activity log and closes the store and cache. */
  close(): Promise<void>;
}

export interface ServiceOverrides {
  /** Replaces the Together provider (a fake data source for tests of other faces). */
  providers?: ChatProvider[];
  /** Also receives every activity row (after the store's recorder), e.g. to observe rows in tests. */
  observer?: ActivityRecorder;
  cache?: TtlCache;
  store?: GatewayStore;
  /** Epoch ms for the catalog's time rules (refresh cool-down, shrink rule): tests pass a clock they move. */
  clock?: () => number;
}

export async function createServices(config: GatewayConfig, logger: Logger, overrides: ServiceOverrides = {}): Promise<Services> {
  // First: a bad price file stops the start before anything is opened.
  const prices = PriceOverrides.load(config.priceOverridesFile);
  if (prices) logger.info({ file: config.priceOverridesFile, models: prices.size }, 'operator prices loaded');
  const store = overrides.store ?? (await openStore(config.databaseUrl));
  // CACHE_URL: catalog cache and rate limits shared through Redis (see docs/deployment.md).
  const shared = overrides.cache ? { cache: overrides.cache, redis: null } : await createCacheFor(config.cacheUrl, logger, config.cacheBreakerResetMs);
  const cache = shared.cache;
  const streams = new InflightStreams();
  let gateways: GatewayRegistry | undefined;
  const metrics = new GatewayMetrics({
    openStreams: () => streams.size,
    catalogStats: () => (gateways?.all() ?? []).map((g) => ({ gateway: g.provider.name, ...g.catalog.stats })),
  });
  const providers = overrides.providers ?? [
    new TogetherProvider({
      apiKey: config.togetherApiKey,
      baseURL: config.togetherBaseUrl,
      upstreamTimeoutMs: config.upstreamTimeoutMs,
      streamIdleTimeoutMs: config.streamIdleTimeoutMs,
      maxRetries: config.upstreamMaxRetries,
      onRetry: (attempt, error, delayMs) => {
        metrics.upstreamRetries.inc({ gateway: 'together', code: error.code });
        logger.warn({ attempt, code: error.code, delayMs: Math.round(delayMs) }, 'retrying Together');
      },
      breakerFailureThreshold: config.breakerFailureThreshold,
      breakerResetMs: config.breakerResetMs,
      onBreakerChange: (from, to, snapshot) =>
        logger[to === 'open' ? 'error' : 'warn']({ breaker: snapshot.name, from, to, probeAt: snapshot.probeAt }, `circuit ${to}`),
    }),
  ];
  gateways = new GatewayRegistry(
    providers.map((provider) => ({ provider, catalog: new Catalog(provider, cache, config.catalogTtlSeconds * 1000, logger, prices, overrides.clock) })),
  );
  const recorder = new BatchingRecorder(
    store,
    logger,
    { maxBatch: 500, intervalMs: 200, queueMax: config.activityQueueMax, spill: new ActivitySpill(config.activitySpillDir) },
    { onQuarantined: () => metrics.activityQuarantined.inc(), onSpilled: (rows) => metrics.activitySpilled.inc(rows) },
  );
  metrics.watchActivityLog(recorder);
  // Rows an earlier run (of any replica sharing the folder) could not write: into the store before serving.
  await recorder.replay();
  // Every chat call's row goes to the store, the metrics and one summary log line.
  const sink = new DeferredFanOut([recorder, metrics, callSummaryLogger(logger), ...(overrides.observer ? [overrides.observer] : [])], logger);
  const activityLog: ActivityLog = {
    flush: async () => {
      sink.drain();
      await recorder.flush();
    },
    close: async () => {
      sink.drain();
      await recorder.close();
    },
  };
  const keys = new KeyService(store, config.gatewayAdminKey, config.keyCacheMs);
  // Budget reservations are owned by this replica and released by the others if it dies (docs/deployment.md).
  const reservations = new ReservationKeeper(store, logger, config.replicaHeartbeatMs);
  await reservations.start();
  const admission = new Admission(
    new RpmLimiter(shared.redis ? redisLimiterFactory(shared.redis) : undefined),
    new BudgetGuard(store, reservations.owner),
  );
  const breakers = new ModelBreakers({
    failureThreshold: config.breakerFailureThreshold,
    resetMs: config.breakerResetMs,
    onStateChange: (from, to, snapshot) =>
      logger[to === 'open' ? 'error' : 'warn']({ breaker: snapshot.name, from, to, probeAt: snapshot.probeAt }, `circuit ${to}`),
  });
  // Revocation reaches running streams too, not only the next request (issue 25).
  const revocations = new RevocationSweep(streams, (key) => keys.isActive(key), config.revocationCheckMs, logger);
  revocations.start();
  const calls = new CallOwner({ recorder: sink, logger, breakers, streams, admission, deadlineMs: config.upstreamTimeoutMs });
  const chat = new ChatService(gateways, calls, { maxMessages: config.maxMessages, maxMessageChars: config.maxMessageChars });
  const inference = new InferenceService(gateways, calls, { maxTextChars: config.maxMessageChars });
  return {
    config,
    logger,
    cache,
    store,
    keys,
    gateways,
    chat,
    inference,
    recorder: activityLog,
    streams,
    metrics,
    async close() {
      await revocations.stop();
      await activityLog.close();
      await reservations.stop();
      await Promise.allSettled([store.close(), cache.close(), ...providers.map((p) => p.close?.())]);
    },
  };
}

/**
 * One row to several recorders (store batch, metrics, the summary log line), run after the response: none of
 * it is something the caller waits for, and at one client it was ~10 % of a call's time. `setImmediate` runs
 * them once the answer has been written (the write happens in the same turn as the row is made); `drain()`
 * runs whatever is left at once (shutdown, before the store's last flush). A failing recorder (a bug) is
 * logged and does not starve the others.
 */
export class DeferredFanOut implements ActivityRecorder {
  private pending: ActivityEntry[] = [];
  private scheduled = false;

  constructor(
    private readonly recorders: ActivityRecorder[],
    private readonly logger: Logger,
  ) {}

  record(entry: ActivityEntry): void {
    this.pending.push(entry);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  drain(): void {
    this.scheduled = false;
    const entries = this.pending;
    this.pending = [];
    for (const entry of entries) {
      for (const r of this.recorders) {
        try {
          r.record(entry);
        } catch (err) {
          this.logger.error({ err, requestId: entry.requestId }, 'activity recorder failed');
        }
      }
    }
  }
}
