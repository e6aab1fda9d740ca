/**
 * The gateway's own vocabulary, shared by catalog, chat, usage and the faces (GraphQL, REST).
 * Nothing here knows Together's wire format; providers translate into these shapes.
 */

import type { BreakerSnapshot, BreakerState } from './resilience/breaker.ts';

export type ModelType =
  | 'CHAT' | 'LANGUAGE' | 'CODE' | 'IMAGE' | 'VIDEO' | 'AUDIO' | 'TRANSCRIBE' | 'EMBEDDING' | 'MODERATION' | 'RERANK' | 'OTHER';

export type FinishReason = 'STOP' | 'LENGTH' | 'TOOL_CALLS' | 'CONTENT_FILTER' | 'ERROR' | 'CANCELLED';

export type ChatRole = 'SYSTEM' | 'USER' | 'ASSISTANT' | 'TOOL';

export interface ModelPricing {
  /** USD per 1M input tokens, exactly as the provider lists it. */
  inputPerMillion: number;
  outputPerMillion: number;
  /** inputPerMillion / 1e6. */
  inputPerToken: number;
  outputPerToken: number;
  /** USD per 1M cached input tokens, when listed (newer catalog schema). */
  cachedInputPerMillion: number | null;
  /** Dedicated-endpoint price per hour; null when 0 or absent. */
  hourly: number | null;
}

export interface CatalogModel {
  id: string;
  name: string;
  gateway: string;
  organization: string | null;
  type: ModelType;
  /** Null when the provider gives none or 0: never a made-up number. */
  contextLength: number | null;
  license: string | null;
  link: string | null;
  /** Unix seconds; null when the provider says 0 or nothing. */
  created: number | null;
  /** Null when the provider lists no usable per-token price (0/0 means "not priced per token", not free). */
  pricing: ModelPricing | null;
}

export interface ChatMessage {
  role: ChatRole;
  content: string;
  name?: string | undefined;
}

/** A validated chat request: what every face hands to `chat/`. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  topP?: number | undefined;
  stop?: string[] | undefined;
  seed?: number | undefined;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens?: number | undefined;
  reasoningTokens?: number | undefined;
}

export interface ProviderCompletion {
  id: string;
  /** The model Together says answered (may differ from the one requested, e.g. a `-cached` suffix). */
  model: string;
  content: string;
  reasoning: string | null;
  finishReason: FinishReason;
  /** Null when the provider sent no usage (the caller estimates and says so). */
  usage: Usage | null;
}

/** One upstream stream chunk, reduced to what the gateway uses. */
export interface ProviderStreamChunk {
  id?: string | undefined;
  model?: string | undefined;
  delta: string;
  reasoningDelta: string;
  finishReason: FinishReason | null;
  usage: Usage | null;
}

export interface ChatProvider {
  /** The gateway name clients use (`provider` / `gateway` arguments). */
  readonly name: string;
  listModels(signal?: AbortSignal): Promise<CatalogModel[]>;
  complete(request: ChatRequest, signal: AbortSignal): Promise<ProviderCompletion>;
  /**
   * Resolves once Together has answered with a stream (retries and the first-byte deadline are behind
   * this point), then yields chunks as they arrive. Throws GatewayError on any failure.
   */
  stream(request: ChatRequest, signal: AbortSignal): Promise<AsyncIterable<ProviderStreamChunk>>;
  /** The upstream's circuit breaker, when the provider has one: `state` and `snapshot()` for metrics. */
  readonly breaker?: { readonly state: BreakerState; snapshot(): BreakerSnapshot };
}
