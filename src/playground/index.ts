/**
 * The browser playground at GET /graphql (when `config.playground`): GraphiQL 5 with its assets under
 * /playground/, all served by the gateway itself. The bundle is built at install time (./build.ts, run by
 * `npm ci`'s `prepare`). If it is missing (installed with --ignore-scripts or without devDependencies), the
 * gateway logs a warning and serves the minimal dependency-free page in ./page.ts instead.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Router } from 'express';
import type { Logger } from '../core/logger.ts';
import { serveBundle } from '../http/static-bundle.ts';
import { PLAYGROUND_DIST } from './build.ts';
import { playgroundHtml as fallbackHtml } from './page.ts';

/** URL path of the bundle's files. */
export const PLAYGROUND_ASSETS = '/playground';

export function graphiqlHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Together GraphQL gateway · GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${PLAYGROUND_ASSETS}/app.css">
<script type="module" src="${PLAYGROUND_ASSETS}/app.js"></script>
</head>
<body>
<div id="graphiql"><p style="font:14px system-ui,sans-serif;padding:16px">Loading GraphiQL…</p></div>
<noscript>The playground needs JavaScript. GraphQL itself answers at POST /graphql and ws://…/graphql.</noscript>
</body>
</html>
`;
}

/** Routes for GET /graphql (browsers only: other clients fall through to GraphQL over HTTP) and the bundle. */
export function playgroundRouter(logger: Logger, distDir = PLAYGROUND_DIST): Router {
  const router = express.Router();
  const bundled = existsSync(join(distDir, 'app.js')) && existsSync(join(distDir, 'app.css'));
  if (bundled) {
    router.use(PLAYGROUND_ASSETS, ...serveBundle(distDir));
  } else {
    logger.warn({ distDir }, 'GraphiQL playground bundle not found (run `npm run build:playground`); serving the minimal fallback playground');
  }
  const html = bundled ? graphiqlHtml() : fallbackHtml();
  // A browser opening a shared link (`/graphql?query=…&variables=…`) gets the page too: it reads the link
  // and opens the operation in the editor (./app/shared-link.ts). Clients asking for JSON (urql, curl, fetch)
  // prefer application/json here and get GraphQL over HTTP.
  router.get('/graphql', (req, res, next) => {
    if (req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html') {
      res.type('html').send(html);
      return;
    }
    next();
  });
  return router;
}
