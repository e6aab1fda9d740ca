import type { SubscriptionResolvers } from '../../__generated__/resolvers-types.ts';
import type { ChatStreamEvent } from '../../chat/service.ts';

export const Subscription: SubscriptionResolvers = {
  chatStream: {
    // The stream's owner (chat/call.ts) aborts the upstream when graphql-ws calls return() (unsubscribe, socket
    // closed) and when the connection's signal fires; it writes the rows, leaves the in-flight set itself, and
    // ends quietly (no rejection) once the consumer has returned.
    subscribe: async (_parent, { input }, ctx) => {
      const key = await ctx.auth.require();
      return (await ctx.services.chat.stream(input, { requestId: ctx.requestId, keyId: key.id, key, traceContext: ctx.traceContext }, ctx.signal)) as AsyncGenerator<never>;
    },
    resolve: (event: ChatStreamEvent) => event,
  },
};
