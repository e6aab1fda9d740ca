import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FormattedExecutionResult } from 'graphql';
import type { GatewayContext } from '../context.ts';
import { type OperationParams, type StreamOperations, once } from './operation.ts';
import { writeStream } from './write.ts';

const BOUNDARY = 'graphql';
export const MULTIPART_CONTENT_TYPE = `multipart/mixed;boundary="${BOUNDARY}";subscriptionSpec="1.0"`;
const PART_HEAD = '\r\ncontent-type: application/json; charset=utf-8\r\n\r\n';

/**
 * Apollo's multipart HTTP subscription protocol (what Apollo Client's HttpLink, Apollo Router and Hive Router
 * speak): the client sends `Accept: multipart/mixed;subscriptionSpec="1.0"` and reads one multipart/mixed
 * response, a part per event:
 * - `{"payload": <result>}` per result, GraphQL errors inside the payload (`{"payload":{"errors":[…]}}`),
 *   including a failure mid-stream, after which the response ends;
 * - `{}` every `HTTP_STREAM_HEARTBEAT_MS` (5 s, as the router sends them), so idle proxies keep the
 *   connection and the client knows the server is alive;
 * - the closing delimiter `--graphql--` when the operation completes.
 * Each part is followed at once by the next delimiter, so a client parses an event as soon as it arrives
 * instead of when the next one does. Closing the connection ends the stream and aborts the upstream call.
 */
export function multipartTransport(
  operations: StreamOperations,
  context: (req: IncomingMessage, res: ServerResponse) => Promise<GatewayContext>,
  heartbeatMs: number,
): (req: IncomingMessage, res: ServerResponse, params: OperationParams) => Promise<void> {
  return async (req, res, params) => {
    const prepared = operations.prepare(params);
    let results: Promise<AsyncGenerator<FormattedExecutionResult>>;
    if (!('kind' in prepared)) {
      results = Promise.resolve(once({ errors: operations.formatErrors(prepared) }));
    } else if (prepared.kind === 'mutation' && req.method === 'GET') {
      res.writeHead(405, { allow: 'POST', 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ errors: [{ message: 'Mutations are not allowed over GET: use POST', extensions: { code: 'BAD_REQUEST' } }] }));
      return;
    } else {
      results = context(req, res).then((ctx) => operations.run(prepared, params, ctx));
    }
    // The head and the heartbeats go out at once, while the operation starts (Together's first byte can take
    // seconds): the client and every proxy in between see a live response from the start.
    res.writeHead(200, { 'content-type': MULTIPART_CONTENT_TYPE, 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    await writeStream(res, parts(results, heartbeatMs));
  };
}

/** The response body: the opening delimiter, then each part followed by a delimiter, heartbeats in between. */
function parts(starting: Promise<AsyncGenerator<FormattedExecutionResult>>, heartbeatMs: number): AsyncGenerator<string> {
  const queue: string[] = [`\r\n--${BOUNDARY}`];
  let wake: (() => void) | undefined;
  let finished = false;
  const push = (chunk: string): void => {
    queue.push(chunk);
    wake?.();
  };
  const part = (json: string): string => `${PART_HEAD}${json}\r\n--${BOUNDARY}`;
  const heartbeat = setInterval(() => push(part('{}')), heartbeatMs);
  let results: AsyncGenerator<FormattedExecutionResult> | undefined;
  void (async () => {
    try {
      results = await starting;
      // The client left while the operation was starting: end it now (its upstream call is aborted).
      if (finished) return void (await results.return(undefined));
      for await (const result of results) push(part(JSON.stringify({ payload: result })));
    } finally {
      clearInterval(heartbeat);
      push('--\r\n');
      finished = true;
      wake?.();
    }
  })().catch(() => undefined);
  const iterator = {
    async next(): Promise<IteratorResult<string>> {
      while (queue.length === 0 && !finished) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      if (queue.length === 0) return { done: true, value: undefined };
      // Everything ready goes out in one write.
      return { done: false, value: queue.splice(0).join('') };
    },
    async return(): Promise<IteratorResult<string>> {
      clearInterval(heartbeat);
      finished = true;
      queue.length = 0;
      wake?.();
      // The client left: end the operation (aborts the upstream call).
      await results?.return(undefined);
      return { done: true, value: undefined };
    },
    async throw(err?: unknown): Promise<IteratorResult<string>> {
      await iterator.return();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator as unknown as AsyncGenerator<string>;
}
