/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/**
 * One chat request. There is deliberately no `n` (several choices per request): one choice keeps `content`,
 * `toolCalls` and the stream's deltas unambiguous (no choice index on every field and event) and keeps cost
 * and usage per answer; a client that wants several answers sends several requests (in parallel).
 * Every field is validated before Together is called: a bad value is BAD_USER_INPUT with `extensions.field`.
 */
export type ChatCompletionInput = {
  /**
   * Models tried in order (at most 4, no repeats) when `model` fails with UPSTREAM_UNAVAILABLE, UPSTREAM_TIMEOUT,
   * Together's own RATE_LIMITED, MODEL_NOT_FOUND or CONTEXT_LENGTH_EXCEEDED; never after the caller's own errors,
   * the key's limits or a cancellation. A stream falls back only before its first event. One deadline covers all
   * attempts; only the last model retries. ChatCompletion.attempts lists what was tried.
   */
  fallbackModels?: Array<string> | null | undefined;
  /** -2 to 2. Positive values penalise tokens in proportion to how often they already appeared. */
  frequencyPenalty?: number | null | undefined;
  /** ≥ 1, and not over the model's context length. */
  maxTokens?: number | null | undefined;
  /** At least one message with text. */
  messages: Array<ChatMessageInput>;
  /** A catalog id, e.g. `meta-llama/Llama-3.3-70B-Instruct-Turbo`. */
  model: string;
  /** -2 to 2. Positive values penalise tokens that already appeared at all, nudging the model to new topics. */
  presencePenalty?: number | null | undefined;
  /** Optional; resolved from the catalog when absent. A named provider passes the model through unchecked. */
  provider?: string | null | undefined;
  /** Above 0 (1 = no penalty; Together's own parameter). Values above 1 discourage repeating tokens. */
  repetitionPenalty?: number | null | undefined;
  /** JSON mode or a JSON schema the answer must follow. */
  responseFormat?: ResponseFormatInput | null | undefined;
  /** Ask for reproducible sampling, where the model supports it. */
  seed?: number | null | undefined;
  /** Up to 4 sequences. */
  stop?: Array<string> | null | undefined;
  /** 0 to 2. */
  temperature?: number | null | undefined;
  /** How the model may use `tools`; the default is AUTO when tools are given. */
  toolChoice?: ToolChoiceInput | null | undefined;
  /** Functions the model may call instead of (or before) answering. See ChatCompletion.toolCalls for the loop. */
  tools?: Array<ToolInput> | null | undefined;
  /** 0 to 1. */
  topP?: number | null | undefined;
  /** Your id for the end user (at most 256 characters), passed through to Together as OpenAI's `user` field. */
  user?: string | null | undefined;
};

export type ChatMessageInput = {
  /**
   * The message text. May be "" for an ASSISTANT message that carries `toolCalls` (a turn in which the model
   * only called tools: send back the `content` it gave, which is "" then). At least one message of the
   * request must have some text.
   */
  content: string;
  name?: string | null | undefined;
  role: ChatRole;
  /**
   * TOOL only, and required there: the `id` of the tool call (from an earlier ASSISTANT message's `toolCalls`)
   * whose result this message's `content` is.
   */
  toolCallId?: string | null | undefined;
  /**
   * ASSISTANT only: the tool calls the model made in that turn, sent back exactly as `ChatCompletion.toolCalls`
   * gave them (ids included), so that the TOOL messages that follow can answer them.
   */
  toolCalls?: Array<ToolCallInput> | null | undefined;
};

export type ChatRole =
  | 'ASSISTANT'
  | 'SYSTEM'
  | 'TOOL'
  | 'USER';

