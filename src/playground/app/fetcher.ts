/**
 * GraphiQL's fetcher for the gateway. Queries and mutations go over HTTP through @graphiql/toolkit's
 * createGraphiQLFetcher, with the headers from GraphiQL's headers editor. Subscriptions go over graphql-ws,
 * and there the headers editor's `Authorization` becomes `connectionParams.authorization`, which is where the
 * gateway reads the key on a websocket (browsers cannot set headers on one).
 *
 * Why not the toolkit's own `subscriptionUrl` option: it spreads every header into connectionParams under its
 * own spelling (`Authorization`, capitalised, where the gateway reads `authorization`). Here each subscription
 * gets its own short-lived graphql-ws connection whose `connection_init` carries the key as it is in the
 * headers editor at that moment, so changing the key takes effect on the next run.
 *
 * No DOM types on purpose: the unit tests load this file in Node.
 */
import {
  type Fetcher,
  type FetcherOpts,
  type FetcherParams,
  type Observable,
  createGraphiQLFetcher,
} from '@graphiql/toolkit';
import { type DocumentNode, Kind, parse } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import { type ClientOptions, type ExecutionResult, type FormattedExecutionResult, createClient } from 'graphql-ws';

export interface PlaygroundFetcherOptions {
  /** The HTTP GraphQL endpoint, e.g. `http://127.0.0.1:8000/graphql`. */
  url: string;
  /** The graphql-ws endpoint, e.g. `ws://127.0.0.1:8000/graphql`. */
  subscriptionUrl: string;
  fetch?: typeof fetch;
  /** Where there is no global WebSocket (Node tests). */
  webSocketImpl?: unknown;
  /** Told about every subscription's events (the page's stream transcript listens here). */
  observer?: SubscriptionObserver;
}

export interface SubscriptionObserver {
  start(params: FetcherParams): void;
  next(result: WsResult): void;
  /** `error` when the stream failed, `stopped` when the user stopped it. */
  end(outcome: { error?: unknown; stopped?: boolean }): void;
}

type Headers = Record<string, unknown> | undefined;

/** One graphql-ws result as it arrives (JSON: `data`, `errors`, `extensions`). */
export type WsResult = FormattedExecutionResult<Record<string, unknown>, unknown>;

/** The `Authorization` value from the headers editor, whatever its spelling; a bare key becomes `Bearer <key>`. */
export function authorizationFrom(headers: Headers): string | undefined {
  if (!headers) return undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'authorization' || typeof value !== 'string') continue;
    const trimmed = value.trim();
    if (trimmed === '') return undefined;
    return /^bearer\s/i.test(trimmed) ? trimmed : `Bearer ${trimmed}`;
  }
  return undefined;
}

/** graphql-ws `connectionParams` for the headers in the editor: `{ authorization: "Bearer <key>" }` or `{}`. */
export function wsConnectionParams(headers: Headers): { authorization?: string } {
  const authorization = authorizationFrom(headers);
  return authorization ? { authorization } : {};
}

/** The headers to send over HTTP: as typed, except that `Authorization` is normalised as above. */
export function httpHeaders(headers: Headers): Record<string, unknown> | undefined {
  if (!headers) return headers;
  const authorization = authorizationFrom(headers);
  const rest = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'));
  return authorization ? { ...rest, authorization } : rest;
}

