/**
 * The label values metrics may carry: fixed enumerations, so that no label ever holds what a
 * client sent or a record contains (a value, a member id, a message). Anything else is `other`.
 */

export const TRANSPORTS = ['http', 'graphql-ws', 'taxii'] as const;
export const OPERATION_TYPES = ['query', 'mutation', 'subscription', 'unknown'] as const;

/**
 * Every `extensions.code` the hub answers with, and `OK`: the hub's own (src/errors.ts), its
 * limits (src/http/limits.ts), Apollo's and graphql-ws's, and the TAXII statuses' names.
 */
export const CODES = [
  'OK',
  // the hub's error codes
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'IDEMPOTENCY_CONFLICT',
  'INVALID_TRANSITION',
  'APPROVAL_REQUIRED',
  'CURSOR_EXPIRED',
  // limits
  'QUERY_TOO_DEEP',
  'TOO_MANY_ALIASES',
  'TOO_MANY_DIRECTIVES',
  'TOO_MANY_TOKENS',
  'QUERY_TOO_COMPLEX',
  'TOO_MANY_VALIDATION_ERRORS',
  'RATE_LIMITED',
  'EXECUTION_TIMEOUT',
  'TOO_MANY_OPERATIONS',
  'PAYLOAD_TOO_LARGE',
  'RESPONSE_TOO_LARGE',
  'TOO_MANY_CONNECTIONS',
  // Apollo Server and graphql-js
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'INTERNAL_SERVER_ERROR',
  // TAXII answers without a GraphQL code
  'METHOD_NOT_ALLOWED',
  'NOT_ACCEPTABLE',
] as const;

/** Store repositories and operations are names from the code; still, only identifiers pass. */
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9]{0,47}$/;

const sets = new WeakMap<readonly string[], ReadonlySet<string>>();

/** `value` when it is one of `allowed`, else `other`. */
export function oneOf(allowed: readonly string[], value: unknown): string {
  let set = sets.get(allowed);
  if (!set) sets.set(allowed, (set = new Set(allowed)));
  return typeof value === 'string' && set.has(value) ? value : 'other';
}

/** A code-given name (a store repository or method) as a label value; `other` if it is not an identifier. */
export function identifierLabel(value: string): string {
  return IDENTIFIER.test(value) ? value : 'other';
}

/** The `code` of the first error among `errors` (formatted or GraphQLError), `OK` when there is none. */
export function codeOfErrors(errors: ReadonlyArray<{ extensions?: Record<string, unknown> | undefined }> | null | undefined): string {
  const first = errors?.[0];
  if (!first) return 'OK';
  const code = first.extensions?.code;
  return typeof code === 'string' ? code : 'other';
}

/** The code a TAXII answer's HTTP status stands for. */
export function codeOfStatus(status: number): string {
  if (status < 400) return 'OK';
  return (
    {
      400: 'BAD_USER_INPUT',
      401: 'UNAUTHENTICATED',
      403: 'FORBIDDEN',
      404: 'NOT_FOUND',
      405: 'METHOD_NOT_ALLOWED',
      406: 'NOT_ACCEPTABLE',
      413: 'PAYLOAD_TOO_LARGE',
      429: 'RATE_LIMITED',
      503: 'EXECUTION_TIMEOUT',
    } as Record<number, string>
  )[status] ?? 'INTERNAL_SERVER_ERROR';
}
