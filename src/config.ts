import { config as loadDotenv } from 'dotenv';

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
  /** Largest `content` of one chat message, in characters. */
  maxMessageChars: number;
  /** Largest number of messages in one chat request. */
  maxMessages: number;
  /** Largest JSON body the REST routes accept, in bytes (413 above it). */
  restMaxBodyBytes: number;
  logLevel: string;
  /** Human-readable logs (pino-pretty): LOG_FORMAT=pretty, or by default on a terminal outside production. */
  logPretty: boolean;
  /** Serve the playground page and allow introspection (on unless NODE_ENV=production). */
  playground: boolean;
  introspection: boolean;
}

type Env = Record<string, string | undefined>;

function intFrom(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number ≥ ${min} (got "${raw}")`);
  return Math.floor(value);
}

function boolFrom(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  return raw === '1' || raw === 'true' || raw === 'yes';
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
    maxMessageChars: intFrom(env, 'MAX_MESSAGE_CHARS', 200_000, 1),
    maxMessages: intFrom(env, 'MAX_MESSAGES', 500, 1),
    restMaxBodyBytes: intFrom(env, 'REST_MAX_BODY_BYTES', 1024 * 1024, 1),
    logLevel: env.LOG_LEVEL || (env.NODE_ENV === 'test' ? 'silent' : 'info'),
    logPretty: env.LOG_FORMAT ? env.LOG_FORMAT === 'pretty' : !production && process.stdout.isTTY === true,
    playground: boolFrom(env, 'PLAYGROUND', !production),
    introspection: boolFrom(env, 'INTROSPECTION', !production),
  };
}

/** Reads `.env` (never overriding the real environment) and then process.env. */
export function loadConfig(): GatewayConfig {
  loadDotenv({ quiet: true });
  return configFromEnv(process.env);
}
