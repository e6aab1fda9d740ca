import type { Logger } from 'pino';
import type { CatalogModel, ChatRequest, FinishReason, ProviderStreamChunk, ToolCall, ToolCallDelta, Usage } from '../domain.ts';
import { CancelledError, GatewayError } from '../core/errors.ts';
import type { Gateway, GatewayRegistry } from '../catalog/registry.ts';
import type { ActivityRecorder } from '../usage/activity.ts';
import type { Admission } from '../auth/admission.ts';
import type { AuthenticatedKey } from '../auth/keys.ts';
import type { BudgetTicket } from '../auth/limits.ts';
import { closeUnstarted } from '../core/iterators.ts';
import { type CallOutcome, CallLog, type LoggedCall } from './call-log.ts';
import { computeCostUsd } from '../usage/cost.ts';
import { estimateTokens, estimateUsage, toolCallChars } from '../usage/estimate.ts';
import { type ChatInput, type ChatLimits, validateChatInput } from './validate.ts';

export interface ChatCaller {
  requestId: string;
  keyId: string | null;
  /** The authenticated gateway key; admission (rpm, budget) needs it. */
  key?: AuthenticatedKey | null;
  /** When given, filled in with when the provider was called and answered: the REST overhead header needs them. */
  timing?: UpstreamTiming;
}

/** performance.now() marks around the provider call (for streams, `answeredAt` is Together's first byte). */
export interface UpstreamTiming {
  calledAt?: number;
  answeredAt?: number;
}

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

interface Route {
  gateway: Gateway;
  request: ChatRequest;
  /** Null when an explicit provider was named and the model is not (yet) in its catalog. */
  model: CatalogModel | null;
}

/**
 * Some models call a tool and still say `stop`. A client loops on TOOL_CALLS, so a turn with tool calls says
 * so; a LENGTH (arguments cut short) is kept because the client must know the call is incomplete.
 */
const finishWithTools = (reason: FinishReason, calledTools: boolean): FinishReason => (calledTools && reason === 'STOP' ? 'TOOL_CALLS' : reason);

/**
 * Chat for every face: validates, routes to a provider (auto-detected from the catalogs when not named),
 * calls it, prices the result and writes exactly one activity row. GraphQL and REST both call this.
 */
export class ChatService {
  constructor(
    private readonly gateways: GatewayRegistry,
    private readonly recorder: ActivityRecorder,
    private readonly limits: ChatLimits,
    private readonly logger: Logger,
    /** Null only in tests of the chat path alone; the server always passes one. */
    private readonly admission: Admission | null = null,
  ) {
    this.calls = new CallLog(recorder, logger);
  }

  private readonly calls: CallLog;

  private admit(caller: ChatCaller, route: Route): Promise<BudgetTicket | null> {
    return this.admission ? this.admission.admit(caller.key ?? null, route.request, route.model) : Promise.resolve(null);
  }

  /** Validation and routing: everything that can fail before Together is called. */
  async route(input: ChatInput): Promise<Route> {
    const request = validateChatInput(input, this.limits);
    if (input.provider !== null && input.provider !== undefined) {
      const gateway = this.gateways.get(input.provider, 'provider');
      // A named provider passes the model through: the catalog may lag behind Together's new models.
      // Its price is still used when the catalog knows it.
      const model = await gateway.catalog.get(request.model).catch(() => null);
      return this.checkContext({ gateway, request: model ? { ...request, model: model.id } : request, model });
    }
    for (const gateway of this.gateways.all()) {
      const model = await gateway.catalog.get(request.model);
      if (model) return this.checkContext({ gateway, request: { ...request, model: model.id }, model });
    }
    throw new GatewayError('MODEL_NOT_FOUND', `Model "${request.model}" is not in the catalog of ${this.gateways.names.join(', ')}`, {
      details: { model: request.model },
    });
  }

  /** maxTokens alone over the context can be refused without a tokenizer; the rest is Together's call (403). */
  private checkContext(route: Route): Route {
    const context = route.model?.contextLength;
    if (context && route.request.maxTokens && route.request.maxTokens > context) {
      throw new GatewayError('CONTEXT_LENGTH_EXCEEDED', `maxTokens ${route.request.maxTokens} exceeds ${route.model?.id}'s context of ${context} tokens`, {
        details: { contextLength: context },
      });
    }
    return route;
  }

  async complete(input: ChatInput, caller: ChatCaller, signal: AbortSignal): Promise<ChatResult> {
    const started = performance.now();
    const at = Date.now();
    let route: Route | undefined;
    let ticket: BudgetTicket | null = null;
    try {
      route = await this.route(input);
      ticket = await this.admit(caller, route);
      if (caller.timing) caller.timing.calledAt = performance.now();
      const answer = await route.gateway.provider.complete(route.request, signal);
      if (caller.timing) caller.timing.answeredAt = performance.now();
      const usageEstimated = answer.usage === null;
      const outputChars = answer.content.length + (answer.reasoning?.length ?? 0) + toolCallChars(answer.toolCalls);
      const usage = answer.usage ?? estimateUsage(route.request, estimateTokens(outputChars));
      const latencyMs = performance.now() - started;
      const result: ChatResult = {
        id: answer.id,
        model: answer.model,
        provider: route.gateway.provider.name,
        content: answer.content,
        reasoning: answer.reasoning,
        toolCalls: answer.toolCalls,
        finishReason: finishWithTools(answer.finishReason, answer.toolCalls.length > 0),
        usage,
        usageEstimated,
        costUsd: computeCostUsd(usage, route.model?.pricing ?? null),
        latencyMs,
        seed: answer.seed,
      };
      this.record(caller, at, route, input, { stream: false, usage, usageEstimated, costUsd: result.costUsd, latencyMs, ttftMs: null, finishReason: result.finishReason }, ticket);
      return result;
    } catch (err) {
      this.recordFailure(caller, at, route, input, false, started, err, null, ticket);
      throw err;
    }
  }

