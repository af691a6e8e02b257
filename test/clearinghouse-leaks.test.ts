/**
 * Adversarial review of the clearinghouse (issue 13): channels where a case, or a hidden part of
 * one, could reach a viewer that may not see it, beyond the leak matrix and the non-interference
 * suites. A real hub on port 0, real tokens; each case here was a question, and the ones that
 * were leaks were seen failing first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/domain/types.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const ROLES: Role[] = ['reader', 'publisher', 'approver', 'member-admin', 'coordinator', 'hub-admin'];
let t: TestHub;
const tok: Record<string, string> = {};
const token = (who: string): string => tok[who] as string;

beforeAll(async () => {
  t = await startTestHub({ config: { anonymousReads: true } });
  const members: Array<[string, 'CORE' | 'TRUSTED' | 'COMMUNITY', string]> = [
    ['lab', 'TRUSTED', 'LAB'],
    ['watch', 'COMMUNITY', 'AGENCY'], // a COMMUNITY member whose one coordinator works for the clearinghouse
    ['cert', 'CORE', 'AGENCY'],
    ['acme', 'COMMUNITY', 'VENDOR'],
    ['other', 'COMMUNITY', 'ENTERPRISE'],
    ['ops', 'CORE', 'AGENCY'],
    ['core-co', 'CORE', 'ENTERPRISE'],
    ['trusted-co', 'TRUSTED', 'ENTERPRISE'],
  ];
  for (const [id, tier, kind] of members) t.member(id, tier, { kind: kind as never, allowedRoles: ROLES });
  await new Promise((r) => setTimeout(r, 50));
  tok.reporter = await t.tokenAs('lab', 'rita@lab', ['reader', 'publisher']);
  tok.watchCoordinator = await t.tokenAs('watch', 'wes@watch', ['reader', 'coordinator']);
  tok.watchAdmin = await t.tokenAs('watch', 'wanda@watch', ['reader', 'member-admin']);
  tok.certCoordinator = await t.tokenAs('cert', 'cora@cert', ['reader', 'coordinator']);
  tok.acme = await t.tokenAs('acme', 'ann@acme', ['reader', 'publisher']);
  tok.acmeAdmin = await t.tokenAs('acme', 'adam@acme', ['reader', 'member-admin']);
  tok.other = await t.tokenAs('other', 'olga@other', ['reader', 'publisher']);
  tok.hubAdmin = await t.tokenAs('ops', 'root@ops', ['reader', 'hub-admin']);
  tok.core = await t.tokenAs('core-co', 'cy@core', ['reader']);
});
afterAll(() => t?.dispose());

const SUBMIT = `mutation ($input: VulnerabilityInput!) { submitVulnerability(input: $input) { id } }`;
const input = (product: string, over: Record<string, unknown> = {}) => ({
  title: `Heap overflow in ${product}`,
  summary: `A crafted frame overflows a heap buffer in ${product}.`,
  severity: 'HIGH',
  cwes: ['CWE-122'],
  affected: [{ vendorId: 'acme', vendorName: 'ACME', product, versions: '< 2.4.1' }],
  discovery: { method: 'AI_MODEL', model: { name: 'Orion-4', developer: 'lab' }, humanValidated: true },
  proofOfConcept: 'poc-bytes',
  technicalDetails: 'the length field is trusted',
  exploited: false,
  ...over,
});

async function ok(token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await t.gql(query, variables, { token });
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  return res.body.data;
}
const submit = async (product: string, over: Record<string, unknown> = {}) => (await ok(token('reporter'), SUBMIT, { input: input(product, over) })).submitVulnerability.id as string;
const validate = (id: string) => ok(token('certCoordinator'), `mutation($id: ID!) { validateVulnerability(id: $id, verdict: VALIDATED, reason: "reproduced") { id } }`, { id });
const AUDIT = `{ auditLog(first: 100) { totalCount edges { node { action memberId actor { memberId userId } target { kind id } summary details } } } }`;

describe('the audit log', () => {
  it("a member-admin never reads entries about cases its member may not see (a coordinator's steps go to the hub-level log, actor kept)", async () => {
    const invalid = await submit('audit-invalid');
    const validated = await submit('audit-validated');
    const dup = await submit('audit-dup');
    const before = (await ok(token('watchAdmin'), AUDIT)).auditLog;
    await ok(token('watchCoordinator'), `mutation($id: ID!) { validateVulnerability(id: $id, verdict: INVALID, reason: "not reproducible") { id } }`, { id: invalid });
    await ok(token('watchCoordinator'), `mutation($id: ID!) { validateVulnerability(id: $id, verdict: VALIDATED, reason: "reproduced") { id } }`, { id: validated });
    await ok(token('watchCoordinator'), `mutation($id: ID!, $end: DateTime!) { proposeEmbargo(id: $id, endsAt: $end, reason: "patch first") { id } }`, { id: validated, end: new Date(Date.now() + 30 * 86_400_000).toISOString() });
    await ok(token('watchCoordinator'), `mutation($id: ID!, $of: ID!) { markDuplicate(id: $id, of: $of, reason: "same flaw") { id } }`, { id: dup, of: validated });
    // watch is COMMUNITY: none of these cases is visible to its people.
    for (const id of [invalid, validated, dup]) expect((await ok(token('watchAdmin'), `query($id: ID!) { vulnerability(id: $id) { id } }`, { id })).vulnerability).toBeNull();
    const after = (await ok(token('watchAdmin'), AUDIT)).auditLog;
    expect(JSON.stringify(after)).not.toMatch(/vulnerability--/);
    expect(after.totalCount).toBe(before.totalCount);
    // A hub-admin still reads every step, with the coordinator who took it.
    const all = (await ok(token('hubAdmin'), AUDIT)).auditLog.edges.map((e: any) => e.node).filter((n: any) => [invalid, validated, dup].includes(n.target?.id) && n.actor?.userId === 'wes@watch');
    expect(all.map((n: any) => n.action).sort()).toEqual(['EMBARGO_PROPOSED', 'VULNERABILITY_DUPLICATE', 'VULNERABILITY_VALIDATED', 'VULNERABILITY_VALIDATED']);
  });

  it("a vendor's member-admin reads its own people's steps on a case it sees", async () => {
    const id = await submit('audit-vendor');
    await validate(id);
    await ok(token('acme'), `mutation($id: ID!) { acknowledgeVulnerability(id: $id, vendorId: "acme") { id } }`, { id });
    const entries = (await ok(token('acmeAdmin'), AUDIT)).auditLog.edges.map((e: any) => e.node).filter((n: any) => n.target?.id === id);
    expect(entries.map((n: any) => [n.action, n.memberId])).toEqual([['VULNERABILITY_ACKNOWLEDGED', 'acme']]);
  });
});

describe('the order of vulnerabilities', () => {
  const LIST = `query($after: String, $first: Int) { vulnerabilities(filter: { cwe: "CWE-787" }, first: $first, after: $after) { totalCount edges { cursor node { id updatedAt } } } }`;
  it("does not move for a CORE viewer when a step it cannot see is taken (a vendor's acknowledgement), and a cursor keeps its place", async () => {
    const older = await submit('order-older', { cwes: ['CWE-787'] });
    await validate(older);
    const newer = await submit('order-newer', { cwes: ['CWE-787'] });
    await validate(newer);
    const before = (await ok(token('core'), LIST, { first: 10 })).vulnerabilities;
    expect(before.edges.map((e: any) => e.node.id)).toEqual([newer, older]);
    const firstPage = (await ok(token('core'), LIST, { first: 1 })).vulnerabilities;
    // The vendor acknowledges the older case: only the case's parties see acknowledgements.
    await ok(token('acme'), `mutation($id: ID!) { acknowledgeVulnerability(id: $id, vendorId: "acme") { id } }`, { id: older });
    const after = (await ok(token('core'), LIST, { first: 10 })).vulnerabilities;
    expect(after).toEqual(before);
    const next = (await ok(token('core'), LIST, { first: 10, after: firstPage.edges[0].cursor })).vulnerabilities;
    expect(next.edges.map((e: any) => e.node.id)).toEqual([older]);
  });
});

describe('a hidden case and a missing id', () => {
  const MISSING = 'vulnerability--00000000-0000-4000-8000-000000000000';
  const STEPS: Array<[string, string]> = [
    ['acknowledge', `mutation($id: ID!) { acknowledgeVulnerability(id: $id, vendorId: "other") { id } }`],
    ['setVendorStatus', `mutation($id: ID!) { setVendorStatus(id: $id, vendorId: "other", status: FIXED, fixedIn: "1.0") { id } }`],
    ['acceptEmbargo', `mutation($id: ID!) { acceptEmbargo(id: $id) { id } }`],
    ['rejectEmbargo', `mutation($id: ID!) { rejectEmbargo(id: $id, reason: "no") { id } }`],
    ['validate', `mutation($id: ID!) { validateVulnerability(id: $id, verdict: VALIDATED, reason: "r") { id } }`],
    ['proposeEmbargo', `mutation($id: ID!) { proposeEmbargo(id: $id, endsAt: "2099-01-01T00:00:00Z", reason: "r") { id } }`],
    ['publish', `mutation($id: ID!) { publishVulnerability(id: $id) { id } }`],
    ['markDuplicate', `mutation($id: ID!) { markDuplicate(id: $id, of: $id, reason: "r") { id } }`],
    ['requestEmbargoLift', `mutation($id: ID!) { requestEmbargoLift(noticeId: $id, reason: "r") { id } }`],
    ['vulnerability', `query($id: ID!) { vulnerability(id: $id) { id } }`],
    ['node', `query($id: ID!) { node(id: $id) { id } }`],
    ['nodes', `query($id: ID!) { nodes(ids: [$id]) { id } }`],
  ];
  it('answer the same, word for word and with the same extensions, to a member that may not see the case (RECEIVED, and VALIDATED for a COMMUNITY member)', async () => {
    const received = await submit('hidden-received');
    const validated = await submit('hidden-validated');
    await validate(validated);
    const other = await t.tokenAs('other', 'oz@other', ['reader', 'publisher', 'approver', 'member-admin']);
    for (const hidden of [received, validated]) {
      for (const [name, query] of STEPS) {
        const a = await t.gql(query, { id: hidden }, { token: other });
        const b = await t.gql(query, { id: MISSING }, { token: other });
        const norm = (body: unknown, id: string) => JSON.stringify(body).split(id).join('<id>');
        expect(norm(a.body, hidden), name).toBe(norm(b.body, MISSING));
        expect(a.status, name).toBe(b.status);
      }
    }
  });
});

describe('approval requests about a case', () => {
  const LIST = `{ approvalRequests(first: 50) { totalCount edges { node { id kind target { kind id } } } } }`;
  it('a PUBLISH_VULNERABILITY request is listed to its requester and other coordinators only, never to approvers or admins of the reporter or of other members', async () => {
    const id = await submit('approval-early');
    await validate(id);
    const labApprover = await t.tokenAs('lab', 'abe@lab', ['reader', 'approver', 'member-admin']);
    const coreApprover = await t.tokenAs('core-co', 'ada@core', ['reader', 'approver', 'member-admin']);
    const before = await Promise.all([labApprover, coreApprover].map(async (w) => (await ok(w, LIST)).approvalRequests));
    const early = await t.gql(`mutation($id: ID!) { publishVulnerability(id: $id) { id } }`, { id }, { token: token('certCoordinator') });
    expect(early.body.errors?.[0]?.extensions?.code).toBe('APPROVAL_REQUIRED');
    const requestId = early.body.errors?.[0]?.extensions?.requestId as string;
    const after = await Promise.all([labApprover, coreApprover].map(async (w) => (await ok(w, LIST)).approvalRequests));
    expect(after).toEqual(before);
    const seen = (await ok(token('watchCoordinator'), LIST)).approvalRequests.edges.map((e: any) => e.node);
    expect(seen).toContainEqual({ id: requestId, kind: 'PUBLISH_VULNERABILITY', target: { kind: 'VULNERABILITY', id } });
  });
});

describe('filters an anonymous caller uses', () => {
  it('the vendor filter (member ids) answers an anonymous caller the same for a member that is an affected vendor of a published case and for an id nobody registered', async () => {
    const id = await submit('anon-vendor');
    await validate(id);
    await ok(token('acme'), `mutation($id: ID!) { setVendorStatus(id: $id, vendorId: "acme", status: FIXED, fixedIn: "2.4.1") { id } }`, { id });
    await ok(token('certCoordinator'), `mutation($id: ID!) { publishVulnerability(id: $id) { id } }`, { id });
    const LIST = `query($v: [ID!]) { vulnerabilities(filter: { vendor: $v, product: "anon-vendor" }, first: 5) { totalCount edges { node { id affected { vendor { id } vendorName } } } } }`;
    // The case is public, its member vendor is not: an anonymous caller reads vendor null.
    const all = await t.gql(LIST, {});
    expect(all.body.data.vulnerabilities.edges.map((e: any) => e.node)).toEqual([{ id, affected: [{ vendor: null, vendorName: 'ACME' }] }]);
    const member = await t.gql(LIST, { v: ['acme'] });
    const nobody = await t.gql(LIST, { v: ['no-such-member'] });
    expect(JSON.stringify(member.body)).toBe(JSON.stringify(nobody.body));
    expect(member.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    // Members, who see member ids, still filter by vendor.
    expect((await ok(token('other'), LIST, { v: ['acme'] })).vulnerabilities.totalCount).toBe(1);
  });
});

describe("a vendor's step only the parties see", () => {
  it('changes nothing of what a TRUSTED member reads of a FIX_AVAILABLE case, its exports included (the CSAF remediation date)', async () => {
    const id = await submit('vendor-note');
    await validate(id);
    const SET = `mutation($id: ID!, $note: String) { setVendorStatus(id: $id, vendorId: "acme", status: FIXED, fixedIn: "2.4.1", note: $note) { status } }`;
    expect((await ok(token('acme'), SET, { id, note: 'first advisory' })).setVendorStatus.status).toBe('FIX_AVAILABLE');
    const viewer = await t.tokenAs('trusted-co', 'tia@trusted', ['reader']);
    const READ = `query($id: ID!) { vulnerability(id: $id) { id status updatedAt vendorStatuses { vendor { id } status fixedIn } csaf osv cveRecord stix } }`;
    const before = await ok(viewer, READ, { id });
    expect(before.vulnerability.status).toBe('FIX_AVAILABLE');
    await new Promise((r) => setTimeout(r, 5));
    await ok(token('acme'), SET, { id, note: 'advisory revised' });
    // The CSAF generator's date is the time of the answer, the one thing allowed to differ.
    const generated = (v: any) => ({ ...v, vulnerability: { ...v.vulnerability, csaf: { ...v.vulnerability.csaf, document: { ...v.vulnerability.csaf.document, tracking: { ...v.vulnerability.csaf.document.tracking, generator: null } } } } });
    expect(generated(await ok(viewer, READ, { id }))).toEqual(generated(before));
  });
});

describe('people and members that leave', () => {
  const SEE = `query($id: ID!) { vulnerability(id: $id) { id } }`;
  it("a coordinator whose role is revoked, or who is suspended, no longer sees a case; the token of an offboarded vendor is refused", async () => {
    const id = await submit('leavers');
    const certAdmin = await t.tokenAs('cert', 'adele@cert', ['reader', 'member-admin']);
    const revoked = await t.tokenAs('cert', 'rex@cert', ['reader', 'coordinator']);
    const suspended = await t.tokenAs('cert', 'sue@cert', ['reader', 'coordinator']);
    expect((await ok(revoked, SEE, { id })).vulnerability).toEqual({ id });
    expect((await ok(suspended, SEE, { id })).vulnerability).toEqual({ id });
    await ok(certAdmin, `mutation { revokeRole(personId: "rex@cert", role: "coordinator", reason: "left the team") { id } }`);
    expect((await ok(revoked, SEE, { id })).vulnerability).toBeNull();
    await ok(certAdmin, `mutation { suspendPerson(personId: "sue@cert", reason: "on leave") { id } }`);
    const refused = await t.gql(SEE, { id }, { token: suspended });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(refused.body)).not.toContain(id);
    // A vendor notified of a case, then offboarded: its people's tokens are refused.
    await validate(id);
    const vendor = await t.tokenAs('acme', 'vic@acme', ['reader']);
    expect((await ok(vendor, SEE, { id })).vulnerability).toEqual({ id });
    await ok(token('hubAdmin'), `mutation { offboardMember(id: "acme", reason: "left the hub") { id } }`);
    const gone = await t.gql(SEE, { id }, { token: vendor });
    expect(gone.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(gone.body)).not.toContain(id);
  });
});

describe('TAXII', () => {
  const VULNS = '62b4e6f9-25cd-475b-92a1-5cfd3c0577d7';
  const MISSING = 'vulnerability--00000000-0000-4000-8000-0000000000aa';
  async function taxii(path: string, who: string | null) {
    const origin = t.url.replace(/\/graphql$/, '');
    const res = await fetch(`${origin}/taxii2/hub/collections/${VULNS}/${path}`, {
      headers: { accept: 'application/taxii+json;version=2.1', ...(who ? { authorization: `Bearer ${who}` } : {}) },
    });
    const headers = Object.fromEntries([...res.headers].filter(([k]) => k.startsWith('x-taxii') || k === 'content-type'));
    return { status: res.status, headers, body: await res.text() };
  }
  it('a case the viewer may not see: objects, versions and manifest by id answer as for a missing id; listing headers do not move when one is validated', async () => {
    const viewer = await t.tokenAs('other', 'tess@other', ['reader']);
    const id = await submit('taxii-hidden', { affected: [{ vendorName: 'Nobody', product: 'taxii-hidden', versions: '< 1' }] });
    const before = await Promise.all(['objects/', 'manifest/'].map((p) => taxii(p, viewer)));
    await validate(id); // CORE now sees it; a COMMUNITY member does not
    const after = await Promise.all(['objects/', 'manifest/'].map((p) => taxii(p, viewer)));
    expect(after).toEqual(before);
    for (const path of ['objects/<id>/', 'objects/<id>/versions/', 'manifest/?match[id]=<id>', 'objects/?match[id]=<id>']) {
      const hidden = await taxii(path.replace('<id>', id), viewer);
      const missing = await taxii(path.replace('<id>', MISSING), viewer);
      expect({ ...hidden, body: hidden.body.split(id).join('<id>') }, path).toEqual({ ...missing, body: missing.body.split(MISSING).join('<id>') });
    }
  });
});
