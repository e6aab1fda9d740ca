/**
 * `node --import tsx/esm bench/transport/transport-bench.ts` — what one chat call costs the client side of the
 * gateway, by transport: the openai SDK on the global fetch (before), the SDK on our pooled fetch
 * (src/providers/together/http.ts, now), and a raw undici request without the SDK (the floor). CPU µs per call
 * of this process against the simulator started as a child; sequential calls, so wall time is latency.
 * A last round pauses 20 ms before each call, as a gateway at low load does between requests: the median wall time
 * of a call then shows what cold CPU caches cost each way (the more code a call runs, the more it loses).
 */
import OpenAI from 'openai';
import { Agent } from 'undici';
import { createPooledFetch } from '../../src/providers/together/http.ts';
import { startSimulator } from '../gateway/procs.ts';
import { MODEL, percentile } from '../gateway/targets.ts';

const N = Number(process.argv[2] ?? 3000);
const sim = await startSimulator();
const body = { model: MODEL, messages: [{ role: 'user' as const, content: 'benchmark the transport' }], max_tokens: 16 };
const sdk = (fetch?: typeof globalThis.fetch) =>
  new OpenAI({ apiKey: 'bench-upstream-key', baseURL: sim.url, maxRetries: 0, timeout: 2 ** 31 - 1, logLevel: 'off', ...(fetch ? { fetch } : {}) });
const pooled = createPooledFetch();
const onGlobalFetch = sdk();
const onPooledFetch = sdk(pooled.fetch);
const agent = new Agent();
const url = new URL(`${sim.url}/chat/completions`);

const ways: Array<[string, () => Promise<string>]> = [
  ['sdk + global fetch', async () => (await onGlobalFetch.chat.completions.create(body, { signal: new AbortController().signal }).asResponse()).text()],
  ['sdk + pooled fetch (ours)', async () => (await onPooledFetch.chat.completions.create(body, { signal: new AbortController().signal }).asResponse()).text()],
  [
    'raw undici (no SDK)',
    async () =>
      (
        await agent.request({
          origin: url.origin,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer bench-upstream-key' },
          body: JSON.stringify(body),
          signal: new AbortController().signal,
        })
      ).body.text(),
  ],
];

/** Median wall time of `count` calls, in µs, each after `pauseMs` of idleness (0: back to back). */
async function medianWallUs(count: number, pauseMs: number, call: () => Promise<unknown>): Promise<number> {
  const walls: number[] = [];
  for (let i = 0; i < count; i++) {
    if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    const t0 = performance.now();
    await call();
    walls.push((performance.now() - t0) * 1000);
  }
  return percentile(walls.sort((a, b) => a - b), 50);
}

try {
  // Two rounds, interleaved, so that a busy moment of the machine does not land on one way only.
  for (let round = 1; round <= 2; round++) {
    for (const [name, call] of ways) {
      for (let i = 0; i < 300; i++) await call();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < N; i++) await call();
      const cpu = process.cpuUsage(cpu0);
      const wall = performance.now() - t0;
      console.log(`round ${round} ${name.padEnd(26)} CPU ${((cpu.user + cpu.system) / N).toFixed(0).padStart(4)} µs/call, wall ${((wall / N) * 1000).toFixed(0).padStart(4)} µs/call`);
    }
  }
  const paused = Math.max(20, Math.round(N / 15));
  for (const [name, call] of ways) {
    console.log(`20 ms pause ${name.padEnd(26)} wall p50 ${(await medianWallUs(paused, 20, call)).toFixed(0).padStart(4)} µs/call (${paused} calls)`);
  }
  // The SDK's request building alone (no I/O at all), back to back and after a pause: the cold-cache cost in isolation.
  const build = () => onPooledFetch.buildRequest({ method: 'post', path: '/chat/completions', body, signal: new AbortController().signal }, { retryCount: 0 });
  console.log(`sdk buildRequest only, back to back: wall p50 ${(await medianWallUs(N, 0, build)).toFixed(0)} µs`);
  console.log(`sdk buildRequest only, 20 ms pause: wall p50 ${(await medianWallUs(paused, 20, build)).toFixed(0)} µs`);
} finally {
  await Promise.all([pooled.close(), agent.close(), sim.stop()]);
}
