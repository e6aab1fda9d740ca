/**
 * A small typed client for the gateway: queries and mutations over HTTP, subscriptions over graphql-ws (or
 * GraphQL over SSE where websockets are unavailable), every call typed by the `TypedDocumentNode` that codegen
 * made from `client/operations/*.graphql`.
 *
 *   const gw = createGatewayClient({ url: 'http://127.0.0.1:8000', key: process.env.GATEWAY_KEY });
 *   const { models } = await gw.request(CatalogDocument, { search: 'llama' });   // models: typed
 *   for await (const { chatStream } of gw.subscribe(ChatStreamDocument, { input })) process.stdout.write(chatStream.delta);
 *
 * Works in browsers as is. Node 20 has no global WebSocket: pass `webSocketImpl` (the `ws` package), or
 * subscriptions go over SSE.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { type Client as SseClient, createClient as createSseClient } from 'graphql-sse';
import { type Client, type ClientOptions, createClient } from 'graphql-ws';

export * from './__generated__/graphql.ts';
export type { TypedDocumentNode };

export interface GatewayClientOptions {
  /** The gateway's base URL (`http://127.0.0.1:8000`) or its GraphQL endpoint (`…/graphql`). */
  url: string;
  /** A gateway key: sent as `Authorization: Bearer <key>` over HTTP and as `connectionParams.authorization` over graphql-ws. */
  key?: string | undefined;
  /** Extra HTTP headers on every request. */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  /** A WebSocket implementation where there is no global one (Node 20: `import WebSocket from 'ws'`). */
  webSocketImpl?: unknown;
  /**
   * How long the websocket stays open after the last subscription ends, so that the next stream (a chat's next
   * turn) starts on it: a new socket costs ~4 ms of time to first token (docs/benchmarks.md). Default 0 (closed
   * at once). For chat UIs; in a Node script, note that graphql-ws keeps this timer running after `close()`,
   * so the process exits that much later.
   */
  keepSocketOpenMs?: number;
  /**
   * How subscriptions travel. `auto` (default): graphql-ws when a WebSocket implementation exists, falling
   * back to GraphQL over SSE for good when the websocket cannot connect (a proxy that blocks upgrades, a
   * serverless host); SSE when there is no WebSocket at all. `ws` or `sse` force one.
   */
  subscriptionTransport?: 'auto' | 'ws' | 'sse';
}

/** A GraphQL error from the gateway; `code` is the first error's `extensions.code` (see the public contract). */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly errors: ReadonlyArray<GraphQLErrorShape> = [],
  ) {
    super(message);
  }
}

export interface GraphQLErrorShape {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown>;
}

/** `[]` when every variable is optional, `[variables]` otherwise. */
type VariablesArg<V> = Record<string, never> extends V ? [variables?: V] : [variables: V];

