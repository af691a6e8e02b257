import { randomUUID } from 'node:crypto';
import type { IndicatorDoc, Member, NoticeDoc, SightingDoc } from '../domain/types.js';
import { HUB_EXTENSION_DEFINITION, HUB_IDENTITY } from './hub-extension.js';
import { memberToStix } from './identity-to-stix.js';
import { indicatorToStix } from './indicator-to-stix.js';
import type { DecayFacts } from '../services/decay-service.js';
import type { ModelReviewView } from '../domain/model-review.js';
import { modelReviewToStix, type ModelReviewStixParts } from './model-review-to-stix.js';
import { noticeToStix } from './notice-to-stix.js';
import { sightingToStix } from './sighting-to-stix.js';
import { memberIdentityId } from './stix-ids.js';
import type { StixView } from './stix-gates.js';
import type { StixBundle, StixObject } from './stix-object.js';
import { tlpMarkingDefinition, tlpOfMarking } from './tlp-markings.js';

/** The records of a bundle, as the viewer may see them (visibility was decided by whoever loaded them). */
export interface BundleRecords {
  indicators: readonly IndicatorDoc[];
  /**
   * Each notice with the ids of its related indicators that the viewer may see, and its model
   * review's id when the viewer may see that review (`noticeToStix`).
   */
  notices: ReadonlyArray<{ doc: NoticeDoc; relatedIndicatorIds: readonly string[]; reviewRef?: string | null }>;
  /** Model reviews as the viewer may see them (`redactModelReview`), with what their STIX needs. Default none. */
  reviews?: ReadonlyArray<{ review: ModelReviewView; parts: ModelReviewStixParts }>;
  /** Sightings by indicator id; those the viewer may not see are left out here whatever is passed. */
  sightings: ReadonlyMap<string, readonly SightingDoc[]>;
  /** Each indicator's decay (its score as `confidence`, `valid_until`, the `decayed` label); absent: the publisher's confidence as it is. */
  decay?: ReadonlyMap<string, DecayFacts>;
  /** The members the records name (sources, reporters, labs, reviewers); only the identities referenced are emitted. */
  members: ReadonlyMap<string, Member>;
}

/**
 * A self-contained STIX 2.1 bundle: the records, the sightings the viewer may see, the identities
 * they reference (only where the viewer sees the source or the sightings, or a review's
 * reviewers), the TLP 2.0
 * marking-definitions they use, and the hub's identity and extension-definition.
 */
export function stixBundle(records: BundleRecords, view: StixView): StixBundle {
  const main: StixObject[] = [];
  for (const doc of records.indicators) {
    main.push(indicatorToStix(doc, view, records.decay?.get(doc._id)));
    for (const s of records.sightings.get(doc._id) ?? []) {
      const sighting = sightingToStix(s, doc, view);
      if (!sighting) break;
      main.push(sighting);
    }
  }
  for (const { doc, relatedIndicatorIds, reviewRef } of records.notices) main.push(noticeToStix(doc, view, relatedIndicatorIds, reviewRef ?? null));
  for (const { review, parts } of records.reviews ?? []) main.push(modelReviewToStix(review, view, parts));

  const byIdentity = new Map([...records.members.values()].map((m) => [memberIdentityId(m._id), m]));
  const identities = new Map<string, StixObject>();
  for (const object of main) {
    for (const ref of identityRefs(object)) {
      const member = byIdentity.get(ref);
      if (member && !identities.has(ref)) identities.set(ref, memberToStix(member));
    }
  }
  const context = [HUB_IDENTITY, HUB_EXTENSION_DEFINITION, ...identities.values()];
  const markings = new Set<string>();
  for (const object of [...context, ...main]) for (const ref of (object.object_marking_refs as string[] | undefined) ?? []) markings.add(ref);
  const markingObjects = [...markings].flatMap((id) => {
    const tlp = tlpOfMarking(id);
    return tlp ? [tlpMarkingDefinition(tlp)] : [];
  });
  return { type: 'bundle', id: `bundle--${randomUUID()}`, objects: [...markingObjects, ...context, ...main] };
}

function identityRefs(object: StixObject): string[] {
  const refs: string[] = [];
  if (typeof object.created_by_ref === 'string') refs.push(object.created_by_ref);
  if (Array.isArray(object.where_sighted_refs)) refs.push(...(object.where_sighted_refs as string[]));
  if (Array.isArray(object.reviewer_refs)) refs.push(...(object.reviewer_refs as string[]));
  return refs;
}
