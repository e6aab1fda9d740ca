/**
 * chatStream without websockets, driven by the ecosystem's own clients: graphql-sse's client (GraphQL over
 * SSE, distinct connections) and Apollo Client's HttpLink (multipart HTTP subscriptions). Each transport
 * must stream the recorded fixture, keep graphql-ws's auth, limits and activity rows, and abort Together's
 * request when the client leaves.
 */
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { createClient as createSseClient } from 'graphql-sse';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatInput, newKey, waitForRows } from '../faults/helpers.ts';
import { CHAT_STREAM, type Stack, startStack } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { STREAM_IDLE_TIMEOUT_MS: '400', UPSTREAM_TIMEOUT_MS: '5000', UPSTREAM_MAX_RETRIES: '0', HTTP_STREAM_HEARTBEAT_MS: '50' } });
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.clearFaults());

interface Run {
  events: any[];
  errors: Array<{ message: string; extensions?: Record<string, any> }> | null;
  finished: Promise<void>;
  unsubscribe(): void;
}

type Transport = { name: string; run(key: string | undefined, query: string, variables: Record<string, unknown>): Run };

const sse: Transport = {
  name: 'GraphQL over SSE (graphql-sse client)',
  run(key, query, variables) {
    const client = createSseClient({ url: `${stack.url}/graphql`, headers: key ? { authorization: `Bearer ${key}` } : {}, retryAttempts: 0 });
    const run: Run = { events: [], errors: null, finished: Promise.resolve(), unsubscribe: () => undefined };
    run.finished = new Promise<void>((resolve) => {
      const stop = client.subscribe<any>(
        { query, variables },
        {
          next: (result) => {
            if (result.errors) run.errors = result.errors as unknown as Run['errors'];
            if (result.data?.chatStream) run.events.push(result.data.chatStream);
          },
          error: (err) => {
            run.errors = Array.isArray(err) ? err : [{ message: String((err as Error)?.message ?? err) }];
            resolve();
          },
          complete: () => resolve(),
        },
      );
      run.unsubscribe = () => {
        stop();
        resolve();
      };
    }).finally(() => client.dispose());
    return run;
  },
};

const multipart: Transport = {
  name: 'multipart HTTP (Apollo Client HttpLink)',
  run(key, query, variables) {
    const client = new ApolloClient({
      link: new HttpLink({ uri: `${stack.url}/graphql`, headers: key ? { authorization: `Bearer ${key}` } : {} }),
      cache: new InMemoryCache(),
    });
    const run: Run = { events: [], errors: null, finished: Promise.resolve(), unsubscribe: () => undefined };
    run.finished = new Promise<void>((resolve) => {
      const subscription = client.subscribe({ query: gql(query), variables }).subscribe({
        next: (result: any) => {
          if (result.error) run.errors = result.error.errors ?? [{ message: result.error.message }];
          if (result.data?.chatStream) run.events.push(result.data.chatStream);
        },
        error: (err: any) => {
          run.errors = err?.errors ?? [{ message: String(err?.message ?? err) }];
          resolve();
        },
        complete: () => resolve(),
      });
      run.unsubscribe = () => {
        subscription.unsubscribe();
        resolve();
      };
    }).finally(() => client.stop());
    return run;
  },
};

