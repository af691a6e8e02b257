import type { AffectedProduct, DisclosureStage } from '../domain/vulnerability.js';
import { compact } from '../stix/stix-object.js';
import { tlpLabel } from '../stix/tlp-markings.js';
import { cvssJson } from './cvss-json.js';
import { CWE_VERSION, cweName } from './cwe-names.js';
import { exportCredits } from './export-credits.js';
import { parsePackageUrl } from './package-url.js';
import { toVers } from './version-range.js';
import { caseUrl, hubAdvisoryId, isPublicStage, publisherOf, vendorStatusOf, type ExportableCase, type ExportContext, type ExportedVendorStatus } from './export-context.js';

export const CSAF_SCHEMA_URL = 'https://docs.oasis-open.org/csaf/csaf/v2.1/schema/csaf.json';

/** CSAF's document status by stage: a draft until vendors fix, interim while the fix is out under embargo, final once published. */
const TRACKING_STATUS: Record<DisclosureStage, 'draft' | 'interim' | 'final'> = {
  RECEIVED: 'draft',
  VALIDATED: 'draft',
  FIX_AVAILABLE: 'interim',
  PUBLISHED: 'final',
  PROOF_OF_CONCEPT_RELEASED: 'final',
};

type Json = Record<string, unknown>;

/**
 * A CSAF 2.1 security advisory of the case as the viewer may see it (`Vulnerability.csaf`).
 * `doc` is the redacted case (see `ExportContext`): technical details, the mitigation (from
 * `suggestedFix`) and vendor statuses appear only when the redaction left them. The proof of
 * concept is never exported: it is served by `Vulnerability.proofOfConcept` alone.
 */
export function toCsaf(doc: ExportableCase, context: ExportContext): Json {
  const publisher = publisherOf(context);
  const products = productTree(doc);
  const all = products.flatMap((p) => [p.affectedId]);
  const published = isPublicStage(context.stage) && doc.publishedAt;
  const revisions = revisionHistory(doc, context.stage);
  const known = doc.cwes.filter((id) => cweName(id));
  const unknown = doc.cwes.filter((id) => !cweName(id));
  const credits = exportCredits(doc.credits, doc.discovery);

  const vulnerability: Json = compact({
    cve: doc.cveId ?? undefined,
    ids: [{ system_name: publisher.name, text: hubAdvisoryId(doc._id) }],
    title: doc.title,
    cwes: known.map((id) => ({ id, name: cweName(id)!, version: CWE_VERSION })),
    notes: [
      { category: 'summary', title: 'Summary', text: doc.summary },
      ...(doc.technicalDetails ? [{ category: 'details', title: 'Technical details', text: doc.technicalDetails }] : []),
      ...(unknown.length ? [{ category: 'other', title: 'Weaknesses (CWE)', text: unknown.join(', ') }] : []),
    ],
    metrics: doc.cvss ? [{ content: { [doc.cvss.version === '4.0' ? 'cvss_v4' : 'cvss_v3']: cvssJson(doc.cvss) }, products: all }] : undefined,
    product_status: productStatus(products),
    remediations: remediations(doc, products),
    threats: doc.exploited ? [{ category: 'exploit_status', details: 'Exploitation has been reported to the hub.', product_ids: all }] : undefined,
    acknowledgments: credits.map((c) => ({ names: [c.name], summary: c.type.toLowerCase().replace(/_/g, ' ') })),
    disclosure_date: published ? doc.publishedAt!.toISOString() : undefined,
    references: [{ category: 'self', summary: 'The case on the hub', url: caseUrl(context, doc._id) }],
  });

  return {
    $schema: CSAF_SCHEMA_URL,
    document: compact({
      category: 'csaf_security_advisory',
      csaf_version: '2.1',
      lang: 'en',
      title: doc.title,
      distribution: { tlp: { label: tlpLabel(context.tlp), url: 'https://www.first.org/tlp/' } },
      publisher: { category: 'coordinator', name: publisher.name, namespace: publisher.namespace },
      tracking: {
        id: hubAdvisoryId(doc._id),
        status: TRACKING_STATUS[context.stage],
        version: revisions[revisions.length - 1]!.number,
        revision_history: revisions,
        initial_release_date: revisions[0]!.date,
        current_release_date: revisions[revisions.length - 1]!.date,
        generator: { engine: { name: publisher.name }, date: context.now.toISOString() },
      },
      notes: [{ category: 'summary', title: 'Summary', text: doc.summary }],
      references: [{ category: 'self', summary: 'The case on the hub', url: caseUrl(context, doc._id) }],
      acknowledgments: credits.length ? vulnerability.acknowledgments : undefined,
    }),
    product_tree: products.length ? { branches: branches(products) } : undefined,
    vulnerabilities: [vulnerability],
  };
}

