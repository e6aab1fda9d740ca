import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { ChatCaller, ChatResult, ChatStreamEvent, UpstreamTiming } from '../chat/service.ts';
import type { ChatInput } from '../chat/validate.ts';
import type { CancelSignal } from '../core/cancellation.ts';
import { badInput } from '../core/errors.ts';
import { clientGone } from '../http/client-gone.ts';
import { HttpError } from '../http/http-error.ts';
import { requestIdOf } from '../http/request-id.ts';
import { sendJson } from '../http/send.ts';
import { httpTraceContext } from '../observability/tracing.ts';
import type { Services } from '../services.ts';
import type { RestError } from './errors.ts';

/**
 * One chat call on the REST edge, whatever the wire format: OpenAI chat completions, OpenAI Responses and
 * Anthropic Messages each supply a WireFormat (body → ChatInput, result → body, events → SSE text, error →
 * body) and this runs the call on the chat core. Validation, admission, limits, cost and the activity row
 * all happen once, in ChatService; nothing here decides what is valid or what a call costs.
 */

/** What every format's parser yields: the core's input and whether the client asked for a stream. */
export interface WireRequest {
  input: ChatInput;
  stream: boolean;
}

/** Renders one stream: each core event as SSE text, and a failure after the stream started. */
export interface WireStream {
  /** The SSE text for one event ('' when it has nothing to say); the `done` event's text completes the stream. */
  frame(event: ChatStreamEvent): string;
  /** The SSE text that tells the client the stream failed once it had started (its status is already 200). */
  failure(error: RestError): string;
  /** The SSE text after the last event, when the format needs one whatever the events were. */
  end?(): string;
}

/** Who is calling: the request id (which names what the gateway makes) and the authenticated key. */
export interface WireCaller {
  requestId: string;
  keyId: string;
}

export interface WireFormat<R extends WireRequest = WireRequest> {
  /** The key as an `Authorization` header value (Anthropic clients send `x-api-key` instead). */
  authorization(req: IncomingMessage): unknown;
  /** The client's JSON → the core's input; throws BAD_USER_INPUT for what the format itself cannot express. */
  parse(body: unknown, caller: WireCaller): R;
  /** The non-stream answer body. */
  completion(result: ChatResult, request: R, caller: WireCaller): unknown;
  stream(request: R, caller: WireCaller): WireStream;
  /** Any failure → status and this format's error body (through rest/errors.ts, the one REST error path). */
  error(err: unknown, requestId: string): RestError;
  /** Headers every answer of this format carries (Anthropic's `request-id`). */
  headers?(requestId: string): Record<string, string>;
}

