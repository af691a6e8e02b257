import type { IndicatorDoc } from '../domain/types.js';
import { indicatorPattern } from './indicator-pattern.js';
import { HUB_EXTENSION_ID, memberIdentityId } from './stix-ids.js';
import { sees, type StixView } from './stix-gates.js';
import { compact, STIX_SPEC_VERSION, stixTimestamp, type StixObject } from './stix-object.js';
import { tlpMarkingId } from './tlp-markings.js';

/** STIX 2.1's indicator-type-ov: tags with one of these names become `indicator_types`. */
const INDICATOR_TYPE_OV = new Set(['anomalous-activity', 'anonymization', 'benign', 'compromised', 'malicious-activity', 'attribution', 'unknown']);

/**
 * An indicator as a STIX 2.1 indicator SDO, for `view`. `modified` is the record's `updatedAt`,
 * so every write (an update, a sighting, a revocation) is a new version. `created_by_ref` is
 * present only where the viewer may see the source.
 */
export function indicatorToStix(doc: IndicatorDoc, view: StixView): StixObject {
  const types = doc.tags.filter((t) => INDICATOR_TYPE_OV.has(t));
  return compact({
    type: 'indicator',
    spec_version: STIX_SPEC_VERSION,
    id: doc._id,
    created: stixTimestamp(doc.createdAt),
    modified: stixTimestamp(doc.updatedAt),
    created_by_ref: sees(view, doc, 'indicator.created_by_ref') ? memberIdentityId(doc.source) : undefined,
    name: doc.value,
    description: doc.description,
    indicator_types: types,
    pattern: indicatorPattern(doc.type, doc.value),
    pattern_type: 'stix',
    pattern_version: '2.1',
    valid_from: stixTimestamp(doc.validFrom),
    valid_until: doc.validUntil ? stixTimestamp(doc.validUntil) : undefined,
    confidence: doc.confidence,
    revoked: doc.revoked,
    labels: doc.tags,
    object_marking_refs: [tlpMarkingId(doc.tlp)],
    extensions: {
      [HUB_EXTENSION_ID]: compact({
        extension_type: 'property-extension',
        severity: doc.severity.toLowerCase(),
        sighting_count: doc.sightingCount > 0 ? doc.sightingCount : undefined,
        last_seen: doc.lastSeenAt ? stixTimestamp(doc.lastSeenAt) : undefined,
        revocation_reason: doc.revoked ? doc.revokedReason : undefined,
      }),
    },
  });
}
