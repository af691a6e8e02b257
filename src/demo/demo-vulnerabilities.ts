/**
 * The demo's clearinghouse (issue 13, docs/clearinghouse.md "The demo's cases"): demo-lab reports
 * three flaws its model found, against the two demo vendors, and the demo seeds them through the
 * clearinghouse's own services to three different stages, so that every audience has something
 * to look at:
 *
 * - `gatewayd`: exploited, validated, demo-vendor-a notified and under an ACTIVE embargo it accepted;
 * - a second report of the same `gatewayd` flaw, closed as its duplicate;
 * - `imgparse`: fixed by demo-vendor-b and published, its proof of concept still withheld
 *   (`HUB_POC_DELAY` after publication).
 *
 * Everything is fictional: the products, people and CVE id (year 2099) do not exist, and the
 * "proofs of concept" are descriptions, not exploits.
 */
import { modelName } from '../advisories/export-credits.js';
import type { Services } from '../context.js';
import type { MemberTier, Role } from '../domain/types.js';
import type { VulnerabilityInput } from '../domain/vulnerability.js';
import type { Viewer } from '../policy/policy.js';
import { DEMO_AGENCY, DEMO_COORDINATOR, DEMO_LAB, DEMO_VENDOR_A, DEMO_VENDOR_B } from './demo-data.js';

const DAY = 86_400_000;
const LAB_NAME = 'Demo Frontier AI Lab';
const ORION = { name: 'Orion-4', developer: LAB_NAME, version: '4.0-rc1' };
/** The model's TOOL credit, named as the exports name it (so that they do not add it a second time). */
const ORION_CREDIT = { name: modelName(ORION), type: 'TOOL' } as const;

