/**
 * Key management over GraphQL (createKey, revokeKey, rotateKey, updateKey, and the `keys` query): admin keys
 * only, the same rules as `npm run keys`, each checked by what the gateway then does with the key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_MUTATION, LLAMA, type Stack, startStack, userMessage } from '../helpers/stack.ts';

const KEY_FIELDS = 'id name prefix isAdmin budgetUsd spendUsd remainingBudgetUsd rpm createdAt lastUsedAt revokedAt';
const CREATE = `mutation($input: CreateKeyInput!) { createKey(input: $input) { key gatewayKey { ${KEY_FIELDS} } } }`;
const REVOKE = `mutation($name: String!) { revokeKey(name: $name) { ${KEY_FIELDS} } }`;
const ROTATE = `mutation($name: String!) { rotateKey(name: $name) { key gatewayKey { ${KEY_FIELDS} } } }`;
const UPDATE = `mutation($name: String!, $input: UpdateKeyInput!) { updateKey(name: $name, input: $input) { ${KEY_FIELDS} } }`;
const LIST = `query($includeRevoked: Boolean) { keys(includeRevoked: $includeRevoked) { ${KEY_FIELDS} } }`;

describe('admin key mutations', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());
  const admin = (query: string, variables: Record<string, unknown>) => stack.gql(query, variables, stack.auth(stack.adminKey));
  const codeOf = async (key: string) =>
    (await stack.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage('hi') } }, stack.auth(key))).body.errors?.[0]?.extensions?.code ?? 'OK';

  it('only admin keys: another key gets FORBIDDEN, no key UNAUTHENTICATED, and nothing changes', async () => {
    for (const [headers, code] of [[stack.auth(), 'FORBIDDEN'], [{ authorization: '' }, 'UNAUTHENTICATED']] as const) {
      for (const [query, variables] of [
        [CREATE, { input: { name: 'sneaky' } }],
        [REVOKE, { name: 'test-admin' }],
        [ROTATE, { name: 'test-admin' }],
        [UPDATE, { name: 'test-user', input: { rpm: 100000 } }],
        [LIST, {}],
      ] as const) {
        const res = await stack.gql(query, variables, headers);
        expect(res.body.errors?.[0]?.extensions?.code, query).toBe(code);
      }
    }
    expect(await stack.gateway.services.store.findKeyByName('sneaky')).toBeNull();
    expect(await codeOf(stack.adminKey)).toBe('OK');
  });

  it('createKey returns the key once; it works; keys lists it without the key', async () => {
    const res = await admin(CREATE, { input: { name: 'dashboard-made', budgetUsd: 4, rpm: 30 } });
    expect(res.body.errors).toBeUndefined();
    const { key, gatewayKey } = res.body.data.createKey;
    expect(gatewayKey).toMatchObject({ name: 'dashboard-made', prefix: key.slice(0, 10), isAdmin: false, budgetUsd: 4, rpm: 30, spendUsd: 0, remainingBudgetUsd: 4, revokedAt: null });
    expect(await codeOf(key)).toBe('OK');
    const listed = await admin(LIST, {});
    expect(listed.body.data.keys.map((k: { name: string }) => k.name)).toEqual(expect.arrayContaining(['test-user', 'test-admin', 'dashboard-made']));
    expect(JSON.stringify(listed.body)).not.toContain(key);
  });

  it('bad input is BAD_USER_INPUT with the field, by the same rule as the CLI', async () => {
    for (const [input, field] of [
      [{ name: 'x', budgetUsd: -1 }, 'budgetUsd'],
      [{ name: 'x', budgetUsd: 1e12 }, 'budgetUsd'],
      [{ name: 'x', rpm: 0 }, 'rpm'],
      [{ name: 'x', rpm: 2_000_000 }, 'rpm'],
      [{ name: 'has spaces' }, 'name'],
      [{ name: 'test-user' }, 'name'],
    ] as const) {
      const res = await admin(CREATE, { input });
      expect(res.body.errors?.[0]?.extensions, JSON.stringify(input)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect((await admin(REVOKE, { name: 'nobody' })).body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    expect((await admin(UPDATE, { name: 'test-user', input: {} })).body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('rotateKey: same name, limits and spend; the old key is refused; revokeKey then frees the name', async () => {
    const made = (await admin(CREATE, { input: { name: 'to-rotate', budgetUsd: 2, rpm: 20 } })).body.data.createKey;
    expect(await codeOf(made.key)).toBe('OK');
    const rotated = (await admin(ROTATE, { name: 'to-rotate' })).body.data.rotateKey;
    expect(rotated.gatewayKey).toMatchObject({ name: 'to-rotate', budgetUsd: 2, rpm: 20, revokedAt: null });
    expect(rotated.gatewayKey.spendUsd).toBeGreaterThan(0);
    expect(rotated.gatewayKey.id).not.toBe(made.gatewayKey.id);
    expect(await codeOf(made.key)).toBe('FORBIDDEN');
    expect(await codeOf(rotated.key)).toBe('OK');

    const revoked = (await admin(REVOKE, { name: 'to-rotate' })).body.data.revokeKey;
    expect(revoked).toMatchObject({ id: rotated.gatewayKey.id, revokedAt: expect.any(String) });
    expect(await codeOf(rotated.key)).toBe('FORBIDDEN');
    const active = (await admin(LIST, { includeRevoked: false })).body.data.keys.map((k: { name: string }) => k.name);
    expect(active).not.toContain('to-rotate');
    const again = await admin(CREATE, { input: { name: 'to-rotate' } });
    expect(again.body.errors).toBeUndefined();
  });

  it('updateKey: a field left out is kept, null removes the limit, and it applies from the next request', async () => {
    const made = (await admin(CREATE, { input: { name: 'to-update', budgetUsd: 5, rpm: 50 } })).body.data.createKey;
    const zero = await admin(UPDATE, { name: 'to-update', input: { budgetUsd: 0 } });
    expect(zero.body.data.updateKey).toMatchObject({ budgetUsd: 0, rpm: 50 });
    expect(await codeOf(made.key)).toBe('BUDGET_EXCEEDED');
    const cleared = await admin(UPDATE, { name: 'to-update', input: { budgetUsd: null } });
    expect(cleared.body.data.updateKey).toMatchObject({ budgetUsd: null, remainingBudgetUsd: null, rpm: 50 });
    expect(await codeOf(made.key)).toBe('OK');
  });
});
