import type { Logger } from 'pino';
import { type GatewayStore, isRowRejected } from '../store/types.ts';
import type { ActivityEntry, ActivityRecorder } from './activity.ts';

export interface BatchingOptions {
  /** Flush when this many rows wait. */
  maxBatch: number;
  /** Flush at least this often while rows wait. */
  intervalMs: number;
}

export interface RecorderHooks {
  /** A row the store refused was set aside (metrics: gateway_activity_rows_quarantined_total). */
  onQuarantined?(): void;
}

/** What a write left undone: the rows still to write (in order) and why. */
interface WriteFailure {
  rest: ActivityEntry[];
  err: unknown;
}

/**
 * Writes activity rows off the request path, in batches. A batch that fails because the store is unreachable
 * stays queued and is retried (the store ignores ids it already has, so a retry after a partial failure never
 * duplicates a row). A batch the store refuses for its data (StoreError ROW_REJECTED) is written row by row
 * instead: the rows it takes are written, the one it refuses is quarantined (the store's activity_quarantine
 * table; an error line and a metric each) and the log goes on. Before this, one poison row was put back with its
 * batch and retried forever, and every later row queued behind it (issue 25.1). `close()` flushes everything.
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
    private readonly hooks: RecorderHooks = {},
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
    this.flushing = this.write(batch)
      .then((failure) => {
        if (!failure) return;
        this.queue = failure.rest.concat(this.queue);
        this.logger.error({ err: failure.err, rows: failure.rest.length }, 'activity log write failed; will retry');
        if (!this.closed) this.timer ??= setTimeout(() => void this.flush(), 1000);
      })
      .finally(() => {
        this.flushing = null;
      });
    await this.flushing;
  }

  /** Writes a batch; a refused one row by row, quarantining what the store refuses. Resolves with what is left. */
  private async write(batch: ActivityEntry[]): Promise<WriteFailure | null> {
    try {
      await this.store.insertActivity(batch);
      return null;
    } catch (err) {
      if (!isRowRejected(err)) return { rest: batch, err };
    }
    for (let i = 0; i < batch.length; i++) {
      const row = batch[i]!;
      try {
        await this.store.insertActivity([row]);
      } catch (err) {
        if (!isRowRejected(err)) return { rest: batch.slice(i), err };
        await this.quarantine(row, err);
      }
    }
    return null;
  }

  /** One line and one count per refused row; the row itself goes to the quarantine table (or, failing that, the line). */
  private async quarantine(row: ActivityEntry, err: unknown): Promise<void> {
    const reason = String((err as Error).message ?? err).slice(0, 1000);
    const line = { rowId: row.id, requestId: row.requestId, keyId: row.keyId, model: JSON.stringify(row.model.slice(0, 100)), reason };
    try {
      await this.store.quarantineActivity(row, reason, Date.now());
      this.logger.error(line, 'activity row refused by the store: quarantined (activity_quarantine)');
    } catch (quarantineErr) {
      this.logger.error({ ...line, err: quarantineErr, entry: JSON.stringify(row).slice(0, 4000) }, 'activity row refused by the store and not quarantined: dropped');
    }
    this.hooks.onQuarantined?.();
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
