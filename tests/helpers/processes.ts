/**
 * Real gateway processes for the federation and scale-out tests: `node --import tsx src/index.ts` (the entry point
 * `npm start` runs compiled, here from the sources so no build is needed; tests/build.test.ts covers the compiled
 * one), each on its own port (PORT=0, the URL parsed from its `{"url":…}` log line), plus probes for the machine's
 * Redis and PostgreSQL so their tests skip with a clear message where a service is absent.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type AddressInfo, createConnection, createServer } from 'node:net';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const REDIS_HOST = '127.0.0.1';
// This machine's services (override to point the tests elsewhere, or at a closed port to see them skip).
export const REDIS_PORT = Number(process.env.TEST_REDIS_PORT ?? 6379);
export const PG_HOST = '127.0.0.1';
export const PG_PORT = Number(process.env.TEST_PG_PORT ?? 5432);
export const PG_BASE_URL = `postgres://postgres@${PG_HOST}:${PG_PORT}/test`;

export const randomId = (): string => randomBytes(5).toString('hex');

/** True when something accepts TCP connections on host:port within the timeout. */
export function probeTcp(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A port nothing listens on (bound, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Prints why a suite is skipped (vitest shows skipped tests without a reason). */
export function announceSkip(suite: string, missing: string[]): void {
  if (missing.length) console.warn(`[skip] ${suite}: ${missing.join(' and ')} not reachable on this machine; these tests are skipped`);
}

export interface GraphQLBody<T = any> {
  data?: T;
  errors?: Array<{ message: string; extensions?: Record<string, any> }>;
}

export interface GatewayProcess {
  child: ChildProcess;
  /** http://127.0.0.1:PORT */
  url: string;
  /** ws://127.0.0.1:PORT/graphql */
  wsUrl: string;
  /** Everything the process printed so far. */
  output(): string;
  /** Its JSON log lines so far. */
  logs(): Array<Record<string, any>>;
  gql<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLBody<T>>;
  /** A counter or gauge from GET /metrics (sum over label sets matching `labels`). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  readyz(): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Sends the signal and waits for the exit (SIGKILL after 5 s). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  readonly exited: boolean;
}

const live = new Set<ChildProcess>();
// Last line of defence: a test process that dies never leaves gateways behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts gateway processes and stops them all in `stopAll()` (call it from afterAll). */
export class GatewayProcesses {
  private readonly started: GatewayProcess[] = [];

  async start(env: Record<string, string>, timeoutMs = 20_000): Promise<GatewayProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    let output = '';
    let exited = false;
    const exit = new Promise<number | null>((resolve) =>
      child.once('exit', (code, signal) => {
        exited = true;
        live.delete(child);
        resolve(code ?? (signal ? -1 : null));
      }),
    );
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gateway did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /"url":"(http:\/\/[^"]+)\/graphql"/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      void exit.then((code) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited with ${code} before listening:\n${output}`));
      });
    }).catch((err: unknown) => {
      child.kill('SIGKILL');
      throw err;
    });
    const proc: GatewayProcess = {
      child,
      url,
      wsUrl: `${url.replace(/^http/, 'ws')}/graphql`,
      output: () => output,
      logs: () =>
        output
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .flatMap((l) => {
            try {
              return [JSON.parse(l) as Record<string, any>];
            } catch {
              return [];
            }
          }),
      async gql(query, variables, headers = {}) {
        const res = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query, variables }),
        });
        return (await res.json()) as GraphQLBody;
      },
      async metric(name, labels = {}) {
        const text = await (await fetch(`${url}/metrics`)).text();
        let sum = 0;
        for (const line of text.split('\n')) {
          const m = /^([a-z_]+)(\{[^}]*\})? ([\d.e+-]+)$/.exec(line);
          if (!m || m[1] !== name) continue;
          if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) sum += Number(m[3]);
        }
        return sum;
      },
      async readyz() {
        const res = await fetch(`${url}/readyz`);
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      },
      async stop(signal = 'SIGTERM') {
        if (exited) return exit;
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        try {
          return await exit;
        } finally {
          clearTimeout(timer);
        }
      },
      get exited() {
        return exited;
      },
    };
    this.started.push(proc);
    return proc;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.started.splice(0).map((p) => p.stop('SIGTERM')));
  }
}
