/**
 * `node --import tsx/esm bench/transport/transport-bench.ts` — what one chat call costs the client side of the
 * gateway, by transport: the openai SDK on the global fetch (before), the SDK on our pooled fetch
 * (src/providers/together/http.ts, now), and a raw undici request without the SDK (the floor). CPU µs per call
 * of this process against the simulator started as a child; sequential calls, so wall time is latency.
 */
import OpenAI from 'openai';
import { Agent } from 'undici';
import { createPooledFetch } from '../../src/providers/together/http.ts';
import { startSimulator } from '../gateway/procs.ts';
import { MODEL } from '../gateway/targets.ts';

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
} finally {
  await Promise.all([pooled.close(), agent.close(), sim.stop()]);
}
