import type { Logger } from 'pino';

/**
 * One log line per cause per interval (issue 16.8): with the database unreachable, every request failed with one
 * error line of its own (7,227 lines in 5 s), drowning the one thing an operator needs to read. The first failure
 * of a cause is logged in full; the same cause again within `intervalMs` is only counted, and the first one after
 * the interval is logged with `repeated`: how many were not logged since the last line.
 */
export class RepeatedLog {
  private readonly seen = new Map<string, { loggedAt: number; suppressed: number }>();

  constructor(
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cause of an error for grouping: its type, code and message with numbers (ports, ids, counts) blanked. */
  static causeOf(err: unknown): string {
    const e = err as { name?: unknown; code?: unknown; message?: unknown } | null;
    return `${String(e?.name ?? typeof err)}|${String(e?.code ?? '')}|${String(e?.message ?? err).replace(/\d+/g, '#').slice(0, 200)}`;
  }

  /** Logs at error level unless the same cause was logged within the interval; then only counts it. */
  error(logger: Logger, cause: string, fields: Record<string, unknown>, message: string): void {
    const at = this.now();
    const entry = this.seen.get(cause);
    if (entry && at - entry.loggedAt < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const repeated = entry?.suppressed ?? 0;
    this.seen.set(cause, { loggedAt: at, suppressed: 0 });
    if (this.seen.size > 1000) this.seen.delete(this.seen.keys().next().value as string); // causes are few; bound anyway
    logger.error(repeated > 0 ? { ...fields, repeated, intervalMs: this.intervalMs } : fields, message);
  }
}

const perLogger = new WeakMap<Logger, RepeatedLog>();

/** The RepeatedLog of one gateway's logger (several gateways share a process in tests). */
export function repeatedLogOf(logger: Logger): RepeatedLog {
  let log = perLogger.get(logger);
  if (!log) {
    log = new RepeatedLog();
    perLogger.set(logger, log);
  }
  return log;
}
