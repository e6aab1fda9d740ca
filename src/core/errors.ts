/**
 * The one table of error codes (docs/api.md, ../shared/design/api.md). Every failure a client can see is a
 * GatewayError. It knows no wire format: each face maps it at its edge (GraphQL in src/graphql/errors.ts: `code`,
 * `retryAfterSeconds` and `details` in `extensions`; REST in src/rest/errors.ts: `httpStatus` and the same code).
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

/** A failure a client may see, with its code from the one table; plain (no GraphQL), so every layer may raise it. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly retryAfterSeconds: number | undefined;
  /** Machine-readable detail for clients (field names, limits, what was tried). Never secrets. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.httpStatus = ERROR_CODES[code];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details ?? {};
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
