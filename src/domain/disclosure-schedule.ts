/**
 * A case's release schedule (`Vulnerability.disclosure { nextStage, nextStageAt }`), and what the
 * disclosure watcher applies (docs/clearinghouse.md, "The schedule"):
 *
 * - RECEIVED: nothing scheduled (validation is a coordinator's verdict, not a clock);
 * - VALIDATED, FIX_AVAILABLE: next PUBLISHED, at `max(deadline, end of the embargo in force)`:
 *   the hub publishes by itself then, unless a coordinator published earlier (the "release
 *   schedule that widens access to every defender automatically"); nothing while the deadline
 *   has not started (every member vendor still queued);
 * - PUBLISHED: next PROOF_OF_CONCEPT_RELEASED at `publishedAt + HUB_POC_DELAY`;
 * - PROOF_OF_CONCEPT_RELEASED, INVALID, CLOSED: nothing further.
 */
import type { DisclosureClocks } from './disclosure-clocks.js';
import type { DisclosureStage, VulnerabilityDoc } from './vulnerability.js';
import { proofOfConceptReleaseAt } from './vulnerability-stage.js';
import { OPEN_STATUSES } from './disclosure-status.js';

type ScheduleFacts = Pick<VulnerabilityDoc, 'status' | 'deadlineAt' | 'embargo' | 'publishedAt'>;

/**
 * When the hub publishes the case by itself: the deadline, or the end of the embargo in force
 * (ACTIVE or REVISE) when later. Null when the case is not open or its deadline has not started.
 */
export function autoPublishAt(doc: ScheduleFacts): Date | null {
  if (!OPEN_STATUSES.includes(doc.status) || doc.deadlineAt === null) return null;
  const embargoEnd = (doc.embargo.state === 'ACTIVE' || doc.embargo.state === 'REVISE') ? doc.embargo.endsAt : null;
  return embargoEnd && embargoEnd > doc.deadlineAt ? embargoEnd : doc.deadlineAt;
}

export interface NextStage {
  nextStage: DisclosureStage | null;
  nextStageAt: Date | null;
}

/** The next widening the schedule holds for a case at `stage`. */
export function nextStage(doc: ScheduleFacts, stage: DisclosureStage, clocks: Pick<DisclosureClocks, 'pocDelayMs'>): NextStage {
  if (doc.status === 'INVALID' || doc.status === 'CLOSED') return { nextStage: null, nextStageAt: null };
  switch (stage) {
    case 'RECEIVED':
      return { nextStage: null, nextStageAt: null };
    case 'VALIDATED':
    case 'FIX_AVAILABLE': {
      const at = autoPublishAt(doc);
      return at ? { nextStage: 'PUBLISHED', nextStageAt: at } : { nextStage: null, nextStageAt: null };
    }
    case 'PUBLISHED':
      return { nextStage: 'PROOF_OF_CONCEPT_RELEASED', nextStageAt: proofOfConceptReleaseAt(doc, clocks) };
    case 'PROOF_OF_CONCEPT_RELEASED':
      return { nextStage: null, nextStageAt: null };
  }
}
