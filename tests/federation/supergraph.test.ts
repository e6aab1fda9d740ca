/**
 * The gateway as one subgraph of a real supergraph: our SDL (fetched from the running process via
 * `_service { sdl }`) composed with the `favorites` subgraph, served by real routers.
 *  - Apollo Gateway (@apollo/gateway, static supergraphSdl) for queries and mutations, Authorization forwarded.
 *  - Hive Gateway (@graphql-hive/gateway-runtime) for `chatStream`: client → Hive over graphql-ws, Hive → our
 *    subgraph over graphql-ws (transport-ws), the authorization connection param forwarded.
 * Our gateway is a real child process (`node --import tsx src/index.ts`).
 */
import { mkdtempSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { type Client, createClient } from 'graphql-ws';
import { type Extra, useServer } from 'graphql-ws/use/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { GATEWAY_SUBGRAPH_NAME, composeSupergraph } from '../../src/federation/compose.ts';
import { createTogetherSimulator, type TogetherSimulator } from '../../src/simulator/index.ts';
import { CHAT_MUTATION, CHAT_STREAM, LLAMA, runStream, userMessage } from '../helpers/stack.ts';
import { type GatewayProcess, GatewayProcesses } from '../helpers/processes.ts';
import { FAVORITES_SDL, type FavoritesSubgraph, startFavoritesSubgraph } from './favorites-subgraph.ts';
import { type GatewayRuntime, loadRouterTools } from './router-tools.ts';

const { ApolloGateway, RemoteGraphQLDataSource, createGatewayRuntime, getGraphQLWSOptions, httpTransport, wsTransport } = await loadRouterTools();

const ADMIN = 'federation-test-admin-key-0123456789abcdef';
const BEARER = `Bearer ${ADMIN}`;

const processes = new GatewayProcesses();
let sim: TogetherSimulator;
let subgraph: GatewayProcess;
let favorites: FavoritesSubgraph;
let supergraphSdl: string;
let modelIds: string[];

async function post(url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: any; errors?: Array<{ message: string; extensions?: Record<string, any> }> };
}

beforeAll(async () => {
  sim = createTogetherSimulator();
  await sim.start(0);
  const dir = mkdtempSync(join(tmpdir(), 'gw-federation-'));
  subgraph = await processes.start({
    TOGETHER_API_KEY: 'sim',
    TOGETHER_BASE_URL: sim.url,
    DATABASE_URL: `file:${join(dir, 'gateway.db')}`,
    GATEWAY_ADMIN_KEY: ADMIN,
  });
  modelIds = (await subgraph.gql<{ models: Array<{ id: string }> }>('{ models { id } }')).data!.models.map((m) => m.id);
  expect(modelIds.length).toBeGreaterThanOrEqual(100);
  // 100 favorites, LLAMA first.
  const favored = [LLAMA, ...modelIds.filter((id) => id !== LLAMA)].slice(0, 100);
  favorites = await startFavoritesSubgraph(new Map(favored.map((id, i) => [id, i === 0 ? ['ada', 'linus'] : [`user${i}`]])));
  const sdl = (await subgraph.gql<{ _service: { sdl: string } }>('{ _service { sdl } }')).data!._service.sdl;
  const outcome = composeSupergraph([
    { name: GATEWAY_SUBGRAPH_NAME, url: `${subgraph.url}/graphql`, sdl },
    { name: 'favorites', url: favorites.url, sdl: FAVORITES_SDL },
  ]);
  expect(outcome.errors).toEqual([]);
  supergraphSdl = outcome.supergraphSdl!;
}, 40_000);

afterAll(async () => {
  await favorites?.close();
  await processes.stopAll();
  await sim?.close();
});

