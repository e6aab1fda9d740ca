import type { QueryResolvers } from '../../__generated__/resolvers-types.ts';
import { modelKey } from '../../catalog/loaders.ts';

export const Query: QueryResolvers = {
  models: (_parent, { gateway, type, search }, { services }) =>
    services.gateways.get(gateway).catalog.list({ type, search }) as Promise<never>,

  model: (_parent, { id, gateway }, { services, modelLoader }) => {
    const name = services.gateways.get(gateway).provider.name;
    return modelLoader.load(modelKey(name, id));
  },
};
