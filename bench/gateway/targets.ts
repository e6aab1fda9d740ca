import { Agent, request } from 'node:http';
import { importFrom } from '../../scripts/tool-folder.ts';
import { BENCH_PEERS, cpuMs } from './procs.ts';

/** The part of autocannon's API the 16-client runs use (autocannon lives in bench/peers/, not in the root install). */
type Autocannon = (opts: { url: string; method: 'POST'; headers: Record<string, string>; body: string; connections: number; duration: number }) => Promise<{
  requests: { total: number; average: number };
  latency: { p99: number };
  non2xx: number;
  errors: number;
}>;
const loadAutocannon = async () => (await importFrom<{ autocannon: Autocannon }>(BENCH_PEERS, 'index.js')).autocannon;

export const MODEL = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';
const messages = [{ role: 'user', content: 'benchmark the gateway overhead please' }];
const CHAT_MUTATION = `mutation B($input: ChatCompletionInput!) { chatCompletion(input: $input) { id content finishReason costUsd usage { totalTokens } } }`;

/** A chat model of the simulator's catalog other than MODEL: the fallback named in `models`, never called. */
export const FALLBACK_MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
export const EMBEDDING_MODEL = 'BAAI/bge-base-en-v1.5';

export interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The target its added latency is measured against (default: the first of the list, direct chat). */
  baseline?: string;
}

/**
 * The same chat call, five ways: straight to the simulator, our REST, our GraphQL, the bare pass-through proxy
 * (bench/floor/floor-proxy.js, the least any Node hop adds: issue 23's targets are ratios to it) and Portkey.
 */
