import type { Tlp } from '../domain/types.js';
import type { AffectedProduct, DisclosureStage, VendorStatus, VulnerabilityDoc } from '../domain/vulnerability.js';

/**
 * What every export of a case needs besides the case itself. The case handed to an exporter is
 * always the one `redactVulnerability(doc, viewer, now, schedule)` returned for the viewer: a field the viewer
 * may not see is null or empty there, and the exporters read nothing else, so an export can only
 * hold what the viewer could have read field by field.
 */
export interface ExportContext {
  /** The case's disclosure stage now (the policy's `disclosureStage`). */
  stage: DisclosureStage;
  /** The TLP 2.0 label the stage implies (the policy's; `Vulnerability.tlp`). */
  tlp: Tlp;
  /** When the export is made: CSAF's generator date. */
  now: Date;
  /** Who the hub is in advisories. Default `DEFAULT_EXPORT_PUBLISHER`. */
  publisher?: ExportPublisher;
}

/** The hub as the publisher of its exports. */
export interface ExportPublisher {
  /** CSAF `publisher.name`. Default `The hub`. */
  name: string;
  /** A URL the hub's operator controls: CSAF `publisher.namespace`, and the base of the case's reference URL. Default `https://hub.invalid` (set it to the hub's public address). */
  namespace: string;
  /** The CVE Program organisation UUID (version 4) of the hub as container provider: CVE `providerMetadata.orgId` and `assignerOrgId`. Default a fixed UUID standing for the hub, to be replaced by the CNA's own when it submits. */
  cveOrgId: string;
  /** CVE `providerMetadata.shortName` (2-32 characters). Default `hub`. */
  cveShortName: string;
}

export const DEFAULT_EXPORT_PUBLISHER: ExportPublisher = Object.freeze({
  name: 'The hub',
  namespace: 'https://hub.invalid',
  cveOrgId: '5f0c4b2e-8f3a-4c1d-9e7b-2a6d1c3b4e5f',
  cveShortName: 'hub',
});

export const publisherOf = (context: ExportContext): ExportPublisher => context.publisher ?? DEFAULT_EXPORT_PUBLISHER;

/** The case's own URL on the hub: the reference every export carries. */
export const caseUrl = (context: ExportContext, id: string): string => `${publisherOf(context).namespace.replace(/\/+$/, '')}/vulnerabilities/${encodeURIComponent(id)}`;

/** `vulnerability--<uuid>` → `HUB-<uuid>`: the case's id in CSAF tracking and OSV. */
export const hubAdvisoryId = (id: string): string => `HUB-${id.replace(/^vulnerability--/, '')}`;

/** Whether the stage is one everyone sees (the advisory is public). */
export const isPublicStage = (stage: DisclosureStage): boolean => stage === 'PUBLISHED' || stage === 'PROOF_OF_CONCEPT_RELEASED';

/** One vendor's entry as the redaction shows it (`vendorId` null for viewers who may not see members). */
export interface ExportedVendorStatus {
  vendorId: string | null;
  /** The vendor's name as the affected products give it (the redacted view's). */
  vendorName?: string;
  status: VendorStatus;
  fixedIn: string | null;
  updatedAt: Date;
}

/**
 * What an exporter reads of a case: the redacted view's fields (`redactVulnerability`), no more.
 * The proof of concept is not among them: no export carries it (it is served by
 * `Vulnerability.proofOfConcept` alone), and an exporter cannot read what its type does not hold.
 */
export type ExportableCase = Pick<
  VulnerabilityDoc,
  '_id' | 'title' | 'summary' | 'severity' | 'cvss' | 'cwes' | 'cveId' | 'affected' | 'discovery' | 'credits' | 'technicalDetails' | 'suggestedFix' | 'exploited' | 'status' | 'publishedAt' | 'createdAt' | 'updatedAt'
> & { vendorStatuses: readonly ExportedVendorStatus[] };

/**
 * The status entry of an affected product's vendor, when the viewer sees one: matched by member id,
 * or by vendor name where the view withholds member ids (anonymous callers).
 */
export function vendorStatusOf(doc: ExportableCase, affected: AffectedProduct): ExportedVendorStatus | null {
  if (affected.vendorId) return doc.vendorStatuses.find((s) => s.vendorId === affected.vendorId) ?? null;
  return doc.vendorStatuses.find((s) => s.vendorId === null && s.vendorName !== undefined && s.vendorName === affected.vendorName) ?? null;
}
