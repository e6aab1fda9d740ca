import { destination as pinoDestination, pino, type Logger } from 'pino';
import { scrubSecrets } from './secrets.ts';

export type { Logger };

/**
 * Fields that may carry a key, censored at the top of a log object and one level down (`headers`,
 * `req.headers`, `x.authorization`…), so nothing below reaches the output stream whatever a caller logs by
 * mistake. Whole header and connection-param objects go, not just `authorization`: proxies add their own
 * credential headers.
 */
const SENSITIVE_FIELDS = new Set(['authorization', 'apiKey', 'key', 'headers', 'connectionParams']);
/** Fields whose serializer (`serializeError`) already keeps only allow-listed properties: not walked. */
const ALLOW_LISTED_FIELDS = new Set(['err', 'error']);
const CENSOR = '[redacted]';

/** A copy of `value` with its sensitive fields censored, or `value` itself when it has none (no allocation). */
function censorFields(value: Record<string, unknown>, nested: boolean): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const name in value) {
    if (!Object.prototype.hasOwnProperty.call(value, name)) continue;
    const field = value[name];
    let replacement = field;
    if (SENSITIVE_FIELDS.has(name)) replacement = CENSOR;
    else if (nested && field !== null && typeof field === 'object' && !Array.isArray(field) && !ALLOW_LISTED_FIELDS.has(name)) {
      // An Error elsewhere is walked too: pino writes its enumerable fields, which is all a copy keeps.
      replacement = censorFields(field as Record<string, unknown>, false);
    }
    if (replacement !== field) {
      copy ??= { ...value };
      copy[name] = replacement;
    }
  }
  return copy ?? value;
}

/**
 * pino's `redact` option (the same fields as paths: `headers`, `*.headers` and so on) was replaced by this
 * formatter: in pino 9 its redactor parses every path string again on every line, ~25 KiB of garbage per chat
 * call, a fifth of all the gateway allocated per call (bench/alloc) and so a fifth of its young-generation GC
 * pauses. This censors the same fields without allocating when nothing matches. `err` and `error` are not
 * walked: `serializeError` below keeps only allow-listed fields of them.
 */
export function redactLogObject(object: Record<string, unknown>): Record<string, unknown> {
  return censorFields(object, true);
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
  return censorChildBindings(createPino(level, destination, pretty));
}

/**
 * pino runs the `bindings` formatter on the root logger's base only, never on a child's bindings: censor those
 * as they are given. Children inherit `child` from their parent, so grandchildren are covered too.
 */
function censorChildBindings(logger: Logger): Logger {
  const child = logger.child;
  logger.child = function (this: Logger, bindings, options) {
    return child.call(this, redactLogObject(bindings), options);
  } as Logger['child'];
  return logger;
}

function createPino(level: string, destination: NodeJS.WritableStream | undefined, pretty: boolean): Logger {
  const options = {
    level,
    formatters: { log: redactLogObject },
    base: undefined,
    serializers: { err: serializeError, error: serializeError },
    // The last line of defence: every serialised line goes through the one scrubber (core/secrets.ts).
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
    // sonic-boom's flush() does nothing while a write is in flight, and writes no more than minLength after it:
    // keep the lines pending for the next tick, or they wait for 4 KiB more (a `gateway listening` line after a
    // warning, on a loaded machine, stayed unwritten and a supervisor waiting for it gave up).
    if ((stream as unknown as { _writing?: boolean })._writing) return;
    pending = false;
    stream.flush();
  };
  setInterval(flush, 250).unref();
  return { stream, linePending: () => void (pending = true), flush };
}
