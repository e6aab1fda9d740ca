/**
 * Which fields an operation asks of the field being resolved, so that a resolver computes costly parts (extra
 * queries) only for documents that select them. Follows named and inline fragments; ignores @skip/@include (a
 * part computed for nothing is harmless, a part missing is not).
 */
import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';

/** `selects(info, ['series', 'ttftP50Ms'])`: does the current field's selection reach `series { ttftP50Ms }`? */
export function selects(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, path: readonly string[]): boolean {
  const reaches = (set: SelectionSetNode | undefined, depth: number, seen: Set<string>): boolean => {
    if (!set) return false;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        if (sel.name.value === path[depth] && (depth === path.length - 1 || reaches(sel.selectionSet, depth + 1, seen))) return true;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        if (reaches(sel.selectionSet, depth, seen)) return true;
      } else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value); // validation forbids fragment cycles; this only spares repeated walks
        if (reaches(info.fragments[sel.name.value]?.selectionSet, depth, seen)) return true;
      }
    }
    return false;
  };
  return info.fieldNodes.some((node) => reaches(node.selectionSet, 0, new Set()));
}
