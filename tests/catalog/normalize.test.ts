import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeTogetherModelList } from '../../src/providers/together/models.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

const fixture = (name: string): any[] => JSON.parse(readFileSync(new URL(`../../fixtures/together/${name}`, import.meta.url), 'utf8'));
const raw131 = fixture('models.json');

const MODEL_FIELDS = `id name gateway organization type contextLength license link createdAt
  pricing { inputPerMillion outputPerMillion inputPerToken outputPerToken cachedInputPerMillion hourly }`;

describe('catalog normalisation over the real 131-model fixture, through GraphQL', () => {
  let stack: Stack;
  let models: any[];
  beforeAll(async () => {
    stack = await startStack();
    const res = await stack.gql(`{ models { ${MODEL_FIELDS} } }`);
    expect(res.body.errors).toBeUndefined();
    models = res.body.data.models;
  });
  afterAll(() => stack.close());

  it('keeps every model, in Together order', () => {
    expect(models).toHaveLength(131);
    expect(models.map((m) => m.id)).toEqual(raw131.map((m) => m.id));
  });

  it('maps every Together type (counts from the fixture README)', () => {
    const counts: Record<string, number> = {};
    for (const m of models) counts[m.type] = (counts[m.type] ?? 0) + 1;
    expect(counts).toEqual({ CHAT: 61, IMAGE: 29, VIDEO: 22, AUDIO: 5, EMBEDDING: 5, MODERATION: 4, RERANK: 2, TRANSCRIBE: 2, LANGUAGE: 1 });
  });

  it('gives contextLength null when Together has none or 0 (54 missing + 5 zero), never a made-up number', () => {
    const nulls = models.filter((m) => m.contextLength === null);
    expect(nulls).toHaveLength(59);
    for (const m of models) {
      const source = raw131.find((r) => r.id === m.id);
      expect(m.contextLength).toBe(source.context_length > 0 ? source.context_length : null);
    }
  });

  it('prices: per-million as listed, per-token exactly per-million / 1e6, null when 0/0 (not free)', () => {
    for (const m of models) {
      const p = raw131.find((r) => r.id === m.id).pricing;
      if (p.input === 0 && p.output === 0) {
        expect(m.pricing, m.id).toBeNull();
        continue;
      }
      expect(m.pricing.inputPerMillion).toBe(p.input);
      expect(m.pricing.outputPerMillion).toBe(p.output);
      expect(m.pricing.inputPerToken).toBe(p.input / 1e6);
      expect(m.pricing.outputPerToken).toBe(p.output / 1e6);
      expect(m.pricing.hourly).toBe(p.hourly > 0 ? p.hourly : null);
    }
    expect(models.filter((m) => m.pricing === null)).toHaveLength(56);
    // Image and video models list 0/0: not priced per token.
    expect(models.filter((m) => (m.type === 'IMAGE' || m.type === 'VIDEO') && m.pricing !== null)).toEqual([]);
    const llama = models.find((m) => m.id === 'meta-llama/Llama-3.3-70B-Instruct-Turbo');
    expect(llama.pricing).toMatchObject({ inputPerMillion: 0.88, outputPerMillion: 0.88, inputPerToken: 8.8e-7 });
  });

  it('name from display_name, gateway together, optional fields null when absent', () => {
    for (const m of models) {
      const r = raw131.find((x) => x.id === m.id);
      expect(m.name).toBe(r.display_name || r.id);
      expect(m.gateway).toBe('together');
      // Empty strings in the fixture (e.g. `link: ""`) are not values: null.
      expect(m.license).toBe(r.license || null);
      expect(m.link).toBe(r.link || null);
      expect(m.organization).toBe(r.organization || null);
      expect(m.createdAt).toBe(r.created > 0 ? new Date(r.created * 1000).toISOString() : null);
    }
  });

  it('filters by type and by a case-insensitive search over id, name and organization', async () => {
    const images = await stack.gql(`{ models(type: IMAGE) { id type } }`);
    expect(images.body.data.models).toHaveLength(29);
    const byOrg = await stack.gql(`{ models(search: "META") { id organization name } }`);
    const expected = raw131.filter((r) => [r.id, r.display_name ?? r.id, r.organization ?? ''].some((s) => s.toLowerCase().includes('meta')));
    expect(byOrg.body.data.models.map((m: any) => m.id)).toEqual(expected.map((r) => r.id));
    const both = await stack.gql(`{ models(type: CHAT, search: "llama-3.3") { id } }`);
    expect(both.body.data.models.map((m: any) => m.id)).toContain('meta-llama/Llama-3.3-70B-Instruct-Turbo');
  });

  it('model(id) finds ids with slashes, returns null for an unknown id, rejects an unknown gateway', async () => {
    const res = await stack.gql(`{ a: model(id: "meta-llama/Llama-3.3-70B-Instruct-Turbo") { id } b: model(id: "no/such-model") { id } }`);
    expect(res.body.data).toEqual({ a: { id: 'meta-llama/Llama-3.3-70B-Instruct-Turbo' }, b: null });
    const bad = await stack.gql(`{ models(gateway: "openrouter") { id } }`);
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const bad2 = await stack.gql(`{ model(id: "x", gateway: "nope") { id } }`);
    expect(bad2.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('newer catalog schema (281 models, extra pricing keys, uuid)', () => {
  const raw = fixture('models-maruel-genai-warmup.json');

  it('normalises every entry; cached_input becomes cachedInputPerMillion; unknown fields never break it', () => {
    const models = normalizeTogetherModelList(raw);
    expect(models).toHaveLength(281);
    const kimi = models.find((m) => m.id === 'moonshotai/Kimi-K3');
    expect(kimi?.pricing).toMatchObject({ inputPerMillion: 3, outputPerMillion: 15, cachedInputPerMillion: 0.3 });
    expect(models.find((m) => m.type === 'CODE')).toBeDefined();
    const weird = normalizeTogetherModelList([{ id: 'x/y', type: 'hologram', pricing: { input: 'free', output: null, transcribe: { a: 1 } }, extra: [1] }, { type: 'chat' }, null]);
    expect(weird).toEqual([expect.objectContaining({ id: 'x/y', type: 'OTHER', pricing: null, contextLength: null })]);
  });

  it('through GraphQL: every model, types and nulls as the README counts them, cached prices, transcribe pricing objects harmless', async () => {
    const stack = await startStack({ sim: { modelsFile: 'models-maruel-genai-warmup.json' } });
    try {
      const res = await stack.gql(`{ models { ${MODEL_FIELDS} } }`);
      expect(res.body.errors).toBeUndefined();
      const models: any[] = res.body.data.models;
      expect(models.map((m) => m.id)).toEqual(raw.map((r) => r.id));
      const counts: Record<string, number> = {};
      for (const m of models) counts[m.type] = (counts[m.type] ?? 0) + 1;
      expect(counts).toEqual({ CHAT: 171, VIDEO: 38, IMAGE: 30, AUDIO: 15, LANGUAGE: 14, TRANSCRIBE: 7, EMBEDDING: 2, RERANK: 2, MODERATION: 1, CODE: 1 });
      // 69 without context_length + 8 with 0.
      expect(models.filter((m) => m.contextLength === null)).toHaveLength(77);
      expect(models.filter((m) => m.pricing === null)).toHaveLength(193);
      for (const m of models) {
        const p = raw.find((r) => r.id === m.id).pricing;
        if (m.pricing === null) {
          expect(p.input === 0 && p.output === 0, m.id).toBe(true);
          continue;
        }
        expect(m.pricing).toEqual({
          inputPerMillion: p.input,
          outputPerMillion: p.output,
          inputPerToken: p.input / 1e6,
          outputPerToken: p.output / 1e6,
          cachedInputPerMillion: p.cached_input > 0 ? p.cached_input : null,
          hourly: p.hourly > 0 ? p.hourly : null,
        });
      }
      expect(models.filter((m) => m.pricing?.cachedInputPerMillion !== null && m.pricing !== null)).toHaveLength(17);
      // `transcribe: {price_per_minute}` (and image/video example-price objects) are not token prices: ignored.
      const transcribe = models.filter((m) => m.type === 'TRANSCRIBE');
      expect(transcribe.map((m) => [m.id, m.pricing && [m.pricing.inputPerMillion, m.pricing.outputPerMillion]])).toEqual([
        ['openai/whisper-large-v3', [0.27, 0.85]],
        ['nvidia/parakeet-tdt-0.6b-v3', null],
        ['nvidia/nemotron-3.5-asr-streaming-0.6b', null],
        ['nvidia/nemotron-3-asr-streaming-0.6b', [0.45, 0]],
        ['deepgram/flux', null],
        ['deepgram/nova-3-en', null],
        ['deepgram/nova-3-multi', null],
      ]);
      const kimi = await stack.gql(`{ model(id: "moonshotai/Kimi-K3") { type contextLength pricing { inputPerMillion cachedInputPerMillion outputPerMillion } } }`);
      expect(kimi.body.data.model).toEqual({ type: 'CHAT', contextLength: 1_000_000, pricing: { inputPerMillion: 3, cachedInputPerMillion: 0.3, outputPerMillion: 15 } });
    } finally {
      await stack.close();
    }
  });

  it('accepts the OpenAI {data: [...]} envelope too, and rejects anything else', () => {
    expect(normalizeTogetherModelList({ data: raw131.slice(0, 3) })).toHaveLength(3);
    expect(() => normalizeTogetherModelList({ object: 'list' })).toThrow();
  });
});