  /**
   * Routes first (so validation and auth-like failures reject the subscription before it starts), then
   * returns the event stream. Aborting `signal` aborts the upstream request at once.
   */
  async stream(input: ChatInput, caller: ChatCaller, signal: AbortSignal): Promise<AsyncGenerator<ChatStreamEvent>> {
    const started = performance.now();
    const at = Date.now();
    let route: Route | undefined;
    let ticket: BudgetTicket | null = null;
    let upstream: AsyncIterable<ProviderStreamChunk>;
    try {
      route = await this.route(input);
      ticket = await this.admit(caller, route);
      if (caller.timing) caller.timing.calledAt = performance.now();
      upstream = await route.gateway.provider.stream(route.request, signal);
      if (caller.timing) caller.timing.answeredAt = performance.now();
    } catch (err) {
      this.recordFailure(caller, at, route, input, true, started, err, null, ticket);
      throw err;
    }
    const events = this.relay(route, upstream, caller, input, at, started, ticket);
    // A client that leaves while the subscription is being set up closes `events` before its first next():
    // relay() never runs, so its finally cannot write the row or close the upstream response. Do both here.
    const ready = route;
    return closeUnstarted(events, () => {
      this.recordFailure(caller, at, ready, input, true, started, new CancelledError(), { completionTokens: 0, ttftMs: null }, ticket);
      void (upstream as Partial<AsyncGenerator<ProviderStreamChunk>>).return?.(undefined)?.catch(() => undefined);
    });
  }

  private async *relay(
    route: Route,
    upstream: AsyncIterable<ProviderStreamChunk>,
    caller: ChatCaller,
    input: ChatInput,
    at: number,
    started: number,
    ticket: BudgetTicket | null,
  ): AsyncGenerator<ChatStreamEvent> {
    let id = '';
    let model = route.request.model;
    let finishReason: FinishReason | null = null;
    let usage: Usage | null = null;
    let seed: string | null = null;
    let calledTools = false;
    /** Chunks with any output (answer, reasoning or tool call): roughly one token each, for estimates. */
    let outputChunks = 0;
    let ttftMs: number | null = null;
    let recorded = false;
    try {
      for await (const chunk of upstream) {
        if (chunk.id) id = chunk.id;
        if (chunk.model) model = chunk.model;
        // Together may repeat `finish_reason` (tool calls: on the arguments chunk and on the usage chunk): the first one counts.
        finishReason ??= chunk.finishReason;
        if (chunk.usage) usage = chunk.usage;
        if (chunk.seed !== null) seed = chunk.seed;
        if (chunk.delta === '' && chunk.reasoningDelta === '' && chunk.toolCallDeltas.length === 0) continue;
        outputChunks++;
        if (chunk.toolCallDeltas.length > 0) calledTools = true;
        ttftMs ??= performance.now() - started;
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
      const finalUsage = usage ?? estimateUsage(route.request, outputChunks);
      const costUsd = computeCostUsd(finalUsage, route.model?.pricing ?? null);
      const latencyMs = performance.now() - started;
      recorded = true;
      this.record(caller, at, route, input, { stream: true, usage: finalUsage, usageEstimated, costUsd, latencyMs, ttftMs, finishReason }, ticket);
      yield { delta: '', reasoningDelta: '', toolCallDeltas: [], finishReason, usage: finalUsage, usageEstimated, costUsd, done: true, id, model, seed };
    } catch (err) {
      if (!recorded) {
        recorded = true;
        this.recordFailure(caller, at, route, input, true, started, err, { completionTokens: outputChunks, ttftMs }, ticket);
      }
      throw err;
    } finally {
      // The consumer stopped early (unsubscribe, disconnect): its tokens so far are still billed by Together.
      if (!recorded) this.recordFailure(caller, at, route, input, true, started, new CancelledError(), { completionTokens: outputChunks, ttftMs }, ticket);
    }
  }

  /** The call as the log sees it; before routing succeeded, the named (or first) gateway and the raw model. */
  private logged(caller: ChatCaller, at: number, route: Route | undefined, input: ChatInput, ticket: BudgetTicket | null): LoggedCall {
    const gateway = route?.gateway ?? this.gateways.all().find((g) => g.provider.name === (input.provider ?? '').toLowerCase()) ?? this.gateways.all()[0];
    return {
      requestId: caller.requestId,
      keyId: caller.keyId,
      at,
      gateway: gateway?.provider.name ?? String(input.provider ?? ''),
      model: route?.request.model || String(input.model ?? ''),
      request: route?.request ?? { model: String(input.model ?? ''), messages: [] },
      pricing: route?.model?.pricing ?? null,
      ticket,
    };
  }

  private record(caller: ChatCaller, at: number, route: Route, input: ChatInput, outcome: CallOutcome, ticket: BudgetTicket | null): void {
    this.calls.succeeded(this.logged(caller, at, route, input, ticket), outcome);
  }

  private recordFailure(
    caller: ChatCaller,
    at: number,
    route: Route | undefined,
    input: ChatInput,
    stream: boolean,
    started: number,
    err: unknown,
    partial: { completionTokens: number; ttftMs: number | null } | null,
    ticket: BudgetTicket | null = null,
  ): void {
    this.calls.failed(this.logged(caller, at, route, input, ticket), stream, started, err, partial);
  }
}
