import type { NoticeDoc } from '../domain/types.js';
import { HUB_EXTENSION_ID, memberIdentityId } from './stix-ids.js';
import { sees, type StixView } from './stix-gates.js';
import { compact, STIX_SPEC_VERSION, stixTimestamp, stixVocab, type StixObject } from './stix-object.js';
import { tlpMarkingId } from './tlp-markings.js';

export const NOTICE_STIX_TYPE = 'x-model-risk-notice';

/**
 * A model-risk notice as the hub's custom STIX object (`x-model-risk-notice`, declared by the
 * hub's extension-definition as a new SDO). Gated properties the viewer may not see are absent.
 * `relatedIndicatorIds` are the related indicators the viewer may see (the caller decides, as for
 * GraphQL's `relatedIndicators`). A RETRACTED notice is `revoked`.
 *
 * Severity is `risk_severity`: the OASIS core schema refuses a top-level `severity` property.
 *
 * `reviewRef`: the model review it was filed under (`doc.reviewId`), passed only when the viewer
 * may see that review (the caller asks the policy); absent otherwise, so that a finding tells a
 * viewer who may not see its review nothing of it. Default: absent.
 */
export function noticeToStix(doc: NoticeDoc, view: StixView, relatedIndicatorIds: readonly string[], reviewRef: string | null = null): StixObject {
  return compact({
    type: NOTICE_STIX_TYPE,
    spec_version: STIX_SPEC_VERSION,
    id: doc._id,
    created: stixTimestamp(doc.createdAt),
    modified: stixTimestamp(doc.updatedAt),
    created_by_ref: sees(view, doc, 'x-model-risk-notice.created_by_ref') ? memberIdentityId(doc.source) : undefined,
    name: doc.title,
    description: doc.summary,
    model: compact({ name: doc.model.name, developer: doc.model.developer, version: doc.model.version }),
    category: stixVocab(doc.category),
    risk_severity: doc.severity.toLowerCase(),
    status: stixVocab(doc.status),
    embargo_until: doc.embargoUntil ? stixTimestamp(doc.embargoUntil) : undefined,
    atlas_techniques: doc.atlasTechniques,
    owasp_llm: doc.owaspLlm,
    mitigations: gated(view, doc, 'x-model-risk-notice.mitigations', doc.mitigations),
    technical_details: gated(view, doc, 'x-model-risk-notice.technical_details', doc.technicalDetails),
    evaluation_evidence: gated(view, doc, 'x-model-risk-notice.evaluation_evidence', doc.evaluationEvidence),
    affected_deployments: gated(view, doc, 'x-model-risk-notice.affected_deployments', doc.affectedDeployments),
    related_indicator_refs: [...relatedIndicatorIds],
    review_ref: reviewRef,
    revoked: doc.status === 'RETRACTED',
    external_references: [
      ...doc.atlasTechniques.map((id) => ({ source_name: 'mitre-atlas', external_id: id, url: `https://atlas.mitre.org/techniques/${id}` })),
      ...doc.owaspLlm.map((id) => ({ source_name: 'owasp-llm-top-10-2025', external_id: id })),
    ],
    object_marking_refs: [tlpMarkingId(doc.tlp)],
    extensions: { [HUB_EXTENSION_ID]: { extension_type: 'new-sdo' } },
  });
}

type NoticeGate = Parameters<typeof sees>[2] & `x-model-risk-notice.${string}`;

/**
 * The value when the view sees it, else undefined. Asked whatever the value (empty too), so the
 * redaction report never tells whether a withheld property had a value.
 */
function gated<T>(view: StixView, doc: NoticeDoc, gate: NoticeGate, value: T): T | undefined {
  return sees(view, doc, gate) ? value : undefined;
}
