/**
 * The status rules of a clearinghouse case (Vultron's report states made concrete; docs/clearinghouse.md):
 *
 *   RECEIVED -> VALIDATED | INVALID            (a coordinator's verdict)
 *   VALIDATED -> FIX_AVAILABLE                 (every affected member vendor FIXED or NOT_AFFECTED)
 *   VALIDATED | FIX_AVAILABLE -> PUBLISHED     (a coordinator, or the schedule at the deadline)
 *   RECEIVED | VALIDATED | FIX_AVAILABLE -> CLOSED (a duplicate of another case)
 *
 * A stage never narrows: a FIX_AVAILABLE case whose vendor later reports AFFECTED again stays
 * FIX_AVAILABLE (TRUSTED members already read it). Pure functions; the service writes their answers.
 */
import { allow, refuse, type DisclosureOutcome } from './disclosure-refusal.js';
import { embargoHolds } from './embargo-machine.js';
import type { ValidationVerdict, VendorStatusEntry, VulnerabilityDoc, VulnerabilityStatus } from './vulnerability.js';

/** Cases still being worked: validated, not yet published, closed or invalid. */
export const OPEN_STATUSES: readonly VulnerabilityStatus[] = ['VALIDATED', 'FIX_AVAILABLE'];

/** The status a verdict gives: only a RECEIVED case is validated, once. */
export function statusAfterValidation(status: VulnerabilityStatus, verdict: ValidationVerdict): DisclosureOutcome<VulnerabilityStatus> {
  if (status !== 'RECEIVED') return refuse('INVALID_TRANSITION', `the case is ${status}: only a RECEIVED case is validated`);
  return allow(verdict);
}

/** The affected member vendors of a case (its vendor entries), each once. */
export function memberVendors(doc: Pick<VulnerabilityDoc, 'vendorStatuses'>): string[] {
  return [...new Set(doc.vendorStatuses.map((v) => v.vendorId))];
}

/** Whether every affected member vendor is FIXED or NOT_AFFECTED (false with none: a fix is a vendor's word). */
export function fixAvailable(entries: readonly VendorStatusEntry[]): boolean {
  return entries.length > 0 && entries.every((e) => e.status === 'FIXED' || e.status === 'NOT_AFFECTED');
}

/** The status after a vendor entry changed: VALIDATED becomes FIX_AVAILABLE when `fixAvailable`. */
export function statusAfterVendorChange(status: VulnerabilityStatus, entries: readonly VendorStatusEntry[]): VulnerabilityStatus {
  return status === 'VALIDATED' && fixAvailable(entries) ? 'FIX_AVAILABLE' : status;
}

/** Whether vendor positions may change: once vendors are told (VALIDATED on), and after publication (a later fix). */
export function vendorStatusChangeRefusal(status: VulnerabilityStatus): DisclosureOutcome<true> {
  if (status === 'VALIDATED' || status === 'FIX_AVAILABLE' || status === 'PUBLISHED') return allow(true);
  return refuse('INVALID_TRANSITION', `the case is ${status}: vendor positions change from VALIDATED on`);
}

/** Whether an embargo may be proposed, accepted or rejected: while the case is open. */
export function embargoStepRefusal(status: VulnerabilityStatus): DisclosureOutcome<true> {
  if (OPEN_STATUSES.includes(status)) return allow(true);
  return refuse('INVALID_TRANSITION', `the case is ${status}: embargoes apply to VALIDATED and FIX_AVAILABLE cases`);
}

/**
 * Why publishing now needs a second person's approval, or null when a coordinator publishes
 * alone: the fix is available or the deadline has passed, and no embargo holds (ending one
 * early is two-person). Refused outright unless the case is VALIDATED or FIX_AVAILABLE.
 */
export function publishCheck(
  doc: Pick<VulnerabilityDoc, 'status' | 'deadlineAt' | 'embargo'>,
  now: Date,
): DisclosureOutcome<{ needsApproval: string | null }> {
  if (!OPEN_STATUSES.includes(doc.status)) return refuse('INVALID_TRANSITION', `the case is ${doc.status}: only a VALIDATED or FIX_AVAILABLE case is published`);
  if (embargoHolds(doc.embargo, now)) return allow({ needsApproval: `an embargo holds until ${doc.embargo.endsAt!.toISOString()}` });
  const deadlinePassed = doc.deadlineAt !== null && doc.deadlineAt <= now;
  if (doc.status !== 'FIX_AVAILABLE' && !deadlinePassed) {
    return allow({ needsApproval: doc.deadlineAt ? `no fix is available and the deadline is ${doc.deadlineAt.toISOString()}` : 'no fix is available and no deadline runs yet' });
  }
  return allow({ needsApproval: null });
}

/** Whether `dup` may be closed as a duplicate of `original`. */
export function duplicateCheck(
  dup: Pick<VulnerabilityDoc, '_id' | 'status'>,
  original: Pick<VulnerabilityDoc, '_id' | 'status' | 'duplicateOf'>,
): DisclosureOutcome<true> {
  if (dup._id === original._id) return refuse('BAD_USER_INPUT', 'a case is not a duplicate of itself', 'of');
  if (!['RECEIVED', 'VALIDATED', 'FIX_AVAILABLE'].includes(dup.status)) {
    return refuse('INVALID_TRANSITION', `the case is ${dup.status}: only a RECEIVED, VALIDATED or FIX_AVAILABLE case is closed as a duplicate`, 'id');
  }
  if (original.status === 'INVALID' || original.status === 'CLOSED') {
    return refuse('INVALID_TRANSITION', `the original is ${original.status}: mark duplicates of a live case`, 'of');
  }
  return allow(true);
}
