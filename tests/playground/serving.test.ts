/** How the gateway serves the playground: GraphiQL when bundled, the minimal page when not, nothing when off. */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.ts';
import { PLAYGROUND_DIST } from '../../src/playground/build.ts';
import { playgroundRouter } from '../../src/playground/index.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('with the bundle (the default after npm ci)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  it('was built by the install itself (package.json `prepare`), so `npm start` needs no build step', () => {
    const built = ['app.js', 'app.css', 'editor.worker.js', 'json.worker.js', 'graphql.worker.js'].filter((f) => existsSync(join(PLAYGROUND_DIST, f)));
    expect(built, `src/playground/dist is incomplete: did 'npm ci' run 'prepare'? ('npm run build:playground' builds it)`).toHaveLength(5);
  });

  it('serves the GraphiQL page to browsers and GraphQL to everyone else', async () => {
    const page = await fetch(`${stack.url}/graphql`, { headers: html });
    expect(page.status).toBe(200);
    const body = await page.text();
    expect(body).toContain('<script type="module" src="/playground/app.js">');
    expect(body).not.toMatch(/https?:\/\//); // nothing from a CDN
    // A GET with a query from a client asking for JSON goes on to GraphQL over HTTP (no CSRF header needed).
    const api = await fetch(`${stack.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: 'application/json' } });
    expect(await api.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('serves the assets, gzipped to clients that accept it', async () => {
    const gz = await fetch(`${stack.url}/playground/app.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.status).toBe(200);
    expect(gz.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    const plain = await fetch(`${stack.url}/playground/app.css`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-type')).toMatch(/^text\/css/);
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toContain('.graphiql-container');
    for (const worker of ['editor.worker.js', 'json.worker.js', 'graphql.worker.js']) {
      expect((await fetch(`${stack.url}/playground/${worker}`)).status).toBe(200);
    }
    expect((await fetch(`${stack.url}/playground/../package.json`)).status).toBe(404);
  });
});

describe('without the bundle', () => {
  it('logs a warning and serves the minimal fallback page', async () => {
    const lines: string[] = [];
    const logger = createLogger('warn', { write: (l: string) => void lines.push(l) } as unknown as NodeJS.WritableStream);
    const app = express().use(playgroundRouter(logger, '/nonexistent/playground-dist'));
    const server = createServer(app).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, { headers: html });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('graphql-transport-ws');
      expect(lines.join('')).toContain('GraphiQL playground bundle not found');
    } finally {
      server.close();
    }
  });
});

describe('PLAYGROUND=false', () => {
  it('serves neither the page nor its assets', async () => {
    const stack = await startStack({ env: { PLAYGROUND: 'false' } });
    try {
      const res = await fetch(`${stack.url}/graphql`, { headers: html });
      expect(await res.text()).not.toContain('/playground/app.js');
      expect((await fetch(`${stack.url}/playground/app.js`)).status).toBe(404);
    } finally {
      await stack.close();
    }
  });
});
