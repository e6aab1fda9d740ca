/** Per-request context: write-after-close safety and timers cancelled by client disconnect. */
import type { ServerResponse } from 'node:http';

export class ReqCtx {
  /** True once the response/socket closed (client abort, cut, or normal end). */
  closed = false;
  private timers = new Set<NodeJS.Timeout>();
  private waiters = new Set<() => void>();
  private lastWrite: Promise<void> = Promise.resolve();

  constructor(readonly res: ServerResponse) {
    res.once('close', () => this.onClose());
  }

  private onClose(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  /** Resolves true after `ms`, or false as soon as the connection closes. */
  sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (!(ms > 0)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => resolve(false);
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.waiters.delete(done);
        resolve(true);
      }, ms);
      this.timers.add(t);
      this.waiters.add(done);
    });
  }

  /** Go silent until the client goes away. */
  hang(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  get writable(): boolean {
    return !this.closed && !this.res.destroyed && !this.res.writableEnded;
  }

  /** Write one piece; waits for 'drain' under backpressure. Resolves false if the socket is gone. */
  async write(data: string): Promise<boolean> {
    if (!this.writable) return false;
    let written!: () => void;
    this.lastWrite = new Promise<void>((resolve) => (written = resolve));
    this.waiters.add(written);
    let ok: boolean;
    try {
      ok = this.res.write(data, () => {
        this.waiters.delete(written);
        written();
      });
    } catch {
      return false;
    }
    if (ok) return true;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.waiters.delete(done);
        resolve();
      };
      this.res.once('drain', done);
      this.waiters.add(done);
    });
    return this.writable;
  }

  /** Resolves once everything written so far was handed to the OS (or the socket closed). */
  flushed(): Promise<void> {
    return this.lastWrite;
  }

  /** Send a complete response (no-op when the client is gone). */
  send(status: number, headers: Record<string, string>, body: string | Buffer): void {
    if (!this.writable || this.res.headersSent) return;
    try {
      this.res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
      this.res.end(body);
    } catch {
      this.res.destroy();
    }
  }

  destroy(): void {
    try {
      this.res.destroy();
    } catch {
      /* ignore */
    }
  }
}
