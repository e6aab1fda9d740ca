import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ActivityEntry, ActivityRecorder } from '../usage/activity.ts';
import { BoundedLabel } from './labels.ts';

/** Where the gauges read live values from (set once the services exist). */
export interface MetricSources {
  openStreams(): number;
  catalogStats(): Array<{ gateway: string; reads: number; refreshes: number; staleServed: number }>;
}

/**
 * Label budgets (./labels.ts): what a client names never makes more series than these. Operation names: the
 * typed client's operations (client/operations) always, then 100 others; a GraphQL name longer than 64 characters
 * is not one anybody graphs. Models: Together lists ~200; 300 distinct ids leave room for models a named provider
 * passes through, and ids are at most 256 characters at the edge but ~60 in practice.
 */
export const KNOWN_OPERATIONS = ['Chat', 'ChatStream', 'Catalog', 'Dashboard', 'ModelById', 'anonymous'];
export const LABEL_LIMITS = {
  operation: { maxDistinct: 100, maxLength: 64 },
  model: { maxDistinct: 300, maxLength: 128 },
  gateway: { maxDistinct: 16, maxLength: 64 },
} as const;

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80];
const TTFT_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10];

/**
 * Prometheus metrics for one gateway instance (its own Registry, so several gateways in one process, as in
 * tests, do not collide). Chat metrics are fed from activity rows, the one record every call produces.
 */
