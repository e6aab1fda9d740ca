/** createTogetherSimulator: the HTTP server, routing, auth, fault dispatch and /__sim control API. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_FIXTURES_DIR, loadFixtures } from './fixtures.ts';
import { errorForStatus, invalidJson, JSON_CT, modelNotAvailable, unauthorized, type CannedResponse } from './errors.ts';
import { FaultQueue, normalizeFault, type RouteName } from './faults.ts';
import { ReqCtx } from './ctx.ts';
import { handleChat, type ChatDeps } from './chat.ts';
import { handleInference, picture } from './inference.ts';
import type { Fault, SimulatorOptions, SimulatorStats, TogetherSimulator } from './types.ts';

const MAX_BODY = 16 * 1024 * 1024;

const POST_ROUTES: Record<string, RouteName> = {
  '/v1/chat/completions': 'chat',
  '/v1/embeddings': 'embeddings',
  '/v1/rerank': 'rerank',
  '/v1/images/generations': 'images',
};
const CALL_COUNTERS = { embeddings: 'embeddingCalls', rerank: 'rerankCalls', images: 'imageCalls' } as const;
const MAX_RECORDED = 200;

function newStats(): SimulatorStats {
  return {
    modelsCalls: 0,
    chatCalls: 0,
    streamCalls: 0,
    embeddingCalls: 0,
    rerankCalls: 0,
    imageCalls: 0,
    openStreams: 0,
    abortedStreams: 0,
    abortedRequests: 0,
    completedStreams: 0,
    cutStreams: 0,
    requests: [],
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      parts.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.once('error', reject);
  });
}

function lowerKeys(h: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) out[k.toLowerCase()] = String(v);
  return out;
}

/** Response for a fault carrying `status` and/or `body`. For 429, `headers` replace the rate-limit defaults. */
function cannedFromFault(chat: ChatDeps, f: Fault, route: RouteName, model: unknown): CannedResponse {
  const errors = chat.fixtures.errors;
  let base: CannedResponse;
  if (f.status === undefined) base = { status: 200, headers: { 'content-type': JSON_CT }, body: '' };
  else if (f.status === 404 && typeof model === 'string') base = modelNotAvailable(errors, model);
  else base = errorForStatus(errors, f.status, route);
  const override = lowerKeys(f.headers);
  const headers =
    f.headers !== undefined && base.status === 429
      ? { 'content-type': base.headers['content-type'] ?? JSON_CT, ...override }
      : { ...base.headers, ...override };
  const body = f.body === undefined ? base.body : typeof f.body === 'string' ? f.body : JSON.stringify(f.body);
  return { status: base.status, headers, body };
}

