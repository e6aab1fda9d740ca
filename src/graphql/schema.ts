import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { type GraphQLSchema, parse } from 'graphql';
import { fromRoot } from '../core/paths.ts';
import { guardEntityRepresentations } from './entities.ts';
import { resolvers } from './resolvers/index.ts';

/** schema/ at the package root (not copied into dist/). */
const SCHEMA_DIR = fromRoot('schema');

/** The SDL of this subgraph: every `schema/*.graphql`, in name order. */
export function loadTypeDefs(): string {
  return readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(join(SCHEMA_DIR, f), 'utf8'))
    .join('\n');
}

/** A federation subgraph schema (`_service`, `_entities`), so the gateway composes into a supergraph. */
export function buildSchema(): GraphQLSchema {
  return guardEntityRepresentations(buildSubgraphSchema({ typeDefs: parse(loadTypeDefs()), resolvers: resolvers as GraphQLResolverMap<unknown> }));
}
