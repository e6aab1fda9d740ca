import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { configFromEnv } from '../../src/core/config.ts';
import { createLogger } from '../../src/core/logger.ts';
import { type Gateway, createGateway } from '../../src/server.ts';
import type { ServiceOverrides } from '../../src/services.ts';
import { createTogetherSimulator } from '../../src/simulator/index.ts';
import type { SimulatorOptions, TogetherSimulator } from '../../src/simulator/index.ts';

export interface GraphQLResponse<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: Array<{ message: string; extensions?: Record<string, any>; path?: string[] }> };
}

export interface Stack {
  sim: TogetherSimulator;
  /** A regular gateway key (sent by default by gql() and wsClient()). */
  key: string;
  keyId: string;
  /** An admin gateway key. */
  adminKey: string;
  auth(key?: string): Record<string, string>;
  gateway: Gateway;
  url: string;
  wsUrl: string;
  /** POST /graphql with the regular key unless `headers.authorization` is given ('' sends none). */
  gql<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  wsClient(connectionParams?: Record<string, unknown>): Client;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Environment for the gateway (merged over the defaults below). */
  env?: Record<string, string | undefined>;
  sim?: SimulatorOptions;
  overrides?: ServiceOverrides;
  /** Capture log lines here instead of discarding them. */
  logLines?: string[];
}

export const TEST_UPSTREAM_KEY = 'tgp_v1_test_leak_probe';

/** A real Together simulator and a real gateway pointed at it, both on port 0. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const sim = createTogetherSimulator(options.sim);
  await sim.start(0);
  const config = configFromEnv({
    TOGETHER_API_KEY: TEST_UPSTREAM_KEY,
    TOGETHER_BASE_URL: sim.url,
    LOG_LEVEL: options.logLines ? 'debug' : 'silent',
    DATABASE_URL: ':memory:',
    ...options.env,
  });
  const logLines = options.logLines;
  const logger = logLines
    ? createLogger('debug', { write: (line: string) => void logLines.push(line) } as unknown as NodeJS.WritableStream)
    : createLogger('silent');
  const gateway = await createGateway({ config, logger, overrides: options.overrides });
  const url = await gateway.listen(0, '127.0.0.1');
  const wsUrl = `${url.replace(/^http/, 'ws')}/graphql`;
  const clients: Client[] = [];
  const user = await gateway.services.keys.create({ name: 'test-user' });
  const admin = await gateway.services.keys.create({ name: 'test-admin', isAdmin: true });
  const authHeaders = (key = user.key): Record<string, string> => ({ authorization: `Bearer ${key}` });
  return {
    sim,
    gateway,
    url,
    wsUrl,
    key: user.key,
    keyId: user.record.id,
    adminKey: admin.key,
    auth: authHeaders,
    async gql(query, variables, headers = {}) {
      const merged: Record<string, string> = { 'content-type': 'application/json', ...authHeaders(), ...headers };
      if (merged.authorization === '') delete merged.authorization;
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: merged,
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLResponse['body'] };
    },
    wsClient(connectionParams = authHeaders()) {
      const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true });
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.dispose()));
      await gateway.close();
      await sim.close();
    },
  };
}

export interface StreamRun<T = any> {
  events: T[];
  /** Arrival order marker: simulator's open streams at the moment each event arrived. */
  openStreamsAtEvent: number[];
  errors: Array<{ message: string; extensions?: Record<string, any> }> | null;
  /** Resolves when the subscription completes or errors. */
  finished: Promise<void>;
  unsubscribe(): void;
}

/** Subscribes and collects `next` payloads' `data.chatStream`; GraphQL errors (in `next` or `error`) land in `errors`. */
export function runStream(client: Client, query: string, variables: Record<string, unknown>, sim?: TogetherSimulator): StreamRun {
  const run: Omit<StreamRun, 'finished' | 'unsubscribe'> = { events: [], openStreamsAtEvent: [], errors: null };
  let unsubscribe: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    unsubscribe = client.subscribe<{ chatStream: unknown }>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors) run.errors = result.errors as StreamRun['errors'];
          if (result.data?.chatStream) {
            run.events.push(result.data.chatStream);
            if (sim) run.openStreamsAtEvent.push(sim.stats.openStreams);
          }
        },
        error: (err) => {
          run.errors = Array.isArray(err) ? (err as StreamRun['errors']) : [{ message: String((err as Error)?.message ?? err) }];
          resolve();
        },
        complete: () => resolve(),
      },
    );
  });
  return Object.assign(run, { finished, unsubscribe: () => unsubscribe() });
}

export const CHAT_MUTATION = `mutation Chat($input: ChatCompletionInput!) {
  chatCompletion(input: $input) {
    id model provider content reasoning finishReason costUsd latencyMs
    usage { promptTokens completionTokens totalTokens cachedTokens reasoningTokens estimated }
  }
}`;

export const CHAT_STREAM = `subscription Stream($input: ChatCompletionInput!) {
  chatStream(input: $input) { delta reasoningDelta done finishReason costUsd usage { promptTokens completionTokens totalTokens estimated } }
}`;

export const LLAMA = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';

export const userMessage = (content: string) => [{ role: 'USER', content }];
