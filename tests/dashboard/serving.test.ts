/** How the gateway serves GET /dashboard: the page and its bundle, its security headers, off with DASHBOARD=false. */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.ts';
import { DASHBOARD_DIST } from '../../src/dashboard/build.ts';
import { dashboardRouter } from '../../src/dashboard/index.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

describe('GET /dashboard with the bundle (the default after npm ci)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  it('was built by the install itself (package.json `prepare` → `npm run build`)', () => {
    const built = ['app.js', 'app.css'].filter((f) => existsSync(join(DASHBOARD_DIST, f)));
    expect(built, `src/dashboard/dist is incomplete: did 'npm ci' run 'prepare'? ('npm run build:dashboard' builds it)`).toHaveLength(2);
  });

  it('serves the page with same-origin assets only, and a policy that keeps it that way', async () => {
    for (const path of ['/dashboard', '/dashboard/']) {
      const res = await fetch(`${stack.url}${path}`);
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(body).toContain('<script type="module" src="/dashboard/assets/app.js">');
      expect(body).toContain('<div id="dashboard">');
      expect(body).not.toMatch(/https?:\/\//); // nothing from a CDN
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it('serves the assets, gzipped to clients that accept it', async () => {
    const gz = await fetch(`${stack.url}/dashboard/assets/app.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.status).toBe(200);
    expect(gz.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    const css = await fetch(`${stack.url}/dashboard/assets/app.css`, { headers: { 'accept-encoding': 'identity' } });
    expect(css.headers.get('content-encoding')).toBeNull();
    expect(await css.text()).toMatch(/prefers-color-scheme:\s*dark/);
    // The bundle carries no URL of another host to load code or data from.
    const js = await (await fetch(`${stack.url}/dashboard/assets/app.js`, { headers: { 'accept-encoding': 'identity' } })).text();
    expect(js).not.toMatch(/(fetch|import)\(\s*["'`]https?:/);
    expect((await fetch(`${stack.url}/dashboard/assets/../../package.json`)).status).toBe(404);
  });

  it('the page needs no key to load, and shows nothing without one: the data is gatewayStats, which does', async () => {
    const res = await stack.gql('{ gatewayStats { totalRequests } }', undefined, { authorization: '' });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('GET /dashboard switched off or not built', () => {
  it('DASHBOARD=false: no page, no assets', async () => {
    const stack = await startStack({ env: { DASHBOARD: 'false' } });
    try {
      expect((await fetch(`${stack.url}/dashboard`)).status).toBe(404);
      expect((await fetch(`${stack.url}/dashboard/assets/app.js`)).status).toBe(404);
    } finally {
      await stack.close();
    }
  });

  it('without the bundle: a warning in the log, and a page that says how to build it', async () => {
    const lines: string[] = [];
    const logger = createLogger('warn', { write: (l: string) => void lines.push(l) } as unknown as NodeJS.WritableStream);
    const app = express().use(dashboardRouter(logger, '/nonexistent/dashboard-dist'));
    const server = createServer(app).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/dashboard`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run build:dashboard');
      expect(lines.join('')).toContain('dashboard bundle not found');
    } finally {
      server.close();
    }
  });
});