export function targets(urls: { sim: string; gateway: string; key: string; portkey?: string; budgetedKey?: string; proxy?: string }): Target[] {
  const openaiBody = JSON.stringify({ model: MODEL, messages, max_tokens: 16 });
  const list: Target[] = [
    { name: 'direct', url: `${urls.sim}/chat/completions`, headers: { authorization: 'Bearer bench-upstream-key' }, body: openaiBody },
    { name: 'rest', url: `${urls.gateway}/v1/chat/completions`, headers: { authorization: `Bearer ${urls.key}` }, body: openaiBody },
    {
      name: 'graphql',
      url: `${urls.gateway}/graphql`,
      headers: { authorization: `Bearer ${urls.key}` },
      body: JSON.stringify({ query: CHAT_MUTATION, variables: { input: { model: MODEL, messages: [{ role: 'USER', content: messages[0]!.content }], maxTokens: 16 } } }),
    },
  ];
  if (urls.proxy) list.push({ ...list[0]!, name: 'proxy', url: `${urls.proxy}/v1/chat/completions` });
  if (urls.portkey) {
    list.push({
      name: 'portkey',
      url: `${urls.portkey}/v1/chat/completions`,
      headers: { authorization: 'Bearer bench-upstream-key', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': urls.sim },
      body: openaiBody,
    });
  }
  // Last, so the indexes above stay put: the same REST call with a budgeted key (a reservation and a settlement).
  if (urls.budgetedKey) list.push({ ...list[1]!, name: 'restBudgeted', headers: { authorization: `Bearer ${urls.budgetedKey}` } });
  return list;
}

/**
 * The other doors to the same core, each at one client (issue 23): OpenAI's Responses API, Anthropic's Messages
 * API, embeddings (against direct embeddings calls, not chat), and the REST chat call naming a fallback model
 * that is never needed (`restFallback`: what `models` costs when the first model answers).
 */
export function endpointTargets(urls: { sim: string; gateway: string; key: string }): Target[] {
  const content = messages[0]!.content;
  const auth = { authorization: `Bearer ${urls.key}` };
  const embeddingsBody = JSON.stringify({ model: EMBEDDING_MODEL, input: [content] });
  return [
    { name: 'restFallback', url: `${urls.gateway}/v1/chat/completions`, headers: auth, body: JSON.stringify({ model: MODEL, models: [FALLBACK_MODEL], messages, max_tokens: 16 }) },
    { name: 'responses', url: `${urls.gateway}/v1/responses`, headers: auth, body: JSON.stringify({ model: MODEL, input: content, max_output_tokens: 16 }) },
    { name: 'messages', url: `${urls.gateway}/v1/messages`, headers: { 'x-api-key': urls.key, 'anthropic-version': '2023-06-01' }, body: JSON.stringify({ model: MODEL, messages, max_tokens: 16 }) },
    { name: 'directEmbeddings', url: `${urls.sim}/embeddings`, headers: { authorization: 'Bearer bench-upstream-key' }, body: embeddingsBody },
    { name: 'embeddings', url: `${urls.gateway}/v1/embeddings`, headers: auth, body: embeddingsBody, baseline: 'directEmbeddings' },
  ];
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
  const errors = await sample(target, count, samples);
  return latencyStats(samples, errors);
}

/** `count` sequential calls, each one's time appended to `samples`; returns how many failed. */
async function sample(target: Target, count: number, samples: number[]): Promise<number> {
  let errors = 0;
  for (let i = 0; i < count; i++) {
    const r = await post(target);
    if (r.status !== 200 || r.body.includes('"errors"')) errors++;
    samples.push(r.ms);
  }
  return errors;
}

function latencyStats(samples: number[], errors: number): LatencyStats {
  samples.sort((a, b) => a - b);
  const n = samples.length;
  return { n, p50: percentile(samples, 50), p90: percentile(samples, 90), p99: percentile(samples, 99), mean: samples.reduce((a, b) => a + b, 0) / n, errors };
}

export type AddedLatency = LatencyStats & { addedP50: number; addedP99: number };

/**
 * Each target at one client; the first target is the direct baseline the others are compared with (unless a
 * target names its own `baseline`, listed before it). The targets
 * take turns in blocks of at most 200 calls, so that a change in the machine's load during the section (it is
 * shared, and drifts over minutes) falls on every target alike instead of on whichever ran at that moment.
 * (Until 2026-12-07 each target ran its whole count in turn: recorded results before then were measured so.)
 */
export async function measureAddedLatency(list: Target[], count: number, warmup: number, log: (msg: string) => void): Promise<Record<string, AddedLatency>> {
  for (const target of list) for (let i = 0; i < warmup; i++) await post(target);
  const blocks = Math.max(1, Math.ceil(count / 200));
  const samples = new Map<string, number[]>(list.map((t) => [t.name, []]));
  const errors = new Map<string, number>(list.map((t) => [t.name, 0]));
  for (let b = 0; b < blocks; b++) {
    const size = Math.floor(count / blocks) + (b < count % blocks ? 1 : 0);
    for (const target of list) {
      // A few unrecorded calls first: the previous block woke other processes, not this one.
      for (let i = 0; i < Math.min(5, warmup); i++) await post(target);
      errors.set(target.name, errors.get(target.name)! + (await sample(target, size, samples.get(target.name)!)));
    }
  }
  const stats = new Map(list.map((t) => [t.name, latencyStats(samples.get(t.name)!, errors.get(t.name)!)]));
  const result: Record<string, AddedLatency> = {};
  for (const target of list) {
    const s = stats.get(target.name)!;
    const base = stats.get(target.baseline ?? list[0]!.name)!;
    result[target.name] = { ...s, addedP50: s.p50 - base.p50, addedP99: s.p99 - base.p99 };
    log(`latency ${target.name}: p50 ${s.p50.toFixed(3)} ms (added ${(s.p50 - base.p50).toFixed(3)}), p99 ${s.p99.toFixed(3)} ms, errors ${s.errors}`);
  }
  return result;
}

export interface Throughput {
  reqPerSec: number;
  /** Requests completed in the run. */
  requests: number;
  ratio: number;
  non2xx: number;
  errors: number;
  p99: number;
  cpuMsPerRequest: number;
}

/**
 * The same measurement taken in `rounds` turns (issue 23's targets are ratios between targets of one run): each
 * target gets `seconds / rounds` per round, the order rotates from round to round, and a discarded round warms
 * every target first. Measured one after another for 10 s each, two runs of the same gateway path differed by
 * up to 24 % in CPU per call (plain REST 1.202 against 0.969 ms with an unused fallback, 2026-12-08 run 2), because
 * the machine's speed drifts; rotating spreads the drift over every target. req/s and CPU per call are totals over
 * the rounds; p99 is the median of the rounds'; `rounds` keeps each round's figures.
 */
export async function measureThroughputInterleaved(
  list: Target[],
  pids: Record<string, number>,
  seconds: number,
  rounds: number,
  log: (msg: string) => void,
): Promise<Record<string, Throughput & { rounds: Array<{ reqPerSec: number; cpuMsPerRequest: number }> }>> {
  const per = Math.max(1, Math.round(seconds / rounds));
  // A whole round, discarded: with 1 s per target the first counted round still read 1.5-2 × the later ones for
  // every target, the bare proxy and Portkey included (JIT, and processes of other sections still starting).
  await measureThroughput(list, pids, per, () => undefined);
  const sums = new Map(list.map((t) => [t.name, { requests: 0, cpu: 0, non2xx: 0, errors: 0, p99s: [] as number[], rounds: [] as Array<{ reqPerSec: number; cpuMsPerRequest: number }> }]));
  for (let round = 0; round < rounds; round++) {
    const order = list.map((_, i) => list[(i + round) % list.length]!);
    const r = await measureThroughput(order, pids, per, () => undefined);
    for (const t of list) {
      const m = r[t.name]!;
      const sum = sums.get(t.name)!;
      sum.requests += m.requests;
      sum.cpu += m.cpuMsPerRequest * m.requests;
      sum.non2xx += m.non2xx;
      sum.errors += m.errors;
      sum.p99s.push(m.p99);
      sum.rounds.push({ reqPerSec: m.reqPerSec, cpuMsPerRequest: m.cpuMsPerRequest });
    }
  }
  const result: Record<string, Throughput & { rounds: Array<{ reqPerSec: number; cpuMsPerRequest: number }> }> = {};
  const measuredSeconds = per * rounds;
  const directRps = sums.get(list[0]!.name)!.requests / measuredSeconds;
  for (const t of list) {
    const sum = sums.get(t.name)!;
    const rps = sum.requests / measuredSeconds;
    const cpuMsPerRequest = sum.cpu / Math.max(1, sum.requests);
    const p99s = [...sum.p99s].sort((a, b) => a - b);
    const p99 = p99s[Math.floor(p99s.length / 2)]!;
    result[t.name] = { reqPerSec: rps, requests: sum.requests, ratio: rps / directRps, non2xx: sum.non2xx, errors: sum.errors, p99, cpuMsPerRequest, rounds: sum.rounds };
    log(`16 clients ${t.name}: ${rps.toFixed(0)} req/s (${((rps / directRps) * 100).toFixed(1)} % of direct), ${cpuMsPerRequest.toFixed(3)} ms CPU/request (${rounds} rotated rounds)`);
  }
  return result;
}

/**
 * 16 clients for a fixed time, each target in turn (the first is the direct baseline). Besides req/s (which a
 * busy shared machine disturbs), the CPU the serving process (`pids[target.name]`) spent per request: robust
 * to noise, and the real measure of what a gateway costs.
 */
export async function measureThroughput(list: Target[], pids: Record<string, number>, seconds: number, log: (msg: string) => void): Promise<Record<string, Throughput>> {
  const autocannon = await loadAutocannon();
  const result: Record<string, Throughput> = {};
  let directRps = 0;
  for (const target of list) {
    const pid = pids[target.name]!;
    const cpuBefore = cpuMs(pid);
    const r = await autocannon({ url: target.url, method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body: target.body, connections: 16, duration: seconds });
    const cpuPerRequest = (cpuMs(pid) - cpuBefore) / Math.max(1, r.requests.total);
    const rps = r.requests.average;
    directRps ||= rps;
    result[target.name] = { reqPerSec: rps, requests: r.requests.total, ratio: rps / directRps, non2xx: r.non2xx, errors: r.errors, p99: r.latency.p99, cpuMsPerRequest: cpuPerRequest };
    log(`16 clients ${target.name}: ${rps.toFixed(0)} req/s (${((rps / directRps) * 100).toFixed(1)} % of direct), ${cpuPerRequest.toFixed(3)} ms CPU/request`);
  }
  return result;
}