export type EmbedInput = {
  /** The vector size, passed through to Together for models that support a choice (the others answer with their own size, or a 400). */
  dimensions?: number | null | undefined;
  /** EMBEDDING models tried in order when `model` fails as chat's fallbackModels do (at most 4). */
  fallbackModels?: Array<string> | null | undefined;
  /** The texts (1 to 2048, none empty); one vector each, in this order, from one upstream call. */
  input: Array<string>;
  /** An EMBEDDING model of the catalog, e.g. `BAAI/bge-base-en-v1.5`. */
  model: string;
  /** Optional; resolved from the catalog when absent. */
  provider?: string | null | undefined;
};

export type FinishReason =
  | 'CANCELLED'
  | 'CONTENT_FILTER'
  | 'ERROR'
  | 'LENGTH'
  | 'STOP'
  | 'TOOL_CALLS';

export type FunctionCallInput = {
  /** The arguments as the model wrote them (JSON text, sent back verbatim, not re-validated). */
  arguments: string;
  name: string;
};

export type FunctionDefinitionInput = {
  /** What the function does: the model reads this to decide when to call it. */
  description?: string | null | undefined;
  /** 1 to 64 characters of a-z, A-Z, 0-9, _ and -; unique within `tools`. */
  name: string;
  /**
   * The function's parameters as a JSON Schema object, as JSON text, e.g.
   * `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`. Omit for a function
   * without parameters. Must parse as JSON and be an object (else BAD_USER_INPUT with `field`
   * `tools.<i>.function.parameters`).
   *
   * A String rather than a custom JSON scalar: every GraphQL client and code generator handles it with no
   * scalar mapping, it is exactly what an OpenAI-style client already holds (a schema serialised by Zod,
   * Pydantic, …), and it mirrors `arguments`, which has to be text because models can write invalid JSON.
   * The gateway parses it once and forwards the object to Together.
   */
  parameters?: string | null | undefined;
  /** Ask the model to follow the schema exactly, where Together supports it. */
  strict?: boolean | null | undefined;
};

export type ImageFormat =
  /** The image bytes, base64. */
  | 'BASE64'
  /** A link to the image on Together's storage (it expires: fetch or keep it soon). */
  | 'URL';

export type ImageInput = {
  /** IMAGE models tried in order when `model` fails as chat's fallbackModels do (at most 4). */
  fallbackModels?: Array<string> | null | undefined;
  format?: ImageFormat | null | undefined;
  height?: number | null | undefined;
  /** An IMAGE model of the catalog, e.g. `black-forest-labs/FLUX.1-schnell`. */
  model: string;
  /** How many images (1 to 10; default 1). */
  n?: number | null | undefined;
  /** What the image should not show. */
  negativePrompt?: string | null | undefined;
  prompt: string;
  provider?: string | null | undefined;
  /** Same seed, same prompt: the same image. */
  seed?: number | null | undefined;
  /** Diffusion steps (the model's default when absent). */
  steps?: number | null | undefined;
  /** Pixels (Together's default 1024; Together accepts 512 to 2048 in multiples of 16 for most models). */
  width?: number | null | undefined;
};

/** What a model does, from Together's `type`. Anything Together adds later is `OTHER`. */
export type ModelType =
  | 'AUDIO'
  | 'CHAT'
  | 'CODE'
  | 'EMBEDDING'
  | 'IMAGE'
  | 'LANGUAGE'
  | 'MODERATION'
  | 'OTHER'
  | 'RERANK'
  | 'TRANSCRIBE'
  | 'VIDEO';

export type RerankInput = {
  /** 1 to 1000 texts to rank. (REST's /v1/rerank also takes objects.) */
  documents: Array<string>;
  /** RERANK models tried in order when `model` fails as chat's fallbackModels do (at most 4). */
  fallbackModels?: Array<string> | null | undefined;
  /** A RERANK model of the catalog, e.g. `Salesforce/Llama-Rank-V1`. */
  model: string;
  provider?: string | null | undefined;
  query: string;
  /** Return each document's text with its result (`RerankHit.document`). */
  returnDocuments?: boolean | null | undefined;
  /** Keep only the best N results; all by default. */
  topN?: number | null | undefined;
};

