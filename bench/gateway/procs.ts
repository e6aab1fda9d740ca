import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createServer } from 'node:net';
import { ensureToolFolder } from '../../scripts/tool-folder.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

/** The bench's own packages (Portkey's gateway, autocannon): a tool folder, see scripts/tool-folder.ts. */
export const BENCH_PEERS = 'bench/peers';

/** The compiled entry points: the benchmark measures what `npm start` runs (plain node, no tsx loader). */
const GATEWAY_ENTRY = 'dist/src/index.js';
const SIMULATOR_ENTRY = 'dist/src/simulator/main.js';

/** Why dist/ cannot be used as it is (missing, or older than a source or the build config), or null. */
function staleBuild(): string | null {
  if (!existsSync(join(ROOT, GATEWAY_ENTRY)) || !existsSync(join(ROOT, SIMULATOR_ENTRY))) return 'dist/ is not built';
  const configTime = Math.max(...['tsconfig.json', 'tsconfig.build.json'].map((f) => statSync(join(ROOT, f)).mtimeMs));
  const skip = new Set(['src/playground/app', 'src/playground/dist', 'src/dashboard/app', 'src/dashboard/dist']); // browser code: not in the tsc build
  const walk = (dir: string): string | null => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        const found = skip.has(path) ? null : walk(path);
        if (found) return found;
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const output = join(ROOT, 'dist', path.replace(/\.ts$/, '.js'));
        if (!existsSync(output)) return `${relative(ROOT, output)} is missing`;
        const built = statSync(output).mtimeMs;
        if (built < statSync(join(ROOT, path)).mtimeMs) return `${path} changed after the last build`;
        if (built < configTime) return 'the tsconfig changed after the last build';
      }
    }
    return null;
  };
  return walk('src');
}

let compiled = false;
/**
 * Compiles src/ into dist/ (`npm run build`'s tsc step; the bench never serves the playground bundle) when dist/ is
 * missing or stale, so a run never measures code other than the sources'. Once per process.
 */
export function ensureCompiled(): void {
  if (compiled) return;
  const reason = staleBuild();
  if (reason) {
    process.stderr.write(`[bench] ${reason}: compiling src/ into dist/ (tsc -p tsconfig.build.json)\n`);
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    try {
      execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const { stdout, stderr } = err as { stdout?: Buffer; stderr?: Buffer };
      throw new Error(`the benchmark runs the compiled gateway, and compiling it failed: fix the errors, then run \`npm run build\` first\n${stdout ?? ''}${stderr ?? ''}`);
    }
  }
  compiled = true;
}