export interface GatewayClient {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:8000/graphql`. */
  readonly endpoint: string;
  /** A query or a mutation over HTTP. Resolves to `data`; rejects with a GatewayError on any GraphQL error. */
  request<R, V>(document: TypedDocumentNode<R, V>, ...variables: VariablesArg<V>): Promise<R>;
  /** A subscription (graphql-ws or SSE, see `subscriptionTransport`): each event's `data`. Breaking out of the loop unsubscribes (and cancels upstream). */
  subscribe<R, V>(document: TypedDocumentNode<R, V>, ...variables: VariablesArg<V>): AsyncGenerator<R, void, undefined>;
  /** Closes the websocket, if one is open. */
  close(): Promise<void>;
  /** The transport the next subscription will use (`ws` until a websocket failed to connect under `auto`). */
  readonly subscriptionTransport: 'ws' | 'sse';
}

export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const endpoint = graphqlEndpoint(options.url);
  const authorization = options.key ? `Bearer ${options.key}` : undefined;
  const doFetch = options.fetch ?? globalThis.fetch;
  let ws: Client | undefined;
  let wsConnected = false;
  const mode = options.subscriptionTransport ?? 'auto';
  const hasWebSocket = options.webSocketImpl !== undefined || typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function';
  let transport: 'ws' | 'sse' = mode === 'sse' || (mode === 'auto' && !hasWebSocket) ? 'sse' : 'ws';
  let sse: SseClient | undefined;
  const sseClient = (): SseClient =>
    (sse ??= createSseClient({
      url: endpoint,
      headers: { ...options.headers, ...(authorization ? { authorization } : {}) },
      fetchFn: options.fetch,
      retryAttempts: 0,
    }));
  const wsClient = (): Client =>
    (ws ??= createClient({
      url: endpoint.replace(/^http/, 'ws'),
      connectionParams: authorization ? { authorization } : {},
      webSocketImpl: options.webSocketImpl as ClientOptions['webSocketImpl'],
      lazy: true,
      lazyCloseTimeout: options.keepSocketOpenMs ?? 0,
      // A CLI or a page should say what went wrong, not retry in silence.
      retryAttempts: 0,
      on: { connected: () => void (wsConnected = true) },
    }));

  return {
    endpoint,
    async request(document, ...[variables]) {
      const res = await doFetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...options.headers,
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify({ query: print(document), variables: variables ?? {} }),
      });
      const text = await res.text();
      let body: { data?: unknown; errors?: GraphQLErrorShape[] };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        throw new GatewayError(`HTTP ${res.status} from ${endpoint}: ${text.slice(0, 200)}`, undefined);
      }
      if (body.errors?.length) throw errorFrom(body.errors);
      if (body.data == null) throw new GatewayError(`HTTP ${res.status} from ${endpoint} with no data`, undefined);
      return body.data as never;
    },
    async *subscribe(document, ...[variables]) {
      const payload = { query: print(document), variables: (variables ?? {}) as Record<string, unknown> };
      if (transport === 'sse') return yield* dataOf(sseClient().iterate(payload));
      let received = false;
      try {
        for await (const data of dataOf(wsClient().iterate(payload))) {
          received = true;
          yield data as never;
        }
      } catch (err) {
        // The websocket never connected (not a GraphQL error): under `auto`, SSE from now on.
        if (mode === 'auto' && !received && !wsConnected && !(err instanceof GatewayError && err.code !== undefined)) {
          transport = 'sse';
          void ws?.dispose();
          ws = undefined;
          return yield* dataOf(sseClient().iterate(payload));
        }
        throw err;
      }
    },
    async close() {
      await ws?.dispose();
      ws = undefined;
      sse?.dispose();
      sse = undefined;
    },
    get subscriptionTransport() {
      return transport;
    },
  };
}

/** Each result's `data`; GraphQL errors and transport failures as GatewayErrors. Leaving the loop unsubscribes. */
async function* dataOf<R>(iterator: AsyncIterableIterator<{ data?: unknown; errors?: ReadonlyArray<unknown> }>): AsyncGenerator<R, void, undefined> {
  try {
    for await (const result of iterator) {
      if (result.errors?.length) throw errorFrom(result.errors as GraphQLErrorShape[]);
      if (result.data != null) yield result.data as R;
    }
  } catch (err) {
    throw toGatewayError(err);
  } finally {
    await iterator.return?.();
  }
}

/** `http://host:8000` and `http://host:8000/` → `http://host:8000/graphql`; a URL already ending in /graphql is kept. */
export function graphqlEndpoint(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return /\/graphql$/.test(trimmed) ? trimmed : `${trimmed}/graphql`;
}

function errorFrom(errors: ReadonlyArray<GraphQLErrorShape>): GatewayError {
  const code = errors[0]?.extensions?.code;
  return new GatewayError(errors.map((e) => e.message).join('; '), typeof code === 'string' ? code : undefined, errors);
}

/** graphql-ws rejects with GraphQL errors (an array), a CloseEvent, or an Error. */
function toGatewayError(err: unknown): Error {
  if (err instanceof Error) return err;
  if (Array.isArray(err)) return errorFrom(err as GraphQLErrorShape[]);
  if (err && typeof err === 'object' && 'code' in err) {
    const { code, reason } = err as { code: unknown; reason?: unknown };
    return new GatewayError(`WebSocket closed (${String(code)}${reason ? `: ${String(reason)}` : ''})`, undefined);
  }
  return new GatewayError(`WebSocket failed: ${String(err)}`, undefined);
}
