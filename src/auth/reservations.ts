import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { GatewayStore } from '../store/types.ts';

/**
 * A replica silent for this many heartbeats is dead: its reservations are released. Six beats (a minute at the
 * default REPLICA_HEARTBEAT_MS) tolerate a store that is briefly slow or a GC pause without ever reaping a live replica's calls.
 */
export const STALE_AFTER_HEARTBEATS = 6;

/**
 * Keeps budget reservations crash-safe. Every budget reservation is stored under this replica's owner id
 * (BudgetGuard); the keeper heartbeats that id into the store and, on each beat, releases the reservations of
 * owners whose heartbeat is stale: a replica killed (SIGKILL, OOM, lost node) while calls were in flight. Without
 * it their worst-case cost stayed reserved forever and the key's remaining budget was understated.
 *
 * If a live replica is wrongly taken for dead (a store partition longer than the stale window), its calls still
 * settle correctly: settle releases only a reservation it still finds, and always adds the real spend.
 */
export class ReservationKeeper {
  /** This process's owner id: a new one per start, so a restarted replica never claims a dead one's rows. */
  readonly owner = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;

  constructor(
    private readonly store: GatewayStore,
    private readonly logger: Logger,
    /** How often this replica says it is alive and looks for reservations of replicas that are not. */
    private readonly heartbeatMs: number,
  ) {}

  /** The first heartbeat is written before start() returns, so no reservation of ours exists without one. */
  async start(): Promise<void> {
    await this.store.heartbeat(this.owner, this.heartbeatMs);
    await this.reap();
    this.timer = setInterval(() => {
      if (this.beating) return; // the store is slower than the beat: never pile beats up
      this.beating = this.beat().finally(() => (this.beating = undefined));
    }, this.heartbeatMs);
    this.timer.unref();
  }

  /** Called on a clean stop, after in-flight calls have settled. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    await this.store.retireOwner(this.owner).catch((err: unknown) => this.logger.warn({ err }, 'could not retire this replica from the store'));
  }

  private async beat(): Promise<void> {
    try {
      await this.store.heartbeat(this.owner, this.heartbeatMs);
      await this.reap();
    } catch (err) {
      // The store is down: calls fail on their own; the next beat tries again.
      this.logger.warn({ err }, 'replica heartbeat failed');
    }
  }

  private async reap(): Promise<void> {
    // Each owner is judged by the interval it recorded and by the database's clock, never by ours (issue 25.6):
    // a replica at 500 ms used to reap the live reservations of one at 10 s.
    const released = await this.store.releaseOrphanedReservations({ staleAfterBeats: STALE_AFTER_HEARTBEATS, fallbackIntervalMs: this.heartbeatMs });
    if (released.reservations > 0) {
      this.logger.warn(
        { reservations: released.reservations, amountUsd: released.amountUsd },
        'released budget reservations of a replica that stopped without settling them',
      );
    }
  }
}
