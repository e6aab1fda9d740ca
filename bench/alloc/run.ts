/**
 * `node --import tsx/esm bench/alloc/run.ts [--calls N] [--face rest|graphql]` — how much the gateway allocates
 * per chat call, and where. One compiled gateway against the simulator, N sequential calls after a warm-up, with
 * V8's sampling heap profiler (freed objects included) and a `gc` performance observer (bench/alloc/sampler.mjs). Prints KiB per call by package / module
 * and the top allocating functions, and the young-generation collections (scavenges) per 1,000 calls with their
 * median pause: allocation is what sets how often those pauses hit a call. The sampler slows every call down, so
 * this measures no latency (bench/gateway does). Results: bench/results/alloc.json.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Proc, runBench, startGateway, startSimulator } from '../gateway/procs.ts';
import { measureLatency, percentile, targets } from '../gateway/targets.ts';

const { values } = parseArgs({ options: { calls: { type: 'string' }, face: { type: 'string' }, out: { type: 'string' } } });
const calls = Number(values.calls ?? 2000);
const face = values.face ?? 'rest';
const out = values.out ?? new URL('../results/alloc.json', import.meta.url).pathname;
const ROOT = new URL('../../', import.meta.url).pathname;
const procs: Proc[] = [];

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
  const sim = await startSimulator();
  const profileFile = join(mkdtempSync(join(tmpdir(), 'bench-alloc-')), 'alloc.json');
  procs.push(sim);
  const gateway = await startGateway(sim.url, { nodeArgs: ['--import', join(ROOT, 'bench/alloc/sampler.mjs')], env: { ALLOC_PROFILE_OUT: profileFile } });
  procs.push(gateway);
  try {
    const target = targets({ sim: sim.url, gateway: gateway.url, key: gateway.key }).find((t) => t.name === face);
    if (!target) throw new Error(`no face ${face} (rest, graphql)`);
    await measureLatency(target, 300, 10); // warm-up, not sampled
    gateway.child.kill('SIGUSR1');
    await new Promise((r) => setTimeout(r, 200));
    const latency = await measureLatency(target, calls, 0);
    gateway.child.kill('SIGUSR2');
    for (let i = 0; i < 300 && !existsSync(profileFile); i++) await new Promise((r) => setTimeout(r, 100));
    if (!existsSync(profileFile)) throw new Error('the gateway did not write its allocation profile in 30 s');
    const { profile, scavengePausesMs } = JSON.parse(readFileSync(profileFile, 'utf8')) as { profile: { head: ProfileNode }; scavengePausesMs: number[] };
    const result = {
      when: new Date().toISOString(), node: process.version, face, calls,
      ...summarize(profile.head),
      scavengesPer1000Calls: Math.round((scavengePausesMs.length / calls) * 1000 * 10) / 10,
      scavengePauseP50Ms: scavengePausesMs.length ? Math.round(percentile(scavengePausesMs.sort((a, b) => a - b), 50) * 100) / 100 : null,
      failedCalls: latency.errors,
    };
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n[alloc] results written to ${out}\n`);
  } finally {
    await Promise.all([gateway.stop(), sim.stop()]);
  }
}

runBench('alloc', procs, main);
