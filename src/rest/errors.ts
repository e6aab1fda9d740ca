import type { ServerResponse } from 'node:http';
import { RepeatedLog, repeatedLogOf } from '../core/log-repeats.ts';
import type { ErrorRequestHandler, Request, Response } from 'express';
import type { Logger } from 'pino';
import { CancelledError, type ErrorCode, type GatewayError, findGatewayError } from '../core/errors.ts';
import { requestIdOf } from '../http/request-id.ts';
import { HttpError, type HttpCode } from '../http/http-error.ts';
import { sendJson } from '../http/send.ts';
import { scrubSecrets } from '../core/secrets.ts';


/** OpenAI's `error.type` words, so that clients written for OpenAI classify our errors the way they expect. */
const TYPES: Record<ErrorCode | HttpCode, string> = {
  BAD_USER_INPUT: 'invalid_request_error',
  CONTEXT_LENGTH_EXCEEDED: 'invalid_request_error',
  UNAUTHENTICATED: 'authentication_error',
  FORBIDDEN: 'permission_error',
  BUDGET_EXCEEDED: 'insufficient_quota',
  RATE_LIMITED: 'rate_limit_error',
  MODEL_NOT_FOUND: 'not_found_error',
  PROVIDER_NOT_CONFIGURED: 'api_error',
  UPSTREAM_AUTH_FAILED: 'api_error',
  UPSTREAM_UNAVAILABLE: 'api_error',
  UPSTREAM_TIMEOUT: 'api_error',
  INTERNAL_SERVER_ERROR: 'api_error',
  NOT_FOUND: 'not_found_error',
  PAYLOAD_TOO_LARGE: 'invalid_request_error',
  UNSUPPORTED_MEDIA_TYPE: 'invalid_request_error',
};

/** ChatInput's field names → the OpenAI body's, so a REST caller is told about the field it actually sent. */
export const REST_FIELDS: Readonly<Record<string, string>> = { maxTokens: 'max_tokens', topP: 'top_p' };

export interface RestErrorBody {
  error: { message: string; type: string; code: string; param: string | null };
}


export interface RestError {
  status: number;
  body: RestErrorBody;
  retryAfterSeconds: number | undefined;
}

function fromGatewayError(e: GatewayError, fields: Readonly<Record<string, string>>): RestError {
  let message = e.message;
  for (const [ours, theirs] of Object.entries(fields)) message = message.replace(new RegExp(`\\b${ours}\\b`, 'g'), theirs);
  const field = e.details.field;
  // `messages.2.content` → `messages[2].content`; `maxTokens` → `max_tokens`.
  const param = typeof field === 'string' ? (fields[field] ?? field.replace(/\.(\d+)(?=\.|$)/g, '[$1]')) : null;
  return { status: e.httpStatus, body: { error: { message, type: TYPES[e.code], code: e.code, param } }, retryAfterSeconds: e.retryAfterSeconds };
}

/** body-parser's errors (they carry `type` and `status`) → our codes; its messages can quote the body, so they are replaced. */
function fromBodyParser(err: { type?: unknown; status?: unknown }): RestError | undefined {
  if (typeof err.type !== 'string' || typeof err.status !== 'number') return undefined;
  const restError = (status: number, code: ErrorCode | HttpCode, message: string): RestError => ({
    status,
    body: { error: { message, type: TYPES[code], code, param: null } },
    retryAfterSeconds: undefined,
  });
  if (err.type === 'entity.parse.failed') return restError(400, 'BAD_USER_INPUT', 'The request body is not valid JSON');
  if (err.status === 413) return restError(413, 'PAYLOAD_TOO_LARGE', 'The request body is too large');
  if (err.status === 415) return restError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported body encoding or charset: send UTF-8 JSON');
  if (err.status >= 400 && err.status < 500) return restError(400, 'BAD_USER_INPUT', 'The request body could not be read');
  return undefined;
}

/**
 * Any failure → status and `{"error":{"message","type","code","param"}}`. GatewayErrors keep their code and
 * the contract's status; anything unknown is a bug: logged with the request id, answered as a bare 500. `fields` renames
 * ChatInput's field names to the wire format's (Responses says `max_output_tokens` where chat says `max_tokens`).
 */
export function toRestError(err: unknown, requestId: string, logger: Logger, fields: Readonly<Record<string, string>> = REST_FIELDS): RestError {
  const restError = classify(err, requestId, logger, fields);
  // Messages may quote Together or the caller: the one scrubber (core/secrets.ts), as for GraphQL and logs.
  restError.body.error.message = scrubSecrets(restError.body.error.message);
  return restError;
}

function classify(err: unknown, requestId: string, logger: Logger, fields: Readonly<Record<string, string>>): RestError {
  const gatewayError = findGatewayError(err);
  if (gatewayError) return fromGatewayError(gatewayError, fields);
  if (err instanceof HttpError) {
    return { status: err.httpStatus, body: { error: { message: err.message, type: TYPES[err.code], code: err.code, param: null } }, retryAfterSeconds: undefined };
  }
  const parserError = err && typeof err === 'object' ? fromBodyParser(err as { type?: unknown; status?: unknown }) : undefined;
  if (parserError) return parserError;
  if (err instanceof CancelledError) {
    // The client hung up: not our failure, and nobody reads this (499 is nginx's "client closed request").
    logger.debug({ requestId }, 'request cancelled by the client');
    return { status: 499, body: { error: { message: err.message, type: 'cancelled', code: 'CANCELLED', param: null } }, retryAfterSeconds: undefined };
  }
  // One line per cause per interval: a dead store fails every request the same way (issue 16.8).
  repeatedLogOf(logger).error(logger, RepeatedLog.causeOf(err), { err, requestId }, 'unexpected error in a REST route');
  return {
    status: 500,
    body: { error: { message: `Internal server error (request id ${requestId})`, type: TYPES.INTERNAL_SERVER_ERROR, code: 'INTERNAL_SERVER_ERROR', param: null } },
    retryAfterSeconds: undefined,
  };
}

/** Answers with the error (JSON, status, Retry-After) unless the response has started or the client is gone. */
export function sendRestError(res: ServerResponse, err: unknown, logger: Logger): void {
  const restError = toRestError(err, requestIdOf(res), logger);
  if (res.headersSent || res.destroyed) return;
  if (restError.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(restError.retryAfterSeconds));
  sendJson(res, restError.status, restError.body);
}

/** The error handler closing every REST router: nothing thrown in a route reaches Express's HTML page. */
export const restErrorHandler =
  (logger: Logger): ErrorRequestHandler =>
  (err: unknown, _req: Request, res: Response, _next) =>
    sendRestError(res, err, logger);
