/**
 * Hive Gateway in front of our subgraph with no websocket anywhere: Hive's HTTP transport sends the
 * subscription to us as GraphQL over SSE (its default for subscriptions: `GET /graphql?query=…` with
 * `Accept: text/event-stream`, or POST when configured), the client's Authorization forwarded; the client
 * reads Hive over SSE with graphql-sse's client. The subgraph is the real gateway (in process) on the simulator.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_SUBGRAPH_NAME, composeSupergraph } from '../../src/federation/compose.ts';
import { chatInput, newKey, waitForRows } from '../faults/helpers.ts';
import { CHAT_STREAM, type Stack, startStack } from '../helpers/stack.ts';
import { type GatewayRuntime, loadRouterTools } from './router-tools.ts';

const { createGatewayRuntime, httpTransport } = await loadRouterTools();

let stack: Stack;
let supergraphSdl: string;
beforeAll(async () => {
  stack = await startStack({ sim: { chunkDelayMs: 5 } });
  const sdl = (await stack.gql<{ _service: { sdl: string } }>('{ _service { sdl } }')).body.data!._service.sdl;
  const outcome = composeSupergraph([{ name: GATEWAY_SUBGRAPH_NAME, url: `${stack.url}/graphql`, sdl }]);
  expect(outcome.errors).toEqual([]);
  supergraphSdl = outcome.supergraphSdl!;
});
afterAll(() => stack.close());

describe.each([
  { name: 'SSE over GET (Hive\'s default)', method: undefined },
  { name: 'SSE over POST', method: 'POST' as const },
])('Hive Gateway → our subgraph, subscriptions as $name', ({ method }) => {
  let runtime: GatewayRuntime;
  let server: Server;
  let hiveUrl: string;

  beforeAll(async () => {
    runtime = createGatewayRuntime({
      supergraph: supergraphSdl,
      logging: false,
      transports: { http: httpTransport },
      transportEntries: method ? { [GATEWAY_SUBGRAPH_NAME]: { options: { method } } } : {},
      propagateHeaders: {
        fromClientToSubgraphs: ({ request }) => {
          const authorization = request?.headers.get('authorization');
          return authorization ? { authorization } : {};
        },
      },
    });
    await runtime.getSchema();
    server = createServer(runtime);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    hiveUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${runtime.graphqlEndpoint}`;
  });
  afterAll(async () => {
    await runtime?.dispose();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  const subscribe = (key: string | undefined, content: string) => {
    const client = createClient({ url: hiveUrl, headers: key ? { authorization: `Bearer ${key}` } : {}, retryAttempts: 0 });
    const events: any[] = [];
    let errors: any[] | null = null;
    let stop = (): void => undefined;
    const finished = new Promise<void>((resolve) => {
      stop = client.subscribe<any>(
        { query: CHAT_STREAM, variables: chatInput(content) },
        {
          next: (r) => {
            if (r.errors) errors = r.errors as any[];
            if (r.data?.chatStream) events.push(r.data.chatStream);
          },
          error: (err) => {
            errors = Array.isArray(err) ? err : [{ message: String((err as Error)?.message ?? err) }];
            resolve();
          },
          complete: () => resolve(),
        },
      );
    }).finally(() => client.dispose());
    return { events, get errors() { return errors; }, finished, stop: () => { stop(); } };
  };

  it('streams chatStream end to end over HTTP, the key forwarded, one row', async () => {
    const k = await newKey(stack, 'hive-sse');
    const run = subscribe(k.key, 'one two three four');
    await run.finished;
    expect(run.errors).toBeNull();
    expect(run.events.map((e) => e.delta).join('')).toBe('Echo: one two three four');
    expect(run.events.at(-1)).toMatchObject({ done: true, finishReason: 'STOP' });
    const rows = await waitForRows(stack, k.id, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ stream: true, finishReason: 'STOP' });
  });

  it('the client leaving Hive aborts our upstream call', async () => {
    const k = await newKey(stack, 'hive-sse-leave');
    const aborted = stack.sim.stats.abortedStreams;
    stack.sim.addFault({ route: 'chat', stallAfterChunks: 2 });
    try {
      const run = subscribe(k.key, 'one two three four five six');
      await expect.poll(() => run.events.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
      run.stop();
      await stack.sim.waitFor((s) => s.abortedStreams === aborted + 1, 5_000);
      const rows = await waitForRows(stack, k.id, 1);
      expect(rows[0]).toMatchObject({ cancelled: true, finishReason: 'CANCELLED' });
    } finally {
      stack.sim.clearFaults();
    }
  });

  it('no key: our subgraph refuses, and the code reaches the client', async () => {
    const run = subscribe(undefined, 'no key');
    await run.finished;
    expect(run.events).toEqual([]);
    expect(run.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
