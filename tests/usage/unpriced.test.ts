import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_MUTATION, type Stack, startStack, userMessage } from '../helpers/stack.ts';

/**
 * Issue 16 item 4: a key with a budget may not call what the gateway cannot price (Together's 0/0 chat models,
 * or an id the catalog lacks through a named provider): FORBIDDEN, saying why, and Together is not called.
 * Keys without a budget still may (cost null). An operator price (PRICE_OVERRIDES_FILE) makes it callable.
 */
const MOA = 'togethercomputer/MoA-1';
const MOA_TURBO = 'togethercomputer/MoA-1-Turbo';
let stack: Stack;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'unpriced-'));
  const prices = join(dir, 'prices.json');
  writeFileSync(prices, JSON.stringify({ [MOA_TURBO]: { inputPerMillion: 0.6, outputPerMillion: 1.2 } }));
  stack = await startStack({ env: { UPSTREAM_MAX_RETRIES: '0', PRICE_OVERRIDES_FILE: prices } });
});
afterAll(() => stack.close());

const chat = (key: string, input: Record<string, unknown>) => stack.gql(CHAT_MUTATION, { input: { messages: userMessage('hello there'), ...input } }, stack.auth(key));
const newKey = async (name: string, budgetUsd: number | null) => (await stack.gateway.services.keys.create({ name: `${name}-${Date.now()}`, budgetUsd })).key;

describe('budgeted keys and models without a price', () => {
  it('a 0/0 model and an id the catalog lacks are FORBIDDEN for a budgeted key, with the reason; Together is not called', async () => {
    const key = await newKey('budgeted', 5);
    const calls = stack.sim.stats.chatCalls;
    for (const input of [{ model: MOA }, { model: 'acme/not-in-the-catalog', provider: 'together' }]) {
      const res = await chat(key, input);
      const error = res.body.errors?.[0];
      expect(error?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'UNPRICED_MODEL', model: input.model });
      expect(error?.message).toMatch(/has a budget/);
      expect(error?.message).toMatch(/PRICE_OVERRIDES_FILE/);
    }
    expect(stack.sim.stats.chatCalls).toBe(calls);
    // REST says the same, with 403.
    const rest = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...stack.auth(key) },
      body: JSON.stringify({ model: MOA, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(rest.status).toBe(403);
    expect(((await rest.json()) as any).error).toMatchObject({ code: 'FORBIDDEN', type: 'permission_error' });
    expect(stack.sim.stats.chatCalls).toBe(calls);
  });

  it('a $0 budget is a budget too', async () => {
    const res = await chat(await newKey('zero', 0), { model: MOA });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('a key without a budget may still call them (cost null)', async () => {
    const res = await chat(await newKey('unbudgeted', null), { model: MOA });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.chatCompletion.costUsd).toBeNull();
  });

  it('an operator price makes the model callable under a budget, and charged', async () => {
    const res = await chat(await newKey('budgeted-override', 5), { model: MOA_TURBO });
    expect(res.body.errors).toBeUndefined();
    const { usage, costUsd } = res.body.data.chatCompletion;
    expect(costUsd).toBe((usage.promptTokens * 0.6 + usage.completionTokens * 1.2) / 1e6);
  });
});
