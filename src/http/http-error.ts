/**
 * HTTP-level failures below the contract's table: no route, a body too large or not
 * JSON. Both HTTP faces (REST, the GraphQL fast path) raise them; everything else uses the contract's table
 * (src/core/errors.ts).
 */
const HTTP_CODES = { NOT_FOUND: 404, PAYLOAD_TOO_LARGE: 413, UNSUPPORTED_MEDIA_TYPE: 415 } as const;
export type HttpCode = keyof typeof HTTP_CODES;

/** An error REST answers with its own status (404 route, 413, 415): not a GatewayError, never logged as a bug. */
export class HttpError extends Error {
  constructor(
    readonly code: HttpCode,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  get httpStatus(): number {
    return HTTP_CODES[this.code];
  }
}
