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
  /** Whether the per-token prices apply: false for a model an operator priced only per image or megapixel. */
  perToken: boolean;
  /** USD per 1M input tokens, exactly as the provider lists it (0 when not perToken). */
  inputPerMillion: number;
  outputPerMillion: number;
  /** inputPerMillion / 1e6. */
  inputPerToken: number;
  outputPerToken: number;
  /** USD per 1M cached input tokens, when listed (newer catalog schema). */
  cachedInputPerMillion: number | null;
  /** Dedicated-endpoint price per hour; null when 0 or absent. */
  hourly: number | null;
  /** USD per generated image (image models, from PRICE_OVERRIDES_FILE); null when not priced per image. */
  perImage: number | null;
  /** USD per megapixel generated (width × height / 1e6 per image); null when not priced so. */
  perMegapixel: number | null;
  /** Where the prices come from: Together's model list, or the operator's PRICE_OVERRIDES_FILE over it. */
  source: 'TOGETHER' | 'OPERATOR';
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

/** A function call the model asked for (OpenAI's `tool_calls[]`). `arguments` is JSON text as the model wrote it. */
export interface ToolCall {
  id: string;
  type: 'FUNCTION';
  function: { name: string; arguments: string };
}

/**
 * One streamed piece of a tool call. The first piece of a call carries `id` and `name`; later pieces only
 * `argumentsDelta`. Pieces with the same `index` belong to the same call: concatenate their argumentsDelta.
 */
export interface ToolCallDelta {
  index: number;
  id: string | null;
  name: string | null;
  argumentsDelta: string;
}

export interface ChatMessage {
  role: ChatRole;
  /** "" for an assistant turn that only called tools. */
  content: string;
  name?: string | undefined;
  /** ASSISTANT only: the calls the model made in that turn, sent back verbatim. */
  toolCalls?: ToolCall[] | undefined;
  /** TOOL only: the id of the call this message answers. */
  toolCallId?: string | undefined;
}

/** A function the model may call. `parameters` is a JSON Schema object (already parsed and checked). */
export interface ToolDefinition {
  type: 'FUNCTION';
  name: string;
  description?: string | undefined;
  parameters?: Record<string, unknown> | undefined;
  strict?: boolean | undefined;
}

/** How the model may use the tools: a mode, or one named function it must call. */
export type ToolChoice = 'NONE' | 'AUTO' | 'REQUIRED' | { functionName: string };

export type ResponseFormat =
  | { type: 'TEXT' }
  /** JSON mode; Together also accepts a schema here (its older structured-output form). */
  | { type: 'JSON_OBJECT'; schema?: Record<string, unknown> | undefined }
  | { type: 'JSON_SCHEMA'; name: string; schema: Record<string, unknown>; strict?: boolean | undefined };

/** A validated chat request: what every face hands to `chat/`. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  topP?: number | undefined;
  stop?: string[] | undefined;
  seed?: number | undefined;
  tools?: ToolDefinition[] | undefined;
  toolChoice?: ToolChoice | undefined;
  responseFormat?: ResponseFormat | undefined;
  presencePenalty?: number | undefined;
  frequencyPenalty?: number | undefined;
  repetitionPenalty?: number | undefined;
  user?: string | undefined;
}

export interface Usage {
  promptTokens: number;
  /** Includes the reasoning tokens: Together bills them as output. */
  completionTokens: number;
  totalTokens: number;
  /** Part of promptTokens that Together served from its prompt cache. */
  cachedTokens?: number | undefined;
  /** Part of completionTokens spent thinking, when Together reports it. */
  reasoningTokens?: number | undefined;
}

export interface ProviderCompletion {
  id: string;
  /** The model Together says answered (may differ from the one requested, e.g. a `-cached` suffix). */
  model: string;
  content: string;
  reasoning: string | null;
  /** Empty when the model called no tool. */
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  /** Null when the provider sent no usage (the caller estimates and says so). */
  usage: Usage | null;
  /**
   * The sampling seed Together reports, as the exact decimal digits it sent (it exceeds 2^53, so a JS number
   * would round it). Null when absent.
   */
  seed: string | null;
}

