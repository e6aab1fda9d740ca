/**
 * One CLIENT span per upstream model call, per the OpenTelemetry GenAI semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/): name `{operation} {model}`, the
 * `gen_ai.*` request, response and usage attributes, our cost as `gateway.cost_usd`, and on failure status ERROR
 * with `error.type` = our error code. The two GenAI client histograms are recorded beside it.
 *
 * Not called yet: it is wired into the call owner of issue 20 (src/chat/call.ts) when that lands. Made by the call
 * owner for each attempt (attempts of a fallback are siblings under the operation's span);
 * `run()` makes the span active around the provider call so the request to Together carries its traceparent.
 * Prompt and answer text only with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true, and scrubbed of keys.
 */
import { type Attributes, type Context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, context, metrics, trace } from '@opentelemetry/api';
import { scrubSecrets } from '../core/secrets.ts';
import { capturesMessageContent, tracingEnabled } from './tracing.ts';

export type GenAiOperation = 'chat' | 'embeddings' | 'rerank' | 'image_generation';

export interface ModelCallRequest {
  operation: GenAiOperation;
  model: string;
  /** `gen_ai.provider.name`; Together is the only one today. */
  provider: string;
  serverAddress?: string;
  stream?: boolean;
  maxTokens?: number | null;
  temperature?: number | null;
  topP?: number | null;
  seed?: number | string | null;
  stop?: readonly string[] | null;
  /** The input (chat messages, texts to embed…): recorded only when content capture is on. */
  input?: unknown;
}

export interface ModelCallOutcome {
  responseModel?: string | null;
  responseId?: string | null;
  inputTokens?: number | null;
  outputTokens?: number | null;
  finishReasons?: readonly string[];
  costUsd?: number | null;
  /** The answer text: recorded only when content capture is on. */
  output?: unknown;
}

let histograms: { tokens: ReturnType<ReturnType<typeof metrics.getMeter>['createHistogram']>; duration: ReturnType<ReturnType<typeof metrics.getMeter>['createHistogram']> } | undefined;

function genAiHistograms() {
  if (!histograms) {
    const meter = metrics.getMeter('together-graphql-gateway');
    histograms = {
      tokens: meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}', description: 'Tokens used per model call, by gen_ai.token.type' }),
      duration: meter.createHistogram('gen_ai.client.operation.duration', { unit: 's', description: 'Duration of one model call' }),
    };
  }
  return histograms;
}

const contentJson = (value: unknown): string => scrubSecrets(typeof value === 'string' ? value : JSON.stringify(value));

export class ModelCallSpan {
  private readonly started = performance.now();
  private ended = false;
  readonly context: Context;

  private constructor(
    private readonly span: Span,
    parent: Context,
    private readonly request: ModelCallRequest,
  ) {
    this.context = trace.setSpan(parent, span);
  }

  /** A span for one upstream attempt, or undefined when tracing is off (callers use `?.`). */
  static start(parent: Context | undefined, request: ModelCallRequest): ModelCallSpan | undefined {
    if (!tracingEnabled()) return undefined;
    const attributes: Attributes = {
      'gen_ai.operation.name': request.operation,
      'gen_ai.provider.name': request.provider,
      'gen_ai.request.model': request.model,
    };
    if (request.serverAddress) attributes['server.address'] = request.serverAddress;
    if (request.stream !== undefined) attributes['gateway.stream'] = request.stream;
    if (request.maxTokens != null) attributes['gen_ai.request.max_tokens'] = request.maxTokens;
    if (request.temperature != null) attributes['gen_ai.request.temperature'] = request.temperature;
    if (request.topP != null) attributes['gen_ai.request.top_p'] = request.topP;
    if (request.seed != null) attributes['gen_ai.request.seed'] = Number(request.seed);
    if (request.stop?.length) attributes['gen_ai.request.stop_sequences'] = [...request.stop];
    if (capturesMessageContent() && request.input !== undefined) attributes['gen_ai.input.messages'] = contentJson(request.input);
    const base = parent ?? ROOT_CONTEXT;
    const span = trace.getTracer('together-graphql-gateway').startSpan(`${request.operation} ${request.model}`, { kind: SpanKind.CLIENT, attributes }, base);
    return new ModelCallSpan(span, base, request);
  }

  /** Runs the upstream call with this span active: the provider's request carries its traceparent. */
  run<T>(fn: () => T): T {
    return context.with(this.context, fn);
  }

  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  succeed(outcome: ModelCallOutcome): void {
    if (this.ended) return;
    const span = this.span;
    if (outcome.responseModel) span.setAttribute('gen_ai.response.model', outcome.responseModel);
    if (outcome.responseId) span.setAttribute('gen_ai.response.id', outcome.responseId);
    if (outcome.inputTokens != null) span.setAttribute('gen_ai.usage.input_tokens', outcome.inputTokens);
    if (outcome.outputTokens != null) span.setAttribute('gen_ai.usage.output_tokens', outcome.outputTokens);
    if (outcome.finishReasons?.length) span.setAttribute('gen_ai.response.finish_reasons', [...outcome.finishReasons]);
    if (outcome.costUsd != null && Number.isFinite(outcome.costUsd)) span.setAttribute('gateway.cost_usd', outcome.costUsd);
    if (capturesMessageContent() && outcome.output !== undefined) span.setAttribute('gen_ai.output.messages', contentJson(outcome.output));
    this.finish(outcome.responseModel ?? undefined, undefined, outcome);
  }

  /** Status ERROR, `error.type` = our error code; a cancellation is not an error of the call (`gateway.cancelled`). */
  fail(code: string, message?: string): void {
    if (this.ended) return;
    if (code === 'CANCELLED') {
      this.span.setAttribute('gateway.cancelled', true);
    } else {
      this.span.setAttribute('error.type', code);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: message ? scrubSecrets(message) : code });
    }
    this.finish(undefined, code);
  }

  private finish(responseModel: string | undefined, errorType: string | undefined, outcome?: ModelCallOutcome): void {
    this.ended = true;
    this.span.end();
    const { tokens, duration } = genAiHistograms();
    const attrs: Attributes = { 'gen_ai.operation.name': this.request.operation, 'gen_ai.provider.name': this.request.provider, 'gen_ai.request.model': this.request.model };
    if (responseModel) attrs['gen_ai.response.model'] = responseModel;
    if (errorType) attrs['error.type'] = errorType;
    duration.record((performance.now() - this.started) / 1000, attrs);
    if (outcome?.inputTokens != null) tokens.record(outcome.inputTokens, { ...attrs, 'gen_ai.token.type': 'input' });
    if (outcome?.outputTokens != null) tokens.record(outcome.outputTokens, { ...attrs, 'gen_ai.token.type': 'output' });
  }
}
