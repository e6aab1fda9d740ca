/**
 * `node --import tsx/esm bench/floor/ttft-probe.ts` — where a stream's first token spends its time: SSE headers and
 * first content for direct calls and through the gateway (with the gateway's own x-gateway-overhead-ms), 60
 * sequential streams each, without and with a 50 ms pause between streams.
 */
import { request } from 'node:http';
import { startGateway, startSimulator, BENCH_ADMIN_KEY } from '../gateway/procs.ts';
import { MODEL } from '../gateway/targets.ts';
const sim = await startSimulator({ chunkDelayMs: 10 });
const gw = await startGateway(sim.url);
function one(base: string, key: string) {
  const url = new URL(`${base}/chat/completions`);
  const body = JSON.stringify({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten eleven twelve' }] });
  const t0 = process.hrtime.bigint();
  const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
  return new Promise<{ h: number; c: number; o: number }>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${key}` } }, (res) => {
      const h = ms(); let c = 0; let buf = '';
      res.setEncoding('utf8');
      res.on('data', (t: string) => { buf += t; if (!c && /"content":"[^"]/.test(buf)) c = ms(); });
      res.on('end', () => resolve({ h, c, o: Number(res.headers['x-gateway-overhead-ms'] ?? NaN) }));
    });
    req.on('error', reject); req.end(body);
  });
}
const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(2);
for (const pause of [0, 50]) {
  for (const [name, base, key] of [['direct', sim.url, 'bench-upstream-key'], ['gateway', `${gw.url}/v1`, BENCH_ADMIN_KEY]] as const) {
    for (let i = 0; i < 10; i++) await one(base, key);
    const rows = [];
    for (let i = 0; i < 60; i++) { rows.push(await one(base, key)); if (pause) await new Promise((r) => setTimeout(r, pause)); }
    console.log(`pause ${pause} ms ${name.padEnd(8)} headers p50 ${med(rows.map((r) => r.h))} first content p50 ${med(rows.map((r) => r.c))}${name === 'gateway' ? ` own overhead p50 ${med(rows.map((r) => r.o))}` : ''}`);
  }
}
await gw.stop(); await sim.stop();
