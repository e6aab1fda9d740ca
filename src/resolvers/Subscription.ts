import type { SubscriptionResolvers } from '../__generated__/resolvers-types.ts';
import type { ChatStreamEvent } from '../chat/service.ts';

/**
 * Wraps a stream so that `return()` (unsubscribe, socket closed) aborts the upstream call at once. A plain
 * async generator would queue `return()` behind a pending `next()`, which waits on Together indefinitely.
 */
function abortOnReturn<T>(source: AsyncGenerator<T>, controller: AbortController): AsyncGenerator<T> {
  const iterator: AsyncGenerator<T> = {
    next: () => source.next(),
    return: (value?: unknown) => {
      controller.abort();
      return source.return(value as T);
    },
    throw: (err?: unknown) => {
      controller.abort();
      return source.throw(err);
    },
    [Symbol.asyncIterator]: () => iterator,
  } as AsyncGenerator<T>;
  return iterator;
}

export const Subscription: SubscriptionResolvers = {
  chatStream: {
    subscribe: async (_parent, { input }, ctx) => {
      const controller = new AbortController();
      const onOuterAbort = (): void => controller.abort(ctx.signal.reason);
      ctx.signal.addEventListener('abort', onOuterAbort, { once: true });
      const events = await ctx.services.chat.stream(input, { requestId: ctx.requestId, keyId: ctx.keyId }, controller.signal);
      return abortOnReturn(events, controller) as AsyncGenerator<never>;
    },
    resolve: (event: ChatStreamEvent) => event,
  },
};
