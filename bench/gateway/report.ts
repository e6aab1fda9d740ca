/**
 * `node --import tsx bench/gateway/report.ts [results.json]` prints the markdown tables of docs/benchmarks.md
 * from a results file, with each target next to its measured value.
 */
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? new URL('../results/gateway.json', import.meta.url).pathname;
const r = JSON.parse(readFileSync(file, 'utf8'));
const f = (n: unknown, digits = 2): string => (typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : '–');
const pct = (n: unknown): string => (typeof n === 'number' ? `${(n * 100).toFixed(1)} %` : '–');
const lines: string[] = [];
const out = (s = ''): void => void lines.push(s);

out(`Run: ${r.when}, Node ${r.node}, ${r.cpus} cores${r.smoke ? ' (SMOKE RUN: figures not meaningful)' : ''}.`);
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
out('| concurrent streams | face | TTFT p50 ms | added TTFT p50 ms | mean gap ms | added mean gap ms | max gap ms |');
out('|---|---|---|---|---|---|---|');
for (const [concurrency, faces] of Object.entries(r.streaming as Record<string, Record<string, any>>)) {
  for (const [face, s] of Object.entries(faces)) out(`| ${concurrency} | ${face} | ${f(s.ttftP50)} | ${face === 'direct' ? '' : f(s.addedTtftP50)} | ${f(s.gapMean)} | ${face === 'direct' ? '' : f(s.addedGapMean)} | ${f(s.gapMax)} |`);
}
out();
out('### Memory, cache');
out();
out('| measure | value |');
out('|---|---|');
const idleSamples: number[] | undefined = r.memory.idleRssSamplesMiB;
out(`| idle RSS (30 s without requests${idleSamples ? `, median of ${idleSamples.length} gateways` : ''}) | ${f(r.memory.idleRssMiB, 1)} MiB (${f((r.memory.idleRssMiB * 1048576) / 1e6, 1)} MB)${idleSamples ? `; each: ${idleSamples.map((x) => f(x, 1)).join(', ')} MiB` : ''} |`);
if (r.memory.rssRightAfterCallMiB !== undefined) out(`| RSS 0.5 s after one call | ${f(r.memory.rssRightAfterCallMiB, 1)} MiB |`);
out(`| RSS with ${r.memory.openStreams} open streams | ${f(r.memory.rssWithStreamsMiB, 1)} MiB |`);
out(`| soak${r.soak.when ? ` (${r.soak.when.slice(0, 16)}Z)` : ''}: ${r.soak.minutes} min, ${r.soak.streamsCompleted} streams completed, ${r.soak.streamsDisconnected} cut by random client disconnects | RSS growth ${f(r.soak.rssGrowthMiBPerMin, 3)}${r.soak.rssGrowthStdErrMiBPerMin == null ? '' : ` ± ${f(r.soak.rssGrowthStdErrMiBPerMin, 3)}`} MiB/min${r.soak.nonHeapGrowthMiBPerMin == null ? '' : ` (outside the V8 heap ${f(r.soak.nonHeapGrowthMiBPerMin, 3)} ± ${f(r.soak.nonHeapGrowthStdErrMiBPerMin, 3)}; V8 heap total ${f(r.soak.heapTotalGrowthMiBPerMin, 3)})`}; ${r.soak.openUpstreamStreamsAfter} upstream streams left open |`);
out(`| ${r.cache.coldQueries} concurrent cold \`models\` queries | ${r.cache.upstreamCalls} upstream /models call(s), ${r.cache.failed} failed |`);
out(`| warm \`models\` query (131 models) | p50 ${f(r.cache.warmP50Ms, 3)} ms, p99 ${f(r.cache.warmP99Ms, 3)} ms |`);
process.stdout.write(`${lines.join('\n')}\n`);
