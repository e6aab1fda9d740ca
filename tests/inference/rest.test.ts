import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { simulatedEmbedding } from '../../src/simulator/inference.ts';
import { LLAMA, type Stack, startStack } from '../helpers/stack.ts';
import { EMBED, EMBED_PRICE, IMAGE, IMAGE_PER_MEGAPIXEL, IMAGE_UNPRICED, RERANK, freshKey, lastBody, priceFile, rowsOf, upstreamCalls } from './helpers.ts';

/**
 * REST faces of embeddings, rerank and images: the official `openai` client's embeddings.create (float and its
 * default base64) and images.generate, plain HTTP for rerank (Together's / Cohere's shape), errors in chat's REST
 * shape, against the simulator through a real gateway on port 0.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { PRICE_OVERRIDES_FILE: priceFile(), UPSTREAM_MAX_RETRIES: '0', BREAKER_FAILURE_THRESHOLD: '1000' } });
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.clearFaults());

const client = (apiKey = stack.key) => new OpenAI({ baseURL: `${stack.url}/v1`, apiKey, maxRetries: 0, timeout: 10_000 });

function post(path: string, body: unknown, headers: Record<string, string> = stack.auth()): Promise<Response> {
  return fetch(`${stack.url}/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

describe('POST /v1/embeddings with the openai client', () => {
  it('float: one vector per input, in order; usage and cost_usd; one row of kind embedding', async () => {
    const k = await freshKey(stack);
    const texts = ['alpha', 'beta gamma', 'delta'];
    const res = await client(k.key).embeddings.create({ model: EMBED, input: texts, encoding_format: 'float' });
    expect(res.object).toBe('list');
    expect(res.model).toBe(EMBED);
    expect(res.data.map((d) => [d.object, d.index])).toEqual([['embedding', 0], ['embedding', 1], ['embedding', 2]]);
    texts.forEach((t, i) => expect(res.data[i]!.embedding).toEqual(simulatedEmbedding(EMBED, t)));
    expect(res.usage.prompt_tokens).toBeGreaterThan(0);
    expect((res as any).cost_usd).toBeCloseTo((res.usage.prompt_tokens * EMBED_PRICE) / 1e6, 15);
    const rows = await rowsOf(stack, k.id);
    expect(rows.map((r) => [r.kind, r.model, r.errorCode])).toEqual([['embedding', EMBED, null]]);
  });

  it('the SDK`s default (base64, decoded by the SDK as little-endian float32) gives the same vectors; a single string input', async () => {
    const res = await client().embeddings.create({ model: EMBED, input: 'just one' });
    // A single string is one input upstream; encoding_format is ours to apply (Together's spec lists none).
    expect(lastBody(stack, '/v1/embeddings')).toEqual({ model: EMBED, input: ['just one'] });
    const expected = simulatedEmbedding(EMBED, 'just one');
    expect(res.data).toHaveLength(1);
    res.data[0]!.embedding.forEach((x, i) => expect(x).toBeCloseTo(expected[i]!, 6));
    const raw = await post('/embeddings', { model: EMBED, input: 'just one', encoding_format: 'base64' });
    const body: any = await raw.json();
    expect(typeof body.data[0].embedding).toBe('string');
    expect(Buffer.from(body.data[0].embedding, 'base64').length).toBe(expected.length * 4);
  });

  it('dimensions passed through; token arrays and bad encoding_format refused in OpenAI`s error shape', async () => {
    await client().embeddings.create({ model: EMBED, input: ['x'], dimensions: 128, encoding_format: 'float' });
    expect(lastBody(stack, '/v1/embeddings')).toMatchObject({ dimensions: 128 });
    const before = upstreamCalls(stack);
    const tokens = await post('/embeddings', { model: EMBED, input: [[1, 2, 3]] });
    expect(tokens.status).toBe(400);
    expect(await tokens.json()).toEqual({ error: { message: expect.stringContaining('token arrays'), type: 'invalid_request_error', code: 'BAD_USER_INPUT', param: 'input' } });
    const format = await post('/embeddings', { model: EMBED, input: 'x', encoding_format: 'int8' });
    expect(((await format.json()) as any).error).toMatchObject({ code: 'BAD_USER_INPUT', param: 'encoding_format' });
    expect(upstreamCalls(stack)).toBe(before);
  });
});

describe('POST /v1/rerank (plain HTTP, Together`s and Cohere`s shape)', () => {
  it('strings: best first with Together`s scores, top_n, return_documents as {text}', async () => {
    const res = await post('/rerank', { model: RERANK, query: 'capital of France', documents: ['Bananas', 'Paris is the capital of France', 'France'], top_n: 2, return_documents: true });
    expect(res.status).toBe(200);
    const body: any = await res.json();
    expect(body).toMatchObject({ object: 'rerank', model: RERANK, usage: { prompt_tokens: expect.any(Number), completion_tokens: 0, total_tokens: expect.any(Number) } });
    expect(body.results).toHaveLength(2);
    expect(body.results[0]).toEqual({ index: 1, relevance_score: expect.any(Number), document: { text: 'Paris is the capital of France' } });
    expect(body.results[0].relevance_score).toBeGreaterThanOrEqual(body.results[1].relevance_score);
    expect(body.cost_usd).toBeGreaterThan(0);
  });

  it('objects with rank_fields are passed to Together as objects; without return_documents no document', async () => {
    const docs = [{ title: 'Fruit', text: 'Bananas are yellow' }, { title: 'Paris', text: 'Paris is in France' }];
    const res = await post('/rerank', { model: RERANK, query: 'Paris', documents: docs, rank_fields: ['title'] });
    const body: any = await res.json();
    expect(res.status).toBe(200);
    expect(lastBody(stack, '/v1/rerank')).toMatchObject({ documents: docs, rank_fields: ['title'] });
    expect(body.results[0].index).toBe(1);
    expect(body.results.every((r: any) => r.document === undefined)).toBe(true);
  });

  it('errors in chat`s REST shape: 401 without a key, 400 top_n (param named as sent), 404 unknown model', async () => {
    const before = upstreamCalls(stack);
    const noKey = await post('/rerank', { model: RERANK, query: 'q', documents: ['a'] }, {});
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as any).error.code).toBe('UNAUTHENTICATED');
    const topN = await post('/rerank', { model: RERANK, query: 'q', documents: ['a'], top_n: 0 });
    expect(topN.status).toBe(400);
    expect(((await topN.json()) as any).error).toMatchObject({ code: 'BAD_USER_INPUT', param: 'top_n' });
    const unknown = await post('/rerank', { model: 'nobody/no-ranker', query: 'q', documents: ['a'] });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).error).toMatchObject({ code: 'MODEL_NOT_FOUND', type: 'not_found_error' });
    expect(upstreamCalls(stack)).toBe(before);
  });
});

describe('POST /v1/images/generations with the openai client', () => {
  it('url and b64_json; OpenAI`s size becomes Together`s width and height; operator price per megapixel', async () => {
    const urls = await client().images.generate({ model: IMAGE, prompt: 'a lighthouse', n: 2, size: '512x512' });
    expect(urls.data).toHaveLength(2);
    expect(urls.data![0]!.url).toMatch(/\.png$/);
    expect(lastBody(stack, '/v1/images/generations')).toMatchObject({ width: 512, height: 512, n: 2, response_format: 'url' });
    expect((urls as any).cost_usd).toBeCloseTo(2 * 0.512 * 0.512 * IMAGE_PER_MEGAPIXEL, 15);
    const b64 = await client().images.generate({ model: IMAGE, prompt: 'a lighthouse', response_format: 'b64_json' });
    expect(Buffer.from(b64.data![0]!.b64_json!, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(lastBody(stack, '/v1/images/generations')).toMatchObject({ response_format: 'base64' });
  });

  it('Together`s own fields (steps, seed, negative_prompt, width) pass through', async () => {
    const res = await post('/images/generations', { model: IMAGE, prompt: 'p', steps: 3, seed: 42, negative_prompt: 'text', width: 768, height: 512, response_format: 'base64' });
    expect(res.status).toBe(200);
    expect(lastBody(stack, '/v1/images/generations')).toMatchObject({ steps: 3, seed: 42, negative_prompt: 'text', width: 768, height: 512 });
  });

  it('wrong model type → 400 without an upstream call; a budgeted key on an unpriced model → 403 saying why', async () => {
    const before = upstreamCalls(stack);
    const wrong = await client().images.generate({ model: LLAMA, prompt: 'p' }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(OpenAI.BadRequestError);
    expect((wrong as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('BAD_USER_INPUT');
    const k = await freshKey(stack, { budgetUsd: 1 });
    const forbidden = await client(k.key).images.generate({ model: IMAGE_UNPRICED, prompt: 'p' }).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((forbidden as Error).message).toMatch(/no price per image or per megapixel/);
    expect(upstreamCalls(stack)).toBe(before);
  });

  it('Together down → 503 UPSTREAM_UNAVAILABLE; a fallback in OpenRouter`s `models` answers instead', async () => {
    stack.sim.addFault({ route: 'images', model: IMAGE, status: 503, times: 2 });
    const down = await post('/images/generations', { model: IMAGE, prompt: 'p' });
    expect(down.status).toBe(503);
    expect(((await down.json()) as any).error.code).toBe('UPSTREAM_UNAVAILABLE');
    const fell = await post('/images/generations', { model: IMAGE, models: [IMAGE, IMAGE_UNPRICED], prompt: 'p' });
    expect(fell.status).toBe(200);
    expect(((await fell.json()) as any).model).toBe(IMAGE_UNPRICED);
  });
});
