import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/** What an incoming `x-request-id` may look like to be honoured (anything else is replaced, never echoed). */
const VALID_REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Gives every HTTP request an id (the caller's `x-request-id` when it is sane, else a UUID), sets it on the
 * response before anything else can answer, and keeps it in `res.locals.requestId` for GraphQL, REST and logs.
 */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.header('x-request-id');
  const requestId = incoming && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.locals.requestId = requestId;
  res.setHeader('x-request-id', requestId);
  next();
}

/** The id requestIdMiddleware gave this request. */
export const requestIdOf = (res: Response): string => (res.locals.requestId as string | undefined) ?? randomUUID();
