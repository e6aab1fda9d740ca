/**
 * Bundles the GraphiQL playground (app/main.tsx) and Monaco's web workers into src/playground/dist/ with esbuild.
 * Runs on `npm ci` / `npm install` (the package's `prepare` script), so `npm start` serves it with no manual
 * step; `npm run build:playground` reruns it after editing app/. The bundle is generated, never committed.
 *
 * Production installs without devDependencies (`npm ci --omit=dev`) have no GraphiQL to bundle: the build then
 * says so and exits 0, and the gateway serves its minimal fallback page (the playground is off in production
 * by default anyway).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuiltFile, bundleAtomically, firstMissingPackage, megabytes } from '../core/browser-bundle.ts';
import { fromRoot } from '../core/paths.ts';

export type { BuiltFile };

/**
 * Where the gateway looks for the bundle (see ./index.ts): src/playground/dist from the package root, also when
 * this module runs compiled from dist/src/playground/ (the browser sources are not compiled there).
 */
export const PLAYGROUND_DIST = fromRoot('src', 'playground', 'dist');
const APP_ENTRY = fromRoot('src', 'playground', 'app', 'main.tsx');

/** Monaco's workers, each bundled to its own classic-worker file that app/workers.ts points Monaco at. */
const WORKERS = {
  'editor.worker': 'monaco-editor/esm/vs/editor/editor.worker.js',
  'json.worker': 'monaco-editor/esm/vs/language/json/json.worker.js',
  'graphql.worker': 'monaco-graphql/esm/graphql.worker.js',
};

/** Why the bundle cannot be built here (a dependency missing), or null when it can. */
export function missingBuildDependency(): string | null {
  return firstMissingPackage(['esbuild', 'graphiql', '@graphiql/toolkit', 'react', 'react-dom', 'monaco-graphql']);
}

/** Builds into a temporary folder next to `outdir`, then swaps it in, so a running gateway never serves half a build. */
export async function buildPlayground(outdir = PLAYGROUND_DIST): Promise<BuiltFile[]> {
  const { build } = await import('esbuild');
  return bundleAtomically(outdir, async (staging) => {
    const common = {
      bundle: true,
      minify: true,
      outdir: staging,
      target: ['es2022'],
      logLevel: 'warning' as const,
      define: { 'process.env.NODE_ENV': '"production"' },
      legalComments: 'linked' as const,
    };
    await build({
      ...common,
      entryPoints: { app: APP_ENTRY },
      format: 'esm',
      // No code splitting: esbuild would put the CSS of GraphiQL's lazily imported Monaco chunks into files
      // nothing loads. One app.js + one app.css keeps every style on the page.
      splitting: false,
      assetNames: 'assets/[name]-[hash]',
      jsx: 'automatic',
      loader: { '.graphql': 'text', '.ttf': 'file', '.woff': 'file', '.woff2': 'file' },
    });
    // (5 MB of JS becomes ~1.5 MB gzipped.)
    await build({ ...common, entryPoints: WORKERS, format: 'iife' });
  });
}

const mb = megabytes;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const missing = missingBuildDependency();
  if (missing) {
    console.warn(`playground: skipped the GraphiQL build (${missing} is not installed, e.g. \`npm ci --omit=dev\`); the gateway will serve its minimal fallback page`);
  } else {
    const started = Date.now();
    const files = await buildPlayground();
    const total = files.reduce((n, f) => n + f.bytes, 0);
    const gzip = files.reduce((n, f) => n + f.gzipBytes, 0);
    const relative = PLAYGROUND_DIST.replace(`${process.cwd()}/`, '');
    console.log(`playground: built ${relative} in ${Date.now() - started} ms: ${files.length} files, ${mb(total)} (${mb(gzip)} gzipped)`);
    if (process.argv.includes('--verbose')) for (const f of files) console.log(`  ${f.name.padEnd(48)} ${mb(f.bytes).padStart(9)}`);
    if (!existsSync(join(PLAYGROUND_DIST, 'app.js'))) process.exitCode = 1;
  }
}
