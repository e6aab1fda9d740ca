/**
 * `prepare` (run by `npm ci` / `npm install`): `npm run build`, i.e. src/ compiled to dist/ and the playground
 * bundled, so `npm start` works right after `npm ci`. Plain JavaScript: it runs before anything is compiled.
 *
 * TypeScript is a devDependency. An install without them (`npm ci --omit=dev`) cannot compile: it keeps a dist/
 * built elsewhere (e.g. copied from a build stage) and says so instead of failing the install.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = new URL('../', import.meta.url);

try {
  require.resolve('typescript/package.json');
} catch {
  const built = existsSync(new URL('dist/src/index.js', root));
  console.warn(
    built
      ? 'prepare: TypeScript is not installed (devDependencies omitted); keeping the existing dist/'
      : 'prepare: TypeScript is not installed (devDependencies omitted), so dist/ was not built and `npm start` will not run.\n' +
          '  Build with devDependencies (`npm ci && npm run build`), then drop them if you like (`npm prune --omit=dev`).',
  );
  process.exit(0);
}

// npm sets npm_execpath for lifecycle scripts; `npm` on the PATH otherwise.
const npm = process.env.npm_execpath;
const result = npm
  ? spawnSync(process.execPath, [npm, 'run', 'build'], { stdio: 'inherit', cwd: root })
  : spawnSync('npm', ['run', 'build'], { stdio: 'inherit', cwd: root, shell: process.platform === 'win32' });
process.exit(result.status ?? 1);
