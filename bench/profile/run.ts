/**
 * `npm run bench:profile [-- --seconds 10 --faces rest,graphql]` — where the gateway's CPU per call goes, by
 * concern, beside what a bare proxy and a proxy with the openai SDK cost in the same run (issue 23: "show, with
 * profiles, what a Node gateway with auth, limits and exact accounting cannot shave further").
 *
 * One simulator (20 ms upstream), the bare proxy, the proxy + SDK (bench/floor) and one compiled gateway, each
 * under 16 clients for `--seconds`. CPU per call is read from /proc for every process with no profiler attached;
 * then the gateway serves the same load again with V8's CPU profiler on (bench/profile/cpu-sampler.mjs, started
 * after warm-up) and every sample is charged to a concern: walking from the sampled frame towards the root, the
 * first frame whose code belongs to a concern (the SDK, logging, the store…) owns it; a sample with no such frame
 * is Node's own HTTP and socket work, and the write syscalls are a concern of their own (every proxy pays them). ms per call = the concern's share of the profiled samples × the unprofiled
 * CPU per call. Results: bench/results/profile.json, and a table on stdout for docs/benchmarks.md.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type GatewayProc, type Proc, runBench, startFloorProxy, startGateway, startSimulator } from '../gateway/procs.ts';
import { measureLatency, measureThroughput, targets } from '../gateway/targets.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string' }, faces: { type: 'string' }, out: { type: 'string' } } });
const seconds = Number(values.seconds ?? 10);
const faces = (values.faces ?? 'rest,graphql').split(',');
const out = values.out ?? new URL('../results/profile.json', import.meta.url).pathname;
const ROOT = new URL('../../', import.meta.url).pathname;
const procs: Proc[] = [];
const log = (msg: string): void => void process.stderr.write(`[profile] ${msg}\n`);

interface CallFrame {
  functionName: string;
  url: string;
}
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame; children?: number[] }>;
  samples: number[];
}

/**
 * Concerns, first match wins, by where a frame's code lives. Order matters where one concern calls another's
 * code: a JSON.parse inside the provider's mapping is the provider's, a write inside pino is logging.
 */
