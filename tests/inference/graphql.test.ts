import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { simulatedEmbedding } from '../../src/simulator/inference.ts';
import { LLAMA, type Stack, startStack } from '../helpers/stack.ts';
import {
  EMBED,
  EMBED_LARGE,
  EMBED_PRICE,
  IMAGE,
  IMAGE_PER_IMAGE,
  IMAGE_PER_IMAGE_MODEL,
  IMAGE_PER_MEGAPIXEL,
  IMAGE_UNPRICED,
  RERANK,
  RERANK_OTHER,
  RERANK_PRICE,
  decodeFloat32,
  freshKey,
  lastBody,
  priceFile,
  rowsOf,
  upstreamCalls,
} from './helpers.ts';

/**
 * GraphQL `embed`, `rerank` and `generateImage` (contract: "Every model of the catalog, callable") through a real
 * gateway on port 0 against the bundled Together simulator: every field, every error code, and the accounting.
 */
const EMBED_Q = `mutation Embed($input: EmbedInput!) {
  embed(input: $input) { model provider embeddings { index vector base64 } usage { promptTokens completionTokens totalTokens estimated } costUsd latencyMs attempts { model code } }
}`;
const RERANK_Q = `mutation Rerank($input: RerankInput!) {
  rerank(input: $input) { id model provider results { index relevanceScore document } usage { promptTokens totalTokens estimated } costUsd latencyMs attempts { model code } }
}`;
const IMAGE_Q = `mutation Image($input: ImageInput!) {
  generateImage(input: $input) { id model provider images { index url base64 } costUsd latencyMs attempts { model code } }
}`;
const STATS_Q = `{ gatewayStats(timeRange: LAST_1H) { totalRequests byKind { kind requests costUsd errorRate } } }`;

const DOCS = ['Paris is the capital of France', 'Bananas are yellow', 'France borders Spain and Paris is large'];

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    env: { PRICE_OVERRIDES_FILE: priceFile(), UPSTREAM_TIMEOUT_MS: '1500', UPSTREAM_MAX_RETRIES: '1', BREAKER_FAILURE_THRESHOLD: '1000' },
  });
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.clearFaults());

describe('embed', () => {
  it('a batch in one upstream call: vectors in input order, as floats and as little-endian float32 base64; cost = prompt tokens × input price', async () => {
    const k = await freshKey(stack);
    const before = stack.sim.stats.embeddingCalls;
    const texts = ['first text', 'second, longer text here', 'third'];
    const res = await stack.gql(EMBED_Q, { input: { model: EMBED, input: texts } }, k.headers);
    expect(res.body.errors).toBeUndefined();
    const out = res.body.data.embed;
    expect(stack.sim.stats.embeddingCalls - before).toBe(1);
    expect(out).toMatchObject({ model: EMBED, provider: 'together', attempts: [{ model: EMBED, code: null }] });
    expect(out.embeddings.map((e: any) => e.index)).toEqual([0, 1, 2]);
    texts.forEach((t, i) => {
      expect(out.embeddings[i].vector).toEqual(simulatedEmbedding(EMBED, t));
      decodeFloat32(out.embeddings[i].base64).forEach((x, j) => expect(x).toBeCloseTo(out.embeddings[i].vector[j], 6));
    });
    // Together's embeddings answer (its OpenAPI spec, and so the simulator) carries no usage: estimated from the text.
    const chars = texts.join('').length;
    expect(out.usage).toEqual({ promptTokens: Math.ceil(chars / 4), completionTokens: 0, totalTokens: Math.ceil(chars / 4), estimated: true });
    expect(out.costUsd).toBeCloseTo((out.usage.promptTokens * EMBED_PRICE) / 1e6, 15);
    expect(out.latencyMs).toBeGreaterThan(0);
  });

  it('dimensions reaches Together as `dimensions`', async () => {
    const res = await stack.gql(EMBED_Q, { input: { model: EMBED, input: ['x'], dimensions: 256 } });
    expect(res.body.errors).toBeUndefined();
    expect(lastBody(stack, '/v1/embeddings')).toMatchObject({ model: EMBED, input: ['x'], dimensions: 256 });
  });
});

