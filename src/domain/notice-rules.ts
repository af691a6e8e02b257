/**
 * Rules for AI model-risk notices: the status lifecycle and the shape of the
 * external taxonomy references (MITRE ATLAS techniques, OWASP Top 10 for LLM Apps 2025).
 */
import type { NoticeStatus } from './types.js';

/** Allowed status transitions. Same-status "transitions" are never allowed. */
export const NOTICE_TRANSITIONS: Readonly<Record<NoticeStatus, readonly NoticeStatus[]>> = Object.freeze({
  // A draft may go to peer review, be published directly by an approver, or be abandoned.
  DRAFT: Object.freeze(['UNDER_REVIEW', 'PUBLISHED', 'RETRACTED'] as const),
  // Review may send it back for rework, approve publication, or kill it.
  UNDER_REVIEW: Object.freeze(['DRAFT', 'PUBLISHED', 'RETRACTED'] as const),
  // A live notice is either mitigated by the developer or withdrawn as wrong; it never goes back to draft.
  PUBLISHED: Object.freeze(['MITIGATED', 'RETRACTED'] as const),
  // A mitigation can regress (re-publish to re-alert) or the notice can still be withdrawn.
  MITIGATED: Object.freeze(['PUBLISHED', 'RETRACTED'] as const),
  // Retraction is terminal: a retracted notice is kept for audit but never revived.
  RETRACTED: Object.freeze([] as const),
});

export function canTransition(from: NoticeStatus, to: NoticeStatus): boolean {
  if (from === to) return false;
  const allowed = NOTICE_TRANSITIONS[from] as readonly NoticeStatus[] | undefined;
  return allowed !== undefined && allowed.includes(to);
}

const ATLAS_TECHNIQUE = /^AML\.T\d{4}(?:\.\d{3})?$/;

/** MITRE ATLAS technique id: `AML.T` + 4 digits, optional `.` + 3 digits (e.g. AML.T0051, AML.T0051.001). */
export function isAtlasTechnique(s: string): boolean {
  return ATLAS_TECHNIQUE.test(s);
}

const OWASP_LLM_2025 = /^LLM(?:0[1-9]|10):2025$/;

/** OWASP Top 10 for LLM Applications 2025: `LLM01:2025` .. `LLM10:2025` exactly. */
export function isOwaspLlm2025(s: string): boolean {
  return OWASP_LLM_2025.test(s);
}
