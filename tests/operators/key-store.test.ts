/**
 * The store side of key management, on SQLite and PostgreSQL: names unique among active keys only, rotation in
 * one transaction, limit changes, and the migration that made names reusable keeping every existing key.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.ts';
import { MIGRATIONS, SCHEMA_MIGRATIONS_DDL } from '../../src/store/migrations.ts';
import type { GatewayStore } from '../../src/store/types.ts';
import { type Harness, newKey, postgresHarness, postgresReachable, rand6, sqliteHarness } from '../store/harness.ts';

const NOW = 1_800_000_000_000;

function describeKeyStore(name: 'sqlite' | 'postgres', makeHarness: () => Harness): void {
  describe(`keys in the store (${name})`, () => {
    let h: Harness;
    let store: GatewayStore;
    beforeAll(async () => {
      h = makeHarness();
      store = await openStore(h.newUrl('keys'));
    });
    afterAll(async () => {
      await store?.close();
      await h?.cleanup();
    });

    it('a name is unique among active keys; after revocation it can be reused, and findKeyByName prefers the active key', async () => {
      const first = await store.createKey(newKey({ createdAt: NOW }));
      await expect(store.createKey(newKey({ name: first.name }))).rejects.toMatchObject({ code: 'KEY_NAME_TAKEN' });
      expect(await store.revokeKey(first.name, NOW + 1)).toBe(true);
      expect(await store.findKeyByName(first.name)).toMatchObject({ id: first.id, revokedAt: NOW + 1 });
      const second = await store.createKey(newKey({ name: first.name, createdAt: NOW - 5 })); // older clock, still preferred
      expect(await store.findKeyByName(first.name)).toEqual(second);
      await expect(store.createKey(newKey({ name: first.name }))).rejects.toMatchObject({ code: 'KEY_NAME_TAKEN' });
      expect((await store.listKeys()).filter((k) => k.name === first.name).map((k) => k.id).sort()).toEqual([first.id, second.id].sort());
    });

    it('rotateKey: the old key revoked and the new one inserted in one step, with its limits, admin flag and spend', async () => {
      const old = await store.createKey(newKey({ isAdmin: true, budgetUsd: 3, rpm: 9, createdAt: NOW }));
      await store.settleBudget(old.id, 'no-reservation', 0.25);
      const next = { id: `id-${rand6()}`, prefix: 'gw_new', hash: `hash-${rand6()}${rand6()}`, createdAt: NOW + 10 };
      const rotated = await store.rotateKey(old.name, next, NOW + 10);
      expect(rotated).toEqual({ ...next, name: old.name, isAdmin: true, budgetUsd: 3, rpm: 9, spendUsd: 0.25, reservedUsd: 0, lastUsedAt: null, revokedAt: null });
      expect(await store.findKeyByHash(old.hash)).toMatchObject({ revokedAt: NOW + 10 });
      expect(await store.findKeyByHash(next.hash)).toEqual(rotated);
      expect(await store.rotateKey(`missing-${rand6()}`, { ...next, id: 'x', hash: 'y' }, NOW)).toBeNull();
      // A revoked key cannot be rotated (only an active one), and nothing is inserted.
      await store.revokeKey(old.name, NOW + 20);
      expect(await store.rotateKey(old.name, { id: 'z', prefix: 'gw_z', hash: `hash-${rand6()}`, createdAt: NOW }, NOW + 30)).toBeNull();
      expect(await store.findKeyByHash(next.hash)).toMatchObject({ revokedAt: NOW + 20 });
    });

    it('updateKeyLimits: a field left out is kept, null clears it, revoked keys are not changed', async () => {
      const k = await store.createKey(newKey({ budgetUsd: 1, rpm: 2 }));
      expect(await store.updateKeyLimits(k.name, { rpm: 50 })).toMatchObject({ budgetUsd: 1, rpm: 50 });
      expect(await store.updateKeyLimits(k.name, { budgetUsd: null })).toMatchObject({ budgetUsd: null, rpm: 50 });
      expect(await store.updateKeyLimits(k.name, { budgetUsd: 7.5, rpm: null })).toMatchObject({ budgetUsd: 7.5, rpm: null });
      expect(await store.findKeyByName(k.name)).toMatchObject({ budgetUsd: 7.5, rpm: null });
      await store.revokeKey(k.name, NOW);
      expect(await store.updateKeyLimits(k.name, { rpm: 1 })).toBeNull();
      expect(await store.findKeyByName(k.name)).toMatchObject({ rpm: null });
    });
  });
}

describeKeyStore('sqlite', sqliteHarness);
const pgUp = await postgresReachable();
(pgUp ? describe : describe.skip)('PostgreSQL', () => describeKeyStore('postgres', postgresHarness));

describe('migration 4 (key names reusable) on a database made before it', () => {
  it('keeps every key, revoked ones included, and then allows reusing a revoked name (SQLite)', async () => {
    const h = sqliteHarness();
    const url = h.newUrl('old');
    const file = url.replace(/^file:/, '');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(file.replace(/\/[^/]+$/, ''), { recursive: true });
    const db = new Database(file);
    db.exec(SCHEMA_MIGRATIONS_DDL('sqlite'));
    for (const m of MIGRATIONS.filter((x) => x.version < 4)) {
      for (const sql of m.statements('sqlite')) db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, NOW);
    }
    const insert = db.prepare(
      `INSERT INTO api_keys (id, name, prefix, hash, is_admin, budget_usd, rpm, spend_usd, reserved_usd, created_at, last_used_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    insert.run('k1', 'app', 'gw_1', 'h1', 1, 5, 60, 1.25, 0.5, NOW, NOW + 1, null);
    insert.run('k2', 'old', 'gw_2', 'h2', 0, null, null, 0, 0, NOW, null, NOW + 2);
    db.close();

    const store = await openStore(url);
    try {
      expect(await store.findKeyByHash('h1')).toEqual({
        id: 'k1', name: 'app', prefix: 'gw_1', hash: 'h1', isAdmin: true, budgetUsd: 5, rpm: 60, spendUsd: 1.25, reservedUsd: 0.5,
        createdAt: NOW, lastUsedAt: NOW + 1, revokedAt: null,
      });
      expect(await store.findKeyByHash('h2')).toMatchObject({ name: 'old', revokedAt: NOW + 2 });
      await expect(store.createKey(newKey({ name: 'app' }))).rejects.toMatchObject({ code: 'KEY_NAME_TAKEN' });
      expect(await store.createKey(newKey({ name: 'old' }))).toMatchObject({ name: 'old', revokedAt: null });
    } finally {
      await store.close();
      await h.cleanup();
    }
  });
});
