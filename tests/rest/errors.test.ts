import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CatalogModel, ChatProvider, ProviderStreamChunk } from '../../src/domain.ts';
import { LLAMA, type Stack, TEST_UPSTREAM_KEY, startStack } from '../helpers/stack.ts';
import { jsonOf, newKey, openai, postChat, rowsOf, sseData } from './helpers.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { UPSTREAM_TIMEOUT_MS: '800', UPSTREAM_MAX_RETRIES: '0' } });
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.clearFaults());

const hello = { model: LLAMA, messages: [{ role: 'user' as const, content: 'hello' }] };

/** The openai client's error for a call: status, our code, OpenAI's type, and the response headers. */
async function failure(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await call;
  } catch (err) {
    expect(err).toBeInstanceOf(OpenAI.APIError);
    return err as InstanceType<typeof OpenAI.APIError>;
  }
  throw new Error('expected the call to fail');
}

describe('every contract error through the openai client, with its status', () => {
  it('400 BAD_USER_INPUT: validation names the OpenAI field, nothing reaches Together, the row is written', async () => {
    const k = await newKey(stack, 'rest-validation');
    const before = stack.sim.stats.chatCalls;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ temperature: 5 }, 'temperature'],
      [{ top_p: 2 }, 'top_p'],
      [{ max_tokens: 0 }, 'max_tokens'],
      [{ messages: [] }, 'messages'],
      [{ messages: [{ role: 'user', content: 7 }] }, 'messages[0].content'],
      [{ messages: [{ role: 'wizard', content: 'hi' }] }, 'messages[0].role'],
      [{ stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
      [{ provider: 'openrouter' }, 'provider'],
    ];
    for (const [extra, param] of cases) {
      const err = await failure(openai(stack, k.key).chat.completions.create({ ...hello, ...extra } as never));
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err).toMatchObject({ status: 400, code: 'BAD_USER_INPUT', type: 'invalid_request_error', param });
      if (param === 'max_tokens') expect(err.message).toContain('max_tokens must be');
    }
    expect(stack.sim.stats.chatCalls).toBe(before);
    expect((await rowsOf(stack, k.id)).map((r) => r.errorCode)).toEqual(cases.map(() => 'BAD_USER_INPUT'));
  });

  it('400 for what only REST can get wrong: image parts, n > 1, a non-boolean stream, a non-object body', async () => {
    const image = { role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://x/y.png' } }] };
    for (const body of [{ ...hello, messages: [image] }, { ...hello, n: 2 }, { ...hello, stream: 'yes' }, [hello], 'null']) {
      const res = await postChat(stack, typeof body === 'string' ? body : body);
      expect(res.status).toBe(400);
      expect((await jsonOf(res)).error).toMatchObject({ code: 'BAD_USER_INPUT', type: 'invalid_request_error' });
    }
  });

  it('400 CONTEXT_LENGTH_EXCEEDED when max_tokens is over the model\'s context', async () => {
    const err = await failure(openai(stack).chat.completions.create({ ...hello, max_tokens: 200_000 }));
    expect(err).toMatchObject({ status: 400, code: 'CONTEXT_LENGTH_EXCEEDED', type: 'invalid_request_error' });
    expect(err.message).toContain('max_tokens 200000 exceeds');
  });

  it('401 UNAUTHENTICATED for an unknown key (never echoed) and for none; no row, no Together call', async () => {
    const before = stack.sim.stats.chatCalls;
    const err = await failure(openai(stack, 'gw_this-key-does-not-exist').chat.completions.create(hello));
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', type: 'authentication_error' });
    expect(JSON.stringify(err.error)).not.toContain('gw_this-key-does-not-exist');
    const none = await postChat(stack, hello, { authorization: '' });
    expect(none.status).toBe(401);
    expect(stack.sim.stats.chatCalls).toBe(before);
  });

  it('403 FORBIDDEN for a revoked key', async () => {
    const k = await newKey(stack, 'rest-revoked');
    await stack.gateway.services.store.revokeKey('rest-revoked', Date.now());
    const err = await failure(openai(stack, k.key).chat.completions.create(hello));
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(err).toMatchObject({ status: 403, code: 'FORBIDDEN', type: 'permission_error' });
  });

  it('402 BUDGET_EXCEEDED when the key\'s budget is used up, before Together is called', async () => {
    const k = await newKey(stack, 'rest-broke', { budgetUsd: 0 });
    const before = stack.sim.stats.chatCalls;
    const err = await failure(openai(stack, k.key).chat.completions.create(hello));
    expect(err).toMatchObject({ status: 402, code: 'BUDGET_EXCEEDED', type: 'insufficient_quota' });
    expect(stack.sim.stats.chatCalls).toBe(before);
  });

  it('404 MODEL_NOT_FOUND for a model in no catalog', async () => {
    const err = await failure(openai(stack).chat.completions.create({ ...hello, model: 'nobody/nothing-7B' }));
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err).toMatchObject({ status: 404, code: 'MODEL_NOT_FOUND', type: 'not_found_error' });
  });

  it('429 RATE_LIMITED with Retry-After: the key\'s own rpm, and Together\'s 429', async () => {
    const k = await newKey(stack, 'rest-rpm-1', { rpm: 1 });
    await openai(stack, k.key).chat.completions.create(hello);
    const own = await failure(openai(stack, k.key).chat.completions.create(hello));
    expect(own).toBeInstanceOf(OpenAI.RateLimitError);
    expect(own).toMatchObject({ status: 429, code: 'RATE_LIMITED', type: 'rate_limit_error' });
    expect(Number(own.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);

    stack.sim.addFault({ route: 'chat', status: 429, times: Infinity, headers: { 'retry-after': '7' } });
    const upstream = await failure(openai(stack).chat.completions.create(hello));
    expect(upstream).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(upstream.headers?.get('retry-after')).toBe('7');
  });

  it('502 UPSTREAM_AUTH_FAILED when Together rejects our key, which is never echoed', async () => {
    stack.sim.addFault({ route: 'chat', status: 401 });
    const err = await failure(openai(stack).chat.completions.create(hello));
    expect(err).toMatchObject({ status: 502, code: 'UPSTREAM_AUTH_FAILED', type: 'api_error' });
    expect(JSON.stringify(err.error)).not.toContain(TEST_UPSTREAM_KEY);
  });

  it('503 UPSTREAM_UNAVAILABLE for Together 5xx; 504 UPSTREAM_TIMEOUT past the deadline', async () => {
    stack.sim.addFault({ route: 'chat', status: 500 });
    expect(await failure(openai(stack).chat.completions.create(hello))).toMatchObject({ status: 503, code: 'UPSTREAM_UNAVAILABLE' });
    stack.sim.addFault({ route: 'chat', firstByteDelayMs: 3000 });
    expect(await failure(openai(stack).chat.completions.create(hello))).toMatchObject({ status: 504, code: 'UPSTREAM_TIMEOUT' });
  });
});

