/**
 * Redis is an optimisation, never a dependency. One real gateway process with CACHE_URL pointing at a port where,
 * in turn: nothing listens (connection refused at start), a redis-server we start, the same server hung
 * (SIGSTOP), then nothing again (we kill it mid-run). Throughout, the gateway serves the catalog (loading it from Together when it has no copy, from its
 * in-process copy otherwise) and enforces rpm per process; /readyz stays 200 and says `cache: degraded`; each
 * outage is logged once, not per request, and the recovery once.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyService } from '../../src/auth/keys.ts';
import { createTogetherSimulator, type TogetherSimulator } from '../../src/simulator/index.ts';
import { openStore } from '../../src/store/index.ts';
import { CHAT_MUTATION, LLAMA, userMessage } from '../helpers/stack.ts';
import { type GatewayProcess, GatewayProcesses, announceSkip, freePort, probeTcp, randomId } from '../helpers/processes.ts';

function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const redisServerAvailable = hasRedisServer();
announceSkip('Redis outage', redisServerAvailable ? [] : ['the redis-server binary']);

const OUTAGE = 'Redis unreachable';
const RECOVERED = 'Redis reachable again';
const COUNT_MODELS = '{ models { id } }';

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!redisServerAvailable)('Redis unreachable, then back, then killed mid-run', () => {
  const processes = new GatewayProcesses();
  let sim: TogetherSimulator;
  let gateway: GatewayProcess;
  let port: number;
  let redis: ChildProcess | undefined;
  let limitedKey: string;
  let roomyKey: string;
  const logCount = (msg: string) => gateway.logs().filter((l) => typeof l.msg === 'string' && l.msg.startsWith(msg)).length;

  beforeAll(async () => {
    sim = createTogetherSimulator();
    await sim.start(0);
    port = await freePort();
    const databaseUrl = `file:${join(mkdtempSync(join(tmpdir(), 'gw-redis-outage-')), 'gateway.db')}`;
    const store = await openStore(databaseUrl);
    limitedKey = (await new KeyService(store, undefined).create({ name: 'three-a-minute', rpm: 3 })).key;
    roomyKey = (await new KeyService(store, undefined).create({ name: 'hundred-a-minute', rpm: 100 })).key;
    await store.close();
    gateway = await processes.start({
      TOGETHER_API_KEY: 'sim',
      TOGETHER_BASE_URL: sim.url,
      DATABASE_URL: databaseUrl,
      CACHE_URL: `redis://127.0.0.1:${port}?prefix=gwtest-${randomId()}:`,
    });
  }, 60_000);

  afterAll(async () => {
    redis?.kill('SIGKILL');
    await processes.stopAll();
    await sim?.close();
  });

  it('with nothing listening: starts, loads the catalog from Together, serves it, says degraded, warns once', async () => {
    expect(await gateway.readyz()).toEqual({ status: 200, body: { status: 'ready', store: 'ok', cache: 'degraded' } });
    for (let i = 0; i < 5; i++) {
      const res = await gateway.gql(COUNT_MODELS);
      expect(res.errors).toBeUndefined();
      expect(res.data.models).toHaveLength(131);
    }
    expect(sim.stats.modelsCalls).toBe(1); // loaded once, then served from the in-process copy
    // rpm still holds, per process (the limiter's in-memory fallback).
    const input = { model: LLAMA, messages: userMessage('hi'), maxTokens: 4 };
    const codes = [];
    for (let i = 0; i < 5; i++) {
      const r = await gateway.gql(CHAT_MUTATION, { input }, { authorization: `Bearer ${limitedKey}` });
      codes.push(r.errors?.[0]?.extensions?.code ?? 'OK');
    }
    expect(codes).toEqual(['OK', 'OK', 'OK', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(logCount(OUTAGE)).toBe(1);
    const warning = gateway.logs().find((l) => l.msg.startsWith(OUTAGE))!;
    expect(warning.level).toBe(40);
    expect(warning.err.message).toMatch(/ECONNREFUSED/);
  });

  it('uses Redis as soon as it comes up, and says so once', async () => {
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitUntil(() => probeTcp(port), 5_000, 'redis-server to listen');
    await waitUntil(async () => (await gateway.readyz()).body.cache === 'redis', 8_000, 'the gateway to reconnect');
    // Info lines reach stdout through the logger's buffer (at most 250 ms later).
    await waitUntil(async () => logCount(RECOVERED) >= 1, 2_000, 'the recovery line');
    expect(logCount(RECOVERED)).toBe(1);
    expect((await gateway.gql(COUNT_MODELS)).data.models).toHaveLength(131);
  });

  it('a hung Redis (stopped, not closed) stalls no request beyond the command deadline', async () => {
    const input = { model: LLAMA, messages: userMessage('hi'), maxTokens: 4 };
    const auth = { authorization: `Bearer ${roomyKey}` };
    expect((await gateway.gql(CHAT_MUTATION, { input }, auth)).errors).toBeUndefined(); // counted in Redis
    redis!.kill('SIGSTOP');
    const started = Date.now();
    const [chat, models] = await Promise.all([gateway.gql(CHAT_MUTATION, { input }, auth), gateway.gql(COUNT_MODELS)]);
    expect(chat.errors).toBeUndefined(); // the limiter gave up on Redis after 1 s and counted in memory
    expect(models.data.models).toHaveLength(131); // the catalog never waited on Redis: its copy is in process
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('keeps serving from its in-process copy when Redis is killed mid-run; one warning for the outage', async () => {
    redis!.kill('SIGKILL');
    await waitUntil(async () => (await gateway.readyz()).body.cache === 'degraded', 5_000, 'the gateway to notice');
    const before = sim.stats.modelsCalls;
    const results = await Promise.all(Array.from({ length: 10 }, () => gateway.gql(COUNT_MODELS)));
    for (const r of results) {
      expect(r.errors).toBeUndefined();
      expect(r.data.models).toHaveLength(131);
    }
    expect(sim.stats.modelsCalls).toBe(before);
    expect(await gateway.readyz()).toEqual({ status: 200, body: { status: 'ready', store: 'ok', cache: 'degraded' } });
    // Give the client a few reconnect attempts: still one warning for this outage (two in all).
    await new Promise((r) => setTimeout(r, 500));
    expect(logCount(OUTAGE)).toBe(2);
    expect(gateway.exited).toBe(false);
  });
});
