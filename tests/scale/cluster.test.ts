/**
 * Cluster mode (WEB_CONCURRENCY=2, src/cluster.ts) as `npm start` runs it: one real process tree (src/index.ts
 * through tsx) in front of the Together simulator, on one SQLite file. Calls on fresh connections are served by both
 * workers (each call's summary log line carries its worker's pid); both write their activity rows into the one file;
 * a worker that dies is replaced and the replacement serves; SIGTERM drains everything and the primary exits 0.
 * A start-up failure is still the one line of entry.ts, not one per worker.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { type AddressInfo, type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyService } from '../../src/auth/keys.ts';
import { createTogetherSimulator, type TogetherSimulator } from '../../src/simulator/index.ts';
import { type GatewayStore, openStore } from '../../src/store/index.ts';
import { type GatewayProcess, GatewayProcesses, ROOT, randomId } from '../helpers/processes.ts';
import { LLAMA } from '../helpers/stack.ts';

const scratch = mkdtempSync(join(tmpdir(), 'gw-cluster-'));
const DATABASE_URL = `file:${join(scratch, 'gateway.db')}`;
const run = randomId();

/** One REST chat call on a connection of its own (no keep-alive), so the primary hands each to the next worker. */
function chat(baseUrl: string, key: string, requestId: string): Promise<number> {
  const body = JSON.stringify({ model: LLAMA, messages: [{ role: 'user', content: 'which worker are you?' }], max_tokens: 8 });
  const url = new URL(`${baseUrl}/v1/chat/completions`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-request-id': requestId },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Waits for a condition (polled), failing with `what` after the deadline. */
async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('WEB_CONCURRENCY=2: two workers on one port and one SQLite file', () => {
  const processes = new GatewayProcesses();
  let sim: TogetherSimulator;
  let store: GatewayStore;
  let gateway: GatewayProcess;
  let key: string;

  beforeAll(async () => {
    sim = createTogetherSimulator();
    await sim.start(0);
    store = await openStore(DATABASE_URL);
    key = (await new KeyService(store, undefined).create({ name: 'cluster' })).key;
    gateway = await processes.start({ WEB_CONCURRENCY: '2', TOGETHER_API_KEY: 'sim', TOGETHER_BASE_URL: sim.url, DATABASE_URL, DRAIN_TIMEOUT_MS: '2000' }, 40_000);
  }, 60_000);

  afterAll(async () => {
    await processes.stopAll();
    await sim?.close();
    await store?.close();
  });

  /** requestId → pid of the worker whose summary line logged it. */
  const servedBy = (): Map<string, number> =>
    new Map(gateway.logs().filter((l) => typeof l.requestId === 'string' && l.requestId.startsWith(run) && typeof l.pid === 'number').map((l) => [l.requestId as string, l.pid as number]));
  const rowsOf = async (ids: string[]) => {
    const wanted = new Set(ids);
    return (await store.listActivity({ limit: 10_000 })).filter((r) => wanted.has(r.requestId));
  };

  it('serves from two worker pids, both writing into the one SQLite file; a killed worker is replaced; SIGTERM drains and exits 0', async () => {
    const primary = gateway.child.pid!;
    expect(gateway.logs().find((l) => l.msg === 'gateway listening')).toMatchObject({ workers: 2 });

    const first = Array.from({ length: 20 }, (_, i) => `${run}-a${i}`);
    expect(await Promise.all(first.map((id) => chat(gateway.url, key, id)))).toEqual(first.map(() => 200));
    const byPid = await until('a summary line for every call', () => {
      const m = servedBy();
      return first.every((id) => m.has(id)) && m;
    });
    const pids = new Set(first.map((id) => byPid.get(id)!));
    expect(pids.size).toBe(2);
    expect(pids.has(primary)).toBe(false);
    // Both workers' rows are in the one file (each writes its batch every 200 ms).
    const rows = await until('every row in the file', async () => {
      const r = await rowsOf(first);
      return r.length === first.length && r;
    });
    expect(new Set(rows.map((r) => r.requestId))).toEqual(new Set(first));

    // A worker that dies is replaced (and said so); the replacement serves.
    const [victim] = [...pids];
    process.kill(victim!, 'SIGKILL');
    const died = await until('the death logged', () => gateway.logs().find((l) => l.msg === 'worker died: replacing it'));
    expect(died).toMatchObject({ worker: victim, signal: 'SIGKILL' });
    expect(died.restartInMs).toBeGreaterThan(0);
    await until('the replacement listening', () => gateway.logs().some((l) => l.msg === 'replacement worker listening'));
    const second = Array.from({ length: 10 }, (_, i) => `${run}-b${i}`);
    expect(await Promise.all(second.map((id) => chat(gateway.url, key, id)))).toEqual(second.map(() => 200));
    const after = await until('a summary line for every call', () => {
      const m = servedBy();
      return second.every((id) => m.has(id)) && m;
    });
    const secondPids = new Set(second.map((id) => after.get(id)!));
    expect(secondPids.size).toBe(2);
    expect(secondPids.has(victim!)).toBe(false);

    // SIGTERM: the primary passes it on, both workers drain and flush their rows, the primary exits 0.
    expect(await gateway.stop('SIGTERM')).toBe(0);
    expect(gateway.logs().filter((l) => l.msg === 'shutting down' && typeof l.pid === 'number').map((l) => l.pid).sort()).toEqual([...secondPids].sort());
    expect((await rowsOf(second)).length).toBe(second.length);
  }, 90_000);
});

describe('WEB_CONCURRENCY start-up failures', () => {
  it('a taken port is still one line naming PORT, exit 1, from a cluster', async () => {
    const holder = await new Promise<Server>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => resolve(s));
    });
    const port = (holder.address() as AddressInfo).port;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
      cwd: ROOT,
      env: { ...process.env, WEB_CONCURRENCY: '2', PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: `file:${join(scratch, 'failure.db')}`, LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    holder.close();
    expect(code, output).toBe(1);
    const fatal = output.split('\n').filter((l) => l.startsWith('{') && (JSON.parse(l) as { level: number }).level === 60);
    expect(fatal, output).toHaveLength(1);
    expect(JSON.parse(fatal[0]!)).toMatchObject({ setting: 'PORT' });
  }, 30_000);
});
