import type { SubscriptionResolvers } from '../../__generated__/resolvers-types.ts';
import type { ChatStreamEvent } from '../../chat/service.ts';

/**
 * Wraps a stream so that `return()` (unsubscribe, socket closed) aborts the upstream call at once. A plain
 * async generator would queue `return()` behind a pending `next()`, which waits on Together indefinitely.
 *
 * Once the consumer has called `return()` nobody is listening: a `next()` still in flight then ends the
 * stream (`done`) instead of rejecting with the abort it caused. A rejection there reached graphql-ws, which
 * sent an `error` frame for an id the client had just completed (the protocol forbids any further message for
 * it) and logged it as an internal error; the call's row already says CANCELLED.
 */
function abortOnReturn<T>(source: AsyncGenerator<T>, controller: AbortController, onEnd: () => void): AsyncGenerator<T> {
  let returned = false;
  const settle = <R extends IteratorResult<T>>(result: Promise<R>): Promise<R> =>
    result.then(
      (r) => {
        if (r.done) onEnd();
        return r;
      },
      (err: unknown) => {
        onEnd();
        if (returned) return { done: true, value: undefined } as R;
        throw err;
      },
    );
  const iterator: AsyncGenerator<T> = {
    next: () => settle(source.next()),
    return: (value?: unknown) => {
      returned = true;
      controller.abort();
      return settle(source.return(value as T));
    },
    throw: (err?: unknown) => {
      controller.abort();
      return settle(source.throw(err));
    },
    [Symbol.asyncIterator]: () => iterator,
  } as AsyncGenerator<T>;
  return iterator;
}

export const Subscription: SubscriptionResolvers = {
  chatStream: {
    subscribe: async (_parent, { input }, ctx) => {
      const key = await ctx.auth.require();
      const controller = new AbortController();
      const untrack = ctx.services.streams.track(controller);
      try {
        const events = await ctx.services.chat.stream(input, { requestId: ctx.requestId, keyId: key.id, key }, controller.signal);
        return abortOnReturn(events, controller, untrack) as AsyncGenerator<never>;
      } catch (err) {
        untrack();
        throw err;
      }
    },
    resolve: (event: ChatStreamEvent) => event,
  },
};
