import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { CHAT_STREAM, type Stack, runStream, startStack } from '../helpers/stack.ts';
import { FAULT_ENV, chatInput, expectHealthy, newKey, rowsOf } from './helpers.ts';

/** Per-connection and per-process limits on graphql-ws. */
let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const open = (url: string) =>
  new Promise<WebSocket>((resolve, reject) => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });

describe('graphql-ws limits', () => {
  it('a flood of 200 connections that never send connection_init: all closed (4408) after the init timeout, and the gateway serves throughout', async () => {
    stack = await startStack({ env: { ...FAULT_ENV, WS_CONNECTION_INIT_TIMEOUT_MS: '600' } });
    const s = stack;
    const t0 = Date.now();
    const sockets = await Promise.all(Array.from({ length: 200 }, () => open(s.wsUrl)));
    const closes = sockets.map((socket) => new Promise<{ code: number; at: number }>((resolve) => socket.once('close', (code) => resolve({ code, at: Date.now() - t0 }))));

    // While they hang on, real clients are served over HTTP and over websockets.
    await expectHealthy(s);
    const k = await newKey(s);
    const run = runStream(s.wsClient(s.auth(k.key)), CHAT_STREAM, chatInput('one two three'), s.sim);
    await run.finished;
    expect(run.errors).toBeNull();
    expect(run.events.at(-1)?.done).toBe(true);

    const closed = await Promise.all(closes);
    expect(closed.every((c) => c.code === 4408)).toBe(true);
    expect(Math.min(...closed.map((c) => c.at))).toBeGreaterThanOrEqual(550);
    expect(Math.max(...closed.map((c) => c.at))).toBeLessThan(10_000);
    expect(await rowsOf(s, k.id)).toHaveLength(1);
    await expectHealthy(s);
  }, 30_000);

  it('WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: one operation more is refused with RATE_LIMITED; the others finish; the socket stays usable', async () => {
    stack = await startStack({ env: { ...FAULT_ENV, WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '3' }, sim: { chunkDelayMs: 20 } });
    const k = await newKey(stack);
    const client = stack.wsClient(stack.auth(k.key));
    const runs = Array.from({ length: 3 }, (_, i) => runStream(client, CHAT_STREAM, chatInput(`stream ${i} one two three four five`), stack!.sim));
    await stack.sim.waitFor((s) => s.openStreams === 3, 5_000);
    const extra = runStream(client, CHAT_STREAM, chatInput('one too many'), stack.sim);
    await extra.finished;
    expect(extra.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1, limit: 'WS_MAX_SUBSCRIPTIONS_PER_CONNECTION', max: 3 });
    await Promise.all(runs.map((r) => r.finished));
    for (const r of runs) expect(r.events.at(-1)?.done).toBe(true);
    // Refused before it started: no call, so no row; the three that ran have theirs.
    expect(await rowsOf(stack, k.id)).toHaveLength(3);
    const after = runStream(client, CHAT_STREAM, chatInput('room again'), stack.sim);
    await after.finished;
    expect(after.errors).toBeNull();
  });

  it('WS_MAX_CONNECTIONS: the next upgrade is refused with 429 and a contract body; room again once one closes', async () => {
    stack = await startStack({ env: { ...FAULT_ENV, WS_MAX_CONNECTIONS: '5' } });
    const s = stack;
    const sockets = await Promise.all(Array.from({ length: 5 }, () => open(s.wsUrl)));
    const refused = await new Promise<{ status: number; retryAfter: string | undefined; body: string }>((resolve) => {
      const socket = new WebSocket(s.wsUrl, 'graphql-transport-ws');
      socket.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, body }));
      });
      socket.once('error', () => undefined);
    });
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('5');
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    // HTTP is not affected by the websocket cap.
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);

    const first = sockets[0]!;
    await new Promise((r) => {
      first.once('close', r);
      first.close();
    });
    // The server notices the close a moment later.
    await new Promise((r) => setTimeout(r, 50));
    const client = createClient({ url: s.wsUrl, webSocketImpl: WebSocket, connectionParams: s.auth(), retryAttempts: 0 });
    const result = await new Promise((resolve, reject) => client.subscribe({ query: '{ __typename }' }, { next: resolve, error: reject, complete: () => undefined }));
    expect(result).toEqual({ data: { __typename: 'Query' } });
    await client.dispose();
    for (const socket of sockets) socket.close();
  });
});
