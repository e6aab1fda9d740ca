import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActivityEntry } from './activity.ts';

/**
 * Activity rows the store could not take, kept on disk until it can (issue 16.8): a replica whose queue is full
 * (ACTIVITY_QUEUE_MAX) or that stops while the store is down writes them here instead of dropping them, and the
 * rows are replayed into the store once it answers again, by this process or by the next start of any replica.
 *
 * Each spill is a file of its own, JSON lines, written under a temporary name and renamed into place: a `.jsonl`
 * file is complete and never changes, so any process may replay it and delete it. Two replaying it at once is
 * harmless: the store ignores a row id it already has. Synchronous on purpose: it runs at shutdown, and on the
 * rare overflow of a queue that is by then the whole backlog of a dead store.
 */
export class ActivitySpill {
  constructor(readonly dir: string) {}

  /** Writes rows to a new file; returns its path. Throws when the disk cannot take them (the caller says so). */
  write(rows: readonly ActivityEntry[]): string {
    mkdirSync(this.dir, { recursive: true });
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}-${randomUUID().slice(0, 8)}`;
    const tmp = join(this.dir, `${name}.tmp`);
    const file = join(this.dir, `${name}.jsonl`);
    writeFileSync(tmp, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    renameSync(tmp, file);
    return file;
  }

  /** The complete spill files, oldest first; none when the folder does not exist. */
  files(): string[] {
    try {
      return readdirSync(this.dir).filter((n) => n.endsWith('.jsonl')).sort().map((n) => join(this.dir, n));
    } catch {
      return [];
    }
  }

  /** A file's rows (a line that does not parse, e.g. from a disk error, is counted, not fatal). */
  read(file: string): { rows: ActivityEntry[]; unreadable: number } {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return { rows: [], unreadable: 0 }; // another replica replayed it first
    }
    const rows: ActivityEntry[] = [];
    let unreadable = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        rows.push(JSON.parse(line) as ActivityEntry);
      } catch {
        unreadable++;
      }
    }
    return { rows, unreadable };
  }

  remove(file: string): void {
    try {
      unlinkSync(file);
    } catch {
      // already removed by another replica replaying it
    }
  }
}
