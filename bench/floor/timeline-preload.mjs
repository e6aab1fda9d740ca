/**
 * Preload for bench/floor/ttft-timeline.ts (set through NODE_OPTIONS on the gateway and the simulator): the
 * wall-clock time (ms since the epoch, µs resolution) of points in each chat request, written at exit to
 * $TIMELINE_DIR/<gateway|simulator>.json. Nothing of ours is changed: it hooks node:http, undici's diagnostics
 * channels and, in the gateway, the openai SDK's `chat.completions.create`.
 *   request          the server emits the request (headers parsed)
 *   sdkCreate        the provider calls the SDK           sdkAnswered   the SDK hands back Together's response
 *   upstreamCreated  undici creates the upstream request  upstreamHeadersSent / upstreamBodySent / upstreamAnswered
 *   writeHead, flushHeaders, write, end                   the first call of each on the response
 */
import dc from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

const now = () => performance.timeOrigin + performance.now();
const role = process.argv[1]?.includes('simulator') ? 'simulator' : 'gateway';
const rows = [];
let current = null;
const mark = (name, row = current) => {
  if (row && row[name] === undefined) row[name] = now();
};

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, req, res) {
  if (event === 'request' && req.method === 'POST' && req.url?.endsWith('/chat/completions')) {
    current = { request: now() };
    rows.push(current);
    res.timelineRow = current;
  }
  return emit.apply(this, arguments);
};
for (const method of ['writeHead', 'flushHeaders', 'write', 'end']) {
  const original = http.ServerResponse.prototype[method];
  http.ServerResponse.prototype[method] = function (...args) {
    mark(method, this.timelineRow);
    return original.apply(this, args);
  };
}

if (role === 'gateway') {
  const { Completions } = await import('openai/resources/chat/completions/completions');
  const create = Completions.prototype.create;
  Completions.prototype.create = function (...args) {
    const row = current;
    mark('sdkCreate', row);
    const promise = create.apply(this, args);
    const asResponse = promise.asResponse.bind(promise);
    promise.asResponse = () => asResponse().then((response) => (mark('sdkAnswered', row), response));
    return promise;
  };
  dc.subscribe('undici:request:create', () => mark('upstreamCreated'));
  dc.subscribe('undici:client:sendHeaders', () => mark('upstreamHeadersSent'));
  dc.subscribe('undici:request:bodySent', () => mark('upstreamBodySent'));
  dc.subscribe('undici:request:headers', () => mark('upstreamAnswered'));
}

process.on('exit', () => writeFileSync(join(process.env.TIMELINE_DIR ?? '/tmp', `${role}.json`), JSON.stringify(rows)));
