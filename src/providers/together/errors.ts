import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { GatewayError } from '../../core/errors.ts';

/** Together's error body is `{id, error: {message, type, param, code}}`; `message` is sometimes itself an object. */
function upstreamMessage(err: APIError): string {
  const body = err.error as { message?: unknown } | undefined;
  let message: unknown = body?.message;
  if (message && typeof message === 'object') message = (message as { message?: unknown }).message;
  return typeof message === 'string' && message.trim() !== '' ? message : `HTTP ${err.status ?? '?'}`;
}

function upstreamCode(err: APIError): string | undefined {
  const body = err.error as { code?: unknown; type?: unknown } | undefined;
  if (typeof body?.code === 'string') return body.code;
  return typeof body?.type === 'string' ? body.type : undefined;
}

/**
 * Seconds a client should wait, from Together's `retry-after` (seconds or an HTTP date) or
 * `x-ratelimit-reset` (seconds until the window resets; only for 429s, where it means exactly that). Rounded
 * up; at least 1.
 */
export function retryAfterSeconds(headers: Headers | undefined, now = Date.now(), rateLimitReset = true): number | undefined {
  if (!headers) return undefined;
  const parse = (raw: string | null): number | undefined => {
    if (!raw) return undefined;
    const seconds = Number(raw);
    if (Number.isFinite(seconds)) return seconds;
    const date = Date.parse(raw);
    return Number.isFinite(date) ? (date - now) / 1000 : undefined;
  };
  const value = parse(headers.get('retry-after')) ?? (rateLimitReset ? parse(headers.get('x-ratelimit-reset')) : undefined);
  return value === undefined ? undefined : Math.max(1, Math.ceil(value));
}

/**
 * How long Together asked us to wait before trying again, exactly (0 allowed), for the retry loop: `retry-after`
 * on any status, and `x-ratelimit-reset` on a 429. Undefined when it said nothing.
 */
export function retryAfterMs(err: unknown, now = Date.now()): number | undefined {
  if (!(err instanceof APIError) || !err.headers) return undefined;
  const parse = (raw: string | null): number | undefined => {
    if (!raw) return undefined;
    const seconds = Number(raw);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(raw);
    return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
  };
  return parse(err.headers.get('retry-after')) ?? (err.status === 429 ? parse(err.headers.get('x-ratelimit-reset')) : undefined);
}

const CONTEXT_MESSAGE = /context length|context window|maximum context|must be <=|too many tokens|exceeds the model/i;

/**
 * Together's errors mapped to the contract's codes. Messages that could carry our key (401) are replaced;
 * validation messages are passed on because they tell the caller what to fix.
 */
export function mapTogetherError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof APIConnectionTimeoutError) {
    return new GatewayError('UPSTREAM_TIMEOUT', 'Together did not answer before the deadline', { cause: err });
  }
  if (err instanceof APIError && err.status === undefined && !(err instanceof APIConnectionError)) {
    // An `error` object inside an SSE stream: Together failed after it had started answering.
    return new GatewayError('UPSTREAM_UNAVAILABLE', `Together failed mid-stream: ${upstreamMessage(err)}`, { cause: err });
  }
  if (err instanceof APIConnectionError) {
    return new GatewayError('UPSTREAM_UNAVAILABLE', 'Together is unreachable', { cause: err });
  }
  if (err instanceof APIError) {
    const status = err.status ?? 0;
    const code = upstreamCode(err);
    const message = upstreamMessage(err);
    if (status === 401) {
      return new GatewayError('UPSTREAM_AUTH_FAILED', 'Together rejected the gateway\'s API key', { cause: err });
    }
    if (status === 403 || (status === 400 && CONTEXT_MESSAGE.test(message))) {
      // Together answers 403 when prompt + max_tokens exceed the model's context, not for auth.
      return new GatewayError('CONTEXT_LENGTH_EXCEEDED', `Context length exceeded: ${message}`, { cause: err });
    }
    if (status === 404 || code === 'model_not_available') {
      return new GatewayError('MODEL_NOT_FOUND', message, { cause: err });
    }
    if (status === 429) {
      const retryAfter = retryAfterSeconds(err.headers) ?? 1;
      return new GatewayError('RATE_LIMITED', `Together rate limit: ${message}`, { retryAfterSeconds: retryAfter, cause: err });
    }
    if (code === 'dedicated_endpoint_not_running') {
      return new GatewayError('UPSTREAM_UNAVAILABLE', message, { cause: err });
    }
    if (status >= 400 && status < 500) {
      return new GatewayError('BAD_USER_INPUT', `Together rejected the request: ${message}`, { cause: err });
    }
    // A 503 may say when to come back: honoured by the retry loop and passed on to the client.
    const retryAfter = retryAfterSeconds(err.headers, Date.now(), false);
    return new GatewayError('UPSTREAM_UNAVAILABLE', `Together is unavailable (HTTP ${status})`, {
      cause: err,
      ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
    });
  }
  if (err instanceof SyntaxError) {
    return new GatewayError('UPSTREAM_UNAVAILABLE', 'Together sent a malformed response', { cause: err });
  }
  // fetch's "terminated" and friends: the connection died while reading the body.
  return new GatewayError('UPSTREAM_UNAVAILABLE', 'Connection to Together was lost', { cause: err });
}

/** Worth another attempt before the first byte: 429 (not a spent credit), 5xx, and connection failures. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof APIConnectionTimeoutError) return false; // the deadline owns timeouts
  if (err instanceof APIConnectionError) return true;
  if (err instanceof APIError && err.status !== undefined) {
    if (err.status === 429) return upstreamCode(err) !== 'credit_limit';
    return err.status >= 500;
  }
  return false;
}