/** 415 for a body that is not JSON (curl -d sends form encoding); 400 for no body at all. */
export const requireJson: RequestHandler = (req, _res, next) => {
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

/** SSE headers wait this long for the first event to go out with it, then go alone. */
const SSE_HEADERS_ALONE_AFTER_MS = 50;

interface WireCall<R extends WireRequest> {
  format: WireFormat<R>;
  request: R;
  caller: { requestId: string; keyId: string; key: Awaited<ReturnType<Services['keys']['authenticate']>>; timing: UpstreamTiming; traceContext?: ChatCaller['traceContext'] };
  /** Aborted when the client hangs up: the call's owner aborts the upstream and records the row as cancelled. */
  signal: CancelSignal;
  /** Milliseconds spent in the gateway so far, the provider call excluded. */
  overheadMs(): string;
}

async function complete<R extends WireRequest>(services: Services, res: ServerResponse, call: WireCall<R>): Promise<void> {
  const result = await services.chat.complete(call.request.input, call.caller, call.signal);
  res.setHeader('x-gateway-overhead-ms', call.overheadMs());
  sendJson(res, 200, call.format.completion(result, call.request, call.caller));
}

/**
 * Server-sent events. The headers go out with the first event, so an error before it (fallbacks included: a
 * model failing before its first event is replaced silently) is an ordinary JSON error with its status; if the
 * first event is slow to come (a long prefill, or fallbacks), the headers go alone after
 * SSE_HEADERS_ALONE_AFTER_MS so clients see the stream start, and a failure after that is the format's failure
 * event and the end of the stream. The call's owner registers the stream with the in-flight streams, so
 * shutdown drains REST streams like GraphQL ones.
 */
async function stream<R extends WireRequest>(services: Services, res: ServerResponse, call: WireCall<R>): Promise<void> {
  const startSse = (): void => {
    if (res.headersSent) return;
    res.statusCode = 200;
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('x-accel-buffering', 'no');
    // A trailer is impractical for SSE clients: this is the overhead before (and around) the first event.
    res.setHeader('x-gateway-overhead-ms', call.overheadMs());
  };
  // The headers go out with the first event (one write, one packet, one wake-up of the client before its first
  // token: ~0.1 ms of time to first token at one stream, bench/floor), or alone if it is slow to come.
  const headersAlone = setTimeout(() => {
    if (res.headersSent || res.destroyed) return;
    startSse();
    res.flushHeaders();
  }, SSE_HEADERS_ALONE_AFTER_MS);
  const framer = call.format.stream(call.request, call.caller);
  try {
    const events = await services.chat.stream(call.request.input, call.caller, call.signal);
    startSse();
    for await (const event of events) {
      // One write per event: each write is a syscall, the main cost of relaying a stream. Leaving the loop
      // calls the stream's return(): the upstream request is aborted, the row says cancelled.
      const text = framer.frame(event);
      if (text !== '' && !(await write(res, text))) return;
    }
    const end = framer.end?.() ?? '';
    if (end !== '' && !(await write(res, end))) return;
    res.end();
  } catch (err) {
    // Before the stream started: an ordinary JSON error (serveWireCall sends it).
    if (!res.headersSent) throw err;
    // Client gone: the abort already ended the upstream call and the owner logged the row as cancelled.
    if (res.destroyed) return;
    await write(res, framer.failure(call.format.error(err, call.caller.requestId)));
    res.end();
  } finally {
    clearTimeout(headersAlone);
  }
}

/** Answers with the format's error (JSON, status, Retry-After) unless the response has started or the client is gone. */
export function sendWireError(res: ServerResponse, format: WireFormat<WireRequest>, err: unknown): void {
  const restError = format.error(err, requestIdOf(res));
  if (res.headersSent || res.destroyed) return;
  if (restError.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(restError.retryAfterSeconds));
  sendJson(res, restError.status, restError.body);
}

/**
 * One chat call from a body to its answer, on plain node:http objects (the Express routes and the chat fast
 * path both end here). `readBody` yields the client's JSON; `started` is when the request reached the gateway.
 */
export async function serveWireCall<R extends WireRequest>(
  services: Services,
  format: WireFormat<R>,
  res: ServerResponse,
  readBody: () => Promise<unknown>,
  started: number,
): Promise<void> {
  const requestId = requestIdOf(res);
  const timing: UpstreamTiming = {};
  // The client hung up before the answer was complete: abort the upstream call (or stop the stream).
  const signal = clientGone(res);
  const overheadMs = (): string => {
    const now = performance.now();
    const upstream = timing.calledAt === undefined ? 0 : (timing.answeredAt ?? now) - timing.calledAt;
    return Math.max(0, now - started - upstream).toFixed(2);
  };
  if (format.headers) for (const [name, value] of Object.entries(format.headers(requestId))) res.setHeader(name, value);
  try {
    const body = await readBody();
    const key = await services.keys.authenticate(format.authorization(res.req));
    const caller = { requestId, keyId: key.id, key, timing, traceContext: httpTraceContext(res) };
    const request = format.parse(body, caller);
    const call: WireCall<R> = { format, request, caller, signal, overheadMs };
    await (request.stream ? stream(services, res, call) : complete(services, res, call));
  } catch (err) {
    if (!res.headersSent) res.setHeader('x-gateway-overhead-ms', overheadMs());
    sendWireError(res, format as WireFormat<WireRequest>, err);
  }
}
