/**
 * Issue 25.1: no single value chosen by a caller or by Together can stop the activity log. Each case runs on
 * SQLite and on PostgreSQL (skipped when unreachable), through the public surface: usage above 2^31 tokens from
 * the upstream (the simulator's `usage` fault), a NUL byte in `model`, a 9,000-character `model`. Then the
 * writer's own net: a row the store refuses anyway (written straight to the recorder, as a bug upstream of it
 * would) is quarantined and reported, and every other row of its batch is written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.ts';
import { openStore } from '../../src/store/index.ts';
import type { ActivityEntry } from '../../src/usage/activity.ts';
import { BatchingRecorder } from '../../src/usage/recorder.ts';
import { type Harness, PG_URL, postgresHarness, postgresReachable, rand6, sqliteHarness } from '../store/harness.ts';
import { LLAMA, type Stack, startStack } from '../helpers/stack.ts';

const BIG = 3_000_000_000; // > 2^31: the PostgreSQL token columns were `integer`

function row(over: Partial<ActivityEntry> = {}): ActivityEntry {
  return {
    id: `row-${rand6()}${rand6()}`, requestId: `req-${rand6()}`, at: Date.now(), keyId: null, gateway: 'together', provider: 'together',
    model: LLAMA, kind: 'chat', stream: false, promptTokens: 3, completionTokens: 2, totalTokens: 5, cachedTokens: 0, reasoningTokens: 0,
    costUsd: 1e-6, latencyMs: 10, ttftMs: null, tokensPerSecond: null, finishReason: 'STOP', errorCode: null, cancelled: false,
    usageEstimated: false, attempt: 0, ...over,
  };
}

function describePoison(name: 'sqlite' | 'postgres', makeHarness: () => Harness): void {
  describe(`poison rows (${name})`, () => {
    let h: Harness;
    let stack: Stack;
    const logLines: string[] = [];
    beforeAll(async () => {
      h = makeHarness();
      stack = await startStack({ env: { DATABASE_URL: h.newUrl(`poison_${rand6()}`), UPSTREAM_MAX_RETRIES: '0' }, logLines });
    });
    afterAll(async () => {
      await stack?.close();
      await h?.cleanup();
    });

    const chat = (model: string) =>
      fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...stack.auth() },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello there' }] }),
      });

    it('usage above 2^31 tokens, a NUL byte in model, a 9,000-character model: refused or recorded, and the log goes on', async () => {
      stack.sim.addFault({ usage: { prompt_tokens: BIG, completion_tokens: 7, total_tokens: BIG + 7 } });
      const big = await chat(LLAMA);
      expect(big.status).toBe(200);
      expect(((await big.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens).toBe(BIG);

      for (const model of [`${LLAMA}\u0000`, `bad\u0007model`, 'm'.repeat(9000)]) {
        const res = await chat(model);
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BAD_USER_INPUT');
      }
      // Every kind of call shares the rule (inference/validate.ts).
      const embed = await stack.gql(`mutation E($input: EmbedInput!) { embed(input: $input) { model } }`, {
        input: { model: 'BAAI/bge-base-en-v1.5\u0000', input: ['hello'] },
      });
      expect(embed.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const after = await chat(LLAMA);
      expect(after.status).toBe(200);

      await stack.gateway.services.recorder.flush();
      const rows = (await stack.gateway.services.store.listActivity({ keyId: stack.keyId, limit: 100 })).reverse();
      expect(rows).toHaveLength(6);
      expect(rows[0]).toMatchObject({ model: LLAMA, promptTokens: BIG, completionTokens: 7, totalTokens: BIG + 7, errorCode: null });
      // The refused calls' rows never carry the raw string: one bounded value instead.
      expect(rows.slice(1, 5).map((r) => [r.model, r.errorCode])).toEqual(Array(4).fill(['(unknown)', 'BAD_USER_INPUT']));
      expect(rows[5]).toMatchObject({ model: LLAMA, errorCode: null });
      expect(await stack.gateway.services.store.listQuarantine(10)).toEqual([]);
      const stats = await stack.gql(`{ gatewayStats(timeRange: LAST_1H) { totalRequests totalTokens } }`);
      expect(stats.body.errors).toBeUndefined();
      expect(stats.body.data.gatewayStats).toMatchObject({ totalRequests: 6 });
      expect(stats.body.data.gatewayStats.totalTokens).toBeGreaterThan(BIG);
    });

    it('a row the store refuses is quarantined and reported once; the rest of its batch is written, the log goes on', async () => {
      const store = await openStore(h.newUrl(`writer_${rand6()}`));
      const lines: string[] = [];
      const logger = createLogger('info', { write: (l: string) => void lines.push(l) } as unknown as NodeJS.WritableStream);
      let quarantined = 0;
      const recorder = new BatchingRecorder(store, logger, { maxBatch: 1000, intervalMs: 60_000 }, { onQuarantined: () => quarantined++ });
      try {
        // Values storableEntry() would have fixed: here they reach the store as a bug upstream of it would send them.
        const poison = name === 'postgres' ? row({ model: `x\u0000y` }) : row({ costUsd: Number.NaN });
        const good = Array.from({ length: 20 }, () => row());
        for (const r of [...good.slice(0, 10), poison, ...good.slice(10)]) recorder.record(r);
        await recorder.flush();
        expect(recorder.pending).toBe(0);
        const stored = await store.listActivity({ limit: 100 });
        expect(stored.map((r) => r.id).sort()).toEqual(good.map((r) => r.id).sort());
        const q = await store.listQuarantine(10);
        expect(q).toHaveLength(1);
        expect(q[0]!.entry.id).toBe(poison.id);
        expect(q[0]!.reason).toMatch(/refused/);
        expect(quarantined).toBe(1);
        expect(lines.filter((l) => l.includes('quarantined'))).toHaveLength(1);
        expect(lines.filter((l) => l.includes(poison.id))).toHaveLength(1);
        // The log goes on: later rows are written at once.
        const later = row();
        recorder.record(later);
        await recorder.flush();
        expect((await store.listActivity({ limit: 100 })).some((r) => r.id === later.id)).toBe(true);
      } finally {
        await recorder.close();
        await store.close();
      }
    });
  });
}

describePoison('sqlite', sqliteHarness);

const pgUp = await postgresReachable();
if (!pgUp) console.warn(`PostgreSQL not reachable at ${PG_URL}: skipping the PostgreSQL poison-row tests`);
(pgUp ? describe : describe.skip)('PostgreSQL', () => describePoison('postgres', postgresHarness));