describe('rerank', () => {
  it('results best first with Together`s scores; topN and returnDocuments; usage as Together reports it', async () => {
    const all = await stack.gql(RERANK_Q, { input: { model: RERANK, query: 'Paris France', documents: DOCS } });
    expect(all.body.errors).toBeUndefined();
    const ranked = all.body.data.rerank;
    expect(ranked.results).toHaveLength(3);
    const scores = ranked.results.map((r: any) => r.relevanceScore);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(ranked.results[2].index).toBe(1); // bananas last
    expect(ranked.results.every((r: any) => r.document === null)).toBe(true);
    expect(ranked.usage.estimated).toBe(false);
    expect(ranked.usage.promptTokens).toBeGreaterThan(0);
    expect(ranked.costUsd).toBeCloseTo((ranked.usage.promptTokens * RERANK_PRICE) / 1e6, 15);
    expect(ranked.id).not.toBe('');

    const top = await stack.gql(RERANK_Q, { input: { model: RERANK, query: 'Paris France', documents: DOCS, topN: 2, returnDocuments: true } });
    expect(top.body.errors).toBeUndefined();
    expect(lastBody(stack, '/v1/rerank')).toMatchObject({ top_n: 2, return_documents: true });
    const hits = top.body.data.rerank.results;
    expect(hits).toHaveLength(2);
    expect(hits.map((h: any) => h.relevanceScore)).toEqual(scores.slice(0, 2));
    for (const h of hits) expect(h.document).toBe(DOCS[h.index]);
  });
});