/** One upstream stream chunk, reduced to what the gateway uses. */
export interface ProviderStreamChunk {
  id?: string | undefined;
  model?: string | undefined;
  delta: string;
  reasoningDelta: string;
  toolCallDeltas: ToolCallDelta[];
  finishReason: FinishReason | null;
  usage: Usage | null;
  /** Exact decimal digits, see ProviderCompletion.seed. */
  seed: string | null;
}

/** A validated embeddings request: every input is embedded, in order, in one upstream call. */
export interface EmbeddingRequest {
  model: string;
  input: string[];
  /** Passed through to Together; models that do not support it answer with their own size (or a 400). */
  dimensions?: number | undefined;
}

export interface ProviderEmbeddings {
  model: string;
  /** One vector per input, in input order (whatever order Together listed them in). */
  vectors: number[][];
  /** Null when Together sent none (its embeddings API lists none): the caller estimates. */
  usage: Usage | null;
}

/** A document to rank: text, or an object (REST; Together ranks its JSON, or the `rankFields` of it). */
export type RerankDocument = string | Record<string, unknown>;

export interface RerankRequest {
  model: string;
  query: string;
  documents: RerankDocument[];
  topN?: number | undefined;
  returnDocuments?: boolean | undefined;
  rankFields?: string[] | undefined;
}

export interface RerankHit {
  /** Position of the document in the request. */
  index: number;
  relevanceScore: number;
  /** The document's text as Together returns it (objects as JSON text); null unless returnDocuments. */
  document: string | null;
}

export interface ProviderRerank {
  id: string;
  model: string;
  /** Best first. */
  results: RerankHit[];
  usage: Usage | null;
}

export type ImageFormat = 'URL' | 'BASE64';

export interface ImageRequest {
  model: string;
  prompt: string;
  /** Images to make (Together's default 1). */
  n?: number | undefined;
  /** Pixels (Together's default 1024 × 1024). */
  width?: number | undefined;
  height?: number | undefined;
  steps?: number | undefined;
  seed?: number | undefined;
  negativePrompt?: string | undefined;
  format: ImageFormat;
}

export interface GeneratedImage {
  index: number;
  url: string | null;
  base64: string | null;
}

export interface ProviderImages {
  id: string;
  model: string;
  images: GeneratedImage[];
}

/**
 * What the call owner (src/chat/call.ts) asks of one upstream attempt: its share of the call's one deadline,
 * and whether it may retry (not while a fallback model is waiting: that one is tried at once instead).
 * Absent fields take the provider's own defaults.
 */
export interface AttemptOptions {
  /** Milliseconds left until the upstream's first byte, across this attempt's retries. */
  deadlineMs?: number | undefined;
  /** Retries after the first try (0: none). */
  maxRetries?: number | undefined;
}

export interface ChatProvider {
  /** The gateway name clients use (`provider` / `gateway` arguments). */
  readonly name: string;
  listModels(signal?: AbortSignal): Promise<CatalogModel[]>;
  complete(request: ChatRequest, signal: AbortSignal, options?: AttemptOptions): Promise<ProviderCompletion>;
  /**
   * Resolves once Together has answered with a stream (retries and the first-byte deadline are behind
   * this point), then yields chunks as they arrive. Throws GatewayError on any failure.
   */
  stream(request: ChatRequest, signal: AbortSignal, options?: AttemptOptions): Promise<AsyncIterable<ProviderStreamChunk>>;
  /** The other kinds of model (absent on a provider that only chats). Same retries and deadline as complete(). */
  embed?(request: EmbeddingRequest, signal: AbortSignal, options?: AttemptOptions): Promise<ProviderEmbeddings>;
  rerank?(request: RerankRequest, signal: AbortSignal, options?: AttemptOptions): Promise<ProviderRerank>;
  generateImages?(request: ImageRequest, signal: AbortSignal, options?: AttemptOptions): Promise<ProviderImages>;
  /** The circuit breaker of the provider's catalog calls, when it has one (model calls have one per model, in the call owner). */
  readonly breaker?: { readonly state: BreakerState; snapshot(): BreakerSnapshot };
  /** Releases the provider's connections at shutdown, after the last call. */
  close?(): Promise<void>;
}
