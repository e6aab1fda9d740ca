import type { CallKind, KindUsageResolvers, QueryResolvers, StatsBucketResolvers } from '../../__generated__/resolvers-types.ts';
import { describeKey, gatewayStats } from '../../usage/stats.ts';

export const StatsQueries: Pick<QueryResolvers, 'gatewayStats' | 'me'> = {
  gatewayStats: async (_parent, { gateway, timeRange }, { auth, services }) =>
    gatewayStats(services, await auth.require(), gateway, timeRange),
  me: async (_parent, _args, { auth, services }) => describeKey(services.store, await auth.require()),
};

export const StatsBucket: StatsBucketResolvers = {
  start: (point) => new Date(point.bucketStart).toISOString(),
};

export const KindUsage: KindUsageResolvers = {
  kind: (usage) => usage.kind.toUpperCase() as CallKind,
};
