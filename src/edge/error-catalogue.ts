/**
 * Every code the hub puts in `extensions.code`, once: whether its message was written for the
 * caller (public), the HTTP status a request refused with it answers, the graphql-ws close code
 * when a socket must close for it, and whether it is the caller's doing (never logged at error
 * level) or the hub's. Codes, the public set, HTTP statuses and close codes all derive from here.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { CloseCode } from 'graphql-ws';
import type { ErrorCode } from '../errors.js';
import { LIMIT_CODES } from '../http/limits.js';
import { CONNECTION_LIMIT_CLOSE, CONNECTION_LIMIT_CODES } from './connection-limits.js';

/** One code's entry. */
export interface ErrorEntry {
  /** The HTTP status of a request refused with this code before it ran (an error inside a result keeps 200). */
  status: number;
  /** Whether the message was written for the caller and is shown as it is; otherwise it is masked. */
  public: boolean;
  /** The graphql-ws close code when a socket must close for it (at `connection_init`); default 4400. */
  close?: number;
}

/** The code of anything the hub did not expect: masked as "Unexpected error", logged once. */
export const INTERNAL = 'INTERNAL_SERVER_ERROR';
/** What a caller sees of an unexpected failure. */
export const UNEXPECTED_MESSAGE = 'Unexpected error';

const caller = (status: number, close?: number): ErrorEntry => ({ status, public: true, ...(close ? { close } : {}) });

/** The limit codes (limits.ts) answer 400 unless named here. */
const LIMIT_STATUS: Partial<Record<string, number>> = {
  [LIMIT_CODES.rate]: 429,
  [LIMIT_CODES.time]: 503,
  [LIMIT_CODES.body]: 413,
};

/** The hub's own codes (`ErrorCode` in src/errors.ts): a code added there without an entry here does not compile. */
const HUB_CODES: Record<ErrorCode, ErrorEntry> = {
  UNAUTHENTICATED: caller(401, CloseCode.Unauthorized),
  FORBIDDEN: caller(403, CloseCode.Forbidden),
  BAD_USER_INPUT: caller(400),
  NOT_FOUND: caller(404),
  IDEMPOTENCY_CONFLICT: caller(409),
  INVALID_TRANSITION: caller(409),
  APPROVAL_REQUIRED: caller(403),
  CURSOR_EXPIRED: caller(400),
  INVALID_CVSS: caller(400),
};

/** The catalogue: the hub's own codes, Apollo's protocol codes, the connection limits' and every document and rate limit's. */
export const ERROR_CATALOGUE: Readonly<Record<string, ErrorEntry>> = Object.freeze({
  ...HUB_CODES,
  GRAPHQL_PARSE_FAILED: caller(400),
  GRAPHQL_VALIDATION_FAILED: caller(400),
  BAD_REQUEST: caller(400),
  PERSISTED_QUERY_NOT_FOUND: caller(400),
  PERSISTED_QUERY_NOT_SUPPORTED: caller(400),
  OPERATION_RESOLUTION_FAILURE: caller(400),
  ...Object.fromEntries(
    Object.values(LIMIT_CODES).map((code) => [code, caller(LIMIT_STATUS[code] ?? 400, code === LIMIT_CODES.rate ? CloseCode.TooManyInitialisationRequests : undefined)]),
  ),
  // Connection limits (connection-limits.ts): refused before any request is read. After the
  // rate limit, so that a bare 429 (TAXII) or 4429 reads as RATE_LIMITED.
  [CONNECTION_LIMIT_CODES.perAddress]: caller(429),
  [CONNECTION_LIMIT_CODES.perMember]: caller(429, CONNECTION_LIMIT_CLOSE),
  [INTERNAL]: { status: 500, public: false, close: CloseCode.InternalServerError },
});

/** Codes whose messages are shown as they are. */
export const PUBLIC_CODES: ReadonlySet<string> = new Set(Object.entries(ERROR_CATALOGUE).filter(([, e]) => e.public).map(([code]) => code));

/** Whether `code` names a message written for the caller. */
export function isPublicCode(code: unknown): code is string {
  return typeof code === 'string' && PUBLIC_CODES.has(code);
}

/** The HTTP status of a request refused with `code` (500 for a code the catalogue does not know). */
export function httpStatusOf(code: string): number {
  return ERROR_CATALOGUE[code]?.status ?? 500;
}

/** The graphql-ws close code of a socket refused with `code` at `connection_init`. */
export function closeCodeOf(code: string): number {
  return ERROR_CATALOGUE[code]?.close ?? (isPublicCode(code) ? CloseCode.BadRequest : CloseCode.InternalServerError);
}

/** The code a close code stands for (what a graphql-ws client learns from a refused connection). */
export function codeOfClose(close: number): string | undefined {
  return Object.entries(ERROR_CATALOGUE).find(([, e]) => e.close === close)?.[0];
}

/** The code a TAXII (plain HTTP) status stands for: the first catalogue code answering it. */
export function codeOfStatus(status: number): string {
  if (status < 400) return 'OK';
  return Object.entries(ERROR_CATALOGUE).find(([, e]) => e.status === status)?.[0] ?? (status >= 500 ? INTERNAL : 'BAD_REQUEST');
}

/** The error of an unexpected failure once logged: what every transport shows of it. */
export function unexpectedError(): GraphQLError {
  return new GraphQLError(UNEXPECTED_MESSAGE, { extensions: { code: INTERNAL } });
}

/** The catalogue code of an error as a caller will see it ('OK' for none, INTERNAL_SERVER_ERROR when masked). */
export function codeOf(error: GraphQLError | GraphQLFormattedError | undefined): string {
  if (!error) return 'OK';
  const code = error.extensions?.code;
  return isPublicCode(code) ? code : INTERNAL;
}
