import type { IndicatorDoc, SightingDoc } from '../domain/types.js';
import { memberIdentityId } from './stix-ids.js';
import { sees, type StixView } from './stix-gates.js';
import { STIX_SPEC_VERSION, stixTimestamp, type StixObject } from './stix-object.js';
import { tlpMarkingId } from './tlp-markings.js';

/**
 * One sighting report as a STIX sighting SRO, or null when the viewer may not see the
 * indicator's sightings (`Indicator.sightings`: TRUSTED and above, and the indicator's
 * publisher). The sighting carries its indicator's TLP marking; its reporter is both its creator
 * and where it was sighted.
 */
export function sightingToStix(sighting: SightingDoc, indicator: IndicatorDoc, view: StixView): StixObject | null {
  if (!sees(view, indicator, 'sighting')) return null;
  const reporter = memberIdentityId(sighting.reporter);
  const reported = stixTimestamp(sighting.reportedAt);
  const seen = stixTimestamp(sighting.seenAt);
  return {
    type: 'sighting',
    spec_version: STIX_SPEC_VERSION,
    id: sighting._id,
    created: reported,
    modified: reported,
    created_by_ref: reporter,
    sighting_of_ref: indicator._id,
    count: sighting.count,
    first_seen: seen,
    last_seen: seen,
    where_sighted_refs: [reporter],
    object_marking_refs: [tlpMarkingId(indicator.tlp)],
  };
}
