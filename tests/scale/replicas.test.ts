/**
 * Two replicas of the real gateway (child processes, each on its own port) sharing this machine's Redis
 * (CACHE_URL, a random key prefix) and PostgreSQL (DATABASE_URL, a schema of its own), in front of one
 * Together simulator — the deployment docs/deployment.md describes, in miniature:
 *  - a cold catalog is loaded from Together once between them (cross-process single-flight);
 *  - one key's rpm holds across both (RateLimiterRedis);
 *  - 200 chat calls split across them land as exactly 200 activity rows, and gatewayStats agrees from either;
 *  - a replica killed mid-stream gives its client an error it can act on, and a retry on the other one works.
 */
import { type Client, createClient } from 'graphql-ws';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient as createRedisClient } from '@keyv/redis';
import { KeyService } from '../../src/auth/keys.ts';
import { createTogetherSimulator, type TogetherSimulator } from '../../src/simulator/index.ts';
import { type GatewayStore, openStore } from '../../src/store/index.ts';
import { CHAT_MUTATION, CHAT_STREAM, LLAMA, userMessage } from '../helpers/stack.ts';
import {
  type GatewayProcess, GatewayProcesses, PG_BASE_URL, PG_PORT, REDIS_PORT, announceSkip, probeTcp, randomId,
} from '../helpers/processes.ts';

const [redisUp, pgUp] = await Promise.all([probeTcp(REDIS_PORT), probeTcp(PG_PORT)]);
const missing = [...(redisUp ? [] : [`Redis (127.0.0.1:${REDIS_PORT})`]), ...(pgUp ? [] : [`PostgreSQL (127.0.0.1:${PG_PORT})`])];
announceSkip('scale-out on Redis and PostgreSQL', missing);

const ADMIN = 'replicas-test-admin-key-0123456789abcdef';
const run = randomId();
const SCHEMA = `gw_scale_${run}`;
const PREFIX = `gwtest-${run}:`;
const DATABASE_URL = `${PG_BASE_URL}?schema=${SCHEMA}`;
const CACHE_URL = `redis://127.0.0.1:${REDIS_PORT}?prefix=${PREFIX}`;

