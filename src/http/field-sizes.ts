/**
 * How large each field of an answer can be: how many items a list field holds at most, and how
 * many characters a text holds at most. The numbers are the caps the services enforce
 * (RECORD_LIMITS and the services' own), so the cost analysis (query-cost.ts) weighs a query by
 * the largest answer it could get. Keyed by schema coordinate (`Type.field`); docs/limits.md,
 * "Lists and cost", lists them for callers. `assertEveryListSized` refuses to start a hub whose
 * schema has a list this table does not know.
 */
import { getNamedType, getNullableType, isEnumType, isInterfaceType, isListType, isObjectType, type GraphQLSchema } from 'graphql';
import { RECORD_LIMITS } from '../domain/record-limits.js';
import { MAX_API_KEYS_LISTED } from '../services/api-key-service.js';
import { MAX_CHECKPOINTS_LISTED } from '../services/audit-service.js';
import { MAX_COMMUNITIES, MAX_COMMUNITY_MEMBERS } from '../services/community-service.js';
import { COMMUNITY_DESCRIPTION_CHARS, COMMUNITY_NAME_CHARS } from '../domain/community.js';
import { MAX_IDENTITY_PROVIDERS } from '../services/identity-service.js';
import { MAX_LOOKUP_VALUES, MAX_PUBLISH_BATCH } from '../services/indicator-service.js';
import { MAX_MEMBERS } from '../services/member-service.js';
import { MAX_PAGE_SIZE } from '../services/paginate.js';
import { INDICATOR_TYPES, NOTICE_CATEGORIES, ROLES, SEVERITIES } from '../domain/types.js';
import { MAX_IDENTITIES_PER_PERSON } from '../domain/person.js';
import { MAX_PEOPLE_LISTED } from '../services/people-service.js';
import { MAX_PENDING_SHOWN } from '../services/approval-service.js';
import { VULNERABILITY_LIMITS } from '../domain/vulnerability.js';
import { MODEL_REVIEW_LIMITS } from '../domain/model-review.js';
import { MAX_PEER_TAGS, PEER_KINDS } from '../domain/peer.js';
import { MAX_MISP_ATTRIBUTES } from '../misp/misp-event-import.js';
import { MAX_WARNINGS_SHOWN } from '../warninglists/warning-list.js';
import { MAX_WARNING_LISTS_LISTED, MEMBER_WARNING_LIST_LIMITS } from '../domain/member-warning-list.js';

/**
 * How many items a field multiplies what it selects by:
 * - `items`: a list holding at most this many (capped on write, or on read where noted);
 * - `page`: a connection, by its `first` argument (its default when omitted, at most `MAX_PAGE_SIZE`);
 *   its `edges` list then counts as one;
 * - `argument`: as many as the list argument at that path holds (at most `max`), e.g. one
 *   lookup per value; a list the field returns (`results`) then counts as one.
 */
export type ListSize = { items: number } | { page: true } | { argument: string; max: number };

