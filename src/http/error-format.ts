import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { LIMIT_CODES, limitCodeOf } from './limits.js';

/** Codes whose messages were written for the caller and are safe to show as they are. */
const PUBLIC_CODES = new Set([
  'UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'NOT_FOUND', 'IDEMPOTENCY_CONFLICT', 'INVALID_TRANSITION',
  'APPROVAL_REQUIRED', 'CURSOR_EXPIRED', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE', ...Object.values(LIMIT_CODES),
]);

/** Removes "Did you mean ...?" hints, which can reveal names the caller did not know. */
export function stripSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [^?]*\?/g, '');
}

/** Shortens input a message echoes back (a quoted name or value) to 64 characters, and the message to 1,000. */
export function clipEchoes(message: string): string {
  const clipped = message.replace(/"([^"]{65,})"/g, (_all, inner: string) => `"${inner.slice(0, 64)}…"`);
  return clipped.length > 1_000 ? `${clipped.slice(0, 1_000)}…` : clipped;
}

/**
 * What a caller sees of an error. GraphQLErrors the hub raised (or graphql-js validation) keep
 * their message and code; anything else becomes "Unexpected error" and is reported to `onMasked`.
 * A limit's own code (limits.ts) wins over Apollo's GRAPHQL_PARSE_FAILED/GRAPHQL_VALIDATION_FAILED
 * label, and echoed input is clipped.
 */
export function formatHubError(formatted: GraphQLFormattedError, error: unknown, onMasked?: (err: unknown) => void): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const code = limitCodeOf(error) ?? formatted.extensions?.code;
  if (!(original instanceof GraphQLError) || typeof code !== 'string' || !PUBLIC_CODES.has(code)) {
    onMasked?.(original);
    return { message: 'Unexpected error', extensions: { code: 'INTERNAL_SERVER_ERROR' }, ...(formatted.path ? { path: formatted.path } : {}) };
  }
  const { http: _http, stacktrace: _stack, ...extensions } = formatted.extensions as Record<string, unknown>;
  return { ...formatted, message: clipEchoes(stripSuggestions(formatted.message)), extensions: { ...extensions, code } };
}
