import type { Tlp } from '../domain/types.js';
import type { DisclosureStage } from '../domain/vulnerability.js';

/**
 * What every export of a case needs besides the case itself. The case handed to an exporter is
 * always the one `redactVulnerability(doc, viewer, now)` returned for the viewer: a field the viewer
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

/** TLP 2.0 as CSAF and FIRST spell it (`AMBER+STRICT`). */
export const tlpLabel = (tlp: Tlp): string => (tlp === 'AMBER_STRICT' ? 'AMBER+STRICT' : tlp);
