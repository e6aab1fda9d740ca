import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeReply } from '../../src/simulator/index.ts';
import { CHAT_MUTATION, LLAMA, type Stack, startStack, userMessage } from '../helpers/stack.ts';

/**
 * Issue 16 item 3: the budget reservation bounds the prompt for any script. Characters / 3 held for English
 * only: 1,000 CJK characters are ~1,000 tokens (the simulator counts them so, as Llama's tokenizer does), and
 * 10 concurrent calls of them with maxTokens 5 spent 2.65× a key's budget.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { UPSTREAM_MAX_RETRIES: '0' } });
});
afterAll(() => stack.close());

const PRICE_PER_TOKEN = 0.88 / 1e6; // Llama 3.3 70B Turbo, input and output

describe('budget reservations hold on any script', () => {
  for (const [script, unit] of [
    ['CJK', '漢'],
    ['emoji', '🙂'],
  ] as const) {
    it(`10 concurrent calls of 1,000 ${script} characters with maxTokens 5: the key never spends past its budget`, async () => {
      const content = unit.repeat(1000);
      const reply = synthesizeReply({ messages: [{ role: 'user', content }], max_tokens: 5 });
      expect(reply.promptTokens).toBeGreaterThanOrEqual(1000);
      const realCost = (reply.promptTokens + reply.tokens.length) * PRICE_PER_TOKEN;
      // Room for five calls at their real cost (the bound reserves up to 4 bytes a token for emoji).
      const budget = realCost * 5;
      const name = `budget-${script}-${Date.now()}`;
      const { key } = await stack.gateway.services.keys.create({ name, budgetUsd: budget });
      // Together holds every call, so all ten are admitted (or refused) before any settles.
      stack.sim.addFault({ route: 'chat', firstByteDelayMs: 1500, times: 10 });
      const results = await Promise.all(
        Array.from({ length: 10 }, () => stack.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage(content), maxTokens: 5 } }, stack.auth(key))),
      );
      stack.sim.clearFaults();
      const answered = results.filter((r) => !r.body.errors);
      const refused = results.filter((r) => r.body.errors?.[0]?.extensions?.code === 'BUDGET_EXCEEDED');
      expect(answered.length).toBeGreaterThanOrEqual(1);
      expect(answered.length + refused.length).toBe(10);
      const record = await stack.gateway.services.store.findKeyByName(name);
      expect(record!.reservedUsd).toBeCloseTo(0, 15);
      expect(record!.spendUsd).toBeCloseTo(answered.length * realCost, 12);
      expect(record!.spendUsd).toBeLessThanOrEqual(budget);
    });
  }
});
