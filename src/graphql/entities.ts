/**
 * Federation's `_entities(representations:)` takes `[_Any!]!`: any JSON at all. @apollo/subgraph answers a
 * representation it cannot use (an unknown `__typename`, a type that is not an entity, no `__typename`) with a
 * plain Error, which our error policy must treat as a bug (INTERNAL_SERVER_ERROR, an error log line). These are
 * the caller's mistakes (issue 16 item 10): checked here first, each is BAD_USER_INPUT naming the representation.
 */
import { type GraphQLFieldResolver, type GraphQLObjectType, type GraphQLSchema, Kind, isObjectType, isUnionType } from 'graphql';
import { badInput } from '../core/errors.ts';

/** For each entity type: its @key field sets (simple field lists; nested selections are not used by this subgraph). */
function entityKeys(schema: GraphQLSchema): Map<string, string[][]> {
  const keys = new Map<string, string[][]>();
  const union = schema.getType('_Entity');
  if (!isUnionType(union)) return keys;
  for (const type of union.getTypes()) {
    const sets: string[][] = [];
    for (const node of [type.astNode, ...type.extensionASTNodes]) {
      for (const directive of node?.directives ?? []) {
        if (directive.name.value !== 'key') continue;
        const fields = directive.arguments?.find((a) => a.name.value === 'fields')?.value;
        if (fields?.kind === Kind.STRING) sets.push(fields.value.split(/[\s,]+/).filter(Boolean));
      }
    }
    keys.set(type.name, sets);
  }
  return keys;
}

/** Wraps `Query._entities` with the check; the schema is otherwise unchanged. */
export function guardEntityRepresentations(schema: GraphQLSchema): GraphQLSchema {
  const field = (schema.getQueryType() as GraphQLObjectType | null | undefined)?.getFields()._entities;
  if (!field?.resolve) return schema;
  const keys = entityKeys(schema);
  const known = [...keys.keys()].join(', ');
  const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve;
  field.resolve = (source, args: { representations?: unknown }, context, info) => {
    const representations = Array.isArray(args.representations) ? args.representations : [];
    representations.forEach((representation, i) => {
      const where = `representations[${i}]`;
      if (representation === null || typeof representation !== 'object' || Array.isArray(representation)) {
        throw badInput(`${where} must be an object with __typename and the entity's key fields`, 'representations');
      }
      const { __typename: typename } = representation as Record<string, unknown>;
      if (typeof typename !== 'string') throw badInput(`${where} has no __typename (entities here: ${known})`, 'representations');
      const sets = keys.get(typename);
      if (!sets) {
        const what = isObjectType(schema.getType(typename)) ? 'is not an entity of this subgraph' : 'is not a type of this subgraph';
        throw badInput(`${where}: __typename "${typename}" ${what} (entities here: ${known})`, 'representations');
      }
      const complete = sets.some((set) => set.every((f) => (representation as Record<string, unknown>)[f] != null));
      if (sets.length && !complete) {
        throw badInput(`${where}: a ${typename} representation needs its key fields (${sets.map((s) => s.join(' ')).join(' or ')})`, 'representations');
      }
    });
    return resolve(source, args, context, info);
  };
  return schema;
}
