/**
 * `npm run bench` — the gateway's own cost, side by side with direct calls and Portkey, in one process tree.
 *   --smoke            a few hundred requests in total (the test suite runs this so the harness cannot rot)
 *   --soak-minutes N   length of the memory soak (default 10, as issue #7 asks; V8's heap swings make a 10-minute
 *                      RSS slope noisy, ±1-2 MiB/min: the recorded run uses 30, see docs/benchmarks.md; 0.05 in smoke mode)
 *   --out FILE         JSON results (default bench/results/gateway.json)
 *   --no-portkey       skip the peer gateway
 *   --soak-only        only the memory soak (results merged into the --out file)
 *   --only a,b         only these sections (latency, throughput, streaming, memory, cache, soak, cluster), merged into the
 *                      --out file (the other sections are kept); for profiling
 *                      one path (BENCH_GATEWAY_NODE_ARGS="--cpu-prof" adds node flags to the gateways)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { type GatewayProc, type Proc, rssMiB, runBench, startFloorProxy, startGateway, startPortkey, startSimulator, treeCpuMs } from './procs.ts';
import { type StreamStats, graphqlHttpStream, graphqlStream, sseStream, summarize, wsClient } from './streams.ts';
import { endpointTargets, measureAddedLatency, measureLatency, measureThroughput, measureThroughputInterleaved, post, targets } from './targets.ts';

const { values } = parseArgs({
  options: { smoke: { type: 'boolean' }, 'soak-minutes': { type: 'string' }, out: { type: 'string' }, 'no-portkey': { type: 'boolean' }, 'soak-only': { type: 'boolean' }, only: { type: 'string' } },
});
const smoke = values.smoke ?? false;
const soakMinutes = Number(values['soak-minutes'] ?? (smoke ? 0.05 : 10));
const out = values.out ?? new URL('../results/gateway.json', import.meta.url).pathname;
const scale = smoke ? { latencyN: 20, warmup: 5, throughputSec: 1, streams1: 2, streamsMany: 5, openStreams: 20, cacheQueries: 30 } : { latencyN: 2000, warmup: 200, throughputSec: 10, streams1: 50, streamsMany: 100, openStreams: 1000, cacheQueries: 1000 };

const only = values.only ? new Set(values.only.split(',')) : null;
const wanted = (section: string): boolean => only === null || only.has(section);
const procs: Proc[] = [];
const track = async <P extends Proc>(p: Promise<P>): Promise<P> => {
  const proc = await p;
  procs.push(proc);
  return proc;
};
const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);
const simControl = (simUrl: string) => simUrl.replace(/\/v1$/, '');
const simStats = async (simUrl: string) => (await fetch(`${simControl(simUrl)}/__sim/stats`)).json() as Promise<{ modelsCalls: number; openStreams: number }>;

/** Chat four ways plus the bare proxy, then the other endpoints and the fallback call (issue 23), interleaved. */
const latencySection = (urls: { sim: string; gateway: string; key: string; portkey?: string; budgetedKey?: string; proxy?: string }, count = scale.latencyN) =>
  measureAddedLatency([...targets(urls), ...endpointTargets(urls)], count, scale.warmup, log);

