/**
 * Start-up failures as an operator reads them: one line that names the setting to change, exit code 1, no stack
 * trace and never a password (issue 16 item 6). Everything that can fail before the gateway listens throws a
 * `StartupError` naming its setting (config parsing, DATABASE_URL, CACHE_URL, PRICE_OVERRIDES_FILE, PORT/HOST);
 * the entry points (`npm start`, `npm run demo`) turn any error into that line with `startupFailureLine`.
 * An error nobody anticipated still gets one line (its message, scrubbed); its stack is logged at debug level only.
 */
import { scrubSecrets } from './secrets.ts';

export class StartupError extends Error {
  /** The environment variable (or file) the operator has to change. */
  readonly setting: string;
  constructor(setting: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
    this.setting = setting;
  }
}

/** `host:port` of a URL without its credentials, for messages (the password never leaves the URL). */
export function endpointOf(url: string, defaultPort: number): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || defaultPort}`;
  } catch {
    return '(unparsable URL)';
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

/**
 * Why a connection to a database or cache failed, in words an operator acts on. `err` is a driver's error (pg's
 * SQLSTATE codes, Node's errno codes); the message is scrubbed because drivers quote connection strings.
 */
export function connectionProblem(err: unknown): string {
  const e = err as { code?: string; message?: string; errors?: unknown[] };
  // pg reports "all addresses failed" as an AggregateError whose first entry has the errno code.
  const code = e.code ?? (e.errors?.[0] as { code?: string } | undefined)?.code;
  if (code && NETWORK_CODES.has(code)) return `nothing answers there (${code})`;
  switch (code) {
    case '28P01':
      return 'the password was refused (28P01)';
    case '28000':
      return 'the server refused this user (28000)';
    case '3D000':
      return 'that database does not exist (3D000)';
    case '42501':
      return 'the user may not use that database or schema (42501)';
    default:
      return scrubSecrets(e.message || String(err)).split('\n')[0]!;
  }
}

/** The one line printed for a failed start. */
export function startupFailureLine(err: unknown): string {
  if (err instanceof StartupError) return `cannot start: ${scrubSecrets(err.message)} (change ${err.setting})`;
  const message = err instanceof Error ? err.message : String(err);
  return `cannot start: ${scrubSecrets(message).split('\n')[0]} (unexpected; LOG_LEVEL=debug logs the stack)`;
}
