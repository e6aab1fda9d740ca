/**
 * openStore(DATABASE_URL) picks the implementation and runs migrate() before returning.
 *
 *  - SQLite: 'file:./data/x.db', 'file:///abs/x.db', 'sqlite:./x.db', a plain path, or ':memory:'. The folder is created.
 *    WAL mode, busy_timeout 5000, synchronous NORMAL.
 *  - PostgreSQL: 'postgres://…' or 'postgresql://…' (pg.Pool, max 10). Optional `?schema=name` (a lower-case identifier)
 *    puts every table in that schema (created if missing; search_path is set on each connection) — tests use it to
 *    isolate runs. Other query parameters (sslmode, …) are passed to pg unchanged.
 */
import { fileURLToPath } from 'node:url';
import { StartupError, connectionProblem, endpointOf } from '../core/startup.ts';
import { type GatewayStore, StoreError } from './types.ts';

export type { GatewayStore, KeyLimitsPatch, KeyRecord, NewKey } from './types.ts';
export { StoreError } from './types.ts';

export type DatabaseTarget =
  | { kind: 'sqlite'; filename: string }
  | { kind: 'postgres'; connectionString: string; schema: string | null };

/** Lower-case identifiers only: used unquoted in search_path and quoted in CREATE SCHEMA, so case must not matter. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function parseDatabaseUrl(databaseUrl: string): DatabaseTarget {
  const url = databaseUrl.trim();
  if (url === '') throw new StoreError('BAD_DATABASE_URL', 'DATABASE_URL is empty');
  if (/^postgres(ql)?:\/\//i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (err) {
      throw new StoreError('BAD_DATABASE_URL', 'DATABASE_URL is not a valid PostgreSQL URL (check its host, its port (0–65535) and that a password with @ : / is percent-encoded)', { cause: err });
    }
    const schema = parsed.searchParams.get('schema');
    if (schema !== null && !SCHEMA_NAME.test(schema)) {
      throw new StoreError('BAD_DATABASE_URL', `Invalid schema name in DATABASE_URL: ${JSON.stringify(schema)}`);
    }
    parsed.searchParams.delete('schema');
    return { kind: 'postgres', connectionString: parsed.toString(), schema: schema || null };
  }
  // Any other scheme:// is a mistake (mysql://, redis://…), not a file name: SQLite would create a folder named "mysql:".
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (scheme && scheme[1]!.toLowerCase() !== 'file') {
    throw new StoreError('BAD_DATABASE_URL', `DATABASE_URL must be postgres://…, postgresql://…, file:… or a path (got ${scheme[1]}://…)`);
  }
  if (url === ':memory:' || url === 'file::memory:' || url === 'sqlite::memory:') return { kind: 'sqlite', filename: ':memory:' };
  if (/^file:\/\//i.test(url)) return { kind: 'sqlite', filename: fileURLToPath(url.replace(/\?.*$/, '')) };
  const m = /^(?:file|sqlite):(.*)$/i.exec(url);
  const filename = (m ? (m[1] ?? '') : url).replace(/\?.*$/, '');
  if (filename === '') throw new StoreError('BAD_DATABASE_URL', `No file name in DATABASE_URL ${JSON.stringify(url)}`);
  return { kind: 'sqlite', filename };
}

/**
 * Each implementation (and its driver) is loaded only when used: a SQLite gateway never loads pg (2.5 MiB of V8
 * heap once loaded), and a PostgreSQL one never loads better-sqlite3's native module.
 */
export async function openStore(databaseUrl: string): Promise<GatewayStore> {
  let target: DatabaseTarget;
  try {
    target = parseDatabaseUrl(databaseUrl);
  } catch (err) {
    throw new StartupError('DATABASE_URL', (err as Error).message, { cause: err });
  }
  try {
    if (target.kind === 'sqlite') return await (await import('./sqlite.ts')).openSqliteStore(target.filename);
    return await (await import('./postgres.ts')).openPostgresStore({ connectionString: target.connectionString, schema: target.schema });
  } catch (err) {
    // Drivers quote the connection string (with its password) and throw stack-heavy errors: say where and why, once.
    const where = target.kind === 'sqlite' ? `the SQLite file ${target.filename}` : `PostgreSQL at ${endpointOf(target.connectionString, 5432)}`;
    throw new StartupError('DATABASE_URL', `cannot open ${where}: ${connectionProblem(err)}`, { cause: err });
  }
}
