/**
 * Issue 16.8: a dead store does not look healthy, does not flood the log, and loses no activity row. PostgreSQL
 * is made unreachable through a TCP proxy the test cuts (tests/helpers/tcp-proxy.ts); skipped without PostgreSQL.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../../src/core/config.ts';
import { createLogger } from '../../src/core/logger.ts';
import { createGateway } from '../../src/server.ts';
import type { ActivityEntry } from '../../src/usage/activity.ts';
import { type Harness, PG_URL, postgresHarness, postgresReachable, rand6 } from '../store/harness.ts';
import { LLAMA, type Stack, TEST_UPSTREAM_KEY, startStack } from '../helpers/stack.ts';
import { type TcpProxy, startTcpProxy } from '../helpers/tcp-proxy.ts';

const pgUp = await postgresReachable();
if (!pgUp) console.warn(`PostgreSQL not reachable at ${PG_URL}: skipping the dead-store tests`);

async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

const spilledRows = (dir: string): ActivityEntry[] =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.jsonl'))
    .flatMap((n) => readFileSync(join(dir, n), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ActivityEntry));

(pgUp ? describe : describe.skip)('PostgreSQL unreachable (issue 16.8)', () => {
  let h: Harness;
  let proxy: TcpProxy;
  let stack: Stack;
  let databaseUrl: string;
  const spillDir = mkdtempSync(join(tmpdir(), 'spill-test-'));
  const logLines: string[] = [];
  beforeAll(async () => {
    h = postgresHarness();
    proxy = await startTcpProxy({ host: new URL(PG_URL).hostname, port: Number(new URL(PG_URL).port || 5432) });
    databaseUrl = proxy.url(h.newUrl(`dead_${rand6()}`));
    stack = await startStack({
      // KEY_CACHE_MS=0: every request reads its key from the store, so every request meets the dead store (with the
      // default, a key verified in the last second still passes for that second: docs/reliability.md, Key lookups).
      env: { DATABASE_URL: databaseUrl, ACTIVITY_QUEUE_MAX: '4', ACTIVITY_SPILL_DIR: spillDir, UPSTREAM_MAX_RETRIES: '0', KEY_CACHE_MS: '0' },
      logLines,
    });
  });
  afterAll(async () => {
    proxy?.restore();
    await proxy?.close();
    await h?.cleanup();
    rmSync(spillDir, { recursive: true, force: true });
  });

  it('/readyz fails, failures log once per interval, the queue stays bounded, and every row is spilled then replayed at the next start', async () => {
    const ready = async () => {
      const res = await fetch(`${stack.url}/readyz`);
      return { status: res.status, body: (await res.json()) as { status: string; store?: string } };
    };
    expect(await ready()).toMatchObject({ status: 200, body: { status: 'ready', store: 'ok' } });

    // 10 streams in flight when the database goes away: their rows are written after it has gone.
    stack.sim.addFault({ route: 'chat', chunkDelayMs: 50, times: 10 });
    const streams = Array.from({ length: 10 }, () =>
      fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...stack.auth() },
        body: JSON.stringify({ model: LLAMA, stream: true, messages: [{ role: 'user', content: 'one two three four five six' }] }),
      }).then((r) => r.text()),
    );
    await until(() => stack.sim.stats.openStreams === 10, '10 open streams');
    proxy.cut();

    const down = await ready();
    expect(down).toMatchObject({ status: 503, body: { status: 'unready', store: 'unreachable' } });
    // Every request fails while the keys cannot be read, but the log says so once, not once per request.
    const failures = await Promise.all(
      Array.from({ length: 30 }, () =>
        fetch(`${stack.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...stack.auth() },
          body: JSON.stringify({ model: LLAMA, messages: [{ role: 'user', content: 'hi' }] }),
        }).then((r) => r.status),
      ),
    );
    expect(failures.every((s) => s >= 500)).toBe(true);
    const unexpected = logLines.filter((l) => l.includes('unexpected error'));
    expect(unexpected.length).toBeLessThanOrEqual(1);

    for (const text of await Promise.all(streams)) expect(text).toContain('[DONE]');
    // The queue is bounded: past ACTIVITY_QUEUE_MAX the rows went to disk while the store stayed down.
    await until(async () => {
      const metrics = await (await fetch(`${stack.url}/metrics`)).text();
      const queued = Number(/^gateway_activity_queue_rows (\d+)/m.exec(metrics)?.[1]);
      const spilled = Number(/^gateway_activity_rows_spilled_total (\d+)/m.exec(metrics)?.[1] ?? 0);
      return queued <= 4 && spilled > 0 && queued + spilled >= 10;
    }, 'the queue to spill');

    // Shutdown with the store still down: nothing is dropped, the rest is spilled and the log says where.
    await stack.close();
    const spilled = spilledRows(spillDir).filter((r) => r.keyId === stack.keyId);
    expect(spilled).toHaveLength(10);
    expect(new Set(spilled.map((r) => r.id)).size).toBe(10);
    expect(logLines.some((l) => l.includes('activity rows spilled to disk'))).toBe(true);
    expect(logLines.some((l) => l.includes('activity rows dropped') || l.includes('activity rows lost'))).toBe(false);
    const writeFailures = logLines.filter((l) => l.includes('activity log write failed'));
    expect(writeFailures.length).toBeLessThanOrEqual(1);

    // The database is back; the next start replays the spilled rows into it before serving.
    proxy.restore();
    const lines: string[] = [];
    const config = configFromEnv({
      TOGETHER_API_KEY: TEST_UPSTREAM_KEY, TOGETHER_BASE_URL: stack.sim.url, DATABASE_URL: databaseUrl, ACTIVITY_SPILL_DIR: spillDir, LOG_LEVEL: 'info',
    });
    const next = await createGateway({ config, logger: createLogger('info', { write: (l: string) => void lines.push(l) } as unknown as NodeJS.WritableStream) });
    try {
      const rows = await next.services.store.listActivity({ keyId: stack.keyId, limit: 100 });
      expect(rows.map((r) => r.id).sort()).toEqual(spilled.map((r) => r.id).sort());
      expect(rows.every((r) => r.finishReason === 'STOP')).toBe(true);
      expect(spilledRows(spillDir)).toEqual([]);
      expect(lines.some((l) => l.includes('spilled activity rows replayed'))).toBe(true);
      const url = await next.listen(0, '127.0.0.1');
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    } finally {
      await next.close();
    }
  });
});
