import type { MutationResolvers } from '../__generated__/resolvers-types.ts';

export const Mutation: MutationResolvers = {
  chatCompletion: (_parent, { input }, ctx) =>
    ctx.services.chat.complete(input, { requestId: ctx.requestId, keyId: ctx.keyId }, ctx.signal),
};
