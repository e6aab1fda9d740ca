import type { CatalogModel, ChatRequest } from '../domain.ts';
import { GatewayError } from '../core/errors.ts';
import { promptTokenBound } from '../chat/call-log.ts';
import { computeCostUsd } from '../chat/cost.ts';
import type { AuthenticatedKey } from './keys.ts';
import { type BudgetGuard, type BudgetTicket, type RequestLimiter } from './limits.ts';

/** Completion tokens assumed for the budget reservation when the caller sets no maxTokens. */
export const DEFAULT_RESERVED_COMPLETION_TOKENS = 1024;

/**
 * The gate every chat call passes before Together is called: the key's requests-per-minute, then a budget
 * reservation of the call's worst-case cost (prompt estimate + maxTokens at the model's prices).
 */
export class Admission {
  constructor(
    private readonly limiter: RequestLimiter,
    private readonly budget: BudgetGuard,
  ) {}

  async admit(key: AuthenticatedKey | null, request: ChatRequest, model: CatalogModel | null): Promise<BudgetTicket | null> {
    if (!key) throw new GatewayError('UNAUTHENTICATED', 'Missing gateway key: send Authorization: Bearer <key>');
    await this.limiter.hit(key);
    if (key.budgetUsd === null) return null;
    // An upper bound on the prompt for any script (UTF-8 bytes + the chat template's allowance), so the
    // reservation covers the prompt (tools included) on CJK text and emoji as on English.
    const estimate = computeCostUsd(
      { promptTokens: promptTokenBound(request), completionTokens: request.maxTokens ?? DEFAULT_RESERVED_COMPLETION_TOKENS, totalTokens: 0 },
      model?.pricing ?? null,
    );
    return this.budget.reserve(key, estimate ?? 0);
  }
}