interface TreeProduct {
  affected: AffectedProduct;
  /** The vendor's status entry, when the viewer sees it. */
  status: ExportedVendorStatus | null;
  affectedId: string;
  /** The fixed version's product, when the vendor is FIXED in a named version. */
  fixed: { id: string; version: string } | null;
}

function productTree(doc: ExportableCase): TreeProduct[] {
  return doc.affected.map((affected, i) => {
    const status = vendorStatusOf(doc, affected);
    const fixedIn = status?.status === 'FIXED' ? status.fixedIn : null;
    return {
      affected,
      status,
      affectedId: `CSAFPID-${i + 1}`,
      fixed: fixedIn ? { id: `CSAFPID-${i + 1}-FIXED`, version: fixedIn } : null,
    };
  });
}

/** vendor > product name > version range (and the fixed version), as CSAF's branches. */
function branches(products: TreeProduct[]): Json[] {
  const vendors = new Map<string, Map<string, TreeProduct[]>>();
  for (const p of products) {
    const byProduct = vendors.get(p.affected.vendorName) ?? new Map<string, TreeProduct[]>();
    vendors.set(p.affected.vendorName, byProduct);
    byProduct.set(p.affected.product, [...(byProduct.get(p.affected.product) ?? []), p]);
  }
  return [...vendors].map(([vendor, byProduct]) => ({
    category: 'vendor',
    name: vendor,
    branches: [...byProduct].map(([product, entries]) => ({
      category: 'product_name',
      name: product,
      branches: entries.flatMap((p) => [
        {
          category: 'product_version_range',
          // CSAF 2.1 wants a vers range; text the hub cannot read as bounds stays as written.
          name: toVers(p.affected.versions, p.affected.purl ? (parsePackageUrl(p.affected.purl)?.type ?? null) : null) ?? p.affected.versions,
          product: compact({
            name: `${vendor} ${product} ${p.affected.versions}`,
            product_id: p.affectedId,
            product_identification_helper: helper(p.affected),
          }),
        },
        ...(p.fixed
          ? [{ category: 'product_version', name: p.fixed.version, product: { name: `${vendor} ${product} ${p.fixed.version}`, product_id: p.fixed.id } }]
          : []),
      ]),
    })),
  }));
}

function helper(a: AffectedProduct): Json | undefined {
  const h = compact({ purls: a.purl ? [a.purl] : undefined, cpe: a.cpe ?? undefined });
  return Object.keys(h).length ? h : undefined;
}

/**
 * From the vendor statuses the viewer sees: NOT_AFFECTED → known_not_affected, FIXED → the range
 * known_affected and the fixed version fixed, UNKNOWN → under_investigation; a product whose vendor's
 * status the viewer does not see (or that has none: not a member) is known_affected, as reported.
 */
function productStatus(products: TreeProduct[]): Json | undefined {
  const lists: Record<string, string[]> = { known_affected: [], known_not_affected: [], fixed: [], under_investigation: [] };
  for (const p of products) {
    const status = p.status?.status;
    if (status === 'NOT_AFFECTED') lists.known_not_affected!.push(p.affectedId);
    else if (status === 'UNKNOWN') lists.under_investigation!.push(p.affectedId);
    else lists.known_affected!.push(p.affectedId);
    if (p.fixed) lists.fixed!.push(p.fixed.id);
  }
  const out = compact(lists);
  return Object.keys(out).length ? out : undefined;
}

function remediations(doc: ExportableCase, products: TreeProduct[]): Json[] | undefined {
  const out: Json[] = products
    .filter((p) => p.status?.status === 'FIXED')
    .map((p) =>
      compact({
        category: 'vendor_fix',
        details: p.fixed ? `Fixed in ${p.fixed.version}.` : 'The vendor reports a fix.',
        date: p.status!.updatedAt.toISOString(),
        product_ids: [p.affectedId],
      }),
    );
  const affected = products.filter((p) => p.status?.status !== 'NOT_AFFECTED').map((p) => p.affectedId);
  if (doc.suggestedFix && affected.length) out.push({ category: 'mitigation', details: doc.suggestedFix, product_ids: affected });
  return out.length ? out : undefined;
}

/**
 * The hub keeps one version of a case, so the history is its milestones: the report, the
 * publication (when public), and the last change when it came later. Integer versions.
 */
function revisionHistory(doc: ExportableCase, stage: DisclosureStage): Array<{ date: string; number: string; summary: string }> {
  const entries = [{ date: doc.createdAt, summary: 'Initial version: the report as received.' }];
  if (isPublicStage(stage) && doc.publishedAt && doc.publishedAt > doc.createdAt) entries.push({ date: doc.publishedAt, summary: 'Published.' });
  const last = entries[entries.length - 1]!.date;
  if (doc.updatedAt > last) entries.push({ date: doc.updatedAt, summary: 'Updated.' });
  return entries.map((e, i) => ({ date: e.date.toISOString(), number: String(i + 1), summary: e.summary }));
}