describe.each([sse, multipart])('chatStream over $name', (transport) => {
  it('streams the recorded Together fixture through the public endpoint and writes its activity row', async () => {
    const k = await newKey(stack, 'http-stream');
    stack.sim.addFault({ route: 'chat', scenario: 'stream-llama32-3b-text' });
    const run = transport.run(k.key, CHAT_STREAM, chatInput('hi'));
    await run.finished;
    expect(run.errors).toBeNull();
    expect(run.events.map((e) => e.delta).join('')).toBe('Hello.');
    expect(run.events.filter((e) => e.done)).toHaveLength(1);
    expect(run.events.at(-1)).toMatchObject({ done: true, finishReason: 'STOP', usage: { promptTokens: 43, completionTokens: 3, totalTokens: 46 } });
    expect(run.events.at(-1).costUsd).toBe((43 * 0.88 + 3 * 0.88) / 1e6);
    const rows = await waitForRows(stack, k.id, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ stream: true, cancelled: false, finishReason: 'STOP', promptTokens: 43, completionTokens: 3 });
  });

  it('leaving mid-stream aborts the upstream request at once; the row says cancelled', async () => {
    const k = await newKey(stack, 'http-stream-leave');
    const aborted = stack.sim.stats.abortedStreams;
    stack.sim.addFault({ route: 'chat', stallAfterChunks: 2 });
    const run = transport.run(k.key, CHAT_STREAM, chatInput('one two three four five six'));
    await expect.poll(() => run.events.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
    run.unsubscribe();
    await stack.sim.waitFor((s) => s.abortedStreams === aborted + 1, 2_000);
    const rows = await waitForRows(stack, k.id, 1);
    expect(rows[0]).toMatchObject({ stream: true, cancelled: true, finishReason: 'CANCELLED', errorCode: null });
    await stack.sim.waitFor((s) => s.openStreams === 0, 2_000);
    expect(stack.gateway.services.streams.size).toBe(0);
  });

  it('needs the same bearer key: none → UNAUTHENTICATED, and nothing reaches Together', async () => {
    const calls = stack.sim.stats.streamCalls;
    const run = transport.run(undefined, CHAT_STREAM, chatInput('hi'));
    await run.finished;
    expect(run.events).toEqual([]);
    expect(run.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(stack.sim.stats.streamCalls).toBe(calls);
  });

  it('keeps the key\'s rpm: the second stream in a minute on an rpm-1 key is RATE_LIMITED', async () => {
    const { key } = await stack.gateway.services.keys.create({ name: `rpm-${transport === sse ? 'sse' : 'multipart'}-${Date.now()}`, rpm: 1 });
    const first = transport.run(key, CHAT_STREAM, chatInput('first'));
    await first.finished;
    expect(first.errors).toBeNull();
    const second = transport.run(key, CHAT_STREAM, chatInput('second'));
    await second.finished;
    expect(second.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });

  it('a failure after the stream started arrives as an error with its code, never as done: true', async () => {
    stack.sim.addFault({ route: 'chat', cutAfterChunks: 3 });
    const run = transport.run(stack.key, CHAT_STREAM, chatInput('one two three four five six seven'));
    await run.finished;
    expect(run.events.length).toBeGreaterThan(0);
    expect(run.events.some((e) => e.done)).toBe(false);
    expect(run.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('applies the document limits: too deep a document is GRAPHQL_VALIDATION_FAILED with its limit', async () => {
    const deep = `subscription { chatStream(input: $input) { usage { ${'a { '.repeat(12)}b${' }'.repeat(12)} } } }`;
    const run = transport.run(stack.key, deep.replace('subscription {', 'subscription S($input: ChatCompletionInput!) {'), chatInput('hi'));
    await run.finished;
    expect(run.errors?.[0]?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'maxDepth' });
  });
});

describe('the wire, as curl sees it', () => {
  it('SSE: `next` events with each result, then `complete`', async () => {
    const res = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...stack.auth() },
      body: JSON.stringify({ query: CHAT_STREAM, variables: chatInput('alpha beta') }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    const events = [...text.matchAll(/event: (\w+)\ndata: ?(.*)\n\n/g)].map(([, event, data]) => ({ event, data }));
    expect(events.at(-1)?.event).toBe('complete');
    const nexts = events.filter((e) => e.event === 'next').map((e) => JSON.parse(e.data!));
    expect(nexts.at(-1).data.chatStream).toMatchObject({ done: true, finishReason: 'STOP' });
    expect(nexts.map((n) => n.data.chatStream.delta).join('')).toBe('Echo: alpha beta');
  });

  it('multipart: `{"payload": …}` parts, `{}` heartbeats while Together is slow, the closing delimiter', async () => {
    stack.sim.addFault({ route: 'chat', firstByteDelayMs: 300 });
    const res = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed;subscriptionSpec="1.0", application/json', ...stack.auth() },
      body: JSON.stringify({ query: CHAT_STREAM, variables: chatInput('alpha beta') }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('multipart/mixed;boundary="graphql";subscriptionSpec="1.0"');
    const text = await res.text();
    expect(text.endsWith('\r\n--graphql--\r\n')).toBe(true);
    const parts = text.split('\r\n--graphql').slice(1, -1).map((p) => JSON.parse(p.split('\r\n\r\n')[1]!));
    expect(parts.filter((p) => Object.keys(p).length === 0).length).toBeGreaterThan(0);
    const payloads = parts.filter((p) => p.payload).map((p) => p.payload.data.chatStream);
    expect(payloads.map((p) => p.delta).join('')).toBe('Echo: alpha beta');
    expect(payloads.at(-1)).toMatchObject({ done: true, finishReason: 'STOP' });
  });

  it('a subscription over plain JSON POST → 406 naming the transports we speak; nothing runs, nothing logged as internal', async () => {
    const calls = stack.sim.stats.streamCalls;
    const res = await stack.gql(CHAT_STREAM, chatInput('hi'));
    expect(res.status).toBe(406);
    const error = res.body.errors![0]!;
    expect(error.extensions?.code).toBe('BAD_REQUEST');
    for (const name of ['graphql-ws', 'text/event-stream', 'multipart/mixed', 'callbackUrl']) expect(error.message).toContain(name);
    expect(stack.sim.stats.streamCalls).toBe(calls);
  });
});

describe('rows', () => {
  it('every finished stream over HTTP has exactly one row', async () => {
    const k = await newKey(stack, 'http-rows');
    await Promise.all([sse, multipart].map((t) => t.run(k.key, CHAT_STREAM, chatInput('a b c')).finished));
    const rows = await waitForRows(stack, k.id, 2);
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.stream && r.finishReason === 'STOP')).toBe(true);
  });
});