/** The answer's format. Tell the model to answer in JSON in the prompt as well: that is what Together advises. */
export type ResponseFormatInput = {
  /** JSON_SCHEMA only: the schema's name (1 to 64 of a-z, A-Z, 0-9, _ and -); default `response`. */
  name?: string | null | undefined;
  /**
   * A JSON Schema object as JSON text (a String, like `FunctionDefinitionInput.parameters`, for the same
   * reasons). Required for JSON_SCHEMA, optional for JSON_OBJECT, not allowed for TEXT. Must parse as a JSON
   * object (else BAD_USER_INPUT, `field` `responseFormat.schema`).
   */
  schema?: string | null | undefined;
  /** JSON_SCHEMA only: ask for exact adherence where Together supports it. */
  strict?: boolean | null | undefined;
  type: ResponseFormatType;
};

export type ResponseFormatType =
  /** JSON mode: the answer is a JSON object. Optionally constrained by `schema` (Together's own form). */
  | 'JSON_OBJECT'
  /** Structured output: the answer is a JSON object matching `schema` (required). */
  | 'JSON_SCHEMA'
  /** Plain text (the default). */
  | 'TEXT';

export type StatsScope =
  /** Every key's usage (admin keys). */
  | 'ALL_KEYS'
  /** Only the calling key's usage. */
  | 'OWN_KEY';

export type TimeRange =
  | 'ALL'
  | 'LAST_1H'
  | 'LAST_7D'
  | 'LAST_24H'
  | 'LAST_30D';

export type ToolCallInput = {
  function: FunctionCallInput;
  id: string;
  type?: ToolType | null | undefined;
};

/**
 * How the model may use `tools`. Set exactly one of `mode` and `functionName`. REQUIRED and `functionName` need
 * `tools` (and the function must be one of them); NONE and AUTO without tools are accepted and not sent.
 */
export type ToolChoiceInput = {
  /** Force a call to this function of `tools`. */
  functionName?: string | null | undefined;
  mode?: ToolChoiceMode | null | undefined;
};

export type ToolChoiceMode =
  /** The model decides (Together's default when tools are given). */
  | 'AUTO'
  /** Never call a tool; answer with text. */
  | 'NONE'
  /** Call at least one tool. */
  | 'REQUIRED';

/** A function the model may call (up to 128 per request). */
export type ToolInput = {
  function: FunctionDefinitionInput;
  type?: ToolType | null | undefined;
};

/** The kind of a tool. Only functions exist today. */
export type ToolType =
  | 'FUNCTION';

export type CatalogQueryVariables = Exact<{
  type?: ModelType | null | undefined;
  search?: string | null | undefined;
}>;


export type CatalogQuery = { models: Array<{ id: string, name: string, organization: string | null, type: ModelType, contextLength: number | null, pricing: { inputPerMillion: number, outputPerMillion: number } | null }> };

export type ChatStreamSubscriptionVariables = Exact<{
  input: ChatCompletionInput;
}>;


export type ChatStreamSubscription = { chatStream: { delta: string, reasoningDelta: string, done: boolean, finishReason: FinishReason | null, costUsd: number | null, usage: { promptTokens: number, completionTokens: number, totalTokens: number, estimated: boolean } | null } };

export type ChatMutationVariables = Exact<{
  input: ChatCompletionInput;
}>;


export type ChatMutation = { chatCompletion: { id: string, model: string, provider: string, content: string, reasoning: string | null, finishReason: FinishReason, costUsd: number | null, latencyMs: number, usage: { promptTokens: number, completionTokens: number, totalTokens: number, cachedTokens: number | null, reasoningTokens: number | null, estimated: boolean } } };

export type DashboardQueryVariables = Exact<{
  timeRange: TimeRange;
}>;


