/**
 * `node --import tsx bench/gateway/report.ts [results.json] [--baseline FILE]` prints the markdown tables of
 * docs/benchmarks.md from a results file: first issue 23's targets, each a ratio to the bare pass-through proxy
 * measured in the same run, with PASS or MISS; then every target beside the proxy; then the sections' tables.
 *
 * `--baseline`: the run whose CPU-per-call gap to the proxy is to be halved (issue 23). Either a gateway.json with a
 * `proxy` in its throughput section, or bench/floor's floor.json (the default: the last run that measured the bare
 * proxy and the REST route side by side before the proxy joined this bench; it has no GraphQL figure).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ options: { baseline: { type: 'string' } }, allowPositionals: true });
const file = positionals[0] ?? new URL('../results/gateway.json', import.meta.url).pathname;
const baselineFile = values.baseline ?? new URL('../results/floor.json', import.meta.url).pathname;
const r = JSON.parse(readFileSync(file, 'utf8'));
// A file of some sections only (--only into a new --out file): the others print as empty.
for (const section of ['latency1Client', 'streaming', 'memory', 'soak', 'cache']) r[section] ??= {};
r.throughput16Clients ??= { upstream20ms: {} };
const f = (n: unknown, digits = 2): string => (typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : '–');
const pct = (n: unknown): string => (typeof n === 'number' ? `${(n * 100).toFixed(1)} %` : '–');
const num = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
/** a ÷ b, when both are numbers and b is positive (a ratio to a negative or zero "added" figure means nothing). */
const ratio = (a: unknown, b: unknown): number | undefined => (num(a) && num(b) && b > 0 ? a / b : undefined);
const lines: string[] = [];
const out = (s = ''): void => void lines.push(s);

out(`Run: ${r.when}, Node ${r.node}, ${r.cpus} cores${r.smoke ? ' (SMOKE RUN: figures not meaningful)' : ''}.`);
out();

// ---- Issue 23: targets as ratios to the bare proxy of the same run ----
const lat0: Record<string, any> = r.latency1Client?.upstream0ms ?? {};
const thr: Record<string, any> = r.throughput16Clients?.upstream20ms ?? {};
const stream1: Record<string, any> = r.streaming?.['1'] ?? {};
const mem = r.memory ?? {};
/** Fallbacks "cost nothing": within what two identical targets differ by in one interleaved run. */
const FALLBACK_P50_TOLERANCE_MS = 0.1;
const FALLBACK_CPU_TOLERANCE = 0.05;
const MB = 1e6 / 1048576; // MiB per MB

function baselineGaps(): { rest?: number; graphql?: number; source: string } {
  try {
    const b = JSON.parse(readFileSync(baselineFile, 'utf8'));
    const t = b.throughput16Clients?.upstream20ms ?? b.throughput16Clients20ms ?? {};
    const proxy = t.proxy ?? t.floor;
    const gap = (name: string) => (num(t[name]?.cpuMsPerRequest) && num(proxy?.cpuMsPerRequest) ? t[name].cpuMsPerRequest - proxy.cpuMsPerRequest : undefined);
    return { rest: gap('rest'), graphql: gap('graphql'), source: `${baselineFile.split('/').slice(-3).join('/')} (${String(b.when ?? '?').slice(0, 16)})` };
  } catch {
    return { source: 'none' };
  }
}

