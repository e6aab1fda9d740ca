import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_MUTATION, CHAT_STREAM, LLAMA, type Stack, runStream, startStack, userMessage } from '../helpers/stack.ts';


// The keys CLI's tests are in tests/operators/keys-cli.test.ts.

describe('auth', () => {
  let stack: Stack;
  const ADMIN = 'admin-bootstrap-key-for-tests-0123456789';
  beforeAll(async () => {
    stack = await startStack({ env: { GATEWAY_ADMIN_KEY: ADMIN } });
  });
  afterAll(() => stack.close());
  const chat = (headers: Record<string, string>) =>
    stack.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage('hi') } }, headers);

  it('the catalog is public', async () => {
    const res = await stack.gql('{ models(type: RERANK) { id } }', undefined, { authorization: '' });
    expect(res.body.data.models.length).toBeGreaterThan(0);
  });

  it('chat without a key, with an unknown key or a malformed header → UNAUTHENTICATED, before Together is called', async () => {
    const before = stack.sim.stats.chatCalls;
    for (const authorization of ['', 'Bearer gw_not-a-real-key', 'Basic abc', stack.key]) {
      const res = await chat({ authorization });
      expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect(stack.sim.stats.chatCalls).toBe(before);
  });

  it('a revoked key → FORBIDDEN (revoked elsewhere: within KEY_CACHE_MS, tests/usage/key-cache.test.ts)', async () => {
    const { key } = await stack.gateway.services.keys.create({ name: 'soon-revoked' });
    expect((await chat(stack.auth(key))).body.errors).toBeUndefined();
    await stack.gateway.services.keys.revoke('soon-revoked');
    expect((await chat(stack.auth(key))).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('GATEWAY_ADMIN_KEY is an admin key', async () => {
    expect((await chat(stack.auth(ADMIN))).body.errors).toBeUndefined();
    const me = await stack.gql('{ me { name isAdmin } }', undefined, stack.auth(ADMIN));
    expect(me.body.data.me).toMatchObject({ isAdmin: true });
  });

  it('graphql-ws: the key travels in connectionParams.authorization', async () => {
    const anonymous = runStream(stack.wsClient({}), CHAT_STREAM, { input: { model: LLAMA, messages: userMessage('hi') } });
    await anonymous.finished;
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const wrong = runStream(stack.wsClient({ authorization: 'Bearer nope' }), CHAT_STREAM, { input: { model: LLAMA, messages: userMessage('hi') } });
    await wrong.finished;
    expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const ok = runStream(stack.wsClient(), CHAT_STREAM, { input: { model: LLAMA, messages: userMessage('hi') } });
    await ok.finished;
    expect(ok.errors).toBeNull();
    expect(ok.events.at(-1)?.done).toBe(true);
  });

  it('stats and me need a key', async () => {
    const res = await stack.gql('{ gatewayStats { totalRequests } }', undefined, { authorization: '' });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const me = await stack.gql('{ me { name } }', undefined, { authorization: '' });
    expect(me.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
