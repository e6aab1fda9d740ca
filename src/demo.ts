import { relative } from 'node:path';
import { writeDemoMarker, DEMO_DATABASE_URL } from './cli/demo-marker.ts';
import { configFromEnv } from './core/config.ts';
import { createLogger } from './core/logger.ts';
import { exitOnStartupFailure, listenOrExplain } from './entry.ts';
import { startTracing } from './observability/tracing.ts';
import { parseDatabaseUrl } from './store/index.ts';
import { createGateway } from './server.ts';
import { createTogetherSimulator } from './simulator/index.ts';

/**
 * `npm run demo`: the gateway wired to the bundled Together simulator, so a newcomer with no Together key
 * can use the playground at once. Nothing leaves this machine.
 *
 * Storage: its own SQLite file, data/demo.db (DATABASE_URL from the environment if set; `.env` is not read, it
 * belongs to the real gateway). While it runs, `npm run keys` in the same folder finds that database
 * (data/demo.json, src/cli/demo-marker.ts), so a key made there works here at once. Each start rotates the
 * admin key named "demo": the key printed by an earlier run stops working.
 */
const simulator = createTogetherSimulator({ chunkDelayMs: Number(process.env.DEMO_CHUNK_DELAY_MS ?? 40) });
const simulatorUrl = await simulator.start(0, '127.0.0.1');
const databaseUrl = process.env.DATABASE_URL || DEMO_DATABASE_URL;
const closeSimulator = () => simulator.close();
const config = exitOnStartupFailure(null, () =>
  configFromEnv({ ...process.env, TOGETHER_API_KEY: 'demo-simulator-key', TOGETHER_BASE_URL: simulatorUrl, DATABASE_URL: databaseUrl }),
);
const logger = createLogger(config.logLevel, undefined, config.logPretty);
const stopTracing = await exitOnStartupFailure(logger, () => startTracing(config.tracing, logger), closeSimulator);
const gateway = await exitOnStartupFailure(logger, () => createGateway({ config, logger }), closeSimulator);
const url = await exitOnStartupFailure(logger, () => listenOrExplain(gateway, config), () => Promise.all([gateway.close(), closeSimulator()]));
const keys = gateway.services.keys;
const { key } = await keys.rotate('demo').catch(() => keys.create({ name: 'demo', isAdmin: true }));
const removeMarker = writeDemoMarker({ pid: process.pid, databaseUrl, url });

const target = parseDatabaseUrl(databaseUrl);
const storage = target.kind === 'sqlite' ? `${relative(process.cwd(), target.filename) || target.filename} (SQLite)` : 'DATABASE_URL (PostgreSQL)';
process.stdout.write(
  [
    '',
    'Together GraphQL gateway — demo (answers come from the bundled Together simulator)',
    `  Playground:   ${url}/graphql`,
    `  Dashboard:    ${url}/dashboard   (usage charts: sign in with the key below)`,
    `  GraphQL:      POST ${url}/graphql    ws: ${url.replace(/^http/, 'ws')}/graphql`,
    `  REST:         ${url}/v1/chat/completions (OpenAI's format)   Health: ${url}/healthz   Metrics: ${url}/metrics`,
    `  Gateway key:  ${key}   (admin, named "demo"; send it as  Authorization: Bearer <key>)`,
    `  Storage:      ${storage}; \`npm run keys\` in this folder uses it while the demo runs`,
    `  Simulator:    ${simulatorUrl}`,
    '  Press Ctrl+C to stop.',
    '',
  ].join('\n') + '\n',
);

const stop = (): void => {
  removeMarker();
  void Promise.allSettled([gateway.close().then(stopTracing), simulator.close()]).then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
