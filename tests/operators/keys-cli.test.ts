/**
 * `npm run keys` as an operator uses it: the real CLI process (from the sources through tsx) against the same
 * SQLite file a running gateway serves, so every command is checked by what the gateway then does with the key.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_MUTATION, LLAMA, type Stack, startStack, userMessage } from '../helpers/stack.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gw-keys-cli-'));
const databaseUrl = `file:${join(dir, 'gateway.db')}`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function keys(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/keys.ts', ...args],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The files of the database folder that contain `text`, scanned by a child process (see the create test). */
function filesHolding(text: string): Promise<string[]> {
  const scan = `const fs=require('fs'),p=require('path');const [d,t]=process.argv.slice(1);
    console.log(JSON.stringify(fs.readdirSync(d).filter((f)=>fs.readFileSync(p.join(d,f)).includes(Buffer.from(t)))))`;
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['-e', scan, dir, text], (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as string[]))),
  );
}

const keyIn = (text: string): string => /\b(gw_[\w-]{40,})\b/.exec(text)?.[1] ?? '';

/** Runs a command that must succeed (its stderr is the failure message otherwise). */
async function ok(...args: string[]): Promise<Run> {
  const run = await keys(...args);
  expect(run.code, `npm run keys -- ${args.join(' ')}\n${run.stderr}`).toBe(0);
  return run;
}

