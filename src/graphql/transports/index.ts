import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../context.ts';
import { readGraphQLBody } from '../http-fast-path.ts';
import { isPlainJson } from '../../http/body.ts';
import { sendJson } from '../../http/send.ts';
import { multipartTransport } from './multipart.ts';
import { type OperationParams, type StreamOperations, STREAMING_TRANSPORTS, requestError } from './operation.ts';
import { sseTransport } from './sse.ts';

import { isCallbackRequest } from './callback.ts';

export { StreamOperations } from './operation.ts';
export { routerCallbacks } from './callback.ts';

type Streaming = 'sse' | 'multipart';

/**
 * Which HTTP streaming transport a request asks for, from its Accept header: multipart when it names Apollo's
 * subscription spec (`multipart/mixed;subscriptionSpec="1.0"`, Apollo Client and routers send nothing else
 * with it), SSE when `text/event-stream` is its preferred type (graphql-sse's client, EventSource, curl). A
 * client merely listing text/event-stream after JSON (urql does, for every query) is answered by Apollo.
 */
export function streamingTransportOf(accept: string | undefined): Streaming | undefined {
  if (!accept) return undefined;
  let preferred: { type: string; q: number } | undefined;
  for (const entry of accept.split(',')) {
    const [type = '', ...params] = entry.split(';').map((p) => p.trim().toLowerCase());
    if (type === 'multipart/mixed' && params.some((p) => p.startsWith('subscriptionspec='))) return 'multipart';
    const q = Number(params.find((p) => p.startsWith('q='))?.slice(2) ?? 1);
    if (!preferred || q > preferred.q) preferred = { type, q: Number.isFinite(q) ? q : 0 };
  }
  return preferred?.type === 'text/event-stream' && preferred.q > 0 ? 'sse' : undefined;
}

/**
 * `/graphql` requests that ask for a stream (SSE or multipart), served from node:http before Express like
 * the other fast paths (same request id, CORS and drain tracking): Apollo Server cannot stream a subscription.
 */
export function httpStreamsFastPath(
  operations: StreamOperations,
  context: (req: IncomingMessage, res: ServerResponse) => Promise<GatewayContext>,
  options: { maxBodyBytes: number; heartbeatMs: number },
): { matches(req: IncomingMessage): boolean; serve(req: IncomingMessage, res: ServerResponse): void } {
  const sse = sseTransport(operations, context);
  const multipart = multipartTransport(operations, context, options.heartbeatMs);
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const transport = streamingTransportOf(req.headers.accept)!;
    let body: unknown;
    if (req.method === 'POST') {
      if (!isPlainJson(req)) {
        sendJson(res, 415, { errors: [{ message: 'Send the operation as a UTF-8 JSON body (`Content-Type: application/json`)', extensions: { code: 'BAD_REQUEST' } }] });
        return;
      }
      body = await readGraphQLBody(req, res, options.maxBodyBytes);
      if (body === undefined) return;
    }
    if (transport === 'sse') return sse(req, res, body);
    const params = req.method === 'POST' ? operations.paramsFrom(body) : paramsFromUrl(operations, req.url ?? '');
    if (!('query' in params)) {
      sendJson(res, 400, { errors: operations.formatErrors([params]) });
      return;
    }
    return multipart(req, res, params);
  };
  return {
    matches: (req) =>
      (req.method === 'POST' || req.method === 'GET') &&
      (req.url === '/graphql' || req.url?.startsWith('/graphql?') === true) &&
      streamingTransportOf(req.headers.accept) !== undefined,
    serve: (req, res) =>
      void serve(req, res).catch((err: unknown) => {
        if (!res.headersSent && !res.destroyed) sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
        else res.destroy(err as Error);
      }),
  };
}

function paramsFromUrl(operations: StreamOperations, url: string): ReturnType<StreamOperations['paramsFrom']> {
  const search = new URLSearchParams(url.split('?')[1] ?? '');
  const json = (name: string): unknown => {
    const raw = search.get(name);
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  };
  return operations.paramsFrom({
    query: search.get('query') ?? undefined,
    variables: json('variables'),
    operationName: search.get('operationName') ?? undefined,
    extensions: json('extensions'),
  });
}

/**
 * For Apollo Server: a subscription that reached it came over plain JSON HTTP, which cannot stream. Refused
 * before anything runs with 406 and the transports that can (Apollo would otherwise run it as a query and
 * fail inside graphql-js with "Cannot return null for non-nullable field Subscription.chatStream").
 */
export const refuseUnstreamableSubscriptions: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, request }) {
        if (operation?.operation !== 'subscription' || isCallbackRequest(request)) return;
        throw requestError(`Subscriptions stream: use ${STREAMING_TRANSPORTS}. A plain JSON request cannot carry one.`, 406);
      },
    };
  },
};

export type { OperationParams };
