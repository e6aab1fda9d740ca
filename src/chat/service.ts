import type { GatewayRegistry } from '../catalog/registry.ts';
import type { CancelSignal } from '../core/cancellation.ts';
import { CancelledError, GatewayError } from '../core/errors.ts';
import type { ChatRequest, FinishReason, ProviderStreamChunk, ToolCall, ToolCallDelta, Usage } from '../domain.ts';
import type { ModelBreakers } from '../resilience/model-breakers.ts';
import { computeCostUsd } from '../usage/cost.ts';
import { estimateTokens, estimateUsage, toolCallChars } from '../usage/estimate.ts';
import type { Attempt, AttemptReport, Call, CallOwner, Caller, Candidate } from './call.ts';
import { findCandidate, refusalGateway } from './route.ts';
import { type ChatInput, type ChatLimits, validateChatInput, validateFallbackModels } from './validate.ts';

export type { AttemptReport, Caller as ChatCaller, UpstreamTiming } from './call.ts';

/**
 * One answer, with everything a face needs to render it (GraphQL as is; REST in OpenAI's format:
 * `message.content` = content (null when "" and there are tool calls), `message.reasoning` = reasoning,
 * `message.tool_calls` = toolCalls, `usage.prompt_tokens_details.cached_tokens` = usage.cachedTokens,
 * `usage.completion_tokens_details.reasoning_tokens` = usage.reasoningTokens).
 */
export interface ChatResult {
  id: string;
  model: string;
  provider: string;
  /** "" when the model only called tools. */
  content: string;
  /** The model's thinking, kept apart from content; null for models that do not reason. */
  reasoning: string | null;
  /** Empty when the model called no tool. */
  toolCalls: ToolCall[];
  /** TOOL_CALLS whenever toolCalls is not empty. */
  finishReason: FinishReason;
  usage: Usage;
  usageEstimated: boolean;
  costUsd: number | null;
  latencyMs: number;
  /** Together's sampling seed as exact decimal text (it exceeds 2^53); null when it sent none. */
  seed: string | null;
  /** Every model tried, in order, the one that answered last (code null). */
  attempts: AttemptReport[];
}

/**
 * One stream event. Every upstream chunk with something new becomes one event carrying whichever of
 * delta / reasoningDelta / toolCallDeltas it has (the others empty); the last event (done) carries
 * finishReason, usage, cost and seed. REST maps it to OpenAI chunks: `delta.content`, `delta.reasoning`,
 * `delta.tool_calls[{index, id, type: "function" when id is set, function: {name, arguments}}]`.
 */
export interface ChatStreamEvent {
  delta: string;
  reasoningDelta: string;
  toolCallDeltas: ToolCallDelta[];
  finishReason: FinishReason | null;
  usage: Usage | null;
  usageEstimated: boolean;
  costUsd: number | null;
  done: boolean;
  /** Set on every event: the upstream completion id and model, for REST chunk framing. */
  id: string;
  model: string;
  seed: string | null;
}

/**
 * Some models call a tool and still say `stop`. A client loops on TOOL_CALLS, so a turn with tool calls says
 * so; a LENGTH (arguments cut short) is kept because the client must know the call is incomplete.
 */
const finishWithTools = (reason: FinishReason, calledTools: boolean): FinishReason => (calledTools && reason === 'STOP' ? 'TOOL_CALLS' : reason);

const hasOutput = (c: ProviderStreamChunk): boolean => c.delta !== '' || c.reasoningDelta !== '' || c.toolCallDeltas.length > 0;

/** A stream read up to its first event (or its end): what fails before that can still fall back. */
interface OpenedStream {
  iterator: AsyncIterator<ProviderStreamChunk>;
  /** The chunks read so far, the last one the first with output (or the end of a stream without any). */
  head: ProviderStreamChunk[];
  ended: boolean;
  /** performance.now() when the first output arrived; null when the stream had none. */
  firstOutputAt: number | null;
}

