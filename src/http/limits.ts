/**
 * The hub's limits on what one GraphQL document may ask for, defined once and applied identically
 * by Apollo (HTTP) and the edge pipeline (graphql-ws): the same parse options, the same validation rules, the same
 * error cap and the same error codes. docs/limits.md is the table a caller reads.
 */
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  visit,
  type DocumentNode,
  type GraphQLSchema,
  type ParseOptions,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import { directiveLimitRule } from './directive-limits.js';

/** The fixed document limits (the numbers; not configurable). */
export const DOCUMENT_LIMITS = {
  /** Nested fields, leaves included: `{ viewer { tier } }` is 2 deep. Fragments add no depth. */
  depth: 10,
  /** Aliased fields in the operation, fragments included; every alias counts, `__typename` too. */
  aliases: 15,
  /** Directive uses in the operation (`@include`, `@skip`, ...), fragments included. */
  directives: 20,
  /** Lexical tokens in the document (names, punctuation, values). */
  tokens: 2_000,
  /** Errors in one validation answer, the last one saying the rest were left out. */
  validationErrors: 25,
} as const;

/**
 * The code every limit answers with, in `extensions.code`. The protocol refusals that Apollo
 * already names (batching, CSRF, GET mutations: BAD_REQUEST; the body: PAYLOAD_TOO_LARGE) keep theirs.
 */
export const LIMIT_CODES = {
  depth: 'QUERY_TOO_DEEP',
  aliases: 'TOO_MANY_ALIASES',
  directives: 'TOO_MANY_DIRECTIVES',
  tokens: 'TOO_MANY_TOKENS',
  cost: 'QUERY_TOO_COMPLEX',
  validationErrors: 'TOO_MANY_VALIDATION_ERRORS',
  rate: 'RATE_LIMITED',
  time: 'EXECUTION_TIMEOUT',
  socketOperations: 'TOO_MANY_OPERATIONS',
  body: 'PAYLOAD_TOO_LARGE',
} as const;

export type LimitCode = (typeof LIMIT_CODES)[keyof typeof LIMIT_CODES];

const ALL_LIMIT_CODES: ReadonlySet<string> = new Set(Object.values(LIMIT_CODES));

/** A refusal the caller can act on, with the code naming the limit. */
export function limitError(code: LimitCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

/** Rejections from a graphql-armor rule, reported with the limit's own code (armor sets none). */
function report(code: LimitCode) {
  return (context: ValidationContext | null, error: GraphQLError) =>
    context?.reportError(limitError(code, error.message.replace(/^Syntax Error: /, '')));
}

/** The validation rules both transports add to graphql's specified rules. */
export const limitRules: readonly ValidationRule[] = [
  maxDepthRule({ n: DOCUMENT_LIMITS.depth, flattenFragments: true, propagateOnRejection: false, onReject: [report(LIMIT_CODES.depth)] }),
  maxAliasesRule({ n: DOCUMENT_LIMITS.aliases, allowList: [], propagateOnRejection: false, onReject: [report(LIMIT_CODES.aliases)] }),
  directiveLimitRule({ max: DOCUMENT_LIMITS.directives, error: (message) => limitError(LIMIT_CODES.directives, message) }),
];

/** For `parse`: stop lexing after the token limit. */
export const parseOptions: ParseOptions = { maxTokens: DOCUMENT_LIMITS.tokens };

/** For `validate`: graphql-js adds one "Too many validation errors" error after `maxErrors`. */
export const validationOptions = { maxErrors: DOCUMENT_LIMITS.validationErrors - 1, hideSuggestions: true };

/** graphql-js's own wording for the two limits it enforces itself (16.x says "more that" for tokens). */
const TOKEN_LIMIT = /^Syntax Error: Document contains more th(?:an|at) \d+ tokens/;
const ERROR_LIMIT = /^Too many validation errors/;

/**
 * The limit an error stands for, if any: its own code, its original error's (Apollo relabels
 * every validation error GRAPHQL_VALIDATION_FAILED), or graphql-js's wording for tokens and the
 * error cap.
 */
export function limitCodeOf(error: unknown): LimitCode | undefined {
  for (let e: unknown = error, hops = 0; e instanceof GraphQLError && hops < 3; e = e.originalError, hops++) {
    const code = e.extensions.code;
    if (typeof code === 'string' && ALL_LIMIT_CODES.has(code)) return code as LimitCode;
    if (TOKEN_LIMIT.test(e.message)) return LIMIT_CODES.tokens;
    if (ERROR_LIMIT.test(e.message)) return LIMIT_CODES.validationErrors;
  }
  return undefined;
}

/** The answer to a document that breaks a limit or does not parse or validate: errors with codes. */
export type CheckedDocument = { document: DocumentNode; errors?: undefined } | { document?: undefined; errors: GraphQLError[] };

function coded(error: GraphQLError, fallback: string): GraphQLError {
  const code = limitCodeOf(error) ?? fallback;
  return error.extensions.code === code ? error : new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, code } });
}

/** Validated documents by source text, per schema: identical operations share one parsed document. */
const validated = new WeakMap<GraphQLSchema, LRUCache<string, DocumentNode>>();
/**
 * The document cache's bound: at most 1,000 documents and 16 MB of source text (a document's
 * string literals may make its text far longer than its 2,000 tokens), least recently used first out.
 */
const DOCUMENT_CACHE = { max: 1_000, maxSize: 16 * 1024 * 1024 } as const;

/**
 * Parses and validates `source` exactly as Apollo does with the hub's options (the edge pipeline
 * uses this); errors carry the codes Apollo would give them. Valid documents are cached (lru-cache).
 */
export function checkDocument(schema: GraphQLSchema, source: string): CheckedDocument {
  let cache = validated.get(schema);
  if (!cache) validated.set(schema, (cache = new LRUCache({ ...DOCUMENT_CACHE, sizeCalculation: (_doc, key) => Math.max(1, key.length) })));
  const cached = cache.get(source);
  if (cached) return { document: cached };
  const checked = checkDocumentUncached(schema, source);
  if (checked.document) cache.set(source, checked.document);
  return checked;
}

function checkDocumentUncached(schema: GraphQLSchema, source: string): CheckedDocument {
  let document: DocumentNode;
  try {
    document = parse(source, parseOptions);
  } catch (err) {
    if (!(err instanceof GraphQLError)) throw err;
    return { errors: [coded(err, 'GRAPHQL_PARSE_FAILED')] };
  }
  const errors = validate(schema, document, [...specifiedRules, ...limitRules], validationOptions);
  if (errors.length > 0) return { errors: errors.map((e) => coded(e, 'GRAPHQL_VALIDATION_FAILED')) };
  return { document };
}

const introspective = new WeakMap<DocumentNode, boolean>();

/** Whether the document asks for `__schema` or `__type` anywhere (`__typename` is not introspection). */
export function usesIntrospection(document: DocumentNode): boolean {
  let found = introspective.get(document);
  if (found === undefined) {
    found = false;
    visit(document, {
      Field(node) {
        if (node.name.value === '__schema' || node.name.value === '__type') {
          found = true;
          return false;
        }
        return undefined;
      },
    });
    introspective.set(document, found);
  }
  return found;
}