// Each CLI run is a process that compiles through tsx: seconds each on a loaded machine.
describe('npm run keys', { timeout: 120_000 }, () => {
  let stack: Stack;
  beforeAll(async () => {
    // KEY_CACHE_MS=0: these tests are about the CLI; how long a CLI change may take to reach a gateway that reuses
    // key verdicts (the default 1 s) is tested on an injected clock in tests/usage/key-cache.test.ts.
    stack = await startStack({ env: { DATABASE_URL: databaseUrl, KEY_CACHE_MS: '0' } });
  });
  afterAll(() => stack.close());
  const chat = (key: string) => stack.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage('hi') } }, stack.auth(key));
  const codeOf = async (key: string) => (await chat(key)).body.errors?.[0]?.extensions?.code ?? 'OK';

  it('--help, per-command help, and no command at all', async () => {
    const help = await keys('--help');
    expect(help.code).toBe(0);
    for (const command of ['create', 'list', 'revoke', 'rotate', 'set']) expect(help.stdout).toContain(command);
    const setHelp = await keys('set', '--help');
    expect(setHelp.code).toBe(0);
    expect(setHelp.stdout).toMatch(/--budget-usd <usd>[\s\S]*--rpm <n>/);
    const bare = await keys();
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Usage: npm run keys --');
    expect(await keys('frobnicate')).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown command 'frobnicate'") });
    expect(await keys('create', '--name', 'x', '--budgte-usd', '5')).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option '--budgte-usd'") });
  });

  it('create prints the key once; the running gateway accepts it; list shows a clean table, never the key', async () => {
    const created = await keys('create', '--name', 'frontend', '--budget-usd', '5', '--rpm', '60');
    expect(created.code).toBe(0);
    const key = keyIn(created.stdout);
    expect(key).not.toBe('');
    expect(created.stderr).toContain(`keys: database ${databaseUrl} (DATABASE_URL)`);
    expect(await codeOf(key)).toBe('OK');
    // Only a hash is stored: no file of the database holds the key. Read in another process: opening and closing
    // a database file in this one (which holds the gateway's connection) would drop that connection's POSIX locks
    // on it, after which the CLI's connections reset the WAL under the gateway's feet and its writes go unseen.
    expect(await filesHolding(key)).toEqual([]);

    const listed = await keys('list');
    expect(listed.code).toBe(0);
    const [header, ...rows] = listed.stdout.trimEnd().split('\n');
    expect(header!.split(/\s{2,}/)).toEqual(['NAME', 'PREFIX', 'CREATED (UTC)', 'LAST USED', 'BUDGET', 'SPENT', 'RPM', 'STATE']);
    const row = rows.find((r) => r.startsWith('frontend '))!;
    expect(row.split(/\s{2,}/)).toEqual(['frontend', `${key.slice(0, 10)}…`, expect.any(String), expect.any(String), '$5', expect.stringMatching(/^\$/), '60', 'active']);
    expect(listed.stdout).not.toContain(key);
    expect(listed.stdout).not.toContain('(index)');

    const json = JSON.parse((await keys('list', '--json')).stdout) as Array<Record<string, unknown>>;
    expect(json.find((k) => k.name === 'frontend')).toMatchObject({ prefix: key.slice(0, 10), budgetUsd: 5, rpm: 60, state: 'active', revokedAt: null });
    expect(JSON.stringify(json)).not.toContain(key);
  });

  it('--quiet prints the key alone (for KEY=$(…)); --json prints an object with it', async () => {
    const quiet = await keys('create', '--name', 'ci', '--quiet');
    expect(quiet.stdout).toMatch(/^gw_[\w-]{40,}\n$/);
    expect(await codeOf(quiet.stdout.trim())).toBe('OK');
    const json = JSON.parse((await keys('create', '--name', 'script', '--rpm', '7', '--json')).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ name: 'script', rpm: 7, budgetUsd: null, isAdmin: false, state: 'active', key: expect.stringMatching(/^gw_/) });
  });

  it('a taken name is refused (exit 1); revoke refuses the key at once; the revoked name can be reused', async () => {
    const first = keyIn((await ok('create', '--name', 'reused')).stdout);
    expect(await keys('create', '--name', 'reused')).toMatchObject({ code: 1, stderr: expect.stringContaining('An active key named "reused" already exists') });
    expect(await keys('revoke', '--name', 'reused')).toMatchObject({ code: 0, stdout: expect.stringContaining('Revoked "reused"') });
    expect(await codeOf(first)).toBe('FORBIDDEN');
    expect(await keys('revoke', 'reused')).toMatchObject({ code: 1, stderr: expect.stringContaining('No active key named "reused"') });
    const second = keyIn((await ok('create', '--name', 'reused')).stdout);
    expect(await codeOf(second)).toBe('OK');
    expect(await codeOf(first)).toBe('FORBIDDEN');
  });

  it('rotate: a new key with the same limits and spend; the old one is refused', async () => {
    const old = keyIn((await ok('create', '--name', 'rotating', '--budget-usd', '2.5', '--rpm', '30', '--admin')).stdout);
    expect(await codeOf(old)).toBe('OK');
    const spentBefore = (await stack.gateway.services.store.findKeyByName('rotating'))!.spendUsd;
    expect(spentBefore).toBeGreaterThan(0);
    const rotated = await keys('rotate', '--name', 'rotating', '--json');
    expect(rotated.code).toBe(0);
    const json = JSON.parse(rotated.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ name: 'rotating', budgetUsd: 2.5, rpm: 30, isAdmin: true, spendUsd: spentBefore, state: 'active' });
    expect(json.key).not.toBe(old);
    expect(await codeOf(old)).toBe('FORBIDDEN');
    expect(await codeOf(json.key as string)).toBe('OK');
    expect(await keys('rotate', '--name', 'no-such-key')).toMatchObject({ code: 1, stderr: expect.stringContaining('No active key named "no-such-key"') });
  });

  it('set changes limits from the next request on; "none" removes one; an omitted one is kept', async () => {
    const key = keyIn((await ok('create', '--name', 'limited', '--budget-usd', '10', '--rpm', '100')).stdout);
    expect(await codeOf(key)).toBe('OK');
    expect(await keys('set', '--name', 'limited', '--rpm', '1')).toMatchObject({ code: 0, stdout: expect.stringContaining('"limited": budget $10, 1 rpm.') });
    // A new rpm counts from its own first request (docs/usage.md): one call passes, the next is limited.
    expect(await codeOf(key)).toBe('OK');
    expect(await codeOf(key)).toBe('RATE_LIMITED');
    expect(await keys('set', '--name', 'limited', '--rpm', 'none', '--budget-usd', '0')).toMatchObject({ code: 0, stdout: expect.stringContaining('budget $0, no rpm limit') });
    expect(await codeOf(key)).toBe('BUDGET_EXCEEDED');
    const json = JSON.parse((await keys('set', 'limited', '--budget-usd', 'none', '--json')).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ budgetUsd: null, rpm: null });
    expect(await codeOf(key)).toBe('OK');
    expect(await keys('set', '--name', 'limited')).toMatchObject({ code: 2, stderr: expect.stringContaining('set needs --budget-usd and/or --rpm') });
    expect(await keys('set', '--name', 'nobody', '--rpm', '5')).toMatchObject({ code: 1, stderr: expect.stringContaining('No active key named "nobody"') });
  });

  // Issue 25 item 8: each bad number gets one clear message and exit 2, and nothing is created.
  it('strict numbers: each bad value → exit 2, one message, no key', async () => {
    const cases: Array<[string, string, string]> = [
      ['--budget-usd', '', 'takes a plain number of USD'],
      ['--budget-usd', ' ', 'takes a plain number of USD'],
      ['--budget-usd', '1e-400', 'takes a plain number of USD'],
      ['--budget-usd', '0x10', 'takes a plain number of USD'],
      ['--budget-usd', 'Infinity', 'takes a plain number of USD'],
      ['--budget-usd', `0.${'0'.repeat(400)}1`, 'too small to be a budget'],
      ['--budget-usd', '-1', '--budget-usd -1: A budget is a number of USD from 0 to 1000000000'],
      ['--budget-usd', '2000000000', 'A budget is a number of USD from 0 to 1000000000'],
      ['--rpm', '99999999999', '--rpm 99999999999: rpm is a whole number from 1 to 1000000'],
      ['--rpm', '0', 'rpm is a whole number from 1 to 1000000'],
      ['--rpm', '1.5', '--rpm takes a whole number'],
      ['--rpm', '0x10', '--rpm takes a whole number'],
      ['--rpm', '', '--rpm takes a whole number'],
    ];
    const runs = await Promise.all(cases.map(([option, value], i) => keys('create', '--name', `bad-${i}`, option, value)));
    for (const [i, [option, value, message]] of cases.entries()) {
      const run = runs[i]!;
      expect({ option, value, code: run.code, stdout: run.stdout, lines: run.stderr.trim().split('\n') }).toEqual({
        option, value, code: 2, stdout: '', lines: [expect.stringContaining(message)],
      });
      expect(await stack.gateway.services.store.findKeyByName(`bad-${i}`)).toBeNull();
    }
  });

  it('bad input to set is refused the same way, and the key is unchanged', async () => {
    await ok('create', '--name', 'steady', '--rpm', '5');
    expect(await keys('set', '--name', 'steady', '--rpm', '99999999999')).toMatchObject({ code: 2 });
    expect(await keys('set', '--name', 'steady', '--budget-usd', '')).toMatchObject({ code: 2 });
    expect(await stack.gateway.services.store.findKeyByName('steady')).toMatchObject({ rpm: 5, budgetUsd: null });
  });

  it('--json errors are JSON on stderr, with the code', async () => {
    const run = await keys('revoke', '--name', 'missing', '--json');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stderr.trim().split('\n').at(-1)!)).toEqual({ error: { code: 'BAD_USER_INPUT', message: 'No active key named "missing"' } });
  });
});