async function openStream(upstream: AsyncIterable<ProviderStreamChunk>): Promise<OpenedStream> {
  const iterator = upstream[Symbol.asyncIterator]();
  const head: ProviderStreamChunk[] = [];
  for (;;) {
    const next = await iterator.next();
    if (next.done) return { iterator, head, ended: true, firstOutputAt: null };
    head.push(next.value);
    if (hasOutput(next.value)) return { iterator, head, ended: false, firstOutputAt: performance.now() };
  }
}

/**
 * Chat for every face: validates, routes the requested model and its fallbacks, and runs the call on its owner
 * (./call.ts: admission, per-model breakers, one deadline, one row per attempt), prices the answer. GraphQL,
 * REST and the other wire formats all call this.
 */
export class ChatService {
  constructor(
    private readonly gateways: GatewayRegistry,
    private readonly calls: CallOwner,
    private readonly limits: ChatLimits,
  ) {}

  /** The per-model circuit breakers (metrics, tests). */
  get breakers(): ModelBreakers {
    return this.calls.deps.breakers;
  }

  /** Validation and routing: everything that can fail before Together is called. */
  private async plan(input: ChatInput, call: Call): Promise<ChatRequest> {
    const request = validateChatInput(input, this.limits);
    const fallbacks = validateFallbackModels(input.fallbackModels, request.model);
    const candidates: Candidate[] = [];
    for (const model of [request.model, ...fallbacks]) candidates.push(await this.candidate(model, input.provider, request));
    call.route(candidates);
    call.describe(request);
    return request;
  }

  private async candidate(requested: string, provider: string | null | undefined, request: ChatRequest): Promise<Candidate> {
    return this.checkContext(await findCandidate(this.gateways, requested, provider), request);
  }

  /** maxTokens alone over the context can be refused without a tokenizer; the rest is Together's call (403). */
  private checkContext(candidate: Candidate, request: ChatRequest): Candidate {
    const context = candidate.catalogModel?.contextLength;
    if (context && request.maxTokens && request.maxTokens > context) {
      const unavailable = new GatewayError('CONTEXT_LENGTH_EXCEEDED', `maxTokens ${request.maxTokens} exceeds ${candidate.model}'s context of ${context} tokens`, {
        details: { contextLength: context },
      });
      return { ...candidate, unavailable };
    }
    return candidate;
  }

  private open(input: ChatInput, caller: Caller, stream: boolean, signal: CancelSignal | undefined): Call {
    return this.calls.open(caller, { kind: 'chat', stream, model: String(input.model ?? ''), gateway: refusalGateway(this.gateways, input.provider) }, signal);
  }

  async complete(input: ChatInput, caller: Caller, signal?: CancelSignal): Promise<ChatResult> {
    const call = this.open(input, caller, false, signal);
    try {
      const request = await this.plan(input, call);
      await call.admit((admission, key, models) => admission.admit(key, request, models));
      const { value: answer, attempt } = await call.attempt((c, options) => c.gateway.provider.complete({ ...request, model: c.model }, call.signal, options));
      const sent = { ...request, model: attempt.candidate.model };
      const usageEstimated = answer.usage === null;
      const outputChars = answer.content.length + (answer.reasoning?.length ?? 0) + toolCallChars(answer.toolCalls);
      const usage = answer.usage ?? estimateUsage(sent, estimateTokens(outputChars));
      const finishReason = finishWithTools(answer.finishReason, answer.toolCalls.length > 0);
      const costUsd = computeCostUsd(usage, attempt.candidate.catalogModel?.pricing ?? null);
      attempt.succeed({ usage, usageEstimated, costUsd, ttftMs: null, finishReason, response: answer });
      return {
        id: answer.id,
        model: answer.model,
        provider: attempt.candidate.gateway.provider.name,
        content: answer.content,
        reasoning: answer.reasoning,
        toolCalls: answer.toolCalls,
        finishReason,
        usage,
        usageEstimated,
        costUsd,
        latencyMs: performance.now() - call.started,
        seed: answer.seed,
        attempts: call.attempts,
      };
    } catch (err) {
      call.fail(err);
      throw err;
    }
  }