export function createTogetherSimulator(opts: SimulatorOptions = {}): TogetherSimulator {
  const fixtures = loadFixtures(opts.fixturesDir ?? DEFAULT_FIXTURES_DIR, opts.modelsFile ?? 'models.json');
  const stats = newStats();
  const faults = new FaultQueue();
  const deps: ChatDeps = { opts, fixtures, stats };
  let server: Server | undefined;
  let url = '';
  let port = 0;

  const resetStats = () => Object.assign(stats, newStats(), { openStreams: stats.openStreams });

  function authOk(req: IncomingMessage): boolean {
    const h = req.headers.authorization;
    if (typeof h !== 'string') return false;
    const m = /^Bearer\s+(.+)$/i.exec(h.trim());
    if (!m || m[1]!.trim() === '') return false;
    return opts.apiKey === undefined || m[1]!.trim() === opts.apiKey;
  }

  async function control(ctx: ReqCtx, req: IncomingMessage, path: string, raw: string): Promise<void> {
    const ok = (v: unknown = { ok: true }) => ctx.send(200, { 'content-type': JSON_CT }, JSON.stringify(v));
    const bad = (status: number, message: string) =>
      ctx.send(status, { 'content-type': JSON_CT }, JSON.stringify({ error: { message } }));
    const key = `${req.method} ${path}`;
    if (key === 'GET /__sim/stats') return ok(stats);
    if (key === 'GET /__sim/faults') return ok(faults.list());
    if (key === 'DELETE /__sim/faults') return faults.clear(), ok();
    if (key === 'POST /__sim/reset') return faults.clear(), resetStats(), ok();
    if (key === 'POST /__sim/faults') {
      let list: Fault[];
      try {
        const parsed: unknown = JSON.parse(raw);
        list = (Array.isArray(parsed) ? parsed : [parsed]).map(normalizeFault);
      } catch (e) {
        return bad(400, (e as Error).message);
      }
      for (const f of list) faults.add(f);
      return ok({ ok: true, added: list.length, queued: faults.size });
    }
    return bad(404, `unknown control route ${key}`);
  }

  async function handle(req: IncomingMessage, ctx: ReqCtx): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://sim').pathname.replace(/\/+$/, '') || '/';
    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      if (!ctx.res.headersSent) ctx.send(413, { 'content-type': JSON_CT }, '{"error":{"message":"request body too large"}}');
      return ctx.destroy();
    }
    const picturePath = /^\/__sim\/images\/([0-9a-f]{1,8})\.png$/.exec(path);
    if (req.method === 'GET' && picturePath) return ctx.send(200, { 'content-type': 'image/png' }, picture(parseInt(picturePath[1]!, 16)));
    if (path.startsWith('/__sim/')) return control(ctx, req, path, raw);

    const route: RouteName | undefined = req.method === 'GET' ? (path === '/v1/models' ? 'models' : undefined) : req.method === 'POST' ? POST_ROUTES[path] : undefined;
    if (!route) {
      await ctx.sleep(opts.latencyMs ?? 0);
      return ctx.send(404, { 'content-type': JSON_CT }, JSON.stringify({ error: { message: `Not found: ${req.method} ${path}` } }));
    }

    let body: unknown;
    let parseError: string | undefined;
    if (route !== 'models') {
      try {
        body = JSON.parse(raw);
      } catch (e) {
        parseError = (e as Error).message;
        body = raw;
      }
    }
    stats.requests.push({ method: req.method ?? '', path, headers: { ...req.headers }, body, at: Date.now() });
    if (stats.requests.length > MAX_RECORDED) stats.requests.splice(0, stats.requests.length - MAX_RECORDED);
    if (route === 'models') stats.modelsCalls++;
    else if (route === 'chat') {
      stats.chatCalls++;
      if ((body as { stream?: unknown } | null)?.stream === true) stats.streamCalls++;
    } else stats[CALL_COUNTERS[route]]++;

    const model = (body as { model?: unknown } | null)?.model;
    const fault = faults.take(route, model);
    if (!(await ctx.sleep((opts.latencyMs ?? 0) + (fault?.firstByteDelayMs ?? 0)))) {
      stats.abortedRequests++;
      return;
    }
    if (fault && (fault.status !== undefined || fault.body !== undefined)) {
      const c = cannedFromFault(deps, fault, route, model);
      return ctx.send(c.status, c.headers, c.body);
    }
    if (!authOk(req)) {
      const c = unauthorized(fixtures.errors, route);
      return ctx.send(c.status, c.headers, c.body);
    }
    const extra = lowerKeys(fault?.headers);
    if (route === 'chat') return handleChat(deps, ctx, body, parseError, fault, extra);
    // Every other route answers in one piece: a cut drops the connection, a stall never answers.
    if (fault?.cutAfterChunks !== undefined) return ctx.destroy();
    if (fault?.stallAfterChunks !== undefined) {
      await ctx.hang();
      stats.abortedRequests++;
      return;
    }
    if (route === 'models') return ctx.send(200, { 'content-type': JSON_CT, ...extra }, fixtures.modelsBody);
    const answer = parseError !== undefined ? invalidJson(parseError) : handleInference(fixtures, route, body, new URL(url).origin);
    ctx.send(answer.status, { ...answer.headers, ...extra }, answer.body);
  }

  const sim: TogetherSimulator = {
    get url() {
      return url;
    },
    get port() {
      return port;
    },
    get stats() {
      return stats;
    },
    start(p = 0, host = '127.0.0.1') {
      if (server) return Promise.resolve(url);
      const srv = createServer({ noDelay: true }, (req, res) => {
        const ctx = new ReqCtx(res);
        req.on('error', () => {});
        res.on('error', () => {});
        handle(req, ctx).catch(() => {
          if (!res.headersSent) ctx.send(500, { 'content-type': JSON_CT }, '{"error":{"message":"simulator internal error"}}');
          else ctx.destroy();
        });
      });
      srv.on('clientError', (_err, socket) => {
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
        else socket.destroy();
      });
      server = srv;
      return new Promise<string>((resolve, reject) => {
        let listening = false;
        srv.on('error', (e) => {
          if (listening) return;
          server = undefined;
          reject(e);
        });
        srv.listen(p, host, () => {
          listening = true;
          port = (srv.address() as AddressInfo).port;
          url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/v1`;
          resolve(url);
        });
      });
    },
    close() {
      const srv = server;
      server = undefined;
      if (!srv) return Promise.resolve();
      return new Promise<void>((resolve) => {
        srv.close(() => resolve());
        srv.closeAllConnections();
      });
    },
    addFault(f) {
      faults.add(f);
    },
    clearFaults() {
      faults.clear();
    },
    reset() {
      faults.clear();
      resetStats();
    },
    waitFor(pred, timeoutMs = 5000) {
      return new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const tick = () => {
          let done = false;
          try {
            done = pred(stats);
          } catch (e) {
            return reject(e);
          }
          if (done) return resolve();
          if (Date.now() >= deadline) return reject(new Error(`simulator.waitFor timed out after ${timeoutMs} ms`));
          setTimeout(tick, 10);
        };
        tick();
      });
    },
  };
  return sim;
}
