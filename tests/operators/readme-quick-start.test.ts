/**
 * The README's Quick start, run as a new operator runs it (issue 21 item 1): the tracked files copied to a fresh
 * folder (a clone, with uncommitted edits), `npm run build` there (what `npm ci`'s prepare script does; the
 * dependencies are linked, not downloaded), `npm run demo` in one shell, and the README's second shell block,
 * read from README.md and run by bash, in another. Only the port changes: 8000 becomes a free one, so the test
 * cannot collide with anything else on the machine.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, freePort } from '../helpers/processes.ts';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1));
const shellBlocks = [...quickStart.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);

const clone = mkdtempSync(join(tmpdir(), 'gw-readme-'));
let demo: ChildProcess | undefined;
let demoOutput = '';
let port = 0;

beforeAll(async () => {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    try {
      cpSync(join(ROOT, file), join(clone, file));
    } catch {
      // a tracked file deleted in the working tree: a clone of the edited tree has none either
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
  await new Promise<void>((resolve, reject) =>
    execFile('npm', ['run', '--silent', 'build'], { cwd: clone, timeout: 280_000 }, (err, _out, stderr) => (err ? reject(new Error(`npm run build: ${stderr}`)) : resolve())),
  );
  port = await freePort();
}, 300_000);

/** Whether any process of the demo's group (sh, npm, sh, node) is still alive. */
const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

afterAll(async () => {
  // The demo runs as sh → npm → sh → node: a signal to the first shell alone left npm and the gateway running after
  // the suite. It has a process group of its own (detached), and the whole group is stopped and waited for.
  if (demo?.pid && groupAlive(demo.pid)) {
    process.kill(-demo.pid, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (groupAlive(demo.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (groupAlive(demo.pid)) process.kill(-demo.pid, 'SIGKILL');
  }
  rmSync(clone, { recursive: true, force: true });
});

describe('README Quick start, verbatim but for the port', { timeout: 120_000 }, () => {
  it('has the two shell blocks this test runs', () => {
    expect(shellBlocks[0]).toBe('npm ci && npm run demo\n');
    expect(shellBlocks[1]).toContain('npm run --silent keys -- create');
  });

  it('`npm run demo` starts, says where its data is, and the second shell block works against it', async () => {
    // The first block without its `npm ci` (done above as a build): the demo, in its own shell.
    demo = spawn('sh', ['-c', shellBlocks[0]!.replace('npm ci && ', '')], {
      cwd: clone,
      env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', DEMO_CHUNK_DELAY_MS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    await new Promise<void>((resolve, reject) => {
      const onData = (c: Buffer) => {
        demoOutput += c.toString();
        if (demoOutput.includes('Press Ctrl+C to stop.')) resolve();
      };
      demo!.stdout!.on('data', onData);
      demo!.stderr!.on('data', onData);
      demo!.once('exit', (code) => reject(new Error(`the demo exited (${code}):\n${demoOutput}`)));
    });
    expect(demoOutput).toContain('Storage:      data/demo.db (SQLite)');

    // The second block, as written, in a second shell in the same folder (no extra environment).
    const script = `set -e\n${shellBlocks[1]!.replaceAll(':8000', `:${port}`)}\necho "KEY=$KEY"\n`;
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['DATABASE_URL', 'PORT', 'KEY'].includes(k)));
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile('bash', ['-c', script], { cwd: clone, env, timeout: 100_000 }, (err, out, errOut) =>
        err ? reject(new Error(`${err.message}\n${out}\n${errOut}`)) : resolve({ stdout: out, stderr: errOut }),
      ),
    );
    const key = /KEY=(gw_[\w-]+)/.exec(stdout)?.[1];
    expect(key, stderr).toBeDefined();
    // keys list: a table with the new key's name, never the key itself.
    expect(stdout).toMatch(/NAME\s+PREFIX[\s\S]*\nmy-app\s+gw_/);
    expect(stdout.split(`KEY=${key}`)[0]).not.toContain(key);
    // Each curl answered without an error: models, chat over GraphQL, chat over REST, embeddings, rerank, health.
    expect(stdout).not.toMatch(/"errors"|"error":/);
    expect(stdout).toMatch(/"models":\[\{"id":"[^"]*[Ll]lama/);
    expect(stdout).toMatch(/"chatCompletion":\{"content":"[^"]+","costUsd":[\d.e-]+/);
    expect(stdout).toMatch(/"object":"chat\.completion"/);
    expect(stdout).toMatch(/"object":"list","data":\[\{"object":"embedding"/);
    expect(stdout).toMatch(/"rerank":\{"results":\[\{"index":1/);
    expect(stdout).toContain('{"status":"ok"}');
  });
});
