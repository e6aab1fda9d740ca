/** Queries over GET (urql's default), shared links, and what stays refused over GET. */
import { cacheExchange, createClient, fetchExchange, gql } from '@urql/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedLink, sharedOperation } from '../../src/playground/app/shared-link.ts';
import { CHAT_MUTATION, LLAMA, type Stack, startStack, userMessage } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('GET /graphql', () => {
  it('urql with its default exchanges runs a query over GET, with the key as a bearer header and nothing else', async () => {
    const methods: string[] = [];
    const client = createClient({
      url: `${stack.url}/graphql`,
      exchanges: [cacheExchange, fetchExchange],
      fetchOptions: { headers: stack.auth() },
      fetch: (input, init) => {
        methods.push(init?.method ?? 'GET');
        return fetch(input, init);
      },
    });
    const result = await client.query(gql`query Me { me { name } models(type: CHAT) { id } }`, {}).toPromise();
    expect(result.error).toBeUndefined();
    expect(result.data.me.name).toBe('test-user');
    expect(result.data.models.length).toBeGreaterThan(0);
    expect(methods).toEqual(['GET']);
  });

  it('answers a plain GET with no preflight header (Apollo\'s CSRF guard protects nothing with bearer keys)', async () => {
    const res = await fetch(`${stack.url}/graphql?query=${encodeURIComponent('{ models(type: CHAT) { id } }')}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { models: unknown[] } };
    expect(body.data.models.length).toBeGreaterThan(0);
  });

  it('no GraphQL answer may be kept by a cache in front: `Cache-Control: no-store` on GET and POST, on data and on errors', async () => {
    const keyed = await fetch(`${stack.url}/graphql?query=${encodeURIComponent('{ me { name } }')}`, { headers: { accept: 'application/json', ...stack.auth() } });
    const anonymous = await fetch(`${stack.url}/graphql?query=${encodeURIComponent('{ models(type: CHAT) { id } }')}`);
    const refused = await fetch(`${stack.url}/graphql?query=${encodeURIComponent('{ me { name } }')}`, { headers: { accept: 'application/json' } });
    const posted = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...stack.auth() },
      body: JSON.stringify({ query: CHAT_MUTATION, variables: { input: { model: LLAMA, messages: userMessage('hi') } } }),
    });
    const invalid = await fetch(`${stack.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ nope }' }) });
    for (const [name, res] of Object.entries({ keyed, anonymous, refused, posted, invalid })) {
      await res.arrayBuffer();
      expect(res.headers.get('cache-control'), name).toBe('no-store');
    }
    expect(keyed.status).toBe(200);
    expect(posted.status).toBe(200);
  });

  it('refuses a mutation over GET with 405 and `Allow: POST`, and runs nothing', async () => {
    const calls = stack.sim.stats.chatCalls;
    const variables = JSON.stringify({ input: { model: LLAMA, messages: userMessage('hi') } });
    const res = await fetch(`${stack.url}/graphql?query=${encodeURIComponent(CHAT_MUTATION)}&variables=${encodeURIComponent(variables)}`, {
      headers: { accept: 'application/json', ...stack.auth() },
    });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    const body = (await res.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
    expect(stack.sim.stats.chatCalls).toBe(calls);
  });

  it('a browser opening a shared link gets the playground, which reads the operation from the URL', async () => {
    const query = 'query Catalog($search: String) { models(type: CHAT, search: $search) { id } }';
    const link = sharedLink(`${stack.url}/graphql`, { query, variables: '{ "search": "llama" }' });
    const page = await fetch(link, { headers: browser });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('/playground/app.js');
    expect(sharedOperation(new URL(link).search)).toEqual({ query, variables: '{\n  "search": "llama"\n}' });
    // The same link fetched as data is GraphQL over HTTP.
    const data = await fetch(link, { headers: { accept: 'application/graphql-response+json' } });
    expect(((await data.json()) as { data: { models: unknown[] } }).data.models.length).toBeGreaterThan(0);
  });

  it('reads shared links as written: variables that are not JSON are kept for the user to fix; no query, no link', () => {
    expect(sharedOperation('?query=%7B%20a%20%7D&variables=%7Bbad&operationName=A')).toEqual({ query: '{ a }', variables: '{bad', operationName: 'A' });
    expect(sharedOperation('?variables=%7B%7D')).toBeUndefined();
    expect(sharedOperation('')).toBeUndefined();
  });
});
