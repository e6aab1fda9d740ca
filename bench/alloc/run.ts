/**
 * `node --import tsx/esm bench/alloc/run.ts [--calls N] [--face rest|graphql]` — how much the gateway allocates
 * per chat call, and where. One compiled gateway against the simulator, N sequential calls after a warm-up, with
 * V8's sampling heap profiler (freed objects included) and --trace-gc. Prints KiB per call by package / module
 * and the top allocating functions, and the young-generation collections (scavenges) per 1,000 calls with their
 * median pause: allocation is what sets how often those pauses hit a call. The sampler slows every call down, so
 * this measures no latency (bench/gateway does). Results: bench/results/alloc.json.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_ADMIN_KEY, createTenantKey, ensureCompiled, startSimulator } from '../gateway/procs.ts';
import { measureLatency, targets } from '../gateway/targets.ts';

const { values } = parseArgs({ options: { calls: { type: 'string' }, face: { type: 'string' }, out: { type: 'string' } } });
const calls = Number(values.calls ?? 2000);
const face = values.face ?? 'rest';
const out = values.out ?? new URL('../results/alloc.json', import.meta.url).pathname;
const ROOT = new URL('../../', import.meta.url).pathname;

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/** `undici`, `node:internal`, `src/chat/service.js`…: where a frame's code lives. */
function moduleOf(url: string): string {
  if (!url) return '(v8)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const pkg = /node_modules\/(@[^/]+\/[^/]+|[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  return /dist\/(src\/.*)$/.exec(url)?.[1] ?? url;
}

function summarize(head: ProfileNode) {
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode): void => {
    const { functionName, url, lineNumber } = node.callFrame;
    const module = moduleOf(url);
    total += node.selfSize;
    byModule.set(module, (byModule.get(module) ?? 0) + node.selfSize);
    const fn = `${functionName || '(anonymous)'} ${module}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child);
  };
  walk(head);
  const perCall = (bytes: number): number => Math.round((bytes / calls / 1024) * 10) / 10;
  const top = (m: Map<string, number>, n: number) => Object.fromEntries([...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => [k, perCall(v)]));
  return { kibPerCall: perCall(total), byModuleKiB: top(byModule, 15), topFunctionsKiB: top(byFunction, 20) };
}

async function main(): Promise<void> {
  ensureCompiled();
  const sim = await startSimulator();
  const dir = mkdtempSync(join(tmpdir(), 'bench-alloc-'));
  const logFile = join(dir, 'gateway.log');
  const profileFile = join(dir, 'alloc.heapprofile');
  const databaseUrl = `file:${join(dir, 'gateway.db')}`;
  const key = createTenantKey(databaseUrl);
  const gateway = spawn(process.execPath, ['--trace-gc', '--import', join(ROOT, 'bench/alloc/sampler.mjs'), 'dist/src/index.js'], {
    cwd: ROOT,
    env: {
      ...process.env, PORT: '0', LOG_LEVEL: 'info', LOG_FORMAT: 'json', TOGETHER_API_KEY: 'bench-upstream-key', TOGETHER_BASE_URL: sim.url,
      GATEWAY_ADMIN_KEY: BENCH_ADMIN_KEY, DATABASE_URL: databaseUrl, NODE_ENV: 'production', ALLOC_PROFILE_OUT: profileFile,
    },
    stdio: ['ignore', openSync(logFile, 'w'), 'inherit'],
  });
  const output = (): string => readFileSync(logFile, 'utf8');
  const waitFor = async (what: string, test: () => boolean): Promise<void> => {
    for (let i = 0; i < 300 && !test(); i++) await new Promise((r) => setTimeout(r, 100));
    if (!test()) throw new Error(`the gateway did not ${what} in 30 s:\n${output().slice(-2000)}`);
  };
  try {
    let url = '';
    await waitFor('start', () => (url = /"url":"(http:\/\/[^"]+)\/graphql"/.exec(output())?.[1] ?? '') !== '');
    const target = targets({ sim: sim.url, gateway: url, key }).find((t) => t.name === face);
    if (!target) throw new Error(`no face ${face} (rest, graphql)`);
    await measureLatency(target, 300, 10); // warm-up, not sampled
    gateway.kill('SIGUSR1');
    await new Promise((r) => setTimeout(r, 200));
    const gcBefore = output().split('\n').length;
    const latency = await measureLatency(target, calls, 0);
    const scavenges = output().split('\n').slice(gcBefore).filter((l) => l.includes('Scavenge'));
    const pauses = scavenges.map((l) => Number(/,\s*([\d.]+)\s*\/\s*[\d.]+\s*ms/.exec(l)?.[1])).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    gateway.kill('SIGUSR2');
    await waitFor('write its profile', () => output().includes('ALLOC_PROFILE_WRITTEN'));
    const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as { head: ProfileNode };
    const result = {
      when: new Date().toISOString(), node: process.version, face, calls,
      ...summarize(profile.head),
      scavengesPer1000Calls: Math.round((scavenges.length / calls) * 1000 * 10) / 10,
      scavengePauseP50Ms: pauses[pauses.length >> 1] ?? null,
      failedCalls: latency.errors,
    };
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n[alloc] results written to ${out}\n`);
  } finally {
    gateway.kill('SIGTERM');
    await sim.stop();
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`[alloc] failed: ${(err as Error)?.stack ?? err}\n`);
  process.exit(1);
});
