/**
 * `node --import tsx/esm bench/floor/run.ts [--smoke]` — how much of the gateway's added latency any Node
 * gateway pays on this machine. Side by side, in one run, against the same simulator: direct calls, the floor
 * proxy (node:http + undici, nothing else), the floor through the openai SDK (our transport), and the gateway's
 * REST route. Results: bench/results/floor.json.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { type Proc, cpuMs, startChild, startGateway, startSimulator } from '../gateway/procs.ts';
import { type Target, measureLatency, targets } from '../gateway/targets.ts';

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
    const latency: Record<string, unknown> = {};
    const zero = await faces(sim0.url);
    let directP50 = 0;
    let directP99 = 0;
    for (const target of zero.list) {
      const s = await measureLatency(target, n, smoke ? 5 : 200);
      if (target.name === 'direct') [directP50, directP99] = [s.p50, s.p99];
      latency[target.name] = { ...s, addedP50: s.p50 - directP50, addedP99: s.p99 - directP99 };
      log(`latency ${target.name}: p50 ${s.p50.toFixed(3)} ms (added ${(s.p50 - directP50).toFixed(3)}), p99 ${s.p99.toFixed(3)} ms (added ${(s.p99 - directP99).toFixed(3)})`);
    }
    const twenty = await faces(sim20.url);
    const pids: Record<string, number> = { direct: sim20.pid, ...twenty.pids };
    const throughput: Record<string, unknown> = {};
    let directRps = 0;
    for (const target of twenty.list) {
      const before = cpuMs(pids[target.name]!);
      const r = await autocannon({ url: target.url, method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body: target.body, connections: 16, duration: smoke ? 1 : 10 });
      const cpu = (cpuMs(pids[target.name]!) - before) / Math.max(1, r.requests.total);
      if (target.name === 'direct') directRps = r.requests.average;
      throughput[target.name] = { reqPerSec: r.requests.average, ratio: r.requests.average / directRps, non2xx: r.non2xx, cpuMsPerRequest: cpu };
      log(`16 clients ${target.name}: ${r.requests.average.toFixed(0)} req/s (${((100 * r.requests.average) / directRps).toFixed(1)} % of direct), ${cpu.toFixed(3)} ms CPU/request`);
    }
    Object.assign(results, { latency1Client0ms: latency, throughput16Clients20ms: throughput });
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  log(`results written to ${out}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[floor] failed: ${(err as Error)?.stack ?? err}\n`);
    void Promise.all(procs.map((p) => p.stop())).finally(() => process.exit(1));
  },
);
