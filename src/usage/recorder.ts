import type { Logger } from 'pino';
import { RepeatedLog } from '../core/log-repeats.ts';
import { type GatewayStore, isRowRejected } from '../store/types.ts';
import type { ActivityEntry, ActivityRecorder } from './activity.ts';
import type { ActivitySpill } from './spill.ts';

export interface BatchingOptions {
  /** Flush when this many rows wait. */
  maxBatch: number;
  /** Flush at least this often while rows wait. */
  intervalMs: number;
  /** Rows held in memory at most (ACTIVITY_QUEUE_MAX); past it the oldest half spills to disk. */
  queueMax?: number;
  /** Where rows that cannot be written go (ACTIVITY_SPILL_DIR); without it, an overflow drops rows, said in a line. */
  spill?: ActivitySpill;
}

export interface RecorderHooks {
  /** A row the store refused was set aside (metrics: gateway_activity_rows_quarantined_total). */
  onQuarantined?(): void;
  /** Rows written to the spill folder (metrics: gateway_activity_rows_spilled_total). */
  onSpilled?(rows: number): void;
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
 * batch and retried forever, and every later row queued behind it (issue 25.1).
 *
 * While the store cannot be written (issue 16.8) at most `queueMax` rows wait in memory; past it the oldest half
 * is spilled to a file (./spill.ts), and `close()` spills whatever it could not write: rows are never dropped
 * silently at shutdown. Spilled rows are replayed into the store once a write succeeds again, and at start-up
 * (`replay()`). Repeated write failures log once per interval with a count.
 */
export class BatchingRecorder implements ActivityRecorder {
  private queue: ActivityEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | null = null;
  private closed = false;
  private replaying: Promise<void> | null = null;
  /** Rows spilled by this process since its last replay: a successful write then replays them. */
  private spilledSinceReplay = 0;
  private readonly failures = new RepeatedLog();

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
    const max = this.options.queueMax ?? Infinity;
    if (this.queue.length > max) this.spill(this.queue.splice(0, Math.max(1, Math.ceil(max / 2))), 'the queue is full');
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
        if (!failure) {
          if (this.spilledSinceReplay > 0 && this.queue.length === 0 && !this.closed) void this.replay();
          return;
        }
        this.queue = failure.rest.concat(this.queue);
        const cause = `write|${RepeatedLog.causeOf(failure.err)}`;
        this.failures.error(this.logger, cause, { err: failure.err, rows: this.queue.length }, 'activity log write failed; will retry');
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

  /** Writes rows to the spill folder, saying so; without one (or a disk that refuses) says how many were lost. */
  private spill(rows: ActivityEntry[], why: string): void {
    if (rows.length === 0) return;
    if (!this.options.spill) {
      this.logger.error({ rows: rows.length, why }, 'activity rows dropped: the store cannot take them and no spill folder is set');
      return;
    }
    try {
      const file = this.options.spill.write(rows);
      this.spilledSinceReplay += rows.length;
      this.hooks.onSpilled?.(rows.length);
      this.logger.warn({ rows: rows.length, file, why }, 'activity rows spilled to disk; replayed into the store once it answers');
    } catch (err) {
      this.logger.error({ err, rows: rows.length, why }, 'activity rows lost: the store and the spill folder both refused them');
    }
  }

  /**
   * Writes every spilled file into the store (rows it refuses are quarantined), deleting each once written; stops at
   * the first failure of the store (the files wait for the next success or start). Start-up calls it; so does a
   * write that succeeds after this process spilled.
   */
  replay(): Promise<void> {
    const spill = this.options.spill;
    if (!spill) return Promise.resolve();
    this.replaying ??= (async () => {
      this.spilledSinceReplay = 0;
      let replayed = 0;
      for (const file of spill.files()) {
        const { rows, unreadable } = spill.read(file);
        if (unreadable > 0) this.logger.error({ file, lines: unreadable }, 'spilled activity lines could not be read');
        const failure = rows.length > 0 ? await this.write(rows) : null;
        if (failure) {
          this.spilledSinceReplay += rows.length; // retried after the next successful write
          this.logger.warn({ err: failure.err, file }, 'spilled activity rows not replayed yet: the store still refuses writes');
          break;
        }
        spill.remove(file);
        replayed += rows.length;
      }
      if (replayed > 0) this.logger.info({ rows: replayed, dir: spill.dir }, 'spilled activity rows replayed into the store');
    })().finally(() => {
      this.replaying = null;
    });
    return this.replaying;
  }

  /** Flushes until empty (retrying a few times), spills what is left, then stops the timer. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.replaying) await this.replaying;
    for (let attempt = 0; attempt < 5 && (this.queue.length > 0 || this.flushing); attempt++) {
      await this.flush();
      if (this.queue.length > 0) await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
    }
    if (this.timer) clearTimeout(this.timer);
    this.spill(this.queue.splice(0), 'shutting down while the store refuses writes');
  }
}
