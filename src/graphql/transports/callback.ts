import type { ApolloServerPlugin, GraphQLRequest } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { type FormattedExecutionResult, GraphQLError, OperationTypeNode } from 'graphql';
import { GatewayError, findGatewayError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { GatewayContext } from '../context.ts';
import { type StreamOperations, requestError } from './operation.ts';
import { gatewayErrorExtensions } from '../errors.ts';

/** What Apollo Router puts in `extensions.subscription` (camelCase; the snake_case spellings of early routers too). */
interface CallbackTarget {
  callbackUrl: string;
  id: string;
  verifier: string;
  heartbeatIntervalMs: number;
}

export interface RouterCallbackOptions {
  operations: StreamOperations;
  /** URL prefixes a callbackUrl may start with (SUBSCRIPTION_CALLBACK_URLS); none: callbacks refused. */
  allowedUrls: readonly string[];
  logger: Logger;
  /** Per callback request; the router answers at once. */
  requestTimeoutMs?: number;
  /** Consecutive failed deliveries (network, 5xx) before the subscription is ended. */
  maxFailures?: number;
}

const PROTOCOL_HEADER = { 'subscription-protocol': 'callback/1.0' };

/** Apollo Router's callback protocol marks its subscription requests with `extensions.subscription`. */
export const isCallbackRequest = (request: Pick<GraphQLRequest, 'extensions'>): boolean =>
  typeof request.extensions?.subscription === 'object' && request.extensions.subscription !== null;

/**
 * Apollo Router's HTTP callback protocol for subgraph subscriptions. The router POSTs the subscription with
 * `extensions.subscription` ({ callbackUrl, subscriptionId, verifier, heartbeatIntervalMs }) and the client's
 * forwarded headers; the gateway then:
 * 1. checks the key (before anything is sent anywhere) and that callbackUrl is one the operator allowed;
 * 2. sends `check` to callbackUrl (the router answers 204), starts the subscription, and answers the
 *    request with `{"data": null}`, or with the errors if the subscription was refused at once;
 * 3. sends each result as `next`, a `check` heartbeat every heartbeatIntervalMs, and `complete` at the end,
 *    with the errors of a failure mid-stream;
 * 4. ends the subscription (aborting Together's request) when the router answers 404 (or 400: the
 *    subscription is unknown to it) or cannot be reached after `maxFailures` tries.
 *
 * Written here rather than with Apollo Server's subscription-callback plugin, which sends graphql-js's raw
 * errors (no formatError: internal messages and no request id), starts calling the URL before the key is
 * checked, and has no allow-list: any key holder could make the gateway POST to any address.
 */
export function routerCallbacks(options: RouterCallbackOptions): ApolloServerPlugin<GatewayContext> {
  const { operations, logger } = options;
  const timeoutMs = options.requestTimeoutMs ?? 5000;
  const maxFailures = options.maxFailures ?? 3;

  /** POSTs one message; resolves to the router's status (0: unreachable after retries). */
  const send = async (target: CallbackTarget, action: 'check' | 'next' | 'complete', extra: Record<string, unknown> = {}): Promise<number> => {
    const body = JSON.stringify({ kind: 'subscription', action, id: target.id, verifier: target.verifier, ...extra });
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      try {
        const res = await fetch(target.callbackUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...PROTOCOL_HEADER },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.body?.cancel();
        status = res.status;
      } catch {
        status = 0;
      }
      if ((status > 0 && status < 500) || attempt >= maxFailures) return status;
      await new Promise((resolve) => setTimeout(resolve, 100 * 3 ** (attempt - 1)));
    }
  };

  const deliver = async (target: CallbackTarget, stream: AsyncGenerator<FormattedExecutionResult>, requestId: string): Promise<void> => {
    let ended = false;
    const end = (why: string, status: number): void => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      logger.debug({ requestId, subscriptionId: target.id, status }, `router callback subscription ended: ${why}`);
      // Aborts the upstream call at once (the resolver's iterator), and the row says cancelled.
      void stream.return(undefined).catch(() => undefined);
    };
    const gone = (status: number): boolean => status === 0 || status === 400 || status === 404;
    let beating = false;
    const heartbeat =
      target.heartbeatIntervalMs > 0
        ? setInterval(() => {
            if (beating) return;
            beating = true;
            void send(target, 'check')
              .then((status) => gone(status) && end('the router no longer knows it (heartbeat)', status))
              .finally(() => (beating = false));
          }, target.heartbeatIntervalMs)
        : undefined;
    try {
      for await (const result of stream) {
        if (ended) return;
        if (result.errors?.length && result.data == null) {
          // A failure mid-stream ends the subscription: `complete` carries its errors.
          ended = true;
          clearInterval(heartbeat);
          await send(target, 'complete', { errors: result.errors });
          return;
        }
        const status = await send(target, 'next', { payload: result });
        if (gone(status)) return end('the router refused `next`', status);
      }
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      await send(target, 'complete');
    } catch (err) {
      logger.error({ err, requestId }, 'router callback delivery failed');
      end('delivery failed', 0);
    }
  };

  return {
    async requestDidStart({ request }) {
      if (!isCallbackRequest(request)) return;
      let target: CallbackTarget;
      return {
        async didResolveOperation({ operation, contextValue }) {
          if (operation?.operation !== 'subscription') throw requestError('`extensions.subscription` (router callbacks) is for subscription operations only');
          target = targetOf(request.extensions!.subscription as Record<string, unknown>, options.allowedUrls);
          // The key first: nothing is sent to any URL for a caller without one.
          try {
            await contextValue.auth.require();
          } catch (err) {
            throw withHttpStatus(err);
          }
          const status = await send(target, 'check');
          if (status < 200 || status >= 300) {
            throw requestError(`The router did not confirm the subscription: its callback answered ${status || 'nothing'} to \`check\``, 400);
          }
        },
        async responseForOperation({ document, request: graphqlRequest, contextValue }) {
          const started = await operations.start(
            { document: document!, kind: OperationTypeNode.SUBSCRIPTION },
            { query: graphqlRequest.query ?? '', variables: graphqlRequest.variables, operationName: graphqlRequest.operationName },
            contextValue,
          );
          const http = { status: 200, headers: new HeaderMap([['content-type', 'application/json'], ['subscription-protocol', 'callback/1.0']]) };
          // Refused at once (rpm, budget, unknown model): the router hears it in the answer, and no callback follows.
          if ('result' in started) return { http, body: { kind: 'single', singleResult: started.result as never } };
          void deliver(target, started.stream, contextValue.requestId);
          return { http, body: { kind: 'single', singleResult: { data: null } } };
        },
      };
    },
  };
}

