import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_BREAKER_THRESHOLD, REDIS_COMMAND_TIMEOUT_MS } from '../../src/cache/redis.ts';
import { REDIS_PORT, announceSkip, probeTcp, randomId } from '../helpers/processes.ts';
import { CHAT_MUTATION, LLAMA, type Stack, startStack, userMessage } from '../helpers/stack.ts';
import { type TcpProxy, startTcpProxy } from '../helpers/tcp-proxy.ts';

/**
 * Issue 16 item 9: a hung Redis (socket open, nothing answers) must not cost every call the command deadline.
 * The gateway talks to the real Redis through a TCP proxy the test makes hang; the proxy sees every command the
 * gateway sends, so "no Redis round trip" is counted, not timed.
 */
const redisUp = await probeTcp(REDIS_PORT);
announceSkip('Redis breaker', redisUp ? [] : [`a Redis server on 127.0.0.1:${REDIS_PORT}`]);

let proxy: TcpProxy;
let stack: Stack;
let headers: Record<string, string>;

/** Commands other than the breaker's own probe (PING). */
const commands = (): number => proxy.sent.filter((c) => !c.toString('latin1').includes('PING')).length;

const chat = async (): Promise<void> => {
  const res = await stack.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage('hi') } }, headers);
  expect(res.body.errors).toBeUndefined();
};

const readiness = async (): Promise<string> => ((await (await fetch(`${stack.url}/readyz`)).json()) as { cache: string }).cache;

describe.runIf(redisUp)('Redis hangs: the breaker trips, calls stay off Redis, Redis is used again once it answers', () => {
  beforeAll(async () => {
    proxy = await startTcpProxy({ host: '127.0.0.1', port: REDIS_PORT });
    stack = await startStack({
      env: { CACHE_URL: `redis://127.0.0.1:${proxy.port}?prefix=breaker-${randomId()}:`, CACHE_BREAKER_RESET_MS: '200' },
    });
    // A key with an rpm limit: each of its calls consults the shared rpm counter in Redis.
    const { key } = await stack.gateway.services.keys.create({ name: `breaker-${randomId()}`, rpm: 100_000 });
    headers = stack.auth(key);
  });
  afterAll(async () => {
    await stack?.close();
    await proxy?.close();
  });

  it('trips after a few timed-out commands; 20 calls then make no Redis round trip; a probe brings Redis back', async () => {
    const before = commands();
    await chat();
    expect(commands()).toBeGreaterThan(before); // healthy: the rpm counter lives in Redis
    expect(await readiness()).toBe('redis');

    proxy.hang();
    // Calls until one goes by without a command reaching the proxy: the breaker is open.
    let paid = 0;
    for (;;) {
      const sent = commands();
      await chat();
      if (commands() === sent) break;
      paid++;
      expect(paid).toBeLessThanOrEqual(REDIS_BREAKER_THRESHOLD);
    }
    expect(await readiness()).toBe('degraded');

    const sent = commands();
    const started = performance.now();
    for (let i = 0; i < 20; i++) await chat();
    const elapsed = performance.now() - started;
    expect(commands()).toBe(sent);
    // Not a latency assertion (the machine is shared): without the breaker each call would wait the whole deadline.
    expect(elapsed).toBeLessThan(20 * REDIS_COMMAND_TIMEOUT_MS);
    // Meanwhile the breaker probes in the background (PINGs, held by the hung proxy), never on a caller's path.
    const probing = Date.now() + 10_000;
    while (!proxy.sent.some((c) => c.toString('latin1').includes('PING'))) {
      if (Date.now() > probing) throw new Error('the breaker never probed');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(commands()).toBe(sent);

    proxy.resume();
    const deadline = Date.now() + 15_000;
    while ((await readiness()) !== 'redis') {
      if (Date.now() > deadline) throw new Error('Redis never came back into use');
      await new Promise((r) => setTimeout(r, 50));
    }
    const again = commands();
    await chat();
    expect(commands()).toBeGreaterThan(again);
  }, 60_000);
});
