/**
 * The response budget: an operation whose answer could exceed it (in items or in characters) is
 * refused before it runs, with QUERY_TOO_COMPLEX. The size of the largest possible answer is
 * computed by graphql-query-complexity with two estimators that know every list's cap and every
 * text's cap (field-sizes.ts), from the operation and its variables: a variable page size counts
 * as its value, a lookup as its number of values.
 */
import { getNamedType, GraphQLError, isLeafType, Kind, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { createComplexityRule, type ComplexityEstimator, type ComplexityEstimatorArgs } from 'graphql-query-complexity';
import { MAX_PAGE_SIZE } from '../services/paginate.js';
import { DEFAULT_TEXT_CHARS, enumChars, LIST_SIZES, SCALAR_CHARS, TEXT_SIZES } from './field-sizes.js';
import { LIMIT_CODES, limitError } from './limits.js';

/** The most one answer may hold (fixed). */
export const RESPONSE_BUDGET = {
  /** Values and objects in `data`: every scalar, every list item, every object counts one. */
  items: 200_000,
  /** Characters of `data` as JSON (keys, values, punctuation), before JSON escaping. */
  chars: 64_000_000,
} as const;

/** A connection's page when `first` is omitted or null: the services' default. */
const DEFAULT_PAGE = 50;

const coordinate = ({ type, field }: ComplexityEstimatorArgs) => `${type.name}.${field.name}`;

function at(args: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), args);
}

/**
 * How many times a field repeats what it selects: its list cap, page size or argument's length.
 * A page or argument over its maximum counts as none: the service refuses that field with
 * BAD_USER_INPUT naming the argument, which says more than a refusal of the whole cost would.
 */
function multiplier(options: ComplexityEstimatorArgs): number {
  const size = LIST_SIZES[coordinate(options)];
  if (!size) return 1;
  if ('items' in size) return size.items;
  if ('page' in size) {
    const first = options.args.first;
    if (typeof first !== 'number') return DEFAULT_PAGE;
    return first > MAX_PAGE_SIZE ? 0 : Math.max(0, first);
  }
  const list = at(options.args, size.argument);
  if (!Array.isArray(list)) return size.max;
  return list.length > size.max ? 0 : list.length;
}

/** Items: a field is one item (a value, or an object holding its selections), times its multiplier. */
const itemsEstimator: ComplexityEstimator = (options) => multiplier(options) * (1 + options.childComplexity);

/** Characters of one value of a leaf field, quotes included. */
function leafChars(options: ComplexityEstimatorArgs): number {
  const named = getNamedType(options.field.type);
  const text = TEXT_SIZES[coordinate(options)];
  if (typeof text === 'number') return text + 2;
  if (text) {
    const list = at(options.args, text.perArgumentItem);
    return (Array.isArray(list) ? list.length : 1) * text.chars;
  }
  return SCALAR_CHARS[named.name] ?? enumChars(named) ?? DEFAULT_TEXT_CHARS + 2;
}

/** Characters: `"key":` once, then each value (a leaf's cap, or braces around the selections) and its comma. */
const charsEstimator: ComplexityEstimator = (options) => {
  const key = (options.node.alias ?? options.node.name).value.length + 4;
  const value = isLeafType(getNamedType(options.field.type)) ? leafChars(options) : 2 + options.childComplexity;
  return key + 2 + multiplier(options) * (value + 1);
};

/** Verdicts by operation name and variables' shape (shapeOf), per document: a repeated request is not measured again. */
const verdicts = new WeakMap<DocumentNode, LRUCache<string, { error: GraphQLError | null }>>();
/** Shapes longer than this (variables with many keys) are measured every time rather than kept. */
const CACHED_SHAPE_CHARS = 256;

/**
 * What of the variables the verdict can depend on, as a short key, or undefined past `room`
 * characters. The estimators read numbers (`first`), the length of a list at an argument path
 * (`values`, `input.indicators`) and booleans (`@include`, `@skip`); no path runs through a list,
 * and a string's or a list item's content never counts. So a list is its length and a string is
 * `s`: a batch of 1,000 indicators is `{input:{idempotencyKey:s,indicators:[1000]}}` whatever
 * it holds, and is sized without walking its items (they are coerced once, at execution).
 */
function shapeOf(value: unknown, room: number): string | undefined {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return 's';
  if (Array.isArray(value)) return `[${value.length}]`;
  if (typeof value !== 'object') return '?';
  let out = '{';
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const inner = (value as Record<string, unknown>)[key];
    if (inner === undefined) continue;
    // JSON-quoted keys: a key holding `:` or `,` cannot make two shapes alike.
    out += `${JSON.stringify(key)}:`;
    if (out.length > room) return undefined;
    const shape = shapeOf(inner, room - out.length);
    if (shape === undefined) return undefined;
    out += `${shape},`;
  }
  return out.length > room ? undefined : `${out}}`;
}

/**
 * The QUERY_TOO_COMPLEX error for an operation whose answer could exceed RESPONSE_BUDGET, or
 * undefined. Variables that fail coercion are not this check's to report: the operation is let
 * through (and its verdict not kept) and execution refuses it with BAD_USER_INPUT as usual.
 */
export function checkResponseBudget(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName?: string | null,
  variables?: Record<string, unknown> | null,
): GraphQLError | undefined {
  const hasVariables = document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && (d as OperationDefinitionNode).variableDefinitions?.length);
  const shape = hasVariables ? shapeOf(variables ?? {}, CACHED_SHAPE_CHARS) : '';
  const key = shape === undefined ? undefined : `${operationName ?? ''}\n${shape}`;
  let cache = verdicts.get(document);
  const known = key === undefined ? undefined : cache?.get(key);
  if (known) return known.error ?? undefined;
  const { error, coerced } = measure(schema, document, operationName ?? undefined, variables ?? {});
  if (key !== undefined && coerced) {
    if (!cache) verdicts.set(document, (cache = new LRUCache({ max: 32 })));
    cache.set(key, { error: error ?? null });
  }
  return error;
}

/** The verdict, and whether the variables coerced (a verdict on variables that did not is not kept). */
function measure(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown>,
): { error: GraphQLError | undefined; coerced: boolean } {
  const rule = (estimator: ComplexityEstimator, max: number, unit: string) =>
    createComplexityRule({
      maximumComplexity: max,
      estimators: [estimator],
      variables,
      operationName,
      createError: (limit, found) =>
        limitError(
          LIMIT_CODES.cost,
          `Query cost over the response budget: the answer could hold ${found.toLocaleString('en-US')} ${unit}, more than ${limit.toLocaleString('en-US')} ${unit}. Ask for fewer items (smaller pages, fewer lookups) or fewer fields.`,
          { budget: { [unit]: limit }, found },
        ),
    });
  try {
    const errors = validate(schema, document, [rule(itemsEstimator, RESPONSE_BUDGET.items, 'items'), rule(charsEstimator, RESPONSE_BUDGET.chars, 'characters')]);
    // The rules' only other errors are the variables' coercion errors (then nothing was measured).
    return { error: errors.find((e) => e.extensions.code === LIMIT_CODES.cost), coerced: errors.every((e) => e.extensions.code === LIMIT_CODES.cost) };
  } catch (err) {
    // graphql-query-complexity throws past 10,000 evaluated nodes (fragments spread many times).
    if (!(err instanceof GraphQLError)) throw err;
    return { error: limitError(LIMIT_CODES.cost, 'The operation has too many fields once its fragments are spread (more than 10,000)'), coerced: true };
  }
}
