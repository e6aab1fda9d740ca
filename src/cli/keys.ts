/**
 * `npm run keys -- <command>`: gateway keys from a shell (the same actions as the admin GraphQL mutations
 * createKey, revokeKey, rotateKey and updateKey, through the same KeyService and its one rule for limits).
 *
 * The database: DATABASE_URL (environment or .env) like the server; without it, the database of an
 * `npm run demo` running in this folder (src/cli/demo-marker.ts), else the server's default file. The line
 * naming it goes to stderr, so stdout holds only the result (`--json` for scripts, `--quiet` for `KEY=$(…)`).
 *
 * Exit codes: 0 done; 1 the command could not be done (no such key, name taken, database unreachable);
 * 2 the command line is wrong (unknown command or option, a value that is not allowed).
 */
import { Command, CommanderError, Option } from 'commander';
import { MAX_BUDGET_USD, MAX_RPM, checkLimits } from '../auth/keys.ts';
import { KeyService } from '../auth/keys.ts';
import { configFromEnv, loadConfig } from '../core/config.ts';
import { GatewayError } from '../core/errors.ts';
import { scrubSecrets } from '../core/secrets.ts';
import { openStore } from '../store/index.ts';
import type { GatewayStore, KeyLimitsPatch, KeyRecord } from '../store/types.ts';
import { readDemoMarker } from './demo-marker.ts';
import { keyJson, keyTable } from './key-table.ts';

/** Wrong command line (exit 2), as opposed to a command that could not be done (exit 1). */
class UsageError extends Error {}

/**
 * Strict numbers: plain decimals only. `''`, `' '`, `0x10`, `1e3`, `Infinity` are refused with one message
 * instead of becoming 0, 16 or 1000; `-1` reaches the budget rule (checkLimits) and gets its message.
 */
function parseBudget(raw: string): number | null {
  if (raw === 'none') return null;
  if (!/^-?(\d+(\.\d*)?|\.\d+)$/.test(raw)) {
    throw new UsageError(`--budget-usd takes a plain number of USD like 5 or 0.25, or "none" for no budget (got ${JSON.stringify(raw)})`);
  }
  const value = Number(raw);
  // A value too small for a double (0.000…1 with hundreds of zeros) must not become a $0 budget.
  if (value === 0 && /[1-9]/.test(raw)) throw new UsageError(`--budget-usd ${raw} is too small to be a budget`);
  return value;
}

function parseRpm(raw: string): number | null {
  if (raw === 'none') return null;
  if (!/^-?\d+$/.test(raw)) {
    throw new UsageError(`--rpm takes a whole number of requests per minute from 1 to ${MAX_RPM}, or "none" (got ${JSON.stringify(raw)})`);
  }
  return Number(raw);
}

/** The limit options as given (undefined = not given), checked by the same rule as the GraphQL mutations. */
function limitsFrom(opts: { budgetUsd?: string; rpm?: string }): KeyLimitsPatch {
  const limits: KeyLimitsPatch = {};
  if (opts.budgetUsd !== undefined) limits.budgetUsd = parseBudget(opts.budgetUsd);
  if (opts.rpm !== undefined) limits.rpm = parseRpm(opts.rpm);
  try {
    return checkLimits(limits);
  } catch (err) {
    const field = err instanceof GatewayError ? err.details.field : undefined;
    const given = field === 'rpm' ? `--rpm ${opts.rpm}: ` : field === 'budgetUsd' ? `--budget-usd ${opts.budgetUsd}: ` : '';
    throw new UsageError(`${given}${(err as Error).message}`);
  }
}

interface Output {
  json: boolean;
  quiet: boolean;
}

