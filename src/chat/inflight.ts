import type { AuthenticatedKey } from '../auth/keys.ts';
import { GatewayError } from '../core/errors.ts';

/**
 * Streams in progress, so that shutdown can let them finish and, past the drain deadline, end them with a
 * clear error (their clients see UPSTREAM_UNAVAILABLE "shutting down", and their activity rows say so).
 */
export class InflightStreams {
  /** Each live stream's controller, with the gateway key it runs under (null: none), for revocation. */
  private readonly live = new Map<AbortController, AuthenticatedKey | null>();
  private idle: (() => void) | null = null;
  private draining = false;

  get size(): number {
    return this.live.size;
  }

  /** Registers a stream; returns the function to call when it ends. Refuses new streams while draining. */
  track(controller: AbortController, key: AuthenticatedKey | null = null): () => void {
    if (this.draining) throw shuttingDown();
    this.live.set(controller, key);
    return () => {
      this.live.delete(controller);
      if (this.live.size === 0) this.idle?.();
    };
  }

  /** The distinct keys live streams run under. */
  keys(): AuthenticatedKey[] {
    const byId = new Map<string, AuthenticatedKey>();
    for (const key of this.live.values()) if (key) byId.set(key.id, key);
    return [...byId.values()];
  }

  /** Ends every live stream of that key with `reason` (its client sees that error; its row records it). */
  abortKey(keyId: string, reason: GatewayError): number {
    let ended = 0;
    for (const [controller, key] of this.live) {
      if (key?.id !== keyId) continue;
      controller.abort(reason);
      ended++;
    }
    return ended;
  }

  /** Waits up to `deadlineMs` for live streams to end, then aborts the rest. */
  async drain(deadlineMs: number): Promise<void> {
    this.draining = true;
    await this.waitIdle(deadlineMs);
    const error = shuttingDown();
    for (const controller of this.live.keys()) controller.abort(error);
    // Give the aborted streams a moment to send their error to the client before sockets close.
    await this.waitIdle(1000);
  }

  private async waitIdle(ms: number): Promise<void> {
    if (this.live.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.idle = null;
  }
}

export const shuttingDown = (): GatewayError =>
  new GatewayError('UPSTREAM_UNAVAILABLE', 'The gateway is shutting down; retry on another instance', { retryAfterSeconds: 1 });
