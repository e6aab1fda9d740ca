/**
 * Wraps an async generator so that `onUnstartedClose` runs when the consumer calls `return()` or `throw()`
 * before its first `next()`. A generator that never started skips its own `try/finally` entirely, so cleanup
 * written there (closing the upstream socket, writing the activity row) would silently not happen: that is
 * exactly what graphql-ws does with a subscription whose client left while it was being set up.
 */
export function closeUnstarted<T>(source: AsyncGenerator<T>, onUnstartedClose: () => void): AsyncGenerator<T> {
  let started = false;
  const closeIfUnstarted = (): void => {
    if (started) return;
    started = true;
    onUnstartedClose();
  };
  const wrapper = {
    next: (...args: [] | [unknown]) => {
      started = true;
      return source.next(...args);
    },
    return: (value?: unknown) => {
      closeIfUnstarted();
      return source.return(value as T);
    },
    throw: (err?: unknown) => {
      closeIfUnstarted();
      return source.throw(err);
    },
    [Symbol.asyncIterator]() {
      return wrapper;
    },
  };
  return wrapper as unknown as AsyncGenerator<T>;
}
