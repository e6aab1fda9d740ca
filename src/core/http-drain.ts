import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

/**
 * Counts HTTP requests in progress so shutdown can wait for them. (Apollo's drain plugin is not used: it
 * treats upgraded websocket sockets as idle HTTP connections and ends them at once, cutting live streams.)
 */
export class HttpRequestTracker {
  private active = 0;
  private waiters: Array<() => void> = [];

  /** Counts one request until its response closes. */
  track(res: ServerResponse): void {
    this.active++;
    res.once('close', () => {
      this.active--;
      if (this.active === 0) for (const wake of this.waiters.splice(0)) wake();
    });
  }

  readonly middleware = (_req: Request, res: Response, next: NextFunction): void => {
    this.track(res);
    next();
  };

  get size(): number {
    return this.active;
  }

  /** Resolves when no request is in progress, or after `ms`. */
  waitIdle(ms: number): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
