/* eslint-disable */
import * as types from './graphql.ts';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query Catalog($type: ModelType = CHAT, $search: String) {\n  models(type: $type, search: $search) {\n    id\n    name\n    organization\n    type\n    contextLength\n    pricing {\n      inputPerMillion\n      outputPerMillion\n    }\n  }\n}": typeof types.CatalogDocument,
    "subscription ChatStream($input: ChatCompletionInput!) {\n  chatStream(input: $input) {\n    delta\n    reasoningDelta\n    done\n    finishReason\n    costUsd\n    usage {\n      promptTokens\n      completionTokens\n      totalTokens\n      estimated\n    }\n  }\n}": typeof types.ChatStreamDocument,
    "mutation Chat($input: ChatCompletionInput!) {\n  chatCompletion(input: $input) {\n    id\n    model\n    provider\n    content\n    reasoning\n    finishReason\n    costUsd\n    latencyMs\n    usage {\n      promptTokens\n      completionTokens\n      totalTokens\n      cachedTokens\n      reasoningTokens\n      estimated\n    }\n  }\n}": typeof types.ChatDocument,
    "query Dashboard($timeRange: TimeRange!) {\n  gatewayStats(timeRange: $timeRange) {\n    gateway\n    timeRange\n    scope\n    totalRequests\n    totalTokens\n    promptTokens\n    completionTokens\n    totalCostUsd\n    uniqueModels\n    uniqueKeys\n    avgLatencyMs\n    avgTokensPerSecond\n    errorRate\n    cancelledRequests\n    latencyP50Ms\n    latencyP95Ms\n    ttftP50Ms\n    ttftP95Ms\n    bucketSeconds\n    series {\n      start\n      requests\n      totalTokens\n      costUsd\n      errors\n      latencyP50Ms\n      latencyP95Ms\n      ttftP50Ms\n      ttftP95Ms\n    }\n    byModel {\n      model\n      requests\n      totalTokens\n      costUsd\n      avgLatencyMs\n      errorRate\n    }\n    byKey {\n      revoked\n      requests\n      totalTokens\n      costUsd\n      errorRate\n      key {\n        id\n        name\n        prefix\n        isAdmin\n        budgetUsd\n        spendUsd\n        remainingBudgetUsd\n      }\n    }\n  }\n  me {\n    name\n    prefix\n    isAdmin\n    budgetUsd\n    spendUsd\n    remainingBudgetUsd\n    rpm\n  }\n}": typeof types.DashboardDocument,
    "mutation Embed($input: EmbedInput!) {\n  embed(input: $input) {\n    model\n    provider\n    embeddings {\n      index\n      vector\n    }\n    usage {\n      promptTokens\n      totalTokens\n      estimated\n    }\n    costUsd\n    latencyMs\n  }\n}": typeof types.EmbedDocument,
    "mutation GenerateImage($input: ImageInput!) {\n  generateImage(input: $input) {\n    model\n    provider\n    images {\n      index\n      url\n      base64\n    }\n    costUsd\n    latencyMs\n  }\n}": typeof types.GenerateImageDocument,
    "query ModelById($id: ID!) {\n  model(id: $id) {\n    id\n    name\n    gateway\n    organization\n    type\n    contextLength\n    license\n    link\n    createdAt\n    pricing {\n      inputPerMillion\n      outputPerMillion\n      inputPerToken\n      outputPerToken\n      cachedInputPerMillion\n      hourly\n    }\n  }\n}": typeof types.ModelByIdDocument,
    "mutation Rerank($input: RerankInput!) {\n  rerank(input: $input) {\n    model\n    provider\n    results {\n      index\n      relevanceScore\n      document\n    }\n    usage {\n      promptTokens\n      totalTokens\n    }\n    costUsd\n    latencyMs\n  }\n}": typeof types.RerankDocument,
};
const documents: Documents = {
    "query Catalog($type: ModelType = CHAT, $search: String) {\n  models(type: $type, search: $search) {\n    id\n    name\n    organization\n    type\n    contextLength\n    pricing {\n      inputPerMillion\n      outputPerMillion\n    }\n  }\n}": types.CatalogDocument,
    "subscription ChatStream($input: ChatCompletionInput!) {\n  chatStream(input: $input) {\n    delta\n    reasoningDelta\n    done\n    finishReason\n    costUsd\n    usage {\n      promptTokens\n      completionTokens\n      totalTokens\n      estimated\n    }\n  }\n}": types.ChatStreamDocument,
    "mutation Chat($input: ChatCompletionInput!) {\n  chatCompletion(input: $input) {\n    id\n    model\n    provider\n    content\n    reasoning\n    finishReason\n    costUsd\n    latencyMs\n    usage {\n      promptTokens\n      completionTokens\n      totalTokens\n      cachedTokens\n      reasoningTokens\n      estimated\n    }\n  }\n}": types.ChatDocument,
    "query Dashboard($timeRange: TimeRange!) {\n  gatewayStats(timeRange: $timeRange) {\n    gateway\n    timeRange\n    scope\n    totalRequests\n    totalTokens\n    promptTokens\n    completionTokens\n    totalCostUsd\n    uniqueModels\n    uniqueKeys\n    avgLatencyMs\n    avgTokensPerSecond\n    errorRate\n    cancelledRequests\n    latencyP50Ms\n    latencyP95Ms\n    ttftP50Ms\n    ttftP95Ms\n    bucketSeconds\n    series {\n      start\n      requests\n      totalTokens\n      costUsd\n      errors\n      latencyP50Ms\n      latencyP95Ms\n      ttftP50Ms\n      ttftP95Ms\n    }\n    byModel {\n      model\n      requests\n      totalTokens\n      costUsd\n      avgLatencyMs\n      errorRate\n    }\n    byKey {\n      revoked\n      requests\n      totalTokens\n      costUsd\n      errorRate\n      key {\n        id\n        name\n        prefix\n        isAdmin\n        budgetUsd\n        spendUsd\n        remainingBudgetUsd\n      }\n    }\n  }\n  me {\n    name\n    prefix\n    isAdmin\n    budgetUsd\n    spendUsd\n    remainingBudgetUsd\n    rpm\n  }\n}": types.DashboardDocument,
    "mutation Embed($input: EmbedInput!) {\n  embed(input: $input) {\n    model\n    provider\n    embeddings {\n      index\n      vector\n    }\n    usage {\n      promptTokens\n      totalTokens\n      estimated\n    }\n    costUsd\n    latencyMs\n  }\n}": types.EmbedDocument,
    "mutation GenerateImage($input: ImageInput!) {\n  generateImage(input: $input) {\n    model\n    provider\n    images {\n      index\n      url\n      base64\n    }\n    costUsd\n    latencyMs\n  }\n}": types.GenerateImageDocument,
    "query ModelById($id: ID!) {\n  model(id: $id) {\n    id\n    name\n    gateway\n    organization\n    type\n    contextLength\n    license\n    link\n    createdAt\n    pricing {\n      inputPerMillion\n      outputPerMillion\n      inputPerToken\n      outputPerToken\n      cachedInputPerMillion\n      hourly\n    }\n  }\n}": types.ModelByIdDocument,
    "mutation Rerank($input: RerankInput!) {\n  rerank(input: $input) {\n    model\n    provider\n    results {\n      index\n      relevanceScore\n      document\n    }\n    usage {\n      promptTokens\n      totalTokens\n    }\n    costUsd\n    latencyMs\n  }\n}": types.RerankDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Catalog($type: ModelType = CHAT, $search: String) {\n  models(type: $type, search: $search) {\n    id\n    name\n    organization\n    type\n    contextLength\n    pricing {\n      inputPerMillion\n      outputPerMillion\n    }\n  }\n}"): (typeof documents)["query Catalog($type: ModelType = CHAT, $search: String) {\n  models(type: $type, search: $search) {\n    id\n    name\n    organization\n    type\n    contextLength\n    pricing {\n      inputPerMillion\n      outputPerMillion\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription ChatStream($input: ChatCompletionInput!) {\n  chatStream(input: $input) {\n    delta\n    reasoningDelta\n    done\n    finishReason\n    costUsd\n    usage {\n      promptTokens\n      completionTokens\n      totalTokens\n      estimated\n    }\n  }\n}"): (typeof documents)["subscription ChatStream($input: ChatCompletionInput!) {\n  chatStream(input: $input) {\n    delta\n    reasoningDelta\n    done\n    finishReason\n    costUsd\n    usage {\n      promptTokens\n      completionTokens\n      totalTokens\n      estimated\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Chat($input: ChatCompletionInput!) {\n  chatCompletion(input: $input) {\n    id\n    model\n    provider\n    content\n    reasoning\n    finishReason\n    costUsd\n    latencyMs\n    usage {\n      promptTokens\n      completionTokens\n      totalTokens\n      cachedTokens\n      reasoningTokens\n      estimated\n    }\n  }\n}"): (typeof documents)["mutation Chat($input: ChatCompletionInput!) {\n  chatCompletion(input: $input) {\n    id\n    model\n    provider\n    content\n    reasoning\n    finishReason\n    costUsd\n    latencyMs\n    usage {\n      promptTokens\n      completionTokens\n      totalTokens\n      cachedTokens\n      reasoningTokens\n      estimated\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Dashboard($timeRange: TimeRange!) {\n  gatewayStats(timeRange: $timeRange) {\n    gateway\n    timeRange\n    scope\n    totalRequests\n    totalTokens\n    promptTokens\n    completionTokens\n    totalCostUsd\n    uniqueModels\n    uniqueKeys\n    avgLatencyMs\n    avgTokensPerSecond\n    errorRate\n    cancelledRequests\n    latencyP50Ms\n    latencyP95Ms\n    ttftP50Ms\n    ttftP95Ms\n    bucketSeconds\n    series {\n      start\n      requests\n      totalTokens\n      costUsd\n      errors\n      latencyP50Ms\n      latencyP95Ms\n      ttftP50Ms\n      ttftP95Ms\n    }\n    byModel {\n      model\n      requests\n      totalTokens\n      costUsd\n      avgLatencyMs\n      errorRate\n    }\n    byKey {\n      revoked\n      requests\n      totalTokens\n      costUsd\n      errorRate\n      key {\n        id\n        name\n        prefix\n        isAdmin\n        budgetUsd\n        spendUsd\n        remainingBudgetUsd\n      }\n    }\n  }\n  me {\n    name\n    prefix\n    isAdmin\n    budgetUsd\n    spendUsd\n    remainingBudgetUsd\n    rpm\n  }\n}"): (typeof documents)["query Dashboard($timeRange: TimeRange!) {\n  gatewayStats(timeRange: $timeRange) {\n    gateway\n    timeRange\n    scope\n    totalRequests\n    totalTokens\n    promptTokens\n    completionTokens\n    totalCostUsd\n    uniqueModels\n    uniqueKeys\n    avgLatencyMs\n    avgTokensPerSecond\n    errorRate\n    cancelledRequests\n    latencyP50Ms\n    latencyP95Ms\n    ttftP50Ms\n    ttftP95Ms\n    bucketSeconds\n    series {\n      start\n      requests\n      totalTokens\n      costUsd\n      errors\n      latencyP50Ms\n      latencyP95Ms\n      ttftP50Ms\n      ttftP95Ms\n    }\n    byModel {\n      model\n      requests\n      totalTokens\n      costUsd\n      avgLatencyMs\n      errorRate\n    }\n    byKey {\n      revoked\n      requests\n      totalTokens\n      costUsd\n      errorRate\n      key {\n        id\n        name\n        prefix\n        isAdmin\n        budgetUsd\n        spendUsd\n        remainingBudgetUsd\n      }\n    }\n  }\n  me {\n    name\n    prefix\n    isAdmin\n    budgetUsd\n    spendUsd\n    remainingBudgetUsd\n    rpm\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Embed($input: EmbedInput!) {\n  embed(input: $input) {\n    model\n    provider\n    embeddings {\n      index\n      vector\n    }\n    usage {\n      promptTokens\n      totalTokens\n      estimated\n    }\n    costUsd\n    latencyMs\n  }\n}"): (typeof documents)["mutation Embed($input: EmbedInput!) {\n  embed(input: $input) {\n    model\n    provider\n    embeddings {\n      index\n      vector\n    }\n    usage {\n      promptTokens\n      totalTokens\n      estimated\n    }\n    costUsd\n    latencyMs\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation GenerateImage($input: ImageInput!) {\n  generateImage(input: $input) {\n    model\n    provider\n    images {\n      index\n      url\n      base64\n    }\n    costUsd\n    latencyMs\n  }\n}"): (typeof documents)["mutation GenerateImage($input: ImageInput!) {\n  generateImage(input: $input) {\n    model\n    provider\n    images {\n      index\n      url\n      base64\n    }\n    costUsd\n    latencyMs\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ModelById($id: ID!) {\n  model(id: $id) {\n    id\n    name\n    gateway\n    organization\n    type\n    contextLength\n    license\n    link\n    createdAt\n    pricing {\n      inputPerMillion\n      outputPerMillion\n      inputPerToken\n      outputPerToken\n      cachedInputPerMillion\n      hourly\n    }\n  }\n}"): (typeof documents)["query ModelById($id: ID!) {\n  model(id: $id) {\n    id\n    name\n    gateway\n    organization\n    type\n    contextLength\n    license\n    link\n    createdAt\n    pricing {\n      inputPerMillion\n      outputPerMillion\n      inputPerToken\n      outputPerToken\n      cachedInputPerMillion\n      hourly\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Rerank($input: RerankInput!) {\n  rerank(input: $input) {\n    model\n    provider\n    results {\n      index\n      relevanceScore\n      document\n    }\n    usage {\n      promptTokens\n      totalTokens\n    }\n    costUsd\n    latencyMs\n  }\n}"): (typeof documents)["mutation Rerank($input: RerankInput!) {\n  rerank(input: $input) {\n    model\n    provider\n    results {\n      index\n      relevanceScore\n      document\n    }\n    usage {\n      promptTokens\n      totalTokens\n    }\n    costUsd\n    latencyMs\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;