/** The three reports, in the order demo-lab submits them (the duplicate after its original, so coordinators see it flagged). */
export function demoVulnerabilities(): { exploited: VulnerabilityInput; duplicate: VulnerabilityInput; published: VulnerabilityInput } {
  const gatewayd = {
    vendorId: DEMO_VENDOR_A,
    vendorName: 'Demo Network Appliances Vendor',
    product: 'gatewayd',
    versions: '>= 5.0.0, < 5.3.2',
    purl: 'pkg:generic/demo-network-appliances/gatewayd@5.3.1',
  };
  return {
    exploited: {
      idempotencyKey: 'demo-seed-gatewayd',
      title: 'Authentication bypass in gatewayd session resumption',
      summary:
        'A crafted session-resumption ticket makes the gatewayd VPN daemon accept a session for any user without a ' +
        'password. Exploitation against internet-facing gateways has been observed.',
      severity: 'CRITICAL',
      cvss: { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
      cwes: ['CWE-287'],
      affected: [gatewayd],
      discovery: { method: 'AI_MODEL', model: ORION, humanValidated: true },
      credits: [
        ORION_CREDIT,
        { name: 'R. Okafor, Demo Frontier AI Lab', type: 'FINDER' },
      ],
      proofOfConcept: 'DEMO PROOF OF CONCEPT (gatewayd): replay a resumption ticket whose user field was edited; the daemon skips the password check.',
      technicalDetails: 'The resumption handler checks the ticket MAC before, not after, decoding the user field, so an edited field is trusted.',
      suggestedFix: 'Verify the ticket MAC over the decoded fields; until fixed, disable session resumption (resume = off).',
      exploited: true,
    },
    duplicate: {
      idempotencyKey: 'demo-seed-gatewayd-again',
      title: 'gatewayd accepts edited session tickets',
      summary: 'A second evaluation run found gatewayd trusting the user named in an edited session-resumption ticket.',
      severity: 'CRITICAL',
      cvss: { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
      cwes: ['CWE-287'],
      affected: [gatewayd],
      discovery: { method: 'AI_MODEL', model: ORION, humanValidated: false },
      credits: [ORION_CREDIT, { name: 'J. Lindqvist, Demo Frontier AI Lab', type: 'FINDER' }],
      proofOfConcept: 'DEMO PROOF OF CONCEPT (gatewayd, second run): the same edited ticket, sent twice.',
      exploited: false,
    },
    published: {
      idempotencyKey: 'demo-seed-imgparse',
      title: 'Heap overflow in imgparse palette decoding',
      summary:
        'A crafted image with an oversized palette chunk overflows a heap buffer in imgparse, reachable from any ' +
        'service that decodes untrusted images. Fixed in imgparse 3.2.1.',
      severity: 'HIGH',
      cvss: { vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' },
      cwes: ['CWE-122'],
      cveId: 'CVE-2099-0042',
      affected: [
        {
          vendorId: DEMO_VENDOR_B,
          vendorName: 'Demo Open Source Imaging Project',
          product: 'imgparse',
          versions: '>= 3.0.0, < 3.2.1',
          purl: 'pkg:pypi/demo-imgparse@3.2.0',
        },
      ],
      discovery: { method: 'AI_MODEL', model: ORION, humanValidated: true },
      credits: [
        ORION_CREDIT,
        { name: 'A. Moreau, Demo Frontier AI Lab', type: 'FINDER' },
      ],
      proofOfConcept: 'DEMO PROOF OF CONCEPT (imgparse): a 1x1 PNG whose PLTE chunk declares 4096 entries.',
      technicalDetails: 'decode_palette() sizes its buffer from the image bit depth but copies as many entries as the chunk declares.',
      suggestedFix: 'Upgrade to imgparse 3.2.1, which bounds the copy by the allocated entries.',
      exploited: false,
    },
  };
}

const person = (memberId: string, userId: string, roles: Role[], tier: MemberTier): Viewer => ({ kind: 'member', memberId, userId, roles, tier });

/**
 * Seeds the three cases through the clearinghouse's services, as the demo's people (so every step
 * is audited and announced as it would be live). `relatedNoticeId`: demo-lab's notice of category
 * AI_FOUND_VULNERABILITY, linked from the published case. Answers the cases' ids.
 */
export async function seedDemoVulnerabilities(services: Services, now: Date, relatedNoticeId: string | null): Promise<{ exploited: string; duplicate: string; published: string }> {
  const lab = person(DEMO_LAB, `cli@${DEMO_LAB}`, ['reader', 'publisher'], 'CORE');
  const coordinator = person(DEMO_AGENCY, DEMO_COORDINATOR, ['reader', 'coordinator'], 'CORE');
  const vendorA = person(DEMO_VENDOR_A, `cli@${DEMO_VENDOR_A}`, ['reader', 'publisher'], 'COMMUNITY');
  const vendorB = person(DEMO_VENDOR_B, `cli@${DEMO_VENDOR_B}`, ['reader', 'publisher'], 'COMMUNITY');
  const { vulnerabilities: intake, vulnerabilityWorkflow: wf } = services;
  const input = demoVulnerabilities();

  const exploited = (await intake.submit(lab, input.exploited))._id;
  const published = (await intake.submit(lab, { ...input.published, relatedNoticeIds: relatedNoticeId ? [relatedNoticeId] : [] }))._id;
  const duplicate = (await intake.submit(lab, input.duplicate))._id;

  // Exploited: validated (demo-vendor-a notified, a 7-day deadline), the vendor confirms, an embargo it accepts holds publication back.
  await wf.validate(coordinator, exploited, 'VALIDATED', 'Reproduced against gatewayd 5.3.1 in the agency lab; exploitation confirmed by two incident reports.');
  await wf.setVendorStatus(vendorA, exploited, DEMO_VENDOR_A, 'AFFECTED', null, 'Fix in testing, release planned within three weeks.');
  await wf.proposeEmbargo(coordinator, exploited, new Date(now.getTime() + 21 * DAY), 'Coordinated release of gatewayd 5.3.2 and the advisory.');
  await wf.acceptEmbargo(vendorA, exploited);

  // The second report of the same flaw: closed as a duplicate of the first.
  await wf.markDuplicate(coordinator, duplicate, exploited, 'Same resumption-ticket flaw in gatewayd as the earlier report.');

  // Fixed and published: validated, demo-vendor-b ships 3.2.1 (FIX_AVAILABLE), a coordinator publishes.
  await wf.validate(coordinator, published, 'VALIDATED', 'Crash reproduced under AddressSanitizer on imgparse 3.2.0.');
  await wf.acknowledge(vendorB, published, DEMO_VENDOR_B);
  await wf.setVendorStatus(vendorB, published, DEMO_VENDOR_B, 'FIXED', '3.2.1', 'Released with the fix and a regression test.');
  await wf.publish(coordinator, published);

  return { exploited, duplicate, published };
}
