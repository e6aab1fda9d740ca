import { destination as pinoDestination, pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths that may carry a key. pino's redaction runs inside the serializer, so nothing below reaches
 * the output stream whatever a caller logs by mistake. Whole header and connection-param objects are
 * dropped, not just `authorization`: proxies add their own credential headers.
 */
const REDACT_PATHS = [
  'authorization',
  'apiKey',
  'key',
  'headers',
  'connectionParams',
  '*.authorization',
  '*.apiKey',
  '*.key',
  '*.headers',
  '*.connectionParams',
  'req.headers',
  'request.headers',
  'err.raw',
];

/**
 * The last line of defence, run on every serialised line: anything shaped like a credential is masked, and
 * so is every configured secret (registerLogSecrets), wherever it hides (an SDK error message, a URL, a
 * stack trace). Gateway keys are `gw_` + 43 base64url characters; Together's are `tgp_v1_…`.
 */
const PATTERNS: Array<[RegExp, string]> = [
  [/(Bearer|Basic)\s+[^\s"\\,]+/gi, '$1 [redacted]'],
  [/gw_[A-Za-z0-9_-]{16,}/g, 'gw_[redacted]'],
  [/tgp_v1_[A-Za-z0-9_-]+/g, 'tgp_v1_[redacted]'],
];
const secrets = new Set<string>();

/** Values never to be written to a log, whatever their shape (the Together key, the bootstrap admin key). */
export function registerLogSecrets(...values: Array<string | undefined | null>): void {
  for (const value of values) {
    // Very short values would mask ordinary words; keys are long.
    if (!value || value.length < 8) continue;
    secrets.add(value);
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) secrets.add(escaped);
  }
}

export function scrubSecrets(line: string): string {
  let out = line;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  stack?: unknown;
  code?: unknown;
  status?: unknown;
  cause?: unknown;
  originalError?: unknown;
  constructor?: { name?: string };
}

/**
 * Errors are logged by an allow-list of fields, never by copying every enumerable property: SDK errors carry
 * response headers, request options and bodies (pino's default serializer would write them all).
 */
export function serializeError(err: unknown, depth = 0): unknown {
  if (!err || typeof err !== 'object') return err;
  const e = err as ErrorLike;
  const out: Record<string, unknown> = {
    type: typeof e.constructor?.name === 'string' && e.constructor.name !== 'Object' ? e.constructor.name : e.name,
    message: typeof e.message === 'string' ? e.message : undefined,
    stack: typeof e.stack === 'string' ? e.stack : undefined,
  };
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  if (typeof e.status === 'number') out.status = e.status;
  const cause = e.originalError ?? e.cause;
  if (cause && depth < 3) out.cause = serializeError(cause, depth + 1);
  return out;
}

export function createLogger(level: string, destination?: NodeJS.WritableStream, pretty = false): Logger {
  const options = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: undefined,
    serializers: { err: serializeError, error: serializeError },
    hooks: { streamWrite: scrubSecrets },
  };
  if (pretty && !destination) {
    // Development: human-readable lines (pino-pretty in a worker thread). Production stays JSON.
    return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  if (destination) return pino(options, destination as never);
  const stdout = bufferedStdout();
  return pino(
    {
      ...options,
      hooks: {
        streamWrite: (line: string) => (stdout.linePending(), scrubSecrets(line)),
        // Warnings and errors are written at once: an operator watching an incident should not wait for them.
        logMethod(args, method, level) {
          method.apply(this, args);
          if (level >= 40) stdout.flush();
        },
      },
    },
    stdout.stream,
  );
}

/**
 * Production logs go to stdout through a 4 KiB buffer, written when it fills, at least every 250 ms, at once
 * for a warning or an error, and synchronously at exit (pino registers that for its own async destinations). A synchronous write per line,
 * pino's default, was one blocking syscall per chat call: 3-6 % of the gateway's CPU on the hot path
 * (bench/gateway, --cpu-prof). A SIGKILL can lose the last 250 ms of lines; rows in the activity log do not
 * depend on it.
 */
function bufferedStdout(): { stream: ReturnType<typeof pinoDestination>; linePending(): void; flush(): void } {
  const stream = pinoDestination({ dest: 1, sync: false, minLength: 4096 });
  // Per destination: each logger's timer writes only what its own buffer holds.
  let pending = false;
  let closed = false;
  stream.once('close', () => (closed = true));
  const flush = (): void => {
    if (!pending || closed) return;
    pending = false;
    stream.flush();
  };
  setInterval(flush, 250).unref();
  return { stream, linePending: () => void (pending = true), flush };
}
