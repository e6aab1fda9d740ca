/**
 * `node --import tsx scripts/trace-screenshot.ts [out.png]` — renders one real trace of the gateway offline, for
 * docs/operations.md (issue 24 asks for a screenshot of a trace; no tracing UI is reachable from this machine).
 *
 * What it runs is what the tests run: the Together simulator, the gateway as a real process exporting OTLP/JSON to
 * an in-process receiver (tests/helpers/otlp-receiver.ts), one GraphQL chatCompletion sent with a caller's
 * `traceparent` whose first model fails (a simulated 503) and whose fallback answers. The spans received are drawn
 * as a waterfall (start, duration, parent indentation, the GenAI attributes) and photographed with Debian's
 * Chromium. Nothing here is used by the gateway.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTogetherSimulator } from '../src/simulator/index.ts';
import { launchChromium } from '../tests/helpers/chromium.ts';
import { type ReceivedSpan, otlpExportEnv, startOtlpReceiver } from '../tests/helpers/otlp-receiver.ts';
import { GatewayProcesses } from '../tests/helpers/processes.ts';

const out = process.argv[2] ?? new URL('../docs/trace.png', import.meta.url).pathname;
const ADMIN_KEY = 'gw_trace_screenshot_admin_key_0123456789';
const LLAMA = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';
const LLAMA8 = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const trace = Array.from({ length: 32 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');

const sim = createTogetherSimulator({ chunkDelayMs: 5 });
await sim.start(0);
sim.addFault({ route: 'chat', model: LLAMA, status: 503, times: Infinity });
const receiver = await startOtlpReceiver();
const procs = new GatewayProcesses();
const dir = mkdtempSync(join(tmpdir(), 'gw-trace-shot-'));
try {
  const gw = await procs.start(
    {
      TOGETHER_API_KEY: 'sim-key',
      TOGETHER_BASE_URL: sim.url,
      GATEWAY_ADMIN_KEY: ADMIN_KEY,
      DATABASE_URL: `file:${join(dir, 'gateway.db')}`,
      UPSTREAM_MAX_RETRIES: '0',
      OTEL_SERVICE_NAME: 'together-gateway',
      ...otlpExportEnv(receiver),
    },
    60_000,
  );
  const res = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}`, traceparent: `00-${trace}-00f067aa0ba902b7-01` },
    body: JSON.stringify({
      query: 'mutation AskWithFallback($input: ChatCompletionInput!) { chatCompletion(input: $input) { model content costUsd attempts { model code } } }',
      variables: { input: { model: LLAMA, fallbackModels: [LLAMA8], messages: [{ role: 'USER', content: 'Why are traces useful?' }] } },
    }),
  });
  process.stderr.write(`answer: ${JSON.stringify(await res.json())}\n`);
  const spans = (await receiver.waitForSpans((all) => all.filter((s) => s.traceId === trace && s.attributes['gen_ai.operation.name']).length >= 2, 20_000)).filter(
    (s) => s.traceId === trace,
  );
  await gw.stop('SIGTERM');

  const context = await launchChromium(join(dir, 'chromium'), { viewport: { width: 1280, height: 120 + spans.length * 62 } });
  const page = await context.newPage();
  await page.setContent(waterfall(spans));
  await page.screenshot({ path: out, fullPage: true });
  await context.close();
  process.stderr.write(`wrote ${out} (${spans.length} spans of trace ${trace})\n`);
} finally {
  await procs.stopAll();
  await receiver.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}

/** A Jaeger-like waterfall: one row per span, indented by depth, a bar on the trace's time axis. */
function waterfall(spans: ReceivedSpan[]): string {
  const ids = new Set(spans.map((s) => s.spanId));
  const depth = (s: ReceivedSpan): number => {
    let d = 0;
    for (let p = spans.find((x) => x.spanId === s.parentSpanId); p; p = spans.find((x) => x.spanId === p!.parentSpanId)) d++;
    return d;
  };
  const ordered = [...spans].sort((a, b) => a.startMs - b.startMs || depth(a) - depth(b));
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const total = Math.max(...spans.map((s) => s.endMs)) - t0 || 1;
  const escape = (x: unknown) => String(x).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const shown = ['gen_ai.request.model', 'gen_ai.response.model', 'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', 'gateway.cost_usd', 'error.type', 'graphql.operation.name', 'http.route', 'http.response.status_code'];
  const rows = ordered
    .map((s) => {
      const left = ((s.startMs - t0) / total) * 100;
      const width = Math.max(0.4, ((s.endMs - s.startMs) / total) * 100);
      const error = s.status.code === 2;
      const attrs = shown.filter((k) => s.attributes[k] !== undefined).map((k) => `<span>${escape(k)}=<b>${escape(s.attributes[k])}</b></span>`).join(' ');
      const orphanParent = s.parentSpanId && !ids.has(s.parentSpanId) ? ' <i>(parent: the caller)</i>' : '';
      return `<div class="row"><div class="name" style="padding-left:${depth(s) * 18}px">${escape(s.name)} <span class="dur">${(s.endMs - s.startMs).toFixed(1)} ms</span>${orphanParent}<div class="attrs">${attrs}</div></div>
        <div class="lane"><div class="bar${error ? ' err' : ''}" style="left:${left}%;width:${width}%"></div></div></div>`;
    })
    .join('\n');
  return `<!doctype html><meta charset="utf-8"><style>
    body{font:13px system-ui,sans-serif;margin:16px;color:#1f2328} h1{font-size:16px;margin:0 0 4px} p{margin:0 0 12px;color:#59636e}
    .row{display:grid;grid-template-columns:560px 1fr;border-top:1px solid #d1d9e0;min-height:54px;align-items:center}
    .name{font-weight:600;overflow:hidden} .attrs{font-weight:400;color:#59636e;font-size:11px;margin-top:2px;white-space:normal}
    .attrs span{margin-right:8px} .lane{position:relative;height:22px} .bar{position:absolute;top:3px;height:16px;background:#0969da;border-radius:3px}
    .bar.err{background:#cf222e} .dur{font-weight:400;color:#59636e}
  </style><h1>Trace ${trace}</h1><p>${spans.length} spans received over OTLP/JSON from the gateway: the caller's GraphQL operation, the HTTP request, and one GenAI span per model attempt (the 503 of the first model in red, the fallback that answered in blue); total ${total.toFixed(1)} ms.</p>${rows}`;
}
