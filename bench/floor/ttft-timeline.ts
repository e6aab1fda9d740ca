/**
 * `node --import tsx/esm bench/floor/ttft-timeline.ts [streams]` — where the first token of a stream spends its
 * time through the gateway. One simulator (chunks 10 ms apart, like bench/gateway's streaming section) and one
 * gateway, both with bench/floor/timeline-preload.mjs; streams one at a time, 20 ms apart. Prints, for each point
 * (client, gateway, simulator), its median time since the client sent the request. The preload's hooks cost a
 * few µs per point; compare the steps, not the totals, with bench/floor.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Proc, runBench, startGateway, startSimulator } from '../gateway/procs.ts';
import { MODEL, percentile } from '../gateway/targets.ts';

const streams = Number(process.argv[2] ?? 200);
const dir = mkdtempSync(join(tmpdir(), 'ttft-timeline-'));
const procs: Proc[] = [];
const now = (): number => performance.timeOrigin + performance.now();

/** One stream from the client's side: when it sent, when the headers came, when the first content came. */
function stream(base: string, key: string): Promise<{ sent: number; headers: number; firstContent: number }> {
  const url = new URL(`${base}/v1/chat/completions`);
  const body = JSON.stringify({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'one two three four five six seven eight' }] });
  return new Promise((resolve, reject) => {
    const sent = now();
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${key}` } },
      (res) => {
        const headers = now();
        let firstContent = 0;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (!firstContent && /"content":"[^"]/.test(text)) firstContent = now();
        });
        res.on('end', () => resolve({ sent, headers, firstContent }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const probe = { nodeArgs: ['--import', new URL('./timeline-preload.mjs', import.meta.url).pathname], env: { TIMELINE_DIR: dir } };
  const sim = await startSimulator({ chunkDelayMs: 10, ...probe });
  procs.push(sim);
  const gateway = await startGateway(sim.url, probe);
  procs.push(gateway);
  const client = [];
  for (let i = 0; i < streams + 10; i++) {
    const one = await stream(gateway.url, gateway.key);
    if (i >= 10) client.push(one); // warm-up
    await new Promise((r) => setTimeout(r, 20));
  }
  await gateway.stop();
  await sim.stop();
  const read = (name: string): Array<Record<string, number>> => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')).slice(-streams);
  const points = new Map<string, number[]>();
  const add = (name: string, t: number | undefined, from: number) => {
    if (!t) return;
    if (!points.has(name)) points.set(name, []);
    points.get(name)!.push(t - from);
  };
  const [gatewayRows, simulatorRows] = [read('gateway'), read('simulator')];
  client.forEach((c, i) => {
    add('client: headers', c.headers, c.sent);
    add('client: first content', c.firstContent, c.sent);
    for (const [name, t] of Object.entries(gatewayRows[i] ?? {})) add(`gateway: ${name}`, t, c.sent);
    for (const [name, t] of Object.entries(simulatorRows[i] ?? {})) if (name !== 'end') add(`simulator: ${name}`, t, c.sent);
  });
  const median = (xs: number[]) => percentile(xs.sort((a, b) => a - b), 50);
  const rows = [...points].filter(([name]) => name !== 'gateway: end').map(([name, xs]) => [name, median(xs)] as const).sort((a, b) => a[1] - b[1]);
  console.log(`${streams} streams, median ms after the client sent:`);
  let previous = 0;
  for (const [name, t] of rows) {
    console.log(`${name.padEnd(34)} ${t.toFixed(3).padStart(7)}  (+${(t - previous).toFixed(3)})`);
    previous = t;
  }
}

runBench('ttft-timeline', procs, main);
