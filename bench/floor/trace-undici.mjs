/**
 * Preload for a gateway under a probe: `BENCH_GATEWAY_NODE_ARGS="--import ./bench/floor/trace-undici.mjs"`.
 * Times each upstream request with undici's diagnostics channels (created → headers written → body written →
 * response headers) and writes them, in ms, to $TRACE_UNDICI_OUT (default /tmp/undici-trace.json) at exit.
 */
import dc from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';

const started = new WeakMap();
const rows = [];
dc.subscribe('undici:request:create', ({ request }) => started.set(request, { create: performance.now() }));
dc.subscribe('undici:client:sendHeaders', ({ request }) => {
  const r = started.get(request);
  if (r) r.headersSent = performance.now() - r.create;
});
dc.subscribe('undici:request:bodySent', ({ request }) => {
  const r = started.get(request);
  if (r) r.bodySent = performance.now() - r.create;
});
dc.subscribe('undici:request:headers', ({ request }) => {
  const r = started.get(request);
  if (r) rows.push({ headersSent: r.headersSent, bodySent: r.bodySent, responseHeaders: performance.now() - r.create });
});
process.on('exit', () => writeFileSync(process.env.TRACE_UNDICI_OUT ?? '/tmp/undici-trace.json', JSON.stringify(rows)));
