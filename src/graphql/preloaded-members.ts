import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { HubContext } from '../context.js';
import type { Member } from '../domain/types.js';

/** Per request (keyed by its context): members already read, by id; null for an unknown id. */
const preloaded = new WeakMap<object, Map<string, Member | null>>();

/**
 * Reads the members `ids` in one registry call (the one the per-node resolvers' batched loads
 * would have made) and keeps them where a resolver can read them without awaiting. Why: a field resolver that returns a promise for every node of a page (`sourceSector`)
 * sends every node through graphql-js's asynchronous path, which cost more than the rest of the
 * page; with the page's members read once up front, those fields resolve synchronously.
 * Nothing is shared between requests: the data is exactly what the request's loader would have
 * returned, and the loader is primed with it.
 */
export async function preloadMembers(context: HubContext, ids: Iterable<string>): Promise<void> {
  let known = preloaded.get(context);
  if (!known) preloaded.set(context, (known = new Map()));
  const missing = [...new Set(ids)].filter((id) => !known.has(id));
  if (missing.length === 0) return;
  // One registry read, then the request's loader is primed with it (later loads in this request
  // find them there); a failed read is left to the resolvers' own loads, which report it.
  let members: Member[];
  try {
    members = await context.services.members.getMany(missing);
  } catch {
    return;
  }
  const byId = new Map(members.map((m) => [m._id, m]));
  for (const id of missing) {
    const member = byId.get(id) ?? null;
    known.set(id, member);
    context.loaders.member.prime(id, member);
  }
}

/** The member if this request preloaded it (null: it does not exist); undefined when not preloaded. */
export function preloadedMember(context: HubContext, id: string): Member | null | undefined {
  return preloaded.get(context)?.get(id);
}

const selects = new WeakMap<FieldNode, Map<string, boolean>>();

/**
 * Whether the selection of a connection field (`info` of e.g. `Query.indicators`) asks for any of
 * `names` on `edges.node`, through fragments too: preloading for a page that does not show its
 * source would be a wasted store read.
 */
export function selectsOnNodes(info: GraphQLResolveInfo, names: readonly string[]): boolean {
  // A document is parsed once and cached (Apollo's document store): so are its field nodes, and
  // the answer for them. Only a field that appears once is remembered (one node, one answer).
  if (info.fieldNodes.length !== 1) return walkSelection(info, names);
  const node = info.fieldNodes[0]!;
  let byNames = selects.get(node);
  if (!byNames) selects.set(node, (byNames = new Map()));
  const key = names.join(',');
  let answer = byNames.get(key);
  if (answer === undefined) byNames.set(key, (answer = walkSelection(info, names)));
  return answer;
}

function walkSelection(info: GraphQLResolveInfo, names: readonly string[]): boolean {
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
