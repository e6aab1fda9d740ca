/**
 * Budget reservations in both stores: atomic against the budget, owned by a replica, released once (by its settle
 * or, if the replica died, by a reaper on any other replica), never twice. PostgreSQL is skipped when unreachable.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.ts';
import type { GatewayStore, ReservationLease } from '../../src/store/types.ts';
import { type Harness, PG_URL, newKey, postgresHarness, postgresReachable, rand6, sqliteHarness } from './harness.ts';

const T = 1_750_000_000_000;
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

    it("releases a dead replica's reservations (and only those) once its heartbeat is stale", async () => {
      const k = await a.createKey(newKey({ budgetUsd: 10 }));
      const [dead, live] = [`dead-${rand6()}`, `live-${rand6()}`];
      await a.heartbeat(dead, T);
      await b.heartbeat(live, T);
      const deadLeases = [lease(dead), lease(dead), lease(dead)];
      const liveLeases = [lease(live), lease(live)];
      for (const l of deadLeases) expect(await a.reserveBudget(k.id, 1, l)).toBe(true);
      for (const l of liveLeases) expect(await b.reserveBudget(k.id, 0.5, l)).toBe(true);
      expect(await reserved(k.name)).toBeCloseTo(4, 12);

      // Both beat recently: nothing is released.
      expect(await b.releaseOrphanedReservations(T - 1)).toEqual({ reservations: 0, amountUsd: 0 });
      expect(await reserved(k.name)).toBeCloseTo(4, 12);

      // Only the live one keeps beating.
      await b.heartbeat(live, T + 100);
      await a.heartbeat(live, T + 50); // an older beat never moves the heartbeat back
      const released = await b.releaseOrphanedReservations(T + 60);
      expect(released.reservations).toBe(3);
      expect(released.amountUsd).toBeCloseTo(3, 12);
      expect(await reserved(k.name)).toBeCloseTo(1, 12);
      expect(await b.releaseOrphanedReservations(T + 60)).toEqual({ reservations: 0, amountUsd: 0 });

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
      await a.heartbeat(retiring, T + 10_000);
      expect(await a.reserveBudget(k.id, 2, lease(retiring))).toBe(true);
      expect(await a.reserveBudget(k.id, 3, lease(`never-beat-${rand6()}`))).toBe(true);
      expect((await b.releaseOrphanedReservations(T)).reservations).toBe(1); // the one that never beat
      await a.retireOwner(retiring);
      expect((await b.releaseOrphanedReservations(T)).reservations).toBe(1);
      expect(await reserved(k.name)).toBe(0);
    });

    it('concurrent reapers and settles release each orphan exactly once', async () => {
      const k = await a.createKey(newKey({ budgetUsd: 100 }));
      const [dead, live] = [`dead-${rand6()}`, `live-${rand6()}`];
      await a.heartbeat(dead, T);
      await a.heartbeat(live, T + 1_000);
      const orphans = Array.from({ length: 40 }, () => lease(dead));
      const held = Array.from({ length: 10 }, () => lease(live));
      await Promise.all([...orphans.map((l) => a.reserveBudget(k.id, 1, l)), ...held.map((l) => b.reserveBudget(k.id, 0.5, l))]);
      expect(await reserved(k.name)).toBeCloseTo(45, 9);

      // Two reapers (one per replica) race each other and the dead replica's late settles of half its calls.
      const [[r1, r2]] = await Promise.all([
        Promise.all([a.releaseOrphanedReservations(T + 500), b.releaseOrphanedReservations(T + 500)]),
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
