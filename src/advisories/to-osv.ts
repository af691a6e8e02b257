import type { AffectedProduct } from '../domain/vulnerability.js';
import { compact } from '../stix/stix-object.js';
import { exportCredits } from './export-credits.js';
import { caseUrl, hubAdvisoryId, isPublicStage, vendorStatusOf, type ExportableCase, type ExportContext } from './export-context.js';
import { osvPackage } from './package-url.js';
import { parseVersionRange } from './version-range.js';

export const OSV_SCHEMA_VERSION = '1.7.0';

type Json = Record<string, unknown>;

/**
 * An OSV 1.7 record of the case as the viewer may see it (`Vulnerability.osv`). Its id is the hub's
 * (`x_HUB-<uuid>`: OSV reserves unregistered databases the `x_` prefix), the CVE an alias; the
 * model that found the flaw is credited as TOOL. Technical details join `details` only when the
 * redaction left them.
 */
export function toOsv(doc: ExportableCase, context: ExportContext): Json {
  const details = [doc.summary, doc.technicalDetails ? `## Technical details\n\n${doc.technicalDetails}` : null].filter(Boolean).join('\n\n');
  return compact({
    schema_version: OSV_SCHEMA_VERSION,
    id: `x_${hubAdvisoryId(doc._id)}`,
    modified: doc.updatedAt.toISOString(),
    published: isPublicStage(context.stage) && doc.publishedAt ? doc.publishedAt.toISOString() : undefined,
    withdrawn: doc.status === 'INVALID' ? doc.updatedAt.toISOString() : undefined,
    aliases: doc.cveId ? [doc.cveId] : undefined,
    summary: doc.title,
    details,
    severity: doc.cvss ? [{ type: doc.cvss.version === '4.0' ? 'CVSS_V4' : 'CVSS_V3', score: doc.cvss.vector }] : undefined,
    affected: doc.affected.map((a) => affectedEntry(doc, a)),
    references: [{ type: 'ADVISORY', url: caseUrl(context, doc._id) }],
    credits: exportCredits(doc.credits, doc.discovery),
    database_specific: {
      hub: compact({
        id: doc._id,
        stage: context.stage,
        status: doc.status,
        tlp: context.tlp,
        severity: doc.severity,
        cwe_ids: doc.cwes,
        exploited: doc.exploited,
        discovery: compact({ method: doc.discovery.method, model: doc.discovery.model ?? undefined, human_validated: doc.discovery.humanValidated }),
        mitigation: doc.suggestedFix ?? undefined,
      }),
    },
  });
}

function affectedEntry(doc: ExportableCase, a: AffectedProduct): Json {
  const pkg = a.purl ? osvPackage(a.purl) : null;
  const status = vendorStatusOf(doc, a);
  const range = parseVersionRange(a.versions);
  const events: Json[] = [];
  // OSV ranges belong to a package's ecosystem; without one the range stays text in database_specific.
  if (pkg && range && !range.exact) {
    events.push({ introduced: range.introduced ?? '0' });
    const fixed = range.fixed ?? (status?.status === 'FIXED' ? status.fixedIn : null);
    if (fixed) events.push({ fixed });
    else if (range.lastAffected) events.push({ last_affected: range.lastAffected });
  }
  return compact({
    package: pkg ?? undefined,
    ranges: events.length ? [{ type: 'ECOSYSTEM', events }] : undefined,
    versions: pkg && range?.exact ? [range.exact] : undefined,
    database_specific: compact({
      vendor: a.vendorName,
      product: a.product,
      versions: a.versions,
      cpe: a.cpe ?? undefined,
      purl: !pkg && a.purl ? a.purl : undefined,
      vendor_status: status?.status,
      fixed_in: status?.fixedIn ?? undefined,
    }),
  });
}
