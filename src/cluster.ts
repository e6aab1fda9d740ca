/**
 * `WEB_CONCURRENCY=N` (N > 1): N worker processes, each a whole gateway, sharing the port through node:cluster (the
 * primary accepts and hands connections round-robin). What they share is what replicas share (docs/deployment.md):
 * the store (SQLite in WAL mode, or PostgreSQL) and, with CACHE_URL, Redis; everything else is per worker.
 *
 * The primary serves nothing and opens no store: it starts the workers, says `gateway listening` once all of them
 * listen, replaces a worker that dies (after a back-off that grows while they keep dying), and on SIGTERM/SIGINT
 * passes the signal on and exits once every worker has drained (0 when all exited cleanly).
 *
 * Start-up failures stay one line: the first worker starts alone (it also migrates the store, so the others do not
 * race it); if it, or any worker before all listen, exits, it has printed its line (entry.ts) and the primary exits
 * with its code without a word of its own.
 */
import cluster, { type Address, type Worker } from 'node:cluster';
import type { Logger } from 'pino';

export interface ClusterOptions {
  workers: number;
  logger: Logger;
  /** How long the workers get to drain after the signal (DRAIN_TIMEOUT_MS); past it plus a margin, SIGKILL. */
  drainTimeoutMs: number;
}

/** Replacement delays: 0.25 s doubling to 30 s while workers keep dying; a minute without a death resets it. */
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 30_000;
const BACKOFF_RESET_MS = 60_000;

export const isClusterWorker = (): boolean => cluster.isWorker;

/** The URL a listening address is reached at (as Gateway.listen() says it). */
function urlOf(address: Address): string {
  const host = address.addressType === 6 ? `[${address.address}]` : (address.address ?? '127.0.0.1');
  return `http://${host}:${address.port}`;
}

/** Runs the primary until every worker has exited after a signal; never resolves otherwise. */
export function runPrimary({ workers, logger, drainTimeoutMs }: ClusterOptions): Promise<never> {
  const log = logger.child({ role: 'primary', pid: process.pid });
  let started = false;
  let stopping = false;
  let failedExit = false;
  let deaths = 0;
  let lastDeath = 0;
  const listening = new Set<number>();
  const alive = new Map<number, Worker>();

  return new Promise<never>(() => {
    const fork = (): void => {
      const worker = cluster.fork();
      alive.set(worker.id, worker);
    };
    const killAll = (): void => {
      for (const w of alive.values()) w.process.kill('SIGKILL');
    };

    cluster.on('listening', (worker, address) => {
      listening.add(worker.id);
      if (started) return void log.info({ worker: worker.process.pid }, 'replacement worker listening');
      if (listening.size === 1) for (let i = 1; i < workers; i++) fork(); // the first one has migrated the store
      if (listening.size === workers) {
        started = true;
        log.info({ url: `${urlOf(address)}/graphql`, workers }, 'gateway listening');
      }
    });

    cluster.on('exit', (worker, code, signal) => {
      listening.delete(worker.id);
      alive.delete(worker.id);
      if (stopping) {
        if (code !== 0) failedExit = true;
        if (alive.size === 0) process.exit(failedExit ? 1 : 0);
        return;
      }
      if (!started) {
        // Still starting: the worker has printed its one line (entry.ts). Stop the others, exit with its code.
        stopping = true;
        killAll();
        process.exit(code || 1);
      }
      const now = Date.now();
      if (now - lastDeath > BACKOFF_RESET_MS) deaths = 0;
      lastDeath = now;
      const delayMs = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** deaths++);
      log.error({ worker: worker.process.pid, code, signal, restartInMs: delayMs }, 'worker died: replacing it');
      setTimeout(() => {
        if (!stopping) fork();
      }, delayMs);
    });

    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        if (stopping) return;
        stopping = true;
        log.info({ signal, workers: alive.size }, 'shutting down: draining the workers');
        if (alive.size === 0) process.exit(0);
        // A terminal's Ctrl-C reaches the workers too; each drains once however many signals it gets.
        for (const w of alive.values()) w.process.kill(signal);
        setTimeout(() => {
          log.error({ afterMs: drainTimeoutMs + 5000 }, 'workers did not exit after draining: killing them');
          killAll();
          process.exit(1);
        }, drainTimeoutMs + 5000).unref();
      });
    }

    fork();
  });
}
