import type { ModelPricing, Usage } from '../domain.ts';

/**
 * USD for one call, in full floating precision (never rounded: a 3-token call costs fractions of a cent and
 * those add up). The seed multiplied per-million prices by tokens; here the per-million price is divided
 * once at the end, which keeps the result as close to exact as a double allows.
 *
 *   cost = ((prompt − cached) × input + cached × cachedInput + completion × output) / 1e6
 *
 * where prices are USD per 1M tokens and `cachedInput` falls back to `input` when the catalog lists none.
 * Null when the model has no per-token price: unknown is not free.
 */
export function computeCostUsd(usage: Usage, pricing: ModelPricing | null): number | null {
  if (!pricing) return null;
  const prompt = usage.promptTokens;
  const cached = pricing.cachedInputPerMillion !== null ? Math.min(usage.cachedTokens ?? 0, prompt) : 0;
  const cachedPrice = pricing.cachedInputPerMillion ?? pricing.inputPerMillion;
  return ((prompt - cached) * pricing.inputPerMillion + cached * cachedPrice + usage.completionTokens * pricing.outputPerMillion) / 1e6;
}