async function streamingSection(simUrl: string, gateway: GatewayProc, proxy: Proc) {
  const gatewayUrl = gateway.url;
  const result: Record<string, Record<string, StreamStats & { addedTtftP50: number; addedGapMean: number }>> = {};
  for (const concurrency of [1, scale.streamsMany]) {
    const rounds = concurrency === 1 ? scale.streams1 : 1;
    const run = async (one: () => Promise<number[]>) => {
      const runs: number[][] = [];
      for (let r = 0; r < rounds; r++) runs.push(...(await Promise.all(Array.from({ length: concurrency }, one))));
      return summarize(runs);
    };
    // At most 20 subscriptions share a websocket (WS_MAX_SUBSCRIPTIONS_PER_CONNECTION), as real clients would.
    const clients = Array.from({ length: Math.ceil(concurrency / 20) }, () => wsClient(gatewayUrl, gateway.key));
    let next = 0;
    const direct = await run(() => sseStream(simUrl, 'bench-upstream-key'));
    // The bare proxy relays the simulator's bytes as they come: the least a Node hop adds to a first token.
    const viaProxy = await run(() => sseStream(`${proxy.url}/v1`, 'bench-upstream-key'));
    const sse = await run(() => sseStream(`${gatewayUrl}/v1`, gateway.key));
    const ws = await run(() => graphqlStream(clients[next++ % clients.length]!));
    await Promise.all(clients.map((c) => c.dispose()));
    // chatStream without websockets: one HTTP request per stream (docs/api.md, Transports).
    const overSse = await run(() => graphqlHttpStream(gatewayUrl, gateway.key, 'sse'));
    const overMultipart = await run(() => graphqlHttpStream(gatewayUrl, gateway.key, 'multipart'));
    const added = (s: StreamStats) => ({ ...s, addedTtftP50: s.ttftP50 - direct.ttftP50, addedGapMean: s.gapMean - direct.gapMean });
    result[`${concurrency}`] = { direct: added(direct), proxySse: added(viaProxy), restSse: added(sse), chatStream: added(ws), chatStreamSse: added(overSse), chatStreamMultipart: added(overMultipart) };
    if (concurrency === 1) {
      // graphql-ws's default client closes its socket after each subscription: the next stream reconnects first.
      const closing = wsClient(gatewayUrl, gateway.key, { keepOpen: false });
      result[`${concurrency}`]!.chatStreamNewSocket = added(await run(() => graphqlStream(closing)));
      await closing.dispose();
    }
    log(
      `streams x${concurrency}: TTFT p50 direct ${direct.ttftP50.toFixed(2)} / proxy ${viaProxy.ttftP50.toFixed(2)} / SSE ${sse.ttftP50.toFixed(2)} / chatStream ${ws.ttftP50.toFixed(2)}` +
        ` (over SSE ${overSse.ttftP50.toFixed(2)}, multipart ${overMultipart.ttftP50.toFixed(2)}) ms`,
    );
  }
  return result;
}