const CONCERNS: Array<[string, RegExp]> = [
  ['openai SDK (request building, response wrapping)', /node_modules\/openai\/|\/providers\/together\/sdk-client\.js/],
  ['upstream HTTP client (undici pool)', /node_modules\/undici\/|\/providers\/together\/http\.js/],
  ['logging (pino, per-call summary line)', /node_modules\/(pino|pino-std-serializers|sonic-boom|thread-stream)\/|\/src\/core\/(logger|log-repeats)\.js|\/chat\/call-log\.js|\/graphql\/operation-log\.js/],
  ['metrics and tracing (prom-client, OTel)', /node_modules\/(prom-client|@opentelemetry)\/|\/src\/observability\//],
  ['activity rows and spend (store, SQLite)', /node_modules\/better-sqlite3\/|\/src\/(store|usage)\//],
  ['auth, rpm and budgets', /\/src\/auth\/|node_modules\/rate-limiter-flexible\//],
  ['GraphQL (Apollo Server, graphql-js)', /node_modules\/(@apollo|graphql|@graphql-tools|@escape\.tech)\//],
  ['call owner, routing, catalog, provider mapping', /\/src\/(chat|providers|catalog|resilience|inference|cache)\/|node_modules\/(dataloader|cacheable|keyv|@cacheable)\//],
  ['request parsing, validation, response writing', /\/src\/(rest|http|graphql|security|server)[/.]/],
];
const NODE_HTTP = 'Node: HTTP server, sockets, timers (no frame of ours)';
/**
 * The write syscalls themselves, whoever asked: on loopback the kernel runs the receiver's TCP path in the writer's
 * time, so a write costs tens of µs. Any proxy pays them (one response down, one request up per call).
 */
const SOCKET_WRITES = 'socket writes (the write syscalls, both directions)';
const WRITE_SYSCALLS = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString', 'writeUcs2String']);
const GC = 'garbage collection';

function attribute(profile: CpuProfile): { shares: Record<string, number>; samples: number } {
  const parent = new Map<number, number>();
  const frames = new Map<number, CallFrame>();
  for (const node of profile.nodes) {
    frames.set(node.id, node.callFrame);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const owner = new Map<number, string | null>();
  const ownerOf = (id: number): string | null => {
    if (owner.has(id)) return owner.get(id)!;
    const frame = frames.get(id)!;
    if (frame.functionName === '(idle)' || frame.functionName === '(root)') return null;
    let found: string | null = frame.functionName === '(garbage collector)' ? GC : null;
    for (const [name, pattern] of CONCERNS) {
      if (found) break;
      if (pattern.test(frame.url)) found = name;
    }
    const up = parent.get(id);
    const result = found ?? (up === undefined ? NODE_HTTP : (ownerOf(up) ?? NODE_HTTP));
    owner.set(id, result);
    return result;
  };
  const counts: Record<string, number> = {};
  let busy = 0;
  for (const id of profile.samples) {
    const frame = frames.get(id)!;
    if (frame.functionName === '(idle)') continue;
    const concern =
      frame.functionName === '(program)' ? 'V8 and the event loop ((program))' : frame.url === '' && WRITE_SYSCALLS.has(frame.functionName) ? SOCKET_WRITES : ownerOf(id);
    if (!concern) continue;
    busy++;
    counts[concern] = (counts[concern] ?? 0) + 1;
  }
  const shares = Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / busy]));
  return { shares, samples: busy };
}

async function profiledLoad(gateway: GatewayProc, face: string, file: string): Promise<CpuProfile> {
  const target = targets({ sim: '', gateway: gateway.url, key: gateway.key }).find((t) => t.name === face)!;
  gateway.child.kill('SIGUSR1');
  await measureThroughput([target], { [face]: gateway.pid }, seconds, () => undefined);
  gateway.child.kill('SIGUSR2');
  for (let i = 0; i < 300 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(file)) throw new Error('the gateway did not write its CPU profile in 30 s');
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

async function main(): Promise<void> {
  const sim = await startSimulator({ latencyMs: 20 });
  procs.push(sim);
  const proxy = await startFloorProxy(sim.url);
  procs.push(proxy);
  const proxySdk = await startFloorProxy(sim.url, { sdk: true });
  procs.push(proxySdk);
  const proxyGatewaySdk = await startFloorProxy(sim.url, { sdk: 'gateway-client' });
  procs.push(proxyGatewaySdk);
  const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
  const gateway = await startGateway(sim.url, { nodeArgs: ['--import', join(ROOT, 'bench/profile/cpu-sampler.mjs')], env: { CPU_PROFILE_OUT: join(dir, 'sampler-out.cpuprofile') } });
  procs.push(gateway);
  try {
    const base = targets({ sim: sim.url, gateway: gateway.url, key: gateway.key, proxy: proxy.url });
    const proxySdkTarget = { ...base.find((t) => t.name === 'proxy')!, name: 'proxySdk', url: `${proxySdk.url}/v1/chat/completions` };
    const proxyGatewaySdkTarget = { ...proxySdkTarget, name: 'proxyGatewaySdk', url: `${proxyGatewaySdk.url}/v1/chat/completions` };
    const list = [
      base.find((t) => t.name === 'direct')!,
      base.find((t) => t.name === 'proxy')!,
      proxySdkTarget,
      proxyGatewaySdkTarget,
      ...faces.map((f) => base.find((t) => t.name === f)!),
    ];
    for (const t of list.slice(1)) await measureLatency(t, Math.min(300, seconds * 20), 0); // warm-up: JIT, pools, the catalog
    const pids: Record<string, number> = { direct: sim.pid, proxy: proxy.pid, proxySdk: proxySdk.pid, proxyGatewaySdk: proxyGatewaySdk.pid };
    for (const f of faces) pids[f] = gateway.pid;
    const unprofiled = await measureThroughput(list, pids, seconds, log);
    const result: Record<string, unknown> = {
      when: new Date().toISOString(),
      node: process.version,
      seconds,
      cpuMsPerCall: Object.fromEntries(Object.entries(unprofiled).map(([k, v]) => [k, v.cpuMsPerRequest])),
      faces: {} as Record<string, unknown>,
    };
    for (const face of faces) {
      const file = join(dir, `${face}.cpuprofile`);
      // The sampler writes where CPU_PROFILE_OUT says; one file per face, renamed after each run.
      const profile = await profiledLoad(gateway, face, join(dir, 'sampler-out.cpuprofile'));
      writeFileSync(file, JSON.stringify(profile));
      rmSync(join(dir, 'sampler-out.cpuprofile'));
      const { shares, samples } = attribute(profile);
      const cpu = unprofiled[face]!.cpuMsPerRequest;
      const msPerCall = Object.fromEntries(Object.entries(shares).map(([k, s]) => [k, Math.round(s * cpu * 1000) / 1000]));
      (result.faces as Record<string, unknown>)[face] = { cpuMsPerCall: cpu, samples, shares, msPerCall };
      log(`${face}: ${cpu.toFixed(3)} ms CPU per call, ${samples} busy samples`);
      process.stdout.write(`\n| ${face}: where ${cpu.toFixed(3)} ms of CPU per call goes | share | ms per call |\n|---|---|---|\n`);
      for (const [k, s] of Object.entries(shares)) process.stdout.write(`| ${k} | ${(s * 100).toFixed(1)} % | ${msPerCall[k]!.toFixed(3)} |\n`);
    }
    const c = result.cpuMsPerCall as Record<string, number>;
    process.stdout.write(`\nCPU ms per call, same run: proxy ${c.proxy!.toFixed(3)}, proxy + stock openai SDK ${c.proxySdk!.toFixed(3)}, proxy + the gateway's SDK client ${c.proxyGatewaySdk!.toFixed(3)}, ${faces.map((f) => `${f} ${c[f]!.toFixed(3)}`).join(', ')}\n`);
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    log(`results written to ${out} (profiles in ${dir})`);
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}

runBench('profile', procs, main);
