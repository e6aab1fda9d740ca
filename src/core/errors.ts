import { GraphQLError } from 'graphql';

/**
 * The one table of error codes (docs/api.md, ../shared/design/api.md). Every failure a client can see is a
 * GatewayError: GraphQL puts `code` in `extensions.code`, REST uses `httpStatus` and the same code.
 */
export const ERROR_CODES = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BUDGET_EXCEEDED: 402,
  RATE_LIMITED: 429,
  MODEL_NOT_FOUND: 404,
  CONTEXT_LENGTH_EXCEEDED: 400,
  PROVIDER_NOT_CONFIGURED: 503,
  UPSTREAM_AUTH_FAILED: 502,
  UPSTREAM_UNAVAILABLE: 503,
  UPSTREAM_TIMEOUT: 504,
  INTERNAL_SERVER_ERROR: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface GatewayErrorOptions {
  retryAfterSeconds?: number;
  /** Extra machine-readable detail for clients (field names, limits). Never secrets. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** Extends GraphQLError so that Apollo Server and graphql-ws both pass `extensions.code` through unchanged. */
export class GatewayError extends GraphQLError {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    const extensions: Record<string, unknown> = { code, ...options.details };
    if (options.retryAfterSeconds !== undefined) extensions.retryAfterSeconds = options.retryAfterSeconds;
    super(message, { extensions, originalError: options.cause instanceof Error ? options.cause : undefined });
    this.name = 'GatewayError';
    this.code = code;
    this.httpStatus = ERROR_CODES[code];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const badInput = (message: string, field?: string): GatewayError =>
  new GatewayError('BAD_USER_INPUT', message, field ? { details: { field } } : {});

export const providerNotConfigured = (): GatewayError =>
  new GatewayError('PROVIDER_NOT_CONFIGURED', 'Together API key not configured');

/**
 * The caller went away (websocket closed, unsubscribe, HTTP connection closed). Nobody is left to receive it;
 * it exists so the activity log can say `cancelled` and no retry or error report follows.
 */
export class CancelledError extends Error {
  constructor(message = 'The client cancelled the request') {
    super(message);
    this.name = 'CancelledError';
  }
}


/** Walks GraphQLError.originalError / Error.cause chains to the GatewayError that caused a failure, if any. */
export function findGatewayError(e: unknown): GatewayError | undefined {
  let current: unknown = e;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof GatewayError) return current;
    const next = (current as { originalError?: unknown; cause?: unknown }).originalError ?? (current as { cause?: unknown }).cause;
    current = next;
  }
  return undefined;
}
