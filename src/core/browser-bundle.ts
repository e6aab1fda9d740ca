/**
 * What the browser bundles (the playground, the dashboard) share at build time: build into a private folder,
 * write precompressed copies, then swap the result in whole, so a running gateway never serves half a build.
 */
import { createRequire } from 'node:module';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface BuiltFile {
  name: string;
  bytes: number;
  gzipBytes: number;
}

/** Runs `build(staging)`, gzips its .js/.css, and moves the folder to `outdir`; lists what was built. */
export async function bundleAtomically(outdir: string, build: (staging: string) => Promise<void>): Promise<BuiltFile[]> {
  // Named `dist` inside a private folder: git ignores it even if a crash leaves it behind.
  const scratch = join(dirname(outdir), `.build-${process.pid}-${Date.now()}`);
  const staging = join(scratch, 'dist');
  await mkdir(staging, { recursive: true });
  try {
    await build(staging);
    // Precompressed copies: the gateway sends these to browsers that accept gzip.
    for (const file of await listFiles(staging)) {
      if (/\.(js|css)$/.test(file.name)) await writeFile(join(staging, `${file.name}.gz`), gzipSync(await readFile(join(staging, file.name)), { level: 9 }));
    }
    // Two builds at once (parallel test files on a fresh checkout): the last one wins.
    for (let attempt = 0; ; attempt++) {
      await rm(outdir, { recursive: true, force: true });
      try {
        await rename(staging, outdir);
        break;
      } catch (err) {
        if (attempt >= 3 || !['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return listFiles(outdir);
}

export async function listFiles(dir: string, prefix = ''): Promise<BuiltFile[]> {
  const files: BuiltFile[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path, `${prefix}${entry.name}/`)));
    else if (!entry.name.endsWith('.gz')) files.push({ name: `${prefix}${entry.name}`, bytes: (await stat(path)).size, gzipBytes: gzipSync(await readFile(path)).length });
  }
  return files.sort((a, b) => b.bytes - a.bytes);
}

/** The first of `packages` not installed (a build without devDependencies), or null when all are. */
export function firstMissingPackage(packages: readonly string[]): string | null {
  const require = createRequire(import.meta.url);
  for (const name of packages) {
    try {
      require.resolve(`${name}/package.json`);
    } catch {
      return name;
    }
  }
  return null;
}

export const megabytes = (n: number): string => `${(n / 1024 / 1024).toFixed(2)} MB`;
