/**
 * "The caller went away", as the call owner reads it: the part of AbortSignal it uses. Any AbortSignal is one
 * (graphql-ws subscriptions pass theirs); HTTP requests use the lighter Cancellation below.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * A CancelSignal without a DOM EventTarget behind it. Every HTTP request needs one (the client may hang up), and
 * nearly none is ever cancelled; an AbortController's signal (an EventTarget, created with its internal symbols
 * and weak-listener bookkeeping) cost ~1.4 % of a REST call's CPU to create, plus ~0.8 % to add and remove its
 * one listener (`npm run bench:profile`). The call owner listens here and aborts its own AbortController, which
 * is what the upstream request (undici) needs.
 */
export class Cancellation implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: Array<() => void> | null = null;

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.listeners?.indexOf(listener) ?? -1;
    if (at >= 0) this.listeners!.splice(at, 1);
  }

  /** Once: every listener runs (once each, as `{ once: true }` would), in the order added. */
  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners ?? [];
    this.listeners = null;
    for (const listener of listeners) listener();
  }
}
