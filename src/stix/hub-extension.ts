import { HUB_EXTENSION_ID, HUB_IDENTITY_ID } from './stix-ids.js';
import { STIX_SPEC_VERSION, type StixObject } from './stix-object.js';
import { tlpMarkingId } from './tlp-markings.js';

/** When the hub's extension-definition (version 1.0.0) and the hub's identity were first published. */
const PUBLISHED = '2026-01-01T00:00:00.000Z';
/** When version 1.1.0 of the extension-definition (x-model-review, review_ref) was published: its `modified`. */
const REVIEWS_PUBLISHED = '2026-12-01T00:00:00.000Z';
/** When version 1.2.0 (publisher_confidence, decayed on indicators) was published: its `modified`. */
const DECAY_PUBLISHED = '2026-12-05T00:00:00.000Z';

const SCHEMA_TEXT = [
  'new-sdo x-model-risk-notice: a notice about an AI model\'s risk. Properties: name (title), description (summary),',
  'model {name, developer, version?}, category (cyber-offense-capability, jailbreak, prompt-injection, data-exfiltration,',
  'weights-exposure, autonomy, ai-found-vulnerability, other), risk_severity (info, low, medium, high, critical),',
  'status (draft, under-review, published, mitigated, retracted; retracted notices are revoked), embargo_until (timestamp),',
  'atlas_techniques (MITRE ATLAS ids), owasp_llm (OWASP Top 10 for LLM Applications 2025 ids), mitigations, technical_details,',
  'evaluation_evidence (strings), affected_deployments (list of strings), related_indicator_refs (indicator ids),',
  'review_ref (the x-model-review it was filed under, present only where the recipient may see that review).',
  'Properties the recipient\'s trust tier does not cover are absent.',
  'property-extension on indicator: severity (info, low, medium, high, critical), sighting_count (integer), last_seen (timestamp),',
  'revocation_reason (string, on revoked indicators), publisher_confidence (integer: the publisher\'s own confidence, where the indicator\'s',
  'confidence is its decayed score), decayed (true once the score fell below its type\'s threshold; such indicators also carry the label decayed).',
  'property-extension on vulnerability (clearinghouse cases): severity, cvss {version, vector, base_score}, status (received, validated,',
  'invalid, fix-available, published, closed), exploited (boolean), affected [{vendor, product, versions, purl, cpe}],',
  'vendor_statuses [{vendor, status (unknown, affected, not-affected, fixed), fixed_in}], discovery_method (ai-model, ai-assisted, human),',
  'credits [{name, type}], technical_details, mitigation, published (timestamp), review_ref (the x-model-review it was filed under, where',
  'the recipient may see that review); absent when the recipient\'s view of the case does not hold it.',
  'new-sdo x-model-review: a pre-deployment review of an AI model by trusted members before the lab deploys it (created_by_ref the lab,',
  'where the recipient may see the lab\'s identity). Properties: name, description, model {name, developer, version?}, planned_deployment,',
  'window_opens, closed (when it closed or will close; absent once cancelled), cancelled (timestamp), cancel_reason (the lab and reviewers',
  'only), status (scheduled, open, closed, cancelled: as of modified), reviewer_refs (identities; the lab and reviewers only),',
  'finding_refs (the x-model-risk-notice and vulnerability objects filed under it that the recipient may see), summary {total,',
  'by_category [{category, count}], by_severity [{severity, count}], highest_severity} (counts of all its findings, where the recipient',
  'may read them: the lab always, everyone who sees the review once it closed, never for a cancelled review), summary_public (boolean).',
  'Marked TLP:AMBER until it closes, then TLP:GREEN, or TLP:CLEAR when the lab released its summary to the public.',
].join(' ');

/** The hub's own identity: who defines the hub's extension. */
export const HUB_IDENTITY: StixObject = Object.freeze({
  type: 'identity',
  spec_version: STIX_SPEC_VERSION,
  id: HUB_IDENTITY_ID,
  created: PUBLISHED,
  modified: PUBLISHED,
  name: 'The hub',
  description: 'A threat-intelligence and AI model-risk sharing hub for agencies, AI labs and enterprises.',
  identity_class: 'system',
  object_marking_refs: [tlpMarkingId('CLEAR')],
});

/**
 * The hub's published extension-definition: declares the `x-model-risk-notice` and
 * `x-model-review` object types (`new-sdo`) and the hub's properties on indicators and
 * vulnerabilities (`property-extension`). Version 1.1.0 added `x-model-review` and `review_ref`,
 * 1.2.0 `publisher_confidence` and `decayed` on indicators: each a new `modified`, as STIX wants for a changed object.
 */
export const HUB_EXTENSION_DEFINITION: StixObject = Object.freeze({
  type: 'extension-definition',
  spec_version: STIX_SPEC_VERSION,
  id: HUB_EXTENSION_ID,
  created: PUBLISHED,
  modified: DECAY_PUBLISHED,
  created_by_ref: HUB_IDENTITY_ID,
  name: 'The hub: AI model-risk notices, model reviews and indicator properties',
  description: 'Model-risk notices and pre-deployment model reviews shared on the hub as new STIX object types, the hub\'s severity and sighting summary on indicators, and the clearinghouse\'s properties on vulnerabilities.',
  schema: SCHEMA_TEXT,
  version: '1.2.0',
  extension_types: ['new-sdo', 'property-extension'],
  object_marking_refs: [tlpMarkingId('CLEAR')],
});
