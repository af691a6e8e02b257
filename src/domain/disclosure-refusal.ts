/**
 * Why a step of a clearinghouse case was refused, as the pure rules (src/domain/disclosure-*.ts,
 * embargo-machine.ts) answer it: the service turns it into a GraphQL error with the same code and
 * field. The rules stay free of GraphQL so that unit tests read them as plain functions.
 */
export interface DisclosureRefusal {
  /** `INVALID_TRANSITION`: not from the case's current state; `BAD_USER_INPUT`: the input itself is wrong. */
  code: 'INVALID_TRANSITION' | 'BAD_USER_INPUT';
  message: string;
  field?: string;
}

/** A rule's answer: the new value, or why not. */
export type DisclosureOutcome<T> = { ok: true; value: T } | { ok: false; refusal: DisclosureRefusal };

export const allow = <T>(value: T): DisclosureOutcome<T> => ({ ok: true, value });

export const refuse = <T = never>(code: DisclosureRefusal['code'], message: string, field?: string): DisclosureOutcome<T> => ({
  ok: false,
  refusal: field === undefined ? { code, message } : { code, message, field },
});
