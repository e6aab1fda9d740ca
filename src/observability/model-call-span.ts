/**
 * One CLIENT span per upstream model attempt, per the OpenTelemetry GenAI semantic conventions
 * (open-telemetry/semantic-conventions docs/gen-ai/gen-ai-spans.md, "Inference" and "Embeddings"): name
 * `{gen_ai.operation.name} {gen_ai.request.model}`, the `gen_ai.*` request, response and usage attributes
 * (`gen_ai.provider.name`, which replaced `gen_ai.system` after semconv 1.36), our cost as `gateway.cost_usd`,
 * and on failure status ERROR with `error.type` = our error code. The two GenAI client histograms
 * (docs/gen-ai/gen-ai-metrics.md) are recorded beside it, over OTLP by the same SDK.
 *
 * Made by the call owner (src/chat/call.ts) for each attempt, so every operation on it (chat, embeddings, rerank,
 * images) is covered; attempts of a fallback are siblings under the caller's span. `run()` makes the span active
 * around the provider call, so the request to Together carries its traceparent.
 *
 * Cost: nothing at all while tracing is off (`start` returns undefined before allocating). While on, a span the
 * sampler dropped gets no attributes beyond the three the sampler sees; the metrics are still recorded.
 * Prompt and answer text only with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true, and scrubbed of keys.
 */
import { type Attributes, type Context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, context, metrics, trace } from '@opentelemetry/api';
import { scrubSecrets } from '../core/secrets.ts';
import { capturesMessageContent, tracingEnabled } from './tracing.ts';

/** `gen_ai.operation.name` per call kind: the semconv's predefined values where one applies. */
const OPERATIONS: Record<string, string> = { chat: 'chat', embedding: 'embeddings', rerank: 'rerank', image: 'generate_content' };
/** `gen_ai.output.type` where the operation name alone does not say it. */
const OUTPUT_TYPES: Record<string, string> = { image: 'image' };

/** Metric label for a model the catalog does not list (a named provider passing an unknown id through): bounded. */
export const UNLISTED_MODEL = 'unlisted';

/** Where the attempt goes: one candidate of the call. */
export interface ModelCallTarget {
  /** The call's kind (chat, embedding, rerank, image): gives `gen_ai.operation.name`. */
  kind: string;
  stream: boolean;
  /** The model id sent upstream. */
  model: string;
  /** The catalog's id for it, null when the catalog does not list it: metric labels use only catalog ids. */
  catalogModel: string | null;
  /** `gen_ai.provider.name`. */
  provider: string;
}

/** What the request asked, when the operation has it. A ChatRequest fits as is (no object is built for it). */
export interface ModelCallParams {
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  topP?: number | undefined;
  seed?: number | undefined;
  stop?: readonly string[] | undefined;
  presencePenalty?: number | undefined;
  frequencyPenalty?: number | undefined;
  /** Chat messages: recorded only when content capture is on. */
  messages?: ReadonlyArray<{ role: string; content: string; toolCalls?: ReadonlyArray<ToolCallLike> | undefined; toolCallId?: string | undefined }>;
  /** Other inputs (texts to embed, a query…): recorded only when content capture is on. */
  input?: unknown;
}

interface ToolCallLike {
  id: string;
  function: { name: string; arguments: string };
}

/** How the attempt ended (the row's outcome, plus what only the answer knows). */
export interface ModelCallResult {
  promptTokens: number;
  completionTokens: number;
  costUsd: number | null;
  finishReason: string | null;
  responseId?: string | undefined;
  responseModel?: string | undefined;
  /** The answer: recorded only when content capture is on. */
  outputText?: string | undefined;
  outputToolCalls?: ReadonlyArray<ToolCallLike> | undefined;
}

type Histogram = ReturnType<ReturnType<typeof metrics.getMeter>['createHistogram']>;
let histograms: { tokens: Histogram; duration: Histogram } | undefined;

/** Made on first use: the global meter is the SDK's once tracing started (a no-op one before). */
function genAiHistograms(): { tokens: Histogram; duration: Histogram } {
  if (!histograms) {
    const meter = metrics.getMeter('together-graphql-gateway');
    histograms = {
      tokens: meter.createHistogram('gen_ai.client.token.usage', {
        unit: '{token}',
        description: 'Number of input and output tokens used',
        advice: { explicitBucketBoundaries: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864] },
      }),
      duration: meter.createHistogram('gen_ai.client.operation.duration', {
        unit: 's',
        description: 'GenAI operation duration',
        advice: { explicitBucketBoundaries: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92] },
      }),
    };
  }
  return histograms;
}

const content = (value: unknown): string => scrubSecrets(JSON.stringify(value));

/** Chat messages in the semconv's `gen_ai.input.messages` shape: role, then parts. */
function inputMessages(params: ModelCallParams): unknown {
  if (!params.messages) return [{ role: 'user', parts: [{ type: 'text', content: params.input }] }];
  return params.messages.map((m) => {
    const role = m.role.toLowerCase();
    if (m.toolCallId) return { role, parts: [{ type: 'tool_call_response', id: m.toolCallId, response: m.content }] };
    const parts: unknown[] = m.content ? [{ type: 'text', content: m.content }] : [];
    for (const t of m.toolCalls ?? []) parts.push({ type: 'tool_call', id: t.id, name: t.function.name, arguments: t.function.arguments });
    return { role, parts };
  });
}

export class ModelCallSpan {
  private readonly started = performance.now();
  private ended = false;
  readonly context: Context;

  private constructor(
    private readonly span: Span,
    parent: Context,
    private readonly operation: string,
    private readonly target: ModelCallTarget,
  ) {
    this.context = trace.setSpan(parent, span);
  }

