import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SHRINK_ACCEPT_AFTER_MS } from '../../src/catalog/catalog.ts';
import { DEFAULT_FIXTURES_DIR } from '../../src/simulator/fixtures.ts';
import { CHAT_MUTATION, LLAMA, type Stack, startStack, userMessage } from '../helpers/stack.ts';
import { REDIS_PORT, probeTcp, randomId } from '../helpers/processes.ts';

/**
 * Issue 25 item 4: an empty or sharply smaller /models answer never replaces the catalog. The simulator's /models
 * answer is switched with a fault carrying a body: Together's GET /v1/models answers a bare JSON array
 * (fixtures/together/models.json, 131 models, recorded from api.together.xyz; see the fixtures' README), so the
 * "partial" answer is the first 5 entries of that same array, and the empty one `[]`.
 */
const redisUp = await probeTcp(REDIS_PORT);
const RECORDED: unknown[] = JSON.parse(readFileSync(join(DEFAULT_FIXTURES_DIR, 'models.json'), 'utf8'));
const FIVE = RECORDED.slice(0, 5);
const COUNT = '{ models { id } }';
// A 1 s TTL so the copy expires while the test runs; the clock the catalog's own rules read is ours.
const ENV = { CATALOG_TTL_SECONDS: '1', UPSTREAM_MAX_RETRIES: '0' };

let stacks: Stack[] = [];
afterEach(async () => {
  await Promise.all(stacks.map((s) => s.close()));
  stacks = [];
});

/** A clock the test moves: the refresh cool-down and the shrink rule's wait pass without waiting. */
function testClock() {
  let now = Date.now();
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

async function models(stack: Stack): Promise<string[]> {
  const res = await stack.gql(COUNT, undefined, { authorization: '' });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.models.map((m: { id: string }) => m.id);
}

/** Reads the catalog (as clients do) until Together has been asked for its list `calls` more times. */
async function untilRefreshed(stack: Stack, from: number, calls = 1, sim = stack.sim): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (sim.stats.modelsCalls < from + calls) {
    if (Date.now() > deadline) throw new Error('no catalog refresh reached the simulator');
    await models(stack);
    await new Promise((r) => setTimeout(r, 50));
  }
  // Let the refresh that was just answered settle before the next read (the answer is judged as it arrives).
  await stack.gateway.services.gateways.get('together').catalog.settled();
}

const chatWorks = async (stack: Stack) => {
  const res = await stack.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage('still routed') } });
  expect(res.body.errors).toBeUndefined();
};

describe('a /models answer that would wipe the catalog', () => {
  it('[] is a failure: the last good copy is served, chat still routes, the refresh is retried soon', async () => {
    const clock = testClock();
    const logLines: string[] = [];
    const stack = await startStack({ env: ENV, overrides: { clock: clock.now }, logLines });
    stacks.push(stack);
    const full = await models(stack);
    expect(full).toHaveLength(RECORDED.length);

    stack.sim.addFault({ route: 'models', body: [], times: Infinity });
    await untilRefreshed(stack, stack.sim.stats.modelsCalls);
    expect(await models(stack)).toEqual(full);
    await chatWorks(stack);
    // Retried after the 5 s cool-down (our clock), not after the 30 min TTL.
    clock.advance(5_000);
    await untilRefreshed(stack, stack.sim.stats.modelsCalls);
    expect(await models(stack)).toEqual(full);
    expect(logLines.some((l) => l.includes('Together listed no models'))).toBe(true);

    stack.sim.clearFaults();
    clock.advance(5_000);
    await untilRefreshed(stack, stack.sim.stats.modelsCalls);
    expect(await models(stack)).toEqual(full);
  });

  it('[] with no copy yet: "Models data unavailable", then served once Together lists models', async () => {
    const stack = await startStack({ env: ENV });
    stacks.push(stack);
    stack.sim.addFault({ route: 'models', body: [], times: 1 });
    const res = await stack.gql(COUNT, undefined, { authorization: '' });
    expect(res.body.errors?.[0]).toMatchObject({ message: 'Models data unavailable', extensions: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(await models(stack)).toHaveLength(RECORDED.length);
  });

  it(`a list under half the last good one is refused (warned) until it has lasted ${SHRINK_ACCEPT_AFTER_MS / 60_000} minutes, then accepted; growth is accepted at once`, async () => {
    const clock = testClock();
    const logLines: string[] = [];
    const stack = await startStack({ env: ENV, overrides: { clock: clock.now }, logLines });
    stacks.push(stack);
    const full = await models(stack);

    stack.sim.addFault({ route: 'models', body: FIVE, times: Infinity });
    await untilRefreshed(stack, stack.sim.stats.modelsCalls);
    expect(await models(stack)).toEqual(full);
    await chatWorks(stack);
    const warning = logLines.map((l) => JSON.parse(l)).find((l) => l.level === 40 && /fewer than 50% of the 131/.test(JSON.stringify(l)));
    expect(warning).toBeDefined();

    // Still small 9 minutes later: still refused.
    clock.advance(SHRINK_ACCEPT_AFTER_MS - 60_000);
    await untilRefreshed(stack, stack.sim.stats.modelsCalls);
    expect(await models(stack)).toEqual(full);

    // Small for the whole wait: a real withdrawal, accepted.
    clock.advance(60_000);
    await untilRefreshed(stack, stack.sim.stats.modelsCalls);
    expect(await models(stack)).toHaveLength(FIVE.length);
    expect(logLines.some((l) => l.includes('accepting the smaller list'))).toBe(true);

    // Back to the full list: more models are always accepted, at the next expiry.
    stack.sim.clearFaults();
    const deadline = Date.now() + 10_000;
    while ((await models(stack)).length !== RECORDED.length) {
      if (Date.now() > deadline) throw new Error('the full list never came back');
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it.runIf(redisUp)('shared through Redis: no replica writes a refused list to the shared copy; both keep serving the good one', async () => {
    const clock = testClock();
    const prefix = `shrink-${randomId()}:`;
    const cacheUrl = `redis://127.0.0.1:${REDIS_PORT}?prefix=${prefix}`;
    const a = await startStack({ env: { ...ENV, CACHE_URL: cacheUrl }, overrides: { clock: clock.now } });
    stacks.push(a);
    const b = await startStack({ env: { ...ENV, CACHE_URL: cacheUrl, TOGETHER_BASE_URL: a.sim.url }, overrides: { clock: clock.now } });
    stacks.push(b);
    const full = await models(a);
    expect(await models(b)).toEqual(full);

    a.sim.addFault({ route: 'models', body: FIVE, times: Infinity });
    await untilRefreshed(a, a.sim.stats.modelsCalls);
    await untilRefreshed(b, a.sim.stats.modelsCalls, 1, a.sim);
    expect(await models(a)).toEqual(full);
    expect(await models(b)).toEqual(full);
    // The shared copy in Redis is the good list or nothing (expired): never the 5.
    const raw = execFileSync('redis-cli', ['-p', String(REDIS_PORT), 'GET', `${prefix}catalog:together:v1`], { encoding: 'utf8' }).trim();
    if (raw !== '') expect((JSON.parse(raw) as { value: unknown[] }).value).toHaveLength(RECORDED.length);
  });
});
