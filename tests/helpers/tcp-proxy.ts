/**
 * A TCP proxy the test controls, in front of a real server (PostgreSQL, Redis): `cut()` drops every open
 * connection and refuses new ones (accepted, then destroyed at once, as a dead network path looks to a driver),
 * `restore()` forwards again. `hang()` stops forwarding in both directions without closing anything (what a
 * stopped server or a partition without resets looks like: the socket stays open, nothing answers); `resume()`
 * delivers what was held and forwards again. Every chunk a client sends is recorded in `sent` (forwarded or
 * held), so a test can count the round trips its code attempted. Its port never changes, so the gateway keeps its
 * settings across a cut.
 */
import { type Server, type Socket, connect, createServer } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Every chunk clients sent (forwarded or held), in order. */
  readonly sent: Buffer[];
  /** The target's URL with host:port replaced by the proxy's (e.g. a DATABASE_URL). */
  url(targetUrl: string): string;
  cut(): void;
  restore(): void;
  hang(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  const sent: Buffer[] = [];
  /** Writes held while hung, in arrival order. */
  let held: Array<() => void> = [];
  let cut = false;
  let hung = false;
  const server: Server = createServer((client) => {
    if (cut) return void client.destroy();
    const upstream = connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    const relay = (to: Socket) => (chunk: Buffer) => {
      const write = () => void (to.destroyed || to.write(chunk));
      if (hung) held.push(write);
      else write();
    };
    client.on('data', (chunk: Buffer) => {
      sent.push(chunk);
      relay(upstream)(chunk);
    });
    upstream.on('data', relay(client));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    sent,
    url(targetUrl) {
      const u = new URL(targetUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut() {
      cut = true;
      held = [];
      for (const s of open) s.destroy();
      open.clear();
    },
    restore() {
      cut = false;
    },
    hang() {
      hung = true;
    },
    resume() {
      hung = false;
      for (const write of held.splice(0)) write();
    },
    async close() {
      cut = true;
      held = [];
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
