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
 * Null when the model has no price for what the call used: unknown is not free. A negative or non-finite price
 * from the catalog is unknown too (issue 25.7: it would otherwise make calls free, or credit the key). A cost that
 * comes out non-finite (a catalog price of 1e308) is no cost either: null here; admission sees the raw figure
 * through worstCaseCostUsd() and refuses such a call (BUDGET_EXCEEDED) before anything is spent.
 */
export function computeCostUsd(usage: Usage, pricing: ModelPricing | null, images?: ImageOutput): number | null {
  const cost = worstCaseCostUsd(usage, pricing, images);
  return cost !== null && Number.isFinite(cost) ? cost : null;
}

/** A price the gateway may bill with: a finite number, not negative. */
const usable = (price: number | null | undefined): price is number => typeof price === 'number' && Number.isFinite(price) && price >= 0;

/**
 * The same formula for admission's worst case, without hiding an overflow: Infinity (or an absurd figure) is
 * returned as it is, so the budget check can refuse it instead of reserving nothing.
 */
export function worstCaseCostUsd(usage: Usage, pricing: ModelPricing | null, images?: ImageOutput): number | null {
  if (!pricing) return null;
  if (images) {
    if (pricing.perImage !== null) return usable(pricing.perImage) ? images.count * pricing.perImage : null;
    if (pricing.perMegapixel !== null) {
      return usable(pricing.perMegapixel) ? (images.count * images.width * images.height * pricing.perMegapixel) / 1e6 : null;
    }
    return null;
  }
  if (!pricing.perToken) return null;
  if (!usable(pricing.inputPerMillion) || !usable(pricing.outputPerMillion)) return null;
  if (pricing.cachedInputPerMillion !== null && !usable(pricing.cachedInputPerMillion)) return null;
  const prompt = usage.promptTokens;
  const cached = pricing.cachedInputPerMillion !== null ? Math.min(usage.cachedTokens ?? 0, prompt) : 0;
  const cachedPrice = pricing.cachedInputPerMillion ?? pricing.inputPerMillion;
  return ((prompt - cached) * pricing.inputPerMillion + cached * cachedPrice + usage.completionTokens * pricing.outputPerMillion) / 1e6;
}