async function memorySection(sim: Proc, gw: GatewayProc, peers: GatewayProc[]) {
  // Idle RSS is read on several gateways at once: when V8's memory reducer runs, and how much it gives back, differs
  // from one process to the next by up to ~12 MiB (docs/benchmarks.md), so one reading is one draw.
  const idleOnes = [gw, ...peers];
  for (const g of idleOnes) await post(targets({ sim: sim.url, gateway: g.url, key: g.key })[2]!); // load the catalog once
  await new Promise((r) => setTimeout(r, 500));
  const afterCall = rssMiB(gw.pid);
  // Idle = no request for 2 minutes, read at 30 s too. V8's memory reducer gives back what load grew (the young
  // generation's semi-spaces, old-space pages: tens of MiB) once it judges the allocation rate low, which an idle
  // process's last measured rate can keep it from doing; its watchdog then forces the collection at 100 s
  // (kWatchdogDelayMs in V8's heap/memory-reducer.cc). At 30 s one process in two or three has not been reduced
  // yet (93 vs 183-193 MiB after the same burst: docs/benchmarks.md), so 30 s measures V8's timer, not the gateway.
  const idleMs = smoke ? 1000 : 120_000;
  const earlyMs = smoke ? 500 : 30_000;
  const idleAt = async (): Promise<{ early: number[]; settled: number[] }> => {
    await new Promise((r) => setTimeout(r, earlyMs));
    const early = idleOnes.map((g) => rssMiB(g.pid)).sort((a, b) => a - b);
    await new Promise((r) => setTimeout(r, idleMs - earlyMs));
    return { early, settled: idleOnes.map((g) => rssMiB(g.pid)).sort((a, b) => a - b) };
  };
  const median = (xs: number[]): number => xs[Math.floor(xs.length / 2)]!;
  const idleRead = await idleAt();
  const idleSamples = idleRead.settled;
  const idle = idleSamples[Math.floor(idleSamples.length / 2)]!;
  const clients = Array.from({ length: Math.ceil(scale.openStreams / 20) }, () => wsClient(gw.url, gw.key));
  // The first chunk comes at once, the second after the simulator's long chunk delay: stopping at the second
  // keeps every stream open (upstream and downstream) while RSS is read.
  const pending = Array.from({ length: scale.openStreams }, (_, i) => graphqlStream(clients[i % clients.length]!, 2).catch(() => []));
  const deadline = Date.now() + 60_000;
  while ((await simStats(sim.url)).openStreams < scale.openStreams && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const open = (await simStats(sim.url)).openStreams;
  const withStreams = rssMiB(gw.pid);
  log(`memory: ${afterCall.toFixed(1)} MiB right after a call, idle ${idle.toFixed(1)} MiB (median of ${idleSamples.map((x) => x.toFixed(1)).join(', ')}), ${open} open streams ${withStreams.toFixed(1)} MiB`);
  await Promise.all(pending);
  await Promise.all(clients.map((c) => c.dispose()));
  // Idle after load (issue 23: ≤ 100 MB after a 16-client burst too): each gateway in turn serves REST chat at 16
  // clients for the throughput section's duration, then all idle as long as above (the first has also held the
  // open streams). What load leaves behind (SQLite's page cache, a grown heap) is what a replica idles with.
  for (const g of idleOnes) {
    await measureThroughput([targets({ sim: sim.url, gateway: g.url, key: g.key })[1]!], { rest: g.pid }, scale.throughputSec, () => undefined);
  }
  const afterLoadRead = await idleAt();
  const afterLoadSamples = afterLoadRead.settled;
  const idleAfterLoad = median(afterLoadSamples);
  log(
    `memory: idle after a 16-client burst ${idleAfterLoad.toFixed(1)} MiB at ${idleMs / 1000} s (median of ${afterLoadSamples.map((x) => x.toFixed(1)).join(', ')}); ` +
      `at ${earlyMs / 1000} s ${median(afterLoadRead.early).toFixed(1)} (${afterLoadRead.early.map((x) => x.toFixed(1)).join(', ')})`,
  );
  return {
    rssRightAfterCallMiB: afterCall,
    idleRssMiB: idle,
    idleRssSamplesMiB: idleSamples,
    openStreams: open,
    rssWithStreamsMiB: withStreams,
    idleAfterLoadRssMiB: idleAfterLoad,
    idleAfterLoadRssSamplesMiB: afterLoadSamples,
    idleReadAfterSeconds: idleMs / 1000,
    idleRssAt30sSamplesMiB: idleRead.early,
    idleAfterLoadRssAt30sSamplesMiB: afterLoadRead.early,
  };
}

async function soakSection(sim: Proc, gw: GatewayProc) {
  const samples: Array<{ minute: number; rss: number; heapTotal: number | null }> = [];
  const started = Date.now();
  const end = started + soakMinutes * 60_000;
  const sampleEvery = smoke ? 2000 : 10_000;
  let completed = 0;
  let disconnected = 0;
  const worker = async (client: ReturnType<typeof wsClient>) => {
    while (Date.now() < end) {
      const stopAfter = Math.random() < 0.5 ? 1 + Math.floor(Math.random() * 8) : Infinity;
      await graphqlStream(client, stopAfter).catch(() => []);
      if (stopAfter === Infinity) completed++;
      else disconnected++;
    }
  };
  const clients = Array.from({ length: 5 }, () => wsClient(gw.url, gw.key));
  const workers = clients.flatMap((c) => Array.from({ length: 10 }, () => worker(c)));
  // RSS with the V8 heap's reserved size beside it (the gateway's own /metrics): the heap total swings by tens
  // of MiB from one GC to the next under this load, so RSS − heap total is the part that a leak outside the
  // JS heap (native buffers, SQLite, sockets) would make grow steadily.
  const sampler = setInterval(() => {
    const at = { minute: (Date.now() - started) / 60_000, rss: rssMiB(gw.pid) };
    void heapTotalMiB(gw.url).then((heapTotal) => samples.push({ ...at, heapTotal }));
  }, sampleEvery);
  await Promise.all(workers);
  clearInterval(sampler);
  await Promise.all(clients.map((c) => c.dispose()));
  // Growth = least-squares slope over time, after the first fifth (warm-up: JIT, caches, pools).
  const steady = samples.filter((s) => s.minute >= soakMinutes / 5);
  const rss = fitSlope(steady.map((s) => [s.minute, s.rss]));
  const withHeap = steady.filter((s) => s.heapTotal !== null);
  const nonHeap = fitSlope(withHeap.map((s) => [s.minute, s.rss - s.heapTotal!]));
  const heapTotal = fitSlope(withHeap.map((s) => [s.minute, s.heapTotal!]));
  const fmt = (f: Fit | null) => (f ? `${f.slope.toFixed(3)} ± ${f.stdErr?.toFixed(3) ?? '?'}` : 'n/a');
  log(`soak ${soakMinutes} min: ${completed} completed, ${disconnected} disconnected, RSS growth ${fmt(rss)} MiB/min (outside the V8 heap ${fmt(nonHeap)}, V8 heap total ${fmt(heapTotal)})`);
  return {
    when: new Date(started).toISOString(),
    minutes: soakMinutes,
    streamsCompleted: completed,
    streamsDisconnected: disconnected,
    rssGrowthMiBPerMin: rss?.slope ?? null,
    rssGrowthStdErrMiBPerMin: rss?.stdErr ?? null,
    nonHeapGrowthMiBPerMin: nonHeap?.slope ?? null,
    nonHeapGrowthStdErrMiBPerMin: nonHeap?.stdErr ?? null,
    heapTotalGrowthMiBPerMin: heapTotal?.slope ?? null,
    rssStartMiB: samples[0]?.rss,
    rssEndMiB: samples.at(-1)?.rss,
    openUpstreamStreamsAfter: (await simStats(sim.url)).openStreams,
  };
}

interface Fit {
  slope: number;
  /** Standard error of the slope (samples 10 s apart are not independent: read it as a lower bound). */
  stdErr: number | null;
}

/** Least-squares slope of y over x, with its standard error. */
function fitSlope(points: Array<[number, number]>): Fit | null {
  const n = points.length;
  if (n < 2) return null;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  const slope = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx;
  const residuals = points.reduce((a, [x, y]) => a + (y - my - slope * (x - mx)) ** 2, 0);
  return { slope, stdErr: n > 2 ? Math.sqrt(residuals / (n - 2) / sxx) : null };
}

/** The gateway's V8 heap total from its Prometheus metrics, in MiB; null when it cannot be read. */
async function heapTotalMiB(gatewayUrl: string): Promise<number | null> {
  try {
    const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
    const match = /^(?:gateway_)?nodejs_heap_size_total_bytes (\S+)$/m.exec(text);
    return match ? Number(match[1]) / 1048576 : null;
  } catch {
    return null;
  }
}

/**
 * Cluster mode (WEB_CONCURRENCY): 16 clients at 20 ms upstream on one gateway process and on a primary with two
 * workers, REST and GraphQL, after direct calls. CPU per call is the whole tree's (primary and workers). On two
 * cores shared with the client and the simulator, two workers have little idle CPU to use: the figure says what
 * the mode costs or gains here, not what it does on a machine with cores to spare.
 */
async function clusterSection(sim: Proc) {
  const gateways = [
    { workers: 1, gw: await track(startGateway(sim.url)) },
    { workers: 2, gw: await track(startGateway(sim.url, { env: { WEB_CONCURRENCY: '2' } })) },
  ];
  const [direct] = targets({ sim: sim.url, gateway: '', key: '' });
  const base = (await measureThroughput([direct!], { direct: sim.pid }, scale.throughputSec, log)).direct!;
  const result: Record<string, unknown> = { direct: base };
  for (const face of ['rest', 'graphql'] as const) {
    for (const { workers, gw } of gateways) {
      const target = targets({ sim: sim.url, gateway: gw.url, key: gw.key }).find((t) => t.name === face)!;
      const cpuBefore = treeCpuMs(gw.pid);
      const t = (await measureThroughput([target], { [face]: gw.pid }, scale.throughputSec, () => undefined))[face]!;
      const cpuMsPerRequest = (treeCpuMs(gw.pid) - cpuBefore) / Math.max(1, t.requests);
      result[`${face}Workers${workers}`] = { ...t, workers, ratio: t.reqPerSec / base.reqPerSec, cpuMsPerRequest };
      log(`cluster ${face}, ${workers} worker(s): ${t.reqPerSec.toFixed(0)} req/s (${((t.reqPerSec / base.reqPerSec) * 100).toFixed(1)} % of direct), ${cpuMsPerRequest.toFixed(3)} ms CPU/request (tree)`);
    }
  }
  await Promise.all(gateways.map(({ gw }) => gw.stop()));
  return result;
}

async function cacheSection(sim: Proc, gw: Proc) {
  const query = { name: 'models', url: `${gw.url}/graphql`, headers: {}, body: JSON.stringify({ query: '{ models { id } }' }) };
  const cold = await Promise.all(Array.from({ length: scale.cacheQueries }, () => post(query)));
  const upstreamCalls = (await simStats(sim.url)).modelsCalls;
  const warm = await measureLatency(query, scale.latencyN / 2, scale.warmup);
  log(`cache: ${scale.cacheQueries} cold queries → ${upstreamCalls} upstream call(s); warm p50 ${warm.p50.toFixed(3)} ms`);
  return { coldQueries: scale.cacheQueries, failed: cold.filter((r) => r.status !== 200).length, upstreamCalls, warmP50Ms: warm.p50, warmP99Ms: warm.p99 };
}

function readPrevious(): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

async function main() {
  const results: Record<string, unknown> = { when: new Date().toISOString(), smoke, node: process.version, cpus: (await import('node:os')).cpus().length };
  if (values['soak-only']) {
    try {
      const sim = await track(startSimulator({ chunkDelayMs: 20 }));
      Object.assign(results, readPrevious(), { soak: await soakSection(sim, await track(startGateway(sim.url))) });
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
    }
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    log(`soak results merged into ${out}`);
    return;
  }
  try {
    // The whole tree starts at once (each gateway is its own process, so sections do not disturb each other's
    // caches or memory); idle processes cost nothing measurable while another section runs.
    const [sim0, sim20, simStream, simMemory, simCache, simSoak] = await Promise.all([
      track(startSimulator()),
      track(startSimulator({ latencyMs: 20 })),
      track(startSimulator({ chunkDelayMs: 10 })),
      track(startSimulator({ chunkDelayMs: smoke ? 3000 : 20_000 })),
      track(startSimulator({ latencyMs: 20 })),
      track(startSimulator({ chunkDelayMs: 20 })),
    ]);
    const [gw0, gw20, gwStream, gwMemory, gwCache, gwSoak, portkey, proxy0, proxy20, proxyStream] = await Promise.all([
      track(startGateway(sim0.url)),
      track(startGateway(sim20.url)),
      track(startGateway(simStream.url)),
      track(startGateway(simMemory.url)),
      track(startGateway(simCache.url)),
      track(startGateway(simSoak.url)),
      values['no-portkey'] ? Promise.resolve(undefined) : track(startPortkey()),
      // The bare pass-through proxy beside each gateway that is compared with direct calls (issue 23's yardstick).
      track(startFloorProxy(sim0.url)),
      track(startFloorProxy(sim20.url)),
      track(startFloorProxy(simStream.url)),
    ]);
    if (wanted('latency')) {
      results.latency1Client = {
        upstream0ms: await latencySection({ sim: sim0.url, gateway: gw0.url, key: gw0.key, portkey: portkey?.url, budgetedKey: gw0.budgetedKey, proxy: proxy0.url }),
        // 20 ms per call: a quarter of the samples keeps this section under a minute per target.
        upstream20ms: await latencySection({ sim: sim20.url, gateway: gw20.url, key: gw20.key, portkey: portkey?.url, budgetedKey: gw20.budgetedKey, proxy: proxy20.url }, Math.max(20, scale.latencyN / 4)),
      };
    }
    const pids = { direct: sim20.pid, proxy: proxy20.pid, rest: gw20.pid, graphql: gw20.pid, restFallback: gw20.pid, ...(portkey ? { portkey: portkey.pid } : {}) };
    if (wanted('throughput')) {
      const urls20 = { sim: sim20.url, gateway: gw20.url, key: gw20.key, portkey: portkey?.url, proxy: proxy20.url };
      // The fallback call right after plain REST (neighbours share the machine's load the most), in rotated rounds.
      const list = targets(urls20);
      list.splice(2, 0, ...endpointTargets(urls20).filter((t) => t.name === 'restFallback'));
      results.throughput16Clients = { upstream20ms: await measureThroughputInterleaved(list, pids, scale.throughputSec, smoke ? 1 : 4, log) };
    }
    if (wanted('streaming')) results.streaming = await streamingSection(simStream.url, gwStream, proxyStream);
    if (wanted('memory')) {
      const peers = await Promise.all(Array.from({ length: smoke ? 1 : 4 }, () => track(startGateway(simMemory.url))));
      results.memory = await memorySection(simMemory, gwMemory, peers);
    }
    if (wanted('cache')) results.cache = await cacheSection(simCache, gwCache);
    if (wanted('soak')) results.soak = await soakSection(simSoak, gwSoak);
    if (wanted('cluster')) results.cluster16Clients = { upstream20ms: await clusterSection(sim20) };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
  mkdirSync(dirname(out), { recursive: true });
  // A partial run (--only) replaces its own sections and keeps the others from the file.
  const merged = only ? { ...readPrevious(), ...results, sectionsOfThisRun: [...only] } : results;
  writeFileSync(out, `${JSON.stringify(merged, null, 2)}\n`);
  log(`results written to ${out}`);
}

runBench('bench', procs, main);
