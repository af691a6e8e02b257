/**
 * The disclosure deadline of a clearinghouse case: `HUB_DISCLOSURE_DEADLINE` (default 90 days)
 * after the first notification of a vendor, `HUB_EXPLOITED_DEADLINE` (default 7 days) when the
 * flaw is exploited. A case without member vendors (every affected vendor is told outside the
 * hub) starts its clock at validation. Later notifications (a vendor's pacing queue) do not move
 * it: defenders are not kept waiting because one vendor's queue is long.
 */
import type { DisclosureClocks } from './disclosure-clocks.js';
import type { VendorStatusEntry } from './vulnerability.js';

/** The deadline counted from `startedAt`. */
export function deadlineFrom(startedAt: Date, exploited: boolean, clocks: Pick<DisclosureClocks, 'deadlineMs' | 'exploitedDeadlineMs'>): Date {
  return new Date(startedAt.getTime() + (exploited ? clocks.exploitedDeadlineMs : clocks.deadlineMs));
}

/**
 * The deadline once the clock started, else null: from the first notification, or from
 * `validatedAt` when the case has no member vendor.
 */
export function disclosureDeadline(
  entries: readonly Pick<VendorStatusEntry, 'notifiedAt'>[],
  validatedAt: Date | null,
  exploited: boolean,
  clocks: Pick<DisclosureClocks, 'deadlineMs' | 'exploitedDeadlineMs'>,
): Date | null {
  if (entries.length === 0) return validatedAt && deadlineFrom(validatedAt, exploited, clocks);
  const times = entries.map((e) => e.notifiedAt?.getTime()).filter((t): t is number => t !== undefined);
  return times.length ? deadlineFrom(new Date(Math.min(...times)), exploited, clocks) : null;
}

/** When a notified vendor that has not acknowledged is escalated to coordinators; null when it is not due to be. */
export function escalationDueAt(entry: Pick<VendorStatusEntry, 'notifiedAt' | 'acknowledgedAt' | 'escalatedAt'>, clocks: Pick<DisclosureClocks, 'ackEscalationMs'>): Date | null {
  if (!entry.notifiedAt || entry.acknowledgedAt || entry.escalatedAt) return null;
  return new Date(entry.notifiedAt.getTime() + clocks.ackEscalationMs);
}
