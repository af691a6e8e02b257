/**
 * The label values metrics may carry: fixed enumerations, so that no label ever holds what a
 * client sent or a record contains (a value, a member id, a message). Anything else is `other`.
 */
import { ERROR_CATALOGUE } from '../edge/error-catalogue.js';

export const TRANSPORTS = ['http', 'graphql-ws', 'taxii', 'misp'] as const;
export const OPERATION_TYPES = ['query', 'mutation', 'subscription', 'unknown'] as const;
/** `OK`, and every code of the error catalogue (the hub's, Apollo's protocol codes, the limits'). */
export const CODES: readonly string[] = ['OK', ...Object.keys(ERROR_CATALOGUE)];

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
