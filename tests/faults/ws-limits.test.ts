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

/** A socket past `connection_init` (with these params) and its `connection_ack`. */
const initialised = async (url: string, payload: Record<string, unknown> = {}) => {
  const socket = await open(url);
  socket.send(JSON.stringify({ type: 'connection_init', payload }));
  await new Promise<void>((resolve, reject) => {
    socket.once('message', (data) => (JSON.parse(String(data)).type === 'connection_ack' ? resolve() : reject(new Error(String(data)))));
    socket.once('close', (code) => reject(new Error(`closed ${code}`)));
  });
  return socket;
};

const closeOf = (socket: WebSocket, t0 = Date.now()) =>
  new Promise<{ code: number; at: number }>((resolve) => socket.once('close', (code) => resolve({ code, at: Date.now() - t0 })));

const gauge = async (s: Stack, name: string): Promise<number> => {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return Number(line?.split(' ').at(-1));
};

describe('graphql-ws limits', () => {
  it('a flood of 200 connections that never send connection_init: all closed (4408) after the init timeout, and the gateway serves throughout', async () => {
    stack = await startStack({ env: { ...FAULT_ENV, WS_CONNECTION_INIT_TIMEOUT_MS: '600', WS_MAX_KEYLESS_CONNECTIONS: '500' } });
    const s = stack;
    const t0 = Date.now();
    // Each close is watched from the moment its socket opens: under load, opening 200 takes longer than the timeout.
    const closes: Array<Promise<{ code: number; at: number }>> = [];
    await Promise.all(Array.from({ length: 200 }, () => open(s.wsUrl).then((socket) => void closes.push(closeOf(socket, t0)))));

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

  it('WS_MAX_CONNECTIONS: once keyed sockets fill it, the next upgrade is refused with 429 and a contract body; room again once one closes', async () => {
    stack = await startStack({ env: { ...FAULT_ENV, WS_MAX_CONNECTIONS: '5' } });
    const s = stack;
    const sockets = await Promise.all(Array.from({ length: 5 }, () => initialised(s.wsUrl, s.auth())));
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

  it('keyless sockets cannot lock out keyed users: past WS_MAX_KEYLESS_CONNECTIONS the oldest keyless socket is closed (1013), never a keyed one', async () => {
    stack = await startStack({ env: { ...FAULT_ENV, WS_MAX_CONNECTIONS: '20', WS_MAX_KEYLESS_CONNECTIONS: '5', WS_KEYLESS_IDLE_MS: '60000', WS_CONNECTION_INIT_TIMEOUT_MS: '60000' } });
    const s = stack;
    const keyed = await Promise.all(Array.from({ length: 3 }, () => initialised(s.wsUrl, s.auth())));
    const keyedCloses = keyed.map((socket) => closeOf(socket));
    // 40 sockets without a valid key: half initialised without one, half with a forged one.
    const keyless: WebSocket[] = [];
    for (let i = 0; i < 40; i++) keyless.push(await initialised(s.wsUrl, i % 2 ? { authorization: 'Bearer gw_forgedforgedforgedforgedforged' } : {}));
    const evicted = await Promise.all(keyless.slice(0, 35).map((socket) => (socket.readyState === socket.CLOSED ? { code: 1013 } : closeOf(socket))));
    expect(evicted.every((c) => c.code === 1013)).toBe(true);
    expect(keyless.slice(35).every((socket) => socket.readyState === socket.OPEN)).toBe(true);
    expect(await gauge(s, 'gateway_ws_connections{key="none"}')).toBe(5);
    expect(await gauge(s, 'gateway_ws_connections{key="valid"}')).toBe(3);

    // A keyed user still gets in and streams; the keyed sockets were never touched.
    const k = await newKey(s);
    const run = runStream(s.wsClient(s.auth(k.key)), CHAT_STREAM, chatInput('one two three'), s.sim);
    await run.finished;
    expect(run.errors).toBeNull();
    expect(run.events.at(-1)?.done).toBe(true);
    expect(keyed.every((socket) => socket.readyState === socket.OPEN)).toBe(true);
    for (const socket of [...keyed, ...keyless]) socket.close();
    expect((await Promise.all(keyedCloses)).every((c) => c.code === 1005 || c.code === 1000)).toBe(true);
  }, 30_000);

  it('a keyless socket with no operation for WS_KEYLESS_IDLE_MS is closed (4408); one running an operation, or a keyed one, is not', async () => {
    stack = await startStack({ env: { ...FAULT_ENV, WS_KEYLESS_IDLE_MS: '300' } });
    const s = stack;
    const t0 = Date.now();
    const idle = await initialised(s.wsUrl);
    const idleClosed = closeOf(idle, t0);
    const keyed = await initialised(s.wsUrl, s.auth());
    // A keyless client that keeps asking for the (public) catalog stays connected while it does.
    const busy = createClient({ url: s.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    for (let i = 0; i < 5; i++) {
      const result = await new Promise((resolve, reject) => busy.subscribe({ query: '{ models { id } }' }, { next: resolve, error: reject, complete: () => undefined }));
      expect(result).toMatchObject({ data: { models: expect.any(Array) } });
      await new Promise((r) => setTimeout(r, 100));
    }
    const closed = await idleClosed;
    expect(closed.code).toBe(4408);
    expect(closed.at).toBeGreaterThanOrEqual(250);
    expect(keyed.readyState).toBe(keyed.OPEN);
    await busy.dispose();
    keyed.close();
  }, 30_000);
});
