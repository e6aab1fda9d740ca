import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_OPERATIONS, LABEL_LIMITS } from '../../src/observability/metrics.ts';
import { CHAT_MUTATION, LLAMA, type Stack, startStack, userMessage } from '../helpers/stack.ts';

/** Issue 25 item 2: client-chosen strings (operation names, model ids) never grow /metrics without bound. */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

const N = 10_000;
const CONCURRENCY = 16;

/** Runs `task(i)` for i in [0, n) with at most CONCURRENCY in flight. */
async function pool(n: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

const scrape = async (): Promise<string> => (await fetch(`${stack.url}/metrics`)).text();
const series = (text: string): string[] => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
const labelValues = (text: string, metric: string, label: string): Set<string> =>
  new Set(
    series(text)
      .filter((l) => l.startsWith(`${metric}{`))
      .map((l) => new RegExp(`${label}="([^"]*)"`).exec(l)?.[1] ?? ''),
  );

describe('metric labels stay bounded', () => {
  it(`${N} distinct operation names and ${N} distinct model ids over HTTP keep /metrics small`, async () => {
    // Known series first: the typed client's operation and a real model keep their own labels throughout.
    await stack.gql('query Catalog { models { id } }', undefined, { authorization: '' });
    await stack.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage('hi') } });
    const before = await scrape();

    await pool(N, async (i) => {
      const res = await stack.gql(`query Probe${i}x${'y'.repeat(i % 7)} { __typename }`, undefined, { authorization: '' });
      expect(res.status).toBe(200);
    });
    // A few very long names: never a label of their own, whatever the budget left.
    await stack.gql(`query ${'L'.repeat(200_000)} { __typename }`, undefined, { authorization: '' });
    await pool(N, async (i) => {
      const res = await stack.gql(CHAT_MUTATION, { input: { model: `nobody/model-${i}`, messages: userMessage('x') } });
      expect(res.body.errors?.[0]?.extensions?.code).toBe('MODEL_NOT_FOUND');
    });
    await stack.gateway.services.recorder.flush();

    await stack.gql('query Catalog { models { id } }', undefined, { authorization: '' });
    await stack.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage('hi') } });
    const after = await scrape();

    const operations = labelValues(after, 'gateway_operations_total', 'operation');
    expect(operations.size).toBeLessThanOrEqual(KNOWN_OPERATIONS.length + LABEL_LIMITS.operation.maxDistinct + 1);
    expect(operations).toContain('Catalog');
    expect(operations).toContain('other');
    expect([...operations].every((v) => v.length <= LABEL_LIMITS.operation.maxLength)).toBe(true);
    const models = labelValues(after, 'gateway_calls_total', 'model');
    expect(models.size).toBeLessThanOrEqual(LABEL_LIMITS.model.maxDistinct + 1);
    expect(models).toContain(LLAMA);
    // The real model's counts went on under its own label after the flood.
    const llamaOk = series(after).find((l) => l.startsWith('gateway_chat_calls_total{') && l.includes(`model="${LLAMA}"`) && l.includes('outcome="ok"'));
    expect(Number(llamaOk?.split(' ').at(-1))).toBe(2);

    // Byte and series bounds: before the bound, the operation names alone made ~1 MB and 10,000 series.
    const added = series(after).length - series(before).length;
    expect(added).toBeLessThan(1_500);
    expect(Buffer.byteLength(after)).toBeLessThan(256 * 1024);
    console.log(`/metrics: ${Buffer.byteLength(before)} → ${Buffer.byteLength(after)} bytes, ${series(before).length} → ${series(after).length} series`);
  }, 240_000);
});
