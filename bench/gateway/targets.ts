import { Agent, request } from 'node:http';
import { BENCH_ADMIN_KEY } from './procs.ts';

export const MODEL = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';
const messages = [{ role: 'user', content: 'benchmark the gateway overhead please' }];
const CHAT_MUTATION = `mutation B($input: ChatCompletionInput!) { chatCompletion(input: $input) { id content finishReason costUsd usage { totalTokens } } }`;

export interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The same chat call, four ways: straight to the simulator, our REST, our GraphQL, and Portkey. */
export function targets(urls: { sim: string; gateway: string; portkey?: string }): Target[] {
  const openaiBody = JSON.stringify({ model: MODEL, messages, max_tokens: 16 });
  const list: Target[] = [
    { name: 'direct', url: `${urls.sim}/chat/completions`, headers: { authorization: 'Bearer bench-upstream-key' }, body: openaiBody },
    { name: 'rest', url: `${urls.gateway}/v1/chat/completions`, headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}` }, body: openaiBody },
    {
      name: 'graphql',
      url: `${urls.gateway}/graphql`,
      headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}` },
      body: JSON.stringify({ query: CHAT_MUTATION, variables: { input: { model: MODEL, messages: [{ role: 'USER', content: messages[0]!.content }], maxTokens: 16 } } }),
    },
  ];
  if (urls.portkey) {
    list.push({
      name: 'portkey',
      url: `${urls.portkey}/v1/chat/completions`,
      headers: { authorization: 'Bearer bench-upstream-key', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': urls.sim },
      body: openaiBody,
    });
  }
  return list;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** One POST; resolves with the status and the elapsed milliseconds (hrtime precision). */
export function post(target: Target): Promise<{ status: number; ms: number; body: string }> {
  const url = new URL(target.url);
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(target.body), ...target.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - started) / 1e6, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(target.body);
  });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export interface LatencyStats {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  errors: number;
}

/** Sequential requests from one client: the latency a single user sees. */
export async function measureLatency(target: Target, count: number, warmup: number): Promise<LatencyStats> {
  for (let i = 0; i < warmup; i++) await post(target);
  const samples: number[] = [];
  let errors = 0;
  for (let i = 0; i < count; i++) {
    const r = await post(target);
    if (r.status !== 200 || r.body.includes('"errors"')) errors++;
    samples.push(r.ms);
  }
  samples.sort((a, b) => a - b);
  return { n: count, p50: percentile(samples, 50), p90: percentile(samples, 90), p99: percentile(samples, 99), mean: samples.reduce((a, b) => a + b, 0) / count, errors };
}
