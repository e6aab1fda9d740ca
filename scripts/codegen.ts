/**
 * `npm run codegen [-- codegen options]`: GraphQL Code Generator with codegen.ts, from the repository root.
 * Codegen and its plugins live in tools/codegen/ (their own package.json and lock file, so the root `npm ci` stays
 * lean, and their Node-22-only dependencies warn nowhere else); the folder is installed here on first use.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ROOT, ensureToolFolder } from './tool-folder.ts';

const folder = await ensureToolFolder('tools/codegen');
const cli = join(folder, 'node_modules/@graphql-codegen/cli');
const bin = (JSON.parse(readFileSync(join(cli, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['graphql-codegen']!;
// Codegen runs in the root (codegen.ts's paths are the root's) and finds its plugins and presets with a require
// from there: NODE_PATH points that require at this folder's packages.
const NODE_PATH = [join(folder, 'node_modules'), process.env.NODE_PATH].filter(Boolean).join(delimiter);
const result = spawnSync(process.execPath, [join(cli, bin), '--config', 'codegen.ts', ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, NODE_PATH },
});
process.exit(result.status ?? 1);