export interface Proc {
  child: ChildProcess;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts a child and resolves once `pattern` (first capture = URL) appears on its output. */
export function startChild(cmd: string, args: string[], env: Record<string, string>, pattern: RegExp, name: string): Promise<Proc> {
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    // 60 s: a whole tree starts at once on a shared 2-core machine (a cluster gateway is three processes).
    // A process that never said it listens is killed, not left behind (nothing else would stop it: it is not a Proc yet).
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start in 60 s:\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.length > 100_000) output = output.slice(-50_000);
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve({
          child,
          url: match[1]!,
          pid: child.pid!,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
              setTimeout(() => child.kill('SIGKILL'), 5000).unref();
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${output}`)));
  });
}

/** Node flags and environment for a child under a probe (a preload, --trace-gc…). */
export interface ProbeOptions {
  nodeArgs?: string[];
  env?: Record<string, string>;
}

export function startSimulator(opts: { latencyMs?: number; chunkDelayMs?: number } & ProbeOptions = {}): Promise<Proc> {
  ensureCompiled();
  const args = [...(opts.nodeArgs ?? []), SIMULATOR_ENTRY, '--port', '0'];
  if (opts.latencyMs) args.push('--latency-ms', String(opts.latencyMs));
  if (opts.chunkDelayMs) args.push('--chunk-delay-ms', String(opts.chunkDelayMs));
  return startChild(process.execPath, args, opts.env ?? {}, /SIMULATOR_URL=(\S+)/, 'simulator');
}

/**
 * bench/floor's bare pass-through proxy (node:http + undici: no auth, validation, accounting, logs or metrics), the
 * least any Node hop adds on this machine; `sdk`: the same through the openai SDK on our transport. It imports the
 * compiled transport, hence the build check.
 */
/** The bare proxy; `sdk`: sending through the stock openai client, `'gateway-client'`: through the gateway's (sdk-client.ts). */
export function startFloorProxy(upstreamUrl: string, { sdk = false }: { sdk?: boolean | 'gateway-client' } = {}): Promise<Proc> {
  ensureCompiled();
  const mode = sdk === 'gateway-client' ? ['--sdk', '--gateway-client'] : sdk ? ['--sdk'] : [];
  return startChild(process.execPath, ['bench/floor/floor-proxy.js', '--upstream', upstreamUrl, ...mode], {}, /FLOOR_URL=(\S+)/, 'floor proxy');
}

export const BENCH_ADMIN_KEY = 'bench-admin-key-not-a-secret-0123456789';

/** A gateway, and the key its benchmark clients send. */
export interface GatewayProc extends Proc {
  /** A tenant's key (not the admin key): looked up in the store on every call, as a client's would be. */
  key: string;
  /** A tenant's key with a budget (far from used up): each call also reserves and settles its worst-case cost. */
  budgetedKey: string;
}

/**
 * Creates an ordinary gateway key (no budget, no rpm limit) in the gateway's database with `npm run keys`, as an
 * operator would, and returns it. The benchmark calls with it rather than with GATEWAY_ADMIN_KEY, which is
 * checked against the configuration and never looked up: a tenant's call is what users compare.
 */
function createTenantKey(databaseUrl: string, name = 'bench-tenant', budgetUsd?: number): string {
  const budget = budgetUsd === undefined ? [] : ['--budget-usd', String(budgetUsd)];
  const output = execFileSync(process.execPath, ['dist/src/cli/keys.js', 'create', '--name', name, ...budget], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' },
    encoding: 'utf8',
  });
  const key = /^\s+(gw_\S+)$/m.exec(output)?.[1];
  if (!key) throw new Error(`npm run keys printed no key:\n${output}`);
  return key;
}

/**
 * The gateway as `npm start` runs it (`node dist/src/index.js`); `nodeArgs` and BENCH_GATEWAY_NODE_ARGS go before
 * the script, `env` over the defaults below.
 */
/** `entry`: another build's compiled `src/index.js` (bench/ab runs a base commit's build beside this one). */
export async function startGateway(upstreamUrl: string, { nodeArgs = [], env = {}, entry = GATEWAY_ENTRY }: ProbeOptions & { entry?: string } = {}): Promise<GatewayProc> {
  ensureCompiled();
  // A file, as in production: an in-memory database would hold every activity row in the RSS we measure.
  const databaseUrl = env.DATABASE_URL ?? `file:${join(mkdtempSync(join(tmpdir(), 'bench-gw-')), 'gateway.db')}`;
  const key = createTenantKey(databaseUrl);
  const budgetedKey = createTenantKey(databaseUrl, 'bench-budgeted', 1_000_000);
  const proc = await startChild(
    process.execPath,
    [...(process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []), ...nodeArgs, entry],
    {
      PORT: '0',
      LOG_LEVEL: 'info', // production's level: the per-call summary line is part of the cost
      LOG_FORMAT: 'json',
      TOGETHER_API_KEY: 'bench-upstream-key',
      TOGETHER_BASE_URL: upstreamUrl,
      GATEWAY_ADMIN_KEY: BENCH_ADMIN_KEY,
      DATABASE_URL: databaseUrl,
      NODE_ENV: 'production',
      // glibc's allocator as `npm start` sets it (package.json; docs/deployment.md): the idle RSS after load depends on it.
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
      MALLOC_TRIM_THRESHOLD_: process.env.MALLOC_TRIM_THRESHOLD_ ?? '131072',
      ...env,
    },
    /"url":"(http:\/\/[^"]+)\/graphql"/,
    'gateway',
  );
  return { ...proc, key, budgetedKey };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.once('error', reject);
  });
}

/** Portkey's open-source gateway (npm `@portkey-ai/gateway`), the peer we compare against. Installed on first use
 * in bench/peers/ (its own package.json and lock file: the root `npm ci` does not carry it). */
export async function startPortkey(): Promise<Proc> {
  const port = await freePort();
  const peers = await ensureToolFolder(BENCH_PEERS);
  const entry = join(peers, 'node_modules/@portkey-ai/gateway/build/start-server.js');
  const proc = await startChild(process.execPath, [entry, `--port=${port}`, '--headless'], { NODE_ENV: 'production' }, /(Ready for connections)/, 'portkey');
  return { ...proc, url: `http://127.0.0.1:${port}` };
}

/** Resident set size of a process, in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 'NaN');
  return kb / 1024;
}

/** CPU time (user + system) a process has used so far, in ms (Linux /proc; clock ticks are 10 ms). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // After "pid (comm) ", utime and stime are the 12th and 13th fields.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/**
 * CPU time of a process and all its descendants (a cluster gateway's primary and workers), in ms: /proc's
 * utime + stime of each, found by parent pid. A process that ended in between is not counted.
 */
export function treeCpuMs(root: number): number {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // gone since the listing
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  let total = 0;
  for (const pid of tree) {
    try {
      total += cpuMs(pid);
    } catch {
      // ended
    }
  }
  return total;
}

/** Runs a benchmark's main: exit 0 when done; on failure, the stack on stderr, every child stopped, exit 1. */
export function runBench(name: string, procs: Proc[], main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`[${name}] failed: ${(err as Error)?.stack ?? err}\n`);
      void Promise.all(procs.map((p) => p.stop())).finally(() => process.exit(1));
    },
  );
}
