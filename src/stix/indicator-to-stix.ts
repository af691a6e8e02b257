import type { IndicatorDoc } from '../domain/types.js';
import type { DecayFacts } from '../services/decay-service.js';
import { indicatorPattern } from './indicator-pattern.js';
import { HUB_EXTENSION_ID, memberIdentityId } from './stix-ids.js';
import { sees, type StixView } from './stix-gates.js';
import { compact, STIX_SPEC_VERSION, stixTimestamp, type StixObject } from './stix-object.js';
import { tlpMarkingId } from './tlp-markings.js';

/** STIX 2.1's indicator-type-ov: tags with one of these names become `indicator_types`. */
const INDICATOR_TYPE_OV = new Set(['anomalous-activity', 'anonymization', 'benign', 'compromised', 'malicious-activity', 'attribution', 'unknown']);

/** The label a decayed indicator carries (docs/intel-quality.md), so that a SIEM can drop it. */
export const DECAYED_LABEL = 'decayed';

/**
 * An indicator as a STIX 2.1 indicator SDO, for `view`. `modified` is the record's `updatedAt`,
 * so every write (an update, a sighting, a revocation) is a new version. `created_by_ref` is
 * present only where the viewer may see the source.
 *
 * With `decay` (src/services/decay-service.ts: `factsOf`): `confidence` is the score at the read
 * (the publisher's own confidence moves to the hub extension's `publisher_confidence`),
 * `valid_until` is when the score falls below its threshold where that comes before the
 * publisher's `validUntil` (never later; at least a millisecond after `valid_from`, as STIX
 * requires), and a decayed indicator carries the label `decayed` and `decayed: true` in the
 * hub extension. Confidence is not gated in the schema (`Indicator.confidence` has no
 * `@minTier`), so neither is the score.
 */
export function indicatorToStix(doc: IndicatorDoc, view: StixView, decay?: DecayFacts): StixObject {
  const types = doc.tags.filter((t) => INDICATOR_TYPE_OV.has(t));
  const validUntil = decay ? earlier(doc.validUntil, decay.decaysAt, doc.validFrom) : doc.validUntil;
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
    valid_until: validUntil ? stixTimestamp(validUntil) : undefined,
    confidence: decay ? decay.score : doc.confidence,
    revoked: doc.revoked,
    labels: decay?.decayed && !doc.tags.includes(DECAYED_LABEL) ? [...doc.tags, DECAYED_LABEL] : doc.tags,
    object_marking_refs: [tlpMarkingId(doc.tlp)],
    extensions: {
      [HUB_EXTENSION_ID]: compact({
        extension_type: 'property-extension',
        severity: doc.severity.toLowerCase(),
        sighting_count: doc.sightingCount > 0 ? doc.sightingCount : undefined,
        last_seen: doc.lastSeenAt ? stixTimestamp(doc.lastSeenAt) : undefined,
        revocation_reason: doc.revoked ? doc.revokedReason : undefined,
        publisher_confidence: decay ? doc.confidence : undefined,
        decayed: decay?.decayed ? true : undefined,
      }),
    },
  });
}

/** The earlier of the publisher's end and the decay instant, kept after `validFrom` (STIX: valid_until > valid_from). */
function earlier(validUntil: Date | null, decaysAt: Date | null, validFrom: Date): Date | null {
  if (!decaysAt) return validUntil;
  const decayEnd = new Date(Math.max(decaysAt.getTime(), validFrom.getTime() + 1));
  return validUntil && validUntil.getTime() <= decayEnd.getTime() ? validUntil : decayEnd;
}
