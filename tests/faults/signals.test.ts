import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTogetherSimulator, type TogetherSimulator } from '../../src/simulator/index.ts';
import { openStore } from '../../src/store/index.ts';
import { GATEWAY_CHILD_ADMIN_KEY, startGateway } from '../helpers/child.ts';
import { CHAT_STREAM, LLAMA, TEST_UPSTREAM_KEY, userMessage } from '../helpers/stack.ts';

/**
 * SIGINT (Ctrl-C) drains exactly like SIGTERM: 20 live streams finish, every row is written, exit 0.
 * (SIGTERM during 20 streams and 5 mutations is tests/usage/shutdown.test.ts.)
 */
describe('SIGINT during 20 streams', () => {
  let sim: TogetherSimulator;
  beforeAll(async () => {
    sim = createTogetherSimulator({ chunkDelayMs: 60 });
    await sim.start(0);
  });
  afterAll(() => sim.close());

  it('drains the streams, writes 20 rows, exits 0, and logs no key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-sigint-'));
    const databaseUrl = `file:${join(dir, 'gateway.db')}`;
    const { child, url, output } = await startGateway({ TOGETHER_API_KEY: TEST_UPSTREAM_KEY, TOGETHER_BASE_URL: sim.url, DATABASE_URL: databaseUrl, DRAIN_TIMEOUT_MS: '5000' });
    const client = createClient({ url: `${url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${GATEWAY_CHILD_ADMIN_KEY}` }, retryAttempts: 0 });
    const prompt = 'one two three four five six seven eight';
    const streams = Array.from({ length: 20 }, () => {
      const deltas: string[] = [];
      let error: unknown;
      const done = new Promise<void>((resolve) => {
        client.subscribe<any>(
          { query: CHAT_STREAM, variables: { input: { model: LLAMA, messages: userMessage(prompt) } } },
          { next: (r) => void (r.data?.chatStream && deltas.push(r.data.chatStream.delta)), error: (e) => ((error = e), resolve()), complete: () => resolve() },
        );
      });
      return { deltas, done, error: () => error };
    });
    await sim.waitFor((s) => s.openStreams === 20, 10_000);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    await Promise.all(streams.map((s) => s.done));
    expect(await exited).toBe(0);
    for (const s of streams) {
      expect(s.error()).toBeUndefined();
      expect(s.deltas.join('')).toBe(`Echo: ${prompt}`);
    }
    expect(output()).toContain('"signal":"SIGINT"');
    expect(output()).not.toContain(TEST_UPSTREAM_KEY);
    expect(output()).not.toContain(GATEWAY_CHILD_ADMIN_KEY);

    const store = await openStore(databaseUrl);
    try {
      const rows = await store.listActivity({ limit: 100 });
      expect(rows).toHaveLength(20);
      expect(rows.every((r) => r.stream && r.finishReason === 'STOP' && r.errorCode === null && !r.cancelled)).toBe(true);
    } finally {
      await store.close();
      await client.dispose();
    }
  }, 30_000);
});
