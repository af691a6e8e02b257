import { HUB_EXTENSION_ID, HUB_IDENTITY_ID } from './stix-ids.js';
import { STIX_SPEC_VERSION, type StixObject } from './stix-object.js';
import { tlpMarkingId } from './tlp-markings.js';

/** When the hub's extension-definition (version 1.0.0) and the hub's identity were first published. */
const PUBLISHED = '2026-01-01T00:00:00.000Z';

const SCHEMA_TEXT = [
  'new-sdo x-model-risk-notice: a notice about an AI model\'s risk. Properties: name (title), description (summary),',
  'model {name, developer, version?}, category (cyber-offense-capability, jailbreak, prompt-injection, data-exfiltration,',
  'weights-exposure, autonomy, ai-found-vulnerability, other), risk_severity (info, low, medium, high, critical),',
  'status (draft, under-review, published, mitigated, retracted; retracted notices are revoked), embargo_until (timestamp),',
  'atlas_techniques (MITRE ATLAS ids), owasp_llm (OWASP Top 10 for LLM Applications 2025 ids), mitigations, technical_details,',
  'evaluation_evidence (strings), affected_deployments (list of strings), related_indicator_refs (indicator ids).',
  'Properties the recipient\'s trust tier does not cover are absent.',
  'property-extension on indicator: severity (info, low, medium, high, critical), sighting_count (integer), last_seen (timestamp),',
  'revocation_reason (string, on revoked indicators).',
  'property-extension on vulnerability (clearinghouse cases): severity, cvss {version, vector, base_score}, status (received, validated,',
  'invalid, fix-available, published, closed), exploited (boolean), affected [{vendor, product, versions, purl, cpe}],',
  'vendor_statuses [{vendor, status (unknown, affected, not-affected, fixed), fixed_in}], discovery_method (ai-model, ai-assisted, human),',
  'credits [{name, type}], technical_details, mitigation, published (timestamp); absent when the recipient\'s view of the case does not hold it.',
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
 * The hub's published extension-definition: declares the `x-model-risk-notice` object type
 * (`new-sdo`) and the hub's properties on indicators (`property-extension`).
 */
export const HUB_EXTENSION_DEFINITION: StixObject = Object.freeze({
  type: 'extension-definition',
  spec_version: STIX_SPEC_VERSION,
  id: HUB_EXTENSION_ID,
  created: PUBLISHED,
  modified: PUBLISHED,
  created_by_ref: HUB_IDENTITY_ID,
  name: 'The hub: AI model-risk notices and indicator properties',
  description: 'Model-risk notices shared on the hub as a new STIX object type, the hub\'s severity and sighting summary on indicators, and the clearinghouse\'s properties on vulnerabilities.',
  schema: SCHEMA_TEXT,
  version: '1.0.0',
  extension_types: ['new-sdo', 'property-extension'],
  object_marking_refs: [tlpMarkingId('CLEAR')],
});