describe('HTTP-level errors: never a crash, a stack trace or HTML', () => {
  it('malformed JSON → 400 BAD_USER_INPUT without quoting the body', async () => {
    const res = await postChat(stack, '{"model": "x", secret-ish');
    expect(res.status).toBe(400);
    const body = await jsonOf(res);
    expect(body).toEqual({ error: { message: 'The request body is not valid JSON', type: 'invalid_request_error', code: 'BAD_USER_INPUT', param: null } });
  });

  it('a body that is not JSON → 415; no body at all → 400', async () => {
    const form = await postChat(stack, 'model=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect((await jsonOf(form)).error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', type: 'invalid_request_error' });
    const text = await postChat(stack, JSON.stringify(hello), { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    const empty = await fetch(`${stack.url}/v1/chat/completions`, { method: 'POST', headers: stack.auth() });
    expect(empty.status).toBe(400);
    expect((await jsonOf(empty)).error.code).toBe('BAD_USER_INPUT');
  });

  it('a 10 MB body → 413, and the server still serves', async () => {
    const huge = JSON.stringify({ ...hello, messages: [{ role: 'user', content: 'x'.repeat(10 * 1024 * 1024) }] });
    const res = await postChat(stack, huge);
    expect(res.status).toBe(413);
    expect((await jsonOf(res)).error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', type: 'invalid_request_error' });
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
    expect((await openai(stack).chat.completions.create(hello)).choices[0]!.message.content).toBe('Echo: hello');
  });

  it('unknown routes under /v1 and /catalog → 404 JSON; a wrong method too', async () => {
    for (const [method, path] of [['GET', '/v1/nothing'], ['POST', '/v1/models'], ['GET', '/v1/chat/completions'], ['GET', '/catalog/nothing']] as const) {
      const res = await fetch(`${stack.url}${path}`, { method });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect((await jsonOf(res)).error).toMatchObject({ code: 'NOT_FOUND', type: 'not_found_error' });
    }
  });
});

describe('unexpected errors', () => {
  const model: CatalogModel = {
    id: 'fake/model', name: 'fake', gateway: 'together', organization: null, type: 'CHAT', contextLength: null, license: null, link: null, created: null,
    pricing: null,
  };
  /** A provider with a bug: plain Errors (not GatewayErrors), one before answering and one mid-stream. */
  const buggy: ChatProvider = {
    name: 'together',
    listModels: async () => [model],
    complete: async () => {
      throw new Error('kaboom: internal detail that must not leak');
    },
    stream: async () =>
      (async function* (): AsyncGenerator<ProviderStreamChunk> {
        yield { id: 'x', model: 'fake/model', delta: 'Hi', reasoningDelta: '', toolCallDeltas: [], finishReason: null, usage: null, seed: null };
        throw new Error('kaboom mid-stream');
      })(),
  };

  it('→ 500 INTERNAL_SERVER_ERROR with the request id, logged, with no detail or stack in the response', async () => {
    const logLines: string[] = [];
    const own = await startStack({ overrides: { providers: [buggy] }, logLines });
    try {
      const res = await postChat(own, { model: 'fake/model', messages: [{ role: 'user', content: 'hi' }] }, { 'x-request-id': 'bug-1' });
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({
        error: { message: 'Internal server error (request id bug-1)', type: 'api_error', code: 'INTERNAL_SERVER_ERROR', param: null },
      });
      expect(text).not.toMatch(/kaboom|at .*\.ts/);
      expect(logLines.some((l) => l.includes('bug-1') && l.includes('kaboom'))).toBe(true);

      const streamed = await postChat(own, { model: 'fake/model', messages: [{ role: 'user', content: 'hi' }], stream: true }, { 'x-request-id': 'bug-2' });
      expect(streamed.status).toBe(200);
      const data = sseData(await streamed.text());
      expect(JSON.parse(data.at(-1)!).error).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error (request id bug-2)' });
      expect(data).not.toContain('[DONE]');
      expect((await fetch(`${own.url}/healthz`)).status).toBe(200);
    } finally {
      await own.close();
    }
  });
});
