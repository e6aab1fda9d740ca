import type { ModelResolvers } from '../../__generated__/resolvers-types.ts';
import { ANY_GATEWAY, modelKey } from '../../catalog/loaders.ts';

export const Model: ModelResolvers = {
  // Federation: other subgraphs reference models by id only; all references in one request share a batch.
  __resolveReference: (ref, { modelLoader }) => modelLoader.load(modelKey(ANY_GATEWAY, String(ref.id))),
  createdAt: (model) => (model.created ? new Date(model.created * 1000).toISOString() : null),
};
