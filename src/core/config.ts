import { config as loadDotenv } from 'dotenv';
import { StartupError } from './startup.ts';

/** Settings, all from the environment (and `.env`). Names and defaults are the public contract. */
export interface GatewayConfig {
  host: string;
  port: number;
  togetherApiKey: string | undefined;
  togetherBaseUrl: string;
  gatewayAdminKey: string | undefined;
  databaseUrl: string;
  cacheUrl: string | undefined;
  catalogTtlSeconds: number;
  upstreamTimeoutMs: number;
  streamIdleTimeoutMs: number;
  /** Retries of a failed Together call before its first byte (429, 5xx, connection errors). */
  upstreamMaxRetries: number;
  /** On shutdown, how long in-flight calls and streams may take to finish before they are ended. */
  drainTimeoutMs: number;
  /** Worker processes sharing the port (node:cluster, src/cluster.ts); 1: one process, no cluster. */
  webConcurrency: number;
  /** Largest `content` of one chat message, in characters. */
  maxMessageChars: number;
  /** Largest number of messages in one chat request. */
  maxMessages: number;
  logLevel: string;
  /** Human-readable logs (pino-pretty): LOG_FORMAT=pretty, or by default on a terminal outside production. */
  logPretty: boolean;
  /** Serve the playground page and allow introspection (on unless NODE_ENV=production). */
  playground: boolean;
  /** Serve GET /dashboard (on by default: the page shows nothing without a gateway key). */
  dashboard: boolean;
  introspection: boolean;
  /** Circuit breaker per upstream: consecutive failures that open it, and the cool-down before a probe. */
  breakerFailureThreshold: number;
  breakerResetMs: number;
  /** How often the keys of running streams are checked, so a revoked key's streams end (src/chat/revocation.ts). */
  revocationCheckMs: number;
  /** How long a stored key's verdict is reused before the store is asked again (0: every request). */
  keyCacheMs: number;
  /** Redis (CACHE_URL): how long its breaker stays open before a background probe. */
  cacheBreakerResetMs: number;
  /** How often this replica heartbeats; a replica silent for 6 beats has its budget reservations released. */
  replicaHeartbeatMs: number;
  /** Activity rows held in memory while the store cannot take them; past it they spill to `activitySpillDir`. */
  activityQueueMax: number;
  /** Where rows the store could not take are written (JSON lines), replayed into the store at the next start. */
  activitySpillDir: string;
  /** The operator's model prices (JSON, model id → prices), read at start-up; see src/catalog/price-overrides.ts. */
  priceOverridesFile: string | undefined;
  /** Hostile-input limits (src/security/): body size, GraphQL document limits, CORS, websockets. */
  security: SecurityConfig;
  /** GraphQL subscriptions over plain HTTP (src/graphql/transports/). */
  httpStreams: HttpStreamsConfig;
  /** OpenTelemetry traces, from the standard OTEL_* variables (src/observability/tracing.ts). */
  tracing: TracingSettings;
}

export interface HttpStreamsConfig {
  /** Multipart HTTP subscriptions: an empty `{}` part this often keeps proxies and routers from timing out. */
  heartbeatMs: number;
  /**
   * Apollo Router callbacks: the URL prefixes a `callbackUrl` may start with (the router's `public_url`).
   * Empty: callbacks refused, since the gateway would otherwise POST to any URL a key holder names.
   */
  callbackUrls: string[];
}

export interface TracingSettings {
  /** An OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and the SDK is not disabled. */
  enabled: boolean;
  /** OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true: prompt and answer text on model-call spans (scrubbed of keys). */
  captureMessageContent: boolean;
}