describe('generateImage', () => {
  it('URL by default; every option reaches Together; unpriced model → costUsd null', async () => {
    const res = await stack.gql(IMAGE_Q, { input: { model: IMAGE_UNPRICED, prompt: 'a red fox', n: 2, width: 512, height: 768, steps: 4, seed: 7, negativePrompt: 'blur' } });
    expect(res.body.errors).toBeUndefined();
    const out = res.body.data.generateImage;
    expect(out.images).toHaveLength(2);
    expect(out.images.map((i: any) => i.index)).toEqual([0, 1]);
    for (const image of out.images) {
      expect(image.url).toMatch(/^http.*\.png$/);
      expect(image.base64).toBeNull();
    }
    expect(out.costUsd).toBeNull();
    expect(lastBody(stack, '/v1/images/generations')).toEqual({
      model: IMAGE_UNPRICED, prompt: 'a red fox', n: 2, width: 512, height: 768, steps: 4, seed: 7, negative_prompt: 'blur', response_format: 'url',
    });
  });

  it('BASE64 gives PNG bytes; operator prices: per megapixel at the requested size, per image', async () => {
    const res = await stack.gql(IMAGE_Q, { input: { model: IMAGE, prompt: 'a blue fox', format: 'BASE64', width: 512, height: 512, n: 3 } });
    expect(res.body.errors).toBeUndefined();
    const out = res.body.data.generateImage;
    expect(out.images).toHaveLength(3);
    expect(Buffer.from(out.images[0].base64, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(out.images[0].url).toBeNull();
    expect(out.costUsd).toBeCloseTo(3 * 0.512 * 0.512 * IMAGE_PER_MEGAPIXEL, 15);
    const one = await stack.gql(IMAGE_Q, { input: { model: IMAGE_PER_IMAGE_MODEL, prompt: 'a fox' } });
    expect(one.body.data.generateImage.costUsd).toBe(IMAGE_PER_IMAGE);
  });
});

describe('errors', () => {
  it('UNAUTHENTICATED without a key, and no upstream call', async () => {
    const before = upstreamCalls(stack);
    for (const [q, input] of [
      [EMBED_Q, { model: EMBED, input: ['a'] }],
      [RERANK_Q, { model: RERANK, query: 'q', documents: ['a'] }],
      [IMAGE_Q, { model: IMAGE, prompt: 'p' }],
    ] as const) {
      const res = await stack.gql(q, { input }, { authorization: '' });
      expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect(upstreamCalls(stack)).toBe(before);
  });

  it('RATE_LIMITED past the key`s rpm, shared across kinds, with retryAfterSeconds', async () => {
    const k = await freshKey(stack, { rpm: 2 });
    expect((await stack.gql(EMBED_Q, { input: { model: EMBED, input: ['a'] } }, k.headers)).body.errors).toBeUndefined();
    expect((await stack.gql(RERANK_Q, { input: { model: RERANK, query: 'q', documents: ['a'] } }, k.headers)).body.errors).toBeUndefined();
    const before = upstreamCalls(stack);
    const limited = await stack.gql(IMAGE_Q, { input: { model: IMAGE, prompt: 'p' } }, k.headers);
    expect(limited.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(limited.body.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    expect(upstreamCalls(stack)).toBe(before);
  });

  it('FORBIDDEN for a budgeted key on an unpriced image model (message says why), no upstream call; priced ones pass', async () => {
    const k = await freshKey(stack, { budgetUsd: 5 });
    const before = upstreamCalls(stack);
    const res = await stack.gql(IMAGE_Q, { input: { model: IMAGE_UNPRICED, prompt: 'p' } }, k.headers);
    const err = res.body.errors?.[0];
    expect(err?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'UNPRICED_MODEL' });
    expect(err?.message).toMatch(/no price per image or per megapixel.*has a budget/);
    expect(upstreamCalls(stack)).toBe(before);
    const priced = await stack.gql(IMAGE_Q, { input: { model: IMAGE, prompt: 'p' } }, k.headers);
    expect(priced.body.errors).toBeUndefined();
    const embedded = await stack.gql(EMBED_Q, { input: { model: EMBED, input: ['a'] } }, k.headers);
    expect(embedded.body.errors).toBeUndefined();
    // Settled with the real cost.
    const spent = (await stack.gateway.services.keys.list()).find((r) => r.id === k.id)!;
    expect(spent.spendUsd).toBeCloseTo(priced.body.data.generateImage.costUsd + embedded.body.data.embed.costUsd, 12);
  });

  it('BUDGET_EXCEEDED when the worst case does not fit the budget, no upstream call', async () => {
    const k = await freshKey(stack, { budgetUsd: 0.001 });
    const before = upstreamCalls(stack);
    // 1 image of 1024 × 1024 at $0.0027 a megapixel fits; 10 of 2048 × 2048 do not.
    const res = await stack.gql(IMAGE_Q, { input: { model: IMAGE, prompt: 'p', n: 10, width: 2048, height: 2048 } }, k.headers);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BUDGET_EXCEEDED');
    expect(upstreamCalls(stack)).toBe(before);
  });

  it('BAD_USER_INPUT for a model of another type, before any upstream call (the simulator sees nothing)', async () => {
    const before = upstreamCalls(stack);
    const requests = stack.sim.stats.requests.length;
    const cases = [
      [EMBED_Q, { model: LLAMA, input: ['a'] }, 'CHAT'],
      [RERANK_Q, { model: EMBED, query: 'q', documents: ['a'] }, 'EMBEDDING'],
      [IMAGE_Q, { model: RERANK, prompt: 'p' }, 'RERANK'],
      [EMBED_Q, { model: EMBED, input: ['a'], fallbackModels: [IMAGE] }, 'IMAGE'],
    ] as const;
    for (const [q, input, listed] of cases) {
      const res = await stack.gql(q, { input });
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'model' });
      expect(res.body.errors?.[0]?.message).toContain(`is a ${listed} model`);
    }
    expect(upstreamCalls(stack)).toBe(before);
    expect(stack.sim.stats.requests.length).toBe(requests);
  });

  it('Together`s own 400 (a model of another type it knows better) is BAD_USER_INPUT with its message, not passed raw', async () => {
    stack.sim.addFault({
      route: 'embeddings',
      status: 400,
      body: { id: 'x', error: { message: `Model ${EMBED} is of type chat; this endpoint serves embedding models`, type: 'invalid_request_error', param: null, code: null } },
    });
    const res = await stack.gql(EMBED_Q, { input: { model: EMBED, input: ['a'] } });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.message).toBe(`Together rejected the request: Model ${EMBED} is of type chat; this endpoint serves embedding models`);
  });

  it('BAD_USER_INPUT for bad arguments (empty input, topN 0, n 11), no upstream call', async () => {
    const before = upstreamCalls(stack);
    const bad = [
      [EMBED_Q, { model: EMBED, input: [] }, 'input'],
      [EMBED_Q, { model: EMBED, input: ['ok', ' '] }, 'input.1'],
      [RERANK_Q, { model: RERANK, query: 'q', documents: ['a'], topN: 0 }, 'topN'],
      [IMAGE_Q, { model: IMAGE, prompt: 'p', n: 11 }, 'n'],
    ] as const;
    for (const [q, input, field] of bad) {
      const res = await stack.gql(q, { input });
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(upstreamCalls(stack)).toBe(before);
  });

  it('MODEL_NOT_FOUND for a model the catalog lacks, no upstream call', async () => {
    const before = upstreamCalls(stack);
    const res = await stack.gql(EMBED_Q, { input: { model: 'nobody/no-such-embedder', input: ['a'] } });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('MODEL_NOT_FOUND');
    expect(upstreamCalls(stack)).toBe(before);
  });

  it('Together failing: retried, then UPSTREAM_UNAVAILABLE; with a fallback the next model answers at once', async () => {
    const k = await freshKey(stack);
    stack.sim.addFault({ route: 'rerank', model: RERANK, status: 503, times: Infinity });
    const before = stack.sim.stats.rerankCalls;
    const failed = await stack.gql(RERANK_Q, { input: { model: RERANK, query: 'q', documents: ['a'] } }, k.headers);
    expect(failed.body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(stack.sim.stats.rerankCalls - before).toBe(2); // UPSTREAM_MAX_RETRIES=1
    const fell = await stack.gql(RERANK_Q, { input: { model: RERANK, query: 'q', documents: ['a'], fallbackModels: [RERANK_OTHER] } }, k.headers);
    expect(fell.body.errors).toBeUndefined();
    expect(fell.body.data.rerank.model).toBe(RERANK_OTHER);
    expect(fell.body.data.rerank.attempts.map((a: any) => [a.model, a.code])).toEqual([[RERANK, 'UPSTREAM_UNAVAILABLE'], [RERANK_OTHER, null]]);
    // 2 tries of the failed call, then one of the failing model (no retry while a fallback waits) and one of the fallback.
    expect(stack.sim.stats.rerankCalls - before).toBe(4);
    const rows = await rowsOf(stack, k.id);
    expect(rows.map((r) => [r.kind, r.model, r.errorCode])).toEqual([
      ['rerank', RERANK, 'UPSTREAM_UNAVAILABLE'],
      ['rerank', RERANK, 'UPSTREAM_UNAVAILABLE'],
      ['rerank', RERANK_OTHER, null],
    ]);
  });

  it('an embedding model that times out falls back to the next one within the one deadline', async () => {
    stack.sim.addFault({ route: 'embeddings', model: EMBED, stallAfterChunks: 0 });
    const res = await stack.gql(EMBED_Q, { input: { model: EMBED, input: ['a'], fallbackModels: [EMBED_LARGE] } });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.embed.attempts.map((a: any) => a.code)).toEqual(['UPSTREAM_TIMEOUT', null]);
    expect(res.body.data.embed.embeddings[0].vector).toHaveLength(1024);
  });
});

describe('accounting', () => {
  it('one row per upstream attempt with its kind; gatewayStats byKind equals the calls made', async () => {
    const k = await freshKey(stack);
    await stack.gql(EMBED_Q, { input: { model: EMBED, input: ['a', 'b'] } }, k.headers);
    await stack.gql(EMBED_Q, { input: { model: EMBED, input: ['c'] } }, k.headers);
    await stack.gql(RERANK_Q, { input: { model: RERANK, query: 'q', documents: ['a', 'b'] } }, k.headers);
    await stack.gql(IMAGE_Q, { input: { model: IMAGE, prompt: 'p' } }, k.headers);
    stack.sim.addFault({ route: 'images', model: IMAGE, status: 503, times: Infinity });
    const failed = await stack.gql(IMAGE_Q, { input: { model: IMAGE, prompt: 'p' } }, k.headers);
    expect(failed.body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    const rows = await rowsOf(stack, k.id);
    const count = (kind: string, failedOnly = false) => rows.filter((r) => r.kind === kind && (!failedOnly || r.errorCode !== null)).length;
    expect([count('embedding'), count('rerank'), count('image'), count('chat')]).toEqual([2, 1, 2, 0]);
    expect(count('image', true)).toBe(1);
    const costs = rows.filter((r) => r.errorCode === null).map((r) => r.costUsd);
    expect(costs.every((c) => typeof c === 'number' && c > 0)).toBe(true);

    const stats = (await stack.gql(STATS_Q, {}, k.headers)).body.data.gatewayStats;
    expect(stats.totalRequests).toBe(5);
    const byKind = Object.fromEntries(stats.byKind.map((b: any) => [b.kind, b]));
    expect(Object.keys(byKind).sort()).toEqual(['EMBEDDING', 'IMAGE', 'RERANK']);
    expect(byKind.EMBEDDING).toMatchObject({ requests: 2, errorRate: 0 });
    expect(byKind.RERANK).toMatchObject({ requests: 1, errorRate: 0 });
    expect(byKind.IMAGE).toMatchObject({ requests: 2, errorRate: 0.5 });
    const sum = (kind: string) => rows.filter((r) => r.kind === kind).reduce((n, r) => n + (r.costUsd ?? 0), 0);
    for (const kind of ['EMBEDDING', 'RERANK', 'IMAGE']) expect(byKind[kind].costUsd).toBeCloseTo(sum(kind.toLowerCase()), 12);

    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_calls_total\{[^}]*kind="rerank"[^}]*\} \d/);
  });
});
