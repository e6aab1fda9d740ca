import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayError } from '../../src/core/errors.ts';
import { TogetherProvider } from '../../src/providers/together/client.ts';
import { createTogetherSimulator, type TogetherSimulator } from '../../src/simulator/index.ts';

/** TogetherProvider's embeddings, rerank and images against the simulator: wire shapes, order, faults. */
const EMBED = 'BAAI/bge-base-en-v1.5';
const RERANK = 'Salesforce/Llama-Rank-V1';
const IMAGE = 'black-forest-labs/FLUX.1-schnell';
const LLAMA = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';

let sim: TogetherSimulator;
let provider: TogetherProvider;
const never = new AbortController().signal;

beforeAll(async () => {
  sim = createTogetherSimulator();
  await sim.start();
  provider = new TogetherProvider({ apiKey: 'tgp_v1_test_key', baseURL: sim.url, upstreamTimeoutMs: 2_000, streamIdleTimeoutMs: 1_000, retryBaseDelayMs: 1 });
});
afterEach(() => sim.reset());
afterAll(async () => {
  await provider.close();
  await sim.close();
});

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    return err as GatewayError;
  }
  throw new Error('expected a failure');
}

describe('embeddings', () => {
  it('one upstream call for a batch; vectors in input order, whatever order Together lists them in', async () => {
    const input = ['alpha', 'beta', 'gamma'];
    const direct = await provider.embed({ model: EMBED, input }, never);
    expect(direct.vectors).toHaveLength(3);
    expect(direct.vectors[0]).toHaveLength(768);
    expect(sim.stats.embeddingCalls).toBe(1);
    expect(sim.stats.requests.at(-1)?.body).toEqual({ model: EMBED, input });
    // Together lists data with its own index: shuffle it and the vectors still land on their inputs.
    sim.addFault({ route: 'embeddings', status: 200, body: { object: 'list', model: EMBED, data: [2, 0, 1].map((i) => ({ object: 'embedding', index: i, embedding: direct.vectors[i] })) } });
    const shuffled = await provider.embed({ model: EMBED, input }, never);
    expect(shuffled.vectors).toEqual(direct.vectors);
    expect(shuffled.usage).toBeNull();
  });

  it('dimensions is passed through as Together`s `dimensions`', async () => {
    await provider.embed({ model: EMBED, input: ['x'], dimensions: 256 }, never);
    expect(sim.stats.requests.at(-1)?.body).toMatchObject({ dimensions: 256 });
  });

  it('a malformed answer (a vector missing) is UPSTREAM_UNAVAILABLE, never a short list', async () => {
    sim.addFault({ route: 'embeddings', status: 200, body: { object: 'list', data: [{ index: 0, embedding: [0.1] }] } });
    const err = await failure(provider.embed({ model: EMBED, input: ['a', 'b'] }, never));
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('Together`s 400 for a model of another type is BAD_USER_INPUT with its message', async () => {
    const err = await failure(provider.embed({ model: LLAMA, input: ['a'] }, never));
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.message).toMatch(/^Together rejected the request: .*this endpoint serves embedding models/);
  });
});

describe('rerank', () => {
  it('results best first with Together`s scores; top_n and return_documents passed through', async () => {
    const documents = ['the cat sat', 'llamas live in Peru', 'Peru has llamas and alpacas'];
    const answer = await provider.rerank({ model: RERANK, query: 'llamas in Peru', documents, topN: 2, returnDocuments: true }, never);
    expect(sim.stats.requests.at(-1)?.body).toEqual({ model: RERANK, query: 'llamas in Peru', documents, top_n: 2, return_documents: true });
    expect(answer.results).toHaveLength(2);
    expect(answer.results[0]!.relevanceScore).toBeGreaterThanOrEqual(answer.results[1]!.relevanceScore);
    expect(answer.results.map((r) => r.index).sort()).toEqual([1, 2]);
    expect(answer.results[0]!.document).toBe(documents[answer.results[0]!.index]);
    expect(answer.usage?.promptTokens).toBeGreaterThan(0);
  });

  it('results Together sends out of order are sorted best first', async () => {
    sim.addFault({ route: 'rerank', status: 200, body: { object: 'rerank', model: RERANK, results: [{ index: 0, relevance_score: 0.1 }, { index: 1, relevance_score: 0.9 }], usage: { prompt_tokens: 7, completion_tokens: 0, total_tokens: 7 } } });
    const answer = await provider.rerank({ model: RERANK, query: 'q', documents: ['a', 'b'] }, never);
    expect(answer.results).toEqual([{ index: 1, relevanceScore: 0.9, document: null }, { index: 0, relevanceScore: 0.1, document: null }]);
  });
});

describe('images', () => {
  it('URL by default, base64 on request; every option reaches Together under its own name', async () => {
    const urls = await provider.generateImages({ model: IMAGE, prompt: 'a red fox', n: 2, format: 'URL' }, never);
    expect(urls.images.map((i) => i.index)).toEqual([0, 1]);
    const picture = await fetch(urls.images[0]!.url!);
    expect(picture.headers.get('content-type')).toBe('image/png');
    const b64 = await provider.generateImages(
      { model: IMAGE, prompt: 'a red fox', width: 512, height: 768, steps: 4, seed: 7, negativePrompt: 'blur', format: 'BASE64' },
      never,
    );
    expect(sim.stats.requests.at(-1)?.body).toEqual({
      model: IMAGE, prompt: 'a red fox', response_format: 'base64', width: 512, height: 768, steps: 4, seed: 7, negative_prompt: 'blur',
    });
    expect(Buffer.from(b64.images[0]!.base64!, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(b64.images[0]!.url).toBeNull();
  });

  it('Together`s recorded 400 for a bad width is BAD_USER_INPUT', async () => {
    const err = await failure(provider.generateImages({ model: IMAGE, prompt: 'x', width: 100, format: 'URL' }, never));
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.message).toMatch(/width/);
  });
});

describe('retries, deadline and breaker as chat has them', () => {
  it('a 503 is retried before the answer; a 429 gives up with RATE_LIMITED after the retries', async () => {
    sim.addFault({ route: 'rerank', status: 503 });
    await provider.rerank({ model: RERANK, query: 'q', documents: ['a'] }, never);
    expect(sim.stats.rerankCalls).toBe(2);
    sim.addFault({ route: 'images', status: 429, times: 3, headers: { 'retry-after': '0' } });
    const err = await failure(provider.generateImages({ model: IMAGE, prompt: 'x', format: 'URL' }, never));
    expect(err.code).toBe('RATE_LIMITED');
    expect(sim.stats.imageCalls).toBe(3);
  });

  it('an upstream that never answers is UPSTREAM_TIMEOUT at the deadline; a cut connection UPSTREAM_UNAVAILABLE', async () => {
    sim.addFault({ route: 'embeddings', stallAfterChunks: 0 });
    const started = Date.now();
    const timeout = await failure(provider.embed({ model: EMBED, input: ['a'] }, never));
    expect(timeout.code).toBe('UPSTREAM_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(4_000);
    sim.addFault({ route: 'embeddings', cutAfterChunks: 0, times: 3 });
    expect((await failure(provider.embed({ model: EMBED, input: ['a'] }, never))).code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('each attempt honours the call owner`s options (retries, deadline share); the catalog breaker does not count them', async () => {
    const own = new TogetherProvider({ apiKey: 'k', baseURL: sim.url, upstreamTimeoutMs: 60_000, streamIdleTimeoutMs: 1_000, retryBaseDelayMs: 1, breakerFailureThreshold: 2 });
    try {
      // maxRetries 0 (a fallback is waiting): one try, whatever the provider's default.
      sim.addFault({ route: 'embeddings', status: 500, times: 3 });
      expect((await failure(own.embed({ model: EMBED, input: ['a'] }, never, { maxRetries: 0 }))).code).toBe('UPSTREAM_UNAVAILABLE');
      expect(sim.stats.embeddingCalls).toBe(1);
      expect((await failure(own.embed({ model: EMBED, input: ['a'] }, never, { maxRetries: 0 }))).code).toBe('UPSTREAM_UNAVAILABLE');
      // Per-model breakers live in the call owner: the provider's catalog circuit stays closed.
      expect(own.breaker.state).toBe('closed');
      sim.clearFaults();
      // The attempt's share of the deadline, not the provider's 60 s.
      sim.addFault({ route: 'images', stallAfterChunks: 0 });
      const started = Date.now();
      expect((await failure(own.generateImages({ model: IMAGE, prompt: 'x', format: 'URL' }, never, { deadlineMs: 300 }))).code).toBe('UPSTREAM_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await own.close();
    }
  });
});