export interface SecurityConfig {
  /** Largest JSON body on HTTP and largest graphql-ws message, in bytes. */
  maxBodyBytes: number;
  maxQueryDepth: number;
  maxQueryAliases: number;
  maxQueryDirectives: number;
  maxQueryTokens: number;
  maxQueryCost: number;
  /** Origins allowed to call from a browser on another origin; empty = none (same-origin only). */
  corsOrigins: string[];
  /** Open graphql-ws connections allowed at once, over the whole process. */
  wsMaxConnections: number;
  /** Operations (streams) in progress at once on one graphql-ws connection. */
  wsMaxSubscriptionsPerConnection: number;
  /** A graphql-ws connection that sends no `connection_init` within this time is closed (4408). */
  wsConnectionInitTimeoutMs: number;
  /**
   * Sockets without a valid gateway key (before `connection_init`, or initialised without one) at once. Past it
   * the oldest of them is closed (1013) to make room, so keyless sockets can never lock out keyed ones.
   */
  wsMaxKeylessConnections: number;
  /** A socket without a valid key and with no operation running for this long is closed (4408). */
  wsKeylessIdleMs: number;
  /** Estimated heap the graphql-ws validated-document cache may hold, in bytes. */
  wsDocumentCacheBytes: number;
  /** An HTTP request whose headers have not all arrived after this long is answered 408 and closed. */
  httpHeadersTimeoutMs: number;
  /** An HTTP request (headers and body) not fully received after this long is answered 408 and closed. */
  httpRequestTimeoutMs: number;
}

type Env = Record<string, string | undefined>;

function intFrom(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new StartupError(name, `${name} must be a number ≥ ${min} (got "${raw}")`);
  return Math.floor(value);
}

function boolFrom(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  return raw === '1' || raw === 'true' || raw === 'yes';
}

/** Comma-separated, trimmed, blanks dropped; a trailing slash on an origin is dropped too. */
function listFrom(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((v) => v.trim().replace(/\/+$/, ''))
    .filter((v) => v !== '');
}

