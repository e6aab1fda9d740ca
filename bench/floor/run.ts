/**
 * `node --import tsx/esm bench/floor/run.ts [--smoke]` — how much of the gateway's added latency any Node
 * gateway pays on this machine. Side by side, in one run, against the same simulator: direct calls, the floor
 * proxy (node:http + undici, nothing else), the floor through the openai SDK (our transport), and the gateway's
 * REST route. Results: bench/results/floor.json.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type Proc, runBench, startChild, startGateway, startSimulator } from '../gateway/procs.ts';
import { type Target, measureAddedLatency, measureThroughput, targets } from '../gateway/targets.ts';

const { values } = parseArgs({ options: { smoke: { type: 'boolean' }, out: { type: 'string' } } });
const smoke = values.smoke ?? false;
const out = values.out ?? new URL('../results/floor.json', import.meta.url).pathname;
const n = smoke ? 20 : 2000;
const procs: Proc[] = [];
const log = (msg: string): void => void process.stderr.write(`[floor] ${msg}\n`);

const startFloor = (upstream: string, sdk: boolean): Promise<Proc> =>
  startChild(process.execPath, ['bench/floor/floor-proxy.js', '--upstream', upstream, ...(sdk ? ['--sdk'] : [])], {}, /FLOOR_URL=(\S+)/, 'floor proxy');

async function faces(sim: string) {
  const gateway = await startGateway(sim);
  const floorRaw = await startFloor(sim, false);
  const floorSdk = await startFloor(sim, true);
  procs.push(gateway, floorRaw, floorSdk);
  const [direct, rest] = targets({ sim, gateway: gateway.url });
  const asFloor = (name: string, url: string): Target => ({ ...direct!, name, url: `${url}/v1/chat/completions` });
  return {
    list: [direct!, asFloor('floor', floorRaw.url), asFloor('floorSdk', floorSdk.url), rest!],
    pids: { floor: floorRaw.pid, floorSdk: floorSdk.pid, rest: gateway.pid } as Record<string, number>,
  };
}

async function main() {
  const results: Record<string, unknown> = { when: new Date().toISOString(), smoke, node: process.version };
  try {
    const sim0 = await startSimulator();
    const sim20 = await startSimulator({ latencyMs: 20 });
    procs.push(sim0, sim20);
    const zero = await faces(sim0.url);
    const latency = await measureAddedLatency(zero.list, n, smoke ? 5 : 200, log);
    const twenty = await faces(sim20.url);
    const throughput = await measureThroughput(twenty.list, { direct: sim20.pid, ...twenty.pids }, smoke ? 1 : 10, log);
    Object.assign(results, { latency1Client0ms: latency, throughput16Clients20ms: throughput });
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  log(`results written to ${out}`);
}

runBench('floor', procs, main);
