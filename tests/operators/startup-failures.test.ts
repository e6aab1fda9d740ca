/**
 * Issue 16 items 6 and 7, as an operator meets them: the real entry points (`npm start`'s src/index.ts and
 * `npm run demo`'s src/demo.ts, from the sources through tsx) started with a setting that cannot work. Each must
 * exit 1 with one line naming the setting to change, no stack trace, and never the password it was given.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_HOST, PG_PORT, ROOT, freePort, probeTcp, randomId } from '../helpers/processes.ts';

const PASSWORD = 'pw-s3cret-0f1e2d';
const scratch = mkdtempSync(join(tmpdir(), 'gw-startup-'));

interface Exit {
  code: number | null;
  output: string;
}

/** Runs an entry point to its exit (or until it says it listens, which is a failure of these tests). */
function run(entry: 'src/index.ts' | 'src/demo.ts', env: Record<string, string | undefined>): Promise<Exit> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT, // with DATABASE_URL set (':memory:' here) the demo writes no data/ file
    env: { ...process.env, PORT: '0', DATABASE_URL: ':memory:', LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (c: Buffer) => {
    output += c.toString();
    if (/listening|Press Ctrl\+C/.test(output)) child.kill('SIGKILL');
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, output })));
}

/** The lines an operator reads as the failure: everything at fatal level, and anything that is not a JSON log line. */
function failureLines(output: string): string[] {
  return output
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter((l) => {
      try {
        return (JSON.parse(l) as { level?: number }).level === 60;
      } catch {
        return true;
      }
    });
}

function expectOneLine(exit: Exit, setting: string, says: RegExp): void {
  expect(exit.code, exit.output).toBe(1);
  const lines = failureLines(exit.output);
  expect(lines, exit.output).toHaveLength(1);
  const line = JSON.parse(lines[0]!) as { setting: string; msg: string };
  expect(line.setting).toBe(setting);
  expect(line.msg).toMatch(/^cannot start: /);
  expect(line.msg).toMatch(says);
  expect(line.msg).toContain(`(change ${setting})`);
  expect(exit.output).not.toContain(PASSWORD);
  expect(exit.output).not.toMatch(/\n\s+at /);
}

// Each case starts a real process (a few seconds of tsx compile on a loaded machine); they run side by side.
describe.concurrent('start-up failures: one line, the setting named, no password, exit 1', { timeout: 120_000 }, () => {
  let taken: Server;
  let takenPort: number;
  let closedPort: number;
  beforeAll(async () => {
    closedPort = await freePort();
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it('a PostgreSQL URL that is not a URL (port 99999) → DATABASE_URL', async () => {
    expectOneLine(await run('src/index.ts', { DATABASE_URL: `postgres://gw:${PASSWORD}@127.0.0.1:99999/db` }), 'DATABASE_URL', /not a valid PostgreSQL URL/);
  });

  it('PostgreSQL where nothing answers → DATABASE_URL, host:port without the password', async () => {
    const exit = await run('src/index.ts', { DATABASE_URL: `postgres://gw:${PASSWORD}@127.0.0.1:${closedPort}/db` });
    expectOneLine(exit, 'DATABASE_URL', new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${closedPort}: nothing answers there \\(ECONNREFUSED\\)`));
  });

  it('a scheme that is not a database → DATABASE_URL (it used to become a SQLite file named "mysql:")', async () => {
    expectOneLine(await run('src/index.ts', { DATABASE_URL: `mysql://gw:${PASSWORD}@db/gw` }), 'DATABASE_URL', /must be postgres:\/\/…/);
  });

  it('a SQLite file that cannot be created → DATABASE_URL', async () => {
    expectOneLine(await run('src/index.ts', { DATABASE_URL: 'file:/etc/passwd/gateway.db' }), 'DATABASE_URL', /cannot open the SQLite file \/etc\/passwd\/gateway\.db/);
  });

  it('a CACHE_URL that is not Redis → CACHE_URL', async () => {
    expectOneLine(await run('src/index.ts', { CACHE_URL: `memcached://gw:${PASSWORD}@cache:11211` }), 'CACHE_URL', /must be redis:\/\/ or rediss:\/\//);
  });

  it('a CACHE_URL with a bad port → CACHE_URL', async () => {
    expectOneLine(await run('src/index.ts', { CACHE_URL: `redis://:${PASSWORD}@127.0.0.1:99999` }), 'CACHE_URL', /not a valid URL/);
  });

  it('a number setting that is not a number → that setting', async () => {
    expectOneLine(await run('src/index.ts', { UPSTREAM_TIMEOUT_MS: 'soon' }), 'UPSTREAM_TIMEOUT_MS', /must be a number/);
  });

  it('a taken port → PORT, for npm start and for the demo (no graphql-ws "internal error" stack)', async () => {
    const [start, demo] = await Promise.all([run('src/index.ts', { PORT: String(takenPort) }), run('src/demo.ts', { PORT: String(takenPort) })]);
    expectOneLine(start, 'PORT', new RegExp(`port ${takenPort} is taken`));
    expectOneLine(demo, 'PORT', new RegExp(`port ${takenPort} is taken`));
  });

  it('a HOST that is not this machine → HOST', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of a real machine.
    expectOneLine(await run('src/index.ts', { HOST: '192.0.2.1' }), 'HOST', /not an address of this machine \(EADDRNOTAVAIL\)/);
  });

  it('a missing PRICE_OVERRIDES_FILE → PRICE_OVERRIDES_FILE', async () => {
    expectOneLine(await run('src/index.ts', { PRICE_OVERRIDES_FILE: join(scratch, 'no-such-prices.json') }), 'PRICE_OVERRIDES_FILE', /no-such-prices\.json/);
  });
});

const pgUp = await probeTcp(PG_PORT, PG_HOST);

describe.runIf(pgUp)('a PostgreSQL URL without a user connects as the OS user, as libpq does (issue 16 item 7)', { timeout: 60_000 }, () => {
  it('with USER and LOGNAME unset, the gateway starts and answers /readyz', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
      cwd: ROOT,
      env: {
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !['USER', 'LOGNAME', 'PGUSER'].includes(k))),
        PORT: '0',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
        DATABASE_URL: `postgres://${PG_HOST}:${PG_PORT}/test?schema=startup_${randomId()}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (c: Buffer) => {
        output += c.toString();
        const m = /"url":"(http:\/\/[^"]+)\/graphql"/.exec(output);
        if (m) resolve(m[1]!);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
    });
    try {
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(output).not.toContain('no PostgreSQL user name');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
    }
  });
});
