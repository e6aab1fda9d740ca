import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LLAMA, type Stack, startStack } from './helpers/stack.ts';
import { jsonOf, newKey, postChat, rowsOf } from './rest/helpers.ts';

/**
 * POST /v1/chat/completions and POST /graphql are served by fast paths on node:http (src/rest/chat.ts
 * chatFastPath, src/graphql/http-fast-path.ts) when the body is plain UTF-8 JSON, and by the Express routes otherwise.
 * Each pair must behave as one route.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { MAX_BODY_BYTES: '4096', CORS_ORIGINS: 'https://app.example' } });
});
afterAll(() => stack.close());

const hello = { model: LLAMA, messages: [{ role: 'user', content: 'hello' }] };

/** A raw POST, for bodies fetch cannot send as-is (chunked without a length, gzip). */
function rawPost(headers: Record<string, string>, chunks: Buffer[], path = '/v1/chat/completions'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(`${stack.url}${path}`);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...stack.auth(), ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('the REST fast path and the Express route answer alike', () => {
  it('plain JSON (fast path), JSON with charset=utf-8, and a gzip body (Express) all complete, one row each', async () => {
    const k = await newKey(stack, 'fast-path-parity');
    const plain = await postChat(stack, hello, k.headers);
    const charset = await postChat(stack, hello, { ...k.headers, 'content-type': 'application/json; charset=UTF-8' });
    const gzip = await rawPost({ ...k.headers, 'content-type': 'application/json', 'content-encoding': 'gzip' }, [gzipSync(JSON.stringify(hello))]);
    expect(plain.status).toBe(200);
    expect(charset.status).toBe(200);
    expect(gzip.status).toBe(200);
    const contents = [(await jsonOf(plain)).choices[0].message.content, (await jsonOf(charset)).choices[0].message.content, JSON.parse(gzip.body).choices[0].message.content];
    expect(contents).toEqual(['Echo: hello', 'Echo: hello', 'Echo: hello']);
    expect(plain.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(plain.headers.get('x-gateway-overhead-ms')).toMatch(/^\d+\.\d\d$/);
    expect(await rowsOf(stack, k.id)).toHaveLength(3);
  });

  it('another charset is refused with 415, as before', async () => {
    const res = await postChat(stack, hello, { 'content-type': 'application/json; charset=latin1' });
    expect(res.status).toBe(415);
    expect((await jsonOf(res)).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('a chunked body past MAX_BODY_BYTES → 413 and the connection is not kept; a declared one is refused unread', async () => {
    const chunked = await rawPost({ 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, Array.from({ length: 10 }, () => Buffer.alloc(1024, 0x20)));
    expect(chunked.status).toBe(413);
    expect(chunked.headers.connection).toBe('close');
    expect(JSON.parse(chunked.body).error.code).toBe('PAYLOAD_TOO_LARGE');
    const declared = await postChat(stack, { ...hello, messages: [{ role: 'user', content: 'x'.repeat(8000) }] });
    expect(declared.status).toBe(413);
    expect((await postChat(stack, hello)).status).toBe(200);
  });

  it('JSON that is not an object or array, and broken JSON → 400 BAD_USER_INPUT, nothing sent to Together', async () => {
    const before = stack.sim.stats.chatCalls;
    for (const body of ['"hello"', '42', '{"model":', '']) {
      const res = await postChat(stack, body);
      expect(res.status).toBe(400);
      expect((await jsonOf(res)).error).toMatchObject({ code: 'BAD_USER_INPUT', message: 'The request body is not valid JSON' });
    }
    expect(stack.sim.stats.chatCalls).toBe(before);
  });

  it('keeps the request id and the CORS policy of every other route', async () => {
    const res = await postChat(stack, hello, { 'x-request-id': 'trace-123', origin: 'https://app.example' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('trace-123');
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(res.headers.get('vary')).toMatch(/Origin/);
    const stranger = await postChat(stack, hello, { origin: 'https://evil.example' });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    // Not refused by the server (the browser keeps the answer from the page without the header).
    expect(stranger.status).toBe(200);
  });
});

describe('the GraphQL fast path and the Express route answer alike', () => {
  const query = JSON.stringify({ query: '{ model(id: "meta-llama/Llama-3.3-70B-Instruct-Turbo") { id type } }' });
  const expected = { data: { model: { id: LLAMA, type: 'CHAT' } } };

  it('plain JSON (fast path) and a gzip body (Express) give the same answer', async () => {
    const plain = await rawPost({ 'content-type': 'application/json' }, [Buffer.from(query)], '/graphql');
    const gzip = await rawPost({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, [gzipSync(query)], '/graphql');
    expect(plain.status).toBe(200);
    expect(JSON.parse(plain.body)).toEqual(expected);
    expect(gzip.status).toBe(200);
    expect(JSON.parse(gzip.body)).toEqual(expected);
    expect(plain.headers['content-type']).toBe(gzip.headers['content-type']);
  });

  it('broken JSON and a scalar body → 400 BAD_USER_INPUT in GraphQL\'s shape; past the cap → 413', async () => {
    for (const body of ['{"query":', '"{ __typename }"']) {
      const res = await rawPost({ 'content-type': 'application/json' }, [Buffer.from(body)], '/graphql');
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toEqual({ errors: [{ message: 'The request body is not valid JSON', extensions: { code: 'BAD_USER_INPUT' } }] });
    }
    const big = await rawPost({ 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, Array.from({ length: 10 }, () => Buffer.alloc(1024, 0x20)), '/graphql');
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', maxBytes: 4096 });
  });

  it('Apollo\'s CSRF prevention still applies (a simple text/plain POST is refused), and the request id is kept', async () => {
    const csrf = await rawPost({ 'content-type': 'text/plain' }, [Buffer.from(query)], '/graphql');
    expect(csrf.status).toBe(400);
    const traced = await rawPost({ 'content-type': 'application/json', 'x-request-id': 'gql-trace-1' }, [Buffer.from(query)], '/graphql');
    expect(traced.headers['x-request-id']).toBe('gql-trace-1');
  });
});
