/** Together's error responses, taken from the recorded errors.json wherever a recording exists. */
import { STATUS_CODES } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { RecordedError } from './fixtures.ts';

export const JSON_CT = 'application/json; charset=utf-8';
export const TEXT_CT = 'text/plain; charset=UTF-8';

export interface CannedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type ErrorRoute = 'models' | 'chat' | 'embeddings' | 'rerank' | 'images';

export function simId(): string {
  return 'sim-' + randomBytes(8).toString('hex');
}

function pretty(v: unknown): string {
  return JSON.stringify(v, null, 2);
}

/** Together-shaped `{id, error:{message,type,param,code}}`, pretty-printed like the real API. */
export function errorBody(message: string, type: string, code: string | null = null): string {
  return pretty({ id: simId(), error: { message, type, param: null, code } });
}

function find(errors: RecordedError[], pred: (e: RecordedError) => boolean): RecordedError | undefined {
  return errors.find(pred);
}

const isChat = (e: RecordedError) => e.request?.url.endsWith('/chat/completions') === true;

export const RATE_LIMIT_HEADERS: Record<string, string> = {
  'retry-after': '1',
  'x-ratelimit-limit': '60',
  'x-ratelimit-remaining': '0',
  'x-ratelimit-reset': '1',
};

export function unauthorized(errors: RecordedError[], route: ErrorRoute): CannedResponse {
  return errorForStatus(errors, 401, route);
}

/** 404 model_not_available with the requested model name substituted into the message. */
export function modelNotAvailable(errors: RecordedError[], model: string): CannedResponse {
  const rec = find(errors, (e) => e.status === 404 && isChat(e));
  const body = rec
    ? (JSON.parse(rec.raw) as { error: { message: string } })
    : { id: simId(), error: { message: '', type: 'invalid_request_error', param: null, code: 'model_not_available' } };
  body.error.message =
    `Unable to access model ${model}. Please visit https://api.together.ai/models to view the list of supported models.`;
  return { status: 404, headers: { 'content-type': JSON_CT }, body: pretty(body) };
}

export function promptEmpty(errors: RecordedError[]): CannedResponse {
  const rec = find(errors, (e) => e.status === 400 && e.raw.includes('Prompt cannot be empty'));
  return {
    status: 400,
    headers: { 'content-type': JSON_CT },
    body: rec ? rec.raw : errorBody('Prompt cannot be empty', 'invalid_request_error'),
  };
}

/** Synthetic (no recording of Together's answer to unparseable JSON); shape matches its 400s. */
export function invalidJson(detail: string): CannedResponse {
  return {
    status: 400,
    headers: { 'content-type': JSON_CT },
    body: errorBody(`Invalid JSON in request body: ${detail}`, 'invalid_request_error'),
  };
}

/**
 * Together's error response for `status`:
 * 401 → recorded invalid_api_key (chat) or `{"error":{"message":"Unauthorized"}}` (GET /models);
 * 403 → synthetic (no recording); 404 → model_not_available; 429 → recorded `rate_limit` + rate-limit
 * headers; 500 → recorded server_error; 502/503/504 → synthetic server_error shape;
 * 521 → Cloudflare `text/plain` `error code: 521`; other statuses → first recorded body with that
 * status, else a synthetic body in Together's shape.
 */
export function errorForStatus(errors: RecordedError[], status: number, route: ErrorRoute = 'chat'): CannedResponse {
  const json = (body: string, extra: Record<string, string> = {}): CannedResponse => ({
    status,
    headers: { 'content-type': JSON_CT, ...extra },
    body,
  });
  switch (status) {
    case 401: {
      const rec =
        route === 'models'
          ? find(errors, (e) => e.status === 401 && e.request?.url.endsWith('/models') === true)
          : find(errors, (e) => e.status === 401 && isChat(e) && e.raw.includes('invalid_api_key'));
      if (rec) return json(rec.raw);
      return json(route === 'models' ? '{"error":{"message":"Unauthorized"}}' : errorBody('Invalid API key provided.', 'invalid_request_error', 'invalid_api_key'));
    }
    case 403:
      // Synthetic: Together was never recorded returning 403; this is the body seen in the wild
      // for context-length overflows, reproduced by hand.
      return json(
        pretty({
          id: simId(),
          error: {
            message:
              'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 131072. Given: 140000 `inputs` tokens and 512 `max_new_tokens`',
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        }),
      );
    case 400: {
      const rec = find(errors, (e) => e.status === 400 && isChat(e) && e.raw.includes('"Input validation error"'));
      return json(rec ? rec.raw : errorBody('Input validation error', 'invalid_request_error'));
    }
    case 404:
      return modelNotAvailable(errors, 'bad model');
    case 429: {
      const rec = find(errors, (e) => e.status === 429 && e.raw.includes('"rate_limit"'));
      return json(rec ? rec.raw : errorBody('Request was rejected due to request rate limiting.', 'rate_limit'), RATE_LIMIT_HEADERS);
    }
    case 500: {
      const rec = find(errors, (e) => e.status === 500 && isChat(e));
      return json(rec ? rec.raw : errorBody('Internal server error', 'server_error'));
    }
    case 502:
    case 503:
    case 504:
      return json(errorBody(STATUS_CODES[status] ?? 'Server error', 'server_error'));
    case 521:
      return { status, headers: { 'content-type': TEXT_CT }, body: 'error code: 521' };
    default: {
      const rec = find(errors, (e) => e.status === status && isChat(e)) ?? find(errors, (e) => e.status === status);
      if (rec) return json(rec.raw);
      return json(errorBody(STATUS_CODES[status] ?? `HTTP ${status}`, status >= 500 ? 'server_error' : 'invalid_request_error'));
    }
  }
}
