import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHandler } from 'graphql-sse';
import type { GatewayContext } from '../context.ts';
import { type StreamOperations, STREAMING_TRANSPORTS, once } from './operation.ts';
import { writeStream } from './write.ts';

/**
 * GraphQL over Server-Sent Events, the graphql-sse protocol's "distinct connections" mode: one request, one
 * operation, one event stream (`POST /graphql` with a JSON body, or `GET /graphql?query=…` for EventSource),
 * `next` events with each result and a `complete` event at the end. graphql-sse's handler speaks the protocol;
 * our StreamOperations prepares and runs the operation (limits, context, formatted errors). The "single
 * connection" mode (PUT a stream token, then POST operations onto it) is off: it keeps per-client state on one
 * replica, which a load balancer cannot route to, and the distinct mode is what every client defaults to.
 */
export function sseTransport(
  operations: StreamOperations,
  context: (req: IncomingMessage, res: ServerResponse) => Promise<GatewayContext>,
): (req: IncomingMessage, res: ServerResponse, body: unknown) => Promise<void> {
  const handler = createHandler<IncomingMessage, { res: ServerResponse }>({
    // No token: distinct connections only.
    authenticate: () => null,
    onSubscribe: async (req, params) => {
      const prepared = operations.prepare(params);
      // Parse and validation errors: a `next` with the errors, then `complete` (what graphql-sse itself does
      // for text/event-stream, so EventSource clients, which cannot read an error status, see them).
      if (!('kind' in prepared)) return once({ errors: operations.formatErrors(prepared) }) as AsyncGenerator<never>;
      if (prepared.kind === 'mutation' && req.method === 'GET') {
        return [
          JSON.stringify({ errors: [{ message: 'Mutations are not allowed over GET: use POST', extensions: { code: 'BAD_REQUEST' } }] }),
          { status: 405, statusText: 'Method Not Allowed', headers: { allow: 'POST', 'content-type': 'application/json; charset=utf-8' } },
        ] as const;
      }
      const results = await operations.run(prepared, params, await context(req.raw, req.context.res));
      return results as AsyncGenerator<never>;
    },
  });
  return async (req, res, body) => {
    const [responseBody, init] = await handler({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: {
        // Routed here because the client prefers text/event-stream; graphql-sse compares the header exactly.
        get: (key) => (key === 'accept' ? 'text/event-stream' : headerValue(req, key)),
      },
      body: body === undefined ? null : (body as Record<string, unknown>),
      raw: req,
      context: { res },
    });
    const headers: Record<string, string> = { ...init.headers };
    if (headers['content-type']?.startsWith('text/event-stream')) {
      // graphql-sse's `content-encoding: none` is not a coding; proxies (nginx) must not buffer the stream.
      delete headers['content-encoding'];
      headers['x-accel-buffering'] = 'no';
    }
    if (init.status === 404 || init.status === 415) {
      // graphql-sse answers these without a body: say what we speak instead.
      const hint = init.status === 415 ? 'Send a JSON body (`Content-Type: application/json`)' : `Unsupported request; use ${STREAMING_TRANSPORTS}`;
      res.writeHead(init.status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ errors: [{ message: hint, extensions: { code: 'BAD_REQUEST' } }] }));
      return;
    }
    res.writeHead(init.status, init.statusText, headers);
    if (!responseBody || typeof responseBody === 'string') {
      res.end(responseBody ?? undefined);
      return;
    }
    await writeStream(res, responseBody);
  };
}

function headerValue(req: IncomingMessage, key: string): string | undefined {
  const value = req.headers[key.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}
