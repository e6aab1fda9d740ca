/**
 * `npm run bench:ab [-- --base REF --rounds 8 --seconds 5 --faces rest,graphql]` — issue 23's rule for a cut: "each
 * change an A/B in one interleaved run, kept only if it wins beyond the run-to-run spread". The gateway compiled
 * from REF (default HEAD, i.e. the working tree against its last commit) and the one compiled from the working
 * tree serve the same simulator (20 ms upstream) under 16 clients, in alternating order round after round (A B,
 * B A, …), so a drift of the machine's speed lands on both. Per round: CPU per call of each serving process (from
 * /proc) and req/s; the verdict is the median of the per-round ratios B/A with their range. Results:
 * bench/results/ab.json (or `--out`).
 *
 * REF is checked out into a temporary git worktree that borrows this checkout's node_modules and is compiled
 * with the same `tsc -p tsconfig.build.json`; both gateways use a tenant key made by this checkout's keys CLI.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Proc, runBench, startGateway, startSimulator } from '../gateway/procs.ts';
import { measureLatency, measureThroughput, targets } from '../gateway/targets.ts';

const { values } = parseArgs({ options: { base: { type: 'string' }, rounds: { type: 'string' }, seconds: { type: 'string' }, faces: { type: 'string' }, out: { type: 'string' } } });
const base = values.base ?? 'HEAD';
const rounds = Number(values.rounds ?? 8);
const seconds = Number(values.seconds ?? 5);
const faces = (values.faces ?? 'rest').split(',');
const out = values.out ?? new URL('../results/ab.json', import.meta.url).pathname;
const ROOT = new URL('../../', import.meta.url).pathname;
const procs: Proc[] = [];
const log = (msg: string): void => void process.stderr.write(`[ab] ${msg}\n`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** REF's gateway, compiled in a temporary worktree; returns its entry point and how to remove the worktree. */
function buildBase(ref: string): { entry: string; commit: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ab-'));
  const commit = execFileSync('git', ['rev-parse', '--short', ref], { cwd: ROOT, encoding: 'utf8' }).trim();
  execFileSync('git', ['worktree', 'add', '--detach', dir, commit], { cwd: ROOT, stdio: 'ignore' });
  const remove = (): void => {
    execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    log(`compiling ${commit} in a temporary worktree`);
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    return { entry: join(dir, 'dist/src/index.js'), commit, remove };
  } catch (err) {
    remove();
    throw err;
  }
}

async function main(): Promise<void> {
  const baseBuild = buildBase(base);
  try {
    const sim = await startSimulator({ latencyMs: 20 });
    procs.push(sim);
    const a = await startGateway(sim.url, { entry: baseBuild.entry });
    procs.push(a);
    const b = await startGateway(sim.url);
    procs.push(b);
    const pick = (gw: typeof a, face: string, name: string) => ({ ...targets({ sim: sim.url, gateway: gw.url, key: gw.key }).find((t) => t.name === face)!, name });
    const result: Record<string, unknown> = { when: new Date().toISOString(), node: process.version, base: baseBuild.commit, against: 'working tree', rounds, seconds, faces: {} };
    for (const face of faces) {
      const ta = pick(a, face, `${face}@${baseBuild.commit}`);
      const tb = pick(b, face, `${face}@tree`);
      // Warm-up, discarded: JIT, pools, the catalog, then one loaded pass each (CPU per call settles only after it).
      for (const t of [ta, tb]) await measureLatency(t, 300, 0);
      await measureThroughput([ta, tb], { [ta.name]: a.pid, [tb.name]: b.pid }, seconds, () => undefined);
      const cpu: Array<[number, number]> = [];
      const rps: Array<[number, number]> = [];
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? [ta, tb] : [tb, ta];
        const r = await measureThroughput(order, { [ta.name]: a.pid, [tb.name]: b.pid }, seconds, () => undefined);
        cpu.push([r[ta.name]!.cpuMsPerRequest, r[tb.name]!.cpuMsPerRequest]);
        rps.push([r[ta.name]!.reqPerSec, r[tb.name]!.reqPerSec]);
        log(`${face} round ${round + 1}: CPU ms/call ${cpu.at(-1)![0].toFixed(3)} → ${cpu.at(-1)![1].toFixed(3)}, req/s ${rps.at(-1)![0].toFixed(0)} → ${rps.at(-1)![1].toFixed(0)}`);
      }
      const cpuRatios = cpu.map(([x, y]) => y / x);
      const rpsRatios = rps.map(([x, y]) => y / x);
      const summary = {
        cpuMsPerCall: { base: median(cpu.map((c) => c[0])), tree: median(cpu.map((c) => c[1])) },
        cpuRatio: { median: median(cpuRatios), min: Math.min(...cpuRatios), max: Math.max(...cpuRatios) },
        reqPerSec: { base: median(rps.map((r) => r[0])), tree: median(rps.map((r) => r[1])) },
        rpsRatio: { median: median(rpsRatios), min: Math.min(...rpsRatios), max: Math.max(...rpsRatios) },
        perRound: { cpu, rps },
      };
      (result.faces as Record<string, unknown>)[face] = summary;
      process.stdout.write(
        `${face}: CPU per call ${summary.cpuMsPerCall.base.toFixed(3)} → ${summary.cpuMsPerCall.tree.toFixed(3)} ms (× ${summary.cpuRatio.median.toFixed(3)}, rounds ${summary.cpuRatio.min.toFixed(3)}–${summary.cpuRatio.max.toFixed(3)}); ` +
          `req/s ${summary.reqPerSec.base.toFixed(0)} → ${summary.reqPerSec.tree.toFixed(0)} (× ${summary.rpsRatio.median.toFixed(3)}, rounds ${summary.rpsRatio.min.toFixed(3)}–${summary.rpsRatio.max.toFixed(3)})\n`,
      );
    }
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    log(`results written to ${out}`);
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    baseBuild.remove();
  }
}

runBench('ab', procs, main);