/** Every list field of the schema, and every field whose size comes from its arguments. */
export const LIST_SIZES: Readonly<Record<string, ListSize>> = {
  'Query.indicators': { page: true },
  'Query.modelRiskNotices': { page: true },
  'Query.vulnerabilities': { page: true },
  'Query.modelReviews': { page: true },
  'ModelReviewConnection.edges': { items: 1 },
  'ModelReview.reviewers': { items: MODEL_REVIEW_LIMITS.reviewers },
  'ModelReview.findings': { items: MODEL_REVIEW_LIMITS.findings },
  'ModelReviewSummary.byCategory': { items: NOTICE_CATEGORIES.length },
  'ModelReviewSummary.bySeverity': { items: SEVERITIES.length },
  'VulnerabilityConnection.edges': { items: 1 },
  'Vulnerability.cwes': { items: VULNERABILITY_LIMITS.cwes },
  'Vulnerability.affected': { items: VULNERABILITY_LIMITS.affected },
  'Vulnerability.credits': { items: VULNERABILITY_LIMITS.credits },
  'Vulnerability.relatedNotices': { items: VULNERABILITY_LIMITS.relatedNotices },
  'Vulnerability.vendorStatuses': { items: VULNERABILITY_LIMITS.affected },
  'Vulnerability.possibleDuplicates': { items: VULNERABILITY_LIMITS.possibleDuplicates },
  'Query.approvalRequests': { page: true },
  'Query.auditLog': { page: true },
  'IndicatorConnection.edges': { items: 1 },
  'ModelRiskNoticeConnection.edges': { items: 1 },
  'ApprovalRequestConnection.edges': { items: 1 },
  'AuditEntryConnection.edges': { items: 1 },
  'AuditChain.checkpoints': { items: MAX_CHECKPOINTS_LISTED },
  'Query.lookupIndicators': { argument: 'values', max: MAX_LOOKUP_VALUES },
  'Mutation.publishIndicators': { argument: 'input.indicators', max: MAX_PUBLISH_BATCH },
  'Indicator.warnings': { items: MAX_WARNINGS_SHOWN },
  'PublishIndicatorResult.warnings': { items: MAX_WARNINGS_SHOWN },
  // Member-contributed warning lists (issue 16): the vendored lists and each member's (capped per member).
  'Query.warningLists': { items: MAX_WARNING_LISTS_LISTED },
  'WarningList.indicatorTypes': { items: INDICATOR_TYPES.length },
  'WarningList.entries': { items: MEMBER_WARNING_LIST_LIMITS.entries },
  'WarningList.recipients': { items: MEMBER_WARNING_LIST_LIMITS.recipients },
  'PublishIndicatorsPayload.results': { items: 1 },
  'Query.members': { items: MAX_MEMBERS },
  'Query.peers': { items: MAX_MEMBERS },
  'PeerPull.kinds': { items: PEER_KINDS.length },
  'PeerPull.tags': { items: MAX_PEER_TAGS },
  'Query.apiKeys': { items: MAX_API_KEYS_LISTED },
  'Member.identityProviders': { items: MAX_IDENTITY_PROVIDERS },
  'ApiKey.roles': { items: ROLES.length },
  'Viewer.roles': { items: ROLES.length },
  'IdentityProvider.allowedAlgorithms': { items: 2 },
  'Indicator.recipients': { items: RECORD_LIMITS.recipients },
  'Indicator.tags': { items: RECORD_LIMITS.tags },
  'Indicator.sightings': { items: RECORD_LIMITS.sightingsShown },
  'Query.decayModels': { items: INDICATOR_TYPES.length },
  'IndicatorLookup.indicators': { items: RECORD_LIMITS.claimsPerLookup },
  'ModelRiskNotice.recipients': { items: RECORD_LIMITS.recipients },
  'ModelRiskNotice.atlasTechniques': { items: RECORD_LIMITS.atlasTechniques },
  'ModelRiskNotice.owaspLlm': { items: RECORD_LIMITS.owaspLlm },
  'ModelRiskNotice.affectedDeployments': { items: RECORD_LIMITS.affectedDeployments },
  'ModelRiskNotice.relatedIndicators': { items: RECORD_LIMITS.relatedIndicators },
  'ApprovalChange.recipients': { items: RECORD_LIMITS.recipients },
  // A held item (HUB_WARNINGLIST_POLICY=hold) is an indicator not yet stored: the same caps.
  'HeldIndicator.recipients': { items: RECORD_LIMITS.recipients },
  'HeldIndicator.tags': { items: RECORD_LIMITS.tags },
  'HeldIndicator.warnings': { items: MAX_WARNINGS_SHOWN },
  'Query.communities': { items: MAX_COMMUNITIES },
  'Community.members': { items: MAX_COMMUNITY_MEMBERS },
  'Query.people': { items: MAX_PEOPLE_LISTED },
  'Person.roles': { items: ROLES.length },
  'Person.identities': { items: MAX_IDENTITIES_PER_PERSON },
  'Person.pendingApprovals': { items: MAX_PENDING_SHOWN },
  'MispImportResult.results': { items: MAX_MISP_ATTRIBUTES },
};