describe('Apollo Gateway (static supergraph)', () => {
  let server: ApolloServer<{ authorization?: string }>;
  let routerUrl: string;

  beforeAll(async () => {
    const gateway = new ApolloGateway({
      supergraphSdl,
      buildService: ({ url }) =>
        new RemoteGraphQLDataSource<{ authorization?: string }>({
          url,
          // The router forwards the client's Authorization to the subgraphs (our chat operations need it).
          willSendRequest({ request, context }) {
            if (context.authorization) request.http?.headers.set('authorization', context.authorization);
          },
        }),
    });
    server = new ApolloServer<{ authorization?: string }>({ gateway });
    ({ url: routerUrl } = await startStandaloneServer(server, {
      listen: { port: 0, host: '127.0.0.1' },
      context: async ({ req }) => ({ authorization: req.headers.authorization }),
    }));
  });
  afterAll(() => server?.stop());

  it('answers a query that crosses both subgraphs, in both directions', async () => {
    const res = await post(routerUrl, `{
      model(id: "${LLAMA}") { id name type contextLength pricing { inputPerMillion } favoritedBy }
      favoriteModels(limit: 2) { id name gateway favoritedBy }
    }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.model).toMatchObject({ id: LLAMA, type: 'CHAT', favoritedBy: ['ada', 'linus'] });
    expect(res.data.model.pricing.inputPerMillion).toBeGreaterThan(0);
    expect(res.data.favoriteModels[0]).toMatchObject({ id: LLAMA, gateway: 'together', favoritedBy: ['ada', 'linus'] });
    expect(res.data.favoriteModels[1].name).toEqual(expect.any(String));
  });

  it('resolves 100 Model references from the router in one _entities fetch and one catalog read', async () => {
    const readsBefore = await subgraph.metric('gateway_catalog_reads', { gateway: 'together' });
    const entitiesBefore = favorites.calls._entities ?? 0;
    const res = await post(routerUrl, `{ favoriteModels { id name type organization pricing { outputPerMillion } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.favoriteModels).toHaveLength(100);
    expect(res.data.favoriteModels.every((m: { name: string }) => typeof m.name === 'string')).toBe(true);
    expect(await subgraph.metric('gateway_catalog_reads', { gateway: 'together' })).toBe(readsBefore + 1);
    expect(favorites.calls._entities ?? 0).toBe(entitiesBefore); // nothing asked of favorites but the list
  });

  it('runs chatCompletion through the router with the Authorization header forwarded to our subgraph', async () => {
    const input = { model: LLAMA, messages: userMessage('hello through the router'), maxTokens: 16 };
    const ok = await post(routerUrl, CHAT_MUTATION, { input }, { authorization: BEARER });
    expect(ok.errors).toBeUndefined();
    expect(ok.data.chatCompletion).toMatchObject({ content: 'Echo: hello through the router', provider: 'together', finishReason: 'STOP' });
    expect(ok.data.chatCompletion.costUsd).toBeGreaterThan(0);
    const last = sim.stats.requests.at(-1)!;
    expect(last.body.messages.at(-1).content).toBe('hello through the router');

    const refused = await post(routerUrl, CHAT_MUTATION, { input });
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('Hive Gateway (subscriptions over graphql-ws end to end)', () => {
  let runtime: GatewayRuntime;
  let httpServer: Server;
  let hiveUrl: string;
  const clients: Client[] = [];

  const wsClient = (connectionParams: Record<string, unknown>) => {
    const client = createClient({ url: hiveUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    runtime = createGatewayRuntime({
      supergraph: supergraphSdl,
      logging: false,
      transports: { http: httpTransport, ws: wsTransport },
      transportEntries: {
        [GATEWAY_SUBGRAPH_NAME]: {
          options: {
            // Queries and mutations over HTTP; subscriptions over graphql-ws on the same path, with the client's
            // authorization connection param passed on as ours.
            subscriptions: {
              kind: 'ws',
              location: '/graphql',
              options: { connectionParams: { authorization: '{context.connectionParams.authorization}' } },
            },
          },
        },
      },
      propagateHeaders: {
        fromClientToSubgraphs: ({ request }) => {
          const authorization = request?.headers.get('authorization');
          return authorization ? { authorization } : {};
        },
      },
    });
    // Load the supergraph before taking traffic: the runtime otherwise loads it on the first HTTP request, and a
    // graphql-ws subscription arriving first fails with "Expected null to be a GraphQL schema".
    await runtime.getSchema();
    httpServer = createServer(runtime);
    const wss = new WebSocketServer({ server: httpServer, path: runtime.graphqlEndpoint });
    useServer(
      getGraphQLWSOptions<Record<string, unknown>, Extra>(runtime, (ctx) => ({ req: ctx.extra.request, socket: ctx.extra.socket })),
      wss,
    );
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    hiveUrl = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}${runtime.graphqlEndpoint}`;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await runtime?.dispose();
    httpServer?.closeAllConnections();
    await new Promise((resolve) => httpServer?.close(resolve));
  });

  // Apollo Server answers subscriptions over HTTP with an error, so a stream that works went over graphql-ws.
  it('streams chatStream through the router with the authorization connection param forwarded', async () => {
    const streamsBefore = sim.stats.streamCalls;
    const run = runStream(wsClient({ authorization: BEARER }), CHAT_STREAM, { input: { model: LLAMA, messages: userMessage('one two three four') } });
    await run.finished;
    expect(run.errors).toBeNull();
    expect(run.events.length).toBeGreaterThan(2);
    expect(run.events.map((e) => e.delta).join('')).toBe('Echo: one two three four');
    const last = run.events.at(-1);
    expect(last).toMatchObject({ done: true, finishReason: 'STOP' });
    expect(last.usage.totalTokens).toBeGreaterThan(0);
    expect(sim.stats.streamCalls).toBe(streamsBefore + 1);
  });

  it('a subscription without a key is refused by our subgraph, and the code reaches the client', async () => {
    const run = runStream(wsClient({}), CHAT_STREAM, { input: { model: LLAMA, messages: userMessage('no key') } });
    await run.finished;
    expect(run.events).toEqual([]);
    expect(run.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('serves a cross-subgraph query too', async () => {
    const res = await post(hiveUrl, `{ model(id: "${LLAMA}") { id name favoritedBy } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.model).toMatchObject({ id: LLAMA, favoritedBy: ['ada', 'linus'] });
  });
});
