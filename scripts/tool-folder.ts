/**
 * Tool folders: heavy packages that only the bench, the federation tests or codegen use live in a folder of their
 * own (bench/peers/, tests/federation/tools/, tools/codegen/), each with its own package.json and package-lock.json,
 * so the root `npm ci` stays lean. The code that needs one calls `ensureToolFolder(dir)` first: it runs
 * `npm ci --prefix dir` when dir/node_modules is missing or was installed from another lock file.
 *
 * Every folder has `legacy-peer-deps=true` in its .npmrc: `graphql` (everyone's peer) is NOT installed there, so
 * its packages resolve the root's copy by walking up the directories. One copy of graphql-js in a process, so a
 * schema built by @apollo/gateway is a schema to the root's @apollo/server.
 *
 * Parallel callers (vitest runs test files in several processes) install once: the first takes a lock directory,
 * the others wait until it is gone (a lock left by a dead process is taken over).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

/** The repository root (this file is scripts/tool-folder.ts). */
export const ROOT = fileURLToPath(new URL('../', import.meta.url));

const STAMP = '.installed-lock-sha256';

function lockHash(dir: string): string {
  return createHash('sha256').update(readFileSync(join(dir, 'package-lock.json'))).digest('hex');
}

/** True when dir/node_modules was installed from dir/package-lock.json as it is now. */
export function isInstalled(dir: string): boolean {
  try {
    return readFileSync(join(dir, 'node_modules', STAMP), 'utf8') === lockHash(dir);
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `npm ci` in `dir` (absolute, or relative to the repository root) unless it is installed already. */
export async function ensureToolFolder(dir: string, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<string> {
  const folder = join(ROOT, dir.startsWith(ROOT) ? dir.slice(ROOT.length) : dir);
  const lock = join(folder, '.install-lock');
  for (;;) {
    if (isInstalled(folder)) return folder;
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // Another process is installing: wait for its lock to go (or for it to die without removing it).
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        /* it is writing the pid right now */
      }
      if (Number.isInteger(owner) && !alive(owner)) rmSync(lock, { recursive: true, force: true });
      else await delay(250); // re-check the condition: installed, or the lock gone
      continue;
    }
    try {
      if (isInstalled(folder)) return folder;
      log(`installing ${dir} (npm ci, first use)…`);
      const started = Date.now();
      const npmCli = process.env.npm_execpath?.endsWith('.js') ? process.env.npm_execpath : undefined;
      const [cmd, args] = npmCli ? [process.execPath, [npmCli]] : ['npm', []];
      await promisify(execFile)(cmd, [...args, 'ci', '--prefix', folder, '--no-audit', '--no-fund', '--loglevel=error'], {
        cwd: folder,
        maxBuffer: 64 * 1024 * 1024,
        shell: process.platform === 'win32',
      });
      writeFileSync(join(folder, 'node_modules', STAMP), lockHash(folder));
      log(`installed ${dir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return folder;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** `import(file)` for a file inside a tool folder (e.g. its index.js re-exporting what the caller needs). */
export async function importFrom<T>(dir: string, file: string): Promise<T> {
  const folder = await ensureToolFolder(dir);
  return (await import(pathToFileURL(join(folder, file)).href)) as T;
}

