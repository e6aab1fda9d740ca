/**
 * TogetherSdkClient (src/providers/together/sdk-client.ts) builds the provider's repeatable requests without the
 * SDK's per-request header and timer work. What it must never change is what reaches Together: these tests send
 * the same calls through it and through the stock `openai` client, on the same transport, to one recording
 * server, and require identical methods, URLs, headers and bodies; and the same errors when the caller aborts or
 * a per-call timeout runs out. A new SDK version that builds requests differently fails here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { APIConnectionTimeoutError, APIUserAbortError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPooledFetch } from '../../src/providers/together/http.ts';
import { NO_SDK_TIMEOUT_MS, TogetherSdkClient } from '../../src/providers/together/sdk-client.ts';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const seen: Seen[] = [];
const waiting: Array<() => void> = [];
let server: Server;
let baseURL: string;

function answer(req: IncomingMessage, res: ServerResponse, body: string): void {
  seen.push({ method: req.method!, url: req.url!, headers: { ...req.headers }, body });
  if (req.url!.startsWith('/v1/hang')) {
    waiting.push(() => res.destroy());
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(req.url === '/v1/models' ? '[{"id":"m","object":"model"}]' : '{"id":"x","object":"chat.completion","choices":[]}');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => answer(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  for (const release of waiting.splice(0)) release();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function clients(): { stock: OpenAI; ours: TogetherSdkClient; close(): Promise<void> } {
  const a = createPooledFetch();
  const b = createPooledFetch();
  const options = { apiKey: 'sk-sdk-client-test', baseURL, maxRetries: 0, timeout: NO_SDK_TIMEOUT_MS, logLevel: 'off' as const };
  return {
    stock: new OpenAI({ ...options, fetch: a.fetch }),
    ours: new TogetherSdkClient({ ...options, fetch: b.fetch }),
    close: async () => void (await Promise.all([a.close(), b.close()])),
  };
}

/** The one request `send` makes through a client, as the server saw it. */
async function recorded(send: () => Promise<unknown>): Promise<Seen> {
  const before = seen.length;
  await send();
  expect(seen.length).toBe(before + 1);
  return seen[before]!;
}

type Call = (client: OpenAI, signal: AbortSignal) => Promise<unknown>;
const calls: Array<[string, Call]> = [
  ['a chat completion', (c, signal) => c.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Grüße, 世界' }], max_tokens: 5 }, { signal }).asResponse()],
  [
    'a streamed chat completion',
    (c, signal) => c.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } }, { signal }).asResponse(),
  ],
  ['a raw JSON POST (embeddings)', (c, signal) => c.post('/embeddings', { body: { model: 'e', input: ['a', 'b'] }, signal }).asResponse()],
  ['a raw GET (the catalog)', (c, signal) => c.get('/models', { signal })],
  ['a call with its own headers (the SDK path)', (c, signal) => c.post('/rerank', { body: { q: 1 }, headers: { 'x-extra': 'yes' }, signal }).asResponse()],
  ['a call with its own timeout (the SDK path)', (c, signal) => c.post('/images/generations', { body: { p: 'x' }, timeout: 60_000, signal }).asResponse()],
];

describe('TogetherSdkClient sends what the stock openai client sends', () => {
  for (const [name, call] of calls) {
    it(name, async () => {
      const { stock, ours, close } = clients();
      try {
        // Twice through ours: the first request fills its memo, the second is served from it.
        const expected = await recorded(() => call(stock, new AbortController().signal));
        const first = await recorded(() => call(ours, new AbortController().signal));
        const second = await recorded(() => call(ours, new AbortController().signal));
        for (const actual of [first, second]) {
          expect(actual.method).toBe(expected.method);
          expect(actual.url).toBe(expected.url);
          expect(actual.body).toBe(expected.body);
          expect(actual.headers).toEqual(expected.headers);
        }
        expect(expected.headers.authorization).toBe('Bearer sk-sdk-client-test');
      } finally {
        await close();
      }
    });
  }
});

describe('TogetherSdkClient fails as the stock client does', () => {
  it('a caller who aborts mid-request gets the SDK\'s APIUserAbortError, and the connection is given up', async () => {
    const { stock, ours, close } = clients();
    try {
      for (const client of [stock, ours]) {
        const controller = new AbortController();
        const before = seen.length;
        const pending = client.post('/hang', { body: { a: 1 }, signal: controller.signal }).asResponse();
        await expect.poll(() => seen.length).toBe(before + 1);
        controller.abort();
        await expect(pending).rejects.toBeInstanceOf(APIUserAbortError);
      }
    } finally {
      await close();
    }
  });

  it('a per-call timeout is still the SDK\'s own and ends the request with APIConnectionTimeoutError', async () => {
    const { stock, ours, close } = clients();
    try {
      for (const client of [stock, ours]) {
        await expect(client.post('/hang', { body: { a: 1 }, timeout: 50 }).asResponse()).rejects.toBeInstanceOf(APIConnectionTimeoutError);
      }
    } finally {
      await close();
    }
  });
});
