import express, { type ErrorRequestHandler, type RequestHandler } from 'express';

/**
 * JSON bodies capped at `MAX_BODY_BYTES`. body-parser refuses a larger declared Content-Length before reading
 * it, and stops reading a chunked body at the cap, so a 10 MB body costs the gateway at most the cap.
 */
export function jsonBody(maxBytes: number): RequestHandler {
  return express.json({ limit: maxBytes });
}

interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
  expose?: boolean;
  message?: string;
}

/**
 * Body errors as contract errors instead of express's HTML page: 413 (too large) and 400 (not JSON, wrong
 * charset) are both `BAD_USER_INPUT`. /graphql answers in GraphQL's shape (`{"errors":[…]}`), every other path
 * in the REST shape (`{"error":{message,type,code}}`). Anything else goes on to the next handler.
 */
export function bodyErrorHandler(maxBytes: number): ErrorRequestHandler {
  return (err: BodyParserError, req, res, next) => {
    const status = err?.status ?? err?.statusCode;
    if (res.headersSent || typeof status !== 'number' || status < 400 || status >= 500 || !err.type) return next(err);
    const message =
      err.type === 'entity.too.large'
        ? `Request body too large: at most ${maxBytes} bytes`
        : err.type === 'entity.parse.failed'
          ? 'The request body is not valid JSON'
          : `Request body refused (${err.type})`;
    // The body was not read to its end: do not keep a connection whose input stream is unknown.
    if (err.type === 'entity.too.large') res.setHeader('connection', 'close');
    if (req.path === '/graphql' || req.baseUrl === '/graphql') {
      res.status(status).json({ errors: [{ message, extensions: { code: 'BAD_USER_INPUT', ...(status === 413 ? { maxBytes } : {}) } }] });
    } else {
      res.status(status).json({ error: { message, type: 'invalid_request_error', code: 'BAD_USER_INPUT' } });
    }
  };
}