/** A STIX object in a bundle, at its largest: a notice with every text at its cap. */
const STIX_OBJECT_CHARS = 130_000;

/**
 * Characters a text field (or a JSON value) holds at most, before JSON escaping. Texts not
 * listed count as `DEFAULT_TEXT_CHARS`: names, ids, cursors, codes and messages the hub writes.
 */
export const TEXT_SIZES: Readonly<Record<string, number | { perArgumentItem: string; chars: number }>> = {
  'Indicator.value': 2_048,
  'Indicator.submittedValue': 2_048,
  'Indicator.description': RECORD_LIMITS.indicatorDescription,
  'Indicator.revokedReason': RECORD_LIMITS.revokedReason,
  'Indicator.tags': RECORD_LIMITS.tagChars,
  'HeldIndicator.value': 2_048,
  'HeldIndicator.submittedValue': 2_048,
  'HeldIndicator.description': RECORD_LIMITS.indicatorDescription,
  'HeldIndicator.tags': RECORD_LIMITS.tagChars,
  'IndicatorLookup.input': 2_048,
  'IndicatorLookup.normalized': 2_048,
  'ModelRiskNotice.title': 200,
  'ModelRiskNotice.summary': 4_000,
  'ModelRiskNotice.mitigations': 20_000,
  'ModelRiskNotice.technicalDetails': 50_000,
  'ModelRiskNotice.evaluationEvidence': 50_000,
  'ModelRiskNotice.affectedDeployments': RECORD_LIMITS.affectedDeploymentChars,
  'ModelRef.name': RECORD_LIMITS.modelNameChars,
  'ModelRef.developer': RECORD_LIMITS.modelNameChars,
  'ModelRef.version': RECORD_LIMITS.modelVersionChars,
  'ApprovalRequest.reason': 1_000,
  'ApprovalRequest.decisionReason': 1_000,
  'IdentityProvider.issuer': 2_048,
  'IdentityProvider.audience': 512,
  'IdentityProvider.jwksUri': 2_048,
  'ItemError.code': 32,
  'ItemError.message': 300,
  'ItemError.field': 64,
  'AuditEntry.details': 4_000,
  'AuditCheckpoint.jws': 400,
  // The entry's own fields, details and summary at their largest, plus names and hashes.
  'AuditEntry.canonical': 6_000,
  'AuditChain.verificationKey': 300,
  'Query.stixBundle': { perArgumentItem: 'ids', chars: STIX_OBJECT_CHARS },
  // A review's x-model-review: its description (4,000), up to 500 reviewer_refs and 200 finding_refs (about 50-60 characters each), the summary.
  'ModelReview.stix': 45_000,
  'Community.name': COMMUNITY_NAME_CHARS,
  'Community.description': COMMUNITY_DESCRIPTION_CHARS,
};

/** Any other text, id or cursor. */
export const DEFAULT_TEXT_CHARS = 256;

/** Characters of a scalar value by type, quotes included; texts are looked up in TEXT_SIZES. */
export const SCALAR_CHARS: Readonly<Record<string, number>> = { Int: 11, Float: 24, Boolean: 5, DateTime: 26, ID: 102 };

/** Throws, naming them, if the schema has list fields this table does not size. */
export function assertEveryListSized(schema: GraphQLSchema): void {
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue;
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      if (isListType(getNullableType(field.type)) && !LIST_SIZES[coordinate] && !isInterfaceType(type)) missing.push(coordinate);
    }
  }
  if (missing.length) throw new Error(`The cost analysis has no size for these list fields (src/http/field-sizes.ts): ${missing.join(', ')}`);
}

/** The longest value name of an enum, quoted: what one of its values costs in the answer. */
export function enumChars(schemaType: ReturnType<typeof getNamedType>): number | undefined {
  if (!isEnumType(schemaType)) return undefined;
  return Math.max(...schemaType.getValues().map((v) => v.name.length)) + 2;
}
