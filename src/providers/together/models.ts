import type { CatalogModel, ModelPricing, ModelType } from '../../domain.ts';

/** One entry of Together's `GET /v1/models` (a bare array). Every field is optional: we read defensively. */
export interface TogetherRawModel {
  id?: unknown;
  type?: unknown;
  display_name?: unknown;
  organization?: unknown;
  context_length?: unknown;
  license?: unknown;
  link?: unknown;
  created?: unknown;
  pricing?: Record<string, unknown> | null;
  [extra: string]: unknown;
}

const TYPE_MAP: Record<string, ModelType> = {
  chat: 'CHAT',
  language: 'LANGUAGE',
  code: 'CODE',
  image: 'IMAGE',
  video: 'VIDEO',
  audio: 'AUDIO',
  transcribe: 'TRANSCRIBE',
  embedding: 'EMBEDDING',
  moderation: 'MODERATION',
  rerank: 'RERANK',
};

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);
const positive = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);
/** A listed price; absent is 0 (as Together lists one-sided prices), but a negative or non-finite one is no price: NaN. */
const price = (v: unknown): number => (v === undefined || v === null ? 0 : typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : Number.NaN);

/**
 * Together lists prices in USD per 1M tokens. Both 0 means "not priced per token" (image, video, and a few
 * chat models such as MoA that bill through other models), which is unknown, not free: pricing is null so
 * that no cost of 0 is ever reported for them. One side 0 (audio models priced on input) is kept as listed. A
 * negative price on either side makes the model unpriced too: it would otherwise have been billed as free.
 */
export function normalizePricing(raw: Record<string, unknown> | null | undefined): ModelPricing | null {
  if (!raw || typeof raw !== 'object') return null;
  const inputPerMillion = price(raw.input);
  const outputPerMillion = price(raw.output);
  if (inputPerMillion === 0 && outputPerMillion === 0) return null;
  // A negative (or non-numeric) price is unknown, not free: the whole entry is unpriced (issue 25.7).
  if (Number.isNaN(inputPerMillion) || Number.isNaN(outputPerMillion)) return null;
  return {
    perToken: true,
    inputPerMillion,
    outputPerMillion,
    inputPerToken: inputPerMillion / 1e6,
    outputPerToken: outputPerMillion / 1e6,
    cachedInputPerMillion: positive(raw.cached_input),
    hourly: positive(raw.hourly),
    perImage: null,
    perMegapixel: null,
    source: 'TOGETHER',
  };
}

/** Returns null for an entry without an id (it cannot be addressed, so it is dropped, not invented). */
export function normalizeTogetherModel(raw: TogetherRawModel, gateway = 'together'): CatalogModel | null {
  const id = str(raw?.id);
  if (!id) return null;
  const type = typeof raw.type === 'string' ? (TYPE_MAP[raw.type.toLowerCase()] ?? 'OTHER') : 'OTHER';
  const contextLength = positive(raw.context_length);
  return {
    id,
    name: str(raw.display_name) ?? id,
    gateway,
    organization: str(raw.organization),
    type,
    contextLength: contextLength === null ? null : Math.floor(contextLength),
    license: str(raw.license),
    link: str(raw.link),
    created: positive(raw.created),
    pricing: normalizePricing(raw.pricing),
  };
}

/** Accepts Together's bare array and, defensively, the OpenAI `{data: [...]}` envelope. */
export function normalizeTogetherModelList(body: unknown, gateway = 'together'): CatalogModel[] {
  const list = Array.isArray(body) ? body : Array.isArray((body as { data?: unknown })?.data) ? (body as { data: unknown[] }).data : null;
  if (!list) throw new TypeError('Together /models answered with neither an array nor {data: [...]}');
  const models: CatalogModel[] = [];
  const seen = new Set<string>();
  for (const entry of list) {
    const model = normalizeTogetherModel(entry as TogetherRawModel, gateway);
    if (model && !seen.has(model.id)) {
      seen.add(model.id);
      models.push(model);
    }
  }
  return models;
}
