import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

/** What an incoming `x-request-id` may look like to be honoured (anything else is replaced, never echoed). */
const VALID_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Each response's id, for GraphQL, REST and logs (plain node:http responses too: the REST fast path has no res.locals). */
const ids = new WeakMap<ServerResponse, string>();

/**
 * Gives a request its id (the caller's `x-request-id` when it is sane, else a UUID) and sets it on the response
 * before anything else can answer.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const requestId = typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  ids.set(res, requestId);
  res.setHeader('x-request-id', requestId);
  return requestId;
}

/** assignRequestId as the first Express middleware. */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  assignRequestId(req, res);
  next();
}

/** The id assignRequestId gave this request. */
export const requestIdOf = (res: ServerResponse): string => ids.get(res) ?? randomUUID();
