import type { EmbedResultResolvers, EmbeddingResolvers, MutationResolvers, RerankResultResolvers } from '../../__generated__/resolvers-types.ts';
import { vectorToBase64 } from '../../inference/encoding.ts';

/** Thin: validation, admission, attempts, cost and rows are InferenceService's (src/inference/service.ts). */
export const InferenceMutations: Pick<MutationResolvers, 'embed' | 'rerank' | 'generateImage'> = {
  embed: async (_parent, { input }, ctx) => {
    const key = await ctx.auth.require();
    return ctx.services.inference.embed(input, { requestId: ctx.requestId, keyId: key.id, key, traceContext: ctx.traceContext }, ctx.signal);
  },
  rerank: async (_parent, { input }, ctx) => {
    const key = await ctx.auth.require();
    return ctx.services.inference.rerank(input, { requestId: ctx.requestId, keyId: key.id, key, traceContext: ctx.traceContext }, ctx.signal);
  },
  generateImage: async (_parent, { input }, ctx) => {
    const key = await ctx.auth.require();
    return ctx.services.inference.generateImage(input, { requestId: ctx.requestId, keyId: key.id, key, traceContext: ctx.traceContext }, ctx.signal);
  },
};

export const EmbedResult: EmbedResultResolvers = {
  usage: (result) => ({ ...result.usage, estimated: result.usageEstimated }),
};

export const RerankResult: RerankResultResolvers = {
  usage: (result) => ({ ...result.usage, estimated: result.usageEstimated }),
};

export const Embedding: EmbeddingResolvers = {
  // Only computed for documents that select it.
  base64: (embedding) => vectorToBase64(embedding.vector),
};
