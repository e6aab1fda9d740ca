import type { ModelPricing, Usage } from '../domain.ts';

/** What an image call produced, for per-image or per-megapixel prices. */
export interface ImageOutput {
  count: number;
  /** Pixels of each image. */
  width: number;
  height: number;
}

/**
 * USD for one call of any kind (chat, embedding, rerank, image), in full floating precision (never rounded: a
 * 3-token call costs fractions of a cent and those add up). The one pricing function: calls, budget estimates and
 * the activity log all price through it, with the catalog's prices (operator overrides already applied).
 *
 * Token-priced calls (chat, embeddings, rerank):
 *   cost = ((prompt − cached) × input + cached × cachedInput + completion × output) / 1e6
 * where prices are USD per 1M tokens and `cachedInput` falls back to `input` when the catalog lists none. The seed
 * multiplied per-million prices by tokens; here the per-million price is divided once at the end, which keeps the
 * result as close to exact as a double allows.
 *
 * Image calls (`images` given): count × perImage, else count × width × height / 1e6 × perMegapixel.
 *
 * Null when the model has no price for what the call used: unknown is not free.
 */
export function computeCostUsd(usage: Usage, pricing: ModelPricing | null, images?: ImageOutput): number | null {
  if (!pricing) return null;
  if (images) {
    if (pricing.perImage !== null) return images.count * pricing.perImage;
    if (pricing.perMegapixel !== null) return (images.count * images.width * images.height * pricing.perMegapixel) / 1e6;
    return null;
  }
  if (!pricing.perToken) return null;
  const prompt = usage.promptTokens;
  const cached = pricing.cachedInputPerMillion !== null ? Math.min(usage.cachedTokens ?? 0, prompt) : 0;
  const cachedPrice = pricing.cachedInputPerMillion ?? pricing.inputPerMillion;
  return ((prompt - cached) * pricing.inputPerMillion + cached * cachedPrice + usage.completionTokens * pricing.outputPerMillion) / 1e6;
}