/** Whether the operation GraphiQL is about to run is a subscription. */
export function isSubscription(params: FetcherParams, documentAST?: DocumentNode): boolean {
  let doc = documentAST;
  if (!doc) {
    try {
      doc = parse(params.query);
    } catch {
      return false;
    }
  }
  const operations = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const operation = params.operationName
    ? operations.find((o) => o.name?.value === params.operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
  return operation?.operation === 'subscription';
}

/**
 * Which transport subscriptions take: graphql-ws, or GraphQL over SSE where there is no WebSocket, and for
 * the rest of the page's life once a websocket could not connect (a proxy that blocks upgrades).
 */
export interface SubscriptionTransport {
  current: 'ws' | 'sse';
}

export function createPlaygroundFetcher(options: PlaygroundFetcherOptions, transport?: SubscriptionTransport): Fetcher {
  // Our gateway answers plain JSON (no multipart incremental delivery), so keep to the simple HTTP fetcher.
  const http = createGraphiQLFetcher({ url: options.url, fetch: options.fetch, enableIncrementalDelivery: false });
  const hasWebSocket = options.webSocketImpl !== undefined || typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function';
  const state: SubscriptionTransport = transport ?? { current: hasWebSocket ? 'ws' : 'sse' };
  return (params: FetcherParams, opts?: FetcherOpts) => {
    if (params.operationName !== 'IntrospectionQuery' && isSubscription(params, opts?.documentAST)) {
      return subscribe(options, params, opts?.headers, state);
    }
    return http(params, opts && { ...opts, headers: httpHeaders(opts.headers) });
  };
}

function subscribe(options: PlaygroundFetcherOptions, params: FetcherParams, headers: Headers, transport: SubscriptionTransport): Observable<ExecutionResult> {
  const observable = {
    subscribe(
      sinkOrNext?: Partial<Sink> | ((value: WsResult) => void),
      error?: ((err: unknown) => void) | null,
      complete?: () => void,
    ) {
      const sink: Sink =
        typeof sinkOrNext === 'object' && sinkOrNext !== null
          ? { next: sinkOrNext.next ?? noop, error: sinkOrNext.error ?? noop, complete: sinkOrNext.complete ?? noop }
          : { next: sinkOrNext ?? noop, error: error ?? noop, complete: complete ?? noop };
      const payload = { query: params.query, variables: params.variables ?? undefined, operationName: params.operationName ?? undefined };
      let dispose = (): void => undefined;
      let finished = false;
      let received = false;
      const finish = (outcome: { error?: unknown; stopped?: boolean }) => {
        if (finished) return false;
        finished = true;
        options.observer?.end(outcome);
        dispose();
        return true;
      };
      const onNext = (result: WsResult) => {
        if (finished) return;
        received = true;
        options.observer?.next(result);
        sink.next(result);
      };
      const onComplete = () => {
        if (finish({})) sink.complete();
      };
      const onFail = (err: unknown) => {
        const shown = toShownError(err);
        if (finish({ error: shown })) sink.error(shown);
      };

      // GraphQL over SSE: the key goes as the Authorization header, like the HTTP queries.
      const overSse = () => {
        const client = createSseClient({
          url: options.url,
          headers: httpHeaders(headers) as Record<string, string> | undefined,
          fetchFn: options.fetch,
          retryAttempts: 0,
        });
        const unsubscribe = client.subscribe<Record<string, unknown>>(payload, { next: onNext, error: onFail, complete: onComplete });
        dispose = () => {
          unsubscribe();
          client.dispose();
        };
      };

      const overWebSocket = () => {
        let connected = false;
        const client = createClient({
          url: options.subscriptionUrl,
          connectionParams: wsConnectionParams(headers),
          webSocketImpl: options.webSocketImpl as ClientOptions['webSocketImpl'],
          lazy: true,
          lazyCloseTimeout: 0,
          // Say what went wrong (a 4401/4403 close, an unreachable gateway) instead of retrying in silence.
          retryAttempts: 0,
          on: { connected: () => void (connected = true) },
        });
        const unsubscribe = client.subscribe<Record<string, unknown>>(payload, {
          next: onNext,
          error: (err) => {
            // The websocket never opened (not a GraphQL error): SSE for this run and every later one.
            if (!connected && !received && !finished && !Array.isArray(err)) {
              transport.current = 'sse';
              void client.dispose();
              overSse();
              return;
            }
            onFail(err);
          },
          complete: onComplete,
        });
        dispose = () => {
          unsubscribe();
          void client.dispose();
        };
      };

      options.observer?.start(params);
      if (transport.current === 'sse') overSse();
      else overWebSocket();
      return {
        unsubscribe() {
          finish({ stopped: true });
        },
      };
    },
  };
  // GraphiQL only reads `data`/`errors` as JSON, so the wire-format result is what it wants.
  return observable as unknown as Observable<ExecutionResult>;
}

interface Sink {
  next(value: WsResult): void;
  error(err: unknown): void;
  complete(): void;
}

const noop = (): void => undefined;

/** GraphQL errors (an array) pass through for GraphiQL to show; a close event becomes a readable Error. */
function toShownError(err: unknown): unknown {
  if (Array.isArray(err) || err instanceof Error) return err;
  if (err && typeof err === 'object' && 'code' in err) {
    const { code, reason } = err as { code: unknown; reason?: unknown };
    const hint = code === 4401 || code === 4403 ? ' (set "Authorization": "Bearer <key>" in the Headers tab)' : '';
    return new Error(`The websocket closed with ${String(code)}${reason ? ` ${String(reason)}` : ''}${hint}`);
  }
  return new Error(`The websocket failed: could not reach ${String((err as { target?: { url?: unknown } })?.target?.url ?? 'the gateway')}`);
}
