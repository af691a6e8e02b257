/**
 * Vultron's embargo states for one clearinghouse case (docs/clearinghouse.md, "Embargo"):
 *
 * | from      | step                                   | to                                  |
 * |-----------|----------------------------------------|-------------------------------------|
 * | NONE      | a coordinator proposes an end          | PROPOSED                            |
 * | PROPOSED  | the last affected member vendor accepts| ACTIVE until the proposed end       |
 * | PROPOSED  | a vendor rejects                       | NONE (as before the proposal)       |
 * | PROPOSED  | a new proposal                         | PROPOSED (acceptances start over)   |
 * | ACTIVE    | a new proposal                         | REVISE (the end in force holds)     |
 * | REVISE    | the last vendor accepts                | ACTIVE until the new end            |
 * | REVISE    | a vendor rejects                       | ACTIVE (as before the proposal)     |
 * | ACTIVE, REVISE | its end passes (the watcher)      | EXITED                              |
 * | ACTIVE, REVISE | an approved early lift            | EXITED now, or ACTIVE until an earlier end |
 * | PROPOSED  | the proposed end passes unaccepted     | NONE (the proposal lapsed)          |
 * | REVISE    | the revision's end passes unaccepted   | ACTIVE (the revision lapsed)        |
 *
 * EXITED is final: a case's embargo is not restarted once it ended. A case without member
 * vendors has nobody to accept, so a proposal takes effect at once (coordinators decide alone).
 * Pure functions: the service writes what they answer with a compare-and-set.
 */
import type { ActorRef } from './types.js';
import type { Embargo } from './vulnerability.js';
import { allow, refuse, type DisclosureOutcome } from './disclosure-refusal.js';

/** The longest embargo a coordinator may propose, from now: a year. */
export const MAX_EMBARGO_MS = 366 * 86_400_000;

/** The embargo of a new case. */
export const NO_EMBARGO: Embargo = Object.freeze({ state: 'NONE', endsAt: null, proposedBy: null, reason: null, acceptedBy: [] }) as Embargo;

/** Whether the embargo holds at `now`: ACTIVE or REVISE, its end still ahead. */
export function embargoHolds(embargo: Embargo, now: Date): boolean {
  return (embargo.state === 'ACTIVE' || embargo.state === 'REVISE') && embargo.endsAt !== null && embargo.endsAt > now;
}

/** The end of the proposal being decided (PROPOSED or REVISE), else null. */
export function proposedEnd(embargo: Embargo): Date | null {
  if (embargo.state === 'PROPOSED') return embargo.proposedEndsAt ?? embargo.endsAt;
  if (embargo.state === 'REVISE') return embargo.proposedEndsAt ?? null;
  return null;
}

export interface EmbargoProposal {
  endsAt: Date;
  reason: string;
  by: ActorRef;
  now: Date;
  /** The case's affected member vendors: who must accept. */
  vendors: readonly string[];
}

/** A coordinator proposes an end (PROPOSED, or REVISE while one is ACTIVE). */
export function proposeEmbargo(current: Embargo, p: EmbargoProposal): DisclosureOutcome<Embargo> {
  if (current.state === 'EXITED') return refuse('INVALID_TRANSITION', 'the embargo already ended (EXITED); a case is embargoed once');
  if (p.endsAt <= p.now) return refuse('BAD_USER_INPUT', 'endsAt must be in the future', 'endsAt');
  if (p.endsAt.getTime() - p.now.getTime() > MAX_EMBARGO_MS) return refuse('BAD_USER_INPUT', 'endsAt must be within a year from now', 'endsAt');
  const holding = embargoHolds(current, p.now);
  if (holding && current.endsAt!.getTime() === p.endsAt.getTime()) {
    return refuse('BAD_USER_INPUT', 'the embargo already ends then; propose a different end', 'endsAt');
  }
  const proposal = { proposedBy: p.by, reason: p.reason, acceptedBy: [], lastRejection: current.lastRejection ?? null };
  if (p.vendors.length === 0) {
    // Nobody to accept: the coordinators' proposal is the embargo.
    return allow({ state: 'ACTIVE', endsAt: p.endsAt, proposedEndsAt: null, ...proposal, proposedBy: null, reason: null });
  }
  if (holding) return allow({ state: 'REVISE', endsAt: current.endsAt, proposedEndsAt: p.endsAt, ...proposal });
  return allow({ state: 'PROPOSED', endsAt: p.endsAt, proposedEndsAt: p.endsAt, ...proposal });
}

