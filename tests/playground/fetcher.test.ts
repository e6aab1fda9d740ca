/**
 * The playground's fetcher, in Node against a real gateway: HTTP for queries, graphql-ws for subscriptions,
 * and the Authorization header from GraphiQL's headers editor carried as connectionParams.authorization.
 */
import type { FetcherReturnType } from '@graphiql/toolkit';
import { parse } from 'graphql';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SubscriptionTransport,
  type WsResult,
  authorizationFrom,
  createPlaygroundFetcher,
  httpHeaders,
  isSubscription,
  wsConnectionParams,
} from '../../src/playground/app/fetcher.ts';
import { createTranscript } from '../../src/playground/app/transcript.ts';
import { startNoUpgradeProxy } from '../helpers/no-upgrade-proxy.ts';
import { CHAT_STREAM, LLAMA, type Stack, startStack, userMessage } from '../helpers/stack.ts';

describe('header handling', () => {
  it('finds Authorization whatever its spelling, and turns a bare key into a Bearer token', () => {
    expect(authorizationFrom({ Authorization: 'Bearer gw_1' })).toBe('Bearer gw_1');
    expect(authorizationFrom({ authorization: 'bearer gw_1' })).toBe('bearer gw_1');
    expect(authorizationFrom({ AUTHORIZATION: ' gw_1 ' })).toBe('Bearer gw_1');
    expect(authorizationFrom({ Authorization: '   ' })).toBeUndefined();
    expect(authorizationFrom({ 'x-other': 'y' })).toBeUndefined();
    expect(authorizationFrom(undefined)).toBeUndefined();
  });

  it('sends only the key in connectionParams, and normalises it for HTTP', () => {
    expect(wsConnectionParams({ Authorization: 'gw_1', 'x-trace': '1' })).toEqual({ authorization: 'Bearer gw_1' });
    expect(wsConnectionParams({})).toEqual({});
    expect(httpHeaders({ Authorization: 'gw_1', 'x-trace': '1' })).toEqual({ authorization: 'Bearer gw_1', 'x-trace': '1' });
    expect(httpHeaders({ 'x-trace': '1' })).toEqual({ 'x-trace': '1' });
  });

  it('tells subscriptions from queries by the operation being run', () => {
    const doc = 'query A { models { id } } subscription B($i: ChatCompletionInput!) { chatStream(input: $i) { delta } }';
    expect(isSubscription({ query: doc, operationName: 'A' }, parse(doc))).toBe(false);
    expect(isSubscription({ query: doc, operationName: 'B' }, parse(doc))).toBe(true);
    expect(isSubscription({ query: 'subscription { chatStream(input: {model: "m", messages: []}) { delta } }' })).toBe(true);
    expect(isSubscription({ query: 'not graphql' })).toBe(false);
  });
});

