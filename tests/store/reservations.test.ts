/**
 * Budget reservations in both stores: atomic against the budget, owned by a replica, released once (by its settle
 * or, if the replica died, by a reaper on any other replica), never twice. PostgreSQL is skipped when unreachable.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.ts';
import type { GatewayStore, ReservationLease } from '../../src/store/types.ts';
import { type Harness, PG_URL, newKey, postgresHarness, postgresReachable, rand6, sqliteHarness } from './harness.ts';

const T = 1_750_000_000_000;
/** The old rule "stale when the last beat is before S", as the new one: interval 1 ms, one beat, judged at S + 1. */
const staleBefore = (s: number) => ({ staleAfterBeats: 1, fallbackIntervalMs: 1, now: s + 1 });
const lease = (owner: string, at = T): ReservationLease => ({ id: `res-${rand6()}${rand6()}`, owner, at });

function describeReservations(name: 'sqlite' | 'postgres', makeHarness: () => Harness): void {
  describe(`budget reservations (${name})`, () => {
    let h: Harness;
    // Two connections to one fresh database per test: two replicas, and no other test's orphans to reap.
    let a: GatewayStore;
    let b: GatewayStore;
    beforeAll(() => {
      h = makeHarness();
    });
    beforeEach(async () => {
      const url = h.newUrl(`reservations_${rand6()}`);
      a = await openStore(url);
      b = await openStore(url);
    });
    afterEach(async () => {
      await Promise.all([a?.close(), b?.close()]);
    });
    afterAll(async () => {
      await h?.cleanup();
    });

    const reserved = async (name: string) => (await a.findKeyByName(name))!.reservedUsd;

    it('is atomic: 50 concurrent reservations on two connections, room for exactly 10; settling releases each once', async () => {
      const k = await a.createKey(newKey({ budgetUsd: 2.5 }));
      const leases = Array.from({ length: 50 }, (_, i) => lease(i % 2 ? 'owner-a' : 'owner-b'));
      const results = await Promise.all(leases.map((l, i) => (i % 2 ? a : b).reserveBudget(k.id, 0.25, l)));
      expect(results.filter(Boolean)).toHaveLength(10);
      expect(await reserved(k.name)).toBeCloseTo(2.5, 12);
      expect(await b.reserveBudget(k.id, 0.01, lease('owner-b'))).toBe(false);

      const admitted = leases.filter((_, i) => results[i]);
      await Promise.all(admitted.map((l, i) => (i % 2 ? a : b).settleBudget(k.id, l.id, 0.1)));
      let rec = await a.findKeyByName(k.name);
      expect(rec?.reservedUsd).toBeCloseTo(0, 12);
      expect(rec?.spendUsd).toBeCloseTo(1, 12);
      // Room left: 1.5 → exactly 6 more of 0.25.
      const more = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).reserveBudget(k.id, 0.25, lease('owner-a'))));
      expect(more.filter(Boolean)).toHaveLength(6);
      // Settling a reservation again (or one that never existed) releases nothing more; the spend still counts.
      await a.settleBudget(k.id, admitted[0]!.id, 0);
      await a.settleBudget(k.id, 'no-such-reservation', 0.5);
      rec = await a.findKeyByName(k.name);
      expect(rec?.reservedUsd).toBeCloseTo(1.5, 12);
      expect(rec?.spendUsd).toBeCloseTo(1.5, 12);

      const unlimited = await a.createKey(newKey({ budgetUsd: null }));
      expect(await a.reserveBudget(unlimited.id, 1e6, lease('owner-a'))).toBe(true);
      expect(await a.reserveBudget('no-such-key', 0.01, lease('owner-a'))).toBe(false);
    });

    it('judges each replica by its own recorded interval, not the judge\'s (issue 25.6)', async () => {
      const k = await a.createKey(newKey({ budgetUsd: 10 }));
      const [slow, fast] = [`slow-${rand6()}`, `fast-${rand6()}`];
      await a.heartbeat(slow, 10_000, T); // beats every 10 s
      await b.heartbeat(fast, 500, T);
      expect(await a.reserveBudget(k.id, 1, lease(slow))).toBe(true);
      expect(await b.reserveBudget(k.id, 1, lease(fast))).toBe(true);
      // 5 s later, judged by a replica beating every 500 ms: six of *its* beats have passed, not six of slow's.
      const rule = { staleAfterBeats: 6, fallbackIntervalMs: 500 };
      expect(await b.releaseOrphanedReservations({ ...rule, now: T + 5_000 })).toEqual({ reservations: 1, amountUsd: 1 }); // fast's own: 10 beats silent
      expect(await reserved(k.name)).toBeCloseTo(1, 12);
      // Six of slow's own beats silent: now it is dead.
      expect(await b.releaseOrphanedReservations({ ...rule, now: T + 60_001 })).toEqual({ reservations: 1, amountUsd: 1 });
    });

    it("uses the database's clock: a replica that just beat is live whatever the caller's clock says", async () => {
      const k = await a.createKey(newKey({ budgetUsd: 10 }));
      const live = `live-${rand6()}`;
      const old = `old-${rand6()}`;
      await a.heartbeat(live, 100); // the database's now
      await a.heartbeat(old, 100, Date.now() - 3_600_000); // an hour ago
      expect(await a.reserveBudget(k.id, 1, lease(live))).toBe(true);
      expect(await a.reserveBudget(k.id, 2, lease(old))).toBe(true);
      expect(await b.releaseOrphanedReservations({ staleAfterBeats: 6, fallbackIntervalMs: 100 })).toEqual({ reservations: 1, amountUsd: 2 });
      expect(await reserved(k.name)).toBeCloseTo(1, 12);
    });

    it("releases a dead replica's reservations (and only those) once its heartbeat is stale", async () => {
      const k = await a.createKey(newKey({ budgetUsd: 10 }));
      const [dead, live] = [`dead-${rand6()}`, `live-${rand6()}`];
      await a.heartbeat(dead, 1, T);
      await b.heartbeat(live, 1, T);
      const deadLeases = [lease(dead), lease(dead), lease(dead)];
      const liveLeases = [lease(live), lease(live)];
      for (const l of deadLeases) expect(await a.reserveBudget(k.id, 1, l)).toBe(true);
      for (const l of liveLeases) expect(await b.reserveBudget(k.id, 0.5, l)).toBe(true);
      expect(await reserved(k.name)).toBeCloseTo(4, 12);

      // Both beat recently: nothing is released.
      expect(await b.releaseOrphanedReservations(staleBefore(T - 1))).toEqual({ reservations: 0, amountUsd: 0 });
      expect(await reserved(k.name)).toBeCloseTo(4, 12);

      // Only the live one keeps beating.
      await b.heartbeat(live, 1, T + 100);
      await a.heartbeat(live, 1, T + 50); // an older beat never moves the heartbeat back
      const released = await b.releaseOrphanedReservations(staleBefore(T + 60));
      expect(released.reservations).toBe(3);
      expect(released.amountUsd).toBeCloseTo(3, 12);
      expect(await reserved(k.name)).toBeCloseTo(1, 12);
      expect(await b.releaseOrphanedReservations(staleBefore(T + 60))).toEqual({ reservations: 0, amountUsd: 0 });

      // The "dead" replica was only partitioned: its late settle adds the spend but releases nothing twice.
      await a.settleBudget(k.id, deadLeases[0]!.id, 0.25);
      let rec = await a.findKeyByName(k.name);
      expect(rec?.reservedUsd).toBeCloseTo(1, 12);
      expect(rec?.spendUsd).toBeCloseTo(0.25, 12);

      // The live replica's own calls settle normally.
      for (const l of liveLeases) await b.settleBudget(k.id, l.id, 0.5);
      rec = await a.findKeyByName(k.name);
      expect(rec?.reservedUsd).toBeCloseTo(0, 12);
      expect(rec?.spendUsd).toBeCloseTo(1.25, 12);
    });

    it('a reservation whose owner never beat, or retired, is an orphan at once', async () => {
      const k = await a.createKey(newKey({ budgetUsd: 10 }));
      const retiring = `retiring-${rand6()}`;
      await a.heartbeat(retiring, 1, T + 10_000);
      expect(await a.reserveBudget(k.id, 2, lease(retiring))).toBe(true);
      expect(await a.reserveBudget(k.id, 3, lease(`never-beat-${rand6()}`))).toBe(true);
      expect((await b.releaseOrphanedReservations(staleBefore(T))).reservations).toBe(1); // the one that never beat
      await a.retireOwner(retiring);
      expect((await b.releaseOrphanedReservations(staleBefore(T))).reservations).toBe(1);
      expect(await reserved(k.name)).toBe(0);
    });

    it('concurrent reapers and settles release each orphan exactly once', async () => {
      const k = await a.createKey(newKey({ budgetUsd: 100 }));
      const [dead, live] = [`dead-${rand6()}`, `live-${rand6()}`];
      await a.heartbeat(dead, 1, T);
      await a.heartbeat(live, 1, T + 1_000);
      const orphans = Array.from({ length: 40 }, () => lease(dead));
      const held = Array.from({ length: 10 }, () => lease(live));
      await Promise.all([...orphans.map((l) => a.reserveBudget(k.id, 1, l)), ...held.map((l) => b.reserveBudget(k.id, 0.5, l))]);
      expect(await reserved(k.name)).toBeCloseTo(45, 9);

      // Two reapers (one per replica) race each other and the dead replica's late settles of half its calls.
      const [[r1, r2]] = await Promise.all([
        Promise.all([a.releaseOrphanedReservations(staleBefore(T + 500)), b.releaseOrphanedReservations(staleBefore(T + 500))]),
        Promise.all(orphans.slice(0, 20).map((l, i) => (i % 2 ? a : b).settleBudget(k.id, l.id, 0.01))),
      ]);
      const rec = await a.findKeyByName(k.name);
      // Whatever the interleaving, only the live replica's 10 × 0.5 stay reserved: nothing was released twice.
      expect(rec?.reservedUsd).toBeCloseTo(5, 9);
      expect(rec?.spendUsd).toBeCloseTo(0.2, 9);
      expect(r1.reservations + r2.reservations).toBeGreaterThanOrEqual(20);
      expect(r1.reservations + r2.reservations).toBeLessThanOrEqual(40);
    });
  });
}

describeReservations('sqlite', sqliteHarness);

const pgUp = await postgresReachable();
if (!pgUp) console.warn(`PostgreSQL not reachable at ${PG_URL}: skipping the PostgreSQL reservation tests`);
(pgUp ? describe : describe.skip)('PostgreSQL', () => describeReservations('postgres', postgresHarness));