/** An affected member vendor accepts the proposal being decided; ACTIVE once every one has. */
export function acceptEmbargo(current: Embargo, vendorId: string, vendors: readonly string[], now: Date): DisclosureOutcome<Embargo> {
  const end = proposedEnd(current);
  if (end === null) return refuse('INVALID_TRANSITION', `there is no embargo proposal to accept (the embargo is ${current.state})`);
  if (!vendors.includes(vendorId)) return refuse('INVALID_TRANSITION', 'only an affected member vendor accepts an embargo');
  if (current.acceptedBy.includes(vendorId)) return refuse('INVALID_TRANSITION', 'your member already accepted this proposal');
  if (end <= now) return refuse('INVALID_TRANSITION', 'the proposed end has passed; a coordinator must propose again');
  const acceptedBy = [...current.acceptedBy, vendorId];
  if (vendors.every((v) => acceptedBy.includes(v))) {
    return allow({ state: 'ACTIVE', endsAt: end, proposedEndsAt: null, proposedBy: null, reason: null, acceptedBy, lastRejection: current.lastRejection ?? null });
  }
  return allow({ ...current, acceptedBy });
}

/** An affected member vendor rejects the proposal: the embargo is as it was before it. */
export function rejectEmbargo(current: Embargo, vendorId: string, vendors: readonly string[], reason: string, now: Date): DisclosureOutcome<Embargo> {
  if (proposedEnd(current) === null) return refuse('INVALID_TRANSITION', `there is no embargo proposal to reject (the embargo is ${current.state})`);
  if (!vendors.includes(vendorId)) return refuse('INVALID_TRANSITION', 'only an affected member vendor rejects an embargo');
  const lastRejection = { vendorId, reason, at: now };
  if (current.state === 'REVISE') {
    return allow({ state: 'ACTIVE', endsAt: current.endsAt, proposedEndsAt: null, proposedBy: null, reason: null, acceptedBy: [], lastRejection });
  }
  return allow({ ...NO_EMBARGO, acceptedBy: [], proposedEndsAt: null, lastRejection });
}

/**
 * An approved early end (two-person, `requestEmbargoLift`): EXITED now when `at` is null or
 * past, else ACTIVE until `at` (a revision being decided is dropped). Null when the embargo no
 * longer holds: nothing to lift.
 */
export function liftEmbargo(current: Embargo, at: Date | null, now: Date): Embargo | null {
  if (!embargoHolds(current, now)) return null;
  const cleared = { proposedEndsAt: null, proposedBy: null, reason: null, acceptedBy: current.acceptedBy, lastRejection: current.lastRejection ?? null };
  if (at === null || at <= now) return { state: 'EXITED', endsAt: now, ...cleared };
  if (at >= current.endsAt!) return null;
  return { state: 'ACTIVE', endsAt: at, ...cleared };
}

/**
 * What time alone makes of the embargo at `now` (the disclosure watcher applies it): EXITED at
 * the end in force; a proposal whose end passed unaccepted lapses. Null when nothing changes.
 */
export function embargoAt(current: Embargo, now: Date): Embargo | null {
  const cleared = { proposedEndsAt: null, proposedBy: null, reason: null, lastRejection: current.lastRejection ?? null };
  if ((current.state === 'ACTIVE' || current.state === 'REVISE') && current.endsAt !== null && current.endsAt <= now) {
    return { state: 'EXITED', endsAt: current.endsAt, acceptedBy: current.acceptedBy, ...cleared };
  }
  if (current.state === 'PROPOSED' && (proposedEnd(current) ?? now) <= now) return { ...NO_EMBARGO, acceptedBy: [], ...cleared };
  if (current.state === 'REVISE' && (current.proposedEndsAt ?? now) <= now) {
    return { state: 'ACTIVE', endsAt: current.endsAt, acceptedBy: [], ...cleared };
  }
  return null;
}

/** When time alone next changes the embargo (`embargoAt`), or null. */
export function embargoNextChangeAt(current: Embargo): Date | null {
  if (current.state === 'ACTIVE') return current.endsAt;
  if (current.state === 'PROPOSED') return proposedEnd(current);
  if (current.state === 'REVISE') {
    const ends = [current.endsAt, current.proposedEndsAt ?? null].filter((d): d is Date => d !== null);
    return ends.length ? new Date(Math.min(...ends.map((d) => d.getTime()))) : null;
  }
  return null;
}