describe('createPlaygroundFetcher against the gateway', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  /** Every message the fetcher's graphql-ws client sends. */
  const sent: Array<{ type: string; payload?: unknown }> = [];
  class RecordingWebSocket extends WebSocket {
    override send(data: unknown, ...rest: unknown[]): void {
      sent.push(JSON.parse(String(data)) as { type: string });
      (super.send as (...args: unknown[]) => void)(data, ...rest);
    }
  }
  const fetcherFor = (observer = createTranscript()) => ({
    observer,
    fetcher: createPlaygroundFetcher({ url: `${stack.url}/graphql`, subscriptionUrl: stack.wsUrl, fetch, webSocketImpl: RecordingWebSocket, observer }),
  });

  it('runs queries over HTTP', async () => {
    const { fetcher } = fetcherFor();
    const result = (await fetcher({ query: `{ model(id: "${LLAMA}") { id } }` }, { headers: { Authorization: 'gw_x' } })) as { data: unknown };
    expect(result.data).toEqual({ model: { id: LLAMA } });
  });

  it('streams subscriptions over graphql-ws with the key in connection_init, feeding the transcript', async () => {
    sent.length = 0;
    const { fetcher, observer } = fetcherFor();
    const params = { query: CHAT_STREAM, operationName: 'Stream', variables: { input: { model: LLAMA, messages: userMessage('one two') } } };
    const results = await collect(fetcher(params, { headers: { Authorization: `Bearer ${stack.key}` }, documentAST: parse(CHAT_STREAM) }));
    expect(results.map((r) => (r.data?.chatStream as { delta: string }).delta).join('')).toBe('Echo: one two');
    expect(observer.getSnapshot()).toMatchObject({ status: 'done', text: 'Echo: one two', events: 4, operationName: 'Stream' });
    expect(observer.getSnapshot().summary).toMatch(/^finish STOP · \d+ tokens · \$/);
    expect(sent.filter((m) => m.type === 'connection_init')).toEqual([{ type: 'connection_init', payload: { authorization: `Bearer ${stack.key}` } }]);
  });

  it('shows GraphQL errors from the stream and marks the transcript failed', async () => {
    const { fetcher, observer } = fetcherFor();
    const params = { query: CHAT_STREAM, operationName: 'Stream', variables: { input: { model: 'nobody/none', messages: userMessage('hi') } } };
    const outcome = await collect(fetcher(params, { headers: { Authorization: `Bearer ${stack.key}` }, documentAST: parse(CHAT_STREAM) })).then(
      (results) => results.flatMap((r) => r.errors ?? []),
      (err: unknown) => err as Array<{ extensions?: { code?: string } }>,
    );
    expect(outcome[0]?.extensions?.code).toBe('MODEL_NOT_FOUND');
    expect(observer.getSnapshot().status).toBe('error');
  });

  it('streams over SSE where there is no WebSocket, the key as the Authorization header', async () => {
    const observer = createTranscript();
    const fetcher = createPlaygroundFetcher({ url: `${stack.url}/graphql`, subscriptionUrl: stack.wsUrl, fetch, observer });
    const params = { query: CHAT_STREAM, operationName: 'Stream', variables: { input: { model: LLAMA, messages: userMessage('over sse') } } };
    const results = await collect(fetcher(params, { headers: { Authorization: stack.key }, documentAST: parse(CHAT_STREAM) }));
    expect(results.map((r) => (r.data?.chatStream as { delta: string }).delta).join('')).toBe('Echo: over sse');
    expect(observer.getSnapshot()).toMatchObject({ status: 'done', text: 'Echo: over sse' });
  });

  it('falls back to SSE, for good, when the websocket upgrade is refused by a proxy', async () => {
    const proxy = await startNoUpgradeProxy(stack.url);
    try {
      const transport: SubscriptionTransport = { current: 'ws' };
      const observer = createTranscript();
      const fetcher = createPlaygroundFetcher(
        { url: `${proxy.url}/graphql`, subscriptionUrl: `${proxy.url.replace(/^http/, 'ws')}/graphql`, fetch, webSocketImpl: WebSocket, observer },
        transport,
      );
      const params = { query: CHAT_STREAM, operationName: 'Stream', variables: { input: { model: LLAMA, messages: userMessage('behind a proxy') } } };
      const first = await collect(fetcher(params, { headers: { Authorization: stack.key }, documentAST: parse(CHAT_STREAM) }));
      expect(first.map((r) => (r.data?.chatStream as { delta: string }).delta).join('')).toBe('Echo: behind a proxy');
      expect(observer.getSnapshot()).toMatchObject({ status: 'done', text: 'Echo: behind a proxy' });
      expect(transport.current).toBe('sse');
      expect(proxy.upgradesRefused()).toBe(1);
      await collect(fetcher(params, { headers: { Authorization: stack.key }, documentAST: parse(CHAT_STREAM) }));
      expect(proxy.upgradesRefused()).toBe(1);
    } finally {
      await proxy.close();
    }
  });
});

/** Drains the Observable the fetcher returns for a subscription. */
function collect(value: FetcherReturnType): Promise<WsResult[]> {
  return Promise.resolve(value).then(
    (observable) =>
      new Promise<WsResult[]>((resolve, reject) => {
        const results: WsResult[] = [];
        (observable as unknown as { subscribe(sink: object): unknown }).subscribe({
          next: (r: WsResult) => results.push(r),
          error: reject,
          complete: () => resolve(results),
        });
      }),
  );
}
