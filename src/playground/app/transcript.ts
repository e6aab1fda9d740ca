/**
 * GraphiQL's response pane shows only a subscription's latest event. For a chat stream the interesting thing is
 * the text so far, so the page keeps a transcript: the `delta`s of the running subscription joined up, plus the
 * last event's finish reason, tokens and cost. The fetcher feeds it (SubscriptionObserver); React reads it.
 */
import type { FetcherParams } from '@graphiql/toolkit';
import type { SubscriptionObserver, WsResult } from './fetcher.ts';

export interface TranscriptState {
  status: 'idle' | 'streaming' | 'done' | 'stopped' | 'error';
  operationName: string | null;
  text: string;
  events: number;
  summary: string | null;
}

export interface Transcript extends SubscriptionObserver {
  getSnapshot(): TranscriptState;
  subscribe(listener: () => void): () => void;
}

const IDLE: TranscriptState = { status: 'idle', operationName: null, text: '', events: 0, summary: null };

export function createTranscript(): Transcript {
  let state = IDLE;
  const listeners = new Set<() => void>();
  const set = (next: TranscriptState) => {
    state = next;
    for (const l of listeners) l();
  };
  return {
    getSnapshot: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    start(params: FetcherParams) {
      set({ ...IDLE, status: 'streaming', operationName: params.operationName ?? null });
    },
    next(result: WsResult) {
      let { text, summary, status } = state;
      for (const value of Object.values(result.data ?? {})) {
        if (!value || typeof value !== 'object') continue;
        const event = value as { delta?: unknown; done?: unknown; finishReason?: unknown; usage?: { totalTokens?: unknown } | null; costUsd?: unknown };
        if (typeof event.delta === 'string') text += event.delta;
        if (event.done === true) {
          status = 'done';
          summary = [
            event.finishReason ? `finish ${String(event.finishReason)}` : null,
            typeof event.usage?.totalTokens === 'number' ? `${event.usage.totalTokens} tokens` : null,
            typeof event.costUsd === 'number' ? `$${event.costUsd.toPrecision(3)}` : null,
          ]
            .filter(Boolean)
            .join(' · ');
        }
      }
      if (result.errors?.length) status = 'error';
      set({ ...state, text, summary, status, events: state.events + 1 });
    },
    end({ error, stopped }) {
      if (error) set({ ...state, status: 'error' });
      else if (stopped && state.status === 'streaming') set({ ...state, status: 'stopped' });
      else if (state.status === 'streaming') set({ ...state, status: 'done' });
    },
  };
}
