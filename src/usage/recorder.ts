import type { Logger } from 'pino';
import type { GatewayStore } from '../store/types.ts';
import type { ActivityEntry, ActivityRecorder } from './activity.ts';

export interface BatchingOptions {
  /** Flush when this many rows wait. */
  maxBatch: number;
  /** Flush at least this often while rows wait. */
  intervalMs: number;
}

/**
 * Writes activity rows off the request path, in batches. A failed batch stays queued and is retried (the
 * store ignores ids it already has, so a retry after a partial failure never duplicates a row). `close()`
 * flushes everything: no row is lost on SIGTERM.
 */
export class BatchingRecorder implements ActivityRecorder {
  private queue: ActivityEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly store: GatewayStore,
    private readonly logger: Logger,
    private readonly options: BatchingOptions = { maxBatch: 500, intervalMs: 200 },
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  record(entry: ActivityEntry): void {
    this.queue.push(entry);
    if (this.queue.length >= this.options.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.intervalMs);
  }

  /** Writes everything queued so far; resolves when it is in the store (or throws after logging). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.store
      .insertActivity(batch)
      .catch((err: unknown) => {
        this.queue = batch.concat(this.queue);
        this.logger.error({ err, rows: batch.length }, 'activity log write failed; will retry');
        if (!this.closed) this.timer ??= setTimeout(() => void this.flush(), 1000);
        throw err;
      })
      .finally(() => {
        this.flushing = null;
      });
    await this.flushing.catch(() => undefined);
  }

  /** Flushes until empty (retrying a few times), then stops the timer. */
  async close(): Promise<void> {
    this.closed = true;
    for (let attempt = 0; attempt < 5 && (this.queue.length > 0 || this.flushing); attempt++) {
      await this.flush();
      if (this.queue.length > 0) await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
    }
    if (this.timer) clearTimeout(this.timer);
    if (this.queue.length > 0) this.logger.error({ rows: this.queue.length }, 'activity rows could not be written before shutdown');
  }
}
