import { isClusterWorker, runPrimary } from './cluster.ts';
import { loadConfig } from './core/config.ts';
import { createLogger } from './core/logger.ts';
import { exitOnStartupFailure, listenOrExplain } from './entry.ts';
import { startTracing } from './observability/tracing.ts';
import { createGateway } from './server.ts';

/**
 * Entry point: read config, start, and drain cleanly on SIGTERM/SIGINT. Start-up failures: one line, exit 1.
 * WEB_CONCURRENCY=N (> 1): this process is the primary of N workers sharing the port (cluster.ts), each running the
 * rest of this file; every log line of a worker carries its pid.
 */
const config = exitOnStartupFailure(null, () => loadConfig());
const worker = isClusterWorker();
const rootLogger = createLogger(config.logLevel, undefined, config.logPretty);
const logger = worker ? rootLogger.child({ pid: process.pid }) : rootLogger;
if (!config.togetherApiKey && !worker) {
  logger.warn('TOGETHER_API_KEY is not set: chat and catalog calls will fail with PROVIDER_NOT_CONFIGURED (try `npm run demo`)');
}
if (config.webConcurrency > 1 && !worker) await runPrimary({ workers: config.webConcurrency, logger, drainTimeoutMs: config.drainTimeoutMs });

// Before the gateway is built, so its first request is traced (a no-op without an OTLP endpoint).
const stopTracing = await exitOnStartupFailure(logger, () => startTracing(config.tracing, logger));
const gateway = await exitOnStartupFailure(logger, () => createGateway({ config, logger }));
const url = await exitOnStartupFailure(logger, () => listenOrExplain(gateway, config), () => gateway.close());
// In a cluster the primary says `gateway listening` with the URL once every worker listens.
if (worker) logger.info({ address: url }, 'worker listening');
else logger.info({ url: `${url}/graphql` }, 'gateway listening');

let stopping = false;
const stop = (reason: Record<string, unknown>): void => {
  if (stopping) return;
  stopping = true;
  logger.info(reason, 'shutting down');
  gateway.close().then(stopTracing).then(
    () => process.exit(0),
    (err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
};
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stop({ signal }));
// A worker whose primary is gone (killed) gets no more connections: it drains and leaves rather than linger.
if (worker) process.on('disconnect', () => stop({ reason: 'primary gone' }));
