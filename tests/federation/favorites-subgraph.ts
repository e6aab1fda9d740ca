/**
 * A second, tiny subgraph for the supergraph tests: `favorites` extends our `Model` entity (by `@key(fields: "id")`)
 * with who favorited it, and lists favorite models as bare references the router resolves through our subgraph.
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

export const FAVORITES_SDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

type Model @key(fields: "id") {
  id: ID!
  "Users who favorited this model (empty when nobody did)."
  favoritedBy: [String!]!
}

type Query {
  "Favorited models, most favorited first: references the gateway subgraph resolves."
  favoriteModels(limit: Int): [Model!]!
}
`;

export interface FavoritesSubgraph {
  url: string;
  /** Operations this subgraph served, by root field (`_entities`, `favoriteModels`). */
  calls: Record<string, number>;
  close(): Promise<void>;
}

/** `favorites`: model id → users, in the order `favoriteModels` returns them. */
export async function startFavoritesSubgraph(favorites: ReadonlyMap<string, string[]>): Promise<FavoritesSubgraph> {
  const calls: Record<string, number> = {};
  const count = (field: string) => void (calls[field] = (calls[field] ?? 0) + 1);
  const schema = buildSubgraphSchema({
    typeDefs: parse(FAVORITES_SDL),
    resolvers: {
      Query: {
        favoriteModels: (_: unknown, args: { limit?: number | null }) => {
          count('favoriteModels');
          return [...favorites.keys()].slice(0, args.limit ?? undefined).map((id) => ({ id }));
        },
      },
      Model: {
        __resolveReference: (ref: { id: string }) => ref,
        favoritedBy: (model: { id: string }) => favorites.get(model.id) ?? [],
      },
    },
  });
  const server = new ApolloServer({
    schema,
    plugins: [{ requestDidStart: async ({ request }) => void (request.query?.includes('_entities') && count('_entities')) }],
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return { url, calls, close: () => server.stop() };
}
