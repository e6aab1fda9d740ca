import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type RequestHandler, Router } from 'express';
import type { ChatCaller, UpstreamTiming } from '../chat/service.ts';
import { badInput } from '../core/errors.ts';
import type { Services } from '../services.ts';
import { HttpError } from '../http/http-error.ts';
import { sendRestError, toRestError } from './errors.ts';
import { isPlainJson, readJsonBody } from '../http/body.ts';
import { ChunkFramer, type OpenAIChatRequest, fromOpenAIRequest, toOpenAICompletion } from './openai-wire.ts';
import { requestIdOf } from '../http/request-id.ts';
import { sendJson } from '../http/send.ts';

/**
 * `POST /v1/chat/completions` in OpenAI's wire format, on the same ChatService as GraphQL's chatCompletion
 * and chatStream: one validation, one provider call, one cost, one activity row, one error table.
 */

/** 415 for a body that is not JSON (curl -d sends form encoding); 400 for no body at all. */
const requireJson: RequestHandler = (req, _res, next) => {
  if (req.is(['json', '+json'])) return next();
  const empty = req.headers['transfer-encoding'] === undefined && (req.headers['content-length'] ?? '0') === '0';
  if (empty) return next(badInput('The request body must be a JSON object'));
  next(new HttpError('UNSUPPORTED_MEDIA_TYPE', `Content-Type must be application/json (got ${JSON.stringify(req.headers['content-type'] ?? '')})`));
};

/** Writes one piece, waiting out backpressure; false once the client is gone. */
async function write(res: ServerResponse, data: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return false;
  if (res.write(data)) return true;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
  return !res.destroyed;
}

const sse = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`;

/** SSE headers wait this long for the first event to go out with it, then go alone. */
const SSE_HEADERS_ALONE_AFTER_MS = 50;

interface ChatCall {
  request: OpenAIChatRequest;
  caller: ChatCaller;
  controller: AbortController;
  /** Milliseconds spent in the gateway so far, the provider call excluded. */
  overheadMs(): string;
}

async function complete(services: Services, res: ServerResponse, call: ChatCall): Promise<void> {
  const result = await services.chat.complete(call.request.input, call.caller, call.controller.signal);
  res.setHeader('x-gateway-overhead-ms', call.overheadMs());
  sendJson(res, 200, toOpenAICompletion(result, `chatcmpl-${call.caller.requestId}`));
}

/**
 * Server-sent events: `data: {chunk}` lines and `data: [DONE]`. The headers go out once Together has
 * answered (so errors before that are ordinary JSON errors with their status); a failure after that is a
 * `data: {"error": …}` line and the end of the stream, without [DONE]. Registered with the in-flight streams
 * so that shutdown drains REST streams like GraphQL ones.
 */
async function stream(services: Services, res: ServerResponse, call: ChatCall): Promise<void> {
  const untrack = services.streams.track(call.controller);
  let headersAlone: NodeJS.Timeout | undefined;
  try {
    const events = await services.chat.stream(call.request.input, call.caller, call.controller.signal);
    res.statusCode = 200;
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('x-accel-buffering', 'no');
    // A trailer is impractical for SSE clients: this is the overhead before (and around) Together's first byte.
    res.setHeader('x-gateway-overhead-ms', call.overheadMs());
    // The headers go out with the first event (one write, one packet, one wake-up of the client before its
    // first token: ~0.1 ms of time to first token at one stream, bench/floor), or alone if the first event is
    // slow to come (a reasoning model's prefill), so that clients still see the stream start at once.
    headersAlone = setTimeout(() => {
      if (!res.headersSent && !res.destroyed) res.flushHeaders();
    }, SSE_HEADERS_ALONE_AFTER_MS);
    const framer = new ChunkFramer(`chatcmpl-${call.caller.requestId}`, call.request.includeUsage);
    try {
      let doneSent = false;
      for await (const event of events) {
        // One write per event (its chunks and, on the last, [DONE]): each write is a syscall, the main cost
        // of relaying a stream. Leaving the loop calls the generator's return(): the upstream request is
        // aborted, the row says cancelled.
        let text = framer.frame(event).map(sse).join('');
        if (event.done) {
          text += 'data: [DONE]\n\n';
          doneSent = true;
        }
        if (text !== '' && !(await write(res, text))) return;
      }
      if (!doneSent) await write(res, 'data: [DONE]\n\n');
    } catch (err) {
      // Client gone: the abort already ended the upstream call and the service logged the row as cancelled.
      if (res.destroyed) return;
      await write(res, sse(toRestError(err, call.caller.requestId, services.logger).body));
    }
    res.end();
  } finally {
    clearTimeout(headersAlone);
    untrack();
  }
}

/**
 * One chat call from a parsed body to its answer, on plain node:http objects: both the Express route and the
 * fast path below end here. `body` is the client's JSON; `started` is when the request reached the gateway.
 */
async function serveChat(services: Services, res: ServerResponse, readBody: () => Promise<unknown>, started: number): Promise<void> {
  const requestId = requestIdOf(res);
  const timing: UpstreamTiming = {};
  const controller = new AbortController();
  // The client hung up before the answer was complete: abort the upstream call (or stop the stream).
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const overheadMs = (): string => {
    const now = performance.now();
    const upstream = timing.calledAt === undefined ? 0 : (timing.answeredAt ?? now) - timing.calledAt;
    return Math.max(0, now - started - upstream).toFixed(2);
  };
  try {
    const body = await readBody();
    const key = await services.keys.authenticate(res.req.headers.authorization);
    const request = fromOpenAIRequest(body);
    const call: ChatCall = { request, caller: { requestId, keyId: key.id, key, timing }, controller, overheadMs };
    await (request.stream ? stream(services, res, call) : complete(services, res, call));
  } catch (err) {
    if (!res.headersSent) res.setHeader('x-gateway-overhead-ms', overheadMs());
    sendRestError(res, err, services.logger);
  }
}

export function chatRouter(services: Services): Router {
  const router = Router();
  const parseJson = express.json({ limit: services.config.security.maxBodyBytes });
  router.post('/chat/completions', requireJson, parseJson, (req, res) => serveChat(services, res, async () => req.body, performance.now()));
  return router;
}

/**
 * `POST /v1/chat/completions` with a plain UTF-8 JSON body, served straight from node:http. Express's router
 * and body parser were ~13 % of the gateway's CPU per call under load (bench/gateway, --cpu-prof); this is the
 * gateway's hottest route, so it skips them. Returns false for anything else (other routes, gzip bodies, other
 * charsets), which the Express app then serves, this same route included.
 */
export function chatFastPath(services: Services): { matches(req: IncomingMessage): boolean; serve(req: IncomingMessage, res: ServerResponse): void } {
  const maxBytes = services.config.security.maxBodyBytes;
  return {
    matches: (req) => req.method === 'POST' && req.url === '/v1/chat/completions' && isPlainJson(req),
    serve: (req, res) => void serveChat(services, res, () => readJsonBody(req, res, maxBytes), performance.now()),
  };
}