export type DashboardQuery = { gatewayStats: { gateway: string, timeRange: TimeRange, scope: StatsScope, totalRequests: number, totalTokens: number, promptTokens: number, completionTokens: number, totalCostUsd: number, uniqueModels: number, uniqueKeys: number, avgLatencyMs: number | null, avgTokensPerSecond: number | null, errorRate: number, cancelledRequests: number, latencyP50Ms: number | null, latencyP95Ms: number | null, ttftP50Ms: number | null, ttftP95Ms: number | null, bucketSeconds: number, series: Array<{ start: string, requests: number, totalTokens: number, costUsd: number, errors: number, latencyP50Ms: number | null, latencyP95Ms: number | null, ttftP50Ms: number | null, ttftP95Ms: number | null }>, byModel: Array<{ model: string, requests: number, totalTokens: number, costUsd: number, avgLatencyMs: number | null, errorRate: number }>, byKey: Array<{ revoked: boolean, requests: number, totalTokens: number, costUsd: number, errorRate: number, key: { id: string, name: string, prefix: string, isAdmin: boolean, budgetUsd: number | null, spendUsd: number, remainingBudgetUsd: number | null } }> }, me: { name: string, prefix: string, isAdmin: boolean, budgetUsd: number | null, spendUsd: number, remainingBudgetUsd: number | null, rpm: number | null } };

export type EmbedMutationVariables = Exact<{
  input: EmbedInput;
}>;


export type EmbedMutation = { embed: { model: string, provider: string, costUsd: number | null, latencyMs: number, embeddings: Array<{ index: number, vector: Array<number> }>, usage: { promptTokens: number, totalTokens: number, estimated: boolean } } };

export type GenerateImageMutationVariables = Exact<{
  input: ImageInput;
}>;


export type GenerateImageMutation = { generateImage: { model: string, provider: string, costUsd: number | null, latencyMs: number, images: Array<{ index: number, url: string | null, base64: string | null }> } };

export type ModelByIdQueryVariables = Exact<{
  id: string;
}>;


export type ModelByIdQuery = { model: { id: string, name: string, gateway: string, organization: string | null, type: ModelType, contextLength: number | null, license: string | null, link: string | null, createdAt: string | null, pricing: { inputPerMillion: number, outputPerMillion: number, inputPerToken: number, outputPerToken: number, cachedInputPerMillion: number | null, hourly: number | null } | null } | null };

export type RerankMutationVariables = Exact<{
  input: RerankInput;
}>;


export type RerankMutation = { rerank: { model: string, provider: string, costUsd: number | null, latencyMs: number, results: Array<{ index: number, relevanceScore: number, document: string | null }>, usage: { promptTokens: number, totalTokens: number } } };


