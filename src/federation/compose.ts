/**
 * Supergraph composition (Apollo Federation 2, `@apollo/composition`): this gateway's subgraph plus any others.
 * Used by `npm run compose` (writes supergraph.graphql for a router) and by the test that fails CI when our
 * subgraph stops composing. Build-time tooling: @apollo/composition is a dev dependency, and nothing on the
 * serving path imports this module.
 */
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { loadTypeDefs } from '../graphql/schema.ts';

export interface SubgraphDefinition {
  /** Subgraph name in the supergraph (becomes a `join__Graph` value; letters, digits, `_`, `-`). */
  name: string;
  /** Where the router sends this subgraph's operations, e.g. http://gateway:8000/graphql. */
  url: string;
  sdl: string;
}

export interface CompositionOutcome {
  /** The supergraph SDL; absent when composition failed. */
  supergraphSdl?: string;
  errors: string[];
  hints: string[];
}

/** Our subgraph's name in every supergraph we compose. */
export const GATEWAY_SUBGRAPH_NAME = 'together';

/** This gateway as a subgraph, from `schema/*.graphql` (the same SDL `_service { sdl }` serves). */
export function gatewaySubgraph(url: string, name = GATEWAY_SUBGRAPH_NAME): SubgraphDefinition {
  return { name, url, sdl: loadTypeDefs() };
}

export function composeSupergraph(subgraphs: SubgraphDefinition[]): CompositionOutcome {
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })));
  const hints = (result.hints ?? []).map((h) => h.toString());
  if (result.errors) return { errors: result.errors.map((e) => e.message), hints };
  return { supergraphSdl: result.supergraphSdl, errors: [], hints };
}
