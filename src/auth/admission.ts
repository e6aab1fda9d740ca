import type { CatalogModel, ChatRequest, Usage } from '../domain.ts';
import { GatewayError } from '../core/errors.ts';
import { worstCaseCostUsd } from '../usage/cost.ts';
import { promptTokenBound } from '../usage/estimate.ts';
import type { AuthenticatedKey } from './keys.ts';
import { type BudgetGuard, type BudgetTicket, type RequestLimiter } from './limits.ts';

/**
 * The largest worst case a call may reserve: past it the estimate is not a price but a broken catalog entry (a
 * price of 1e308 made it Infinity, which used to reserve $0 and let the call through, issue 25.7).
 */
export const MAX_ESTIMATE_USD = 1e9;

/** Completion tokens assumed for the budget reservation when the caller sets no maxTokens. */
export const DEFAULT_RESERVED_COMPLETION_TOKENS = 1024;

/**
 * The gate every chat call passes before Together is called: the key's requests-per-minute, then a budget
 * reservation of the call's worst-case cost (prompt bound + maxTokens at the model's prices). A key with a
 * budget may not call a model the gateway cannot price (FORBIDDEN): Together's 0/0 entries and ids the
 * catalog lacks (a named provider passes them through) would otherwise reserve, and be charged, nothing.
 */
export class Admission {
  constructor(
    private readonly limiter: RequestLimiter,
    private readonly budget: BudgetGuard,
  ) {}

  /**
   * rpm alone, for a call that reaches no model (none of its models is in the catalog) or is refused before
   * admission (bad input): it is still a request of the key's minute, or unknown model ids would be a way around
   * the limit (issue 25: 10,000 calls to unknown models on an rpm-10 key all got 404, none RATE_LIMITED).
   */
  async countRequest(key: AuthenticatedKey | null): Promise<void> {
    if (!key) throw new GatewayError('UNAUTHENTICATED', 'Missing gateway key: send Authorization: Bearer <key>');
    await this.limiter.hit(key);
  }

  /**
   * `models`: every model the call may use (the requested one and its fallbacks): the reservation covers the most
   * expensive of them, and the call settles it with what its attempts cost.
   */
  async admit(key: AuthenticatedKey | null, request: ChatRequest, models: readonly (CatalogModel | null)[]): Promise<BudgetTicket | null> {
    // An upper bound on the prompt for any script (UTF-8 bytes + the chat template's allowance), so the
    // reservation covers the prompt (tools included) on CJK text and emoji as on English. Computed only for a
    // key with a budget (the closure runs only then): keys without one pay nothing for it.
    let usage: Usage | undefined;
    const bound = (): Usage =>
      (usage ??= { promptTokens: promptTokenBound(request), completionTokens: request.maxTokens ?? DEFAULT_RESERVED_COMPLETION_TOKENS, totalTokens: 0 });
    return this.admitPriced(key, request.model, models, (model) => worstCaseCostUsd(bound(), model?.pricing ?? null));
  }

  /**
   * Any kind of call (embeddings, rerank, images): `worstCase` prices the most the call can cost at one model's
   * prices, null when that model has no price for it. `unpriced` says what price is missing, for the FORBIDDEN message.
   */
  async admitPriced(
    key: AuthenticatedKey | null,
    requested: string,
    models: readonly (CatalogModel | null)[],
    worstCase: (model: CatalogModel | null) => number | null,
    unpriced = 'has no per-token price in the catalog',
  ): Promise<BudgetTicket | null> {
    if (!key) throw new GatewayError('UNAUTHENTICATED', 'Missing gateway key: send Authorization: Bearer <key>');
    await this.limiter.hit(key);
    if (key.budgetUsd === null) return null;
    let estimate = 0;
    for (const model of models) {
      const cost = worstCase(model);
      if (cost === null) {
        // Unknown is never free: a $0 reservation would let a budgeted key spend without limit (issue 16).
        const id = model?.id ?? requested;
        const why = model ? unpriced : 'is not in the catalog, so it has no price';
        throw new GatewayError(
          'FORBIDDEN',
          `Model "${id}" ${why}, and gateway key "${key.name}" has a budget: a key with a budget may only call models the gateway can price (an operator can price it in PRICE_OVERRIDES_FILE; keys without a budget may call it)`,
          { details: { reason: 'UNPRICED_MODEL', model: id } },
        );
      }
      if (!Number.isFinite(cost) || cost > MAX_ESTIMATE_USD) {
        const id = model?.id ?? requested;
        throw new GatewayError(
          'BUDGET_EXCEEDED',
          `The worst-case cost of calling "${id}" is not a usable amount (${cost} USD at the catalog's prices), so gateway key "${key.name}" cannot reserve it`,
          { details: { budgetUsd: key.budgetUsd, model: id } },
        );
      }
      estimate = Math.max(estimate, cost);
    }
    return this.budget.reserve(key, estimate);
  }
}
