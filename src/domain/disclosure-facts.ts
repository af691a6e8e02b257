/**
 * What the event log keeps of a clearinghouse case on each side of a workflow step: the facts
 * that decide who sees it (`vulnerabilityFacts`), whether its proof of concept was out, and who
 * is told of the step (`audience`). The policy's `alertVerdict` judges each viewer by them.
 */
import { vulnerabilityFacts, type VisibilityFacts } from './events.js';
import type { VulnerabilityDoc } from './vulnerability.js';

/**
 * Who hears of a change to a case, among those who see it after the change:
 * - ALL: everyone who sees the case (a widening, a publication);
 * - PARTIES: the reporter and participants, the notified vendors and coordinators (a step only
 *   they can see: vendor positions, embargo steps, a queued notification, a duplicate);
 * - COORDINATORS: coordinators only (an escalation).
 * A viewer the change newly reaches (it could not see the case, or its proof of concept, before)
 * hears RELEASED whatever the audience.
 */
export type ChangeAudience = 'ALL' | 'PARTIES' | 'COORDINATORS';

/** The event facts of a case; `pocReleased`: its proof of concept is out (HUB_POC_DELAY after publication). */
export function caseFacts(
  doc: Pick<VulnerabilityDoc, 'source' | 'participants' | 'notifiedVendorIds' | 'stageReached'>,
  audience: ChangeAudience,
  pocReleased: boolean,
): VisibilityFacts {
  return { ...vulnerabilityFacts(doc), audience, pocReleased };
}