export class GatewayMetrics implements ActivityRecorder {
  readonly registry = new Registry();
  private readonly operations: Counter<'kind' | 'operation' | 'outcome'>;
  private readonly operationLabel = new BoundedLabel(LABEL_LIMITS.operation, KNOWN_OPERATIONS);
  private readonly modelLabel = new BoundedLabel(LABEL_LIMITS.model);
  private readonly gatewayLabel = new BoundedLabel(LABEL_LIMITS.gateway);
  readonly errors: Counter<'code' | 'face'>;
  readonly upstreamRetries: Counter<'gateway' | 'code'>;
  /** Activity rows the store refused and the recorder set aside (src/usage/recorder.ts). */
  readonly activityQuarantined: Counter;
  /** Activity rows written to the spill folder because the store could not take them (src/usage/spill.ts). */
  readonly activitySpilled: Counter;
  private readonly chatCalls: Counter<'gateway' | 'model' | 'stream' | 'outcome'>;
  private readonly calls: Counter<'gateway' | 'kind' | 'model' | 'outcome'>;
  private readonly callLatency: Histogram<'gateway' | 'kind'>;
  private readonly latency: Histogram<'gateway' | 'stream'>;
  private readonly ttft: Histogram<'gateway'>;
  private readonly tokens: Counter<'gateway' | 'model' | 'kind'>;
  private readonly cost: Counter<'gateway' | 'model'>;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'gateway_' });
    this.operations = new Counter({ name: 'gateway_operations_total', help: 'GraphQL operations and REST calls by outcome', labelNames: ['kind', 'operation', 'outcome'], registers });
    this.errors = new Counter({ name: 'gateway_errors_total', help: 'Errors returned to clients, by contract code', labelNames: ['code', 'face'], registers });
    this.upstreamRetries = new Counter({ name: 'gateway_upstream_retries_total', help: 'Retries of upstream calls before the first byte', labelNames: ['gateway', 'code'], registers });
    this.activityQuarantined = new Counter({ name: 'gateway_activity_rows_quarantined_total', help: 'Activity rows the store refused, set aside in activity_quarantine', registers });
    this.activitySpilled = new Counter({ name: 'gateway_activity_rows_spilled_total', help: 'Activity rows spilled to ACTIVITY_SPILL_DIR while the store could not take them', registers });
    this.chatCalls = new Counter({ name: 'gateway_chat_calls_total', help: 'Chat calls by outcome (ok, error code, cancelled)', labelNames: ['gateway', 'model', 'stream', 'outcome'], registers });
    this.calls = new Counter({ name: 'gateway_calls_total', help: 'Model calls of every kind (chat, embedding, rerank, image) by outcome', labelNames: ['gateway', 'kind', 'model', 'outcome'], registers });
    this.callLatency = new Histogram({ name: 'gateway_call_latency_seconds', help: 'Model call latency by kind of call', labelNames: ['gateway', 'kind'], buckets: LATENCY_BUCKETS, registers });
    this.latency = new Histogram({ name: 'gateway_chat_latency_seconds', help: 'Chat call latency, request to last token', labelNames: ['gateway', 'stream'], buckets: LATENCY_BUCKETS, registers });
    this.ttft = new Histogram({ name: 'gateway_chat_ttft_seconds', help: 'Time to first token of streamed chats', labelNames: ['gateway'], buckets: TTFT_BUCKETS, registers });
    this.tokens = new Counter({ name: 'gateway_tokens_total', help: 'Tokens by model and kind (prompt, completion)', labelNames: ['gateway', 'model', 'kind'], registers });
    this.cost = new Counter({ name: 'gateway_cost_usd_total', help: 'USD spent at Together, by model (per-token priced models only)', labelNames: ['gateway', 'model'], registers });
    new Gauge({ name: 'gateway_open_streams', help: 'Chat streams in progress', registers, collect() { this.set(sources.openStreams()); } });
    const catalogCounter = (name: string, help: string, pick: (s: ReturnType<MetricSources['catalogStats']>[number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['gateway'],
        registers,
        collect() {
          for (const s of sources.catalogStats()) this.set({ gateway: s.gateway }, pick(s));
        },
      });
    catalogCounter('gateway_catalog_reads', 'Catalog reads (cache hits + refresh waits), cumulative', (s) => s.reads);
    catalogCounter('gateway_catalog_refreshes', 'Catalog loads from the provider (cache misses), cumulative', (s) => s.refreshes);
    catalogCounter('gateway_catalog_stale_served', 'Catalog reads answered from an expired copy, cumulative', (s) => s.staleServed);
  }

  /**
   * ActivityRecorder: one row per model call → calls and latency by kind, tokens and cost; chat rows also feed the
   * chat families (calls by stream, latency, TTFT) that dashboards and alerts were built on.
   */
  record(row: ActivityEntry): void {
    const e = { ...row, model: this.modelLabel.of(row.model), gateway: this.gatewayLabel.of(row.gateway) };
    const outcome = e.cancelled ? 'cancelled' : (e.errorCode ?? 'ok');
    this.calls.inc({ gateway: e.gateway, kind: e.kind, model: e.model, outcome });
    this.callLatency.observe({ gateway: e.gateway, kind: e.kind }, e.latencyMs / 1000);
    if (e.errorCode) this.errors.inc({ code: e.errorCode, face: e.kind });
    if (e.kind === 'chat') {
      this.chatCalls.inc({ gateway: e.gateway, model: e.model, stream: String(e.stream), outcome });
      this.latency.observe({ gateway: e.gateway, stream: String(e.stream) }, e.latencyMs / 1000);
      if (e.ttftMs !== null) this.ttft.observe({ gateway: e.gateway }, e.ttftMs / 1000);
    }
    if (e.promptTokens) this.tokens.inc({ gateway: e.gateway, model: e.model, kind: 'prompt' }, e.promptTokens);
    if (e.completionTokens) this.tokens.inc({ gateway: e.gateway, model: e.model, kind: 'completion' }, e.completionTokens);
    if (e.costUsd) this.cost.inc({ gateway: e.gateway, model: e.model }, e.costUsd);
  }

  /**
   * One GraphQL operation. The name is the client's choice: it is counted under its own label only while the
   * label budget lasts (LABEL_LIMITS), else under "other". `kind` and `outcome` are ours (operation type, error code).
   */
  countOperation(kind: string, operationName: string | null | undefined, outcome: string): void {
    this.operations.inc({ kind, operation: this.operationLabel.of(operationName ?? 'anonymous'), outcome });
  }

  /** Rows waiting for the store, read at each scrape (bounded by ACTIVITY_QUEUE_MAX). */
  watchActivityLog(source: { pending: number }): void {
    new Gauge({ name: 'gateway_activity_queue_rows', help: 'Activity rows waiting in memory to be written to the store', registers: [this.registry], collect() { this.set(source.pending); } });
  }

  /** Gauges of the graphql-ws guard (src/security/ws-limits.ts), read at each scrape. */
  watchWebsockets(source: { keyedConnections: number; keylessConnections: number; documentCacheBytes: number }): void {
    const registers = [this.registry];
    new Gauge({
      name: 'gateway_ws_connections',
      help: 'Open graphql-ws connections, by whether they carry a valid gateway key',
      labelNames: ['key'],
      registers,
      collect() {
        this.set({ key: 'valid' }, source.keyedConnections);
        this.set({ key: 'none' }, source.keylessConnections);
      },
    });
    new Gauge({ name: 'gateway_ws_document_cache_bytes', help: 'Estimated heap held by the graphql-ws validated-document cache', registers, collect() { this.set(source.documentCacheBytes); } });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
