/**
 * GET /dashboard: usage at a glance (spend, latency, TTFT, per model and per key) for the key typed into the
 * page. The page is static; every number comes from `gatewayStats` over POST /graphql with that key, so the
 * page itself shows nothing without one. Assets under /dashboard/assets/, built at install time (./build.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Router } from 'express';
import type { Logger } from '../core/logger.ts';
import { serveBundle } from '../http/static-bundle.ts';
import { DASHBOARD_DIST } from './build.ts';

export const DASHBOARD_PATH = '/dashboard';
const ASSETS = `${DASHBOARD_PATH}/assets`;

/**
 * The page may talk to its own origin only (the GraphQL endpoint): a key typed here cannot be sent elsewhere by
 * injected markup, and the page cannot be framed (no clickjacking of the key field).
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Usage · Together GraphQL gateway</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${ASSETS}/app.css">
<script type="module" src="${ASSETS}/app.js"></script>
</head>
<body>
<div id="dashboard"><p class="boot">Loading the dashboard…</p></div>
<noscript>The dashboard needs JavaScript. The same numbers: the <code>gatewayStats</code> query at POST /graphql, or GET /catalog/gateway/together/stats.</noscript>
</body>
</html>
`;
}

const missingHtml = (): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="color-scheme" content="light dark"><title>Dashboard not built</title></head>
<body>
<h1>The dashboard is not built</h1>
<p>This install has no dashboard bundle (installed with <code>--ignore-scripts</code> or without devDependencies).
Run <code>npm run build:dashboard</code> with devDependencies installed, then restart the gateway.</p>
<p>The same numbers meanwhile: the <code>gatewayStats</code> query at <code>POST /graphql</code>, or <code>GET /catalog/gateway/together/stats</code>.</p>
</body></html>
`;

export function dashboardRouter(logger: Logger, distDir = DASHBOARD_DIST): Router {
  const router = express.Router();
  const bundled = existsSync(join(distDir, 'app.js')) && existsSync(join(distDir, 'app.css'));
  if (bundled) router.use(ASSETS, ...serveBundle(distDir));
  else logger.warn({ distDir }, 'dashboard bundle not found (run `npm run build:dashboard`); GET /dashboard says so');
  const html = bundled ? dashboardHtml() : missingHtml();
  router.get([DASHBOARD_PATH, `${DASHBOARD_PATH}/`], (_req, res) => {
    res.set(SECURITY_HEADERS).status(bundled ? 200 : 503).type('html').send(html);
  });
  return router;
}