type Verdict = 'PASS' | 'MISS' | '–';
const verdict = (ok: boolean | undefined): Verdict => (ok === undefined ? '–' : ok ? 'PASS' : 'MISS');
/** ≤ k × the proxy's, or ≤ an absolute bound: met if either holds (issue 23's wording). */
function addedVsProxy(label: string, value: unknown, proxyValue: unknown, k: number, absMs: number, unit = 'ms'): string[] {
  const x = ratio(value, proxyValue);
  // Met if either bound holds; unknown (not missed) when the absolute one fails and the proxy was not measured.
  const ok = !num(value) ? undefined : value <= absMs ? true : x === undefined ? undefined : x <= k;
  const measured = !num(value) ? '–' : x === undefined ? `${f(value, 3)} ${unit} (proxy's ${f(proxyValue, 3)})` : `${f(value, 3)} ${unit} = ${f(x)} × the proxy's ${f(proxyValue, 3)}`;
  return [label, measured, `≤ ${k} × the proxy's, or ≤ ${absMs} ${unit}`, verdict(ok)];
}
const base = baselineGaps();
const cpuRow = (name: string, label: string): string[] => {
  const cpu = thr[name]?.cpuMsPerRequest;
  const proxyCpu = thr.proxy?.cpuMsPerRequest;
  const gap = num(cpu) && num(proxyCpu) ? cpu - proxyCpu : undefined;
  const was = base[name as 'rest' | 'graphql'];
  return [
    label,
    `${f(cpu, 3)} ms (proxy ${f(proxyCpu, 3)}, Portkey ${f(thr.portkey?.cpuMsPerRequest, 3)}); gap to the proxy ${f(gap, 3)}`,
    num(was) ? `gap ≤ ${f(was / 2, 3)} (half of ${f(was, 3)}, ${base.source})` : `gap halved (no baseline gap: --baseline FILE)`,
    verdict(num(gap) && num(was) ? gap <= was / 2 : undefined),
  ];
};
const fallbackRow = (): string[] => {
  const dp50 = num(lat0.restFallback?.p50) && num(lat0.rest?.p50) ? lat0.restFallback.p50 - lat0.rest.p50 : undefined;
  const cpuX = ratio(thr.restFallback?.cpuMsPerRequest, thr.rest?.cpuMsPerRequest);
  const ok = num(dp50) && num(cpuX) ? dp50 <= FALLBACK_P50_TOLERANCE_MS && cpuX <= 1 + FALLBACK_CPU_TOLERANCE : undefined;
  return [
    'fallbacks cost nothing when the first model answers (REST with `models: [fallback]` − plain REST)',
    `p50 ${num(dp50) && dp50 >= 0 ? '+' : ''}${f(dp50, 3)} ms; CPU per call × ${f(cpuX, 3)}`,
    `p50 ≤ +${FALLBACK_P50_TOLERANCE_MS} ms and CPU ≤ × ${1 + FALLBACK_CPU_TOLERANCE}`,
    verdict(ok),
  ];
};
const endpointsRow = (): string[] => {
  const names = ['responses', 'messages', 'embeddings'];
  const measured = names.filter((n) => num(lat0[n]?.p50));
  const clean = measured.every((n) => lat0[n].errors === 0);
  return [
    'new endpoints measured on the same bench (added p50, one client, 0 ms upstream)',
    measured.length ? measured.map((n) => `${n} ${f(lat0[n].addedP50, 3)} ms (p99 ${f(lat0[n].addedP99, 3)})${lat0[n].errors ? `, ${lat0[n].errors} errors` : ''}`).join('; ') : '–',
    'measured, no errors (embeddings: against direct embeddings calls)',
    verdict(measured.length === 0 ? undefined : measured.length === names.length && clean),
  ];
};
const memRow = (label: string, mib: unknown, limitMB: number, extra = ''): string[] => [
  label,
  num(mib) ? `${f(mib, 1)} MiB = ${f(mib / MB, 1)} MB${extra}` : '–',
  `≤ ${limitMB} MB`,
  verdict(num(mib) ? mib / MB <= limitMB : undefined),
];
const throughputRatio = ratio(thr.rest?.ratio, thr.proxy?.ratio);
const issue23: string[][] = [
  [
    'REST throughput, 16 clients, 20 ms upstream',
    num(throughputRatio) ? `${f(throughputRatio, 3)} × the proxy's (REST ${pct(thr.rest.ratio)}, proxy ${pct(thr.proxy.ratio)} of direct)` : '–',
    '≥ 0.95 × the proxy\'s fraction of direct',
    verdict(num(throughputRatio) ? throughputRatio >= 0.95 : undefined),
  ],
  addedVsProxy('REST added p50, one client, 0 ms upstream', lat0.rest?.addedP50, lat0.proxy?.addedP50, 1.6, 0.75),
  addedVsProxy('REST added p99, one client, 0 ms upstream', lat0.rest?.addedP99, lat0.proxy?.addedP99, 1.5, 1.5),
  addedVsProxy('GraphQL mutation added p50, one client, 0 ms upstream', lat0.graphql?.addedP50, lat0.proxy?.addedP50, 1.85, 1.25),
  addedVsProxy('chatStream added TTFT p50, one stream (open socket)', stream1.chatStream?.addedTtftP50, stream1.proxySse?.addedTtftP50, 2.75, 1),
  cpuRow('rest', 'CPU per call, REST (serving process, 16 clients)'),
  cpuRow('graphql', 'CPU per call, GraphQL (serving process, 16 clients)'),
  endpointsRow(),
  fallbackRow(),
  memRow(
    `idle RSS after a 16-client burst (median, after ${mem.idleReadAfterSeconds ?? 30} s idle)`,
    mem.idleAfterLoadRssMiB,
    100,
    (mem.idleAfterLoadRssSamplesMiB ? `; each: ${mem.idleAfterLoadRssSamplesMiB.map((x: number) => f(x, 1)).join(', ')} MiB` : '') +
      (mem.idleAfterLoadRssAt30sSamplesMiB ? `; at 30 s: ${mem.idleAfterLoadRssAt30sSamplesMiB.map((x: number) => f(x, 1)).join(', ')} MiB` : ''),
  ),
  memRow(
    `idle RSS, no load but one call (median, after ${mem.idleReadAfterSeconds ?? 30} s idle)`,
    mem.idleRssMiB,
    100,
    mem.idleRssAt30sSamplesMiB ? `; at 30 s: ${mem.idleRssAt30sSamplesMiB.map((x: number) => f(x, 1)).join(', ')} MiB` : '',
  ),
  memRow(`RSS with ${mem.openStreams ?? '?'} open streams`, mem.rssWithStreamsMiB, 300),
  [
    'soak RSS growth',
    num(r.soak?.rssGrowthMiBPerMin) ? `${f(r.soak.rssGrowthMiBPerMin, 3)} ± ${f(r.soak.rssGrowthStdErrMiBPerMin, 3)} MiB/min over ${r.soak.minutes} min (outside the V8 heap ${f(r.soak.nonHeapGrowthMiBPerMin, 3)})` : '–',
    '≤ 0.5 MiB/min',
    verdict(num(r.soak?.rssGrowthMiBPerMin) ? r.soak.rssGrowthMiBPerMin <= 0.5 : undefined),
  ],
];
out('### Issue 23 targets (this run; ratios to the bare proxy measured alongside)');
out();
out('| target | measured | wanted | met |');
out('|---|---|---|---|');
for (const row of issue23) out(`| ${row.join(' | ')} |`);
out();

