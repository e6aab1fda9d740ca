/**
 * Bundles the usage dashboard (app/main.tsx: Preact + uPlot + our typed client) into src/dashboard/dist/ with
 * esbuild: one app.js, one app.css, precompressed. Runs on `npm ci` / `npm install` (`prepare` → `npm run build`),
 * like the playground's build, so the gateway serves it offline with no CDN; `npm run build:dashboard` reruns it
 * after editing app/. Generated, never committed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuiltFile, bundleAtomically, firstMissingPackage, megabytes } from '../core/browser-bundle.ts';
import { fromRoot } from '../core/paths.ts';

/** Where the gateway looks for the bundle (./index.ts), from the package root (also when run from dist/). */
export const DASHBOARD_DIST = fromRoot('src', 'dashboard', 'dist');
const APP_ENTRY = fromRoot('src', 'dashboard', 'app', 'main.tsx');

/** Why the bundle cannot be built here (a devDependency missing), or null when it can. */
export function missingDashboardDependency(): string | null {
  return firstMissingPackage(['esbuild', 'preact', 'uplot', 'graphql', 'graphql-ws']);
}

export async function buildDashboard(outdir = DASHBOARD_DIST): Promise<BuiltFile[]> {
  const { build } = await import('esbuild');
  return bundleAtomically(outdir, async (staging) => {
    await build({
      entryPoints: { app: APP_ENTRY },
      bundle: true,
      minify: true,
      format: 'esm',
      outdir: staging,
      target: ['es2022'],
      logLevel: 'warning',
      define: { 'process.env.NODE_ENV': '"production"' },
      legalComments: 'linked',
      jsx: 'automatic',
      jsxImportSource: 'preact',
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const missing = missingDashboardDependency();
  if (missing) {
    console.warn(`dashboard: skipped the build (${missing} is not installed, e.g. \`npm ci --omit=dev\`); GET /dashboard will say how to build it`);
  } else {
    const started = Date.now();
    const files = await buildDashboard();
    const total = files.reduce((n, f) => n + f.bytes, 0);
    const gzip = files.reduce((n, f) => n + f.gzipBytes, 0);
    const relative = DASHBOARD_DIST.replace(`${process.cwd()}/`, '');
    console.log(`dashboard: built ${relative} in ${Date.now() - started} ms: ${files.length} files, ${megabytes(total)} (${megabytes(gzip)} gzipped)`);
    if (!existsSync(join(DASHBOARD_DIST, 'app.js'))) process.exitCode = 1;
  }
}
