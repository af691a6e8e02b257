/**
 * Directive overloading (graphql-cop's HIGH "Directive Overloading"): a field carrying the same
 * directive many times, or a document carrying many directives, costs the server work per copy
 * and used to draw one error per copy. This rule refuses either with ONE error.
 */
import { GraphQLError, Kind, type ASTNode, type DirectiveNode, type DocumentNode, type ValidationContext, type ValidationRule } from 'graphql';
import { clip } from '../util/clip.js';

export interface DirectiveLimitOptions {
  /** The most directive uses an operation may carry, counting a fragment's as often as it is spread. */
  max: number;
  /** The one error to answer with (the hub's carries `TOO_MANY_DIRECTIVES`). */
  error: (message: string) => GraphQLError;
}

type Directed = ASTNode & { directives?: readonly DirectiveNode[] };

/** The first directive name used twice on one node (field, fragment, operation, variable), if any. */
function repeatedDirective(document: DocumentNode): string | undefined {
  let repeated: string | undefined;
  const check = (node: Directed) => {
    if (repeated !== undefined || !node.directives || node.directives.length < 2) return;
    const seen = new Set<string>();
    for (const d of node.directives) {
      if (seen.has(d.name.value)) {
        repeated = d.name.value;
        return;
      }
      seen.add(d.name.value);
    }
  };
  const walk = (node: unknown): void => {
    if (repeated !== undefined || typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) {
      for (const child of node) walk(child);
      return;
    }
    const n = node as Directed & Record<string, unknown>;
    if (typeof n.kind !== 'string') return;
    check(n);
    for (const key of ['definitions', 'selectionSet', 'selections', 'variableDefinitions'] as const) walk(n[key]);
  };
  walk(document);
  return repeated;
}

/** Directive uses per operation, each fragment's counted once per spread (cycles count once). */
function mostDirectivesInAnOperation(document: DocumentNode): number {
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const memo = new Map<string, number>();
  const count = (node: unknown, active: Set<string>): number => {
    if (typeof node !== 'object' || node === null) return 0;
    if (Array.isArray(node)) return node.reduce((sum: number, child) => sum + count(child, active), 0);
    const n = node as Directed & Record<string, unknown>;
    let total = n.directives?.length ?? 0;
    if (n.kind === Kind.FRAGMENT_SPREAD) {
      const name = (n as unknown as { name: { value: string } }).name.value;
      const fragment = fragments.get(name);
      if (!fragment || active.has(name)) return total;
      if (!memo.has(name)) {
        active.add(name);
        memo.set(name, count(fragment, active));
        active.delete(name);
      }
      return total + memo.get(name)!;
    }
    for (const key of ['selectionSet', 'selections', 'variableDefinitions'] as const) total += count(n[key], active);
    return total;
  };
  let most = 0;
  for (const d of document.definitions) if (d.kind === Kind.OPERATION_DEFINITION) most = Math.max(most, count(d, new Set()));
  // A document of fragments alone still carries its directives (graphql-js refuses it anyway).
  for (const f of fragments.values()) most = Math.max(most, count(f, new Set()));
  return most;
}

/** What the rule hands graphql-js in place of an overloaded document: nothing left to visit. */
const NOTHING: DocumentNode = { kind: Kind.DOCUMENT, definitions: [] };

/**
 * Refuses a document that repeats a directive on one node or carries more than `max` directive
 * uses in an operation, with one error whatever else is wrong with it.
 *
 * graphql-js runs every rule over every node, so `KnownDirectivesRule` would still report each of
 * ten unknown `@aa`. graphql-js's documented way for one visitor to hide a node from the others
 * (`visitInParallel`: "if a prior visitor edits a node, no following visitors will see that
 * node") is used at the root: the rule reports its error and replaces the document by an empty
 * one, so no rule visits anything further. Only rules that act on entering the document itself
 * (graphql-js's `ExecutableDefinitionsRule`, which refuses type definitions) may add theirs.
 * The walk is linear in the document, which the token limit already bounds. The schema declares
 * no `repeatable` directive a query may use; one added later would need exempting here.
 */
export function directiveLimitRule(options: DirectiveLimitOptions): ValidationRule {
  return (context: ValidationContext) => ({
    Document: {
      enter(document) {
        const repeated = repeatedDirective(document);
        const found = repeated === undefined ? mostDirectivesInAnOperation(document) : 0;
        if (repeated !== undefined) {
          context.reportError(options.error(`The directive "@${clip(repeated)}" is used more than once in one place (once per field, fragment or operation)`));
        } else if (found > options.max) {
          context.reportError(options.error(`Directives limit of ${options.max} exceeded, found ${found}.`));
        } else {
          return undefined;
        }
        return NOTHING;
      },
    },
  });
}