function targetOf(extension: Record<string, unknown>, allowedUrls: readonly string[]): CallbackTarget {
  const callbackUrl = extension.callbackUrl ?? extension.callback_url;
  const id = extension.subscriptionId ?? extension.subscription_id;
  const verifier = extension.verifier;
  const heartbeat = extension.heartbeatIntervalMs ?? extension.heartbeat_interval_ms ?? 5000;
  if (typeof callbackUrl !== 'string' || typeof id !== 'string' || typeof verifier !== 'string') {
    throw requestError('`extensions.subscription` needs `callbackUrl`, `subscriptionId` and `verifier` strings');
  }
  if (typeof heartbeat !== 'number' || !Number.isFinite(heartbeat) || heartbeat < 0) {
    throw requestError('`extensions.subscription.heartbeatIntervalMs` must be a number ≥ 0');
  }
  if (!isAllowed(callbackUrl, allowedUrls)) {
    const message =
      allowedUrls.length === 0
        ? 'Router callbacks are off on this gateway: the operator sets SUBSCRIPTION_CALLBACK_URLS to the router\'s callback URL'
        : 'This callbackUrl is not one of the gateway\'s SUBSCRIPTION_CALLBACK_URLS';
    throw withHttpStatus(new GatewayError('FORBIDDEN', message));
  }
  // A router's heartbeat far below a second would make the gateway a request generator: keep at least 100 ms.
  return { callbackUrl, id, verifier, heartbeatIntervalMs: heartbeat === 0 ? 0 : Math.max(100, heartbeat) };
}

/** Same origin as an allowed prefix, and its path under the prefix's path (so `…:4000` never matches `…:40001`). */
function isAllowed(url: string, allowedUrls: readonly string[]): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return false;
  return allowedUrls.some((prefix) => {
    try {
      const allowed = new URL(prefix);
      const path = allowed.pathname.replace(/\/+$/, '');
      return allowed.origin === target.origin && (target.pathname === path || target.pathname.startsWith(`${path}/`));
    } catch {
      return false;
    }
  });
}

/** A GatewayError answered before any execution keeps its contract status (401, 403, …) over Apollo's 500. */
function withHttpStatus(err: unknown): GraphQLError {
  const gatewayError = findGatewayError(err);
  if (!gatewayError) return err instanceof GraphQLError ? err : new GraphQLError('Operation failed', { originalError: err as Error });
  return new GraphQLError(gatewayError.message, { originalError: gatewayError, extensions: { ...gatewayErrorExtensions(gatewayError), http: { status: gatewayError.httpStatus } } });
}
