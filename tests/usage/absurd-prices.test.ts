/**
 * Issue 25.7: a catalog price that makes the cost estimate non-finite or absurd refuses the call
 * (BUDGET_EXCEEDED) instead of reserving nothing, and a negative price is unknown, not free. The simulator serves
 * a copy of the recorded catalog (fixtures/together/models.json) with two entries added in its shape: one priced
 * 1e308 per 1M tokens, one with a negative input price.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURES_DIR } from '../../src/simulator/fixtures.ts';
import { LLAMA, type Stack, startStack } from '../helpers/stack.ts';

const ABSURD = 'test/absurd-price';
const NEGATIVE = 'test/negative-price';
const dir = mkdtempSync(join(tmpdir(), 'prices-'));

let stack: Stack;
beforeAll(async () => {
  const models = JSON.parse(readFileSync(join(DEFAULT_FIXTURES_DIR, 'models.json'), 'utf8')) as Array<Record<string, unknown>>;
  const llama = models.find((m) => m.id === LLAMA)!;
  models.push({ ...llama, id: ABSURD, pricing: { ...(llama.pricing as object), input: 1e308, output: 1e308 } });
  models.push({ ...llama, id: NEGATIVE, pricing: { ...(llama.pricing as object), input: -1, output: 0.5 } });
  writeFileSync(join(dir, 'models.json'), JSON.stringify(models));
  stack = await startStack({ sim: { modelsFile: join(dir, 'models.json') }, env: { UPSTREAM_MAX_RETRIES: '0' } });
});
afterAll(async () => {
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

const CHAT = `mutation C($input: ChatCompletionInput!) { chatCompletion(input: $input) { costUsd } }`;
const chat = (model: string, key: string) => stack.gql(CHAT, { input: { model, messages: [{ role: 'USER', content: 'hi' }], maxTokens: 5 } }, stack.auth(key));

async function newKey(name: string, budgetUsd?: number) {
  const { key, record } = await stack.gateway.services.keys.create({ name, ...(budgetUsd !== undefined ? { budgetUsd } : {}) });
  return { key, id: record.id, name };
}

describe('absurd and negative catalog prices', () => {
  it('a price of 1e308: a budgeted key is refused BUDGET_EXCEEDED before Together is called; spend stays finite', async () => {
    const k = await newKey('absurd-budget', 5);
    const before = stack.sim.stats.chatCalls;
    const res = await chat(ABSURD, k.key);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BUDGET_EXCEEDED');
    expect(stack.sim.stats.chatCalls).toBe(before);
    const rec = (await stack.gateway.services.store.findKeyByName(k.name))!;
    expect(rec.spendUsd).toBe(0);
    expect(rec.reservedUsd).toBe(0);
    // The key still works, and so do its queries and the metrics.
    expect((await chat(LLAMA, k.key)).body.data.chatCompletion.costUsd).toBeGreaterThan(0);
    const me = await stack.gql(`{ me { spendUsd remainingBudgetUsd } }`, undefined, stack.auth(k.key));
    expect(me.body.errors).toBeUndefined();
    expect(Number.isFinite(me.body.data.me.spendUsd)).toBe(true);
  });

  it('a price of 1e308 for a key without a budget: the cost is unknown (null), never Infinity, and /metrics still renders', async () => {
    const k = await newKey('absurd-free');
    const res = await chat(ABSURD, k.key);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.chatCompletion.costUsd).toBeNull();
    await stack.gateway.services.recorder.flush();
    const [row] = await stack.gateway.services.store.listActivity({ keyId: k.id, limit: 1 });
    expect(row).toMatchObject({ model: ABSURD, costUsd: null, errorCode: null });
    expect((await fetch(`${stack.url}/metrics`)).status).toBe(200);
  });

  it('a negative price is unknown, not free: no pricing in the catalog, a budgeted key may not call it, an unbudgeted one pays null', async () => {
    const model = await stack.gql(`query M($id: ID!) { model(id: $id) { id pricing { inputPerMillion } } }`, { id: NEGATIVE });
    expect(model.body.data.model).toEqual({ id: NEGATIVE, pricing: null });
    const budgeted = await newKey('negative-budget', 5);
    const refused = await chat(NEGATIVE, budgeted.key);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'UNPRICED_MODEL' });
    const free = await newKey('negative-free');
    expect((await chat(NEGATIVE, free.key)).body.data.chatCompletion.costUsd).toBeNull();
  });
});
