/**
 * The two stored bases of an indicator's score (issue 16, item 2): what score filters and the
 * SCORE order read from an index, so that neither filters a fetched page (docs/intel-quality.md).
 */
import { decayBase } from './decay-model.js';
import type { IndicatorDoc, MemberTier } from './types.js';

/** An indicator's stored bases (`IndicatorDoc.scoreBase` and `scoreBaseOpen`). */
export interface ScoreBases {
  /** Weighed by the publisher's tier: what viewers of tier TRUSTED and above read. */
  scoreBase: number;
  /** Without the tier: what every other viewer reads. */
  scoreBaseOpen: number;
}

/**
 * The bases of a claim with this confidence and these false-positive reporters, published by a
 * member of `tier` (null: no longer on record, which counts as COMMUNITY).
 */
export function scoreBasesOf(doc: Pick<IndicatorDoc, 'confidence'> & Partial<Pick<IndicatorDoc, 'falsePositiveReporters'>>, tier: MemberTier | null): ScoreBases {
  const fp = doc.falsePositiveReporters?.length ?? 0;
  return { scoreBase: decayBase(doc.confidence, tier ?? 'COMMUNITY', fp), scoreBaseOpen: decayBase(doc.confidence, null, fp) };
}

/** Whether `doc` stores exactly these bases. */
export function holdsBases(doc: Partial<ScoreBases>, bases: ScoreBases): boolean {
  return doc.scoreBase === bases.scoreBase && doc.scoreBaseOpen === bases.scoreBaseOpen;
}
