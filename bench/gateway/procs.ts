import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface Proc {
  child: ChildProcess;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts a child and resolves once `pattern` (first capture = URL) appears on its output. */
function startChild(cmd: string, args: string[], env: Record<string, string>, pattern: RegExp, name: string): Promise<Proc> {
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 30 s:\n${output}`)), 30_000);
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

export function startSimulator(opts: { latencyMs?: number; chunkDelayMs?: number } = {}): Promise<Proc> {
  const args = ['--import', 'tsx/esm', 'src/simulator/main.ts', '--port', '0'];
  if (opts.latencyMs) args.push('--latency-ms', String(opts.latencyMs));
  if (opts.chunkDelayMs) args.push('--chunk-delay-ms', String(opts.chunkDelayMs));
  return startChild(process.execPath, args, {}, /SIMULATOR_URL=(\S+)/, 'simulator');
}

export const BENCH_ADMIN_KEY = 'bench-admin-key-not-a-secret-0123456789';

export function startGateway(upstreamUrl: string, env: Record<string, string> = {}): Promise<Proc> {
  return startChild(
    process.execPath,
    [...(process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx/esm', 'src/index.ts'],
    {
      PORT: '0',
      LOG_LEVEL: 'info', // production's level: the per-call summary line is part of the cost
      LOG_FORMAT: 'json',
      TOGETHER_API_KEY: 'bench-upstream-key',
      TOGETHER_BASE_URL: upstreamUrl,
      GATEWAY_ADMIN_KEY: BENCH_ADMIN_KEY,
      // A file, as in production: an in-memory database would hold every activity row in the RSS we measure.
      DATABASE_URL: `file:${join(mkdtempSync(join(tmpdir(), 'bench-gw-')), 'gateway.db')}`,
      NODE_ENV: 'production',
      ...env,
    },
    /"url":"(http:\/\/[^"]+)\/graphql"/,
    'gateway',
  ).then((p) => ({ ...p }));
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

/** Portkey's open-source gateway (npm `@portkey-ai/gateway`), the peer we compare against. */
export async function startPortkey(): Promise<Proc> {
  const port = await freePort();
  const entry = new URL('../../node_modules/@portkey-ai/gateway/build/start-server.js', import.meta.url).pathname;
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