/** Where the keys live, and how to say so (never with a password from a URL). */
function chooseDatabase(): { url: string; note: string } {
  const fromEnvironment = process.env.DATABASE_URL;
  const config = loadConfig(); // reads .env (never overriding the environment)
  if (process.env.DATABASE_URL) {
    const from = fromEnvironment ? 'DATABASE_URL' : 'DATABASE_URL from .env';
    return { url: config.databaseUrl, note: `keys: database ${scrubSecrets(config.databaseUrl)} (${from})` };
  }
  const demo = readDemoMarker();
  if (demo) return { url: demo.databaseUrl, note: `keys: database ${demo.databaseUrl} (the demo running in this folder, pid ${demo.pid}, ${demo.url})` };
  const url = configFromEnv({}).databaseUrl;
  return { url, note: `keys: database ${url} (the default; set DATABASE_URL for another)` };
}

async function withKeys<T>(fn: (keys: KeyService, store: GatewayStore) => Promise<T>): Promise<T> {
  const { url, note } = chooseDatabase();
  process.stderr.write(`${note}\n`);
  const store = await openStore(url);
  try {
    return await fn(new KeyService(store, undefined), store);
  } finally {
    await store.close();
  }
}

const write = (text: string): void => {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};

function printNewKey(out: Output, verb: string, key: string, record: KeyRecord): void {
  if (out.json) return write(JSON.stringify({ ...keyJson(record), key }, null, 2));
  if (out.quiet) return write(key);
  write(
    `${verb} key "${record.name}"${record.isAdmin ? ' (admin)' : ''}. Copy it now: it is not stored and cannot be shown again.\n\n  ${key}\n\n` +
      `Send it as:  Authorization: Bearer ${record.prefix}…\n`,
  );
}

function printKey(out: Output, message: string, record: KeyRecord): void {
  if (out.json) return write(JSON.stringify(keyJson(record), null, 2));
  if (!out.quiet) write(message);
}

const nameOf = (opts: { name?: string }, positional: string | undefined, command: string): string => {
  const name = opts.name ?? positional;
  if (!name) throw new UsageError(`${command} needs the key's name: npm run keys -- ${command} --name NAME`);
  return name;
};

