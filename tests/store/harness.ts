/**
 * Stores for the store suites: SQLite in temp files, PostgreSQL (TEST_DATABASE_URL or
 * postgres://postgres@127.0.0.1:5432/test) in a random schema per store, dropped afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { NewKey } from '../../src/store/types.ts';

export const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const rand6 = (): string => Math.random().toString(36).slice(2, 8);

export interface Harness {
  /** A URL for a fresh, empty database of this kind. */
  newUrl(label: string): string;
  cleanup(): Promise<void>;
}


export function sqliteHarness(): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'store-test-'));
  return {
    newUrl: (label) => `file:${join(dir, label, 'gateway.db')}`,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function postgresHarness(): Harness {
  const schemas: string[] = [];
  const run = `store_test_${rand6()}`;
  return {
    newUrl(label) {
      const schema = `${run}_${label.replace(/\W/g, '_')}`;
      schemas.push(schema);
      return `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    },
    async cleanup() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

export async function postgresReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export const newKey = (over: Partial<NewKey> = {}): NewKey => ({
  id: `id-${rand6()}`,
  name: `key-${rand6()}`,
  prefix: 'gw_ab12',
  hash: `hash-${rand6()}${rand6()}`,
  isAdmin: false,
  budgetUsd: null,
  rpm: null,
  createdAt: Date.now(),
  ...over,
});
