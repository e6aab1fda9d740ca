/**
 * Two replicas of the real gateway (child processes) on one SQLite file. Replica A is SIGKILLed while a budgeted
 * key's stream is in flight, so it never settles that call's budget reservation. Replica B, heartbeating every
 * 100 ms, finds A's heartbeat stale after six beats and releases the reservation: the key's full remaining budget
 * is usable again, with no operator fixing `reserved_usd` by hand.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyService } from '../../src/auth/keys.ts';
import { createTogetherSimulator, type TogetherSimulator } from '../../src/simulator/index.ts';
import { type GatewayStore, openStore } from '../../src/store/index.ts';
import { LLAMA } from '../helpers/stack.ts';
import { type GatewayProcess, GatewayProcesses } from '../helpers/processes.ts';

const HEARTBEAT_MS = 100;

describe('a replica killed with a budget reservation held', () => {
  const processes = new GatewayProcesses();
  const dir = mkdtempSync(join(tmpdir(), 'crashed-replica-'));
  const DATABASE_URL = `file:${join(dir, 'gateway.db')}`;
  let sim: TogetherSimulator;
  let store: GatewayStore;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let key: string;
  let keyName: string;

  beforeAll(async () => {
    sim = createTogetherSimulator();
    await sim.start(0);
    store = await openStore(DATABASE_URL);
    const created = await new KeyService(store, undefined).create({ name: 'budgeted', budgetUsd: 1 });
    key = created.key;
    keyName = created.record.name;
    const env = { TOGETHER_API_KEY: 'sim', TOGETHER_BASE_URL: sim.url, DATABASE_URL, REPLICA_HEARTBEAT_MS: String(HEARTBEAT_MS) };
    [a, b] = await Promise.all([processes.start(env), processes.start(env)]);
  }, 60_000);

  afterAll(async () => {
    await processes.stopAll();
    await sim?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const chat = (replica: GatewayProcess, stream: boolean) =>
    fetch(`${replica.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: LLAMA, stream, max_tokens: 1000, messages: [{ role: 'user', content: 'one two three four five six' }] }),
    });

  it('another replica releases it once the dead one stops heartbeating', async () => {
    sim.addFault({ route: 'chat', chunkDelayMs: 200, times: 1 });
    const res = await chat(a, true);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read(); // mid-stream: the reservation is held by A
    const held = (await store.findKeyByName(keyName))!.reservedUsd;
    expect(held).toBeGreaterThan(0);

    expect(await a.stop('SIGKILL')).toBe(-1);
    await reader.cancel().catch(() => undefined);
    // Until B's reaper runs, A's worst case is still reserved...
    expect((await store.findKeyByName(keyName))!.reservedUsd).toBeCloseTo(held, 12);

    // ...and within the stale window (6 beats) plus a beat, B releases it.
    const deadline = Date.now() + 30 * HEARTBEAT_MS + 5_000;
    while ((await store.findKeyByName(keyName))!.reservedUsd > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_MS));
    }
    const after = await store.findKeyByName(keyName);
    expect(after!.reservedUsd).toBe(0);
    expect(after!.spendUsd).toBe(0); // A never learnt the cost: nothing is billed for the lost call
    const released = b.logs().find((l) => l.msg === 'released budget reservations of a replica that stopped without settling them');
    expect(released).toMatchObject({ reservations: 1 });
    expect(released!.amountUsd).toBeCloseTo(held, 12);

    // B's own calls reserve and settle as usual.
    const ok = await chat(b, false);
    expect(ok.status).toBe(200);
    await ok.json();
    // The settle follows the response (the call's row is made as it is written): wait for it.
    let settled = await store.findKeyByName(keyName);
    for (let i = 0; i < 50 && settled!.spendUsd === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      settled = await store.findKeyByName(keyName);
    }
    expect(settled!.spendUsd).toBeGreaterThan(0);
    expect(settled!.reservedUsd).toBe(0);
  }, 60_000);
});
