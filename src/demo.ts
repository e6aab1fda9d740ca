import { configFromEnv } from './core/config.ts';
import { createLogger } from './core/logger.ts';
import { startTracing } from './observability/tracing.ts';
import { createGateway } from './server.ts';
import { createTogetherSimulator } from './simulator/index.ts';

/**
 * `npm run demo`: the gateway wired to the bundled Together simulator, so a newcomer with no Together key
 * can use the playground at once. Nothing leaves this machine.
 */
const simulator = createTogetherSimulator({ chunkDelayMs: Number(process.env.DEMO_CHUNK_DELAY_MS ?? 40) });
const simulatorUrl = await simulator.start(0, '127.0.0.1');
const config = configFromEnv({
  ...process.env,
  TOGETHER_API_KEY: 'demo-simulator-key',
  TOGETHER_BASE_URL: simulatorUrl,
  // In memory unless asked otherwise: every demo starts clean and prints a fresh key.
  DATABASE_URL: process.env.DATABASE_URL ?? ':memory:',
});
const logger = createLogger(config.logLevel, undefined, config.logPretty);
const stopTracing = await startTracing(config.tracing, logger);
const gateway = await createGateway({ config, logger });
const url = await gateway.listen();
const { key } = await gateway.services.keys.create({ name: `demo-${Date.now()}`, isAdmin: true });

process.stdout.write(
  [
    '',
    'Together GraphQL gateway — demo (answers come from the bundled Together simulator)',
    `  Playground:   ${url}/graphql`,
    `  Dashboard:    ${url}/dashboard   (usage charts: sign in with the key below)`,
    `  GraphQL:      POST ${url}/graphql    ws: ${url.replace(/^http/, 'ws')}/graphql`,
    `  Gateway key:  ${key}   (admin; send it as  Authorization: Bearer <key>)`,
    `  Simulator:    ${simulatorUrl}`,
    '  Press Ctrl+C to stop.',
    '',
  ].join('\n') + '\n',
);

const stop = (): void => {
  void Promise.allSettled([gateway.close().then(stopTracing), simulator.close()]).then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
