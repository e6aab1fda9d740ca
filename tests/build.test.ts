import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * The production build: `tsc -p tsconfig.build.json` (what `npm run build` and `prepare` run) emits runnable
 * JavaScript, and the compiled gateway and simulator (`node dist/src/….js`, what `npm start` and `npm run demo`
 * run, with no tsx loader) find schema/, fixtures/ and the playground bundle from the package root.
 *
 * The rest of the suite runs the sources through tsx, so it never depends on a fresh build; this file compiles
 * the current sources itself, into a private folder under dist/ (git-ignored; inside the package, so the package
 * root is found above it as it is above dist/src/). The children run with a temporary cwd: nothing may be found
 * relative to the working directory.
 */
const live = new Set<ChildProcess>();
let out = '';

beforeAll(async () => {
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  out = mkdtempSync(join(ROOT, 'dist', '.build-test-'));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', out], { cwd: ROOT, timeout: 170_000 });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`tsc -p tsconfig.build.json failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}, 180_000);

afterAll(() => {
  for (const child of live) child.kill('SIGKILL');
  if (out) rmSync(out, { recursive: true, force: true });
});

/** Runs a compiled script with plain node and resolves with the first capture of `pattern` on its output. */
function start(script: string, args: string[], env: Record<string, string | undefined>, pattern: RegExp) {
  const child = spawn(process.execPath, [join(out, script), ...args], { cwd: tmpdir(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let output = '';
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  const match = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start in 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const m = pattern.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready:\n${output}`));
    });
  });
  return { child, exit, match, output: () => output };
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []));
}

describe('the compiled build (npm run build → npm start)', () => {
  it('emits dist/src/index.js with every relative import rewritten from .ts to .js', () => {
    expect(existsSync(join(out, 'src', 'index.js'))).toBe(true);
    expect(existsSync(join(out, 'src', 'playground', 'app')), 'browser code is bundled by esbuild, not compiled').toBe(false);
    expect(existsSync(join(out, 'src', 'dashboard', 'app')), 'browser code is bundled by esbuild, not compiled').toBe(false);
    const leftovers = jsFiles(out).filter((f) => /(?:from\s*|import\()\s*["'][^"']+\.tsx?["']/.test(readFileSync(f, 'utf8')));
    expect(leftovers).toEqual([]);
  });

  it('starts without tsx, answers from schema/ and fixtures/, and exits 0 on SIGTERM', { timeout: 60_000 }, async () => {
    const base = { ...process.env, NODE_OPTIONS: undefined, TOGETHER_API_KEY: undefined, CACHE_URL: undefined, GATEWAY_ADMIN_KEY: undefined };
    const simulator = start('src/simulator/main.js', ['--port', '0'], base, /SIMULATOR_URL=(\S+)/);
    const simulatorUrl = await simulator.match;

    const gateway = start(
      'src/index.js',
      [],
      {
        ...base,
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: ':memory:',
        TOGETHER_API_KEY: 'build-test-upstream-key',
        TOGETHER_BASE_URL: simulatorUrl,
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        NODE_ENV: 'production',
        PLAYGROUND: 'true',
      },
      /"url":"(http:\/\/[^"]+)\/graphql"/,
    );
    const url = await gateway.match;
    const gql = async (query: string) =>
      (await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) })).json() as Promise<any>;

    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ status: 'ok' });
    expect(await gql('{ __typename }')).toEqual({ data: { __typename: 'Query' } });
    // A field of schema/*.graphql, answered from the simulator's fixtures/together/models.json.
    const models = await gql('{ models { id } }');
    expect(models.errors).toBeUndefined();
    expect(models.data.models.length).toBeGreaterThan(0);

    // The playground bundle is looked up at src/playground/dist in the package, not next to the compiled module.
    const page = await (await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } })).text();
    if (existsSync(join(ROOT, 'src', 'playground', 'dist', 'app.js'))) {
      expect(page).toContain('/playground/app.js');
    } else {
      expect(gateway.output()).toContain(JSON.stringify(join(ROOT, 'src', 'playground', 'dist')));
    }

    // So is the dashboard's, at src/dashboard/dist.
    const dashboard = await (await fetch(`${url}/dashboard`)).text();
    if (existsSync(join(ROOT, 'src', 'dashboard', 'dist', 'app.js'))) expect(dashboard).toContain('/dashboard/assets/app.js');
    else expect(dashboard).toContain('npm run build:dashboard');

    gateway.child.kill('SIGTERM');
    simulator.child.kill('SIGTERM');
    expect(await gateway.exit, gateway.output()).toBe(0);
    expect(await simulator.exit).toBe(0);
    expect(gateway.output()).not.toMatch(/"level":(?:50|60)/);
  });
});

describe('npm run demo (compiled)', () => {
  it('prints the playground, the dashboard and an admin key, and the dashboard URL serves the page', { timeout: 60_000 }, async () => {
    const env = { ...process.env, NODE_OPTIONS: undefined, TOGETHER_API_KEY: undefined, CACHE_URL: undefined, DATABASE_URL: undefined, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
    const demo = start('src/demo.js', [], env, /Dashboard:\s+(http:\/\/\S+)/);
    const dashboardUrl = await demo.match;
    expect(demo.output()).toMatch(/Playground:\s+http:\/\/\S+\/graphql/);
    expect(dashboardUrl).toMatch(/\/dashboard$/);
    const res = await fetch(dashboardUrl);
    expect(res.status).toBe(existsSync(join(ROOT, 'src', 'dashboard', 'dist', 'app.js')) ? 200 : 503);
    demo.child.kill('SIGTERM');
    expect(await demo.exit).toBe(0);
  });
});
