import { getIntrospectionQuery } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.ts';
import { FAULT_ENV, expectHealthy } from './helpers.ts';

/**
 * Hostile documents and bodies. Every limit holds on both paths (HTTP and graphql-ws), every refusal has a
 * contract code, and the gateway keeps serving.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: FAULT_ENV });
});
afterAll(() => stack.close());

/** One operation over graphql-ws; resolves with its errors (or null) and whether the socket was closed. */
async function overWs(target: Stack, query: string): Promise<{ errors: Array<{ message: string; extensions?: Record<string, any> }> | null; data: unknown }> {
  const client = createClient({ url: target.wsUrl, webSocketImpl: WebSocket, connectionParams: target.auth(), retryAttempts: 0, lazy: true });
  try {
    return await new Promise((resolve) => {
      let data: unknown = null;
      client.subscribe(
        { query },
        {
          next: (r) => {
            if (r.errors) resolve({ errors: r.errors as never, data: r.data });
            data = r.data;
          },
          error: (e) => resolve({ errors: Array.isArray(e) ? (e as never) : [{ message: `socket: ${String((e as { code?: number })?.code ?? e)}` }], data: null }),
          complete: () => resolve({ errors: null, data }),
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

const post = (target: Stack, body: string, headers: Record<string, string> = {}) =>
  fetch(`${target.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

const deepQuery = (levels: number) => `{ ${'... on Query { '.repeat(levels)}__typename${' }'.repeat(levels)} }`;
const aliasQuery = (n: number, field = '__typename') => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

describe('document limits (HTTP and graphql-ws alike)', () => {
  const cases: Array<[string, string, string]> = [
    ['a 50-level deep query', deepQuery(50), 'maxDepth'],
    ['1,000 aliases', aliasQuery(1000), 'maxAliases'],
    ['60 directives', `{ ${Array.from({ length: 60 }, () => '__typename @skip(if: false)').join(' ')} }`, 'maxDirectives'],
    ['6,000 tokens', `{ ${'__typename '.repeat(6000)}}`, 'maxTokens'],
  ];
  for (const [name, query, limit] of cases) {
    it(`${name} → GRAPHQL_VALIDATION_FAILED (limit ${limit}), 400, before anything runs`, async () => {
      const res = await post(stack, JSON.stringify({ query }));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { data?: unknown; errors: Array<{ message: string; extensions: Record<string, unknown> }> };
      expect(body.data).toBeUndefined();
      const hit = body.errors.find((e) => e.extensions.limit === limit);
      expect(hit, JSON.stringify(body.errors).slice(0, 500)).toBeDefined();
      expect(hit!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(hit!.message).not.toMatch(/^Syntax Error/);
      expect(JSON.stringify(body)).not.toContain('stacktrace');

      const ws = await overWs(stack, query);
      expect(ws.errors?.find((e) => e.extensions?.limit === limit)?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    });
  }

  it('1,000 aliases of a catalog field never reach the catalog', async () => {
    const reads = stack.gateway.services.gateways.get('together').catalog.stats.reads;
    const res = await post(stack, JSON.stringify({ query: aliasQuery(1000, 'models { id }') }));
    expect(res.status).toBe(400);
    expect(stack.gateway.services.gateways.get('together').catalog.stats.reads).toBe(reads);
  });

  it('a query over the cost limit is refused (limit maxCost)', async () => {
    const cheap = await startStack({ env: { ...FAULT_ENV, MAX_QUERY_COST: '20' } });
    try {
      const query = '{ models { id name organization contextLength license link pricing { inputPerMillion outputPerMillion inputPerToken outputPerToken hourly } } }';
      const res = await post(cheap, JSON.stringify({ query }));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { errors: Array<{ extensions: Record<string, unknown> }> };
      expect(body.errors[0]?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'maxCost' });
      expect((await overWs(cheap, query)).errors?.[0]?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'maxCost' });
    } finally {
      await cheap.close();
    }
  });

  it('ordinary operations, and the standard introspection query of GraphQL tools, stay inside the limits', async () => {
    const res = await stack.gql('{ models(type: CHAT) { id name pricing { inputPerMillion outputPerMillion } } gatewayStats { totalRequests byModel { model requests } } me { name } }');
    expect(res.body.errors).toBeUndefined();
    const introspection = await stack.gql(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, inputValueDeprecation: true }));
    expect(introspection.body.errors).toBeUndefined();
    expect(introspection.body.data.__schema.types.length).toBeGreaterThan(10);
  });

  it('a syntax error over graphql-ws is an error for that operation only (GRAPHQL_PARSE_FAILED), not a closed socket', async () => {
    const client = createClient({ url: stack.wsUrl, webSocketImpl: WebSocket, connectionParams: stack.auth(), retryAttempts: 0 });
    try {
      const bad = await new Promise<unknown>((resolve) => client.subscribe({ query: '{ models { id ' }, { next: () => undefined, error: resolve, complete: () => resolve(null) }));
      expect((bad as Array<{ extensions: Record<string, unknown> }>)[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
      const good = await new Promise<unknown>((resolve, reject) => client.subscribe({ query: '{ __typename }' }, { next: resolve, error: reject, complete: () => undefined }));
      expect(good).toEqual({ data: { __typename: 'Query' } });
    } finally {
      await client.dispose();
    }
  });
});

describe('bodies', () => {
  it('a 10 MB body → 413 BAD_USER_INPUT in GraphQL\'s shape, and the gateway keeps serving', async () => {
    const huge = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(10 * 1024 * 1024) } });
    // Refused from its Content-Length, before the body is read.
    const res = await post(stack, huge);
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
    const body = (await res.json()) as { errors: Array<{ message: string; extensions: Record<string, unknown> }> };
    expect(body.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', maxBytes: 1024 * 1024 });
    expect(body.errors[0]?.message).toContain('too large');
    await expectHealthy(stack);
  });

  it('a 2 MB chunked body (no Content-Length) is cut off at the cap too', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"query":"{ __typename }","variables":{"pad":"'));
        if (sent >= 2 * 1024 * 1024) {
          controller.enqueue(new TextEncoder().encode('"}}'));
          controller.close();
          return;
        }
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${stack.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit).catch((err: Error) => err);
    // Refused while reading, at the cap: the client may see the reset before the answer, which is fine.
    if (!(res instanceof Error)) {
      expect(res.status).toBe(413);
      expect(((await res.json()) as { errors: Array<{ extensions: Record<string, unknown> }> }).errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    await expectHealthy(stack);
  });

  it('a body that is not JSON → 400 BAD_USER_INPUT', async () => {
    const res = await post(stack, '{"query": "{ __typename }"');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: Array<{ extensions: Record<string, unknown> }> }).errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('batched requests are refused (allowBatchedHttpRequests: false): an array runs nothing', async () => {
    const res = await post(stack, JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]));
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).not.toContain('"Query"');
  });

  it('a websocket message over the cap closes that socket (1009); others are untouched', async () => {
    const socket = new WebSocket(stack.wsUrl, 'graphql-transport-ws');
    await new Promise((r) => socket.once('open', r));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(2 * 1024 * 1024) } }));
    expect(await closed).toBe(1009);
    expect((await overWs(stack, '{ __typename }')).data).toEqual({ __typename: 'Query' });
  });
});

describe('production switches', () => {
  let prod: Stack;
  beforeAll(async () => {
    prod = await startStack({ env: { ...FAULT_ENV, NODE_ENV: 'production' } });
  });
  afterAll(() => prod.close());

  it('NODE_ENV=production turns introspection off on HTTP and on graphql-ws', async () => {
    expect(prod.gateway.services.config).toMatchObject({ introspection: false, playground: false });
    const http = await prod.gql('{ __schema { types { name } } }');
    expect(http.status).toBe(400);
    expect(http.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const ws = await overWs(prod, '{ __type(name: "Model") { fields { name } } }');
    expect(ws.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    // Ordinary queries still work.
    expect((await prod.gql('{ models { id } }')).body.errors).toBeUndefined();
  });

  it('no field-name suggestions leak the schema when introspection is off', async () => {
    const http = await prod.gql('{ modelz { id } }');
    expect(http.body.errors?.[0]?.message).not.toContain('Did you mean');
    const ws = await overWs(prod, '{ modelz { id } }');
    expect(ws.errors?.[0]?.message).not.toContain('Did you mean');
    // With introspection on, suggestions help developers.
    expect((await stack.gql('{ modelz { id } }')).body.errors?.[0]?.message).toContain('Did you mean');
  });

  it('no playground page in production', async () => {
    const res = await fetch(`${prod.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await res.text()).not.toContain('<html');
  });
});

describe('CORS allow-list', () => {
  it('by default no other origin is allowed: no CORS headers, preflight refused; same origin and non-browsers unaffected', async () => {
    const simple = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${stack.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const same = await post(stack, JSON.stringify({ query: '{ __typename }' }), { origin: stack.url });
    expect(same.status).toBe(200);
  });

  it('listed origins get CORS headers; websocket upgrades from other origins are refused with 403', async () => {
    const cors = await startStack({ env: { ...FAULT_ENV, CORS_ORIGINS: 'https://app.example, https://admin.example/' } });
    try {
      const preflight = await fetch(`${cors.url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin: 'https://admin.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://admin.example');
      expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
      expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
      const actual = await post(cors, JSON.stringify({ query: '{ __typename }' }), { origin: 'https://app.example' });
      expect(actual.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(actual.headers.get('vary')).toContain('Origin');

      const upgrade = (origin: string) =>
        new Promise<number>((resolve) => {
          const socket = new WebSocket(cors.wsUrl, 'graphql-transport-ws', { origin });
          socket.once('open', () => {
            socket.close();
            resolve(101);
          });
          socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          socket.once('error', () => undefined);
        });
      expect(await upgrade('https://evil.example')).toBe(403);
      expect(await upgrade('https://app.example')).toBe(101);
      expect(await upgrade(cors.url)).toBe(101);
    } finally {
      await cors.close();
    }
  });
});