export const CatalogDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Catalog"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"type"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ModelType"}},"defaultValue":{"kind":"EnumValue","value":"CHAT"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"search"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"models"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"type"},"value":{"kind":"Variable","name":{"kind":"Name","value":"type"}}},{"kind":"Argument","name":{"kind":"Name","value":"search"},"value":{"kind":"Variable","name":{"kind":"Name","value":"search"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"organization"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"contextLength"}},{"kind":"Field","name":{"kind":"Name","value":"pricing"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"inputPerMillion"}},{"kind":"Field","name":{"kind":"Name","value":"outputPerMillion"}}]}}]}}]}}]} as unknown as DocumentNode<CatalogQuery, CatalogQueryVariables>;
export const ChatStreamDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"ChatStream"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ChatCompletionInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"chatStream"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"delta"}},{"kind":"Field","name":{"kind":"Name","value":"reasoningDelta"}},{"kind":"Field","name":{"kind":"Name","value":"done"}},{"kind":"Field","name":{"kind":"Name","value":"finishReason"}},{"kind":"Field","name":{"kind":"Name","value":"costUsd"}},{"kind":"Field","name":{"kind":"Name","value":"usage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"promptTokens"}},{"kind":"Field","name":{"kind":"Name","value":"completionTokens"}},{"kind":"Field","name":{"kind":"Name","value":"totalTokens"}},{"kind":"Field","name":{"kind":"Name","value":"estimated"}}]}}]}}]}}]} as unknown as DocumentNode<ChatStreamSubscription, ChatStreamSubscriptionVariables>;
export const ChatDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Chat"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ChatCompletionInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"chatCompletion"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"content"}},{"kind":"Field","name":{"kind":"Name","value":"reasoning"}},{"kind":"Field","name":{"kind":"Name","value":"finishReason"}},{"kind":"Field","name":{"kind":"Name","value":"costUsd"}},{"kind":"Field","name":{"kind":"Name","value":"latencyMs"}},{"kind":"Field","name":{"kind":"Name","value":"usage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"promptTokens"}},{"kind":"Field","name":{"kind":"Name","value":"completionTokens"}},{"kind":"Field","name":{"kind":"Name","value":"totalTokens"}},{"kind":"Field","name":{"kind":"Name","value":"cachedTokens"}},{"kind":"Field","name":{"kind":"Name","value":"reasoningTokens"}},{"kind":"Field","name":{"kind":"Name","value":"estimated"}}]}}]}}]}}]} as unknown as DocumentNode<ChatMutation, ChatMutationVariables>;
export const DashboardDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Dashboard"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"timeRange"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"TimeRange"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"gatewayStats"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"timeRange"},"value":{"kind":"Variable","name":{"kind":"Name","value":"timeRange"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"gateway"}},{"kind":"Field","name":{"kind":"Name","value":"timeRange"}},{"kind":"Field","name":{"kind":"Name","value":"scope"}},{"kind":"Field","name":{"kind":"Name","value":"totalRequests"}},{"kind":"Field","name":{"kind":"Name","value":"totalTokens"}},{"kind":"Field","name":{"kind":"Name","value":"promptTokens"}},{"kind":"Field","name":{"kind":"Name","value":"completionTokens"}},{"kind":"Field","name":{"kind":"Name","value":"totalCostUsd"}},{"kind":"Field","name":{"kind":"Name","value":"uniqueModels"}},{"kind":"Field","name":{"kind":"Name","value":"uniqueKeys"}},{"kind":"Field","name":{"kind":"Name","value":"avgLatencyMs"}},{"kind":"Field","name":{"kind":"Name","value":"avgTokensPerSecond"}},{"kind":"Field","name":{"kind":"Name","value":"errorRate"}},{"kind":"Field","name":{"kind":"Name","value":"cancelledRequests"}},{"kind":"Field","name":{"kind":"Name","value":"latencyP50Ms"}},{"kind":"Field","name":{"kind":"Name","value":"latencyP95Ms"}},{"kind":"Field","name":{"kind":"Name","value":"ttftP50Ms"}},{"kind":"Field","name":{"kind":"Name","value":"ttftP95Ms"}},{"kind":"Field","name":{"kind":"Name","value":"bucketSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"series"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"start"}},{"kind":"Field","name":{"kind":"Name","value":"requests"}},{"kind":"Field","name":{"kind":"Name","value":"totalTokens"}},{"kind":"Field","name":{"kind":"Name","value":"costUsd"}},{"kind":"Field","name":{"kind":"Name","value":"errors"}},{"kind":"Field","name":{"kind":"Name","value":"latencyP50Ms"}},{"kind":"Field","name":{"kind":"Name","value":"latencyP95Ms"}},{"kind":"Field","name":{"kind":"Name","value":"ttftP50Ms"}},{"kind":"Field","name":{"kind":"Name","value":"ttftP95Ms"}}]}},{"kind":"Field","name":{"kind":"Name","value":"byModel"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"requests"}},{"kind":"Field","name":{"kind":"Name","value":"totalTokens"}},{"kind":"Field","name":{"kind":"Name","value":"costUsd"}},{"kind":"Field","name":{"kind":"Name","value":"avgLatencyMs"}},{"kind":"Field","name":{"kind":"Name","value":"errorRate"}}]}},{"kind":"Field","name":{"kind":"Name","value":"byKey"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revoked"}},{"kind":"Field","name":{"kind":"Name","value":"requests"}},{"kind":"Field","name":{"kind":"Name","value":"totalTokens"}},{"kind":"Field","name":{"kind":"Name","value":"costUsd"}},{"kind":"Field","name":{"kind":"Name","value":"errorRate"}},{"kind":"Field","name":{"kind":"Name","value":"key"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"prefix"}},{"kind":"Field","name":{"kind":"Name","value":"isAdmin"}},{"kind":"Field","name":{"kind":"Name","value":"budgetUsd"}},{"kind":"Field","name":{"kind":"Name","value":"spendUsd"}},{"kind":"Field","name":{"kind":"Name","value":"remainingBudgetUsd"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"prefix"}},{"kind":"Field","name":{"kind":"Name","value":"isAdmin"}},{"kind":"Field","name":{"kind":"Name","value":"budgetUsd"}},{"kind":"Field","name":{"kind":"Name","value":"spendUsd"}},{"kind":"Field","name":{"kind":"Name","value":"remainingBudgetUsd"}},{"kind":"Field","name":{"kind":"Name","value":"rpm"}}]}}]}}]} as unknown as DocumentNode<DashboardQuery, DashboardQueryVariables>;
export const EmbedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Embed"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"EmbedInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"embed"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"embeddings"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"vector"}}]}},{"kind":"Field","name":{"kind":"Name","value":"usage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"promptTokens"}},{"kind":"Field","name":{"kind":"Name","value":"totalTokens"}},{"kind":"Field","name":{"kind":"Name","value":"estimated"}}]}},{"kind":"Field","name":{"kind":"Name","value":"costUsd"}},{"kind":"Field","name":{"kind":"Name","value":"latencyMs"}}]}}]}}]} as unknown as DocumentNode<EmbedMutation, EmbedMutationVariables>;
export const GenerateImageDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"GenerateImage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ImageInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"generateImage"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"images"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"base64"}}]}},{"kind":"Field","name":{"kind":"Name","value":"costUsd"}},{"kind":"Field","name":{"kind":"Name","value":"latencyMs"}}]}}]}}]} as unknown as DocumentNode<GenerateImageMutation, GenerateImageMutationVariables>;
export const ModelByIdDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ModelById"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"model"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"gateway"}},{"kind":"Field","name":{"kind":"Name","value":"organization"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"contextLength"}},{"kind":"Field","name":{"kind":"Name","value":"license"}},{"kind":"Field","name":{"kind":"Name","value":"link"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"pricing"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"inputPerMillion"}},{"kind":"Field","name":{"kind":"Name","value":"outputPerMillion"}},{"kind":"Field","name":{"kind":"Name","value":"inputPerToken"}},{"kind":"Field","name":{"kind":"Name","value":"outputPerToken"}},{"kind":"Field","name":{"kind":"Name","value":"cachedInputPerMillion"}},{"kind":"Field","name":{"kind":"Name","value":"hourly"}}]}}]}}]}}]} as unknown as DocumentNode<ModelByIdQuery, ModelByIdQueryVariables>;
export const RerankDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Rerank"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RerankInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"rerank"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"results"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"relevanceScore"}},{"kind":"Field","name":{"kind":"Name","value":"document"}}]}},{"kind":"Field","name":{"kind":"Name","value":"usage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"promptTokens"}},{"kind":"Field","name":{"kind":"Name","value":"totalTokens"}}]}},{"kind":"Field","name":{"kind":"Name","value":"costUsd"}},{"kind":"Field","name":{"kind":"Name","value":"latencyMs"}}]}}]}}]} as unknown as DocumentNode<RerankMutation, RerankMutationVariables>;