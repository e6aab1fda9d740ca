import type { Resolvers } from '../../__generated__/resolvers-types.ts';
import { ChatCompletion, ChatStreamEvent } from './ChatCompletion.ts';
import { EmbedResult, Embedding, InferenceMutations, RerankResult } from './Inference.ts';
import { GatewayStats, KindUsage, StatsBucket, StatsQueries } from './GatewayStats.ts';
import { KeyMutations, KeyQueries } from './Keys.ts';
import { Model } from './Model.ts';
import { Mutation } from './Mutation.ts';
import { Query } from './Query.ts';
import { Subscription } from './Subscription.ts';

export const resolvers: Resolvers = {
  Query: { ...Query, ...StatsQueries, ...KeyQueries },
  Mutation: { ...Mutation, ...InferenceMutations, ...KeyMutations },
  Subscription,
  Model,
  ChatCompletion,
  ChatStreamEvent,
  GatewayStats,
  StatsBucket,
  KindUsage,
  EmbedResult,
  RerankResult,
  Embedding,
};
