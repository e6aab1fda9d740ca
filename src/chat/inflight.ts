import { GatewayError } from '../core/errors.ts';

/**
 * Streams in progress, so that shutdown can let them finish and, past the drain deadline, end them with a
 * clear error (their clients see UPSTREAM_UNAVAILABLE "shutting down", and their activity rows say so).
 */
export class InflightStreams {
  private readonly live = new Set<AbortController>();
  private idle: (() => void) | null = null;
  private draining = false;

  get size(): number {
    return this.live.size;
  }

  /** Registers a stream; returns the function to call when it ends. Refuses new streams while draining. */
  track(controller: AbortController): () => void {
    if (this.draining) throw shuttingDown();
    this.live.add(controller);
    return () => {
      this.live.delete(controller);
      if (this.live.size === 0) this.idle?.();
    };
  }

  /** Waits up to `deadlineMs` for live streams to end, then aborts the rest. */
  async drain(deadlineMs: number): Promise<void> {
    this.draining = true;
    await this.waitIdle(deadlineMs);
    const error = shuttingDown();
    for (const controller of this.live) controller.abort(error);
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
