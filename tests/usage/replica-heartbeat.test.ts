/**
 * Issue 25.6: two gateways on one PostgreSQL with different REPLICA_HEARTBEAT_MS. The one beating every 50 ms
 * reaps orphans every 50 ms; the other beats every 5 s. While a budgeted stream runs on the slow one for ~2 s
 * (more than six of the fast one's beats), its reservation must stay: each replica is judged by the interval it
 * recorded, on the database's clock. Before, the fast one judged by its own 50 ms and released it after 300 ms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../../src/core/config.ts';
import { createLogger } from '../../src/core/logger.ts';
import { type Gateway, createGateway } from '../../src/server.ts';
import { type Harness, PG_URL, postgresHarness, postgresReachable, rand6 } from '../store/harness.ts';
import { LLAMA, type Stack, TEST_UPSTREAM_KEY, startStack } from '../helpers/stack.ts';

const pgUp = await postgresReachable();
if (!pgUp) console.warn(`PostgreSQL not reachable at ${PG_URL}: skipping the replica heartbeat test`);

(pgUp ? describe : describe.skip)('replicas with different heartbeat settings (PostgreSQL)', () => {
  let h: Harness;
  let slow: Stack;
  let fast: Gateway;
  const fastLines: string[] = [];
  beforeAll(async () => {
    h = postgresHarness();
    const databaseUrl = h.newUrl(`heartbeat_${rand6()}`);
    slow = await startStack({ env: { DATABASE_URL: databaseUrl, REPLICA_HEARTBEAT_MS: '5000' } });
    const config = configFromEnv({ TOGETHER_API_KEY: TEST_UPSTREAM_KEY, TOGETHER_BASE_URL: slow.sim.url, DATABASE_URL: databaseUrl, REPLICA_HEARTBEAT_MS: '50' });
    fast = await createGateway({ config, logger: createLogger('info', { write: (l: string) => void fastLines.push(l) } as unknown as NodeJS.WritableStream) });
  });
  afterAll(async () => {
    await fast?.close();
    await slow?.close();
    await h?.cleanup();
  });

  it("a live replica's reservation is not reaped by a replica with a faster heartbeat", async () => {
    const { key, record } = await slow.gateway.services.keys.create({ name: 'budgeted', budgetUsd: 5 });
    const store = slow.gateway.services.store;
    slow.sim.addFault({ route: 'chat', chunkDelayMs: 100 });
    const words = Array.from({ length: 20 }, (_, i) => `w${i}`).join(' ');
    let done = false;
    const stream = fetch(`${slow.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: LLAMA, stream: true, max_tokens: 50, messages: [{ role: 'user', content: words }] }),
    })
      .then((r) => r.text())
      .finally(() => (done = true));
    const started = Date.now();
    await slow.sim.waitFor((s) => s.openStreams === 1);
    const seen: number[] = [];
    // Polled until the stream ends (~2 s, forty of the fast replica's reaps); every reading must show the reservation.
    while (!done) {
      const streaming = slow.sim.stats.openStreams === 1;
      const reserved = (await store.findKeyByName('budgeted'))!.reservedUsd;
      if (streaming && !done) seen.push(reserved);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(await stream).toContain('[DONE]');
    expect(Date.now() - started).toBeGreaterThan(6 * 50 * 3); // far past six of the fast replica's beats
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.every((r) => r > 0)).toBe(true);
    expect(fastLines.some((l) => l.includes('released budget reservations'))).toBe(false);
    // Settled normally at the end: nothing reserved, the real cost spent.
    const after = (await store.findKeyByName('budgeted'))!;
    expect(after.reservedUsd).toBeCloseTo(0, 12);
    expect(after.spendUsd).toBeGreaterThan(0);
    expect(record.id).toBe(after.id);
  });
});
