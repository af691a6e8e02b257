/**
 * What the event log keeps of a clearinghouse case on each side of a change: the facts that
 * decide who sees it at its stage (policy `vulnerabilityViewLevel`), and who is told of the
 * change (`audience`). A case has no TLP of its own: its stage implies one (`tlp`, for tools
 * that read every event alike), but alerts judge cases by these facts alone.
 */
import type { DisclosureStage, VulnerabilityDoc } from './vulnerability.js';
import type { Tlp } from './types.js';

/**
 * Who hears of a change to a case, among those who see it after the change:
 * - ALL: everyone who sees the case (a widening, a publication: those it newly reaches hear RELEASED);
 * - PARTIES: the reporter and participants, the notified vendors and coordinators (a step only
 *   they can see: vendor positions, embargo steps, a queued notification, a duplicate);
 * - COORDINATORS: coordinators only (an escalation).
 * Those it newly reaches always hear RELEASED, whatever the audience.
 */
export type ChangeAudience = 'ALL' | 'PARTIES' | 'COORDINATORS';

export interface VulnerabilityFacts {
  /** The widest stage the case reached (PROOF_OF_CONCEPT_RELEASED once its proof of concept is out). */
  stage: DisclosureStage;
  participants: string[];
  /** Vendors notified: they see everything of the case. */
  notifiedVendorIds: string[];
  audience: ChangeAudience;
}

/** The stage a case's writes reached, from its status and publication (a stage never narrows: see the index fields). */
function storedStage(doc: Pick<VulnerabilityDoc, 'status' | 'publishedAt'> & { stageReached?: DisclosureStage }): DisclosureStage {
  if (doc.stageReached) return doc.stageReached;
  if (doc.publishedAt) return 'PUBLISHED';
  return doc.status === 'VALIDATED' || doc.status === 'FIX_AVAILABLE' || doc.status === 'PUBLISHED' ? doc.status : 'RECEIVED';
}

/** The TLP 2.0 label a stage implies: RECEIVED RED, VALIDATED and FIX_AVAILABLE AMBER, published CLEAR. */
export function stageTlp(stage: DisclosureStage): Tlp {
  return stage === 'RECEIVED' ? 'RED' : stage === 'VALIDATED' || stage === 'FIX_AVAILABLE' ? 'AMBER' : 'CLEAR';
}

/** The event facts of a case; `pocReleased`: its proof of concept is out (HUB_POC_DELAY after publication). */
export function vulnerabilityFacts(
  doc: Pick<VulnerabilityDoc, 'source' | 'status' | 'publishedAt' | 'participants' | 'vendorStatuses'> & { stageReached?: DisclosureStage },
  audience: ChangeAudience,
  pocReleased: boolean,
): { source: string; tlp: Tlp; recipients: string[]; vulnerability: VulnerabilityFacts } {
  let stage = storedStage(doc);
  if (stage === 'PUBLISHED' && pocReleased) stage = 'PROOF_OF_CONCEPT_RELEASED';
  return {
    source: doc.source,
    tlp: stageTlp(stage),
    recipients: [],
    vulnerability: {
      stage,
      participants: [...doc.participants],
      notifiedVendorIds: [...new Set(doc.vendorStatuses.filter((v) => v.notifiedAt).map((v) => v.vendorId))],
      audience,
    },
  };
}