  /**
   * Routes and calls the models until one has sent its first event (so validation, auth-like failures and a
   * model failing before its first event reject the subscription before it starts, or fall back), then
   * returns the event stream. Aborting `signal`, or `return()` on the stream, aborts the upstream at once.
   */
  async stream(input: ChatInput, caller: Caller, signal?: CancelSignal): Promise<AsyncGenerator<ChatStreamEvent>> {
    const call = this.open(input, caller, true, signal);
    try {
      const request = await this.plan(input, call);
      await call.admit((admission, key, models) => admission.admit(key, request, models));
      const { value: opened, attempt } = await call.attempt(async (c, options) =>
        openStream(await c.gateway.provider.stream({ ...request, model: c.model }, call.signal, options)),
      );
      return call.events(this.relay(attempt, { ...request, model: attempt.candidate.model }, opened), () => void opened.iterator.return?.()?.catch(() => undefined));
    } catch (err) {
      call.fail(err);
      throw err;
    }
  }

  private async *relay(attempt: Attempt, request: ChatRequest, opened: OpenedStream): AsyncGenerator<ChatStreamEvent> {
    let id = '';
    let model = request.model;
    let finishReason: FinishReason | null = null;
    let usage: Usage | null = null;
    let seed: string | null = null;
    let calledTools = false;
    /** Chunks with any output (answer, reasoning or tool call): roughly one token each, for estimates. */
    let outputChunks = 0;
    /** The answer's text, kept only for a span that records content (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT). */
    let content: string | undefined = attempt.capturesContent ? '' : undefined;
    const ttftMs = opened.firstOutputAt === null ? null : opened.firstOutputAt - attempt.started;
    const pricing = attempt.candidate.catalogModel?.pricing ?? null;
    let ended = opened.ended;
    const partial = () => {
      if (outputChunks === 0) return null;
      const estimated = estimateUsage(request, outputChunks);
      return { usage: estimated, usageEstimated: true, costUsd: computeCostUsd(estimated, pricing), ttftMs, finishReason: null };
    };
    try {
      let i = 0;
      for (;;) {
        let chunk: ProviderStreamChunk;
        if (i < opened.head.length) chunk = opened.head[i++]!;
        else if (ended) break;
        else {
          const next = await opened.iterator.next();
          if (next.done) {
            ended = true;
            break;
          }
          chunk = next.value;
        }
        if (chunk.id) id = chunk.id;
        if (chunk.model) model = chunk.model;
        // Together may repeat `finish_reason` (tool calls: on the arguments chunk and on the usage chunk): the first one counts.
        finishReason ??= chunk.finishReason;
        if (chunk.usage) usage = chunk.usage;
        if (chunk.seed !== null) seed = chunk.seed;
        if (!hasOutput(chunk)) continue;
        outputChunks++;
        if (content !== undefined) content += chunk.delta;
        if (chunk.toolCallDeltas.length > 0) calledTools = true;
        yield {
          delta: chunk.delta,
          reasoningDelta: chunk.reasoningDelta,
          toolCallDeltas: chunk.toolCallDeltas,
          finishReason: null,
          usage: null,
          usageEstimated: false,
          costUsd: null,
          done: false,
          id,
          model,
          seed: null,
        };
      }
      if (!finishReason) {
        throw new GatewayError('UPSTREAM_UNAVAILABLE', 'Together ended the stream before it finished');
      }
      finishReason = finishWithTools(finishReason, calledTools);
      const usageEstimated = usage === null;
      const finalUsage = usage ?? estimateUsage(request, outputChunks);
      const costUsd = computeCostUsd(finalUsage, pricing);
      attempt.succeed({ usage: finalUsage, usageEstimated, costUsd, ttftMs, finishReason, response: { id, model, content } });
      yield { delta: '', reasoningDelta: '', toolCallDeltas: [], finishReason, usage: finalUsage, usageEstimated, costUsd, done: true, id, model, seed };
    } catch (err) {
      attempt.fail(err, partial());
      throw err;
    } finally {
      // The consumer stopped early (unsubscribe, disconnect): its tokens so far are still billed by Together.
      if (!attempt.finished) attempt.fail(new CancelledError(), partial());
      // Left before the end: close Together's response so its socket does not stream on.
      if (!ended) void opened.iterator.return?.()?.catch(() => undefined);
    }
  }
}
