import type { MutationResolvers, QueryResolvers } from '../../__generated__/resolvers-types.ts';
import type { AuthenticatedKey } from '../../auth/keys.ts';
import { GatewayError } from '../../core/errors.ts';
import { keyRecordView } from '../../usage/stats.ts';
import type { GatewayContext } from '../context.ts';

/** Key management is for admin keys: another key gets FORBIDDEN, no key UNAUTHENTICATED. */
async function requireAdmin(ctx: GatewayContext): Promise<AuthenticatedKey> {
  const caller = await ctx.auth.require();
  if (!caller.isAdmin) throw new GatewayError('FORBIDDEN', 'Managing gateway keys needs an admin key');
  return caller;
}

export const KeyQueries: Pick<QueryResolvers, 'keys'> = {
  keys: async (_parent, { includeRevoked }, ctx) => {
    await requireAdmin(ctx);
    const all = await ctx.services.keys.list();
    return (includeRevoked === false ? all.filter((k) => k.revokedAt === null) : all).map(keyRecordView);
  },
};

/** Thin: the rules (names, limits, one transaction per rotation) are KeyService's, shared with `npm run keys`. */
export const KeyMutations: Pick<MutationResolvers, 'createKey' | 'revokeKey' | 'rotateKey' | 'updateKey'> = {
  createKey: async (_parent, { input }, ctx) => {
    await requireAdmin(ctx);
    const { key, record } = await ctx.services.keys.create({
      name: input.name,
      budgetUsd: input.budgetUsd ?? null,
      rpm: input.rpm ?? null,
      isAdmin: input.isAdmin ?? false,
    });
    return { key, gatewayKey: keyRecordView(record) };
  },
  revokeKey: async (_parent, { name }, ctx) => {
    await requireAdmin(ctx);
    return keyRecordView(await ctx.services.keys.revoke(name));
  },
  rotateKey: async (_parent, { name }, ctx) => {
    await requireAdmin(ctx);
    const { key, record } = await ctx.services.keys.rotate(name);
    return { key, gatewayKey: keyRecordView(record) };
  },
  updateKey: async (_parent, { name, input }, ctx) => {
    await requireAdmin(ctx);
    // GraphQL keeps "left out" (no property) apart from an explicit null: the first keeps a limit, the second removes it.
    const limits: { budgetUsd?: number | null; rpm?: number | null } = {};
    if ('budgetUsd' in input) limits.budgetUsd = input.budgetUsd ?? null;
    if ('rpm' in input) limits.rpm = input.rpm ?? null;
    return keyRecordView(await ctx.services.keys.update(name, limits));
  },
};
