/**
 * The one error catalogue: every code the hub can answer with has an entry, and the public set,
 * HTTP statuses and close codes all come from it.
 */
import { describe, expect, it } from 'vitest';
import { closeCodeOf, codeOf, codeOfClose, ERROR_CATALOGUE, httpStatusOf, INTERNAL, isPublicCode, PUBLIC_CODES, unexpectedError } from '../src/edge/error-catalogue.js';
import { hubError, type ErrorCode } from '../src/errors.js';
import { LIMIT_CODES } from '../src/http/limits.js';

describe('the error catalogue', () => {
  it('holds every limit code and every code of the hub, all public, and masks anything else', () => {
    const hubCodes: ErrorCode[] = ['UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'NOT_FOUND', 'IDEMPOTENCY_CONFLICT', 'INVALID_TRANSITION', 'APPROVAL_REQUIRED', 'CURSOR_EXPIRED'];
    for (const code of [...Object.values(LIMIT_CODES), ...hubCodes]) expect(isPublicCode(code), code).toBe(true);
    expect(isPublicCode(INTERNAL)).toBe(false);
    expect(PUBLIC_CODES.size).toBe(Object.keys(ERROR_CATALOGUE).length - 1);
    expect(codeOf(hubError('NOT_FOUND', 'no such thing'))).toBe('NOT_FOUND');
    expect(codeOf({ message: 'x', extensions: { code: 'SOMETHING_ELSE' } })).toBe(INTERNAL);
    expect(codeOf(undefined)).toBe('OK');
    expect(codeOf(unexpectedError())).toBe(INTERNAL);
  });

  it('gives each refusal its HTTP status and, where a socket must close, its close code', () => {
    expect(Object.fromEntries(['UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'QUERY_TOO_DEEP', 'RATE_LIMITED', 'EXECUTION_TIMEOUT', 'PAYLOAD_TOO_LARGE', INTERNAL].map((c) => [c, httpStatusOf(c)]))).toEqual({
      UNAUTHENTICATED: 401,
      FORBIDDEN: 403,
      BAD_USER_INPUT: 400,
      QUERY_TOO_DEEP: 400,
      RATE_LIMITED: 429,
      EXECUTION_TIMEOUT: 503,
      PAYLOAD_TOO_LARGE: 413,
      [INTERNAL]: 500,
    });
    expect([closeCodeOf('UNAUTHENTICATED'), closeCodeOf('FORBIDDEN'), closeCodeOf(INTERNAL), closeCodeOf('BAD_USER_INPUT')]).toEqual([4401, 4403, 4500, 4400]);
    expect([codeOfClose(4401), codeOfClose(4500)]).toEqual(['UNAUTHENTICATED', INTERNAL]);
  });
});
