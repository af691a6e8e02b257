import { GraphQLError } from 'graphql';

/**
 * The error codes the hub puts in `extensions.code`. Expected per-item outcomes (a rejected
 * indicator in a batch) are not errors: they are part of the schema's result types.
 */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'IDEMPOTENCY_CONFLICT'
  | 'INVALID_TRANSITION'
  | 'APPROVAL_REQUIRED'
  | 'CURSOR_EXPIRED'
  /** A CVSS vector that is not a complete CVSS 3.1 or 4.0 base vector (src/domain/cvss.ts). */
  | 'INVALID_CVSS';

/** A GraphQLError carrying a code and, when one input field is at fault, its path as `field`. */
export function hubError(code: ErrorCode, message: string, field?: string): GraphQLError {
  return new GraphQLError(message, { extensions: field ? { code, field } : { code } });
}

export const unauthenticated = (message = 'Authentication required'): GraphQLError =>
  hubError('UNAUTHENTICATED', message);
export const forbidden = (message: string): GraphQLError => hubError('FORBIDDEN', message);
export const badInput = (message: string, field?: string): GraphQLError =>
  hubError('BAD_USER_INPUT', message, field);
