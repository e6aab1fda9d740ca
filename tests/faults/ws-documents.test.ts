import type { ExecutionArgs } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.ts';
import { configFromEnv } from '../../src/core/config.ts';
import { buildSchema } from '../../src/graphql/schema.ts';
import { OriginPolicy } from '../../src/security/cors.ts';
import { WsGuard } from '../../src/security/ws-limits.ts';

/** graphql-ws operations: validated documents are reused by their text; refused ones are checked every time. */
describe('WsGuard document cache', () => {
  const config = configFromEnv({ TOGETHER_API_KEY: 'x', DATABASE_URL: ':memory:' });
  const guard = new WsGuard(config.security, new OriginPolicy([]), buildSchema(), false);
  const ctx = { subscriptions: { one: null }, extra: { keyed: true } } as never;
  const subscribe = (query: string) => guard.onSubscribe(ctx, 'one', { query });

  it('a valid document is parsed and validated once, then reused', () => {
    const query = 'subscription S($input: ChatCompletionInput!) { chatStream(input: $input) { delta done } }';
    const first = subscribe(query) as ExecutionArgs;
    const second = subscribe(query) as ExecutionArgs;
    expect(first.document).toBeDefined();
    expect(second.document).toBe(first.document);
  });

  it('a refused document is refused again (nothing cached), with the same errors', () => {
    const broken = '{ models { id }'; // a syntax error: a brace missing
    const introspection = '{ __schema { types { name } } }'; // introspection is off here
    for (const query of [broken, introspection]) {
      const first = subscribe(query);
      const second = subscribe(query);
      expect(Array.isArray(first)).toBe(true);
      expect(Array.isArray(second)).toBe(true);
      expect((second as readonly Error[]).map((e) => e.message)).toEqual((first as readonly Error[]).map((e) => e.message));
    }
  });
});

/**
 * Issue 25 item 5: the cache is bounded by estimated heap (WS_DOCUMENT_CACHE_BYTES), and a socket without a
 * valid key gets only small documents cached, so one keyless socket cannot make the server keep its documents.
 */
describe('the graphql-ws document cache is bounded by bytes', () => {
  let stack: Stack;
  const CACHE_BYTES = 1_000_000;
  beforeAll(async () => {
    stack = await startStack({ env: { WS_DOCUMENT_CACHE_BYTES: String(CACHE_BYTES), MAX_BODY_BYTES: String(2 * 1024 * 1024) } });
  });
  afterAll(() => stack.close());

  const cacheBytes = async (): Promise<number> => {
    const text = await (await fetch(`${stack.url}/metrics`)).text();
    return Number(/^gateway_ws_document_cache_bytes (\S+)$/m.exec(text)?.[1]);
  };
  /** A valid document of about `chars` characters (a comment pads it; `n` makes each one distinct). */
  const padded = (n: number, chars: number) => `# ${n} ${'x'.repeat(chars)}\n{ __typename }`;
  const run = (client: Client, query: string) =>
    new Promise((resolve, reject) => client.subscribe({ query }, { next: resolve, error: reject, complete: () => undefined }));

  it('a keyless socket sending 10 large distinct documents leaves nothing cached; each is still answered', async () => {
    const keyless = createClient({ url: stack.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    const before = await cacheBytes();
    expect(Number.isFinite(before)).toBe(true);
    for (let i = 0; i < 10; i++) expect(await run(keyless, padded(i, 900_000))).toEqual({ data: { __typename: 'Query' } });
    expect(await cacheBytes()).toBe(before);
    await keyless.dispose();
  }, 60_000);

  it('a keyed socket fills it only up to WS_DOCUMENT_CACHE_BYTES, oldest out first', async () => {
    const keyed = stack.wsClient();
    for (let i = 0; i < 60; i++) expect(await run(keyed, padded(1000 + i, 1_000))).toEqual({ data: { __typename: 'Query' } });
    const held = await cacheBytes();
    expect(held).toBeGreaterThan(CACHE_BYTES / 2);
    expect(held).toBeLessThanOrEqual(CACHE_BYTES);
    // Small documents from a keyless socket are cached (a page's usual queries), within the same bound.
    const keyless = createClient({ url: stack.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    expect(await run(keyless, '{ models { id } }')).toMatchObject({ data: { models: expect.any(Array) } });
    expect(await cacheBytes()).toBeLessThanOrEqual(CACHE_BYTES);
    await keyless.dispose();
  });
});
