/**
 * CLI: `npm run simulator -- [--port 0] [--host 127.0.0.1] [--latency-ms 20] [--chunk-delay-ms 0]
 *       [--api-key KEY] [--models-file models.json] [--fixtures-dir DIR] [--usage-style finish|separate]`
 * Prints `SIMULATOR_URL=<url>` on one stdout line once listening; closes on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { createTogetherSimulator } from './server.ts';
import type { SimulatorOptions } from './types.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'latency-ms': { type: 'string' },
    'chunk-delay-ms': { type: 'string' },
    'api-key': { type: 'string' },
    'models-file': { type: 'string' },
    'fixtures-dir': { type: 'string' },
    'usage-style': { type: 'string' },
  },
  strict: true,
});

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`invalid --${name}: ${v}\n`);
    process.exit(2);
  }
  return n;
}

const opts: SimulatorOptions = {};
const latency = num('latency-ms', values['latency-ms']);
const chunkDelay = num('chunk-delay-ms', values['chunk-delay-ms']);
if (latency !== undefined) opts.latencyMs = latency;
if (chunkDelay !== undefined) opts.chunkDelayMs = chunkDelay;
if (values['api-key']) opts.apiKey = values['api-key'];
if (values['models-file']) opts.modelsFile = values['models-file'];
if (values['fixtures-dir']) opts.fixturesDir = values['fixtures-dir'];
const style = values['usage-style'];
if (style === 'finish' || style === 'separate') opts.usageStyle = style;

const sim = createTogetherSimulator(opts);
const url = await sim.start(num('port', values.port) ?? 0, values.host);
process.stdout.write(`SIMULATOR_URL=${url}\n`);

let closing = false;
const shutdown = () => {
  if (closing) return;
  closing = true;
  sim.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
