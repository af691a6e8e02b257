import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { INTERNAL, isPublicCode, UNEXPECTED_MESSAGE } from '../edge/error-catalogue.js';
import { clip } from '../util/clip.js';
import { limitCodeOf } from './limits.js';

/** Longest message a caller is shown. */
const MAX_MESSAGE = 1_000;
/** Longest quoted name or value a message echoes back. */
const MAX_QUOTED = 64;
const HINT = 'Did you mean ';

/**
 * Removes "Did you mean ...?" hints, which can reveal names the caller did not know. No regex:
 * the message quotes caller text, and a pattern such as `\s*Did you mean` backtracks
 * quadratically over a long run of spaces (100 KB of them blocked the event loop for 7.6 s).
 */
export function stripSuggestions(message: string): string {
  let out = '';
  let from = 0;
  for (let at = message.indexOf(HINT); at >= 0; at = message.indexOf(HINT, from)) {
    out += message.slice(from, at).trimEnd();
    const end = message.indexOf('?', at + HINT.length);
    from = end < 0 ? message.length : end + 1;
  }
  return from === 0 ? message : out + message.slice(from);
}

/** Shortens each quoted name or value longer than 64 characters, in one pass without a regex. */
function clipQuoted(message: string): string {
  let out = '';
  let from = 0;
  for (let open = message.indexOf('"'); open >= 0; ) {
    // A quote left open ran past the first cut: it ends with the message.
    const close = message.indexOf('"', open + 1);
    const end = close < 0 ? message.length : close;
    if (end - open - 1 > MAX_QUOTED) {
      out += `${message.slice(from, open + 1 + MAX_QUOTED)}…"`;
      from = Math.min(message.length, end + 1);
    }
    open = close < 0 ? -1 : message.indexOf('"', close + 1);
  }
  return from === 0 ? message : out + message.slice(from);
}

/**
 * A message as a caller (and the log) may see it: cut to 4,000 characters FIRST, so that nothing
 * after it ever reads more than that of caller text; then hints removed, echoed input shortened
 * to 64 characters, and the whole to 1,000.
 */
export function clipEchoes(message: string): string {
  return clip(clipQuoted(stripSuggestions(clip(message, 4 * MAX_MESSAGE))), MAX_MESSAGE);
}

/** Whether an error is the hub's own "Unexpected error", already logged where it was raised. */
function alreadyMasked(error: unknown): boolean {
  return error instanceof GraphQLError && error.extensions.code === INTERNAL && error.message === UNEXPECTED_MESSAGE;
}

/**
 * What a caller sees of an error. GraphQLErrors whose code the catalogue marks public keep their
 * message (clipped) and code; anything else becomes "Unexpected error" and is reported to
 * `onMasked` (once: an error the edge already masked and logged is not reported again). A
 * limit's own code (limits.ts) wins over Apollo's GRAPHQL_PARSE_FAILED/GRAPHQL_VALIDATION_FAILED label.
 */
export function formatHubError(formatted: GraphQLFormattedError, error: unknown, onMasked?: (err: unknown) => void): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const code = limitCodeOf(error) ?? formatted.extensions?.code;
  if (!(original instanceof GraphQLError) || !isPublicCode(code)) {
    if (!alreadyMasked(original)) onMasked?.(original);
    return { message: UNEXPECTED_MESSAGE, extensions: { code: INTERNAL }, ...(formatted.path ? { path: formatted.path } : {}) };
  }
  const { http: _http, stacktrace: _stack, ...extensions } = formatted.extensions as Record<string, unknown>;
  return { ...formatted, message: clipEchoes(formatted.message), extensions: { ...extensions, code } };
}
