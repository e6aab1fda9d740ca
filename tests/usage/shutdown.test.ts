import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTogetherSimulator, type TogetherSimulator } from '../../src/simulator/index.ts';
import { openStore } from '../../src/store/index.ts';
import { GATEWAY_CHILD_ADMIN_KEY, startGateway } from '../helpers/child.ts';
import { CHAT_MUTATION, CHAT_STREAM, LLAMA, userMessage } from '../helpers/stack.ts';

const ADMIN = GATEWAY_CHILD_ADMIN_KEY;

describe('SIGTERM with calls in flight', () => {
  let sim: TogetherSimulator;
  beforeAll(async () => {
    sim = createTogetherSimulator({ chunkDelayMs: 100 });
    await sim.start(0);
  });
  afterAll(() => sim.close());

  it('finishes in-flight calls and streams within the drain deadline, writes every row, exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-shutdown-'));
    const databaseUrl = `file:${join(dir, 'gateway.db')}`;
    const { child, url, output } = await startGateway({ TOGETHER_API_KEY: 'sim', TOGETHER_BASE_URL: sim.url, DATABASE_URL: databaseUrl, DRAIN_TIMEOUT_MS: '5000' });
    const auth = { authorization: `Bearer ${ADMIN}` };
    const client = createClient({ url: `${url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: auth, retryAttempts: 0 });
    const prompt = 'one two three four five six seven eight nine ten';
    const streams = Array.from({ length: 20 }, () => {
      const deltas: string[] = [];
      let errorCode: string | undefined;
      const done = new Promise<void>((resolve) => {
        client.subscribe<any>(
          { query: CHAT_STREAM, variables: { input: { model: LLAMA, messages: userMessage(prompt) } } },
          {
            next: (r) => {
              if (r.data?.chatStream) deltas.push(r.data.chatStream.delta);
              if (r.errors) errorCode = (r.errors[0] as any)?.extensions?.code;
            },
            error: (e: any) => {
              errorCode = Array.isArray(e) ? e[0]?.extensions?.code : 'SOCKET_CLOSED';
              resolve();
            },
            complete: () => resolve(),
          },
        );
      });
      return { deltas, done, errorCode: () => errorCode };
    });
    // All 20 streams are open before the mutations (and their slow-first-byte fault) reach Together.
    await sim.waitFor((s) => s.openStreams === 20, 10_000);
    sim.addFault({ route: 'chat', firstByteDelayMs: 400, times: 5 });
    const mutations = Array.from({ length: 5 }, () =>
      fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ query: CHAT_MUTATION, variables: { input: { model: LLAMA, messages: userMessage('hi') } } }) }).then((r) => r.json()),
    );
    await sim.waitFor((s) => s.chatCalls >= 25, 10_000);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const results = await Promise.all(mutations);
    await Promise.all(streams.map((s) => s.done));
    expect(await exited).toBe(0);

    for (const r of results as Array<{ errors?: unknown }>) expect(r.errors, JSON.stringify(r)).toBeUndefined();
    for (const s of streams) {
      expect(s.errorCode(), output()).toBeUndefined();
      expect(s.deltas.join('')).toBe(`Echo: ${prompt}`);
    }
    expect(output()).toContain('shutting down');

    const store = await openStore(databaseUrl);
    try {
      const rows = await store.listActivity({ limit: 1000 });
      expect(rows).toHaveLength(25);
      expect(rows.filter((r) => r.stream)).toHaveLength(20);
      expect(rows.every((r) => r.errorCode === null && !r.cancelled && r.finishReason === 'STOP')).toBe(true);
      expect(new Set(rows.map((r) => r.id)).size).toBe(25);
    } finally {
      await store.close();
      await client.dispose();
    }
  });

  it('streams still running at the drain deadline end with a clear error, and their rows say so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-shutdown-'));
    const databaseUrl = `file:${join(dir, 'gateway.db')}`;
    const { child, url } = await startGateway({ TOGETHER_API_KEY: 'sim', TOGETHER_BASE_URL: sim.url, DATABASE_URL: databaseUrl, DRAIN_TIMEOUT_MS: '300' });
    const client = createClient({ url: `${url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${ADMIN}` }, retryAttempts: 0 });
    sim.addFault({ route: 'chat', stallAfterChunks: 2, times: 3 });
    const errors: Array<string | undefined> = [];
    const done = Array.from({ length: 3 }, () =>
      new Promise<void>((resolve) => {
        client.subscribe<any>(
          { query: CHAT_STREAM, variables: { input: { model: LLAMA, messages: userMessage('one two three four') } } },
          { next: () => undefined, error: (e: any) => (errors.push(Array.isArray(e) ? e[0]?.extensions?.code : 'SOCKET_CLOSED'), resolve()), complete: () => resolve() },
        );
      }),
    );
    await sim.waitFor((s) => s.openStreams >= 3, 10_000);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    await Promise.all(done);
    expect(await exited).toBe(0);
    expect(errors, JSON.stringify(errors)).toEqual(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE']);
    await sim.waitFor((s) => s.openStreams === 0);
    const store = await openStore(databaseUrl);
    try {
      const rows = await store.listActivity({ limit: 100 });
      expect(rows).toHaveLength(3);
      expect(rows.every((r) => r.errorCode === 'UPSTREAM_UNAVAILABLE' && r.completionTokens === 2)).toBe(true);
    } finally {
      await store.close();
      await client.dispose();
    }
  });
});