/** Tracing is on only with an OTLP endpoint; OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn it off. */
function tracingFrom(env: Env): TracingSettings {
  const endpoint = (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT || '').trim();
  const disabled = boolFrom(env, 'OTEL_SDK_DISABLED', false) || (env.OTEL_TRACES_EXPORTER ?? '').split(',').some((e) => e.trim() === 'none');
  return { enabled: endpoint !== '' && !disabled, captureMessageContent: boolFrom(env, 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', false) };
}

const blankToUndefined = (v: string | undefined): string | undefined => (v && v.trim() !== '' ? v.trim() : undefined);

/** Pure: builds the config from an env map, so tests can make one without touching process.env. */
export function configFromEnv(env: Env): GatewayConfig {
  const production = env.NODE_ENV === 'production';
  return {
    host: env.HOST || '127.0.0.1',
    port: intFrom(env, 'PORT', 8000),
    togetherApiKey: blankToUndefined(env.TOGETHER_API_KEY),
    togetherBaseUrl: (env.TOGETHER_BASE_URL || 'https://api.together.xyz/v1').replace(/\/+$/, ''),
    gatewayAdminKey: blankToUndefined(env.GATEWAY_ADMIN_KEY),
    databaseUrl: env.DATABASE_URL || 'file:./data/gateway.db',
    cacheUrl: blankToUndefined(env.CACHE_URL),
    catalogTtlSeconds: intFrom(env, 'CATALOG_TTL_SECONDS', 1800, 1),
    upstreamTimeoutMs: intFrom(env, 'UPSTREAM_TIMEOUT_MS', 60_000, 1),
    streamIdleTimeoutMs: intFrom(env, 'STREAM_IDLE_TIMEOUT_MS', 30_000, 1),
    upstreamMaxRetries: intFrom(env, 'UPSTREAM_MAX_RETRIES', 2),
    drainTimeoutMs: intFrom(env, 'DRAIN_TIMEOUT_MS', 10_000),
    webConcurrency: intFrom(env, 'WEB_CONCURRENCY', 1, 1),
    maxMessageChars: intFrom(env, 'MAX_MESSAGE_CHARS', 200_000, 1),
    maxMessages: intFrom(env, 'MAX_MESSAGES', 500, 1),
    logLevel: env.LOG_LEVEL || (env.NODE_ENV === 'test' ? 'silent' : 'info'),
    logPretty: env.LOG_FORMAT ? env.LOG_FORMAT === 'pretty' : !production && process.stdout.isTTY === true,
    playground: boolFrom(env, 'PLAYGROUND', !production),
    dashboard: boolFrom(env, 'DASHBOARD', true),
    introspection: boolFrom(env, 'INTROSPECTION', !production),
    breakerFailureThreshold: intFrom(env, 'BREAKER_FAILURE_THRESHOLD', 5, 1),
    breakerResetMs: intFrom(env, 'BREAKER_RESET_MS', 10_000, 1),
    cacheBreakerResetMs: intFrom(env, 'CACHE_BREAKER_RESET_MS', 5_000, 1),
    revocationCheckMs: intFrom(env, 'REVOCATION_CHECK_MS', 1_000, 10),
    keyCacheMs: intFrom(env, 'KEY_CACHE_MS', 1_000, 0),
    replicaHeartbeatMs: intFrom(env, 'REPLICA_HEARTBEAT_MS', 10_000, 50),
    activityQueueMax: intFrom(env, 'ACTIVITY_QUEUE_MAX', 10_000, 1),
    activitySpillDir: env.ACTIVITY_SPILL_DIR || './data/activity-spill',
    priceOverridesFile: blankToUndefined(env.PRICE_OVERRIDES_FILE),
    security: {
      maxBodyBytes: intFrom(env, 'MAX_BODY_BYTES', 1024 * 1024, 1024),
      maxQueryDepth: intFrom(env, 'MAX_QUERY_DEPTH', 10, 1),
      maxQueryAliases: intFrom(env, 'MAX_QUERY_ALIASES', 30, 0),
      maxQueryDirectives: intFrom(env, 'MAX_QUERY_DIRECTIVES', 50, 0),
      maxQueryTokens: intFrom(env, 'MAX_QUERY_TOKENS', 5000, 100),
      maxQueryCost: intFrom(env, 'MAX_QUERY_COST', 5000, 1),
      corsOrigins: listFrom(env, 'CORS_ORIGINS'),
      wsMaxConnections: intFrom(env, 'WS_MAX_CONNECTIONS', 1000, 1),
      wsMaxSubscriptionsPerConnection: intFrom(env, 'WS_MAX_SUBSCRIPTIONS_PER_CONNECTION', 20, 1),
      wsConnectionInitTimeoutMs: intFrom(env, 'WS_CONNECTION_INIT_TIMEOUT_MS', 3000, 1),
      wsMaxKeylessConnections: intFrom(env, 'WS_MAX_KEYLESS_CONNECTIONS', Math.max(1, Math.floor(intFrom(env, 'WS_MAX_CONNECTIONS', 1000, 1) / 10)), 1),
      wsKeylessIdleMs: intFrom(env, 'WS_KEYLESS_IDLE_MS', 5000, 1),
      wsDocumentCacheBytes: intFrom(env, 'WS_DOCUMENT_CACHE_BYTES', 16 * 1024 * 1024, 0),
      httpHeadersTimeoutMs: intFrom(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000, 1),
      httpRequestTimeoutMs: intFrom(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 1),
    },
    httpStreams: {
      heartbeatMs: intFrom(env, 'HTTP_STREAM_HEARTBEAT_MS', 5000, 10),
      callbackUrls: listFrom(env, 'SUBSCRIPTION_CALLBACK_URLS'),
    },
    tracing: tracingFrom(env),
  };
}

/** Reads `.env` (never overriding the real environment) and then process.env. */
export function loadConfig(): GatewayConfig {
  loadDotenv({ quiet: true });
  return configFromEnv(process.env);
}
