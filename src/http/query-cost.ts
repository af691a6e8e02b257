import { costLimitRule, type CostLimitOptions } from '@escape.tech/graphql-armor-cost-limit';
import {
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type ArgumentNode,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

export interface QueryCostOptions {
  /** The most an operation may cost. */
  maxCost: number;
  /** What a `first`/`last` given by a variable counts as: the largest page the hub serves. */
  maxPageSize: number;
  /**
   * Fields whose list size is the length of a list argument (`Query.lookupIndicators` -> `values`),
   * with what a variable counts as.
   */
  listArguments: Record<string, { argument: string; max: number }>;
  /** Called with the rule's message (e.g. `Query Cost limit of 100000 exceeded, found 130000.`). */
  onReject: (context: ValidationContext, message: string) => void;
}

const intValue = (n: number) => ({ kind: Kind.INT, value: String(n) }) as const;

/**
 * Rewrites every list-returning field so that its size is a literal `first: N`, which is the
 * only thing graphql-armor's cost rule weighs lists by: a variable page size counts as the largest
 * page, an omitted one as the argument's default, and a list argument (`values: [...]`) as its
 * length. The copy is only ever measured, never executed.
 */
function withLiteralListSizes(schema: GraphQLSchema, document: DocumentNode, options: QueryCostOptions): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node: FieldNode): FieldNode | undefined {
        const parent = typeInfo.getParentType();
        const def = typeInfo.getFieldDef();
        if (!parent || !def) return undefined;
        let size: number | undefined;
        const listArgument = options.listArguments[`${parent.name}.${def.name}`];
        const given = (name: string) => node.arguments?.find((a) => a.name.value === name);
        if (listArgument) {
          const value = given(listArgument.argument)?.value;
          size = value?.kind === Kind.LIST ? value.values.length : listArgument.max;
        } else {
          for (const name of ['first', 'last']) {
            const argDef = def.args.find((a) => a.name === name);
            if (!argDef) continue;
            const value = given(name)?.value;
            if (value?.kind === Kind.INT) size = Math.max(size ?? 0, Number(value.value));
            else if (value) size = Math.max(size ?? 0, options.maxPageSize);
            else if (typeof argDef.defaultValue === 'number') size = Math.max(size ?? 0, argDef.defaultValue);
          }
        }
        if (size === undefined) return undefined;
        const others = (node.arguments ?? []).filter((a) => a.name.value !== 'first' && a.name.value !== 'last');
        const first: ArgumentNode = { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'first' }, value: intValue(size) };
        return { ...node, arguments: [first, ...others] };
      },
    }),
  );
}

/**
 * graphql-armor's cost limit, with lists weighed by how many items they can really return (see
 * `withLiteralListSizes`). armor's formula: a scalar costs 1, an object 2 plus 1.5 x its
 * selections, and a list field multiplies its whole subtree by its size.
 */
export function queryCostRule(options: QueryCostOptions): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const document = context.getDocument();
    const weighted = withLiteralListSizes(context.getSchema(), document, options);
    const fragments = new Map<string, FragmentDefinitionNode>();
    const operations = new Map<OperationDefinitionNode, OperationDefinitionNode>();
    document.definitions.forEach((definition, i) => {
      const copy = weighted.definitions[i];
      if (definition.kind === Kind.OPERATION_DEFINITION && copy?.kind === Kind.OPERATION_DEFINITION) operations.set(definition, copy);
      if (copy?.kind === Kind.FRAGMENT_DEFINITION) fragments.set(copy.name.value, copy);
    });
    const armorOptions: CostLimitOptions = {
      maxCost: options.maxCost,
      flattenFragments: true,
      propagateOnRejection: false,
      onReject: [(_ctx, error) => options.onReject(context, error.message)],
    };
    // armor reads only fragments from its context: hand it the weighted ones.
    const view = { getFragment: (name: string) => fragments.get(name) } as unknown as ValidationContext;
    const armor = costLimitRule(armorOptions)(view);
    return {
      OperationDefinition: (node) => {
        armor.OperationDefinition.enter(operations.get(node) ?? node);
      },
    };
  };
}
