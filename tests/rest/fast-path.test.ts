import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LLAMA, type Stack, startStack } from '../helpers/stack.ts';
import { jsonOf, newKey, postChat, rowsOf } from './helpers.ts';

/**
 * POST /v1/chat/completions is served by a fast path on node:http (src/rest/chat.ts chatFastPath) when the body
 * is plain UTF-8 JSON, and by the Express route otherwise. Both must behave as one route.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { MAX_BODY_BYTES: '4096', CORS_ORIGINS: 'https://app.example' } });
});
afterAll(() => stack.close());

const hello = { model: LLAMA, messages: [{ role: 'user', content: 'hello' }] };

/** A raw POST, for bodies fetch cannot send as-is (chunked without a length, gzip). */
function rawPost(headers: Record<string, string>, chunks: Buffer[]): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(`${stack.url}/v1/chat/completions`);
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