const COUNT_MODELS = '{ models { id } }';
const STATS = `query { gatewayStats(timeRange: ALL) {
  totalRequests totalTokens promptTokens completionTokens totalCostUsd uniqueModels uniqueKeys errorRate cancelledRequests
  avgLatencyMs avgTokensPerSecond byModel { model requests totalTokens costUsd errorRate } series { start requests costUsd errors }
} }`;

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe.skipIf(missing.length > 0)('two replicas on one Redis and one PostgreSQL', () => {
  const processes = new GatewayProcesses();
  let sim: TogetherSimulator;
  let store: GatewayStore;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let limitedKey: string;
  let loadKey: { key: string; id: string };

  beforeAll(async () => {
    sim = createTogetherSimulator();
    await sim.start(0);
    // Schema, tables and keys first, then the replicas (which migrate the same schema under an advisory lock).
    store = await openStore(DATABASE_URL);
    const keys = new KeyService(store, undefined);
    limitedKey = (await keys.create({ name: 'ten-a-minute', rpm: 10 })).key;
    const created = await keys.create({ name: 'load' });
    loadKey = { key: created.key, id: created.record.id };
    const env = { TOGETHER_API_KEY: 'sim', TOGETHER_BASE_URL: sim.url, DATABASE_URL, CACHE_URL, GATEWAY_ADMIN_KEY: ADMIN };
    [a, b] = await Promise.all([processes.start(env), processes.start(env)]);
  }, 60_000);

  afterAll(async () => {
    await processes.stopAll();
    await sim?.close();
    await store?.close();
    const client = new pg.Client({ connectionString: PG_BASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`).finally(() => client.end());
    const redis = createRedisClient({ url: `redis://127.0.0.1:${REDIS_PORT}` });
    await redis.connect();
    for await (const keys of redis.scanIterator({ MATCH: `${PREFIX}*`, COUNT: 100 })) if (keys.length) await redis.del(keys);
    await redis.close();
  }, 30_000);

  it('loads a cold catalog from Together once between both replicas (cross-process single-flight)', async () => {
    expect(sim.stats.modelsCalls).toBe(0);
    sim.addFault({ route: 'models', firstByteDelayMs: 300, times: Infinity }); // a slow /models widens the race
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).gql(COUNT_MODELS)));
    sim.clearFaults();
    for (const r of results) {
      expect(r.errors).toBeUndefined();
      expect(r.data.models).toHaveLength(131);
    }
    expect(sim.stats.modelsCalls).toBe(1);
    // Exactly one replica loaded; the other waited for its copy in Redis.
    const refreshes = [await a.metric('gateway_catalog_refreshes'), await b.metric('gateway_catalog_refreshes')];
    expect(refreshes.sort()).toEqual([0, 1]);
    for (const p of [a, b]) expect((await p.readyz()).body).toEqual({ status: 'ready', store: 'ok', cache: 'redis' });
  });

  it('holds one key to its rpm across both replicas: rpm 10, 20 requests spread over both, exactly 10 succeed', async () => {
    const chatBefore = sim.stats.chatCalls;
    const input = { model: LLAMA, messages: userMessage('count me'), maxTokens: 8 };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).gql(CHAT_MUTATION, { input }, bearer(limitedKey))));
    const ok = results.filter((r) => !r.errors);
    const limited = results.filter((r) => r.errors?.[0]?.extensions?.code === 'RATE_LIMITED');
    expect(ok).toHaveLength(10);
    expect(limited).toHaveLength(10);
    for (const r of limited) expect(r.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(sim.stats.chatCalls - chatBefore).toBe(10);
  });

  it('writes 200 calls split across both replicas to one PostgreSQL: 200 rows, unique ids, same stats from either', async () => {
    const requestIds = Array.from({ length: 200 }, (_, i) => `scale-${run}-${i}`);
    const results = await Promise.all(
      requestIds.map((requestId, i) =>
        (i % 2 ? a : b).gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage(`call ${i}`), maxTokens: 8 } }, {
          ...bearer(loadKey.key),
          'x-request-id': requestId,
        }),
      ),
    );
    expect(results.filter((r) => r.errors)).toEqual([]);
    // Each replica writes its rows in batches every 200 ms; wait for both to have flushed.
    let rows = await store.listActivity({ keyId: loadKey.id, limit: 1000 });
    for (let i = 0; i < 50 && rows.length < 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      rows = await store.listActivity({ keyId: loadKey.id, limit: 1000 });
    }
    expect(rows).toHaveLength(200);
    expect(new Set(rows.map((r) => r.id)).size).toBe(200);
    expect(new Set(rows.map((r) => r.requestId))).toEqual(new Set(requestIds));
    expect(rows.every((r) => r.errorCode === null && r.finishReason === 'STOP' && (r.costUsd ?? 0) > 0)).toBe(true);

    const [fromA, fromB] = await Promise.all([a.gql(STATS, {}, bearer(ADMIN)), b.gql(STATS, {}, bearer(ADMIN))]);
    expect(fromA.errors).toBeUndefined();
    expect(fromA.data.gatewayStats).toEqual(fromB.data.gatewayStats);
    // 10 + 10 rate-limited from the rpm test, and these 200.
    expect(fromA.data.gatewayStats.totalRequests).toBe(220);
    expect(fromA.data.gatewayStats.uniqueKeys).toBe(2);
    const own = await Promise.all([a, b].map((p) => p.gql('{ gatewayStats(timeRange: ALL) { totalRequests totalCostUsd } }', {}, bearer(loadKey.key))));
    expect(own[0]!.data.gatewayStats).toEqual(own[1]!.data.gatewayStats);
    expect(own[0]!.data.gatewayStats.totalRequests).toBe(200);
    expect(own[0]!.data.gatewayStats.totalCostUsd).toBeCloseTo(rows.reduce((s, r) => s + (r.costUsd ?? 0), 0), 12);
  });

  it('a replica killed mid-stream gives its client an error to act on; a retry on the other replica completes', async () => {
    const prompt = Array.from({ length: 30 }, (_, i) => `w${i}`).join(' ');
    const input = { model: LLAMA, messages: userMessage(prompt) };
    sim.addFault({ route: 'chat', chunkDelayMs: 150, times: 1 });

    const closes: number[] = [];
    const onA: Client = createClient({
      url: a.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: bearer(loadKey.key),
      retryAttempts: 0, // a stream cannot resume: reconnecting would restart the completion from its first token
      lazy: true,
      on: { closed: (event) => void closes.push((event as { code: number }).code) },
    });
    const deltas: string[] = [];
    let failure: unknown;
    let completed = false;
    let streaming: () => void = () => undefined;
    const threeDeltas = new Promise<void>((resolve) => (streaming = resolve));
    const ended = new Promise<void>((resolve) => {
      onA.subscribe<any>(
        { query: CHAT_STREAM, variables: { input } },
        {
          next: (r) => {
            if (r.data?.chatStream) deltas.push(r.data.chatStream.delta);
            if (deltas.length === 3) streaming();
          },
          error: (err) => {
            failure = err;
            resolve();
          },
          complete: () => {
            completed = true;
            resolve();
          },
        },
      );
    });
    await Promise.race([threeDeltas, ended]);
    expect(deltas.length).toBeGreaterThanOrEqual(3); // mid-stream: a few of 31 tokens
    expect(await a.stop('SIGKILL')).toBe(-1);
    await ended;
    await onA.dispose();

    expect(completed).toBe(false);
    expect(failure).toBeDefined(); // the sink's error: the socket's close event (no GraphQL result, no `done`)
    expect(closes[0]).toBe(1006); // abnormal closure: the replica went away, not a normal completion
    expect(deltas.join('')).not.toBe(`Echo: ${prompt}`);

    // The client retries the whole request on the surviving replica (via the load balancer in production).
    const onB = createClient({ url: b.wsUrl, webSocketImpl: WebSocket, connectionParams: bearer(loadKey.key), retryAttempts: 0, lazy: true });
    try {
      const events: any[] = [];
      await new Promise<void>((resolve, reject) => {
        onB.subscribe<any>({ query: CHAT_STREAM, variables: { input } }, {
          next: (r) => (r.errors ? reject(new Error(JSON.stringify(r.errors))) : events.push(r.data!.chatStream)),
          error: reject,
          complete: resolve,
        });
      });
      expect(events.map((e) => e.delta).join('')).toBe(`Echo: ${prompt}`);
      expect(events.at(-1)).toMatchObject({ done: true, finishReason: 'STOP' });
    } finally {
      await onB.dispose();
    }
    // The surviving replica still serves everything else (catalog from its copy / Redis, stats from PostgreSQL).
    expect((await b.gql(COUNT_MODELS)).data.models).toHaveLength(131);
    expect((await b.readyz()).status).toBe(200);
  });
});