function buildProgram(): Command {
  const program = new Command('npm run keys --')
    .description('Gateway keys: create, list, revoke, rotate, and change their limits.')
    .exitOverride()
    .configureOutput({ outputError: () => {} }) // errors are printed once, by main()
    .option('--json', 'print JSON for scripts (keys and results as objects)')
    .option('-q, --quiet', 'print only the new key (create, rotate) and nothing on success otherwise')
    .addHelpText(
      'after',
      `
Budgets are USD from 0 to ${MAX_BUDGET_USD} as plain numbers (5, 0.25); rpm a whole number from 1 to ${MAX_RPM};
"none" removes a limit. Database: DATABASE_URL (or .env); without it, the database of an \`npm run demo\`
running in this folder; else file:./data/gateway.db.
Exit codes: 0 done, 1 not done (no such key, name taken, database error), 2 wrong command line.

Examples:
  npm run keys -- create --name my-app --budget-usd 5 --rpm 60
  KEY=$(npm run --silent keys -- create --name ci --quiet)
  npm run keys -- set --name my-app --budget-usd 20 --rpm none
  npm run keys -- rotate --name my-app
  npm run keys -- list --json`,
    );
  const output = (cmd: Command): Output => {
    const o = cmd.optsWithGlobals<{ json?: boolean; quiet?: boolean }>();
    return { json: o.json === true, quiet: o.quiet === true };
  };
  const budgetOption = () => new Option('--budget-usd <usd>', 'spending cap in USD ("none": no cap)');
  const rpmOption = () => new Option('--rpm <n>', 'requests per minute ("none": no limit)');

  program
    .command('create')
    .description('make a key; it is printed once and only its SHA-256 is stored')
    .argument('[name]')
    .option('--name <name>', 'a name for the key: 1–64 letters, digits or . _ - @ : (unique among active keys)')
    .addOption(budgetOption())
    .addOption(rpmOption())
    .option('--admin', 'an admin key: sees every key\'s usage and may manage keys over GraphQL')
    .action(async (positional: string | undefined, opts: { name?: string; budgetUsd?: string; rpm?: string; admin?: boolean }, cmd: Command) => {
      const name = nameOf(opts, positional, 'create');
      const limits = limitsFrom(opts);
      await withKeys(async (keys) => {
        const { key, record } = await keys.create({ name, budgetUsd: limits.budgetUsd ?? null, rpm: limits.rpm ?? null, isAdmin: opts.admin ?? false });
        printNewKey(output(cmd), 'Created', key, record);
      });
    });

  program
    .command('list')
    .description('every key (never the key itself): name, prefix, created, last used, budget, spent, rpm, state')
    .option('--active', 'only keys that are not revoked')
    .action(async (opts: { active?: boolean }, cmd: Command) => {
      await withKeys(async (keys) => {
        const all = await keys.list();
        const rows = opts.active ? all.filter((k) => k.revokedAt === null) : all;
        const out = output(cmd);
        if (out.json) return write(JSON.stringify(rows.map(keyJson), null, 2));
        write(rows.length === 0 ? 'No keys yet. Make one: npm run keys -- create --name NAME' : keyTable(rows));
      });
    });

  program
    .command('revoke')
    .description('refuse a key from its next request on (FORBIDDEN); its name may then be reused')
    .argument('[name]')
    .option('--name <name>', 'the key to revoke')
    .action(async (positional: string | undefined, opts: { name?: string }, cmd: Command) => {
      const name = nameOf(opts, positional, 'revoke');
      await withKeys(async (keys) => {
        const record = await keys.revoke(name);
        printKey(output(cmd), `Revoked "${record.name}" (${record.prefix}…).`, record);
      });
    });

  program
    .command('rotate')
    .description('a new key in place of an active one: same name, admin flag, limits and spend; the old key is revoked')
    .argument('[name]')
    .option('--name <name>', 'the key to rotate')
    .action(async (positional: string | undefined, opts: { name?: string }, cmd: Command) => {
      const name = nameOf(opts, positional, 'rotate');
      await withKeys(async (keys) => {
        const { key, record } = await keys.rotate(name);
        printNewKey(output(cmd), 'Rotated', key, record);
      });
    });

  program
    .command('set')
    .description("change an active key's limits; they apply from its next request")
    .argument('[name]')
    .option('--name <name>', 'the key to change')
    .addOption(budgetOption())
    .addOption(rpmOption())
    .action(async (positional: string | undefined, opts: { name?: string; budgetUsd?: string; rpm?: string }, cmd: Command) => {
      const name = nameOf(opts, positional, 'set');
      const limits = limitsFrom(opts);
      if (limits.budgetUsd === undefined && limits.rpm === undefined) throw new UsageError('set needs --budget-usd and/or --rpm');
      await withKeys(async (keys) => {
        const record = await keys.update(name, limits);
        const budget = record.budgetUsd === null ? 'no budget' : `budget $${record.budgetUsd}`;
        const rpm = record.rpm === null ? 'no rpm limit' : `${record.rpm} rpm`;
        printKey(output(cmd), `"${record.name}": ${budget}, ${rpm}.`, record);
      });
    });

  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const json = argv.includes('--json');
  const fail = (code: number, kind: string, message: string): number => {
    process.stderr.write(json ? `${JSON.stringify({ error: { code: kind, message } })}\n` : `error: ${message}\n`);
    return code;
  };
  if (argv.length === 0) {
    process.stderr.write(program.helpInformation());
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0; // --help
      return fail(2, 'USAGE', `${err.message.replace(/^error: /, '')} (npm run keys -- --help)`);
    }
    if (err instanceof UsageError) return fail(2, 'BAD_USER_INPUT', err.message);
    if (err instanceof GatewayError) return fail(1, err.code, err.message);
    return fail(1, 'ERROR', scrubSecrets(String((err as Error)?.message ?? err)));
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
