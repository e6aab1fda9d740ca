/**
 * `node --import tsx/esm bench/floor/run.ts [--smoke]` — how much of the gateway's added latency any Node
 * gateway pays on this machine. Side by side, in one run, against the same simulator: direct calls, the floor
 * proxy (node:http + undici, nothing else), the floor through the openai SDK (our transport), and the gateway's
 * REST route: added latency at one client, throughput at 16 clients, and time to first token of one stream at a
 * time. Results: bench/results/floor.json.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type Proc, runBench, startFloorProxy, startGateway, startSimulator } from '../gateway/procs.ts';
import { sseStream, summarize } from '../gateway/streams.ts';
import { type Target, measureAddedLatency, measureThroughput, targets } from '../gateway/targets.ts';

const { values } = parseArgs({ options: { smoke: { type: 'boolean' }, out: { type: 'string' } } });
const smoke = values.smoke ?? false;
const out = values.out ?? new URL('../results/floor.json', import.meta.url).pathname;
const n = smoke ? 20 : 2000;
const procs: Proc[] = [];
const log = (msg: string): void => void process.stderr.write(`[floor] ${msg}\n`);

async function faces(sim: string) {
  const gateway = await startGateway(sim);
  const floorRaw = await startFloorProxy(sim);
  const floorSdk = await startFloorProxy(sim, { sdk: true });
  procs.push(gateway, floorRaw, floorSdk);
  const [direct, rest] = targets({ sim, gateway: gateway.url, key: gateway.key });
  const asFloor = (name: string, url: string): Target => ({ ...direct!, name, url: `${url}/v1/chat/completions` });
  return {
    list: [direct!, asFloor('floor', floorRaw.url), asFloor('floorSdk', floorSdk.url), rest!],
    pids: { floor: floorRaw.pid, floorSdk: floorSdk.pid, rest: gateway.pid } as Record<string, number>,
  };
}

/**
 * Time to first token, one stream at a time, the faces taken in turn (direct, floor, floor+SDK, gateway, then
 * again) so that a slow patch of the machine falls on all of them alike.
 */
async function measureTtft(list: Target[], count: number): Promise<Record<string, ReturnType<typeof summarize> & { addedTtftP50: number; addedTtftP99: number }>> {
  const runs = new Map<string, number[][]>(list.map((t) => [t.name, []]));
  const base = (t: Target) => t.url.replace(/\/chat\/completions$/, '');
  const key = (t: Target) => t.headers.authorization!.replace(/^Bearer /, '');
  for (let i = 0; i < count + 10; i++) {
    for (const t of list) {
      const arrivals = await sseStream(base(t), key(t));
      if (i >= 10) runs.get(t.name)!.push(arrivals); // the first rounds warm up every process
    }
  }
  const stats = Object.fromEntries([...runs].map(([name, r]) => [name, summarize(r)]));
  const direct = stats[list[0]!.name]!;
  const result = Object.fromEntries(
    Object.entries(stats).map(([name, s]) => [name, { ...s, addedTtftP50: s.ttftP50 - direct.ttftP50, addedTtftP99: s.ttftP99 - direct.ttftP99 }]),
  );
  log(`TTFT added p50: ${Object.entries(result).map(([name, s]) => `${name} ${s.addedTtftP50.toFixed(2)}`).join(', ')} ms`);
  return result;
}

async function main() {
  const results: Record<string, unknown> = { when: new Date().toISOString(), smoke, node: process.version };
  try {
    const sim0 = await startSimulator();
    const sim20 = await startSimulator({ latencyMs: 20 });
    procs.push(sim0, sim20);
    const zero = await faces(sim0.url);
    const latency = await measureAddedLatency(zero.list, n, smoke ? 5 : 200, log);
    // The streaming section's simulator (bench/gateway): chunks 10 ms apart, so each process idles between them.
    const simStream = await startSimulator({ chunkDelayMs: 10 });
    procs.push(simStream);
    const streaming = await faces(simStream.url);
    const ttft = await measureTtft(streaming.list, smoke ? 5 : 200);
    const twenty = await faces(sim20.url);
    const throughput = await measureThroughput(twenty.list, { direct: sim20.pid, ...twenty.pids }, smoke ? 1 : 10, log);
    Object.assign(results, { latency1Client0ms: latency, ttft1StreamChunks10msApart: ttft, throughput16Clients20ms: throughput });
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  log(`results written to ${out}`);
}

runBench('floor', procs, main);
