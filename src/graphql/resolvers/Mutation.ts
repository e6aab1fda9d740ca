import type { MutationResolvers } from '../../__generated__/resolvers-types.ts';

export const Mutation: MutationResolvers = {
  chatCompletion: async (_parent, { input }, ctx) => {
    const key = await ctx.auth.require();
    return ctx.services.chat.complete(input, { requestId: ctx.requestId, keyId: key.id, key, traceContext: ctx.traceContext }, ctx.signal);
  },
};
