import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApolloServer, type BaseContext, HeaderMap } from '@apollo/server';
import { findGatewayError } from '../core/errors.ts';
import { HttpError } from '../http/http-error.ts';
import { isPlainJson, readJsonBody } from '../http/body.ts';
import { sendJson } from '../http/send.ts';

/**
 * `POST /graphql` with a plain UTF-8 JSON body, handed to Apollo Server straight from node:http: what
 * @as-integrations/express5 does, without Express's router and body parser in front (~13 % of a call's CPU
 * under load, measured with --cpu-prof; see docs/benchmarks.md). Everything else on /graphql (GET, the
 * playground, gzip bodies, other charsets) goes through Express as before, to the same Apollo Server.
 */
export function graphqlFastPath<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  context: (req: IncomingMessage, res: ServerResponse) => Promise<TContext>,
  maxBytes: number,
): { matches(req: IncomingMessage): boolean; serve(req: IncomingMessage, res: ServerResponse): void } {
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readGraphQLBody(req, res, maxBytes);
    if (body === undefined) return;
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const answer = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search: '', body },
      context: () => context(req, res),
    });
    for (const [key, value] of answer.headers) res.setHeader(key, value);
    res.statusCode = answer.status ?? 200;
    if (answer.body.kind === 'complete') {
      res.setHeader('content-length', Buffer.byteLength(answer.body.string));
      res.end(answer.body.string);
      return;
    }
    for await (const chunk of answer.body.asyncIterator) res.write(chunk);
    res.end();
  };
  return {
    matches: (req) => req.method === 'POST' && req.url === '/graphql' && isPlainJson(req),
    serve: (req, res) =>
      void serve(req, res).catch((err: unknown) => {
        // Apollo answers every GraphQL error itself; reaching here is a bug or a dead socket.
        if (!res.headersSent && !res.destroyed) sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
        else res.destroy(err as Error);
      }),
  };
}

/**
 * A GraphQL request's JSON body, or undefined once a 413/400 has been answered: the same answers as
 * bodyErrorHandler gives on the Express route, in GraphQL's shape.
 */
export async function readGraphQLBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<unknown> {
  try {
    return await readJsonBody(req, res, maxBytes);
  } catch (err) {
    const tooLarge = err instanceof HttpError;
    const message = tooLarge ? `Request body too large: at most ${maxBytes} bytes` : (findGatewayError(err)?.message ?? 'Request body could not be read');
    if (!res.headersSent && !res.destroyed) {
      sendJson(res, tooLarge ? 413 : 400, { errors: [{ message, extensions: { code: 'BAD_USER_INPUT', ...(tooLarge ? { maxBytes } : {}) } }] });
    }
    return undefined;
  }
}
