import type { CallKind, GatewayStatsResolvers, KindUsageResolvers, QueryResolvers, StatsBucketResolvers } from '../../__generated__/resolvers-types.ts';
import { describeKey, gatewayStats } from '../../usage/stats.ts';
import { selects } from '../selection.ts';

const SERIES_PERCENTILES = ['latencyP50Ms', 'latencyP95Ms', 'ttftP50Ms', 'ttftP95Ms'];

export const StatsQueries: Pick<QueryResolvers, 'gatewayStats' | 'me'> = {
  // The optional parts cost extra reads: computed only for documents that select them.
  gatewayStats: async (_parent, { gateway, timeRange }, { auth, services }, info) =>
    gatewayStats(services, await auth.require(), gateway, timeRange, {
      seriesPercentiles: SERIES_PERCENTILES.some((field) => selects(info, ['series', field])),
      byKey: selects(info, ['byKey']),
    }),
  me: async (_parent, _args, { auth, services }) => describeKey(services.store, await auth.require()),
};

export const GatewayStats: Pick<GatewayStatsResolvers, 'byKey'> = {
  byKey: (stats) => stats.byKey ?? [],
};

export const StatsBucket: StatsBucketResolvers = {
  start: (point) => new Date(point.bucketStart).toISOString(),
};

export const KindUsage: KindUsageResolvers = {
  kind: (usage) => usage.kind.toUpperCase() as CallKind,
};
