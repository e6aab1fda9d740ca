import { loadConfig } from './core/config.ts';
import { createLogger } from './core/logger.ts';
import { startTracing } from './observability/tracing.ts';
import { createGateway } from './server.ts';
import { PriceOverridesError } from './catalog/price-overrides.ts';

/** Entry point: read config, start, and drain cleanly on SIGTERM/SIGINT. */
const config = loadConfig();
const logger = createLogger(config.logLevel, undefined, config.logPretty);
if (!config.togetherApiKey) {
  logger.warn('TOGETHER_API_KEY is not set: chat and catalog calls will fail with PROVIDER_NOT_CONFIGURED (try `npm run demo`)');
}
// Before the gateway is built, so its first request is traced (a no-op without an OTLP endpoint).
const stopTracing = await startTracing(config.tracing, logger);
const gateway = await createGateway({ config, logger }).catch((err: unknown) => {
  // An operator's file that cannot be used: one line naming the setting and the entry, no stack trace.
  if (!(err instanceof PriceOverridesError)) throw err;
  logger.fatal(err.message);
  process.exit(1);
});
const url = await gateway.listen().catch(async (err: NodeJS.ErrnoException) => {
  // A taken port or a bad HOST is an operator's problem: say which, without a stack trace.
  logger.fatal({ code: err.code, host: config.host, port: config.port }, `cannot listen on ${config.host}:${config.port}: ${err.code ?? err.message}`);
  await gateway.close().catch(() => undefined);
  process.exit(1);
});
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
