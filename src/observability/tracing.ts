/**
 * OpenTelemetry traces, by the standard OTEL_* environment variables only (docs/operations.md#traces).
 *
 * Off unless an OTLP endpoint is set: then nothing here loads the SDK, no span object is made and the hot path
 * pays one boolean test per request (bench: `npm run bench`, "tracing off" row). On: the Node SDK is loaded
 * lazily by `startTracing` (from the entry points, before the gateway is built), and the SDK reads every other
 * OTEL_* variable itself (protocol http/protobuf, http/json or grpc, sampler, batch processor, resource).
 *
 * Spans are parented explicitly (a `Context` carried on the request), not through the SDK's async-hooks
 * context alone: Apollo's plugin hooks and graphql-ws callbacks do not run inside the request's async scope.
 * The active context is set only around the outbound upstream call, so the provider's `traceparent` header
 * names the model-call span.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import type { TracingSettings } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import { scrubSecrets } from '../core/secrets.ts';

const TRACER_NAME = 'together-graphql-gateway';
let enabled = false;
let captureContent = false;

/** True once the SDK runs; every helper below returns early (no allocation) while it is false. */
export const tracingEnabled = (): boolean => enabled;
export const capturesMessageContent = (): boolean => enabled && captureContent;

/**
 * Loads and starts the Node SDK when tracing is configured. Resolves to a flush-and-stop function for shutdown
 * (a no-op when off). The SDK reads the rest of OTEL_* itself; we add only a default service name.
 */
export async function startTracing(settings: TracingSettings, logger: Logger, env = process.env): Promise<() => Promise<void>> {
  if (!settings.enabled) return async () => undefined;
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const named = env.OTEL_SERVICE_NAME || /(^|,)\s*service\.name=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? '');
  // No auto-instrumentation: our own spans cover HTTP, GraphQL and the model calls, at a known cost.
  const sdk = new NodeSDK({ instrumentations: [], ...(named ? {} : { serviceName: TRACER_NAME }) });
  sdk.start();
  enabled = true;
  captureContent = settings.captureMessageContent;
  logger.info(
    { endpoint: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT, protocol: env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf', captureMessageContent: captureContent },
    'tracing on (OpenTelemetry)',
  );
  return async () => {
    await sdk.shutdown().catch((err: unknown) => logger.warn({ err }, 'tracing: the last spans could not be exported'));
    enabled = false;
  };
}

const tracer = () => trace.getTracer(TRACER_NAME);

const headerGetter: TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    return typeof value === 'string' || Array.isArray(value) ? (value as string | string[]) : undefined;
  },
};

/** The caller's W3C trace context from a header-like map (HTTP headers, graphql-ws connectionParams or extensions). */
export function extractTraceContext(carrier: Record<string, unknown> | null | undefined, parent: Context = ROOT_CONTEXT): Context {
  if (!enabled || !carrier) return parent;
  return propagation.extract(parent, carrier, headerGetter);
}

const httpContexts = new WeakMap<ServerResponse, Context>();

/** Routes with a fixed path name their span; any other path is named by its method alone (ids in paths are unbounded). */
const NAMED_ROUTES = new Set(['/graphql', '/v1/chat/completions', '/v1/models', '/v1/responses', '/v1/messages', '/v1/embeddings', '/v1/rerank', '/v1/images/generations', '/healthz', '/readyz', '/metrics', '/dashboard']);

/**
 * A SERVER span for one HTTP request, continuing the caller's `traceparent`; ends when the response does.
 * Handlers find its context with `httpTraceContext(res)`.
 */
export function traceHttpRequest(req: IncomingMessage, res: ServerResponse): void {
  if (!enabled) return;
  const path = (req.url ?? '/').split('?', 1)[0]!;
  const route = NAMED_ROUTES.has(path) ? path : undefined;
  const parent = extractTraceContext(req.headers as Record<string, unknown>);
  const span = tracer().startSpan(
    route ? `${req.method} ${route}` : `${req.method}`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? 'GET', 'url.path': path, ...(route ? { 'http.route': route } : {}) } },
    parent,
  );
  httpContexts.set(res, trace.setSpan(parent, span));
  res.once('close', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    if (!res.writableFinished) span.setAttribute('gateway.client_aborted', true);
    span.end();
  });
}

export const httpTraceContext = (res: ServerResponse): Context | undefined => (enabled ? httpContexts.get(res) : undefined);

/** A span for one GraphQL operation (`query Name`), without the document or variables (they may carry prompts). */
export function startOperationSpan(parent: Context | undefined, type: string, name: string | null | undefined): { span: Span; context: Context } | undefined {
  if (!enabled) return undefined;
  const base = parent ?? ROOT_CONTEXT;
  const attributes: Attributes = { 'graphql.operation.type': type };
  if (name) attributes['graphql.operation.name'] = name;
  const span = tracer().startSpan(name ? `${type} ${name}` : type, { kind: SpanKind.SERVER, attributes }, base);
  return { span, context: trace.setSpan(base, span) };
}

/** Ends a span with ERROR status and `error.type` = our error code. */
export function failSpan(span: Span, code: string, message?: string): void {
  span.setAttribute('error.type', code);
  // Span messages leave the process like log lines: the one scrubber (core/secrets.ts).
  span.setStatus({ code: SpanStatusCode.ERROR, message: message === undefined ? code : scrubSecrets(message) });
  span.end();
}

/** Runs `fn` with `ctx` active, so outbound requests made inside carry its traceparent. */
export function withTraceContext<T>(ctx: Context | undefined, fn: () => T): T {
  return enabled && ctx ? context.with(ctx, fn) : fn();
}

/** W3C headers for the active context (what the provider sends upstream); empty when off. */
export function traceHeaders(): Record<string, string> | undefined {
  if (!enabled) return undefined;
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return headers.traceparent ? headers : undefined;
}

/** `trace_id`/`span_id` of a context's span, for log lines and activity rows. */
export function traceIdsOf(ctx: Context | undefined): { traceId: string; spanId: string } | undefined {
  if (!enabled || !ctx) return undefined;
  const sc = trace.getSpanContext(ctx);
  return sc && trace.isSpanContextValid(sc) ? { traceId: sc.traceId, spanId: sc.spanId } : undefined;
}