  /** A span for one upstream attempt, or undefined when tracing is off (callers use `?.`). */
  static start(parent: Context | undefined, target: ModelCallTarget, params: ModelCallParams | undefined): ModelCallSpan | undefined {
    if (!tracingEnabled()) return undefined;
    const operation = OPERATIONS[target.kind] ?? target.kind;
    const base = parent ?? ROOT_CONTEXT;
    // The attributes a sampler may look at; the rest only when the span is recorded.
    const span = trace.getTracer('together-graphql-gateway').startSpan(
      `${operation} ${target.model}`,
      { kind: SpanKind.CLIENT, attributes: { 'gen_ai.operation.name': operation, 'gen_ai.provider.name': target.provider, 'gen_ai.request.model': target.model } },
      base,
    );
    if (span.isRecording()) {
      span.setAttribute('gateway.stream', target.stream);
      const outputType = OUTPUT_TYPES[target.kind];
      if (outputType) span.setAttribute('gen_ai.output.type', outputType);
      if (params) ModelCallSpan.describe(span, params);
    }
    return new ModelCallSpan(span, base, operation, target);
  }

  private static describe(span: Span, p: ModelCallParams): void {
    if (p.maxTokens != null) span.setAttribute('gen_ai.request.max_tokens', p.maxTokens);
    if (p.temperature != null) span.setAttribute('gen_ai.request.temperature', p.temperature);
    if (p.topP != null) span.setAttribute('gen_ai.request.top_p', p.topP);
    if (p.seed != null) span.setAttribute('gen_ai.request.seed', p.seed);
    if (p.presencePenalty != null) span.setAttribute('gen_ai.request.presence_penalty', p.presencePenalty);
    if (p.frequencyPenalty != null) span.setAttribute('gen_ai.request.frequency_penalty', p.frequencyPenalty);
    if (p.stop?.length) span.setAttribute('gen_ai.request.stop_sequences', [...p.stop]);
    if (capturesMessageContent() && (p.messages || p.input !== undefined)) span.setAttribute('gen_ai.input.messages', content(inputMessages(p)));
  }

  /** Runs the upstream call with this span active: the provider's request carries its traceparent. */
  run<T>(fn: () => T): T {
    return context.with(this.context, fn);
  }

  /** Whether the answer text is wanted (streams accumulate it only then). */
  get capturesContent(): boolean {
    return capturesMessageContent() && this.span.isRecording();
  }

  /** `trace_id`/`span_id` for the attempt's log line and activity row. */
  get ids(): { traceId: string; spanId: string } {
    const sc = this.span.spanContext();
    return { traceId: sc.traceId, spanId: sc.spanId };
  }

  succeed(result: ModelCallResult): void {
    if (this.ended) return;
    const span = this.span;
    if (span.isRecording()) {
      if (result.responseModel) span.setAttribute('gen_ai.response.model', result.responseModel);
      if (result.responseId) span.setAttribute('gen_ai.response.id', result.responseId);
      if (result.finishReason) span.setAttribute('gen_ai.response.finish_reasons', [result.finishReason.toLowerCase()]);
      this.usage(result);
      if (this.capturesContent && (result.outputText !== undefined || result.outputToolCalls?.length)) {
        const parts: unknown[] = result.outputText ? [{ type: 'text', content: result.outputText }] : [];
        for (const t of result.outputToolCalls ?? []) parts.push({ type: 'tool_call', id: t.id, name: t.function.name, arguments: t.function.arguments });
        span.setAttribute('gen_ai.output.messages', content([{ role: 'assistant', parts, finish_reason: result.finishReason?.toLowerCase() ?? null }]));
      }
    }
    this.finish(undefined, result);
  }

  /**
   * Status ERROR, `error.type` = our error code; a cancellation is not an error of the call (`gateway.cancelled`).
   * `partial`: what a stream produced before it stopped (estimated), so the span still carries its usage.
   */
  fail(code: string, message: string | undefined, partial: ModelCallResult | null): void {
    if (this.ended) return;
    const span = this.span;
    if (code === 'CANCELLED') {
      if (span.isRecording()) span.setAttribute('gateway.cancelled', true);
    } else {
      span.setAttribute('error.type', code);
      // Span messages leave the process like log lines: the one scrubber (core/secrets.ts).
      span.setStatus({ code: SpanStatusCode.ERROR, message: message === undefined ? code : scrubSecrets(message) });
    }
    if (partial && span.isRecording()) this.usage(partial);
    this.finish(code === 'CANCELLED' ? undefined : code, partial);
  }

  private usage(r: ModelCallResult): void {
    this.span.setAttribute('gen_ai.usage.input_tokens', r.promptTokens);
    this.span.setAttribute('gen_ai.usage.output_tokens', r.completionTokens);
    if (r.costUsd !== null && Number.isFinite(r.costUsd)) this.span.setAttribute('gateway.cost_usd', r.costUsd);
  }

  private finish(errorType: string | undefined, result: ModelCallResult | null): void {
    this.ended = true;
    this.span.end();
    const { tokens, duration } = genAiHistograms();
    // Bounded labels only: the catalog's model ids (never an id a caller passed through), our error codes.
    const attrs: Attributes = {
      'gen_ai.operation.name': this.operation,
      'gen_ai.provider.name': this.target.provider,
      'gen_ai.request.model': this.target.catalogModel ?? UNLISTED_MODEL,
    };
    if (errorType) attrs['error.type'] = errorType;
    duration.record((performance.now() - this.started) / 1000, attrs);
    if (result && !errorType) {
      tokens.record(result.promptTokens, { ...attrs, 'gen_ai.token.type': 'input' });
      tokens.record(result.completionTokens, { ...attrs, 'gen_ai.token.type': 'output' });
    }
  }
}
