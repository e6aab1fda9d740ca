/**
 * `npm run keys -- create --name NAME [--budget-usd N] [--rpm N] [--admin]`  prints the new key once
 * `npm run keys -- list`                                                     never prints keys, only prefixes
 * `npm run keys -- revoke NAME`
 * Uses DATABASE_URL (and .env) like the server.
 */
import { parseArgs } from 'node:util';
import { KeyService } from '../auth/keys.ts';
import { loadConfig } from '../core/config.ts';
import { GatewayError } from '../core/errors.ts';
import { openStore } from '../store/index.ts';
import { StoreError } from '../store/types.ts';

const USAGE = `usage:
  npm run keys -- create --name NAME [--budget-usd N] [--rpm N] [--admin]
  npm run keys -- list
  npm run keys -- revoke NAME`;

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'));

function numberOption(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new GatewayError('BAD_USER_INPUT', `--${name} must be a number`);
  return value;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: 'string' }, 'budget-usd': { type: 'string' }, rpm: { type: 'string' }, admin: { type: 'boolean' } },
  });
  const [command, ...rest] = positionals;
  if (!command || !['create', 'list', 'revoke'].includes(command)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  const store = await openStore(config.databaseUrl);
  try {
    const keys = new KeyService(store, undefined);
    if (command === 'create') {
      const name = values.name ?? rest[0];
      if (!name) throw new GatewayError('BAD_USER_INPUT', '--name is required');
      const { key, record } = await keys.create({
        name,
        budgetUsd: numberOption(values['budget-usd'], 'budget-usd') ?? null,
        rpm: numberOption(values.rpm, 'rpm') ?? null,
        isAdmin: values.admin ?? false,
      });
      process.stdout.write(
        `Created key "${record.name}"${record.isAdmin ? ' (admin)' : ''}. Copy it now: it is not stored and cannot be shown again.\n\n  ${key}\n\n` +
          `Use it as:  Authorization: Bearer ${record.prefix}…\n`,
      );
    } else if (command === 'list') {
      const rows = await store.listKeys();
      const table = rows.map((k) => ({
        name: k.name,
        prefix: `${k.prefix}…`,
        admin: k.isAdmin ? 'yes' : '',
        created: iso(k.createdAt),
        'last used': iso(k.lastUsedAt),
        'spend USD': k.spendUsd.toPrecision(6),
        'budget USD': k.budgetUsd === null ? '-' : String(k.budgetUsd),
        rpm: k.rpm === null ? '-' : String(k.rpm),
        status: k.revokedAt === null ? 'active' : `revoked ${iso(k.revokedAt)}`,
      }));
      if (table.length === 0) process.stdout.write('No keys yet. Create one: npm run keys -- create --name NAME\n');
      else console.table(table);
    } else {
      const name = rest[0] ?? values.name;
      if (!name) throw new GatewayError('BAD_USER_INPUT', 'revoke needs a key name');
      const done = await store.revokeKey(name, Date.now());
      if (!done) throw new GatewayError('BAD_USER_INPUT', `No active key named "${name}"`);
      process.stdout.write(`Revoked "${name}".\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof GatewayError || err instanceof StoreError ? err.message : String((err as Error)?.message ?? err);
    process.stderr.write(`error: ${message}\n`);
    process.exit(1);
  },
);