out('### Every target beside the bare proxy (one client: 0 ms upstream; 16 clients: 20 ms upstream)');
out();
out('| target | added p50 ms | ÷ proxy\'s | added p99 ms | ÷ proxy\'s | 16 clients: of direct | ÷ proxy\'s | CPU ms per call | − proxy\'s |');
out('|---|---|---|---|---|---|---|---|---|');
for (const name of new Set(['proxy', ...Object.keys(lat0), ...Object.keys(thr)])) {
  if (!lat0[name] && !thr[name]) continue;
  if (name === 'direct' || name === 'directEmbeddings') continue;
  const l = lat0[name] ?? {};
  const t = thr[name] ?? {};
  const cpuGap = num(t.cpuMsPerRequest) && num(thr.proxy?.cpuMsPerRequest) && name !== 'proxy' ? t.cpuMsPerRequest - thr.proxy.cpuMsPerRequest : undefined;
  const vs = (a: unknown, b: unknown) => (name === 'proxy' ? '' : f(ratio(a, b)));
  out(
    `| ${name}${name === 'embeddings' ? ' (vs direct embeddings)' : ''} | ${f(l.addedP50, 3)} | ${vs(l.addedP50, lat0.proxy?.addedP50)} | ${f(l.addedP99, 3)} | ${vs(l.addedP99, lat0.proxy?.addedP99)} | ${pct(t.ratio)} | ${vs(t.ratio, thr.proxy?.ratio)} | ${f(t.cpuMsPerRequest, 3)} | ${name === 'proxy' ? '' : f(cpuGap, 3)} |`,
  );
}
out();
out('### Added latency at one client (sequential requests; added = target − direct, same upstream)');
out();
out('| upstream | target | p50 ms | p99 ms | added p50 ms | added p99 ms |');
out('|---|---|---|---|---|---|');
for (const [mode, targets] of Object.entries(r.latency1Client as Record<string, Record<string, any>>)) {
  for (const [name, s] of Object.entries(targets)) out(`| ${mode.replace('upstream', '')} | ${name} | ${f(s.p50, 3)} | ${f(s.p99, 3)} | ${name === 'direct' ? '' : f(s.addedP50, 3)} | ${name === 'direct' ? '' : f(s.addedP99, 3)} |`);
}
out();
out('### 16 clients, 20 ms upstream');
out();
out('| target | req/s | of direct | p99 ms | CPU ms per request (serving process) |');
out('|---|---|---|---|---|');
for (const [name, s] of Object.entries(r.throughput16Clients.upstream20ms as Record<string, any>)) out(`| ${name} | ${f(s.reqPerSec, 0)} | ${pct(s.ratio)} | ${f(s.p99, 0)} | ${f(s.cpuMsPerRequest, 3)} |`);
out();
out('### Streaming (simulator sends a chunk every 10 ms)');
out();
out('| concurrent streams | face | TTFT p50 ms | added TTFT p50 ms | ÷ proxy\'s | mean gap ms | added mean gap ms | max gap ms |');
out('|---|---|---|---|---|---|---|---|');
for (const [concurrency, faces] of Object.entries(r.streaming as Record<string, Record<string, any>>)) {
  for (const [face, s] of Object.entries(faces)) {
    const vsProxy = face === 'direct' || face === 'proxySse' ? '' : f(ratio(s.addedTtftP50, faces.proxySse?.addedTtftP50));
    out(`| ${concurrency} | ${face} | ${f(s.ttftP50)} | ${face === 'direct' ? '' : f(s.addedTtftP50)} | ${vsProxy} | ${f(s.gapMean)} | ${face === 'direct' ? '' : f(s.addedGapMean)} | ${f(s.gapMax)} |`);
  }
}
out();
const clusterRuns: Record<string, any> | undefined = r.cluster16Clients?.upstream20ms;
if (clusterRuns) {
  out('### Cluster mode (WEB_CONCURRENCY), 16 clients, 20 ms upstream');
  out();
  out('| face | workers | req/s | of direct | ÷ 1 worker | p99 ms | CPU ms per request (primary + workers) |');
  out('|---|---|---|---|---|---|---|');
  for (const [name, s] of Object.entries(clusterRuns)) {
    if (name === 'direct') continue;
    const face = name.replace(/Workers\d+$/, '');
    out(`| ${face} | ${s.workers} | ${f(s.reqPerSec, 0)} | ${pct(s.ratio)} | ${s.workers === 1 ? '' : f(ratio(s.reqPerSec, clusterRuns[`${face}Workers1`]?.reqPerSec))} | ${f(s.p99, 0)} | ${f(s.cpuMsPerRequest, 3)} |`);
  }
  out();
}
out('### Memory, cache');
out();
out('| measure | value |');
out('|---|---|');
const idleSamples: number[] | undefined = r.memory.idleRssSamplesMiB;
out(`| idle RSS (${r.memory.idleReadAfterSeconds ?? 30} s without requests${idleSamples ? `, median of ${idleSamples.length} gateways` : ''}) | ${f(r.memory.idleRssMiB, 1)} MiB (${f((r.memory.idleRssMiB * 1048576) / 1e6, 1)} MB)${idleSamples ? `; each: ${idleSamples.map((x) => f(x, 1)).join(', ')} MiB` : ''} |`);
if (r.memory.rssRightAfterCallMiB !== undefined) out(`| RSS 0.5 s after one call | ${f(r.memory.rssRightAfterCallMiB, 1)} MiB |`);
const loaded: number[] | undefined = r.memory.idleAfterLoadRssSamplesMiB;
if (loaded) out(`| idle RSS after load (a 16-client burst each, then as long idle; median of ${loaded.length} gateways) | ${f(r.memory.idleAfterLoadRssMiB, 1)} MiB (${f(r.memory.idleAfterLoadRssMiB / MB, 1)} MB); each: ${loaded.map((x) => f(x, 1)).join(', ')} MiB |`);
out(`| RSS with ${r.memory.openStreams} open streams | ${f(r.memory.rssWithStreamsMiB, 1)} MiB |`);
out(`| soak${r.soak.when ? ` (${r.soak.when.slice(0, 16)}Z)` : ''}: ${r.soak.minutes} min, ${r.soak.streamsCompleted} streams completed, ${r.soak.streamsDisconnected} cut by random client disconnects | RSS growth ${f(r.soak.rssGrowthMiBPerMin, 3)}${r.soak.rssGrowthStdErrMiBPerMin == null ? '' : ` ± ${f(r.soak.rssGrowthStdErrMiBPerMin, 3)}`} MiB/min${r.soak.nonHeapGrowthMiBPerMin == null ? '' : ` (outside the V8 heap ${f(r.soak.nonHeapGrowthMiBPerMin, 3)} ± ${f(r.soak.nonHeapGrowthStdErrMiBPerMin, 3)}; V8 heap total ${f(r.soak.heapTotalGrowthMiBPerMin, 3)})`}; ${r.soak.openUpstreamStreamsAfter} upstream streams left open |`);
out(`| ${r.cache.coldQueries} concurrent cold \`models\` queries | ${r.cache.upstreamCalls} upstream /models call(s), ${r.cache.failed} failed |`);
out(`| warm \`models\` query (131 models) | p50 ${f(r.cache.warmP50Ms, 3)} ms, p99 ${f(r.cache.warmP99Ms, 3)} ms |`);
process.stdout.write(`${lines.join('\n')}\n`);
