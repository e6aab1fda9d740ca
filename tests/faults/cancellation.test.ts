import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHAT_MUTATION, CHAT_STREAM, type Stack, runStream, startStack } from '../helpers/stack.ts';
import { FAULT_ENV, chatInput, expectHealthy, newKey, prng, rowsOf, waitForRows } from './helpers.ts';

/** Clients going away at any moment: Together's request is aborted at once and the row says `cancelled`. */
let stack: Stack;
beforeAll(async () => {
  // Streams last ~20 chunks × 10 ms, long enough to be left at random points.
  stack = await startStack({ env: { ...FAULT_ENV, UPSTREAM_TIMEOUT_MS: '10000' }, sim: { chunkDelayMs: 10 } });
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.clearFaults());

describe('cancellation', () => {
  it('a client closing its HTTP connection aborts the upstream call of a chatCompletion; the row says cancelled', async () => {
    const k = await newKey(stack);
    const calls = stack.sim.stats.chatCalls;
    const aborted = stack.sim.stats.abortedRequests;
    stack.sim.addFault({ route: 'chat', firstByteDelayMs: 20_000 });
    const controller = new AbortController();
    const request = fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...k.headers },
      body: JSON.stringify({ query: CHAT_MUTATION, variables: chatInput() }),
      signal: controller.signal,
    }).catch((err: Error) => err);
    await stack.sim.waitFor((s) => s.chatCalls === calls + 1, 3_000);
    controller.abort();
    expect(await request).toBeInstanceOf(Error);
    // Together saw its request dropped right away, not after the 10 s deadline.
    await stack.sim.waitFor((s) => s.abortedRequests === aborted + 1, 2_000);
    const rows = await waitForRows(stack, k.id, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ stream: false, cancelled: true, finishReason: 'CANCELLED', errorCode: null });
    expect(stack.sim.stats.chatCalls).toBe(calls + 1);
    await expectHealthy(stack);
  });

  it('a mutation sent over graphql-ws is aborted upstream when its socket closes; the row says cancelled', async () => {
    const k = await newKey(stack);
    const calls = stack.sim.stats.chatCalls;
    const aborted = stack.sim.stats.abortedRequests;
    stack.sim.addFault({ route: 'chat', firstByteDelayMs: 20_000 });
    const socket = new WebSocket(stack.wsUrl, 'graphql-transport-ws');
    await new Promise((r) => socket.once('open', r));
    socket.send(JSON.stringify({ type: 'connection_init', payload: k.headers }));
    await new Promise((r) => socket.once('message', r));
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: CHAT_MUTATION, variables: chatInput() } }));
    await stack.sim.waitFor((s) => s.chatCalls === calls + 1, 3_000);
    socket.terminate();
    await stack.sim.waitFor((s) => s.abortedRequests === aborted + 1, 2_000);
    const rows = await waitForRows(stack, k.id, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ stream: false, cancelled: true, finishReason: 'CANCELLED' });
  });

  it('a client leaving while its subscription is being set up: Together\'s stream is closed and the row still written', async () => {
    const k = await newKey(stack);
    const calls = stack.sim.stats.chatCalls;
    stack.sim.addFault({ route: 'chat', firstByteDelayMs: 300 });
    const run = runStream(stack.wsClient(stack.auth(k.key)), CHAT_STREAM, chatInput('one two three'), stack.sim);
    await stack.sim.waitFor((s) => s.chatCalls === calls + 1, 3_000);
    run.unsubscribe();
    const rows = await waitForRows(stack, k.id, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ stream: true, cancelled: true, finishReason: 'CANCELLED', errorCode: null, completionTokens: 0 });
    await stack.sim.waitFor((s) => s.openStreams === 0, 2_000);
    expect(stack.gateway.services.streams.size).toBe(0);
  });

  it('200 concurrent streams left at random points: zero upstream streams stay open and exactly 200 rows', async () => {
    const k = await newKey(stack);
    const random = prng(20_251_125);
    const clientCount = 20;
    const sockets: WebSocket[] = [];
    // Four of the clients will lose their socket abruptly mid-way (no close handshake).
    const doomed = new Set([3, 8, 13, 18]);
    const clients = Array.from({ length: clientCount }, (_, i) => wsClient(stack, k.key, doomed.has(i) ? sockets : null));
    // Connected first, so every subscribe message reaches the gateway: a stream left later is a real call.
    await Promise.all(clients.map((c) => new Promise((resolve) => c.on('connected', resolve))));
    const streamCalls = stack.sim.stats.streamCalls;

    type Plan = 'finish' | 'immediately' | 'after-events' | 'socket';
    const runs = Array.from({ length: 200 }, (_, n) => {
      const clientIndex = n % clientCount;
      const plan: Plan = doomed.has(clientIndex) ? 'socket' : (['finish', 'immediately', 'after-events'] as const)[Math.floor(random() * 3)]!;
      const afterEvents = 1 + Math.floor(random() * 8);
      const run = runStream(clients[clientIndex]!, CHAT_STREAM, chatInput(`stream ${n} tells a fairly long story about nothing at all`), stack.sim);
      return { n, plan, afterEvents, run };
    });
    for (const r of runs) {
      if (r.plan === 'immediately') setTimeout(() => r.run.unsubscribe(), random() * 20);
      if (r.plan === 'after-events') {
        const timer = setInterval(() => {
          if (r.run.events.length >= r.afterEvents) {
            clearInterval(timer);
            r.run.unsubscribe();
          }
        }, 5);
        void r.run.finished.then(() => clearInterval(timer));
      }
    }
    // Terminate the doomed sockets at random moments while their streams run.
    for (const socket of sockets) setTimeout(() => socket.terminate(), 30 + random() * 150);

    const settled = (r: (typeof runs)[number]) => (r.plan === 'finish' ? r.run.finished : Promise.race([r.run.finished, new Promise((res) => setTimeout(res, 3_000))]));
    await Promise.all(runs.map(settled));

    await stack.sim.waitFor((s) => s.openStreams === 0, 10_000);
    // A stream whose socket closed while it was being set up is aborted before Together is called (its row says
    // cancelled); every other one reached Together…
    expect(stack.sim.stats.streamCalls - streamCalls).toBeLessThanOrEqual(200);
    const rows = await waitForRows(stack, k.id, 200, 10_000);
    // Nothing more arrives late.
    await new Promise((r) => setTimeout(r, 200));
    const final = await rowsOf(stack, k.id);
    expect(final).toHaveLength(200);
    expect(rows).toHaveLength(200);
    expect(new Set(final.map((r) => r.id)).size).toBe(200);
    for (const row of final) {
      const completed = row.finishReason === 'STOP' && !row.cancelled && row.errorCode === null;
      const cancelled = row.finishReason === 'CANCELLED' && row.cancelled && row.errorCode === null;
      expect(completed || cancelled, JSON.stringify(row)).toBe(true);
    }
    const finished = runs.filter((r) => r.plan === 'finish');
    for (const r of finished) {
      expect(r.run.errors).toBeNull();
      expect(r.run.events.at(-1)?.done).toBe(true);
    }
    const sawDone = runs.filter((r) => r.run.events.some((e) => e.done)).length;
    const stopRows = final.filter((r) => r.finishReason === 'STOP').length;
    expect(stopRows).toBeGreaterThanOrEqual(sawDone);
    expect(final.filter((r) => r.cancelled).length).toBeGreaterThan(0);
    expect(stack.gateway.services.streams.size).toBe(0);
    // Every upstream stream that was opened ended: completed or aborted by us, none left dangling.
    expect(stack.sim.stats.openStreams).toBe(0);
    await Promise.all(clients.map((c) => c.dispose()));
    await expectHealthy(stack);
  }, 40_000);
});

/** A graphql-ws client; with `sockets`, its underlying sockets are collected so the test can terminate them. */
function wsClient(stack: Stack, key: string, sockets: WebSocket[] | null): Client {
  class Tracked extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      sockets?.push(this);
    }
  }
  return createClient({ url: stack.wsUrl, webSocketImpl: Tracked, connectionParams: stack.auth(key), retryAttempts: 0, lazy: false, onNonLazyError: () => undefined });
}
