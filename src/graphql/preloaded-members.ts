import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { HubContext } from '../context.js';
import type { Member } from '../domain/types.js';

/** Per request (keyed by its context): members already read, by id; null for an unknown id. */
const preloaded = new WeakMap<object, Map<string, Member | null>>();

/**
 * Reads the members `ids` through the request's member loader (one batched call, as the
 * per-node resolvers would have made) and keeps them where a resolver can read them without
 * awaiting. Why: a field resolver that returns a promise for every node of a page (`sourceSector`)
 * sends every node through graphql-js's asynchronous path, which cost more than the rest of the
 * page; with the page's members read once up front, those fields resolve synchronously.
 * Nothing is shared between requests: the data is exactly what the loader would have returned.
 */
export async function preloadMembers(context: HubContext, ids: Iterable<string>): Promise<void> {
  let known = preloaded.get(context);
  if (!known) preloaded.set(context, (known = new Map()));
  const missing = [...new Set(ids)].filter((id) => !known.has(id));
  if (missing.length === 0) return;
  const members = await context.loaders.member.loadMany(missing);
  missing.forEach((id, i) => {
    const member = members[i];
    // A failed read is left to the resolver's own (asynchronous) load, which reports it.
    if (!(member instanceof Error)) known.set(id, member ?? null);
  });
}

/** The member if this request preloaded it (null: it does not exist); undefined when not preloaded. */
export function preloadedMember(context: HubContext, id: string): Member | null | undefined {
  return preloaded.get(context)?.get(id);
}

/**
 * Whether the selection of a connection field (`info` of e.g. `Query.indicators`) asks for any of
 * `names` on `edges.node`, through fragments too: preloading for a page that does not show its
 * source would be a wasted store read.
 */
export function selectsOnNodes(info: GraphQLResolveInfo, names: readonly string[]): boolean {
  const wanted = new Set(names);
  const visit = (set: SelectionSetNode | undefined, path: readonly string[], seen: Set<string>): boolean => {
    if (!set) return false;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (path.length === 0 ? wanted.has(name) : name === path[0] && visit(selection.selectionSet, path.slice(1), seen)) return true;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (visit(selection.selectionSet, path, seen)) return true;
      } else {
        const name = selection.name.value;
        if (seen.has(name)) continue;
        seen.add(name);
        if (visit(info.fragments[name]?.selectionSet, path, seen)) return true;
      }
    }
    return false;
  };
  return info.fieldNodes.some((node) => visit(node.selectionSet, ['edges', 'node'], new Set()));
}
