import type { Logger } from 'pino';
import type { AuthenticatedKey } from '../auth/keys.ts';
import { GatewayError } from '../core/errors.ts';
import type { InflightStreams } from './inflight.ts';

/** Whether a key is still the active key of its name (not revoked, not rotated away). */
export type KeyCheck = (key: AuthenticatedKey) => Promise<boolean>;

/**
 * Revocation ends a key's running streams, not only its next requests (issue 25: a revoked key's stream ran to
 * its end and was billed). Every `intervalMs`, while streams run, the keys they run under are looked up in the
 * store (one query per distinct key), so a revocation made anywhere (this replica, another one, the keys CLI)
 * reaches them within about one interval. A revoked key's streams end with FORBIDDEN "… was revoked": the client
 * sees that error, Together's request is aborted, and the row keeps the tokens streamed so far with that code.
 * The bootstrap admin key (GATEWAY_ADMIN_KEY) has no row and cannot be revoked.
 */
export class RevocationSweep {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly streams: InflightStreams,
    private readonly isActive: KeyCheck,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running || this.streams.size === 0) return;
      this.running = this.sweep().finally(() => {
        this.running = null;
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass: ends the streams of every key that is no longer active. */
  async sweep(): Promise<void> {
    for (const key of this.streams.keys()) {
      let active: boolean;
      try {
        active = await this.isActive(key);
      } catch {
        continue; // the store did not answer: try again next interval (its own health is reported elsewhere)
      }
      if (active) continue;
      const ended = this.streams.abortKey(key.id, new GatewayError('FORBIDDEN', `Gateway key "${key.name}" was revoked`, { details: { reason: 'KEY_REVOKED' } }));
      if (ended > 0) this.logger.info({ keyId: key.id, streams: ended }, 'revoked key: its running streams were ended');
    }
  }
}
