/**
 * Files the gateway reads at run time (schema/*.graphql, fixtures/together/, the playground bundle) live in the
 * package, outside the compiled code. They are found from the package root, never relative to this module: the
 * same code runs as src/x.ts (tsx, vitest) and as dist/src/x.js (`npm start`), one folder deeper.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'together-graphql-gateway';

/** The nearest folder above `start` whose package.json is this package's. */
export function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    // The name check skips a package.json that is not ours (e.g. one a deployment puts in dist/).
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package.json above ${start}`);
  }
}

/** The package's root folder (holding package.json, schema/, fixtures/, src/ and dist/). */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** An absolute path inside the package, e.g. `fromRoot('schema')`. */
export const fromRoot = (...segments: string[]): string => join(PACKAGE_ROOT, ...segments);
