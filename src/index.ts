import { loadConfig } from './core/config.ts';
import { createLogger } from './core/logger.ts';
import { exitOnStartupFailure, listenOrExplain } from './entry.ts';
import { startTracing } from './observability/tracing.ts';
import { createGateway } from './server.ts';

/** Entry point: read config, start, and drain cleanly on SIGTERM/SIGINT. Start-up failures: one line, exit 1. */
const config = exitOnStartupFailure(null, () => loadConfig());
const logger = createLogger(config.logLevel, undefined, config.logPretty);
if (!config.togetherApiKey) {
  logger.warn('TOGETHER_API_KEY is not set: chat and catalog calls will fail with PROVIDER_NOT_CONFIGURED (try `npm run demo`)');
}
// Before the gateway is built, so its first request is traced (a no-op without an OTLP endpoint).
const stopTracing = await exitOnStartupFailure(logger, () => startTracing(config.tracing, logger));
const gateway = await exitOnStartupFailure(logger, () => createGateway({ config, logger }));
const url = await exitOnStartupFailure(logger, () => listenOrExplain(gateway, config), () => gateway.close());
logger.info({ url: `${url}/graphql` }, 'gateway listening');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    gateway.close().then(stopTracing).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
