/**
 * The clearinghouse's intake and reads (issue 13): submitVulnerability's validation (each error
 * names its field), CVSS scored by the library, the queries, and who sees what at each stage,
 * through a real hub with real tokens and a controlled clock. Stages after RECEIVED are set
 * through the store, as the workflow's steps would leave them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/domain/types.js';
import type { VulnerabilityDoc } from '../src/domain/vulnerability.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const DAY = 86_400_000;
// Near the real time: idempotency keys expire by the store's clock.
let clock = Date.now();

const SUBMIT = /* GraphQL */ `
  mutation Submit($input: VulnerabilityInput!) {
    submitVulnerability(input: $input) {
      id title status cvss { version vector baseScore } cwes cveId tlp
      affected { vendorName product versions purl cpe vendor { id } }
      discovery { method model { name developer version } humanValidated }
      credits { name type } proofOfConcept technicalDetails suggestedFix exploited
      vendorStatuses { vendor { id } status notifiedAt queuedAt }
      disclosure { stage nextStage nextStageAt deadlineAt }
      reporter { id } possibleDuplicates { id } relatedNotices { id }
    }
  }`;

const VIEW = /* GraphQL */ `
  query One($id: ID!) {
    vulnerability(id: $id) {
      id title summary severity status tlp cwes exploited
      proofOfConcept technicalDetails suggestedFix credits { name type }
      affected { vendorName product vendor { id } }
      vendorStatuses { vendor { id } status fixedIn notifiedAt queuedAt }
      validation { verdict reason }
      reporter { id } possibleDuplicates { id } duplicateOf { id }
      embargo { state endsAt }
      disclosure { stage nextStage nextStageAt }
    }
  }`;

const LIST = /* GraphQL */ `
  query List($filter: VulnerabilityFilter, $first: Int, $after: String) {
    vulnerabilities(filter: $filter, first: $first, after: $after) {
      totalCount edges { cursor node { id title } } pageInfo { hasNextPage endCursor }
    }
  }`;

const input = (over: Record<string, unknown> = {}) => ({
  title: 'Heap overflow in Widget Server',
  summary: 'A crafted request overflows a heap buffer.',
  severity: 'CRITICAL',
  cvss: { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
  cwes: ['CWE-787'],
  affected: [{ vendorId: 'vendor-a', vendorName: 'Vendor A', product: 'Widget Server', versions: '< 2.4.1', purl: 'pkg:npm/widget-server@2.4.0' }],
  discovery: { method: 'AI_MODEL', model: { name: 'Finder', developer: 'Lab', version: '1' }, humanValidated: true },
  credits: [{ name: 'Finder 1', type: 'TOOL' }, { name: 'A. Analyst', type: 'FINDER' }],
  proofOfConcept: 'POC-SECRET',
  technicalDetails: 'DETAILS-SECRET',
  suggestedFix: 'FIX-SECRET',
  ...over,
});

let t: TestHub;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestHub({ config: { anonymousReads: true }, start: { clock: () => clock } });
  const roles: Role[] = ['reader', 'publisher', 'approver', 'member-admin', 'coordinator'];
  t.member('lab', 'COMMUNITY', { allowedRoles: roles });
  t.member('other-lab', 'COMMUNITY', { allowedRoles: roles });
  t.member('cert', 'CORE', { allowedRoles: roles });
  t.member('vendor-a', 'COMMUNITY', { kind: 'VENDOR', allowedRoles: roles });
  t.member('vendor-b', 'COMMUNITY', { kind: 'VENDOR', allowedRoles: roles });
  t.member('core', 'CORE');
  t.member('trusted', 'TRUSTED');
  t.member('community', 'COMMUNITY');
  t.member('gone', 'COMMUNITY', { status: 'SUSPENDED' });
  await t.member('gone', 'COMMUNITY', { status: 'SUSPENDED' }).token().catch(() => undefined);
  tokens.reporter = await t.tokenAs('lab', 'alice@lab', ['reader', 'publisher']);
  tokens.otherReporter = await t.tokenAs('other-lab', 'bob@other-lab', ['reader', 'publisher']);
  tokens.coordinator = await t.tokenAs('cert', 'carol@cert', ['reader', 'coordinator']);
  tokens.certReader = await t.tokenAs('cert', 'dave@cert', ['reader']);
  tokens.vendor = await t.tokenAs('vendor-a', 'v@vendor-a', ['reader']);
  tokens.vendorB = await t.tokenAs('vendor-b', 'v@vendor-b', ['reader']);
  tokens.core = await t.tokenAs('core', 'c@core', ['reader']);
  tokens.trusted = await t.tokenAs('trusted', 't@trusted', ['reader']);
  tokens.community = await t.tokenAs('community', 'm@community', ['reader', 'publisher']);
  tokens.anonymous = '';
});

afterAll(async () => {
  await t?.dispose();
});

async function submit(token: string, over: Record<string, unknown> = {}) {
  return t.gql(SUBMIT, { input: input(over) }, token ? { token } : {});
}

async function submitted(token = tokens.reporter!, over: Record<string, unknown> = {}): Promise<any> {
  const res = await submit(token, over);
  expect(res.body.errors, res.text).toBeUndefined();
  return res.body.data.submitVulnerability;
}

/** Moves a case as the workflow would: through the store's compare-and-set update. */
async function setCase(id: string, set: Partial<VulnerabilityDoc> & Record<string, unknown>): Promise<void> {
  const [doc] = await t.hub.store.vulnerabilities.find({ _id: id });
  const seq = await t.hub.store.sequences.next('vulnerabilities');
  const updated = await t.hub.store.vulnerabilities.updateOne({ _id: id, seq: doc!.seq }, { $set: { ...set, seq, updatedAt: new Date(clock) } });
  expect(updated).not.toBeNull();
}

async function view(who: string, id: string): Promise<any> {
  const res = await t.gql(VIEW, { id }, tokens[who] ? { token: tokens[who] } : {});
  expect(res.body.errors, `${who}: ${res.text}`).toBeUndefined();
  return res.body.data.vulnerability;
}

describe('submitVulnerability', () => {
  it('stores a case RECEIVED, scores its CVSS with the library and answers with the reporter\'s view', async () => {
    const v = await submitted(tokens.reporter, { cveId: 'cve-2026-12345', cwes: ['cwe-787', 'CWE-787', 'CWE-20'] });
    expect(v.id).toMatch(/^vulnerability--[0-9a-f-]{36}$/);
    expect(v).toMatchObject({
      status: 'RECEIVED',
      tlp: 'RED',
      cvss: { version: 'V3_1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', baseScore: 9.8 },
      cwes: ['CWE-787', 'CWE-20'],
      cveId: 'CVE-2026-12345',
      proofOfConcept: 'POC-SECRET',
      reporter: { id: 'lab' },
      possibleDuplicates: [],
      disclosure: { stage: 'RECEIVED', nextStage: null, nextStageAt: null, deadlineAt: null },
      affected: [{ vendorName: 'Vendor A', vendor: { id: 'vendor-a' }, purl: 'pkg:npm/widget-server@2.4.0' }],
      vendorStatuses: [{ vendor: { id: 'vendor-a' }, status: 'UNKNOWN', notifiedAt: null, queuedAt: null }],
    });
  });

  it('scores CVSS 4.0 vectors too, and refuses 3.0, 2.0, partial, repeated or unknown metrics naming input.cvss.vector', async () => {
    const v4 = await submitted(tokens.reporter, { cvss: { vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' } });
    expect(v4.cvss).toEqual({ version: 'V4_0', vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', baseScore: 9.3 });
    for (const [vector, message] of [
      ['CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /3\.0 is not accepted/],
      ['AV:N/AC:L/Au:N/C:P/I:P/A:P', /starts with CVSS:3\.1/],
      ['CVSS:3.1/AV:N/AC:L', /every base metric/],
      ['CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /AV is given twice/],
      ['CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /not a valid CVSS 3\.1 vector/],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1', /not a valid CVSS 3\.1 vector/],
    ] as const) {
      const res = await submit(tokens.reporter!, { cvss: { vector } });
      expect(res.body.errors?.[0]?.extensions, vector).toMatchObject({ code: 'INVALID_CVSS', field: 'input.cvss.vector' });
      expect(res.body.errors![0]!.message).toMatch(message);
    }
  });

  it('refuses bad input with a clear error naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ title: '  ' }, 'input.title', /title must be 1 to 200/],
      [{ title: 'x'.repeat(201) }, 'input.title', /title/],
      [{ summary: 'x'.repeat(4_001) }, 'input.summary', /summary must be 1 to 4000/],
      [{ proofOfConcept: 'x'.repeat(50_001) }, 'input.proofOfConcept', /at most 50000/],
      [{ cwes: ['787'] }, 'input.cwes', /not a CWE id/],
      [{ cwes: Array.from({ length: 21 }, (_, i) => `CWE-${i + 1}`) }, 'input.cwes', /at most 20/],
      [{ cveId: 'CVE-26-1' }, 'input.cveId', /not a CVE id/],
      [{ cveId: 'CVE-2026-123' }, 'input.cveId', /not a CVE id/],
      [{ affected: [] }, 'input.affected', /at least one product/],
      [{ affected: [{ vendorName: 'V', product: ' ', versions: '1' }] }, 'input.affected[0].product', /product must be 1 to 200/],
      [{ affected: [{ vendorName: 'V', product: 'P', versions: '1', purl: 'npm/widget' }] }, 'input.affected[0].purl', /package URL/],
      [{ affected: [{ vendorName: 'V', product: 'P', versions: '1', cpe: 'cpe:/a:vendor:product' }] }, 'input.affected[0].cpe', /CPE 2\.3/],
      [{ affected: [{ vendorName: 'V', product: 'P', versions: '1' }, { vendorId: 'nobody', vendorName: 'N', product: 'P', versions: '1' }] }, 'input.affected[1].vendorId', /no active member with id "nobody"/],
      [{ affected: [{ vendorId: 'gone', vendorName: 'G', product: 'P', versions: '1' }] }, 'input.affected[0].vendorId', /no active member with id "gone"/],
      [{ discovery: { method: 'AI_ASSISTED', humanValidated: false } }, 'input.discovery.model', /required when the method is AI_ASSISTED/],
      [{ credits: [{ name: '', type: 'TOOL' }] }, 'input.credits[0].name', /credit's name/],
      [{ relatedNoticeIds: ['x-model-risk-notice--00000000-0000-4000-8000-000000000000'] }, 'input.relatedNoticeIds', /no AI_FOUND_VULNERABILITY model-risk notice/],
    ];
    for (const [over, field, message] of cases) {
      const res = await submit(tokens.reporter!, over);
      expect(res.body.errors?.[0]?.extensions, JSON.stringify(over).slice(0, 80)).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(res.body.errors![0]!.message).toMatch(message);
    }
    // A HUMAN finding needs no model; an unknown and a suspended vendor are refused alike.
    await submitted(tokens.reporter, { discovery: { method: 'HUMAN', humanValidated: true }, cvss: null, cwes: null, credits: null });
  });

  it('makes retries with an idempotencyKey safe: the same case once, a conflict for another input, a failed request retried', async () => {
    const before = await t.hub.store.vulnerabilities.count({});
    const first = await submitted(tokens.reporter, { idempotencyKey: 'retry-1', title: 'Retried' });
    const again = await submitted(tokens.reporter, { idempotencyKey: 'retry-1', title: 'Retried', cveId: null });
    expect(again.id).toBe(first.id);
    expect(await t.hub.store.vulnerabilities.count({})).toBe(before + 1);
    const other = await submit(tokens.reporter!, { idempotencyKey: 'retry-1', title: 'Something else' });
    expect(other.body.errors?.[0]?.extensions).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', field: 'input.idempotencyKey' });
    // Keys are per member: another member's same key is its own.
    const theirs = await submitted(tokens.otherReporter, { idempotencyKey: 'retry-1', title: 'Retried' });
    expect(theirs.id).not.toBe(first.id);
    // A refused request leaves the key free for the corrected retry.
    expect((await submit(tokens.reporter!, { idempotencyKey: 'retry-2', cwes: ['bad'] })).body.errors?.[0]?.extensions?.field).toBe('input.cwes');
    expect((await submitted(tokens.reporter, { idempotencyKey: 'retry-2' })).id).toMatch(/^vulnerability--/);
    expect((await submit(tokens.reporter!, { idempotencyKey: '' })).body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.idempotencyKey' });
  });

  it('needs the publisher role and a token', async () => {
    const reader = await t.tokenAs('lab', 'reader@lab', ['reader']);
    expect((await submit(reader)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await submit('')).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('links related notices the reporter may see, of category AI_FOUND_VULNERABILITY only', async () => {
    const publish = `mutation($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }`;
    const notice = (category: string, tlp = 'CLEAR', recipients: string[] = []) =>
      t.gql(publish, { input: { title: 'n', summary: 's', model: { name: 'M', developer: 'D' }, category, severity: 'HIGH', tlp, recipients, status: 'PUBLISHED' } }, { token: tokens.community });
    const found = (await notice('AI_FOUND_VULNERABILITY')).body.data.publishModelRiskNotice.id;
    const other = (await notice('JAILBREAK')).body.data.publishModelRiskNotice.id;
    const hidden = (await notice('AI_FOUND_VULNERABILITY', 'RED', ['core'])).body.data.publishModelRiskNotice.id;
    const v = await submitted(tokens.reporter, { relatedNoticeIds: [found] });
    expect(v.relatedNotices).toEqual([{ id: found }]);
    const refusals = await Promise.all([other, hidden].map((id) => submit(tokens.reporter!, { relatedNoticeIds: [id] })));
    // The hidden notice answers as the other category does, but for the id echoed.
    expect(refusals.map((r) => r.body.errors![0]!.message.replace(/"[^"]+"/, '"…"'))).toEqual([
      'no AI_FOUND_VULNERABILITY model-risk notice with id "…"',
      'no AI_FOUND_VULNERABILITY model-risk notice with id "…"',
    ]);
  });
});

describe('possible duplicates', () => {
  it('flags an open case with the same product and a shared CWE to coordinators only; the reporter\'s answer is the same either way', async () => {
    const product = { vendorName: 'Dup Vendor', product: 'Dup Thing', versions: '< 1', purl: 'pkg:pypi/dup-thing@0.9' };
    const first = await submitted(tokens.otherReporter, { affected: [product], cwes: ['CWE-416'] });
    // The same product named another way (purl without version), a shared CWE: flagged.
    const second = await submitted(tokens.reporter, { affected: [{ ...product, vendorName: 'Other Name', product: 'Other', purl: 'pkg:pypi/dup-thing' }], cwes: ['CWE-416', 'CWE-20'] });
    // No shared CWE: not flagged.
    const third = await submitted(tokens.reporter, { affected: [product], cwes: ['CWE-79'] });
    expect(second.possibleDuplicates).toEqual([]);
    expect((await view('reporter', second.id)).possibleDuplicates).toEqual([]);
    expect((await view('coordinator', second.id)).possibleDuplicates).toEqual([{ id: first.id }]);
    expect((await view('coordinator', third.id)).possibleDuplicates).toEqual([]);
    // Same keys in the reporter's answer whether or not a duplicate was found.
    const strip = (v: any) => JSON.stringify({ ...v, id: '', cwes: [], affected: [], title: '' });
    expect(strip(second)).toEqual(strip(third));
    // The reporter's audit log says nothing of it.
    const admin = await t.tokenAs('lab', 'admin@lab', ['reader', 'member-admin']);
    const audit = await t.gql(`{ auditLog(filter: { action: [VULNERABILITY_SUBMITTED] }, first: 100) { edges { node { target { id } details } } } }`, {}, { token: admin });
    expect(audit.body.errors).toBeUndefined();
    expect(audit.text).not.toContain(first.id);
    expect(audit.text).toContain(second.id);
  });
});

describe('who sees a case at each stage', () => {
  const who = ['reporter', 'coordinator', 'vendor', 'vendorB', 'core', 'trusted', 'community', 'anonymous', 'certReader'] as const;
  let id: string;

  async function views(): Promise<Record<string, any>> {
    const out: Record<string, any> = {};
    for (const w of who) out[w] = await view(w, id);
    return out;
  }

  beforeAll(async () => {
    id = (await submitted(tokens.reporter, { affected: [
      { vendorId: 'vendor-a', vendorName: 'Vendor A', product: 'Stage Thing', versions: '< 3' },
      { vendorId: 'vendor-b', vendorName: 'Vendor B', product: 'Stage Thing', versions: '< 3' },
    ] })).id;
  });

  it('names the fields withheld at a stage in extensions.redacted, whatever the case holds', async () => {
    const res = await t.gql(VIEW, { id }, { token: tokens.reporter });
    expect(res.body.extensions?.redacted).toEqual(['Vulnerability.possibleDuplicates']);
    expect((await t.gql(VIEW, { id }, { token: tokens.coordinator })).body.extensions?.redacted).toBeUndefined();
  });

  it('RECEIVED: the reporter and coordinators only', async () => {
    const v = await views();
    expect(v.reporter.proofOfConcept).toBe('POC-SECRET');
    expect(v.coordinator.proofOfConcept).toBe('POC-SECRET');
    for (const w of ['vendor', 'vendorB', 'core', 'trusted', 'community', 'anonymous', 'certReader']) expect(v[w], w).toBeNull();
  });

  it('VALIDATED: plus the notified vendor (everything, its own entry) and CORE (no proof of concept, details or credits); a queued vendor sees nothing yet', async () => {
    const [doc] = await t.hub.store.vulnerabilities.find({ _id: id });
    const at = new Date(clock);
    await setCase(id, {
      status: 'VALIDATED',
      validation: { verdict: 'VALIDATED', reason: 'REASON-SECRET', by: { memberId: 'cert', userId: 'carol@cert' }, at },
      vendorStatuses: [{ ...doc!.vendorStatuses[0]!, notifiedAt: at }, { ...doc!.vendorStatuses[1]!, queuedAt: at }],
    });
    const v = await views();
    expect(v.vendor).toMatchObject({ proofOfConcept: 'POC-SECRET', technicalDetails: 'DETAILS-SECRET', validation: null, reporter: { id: 'lab' }, tlp: 'AMBER' });
    expect(v.vendor.vendorStatuses).toEqual([{ vendor: { id: 'vendor-a' }, status: 'UNKNOWN', fixedIn: null, notifiedAt: at.toISOString(), queuedAt: null }]);
    expect(v.vendorB).toBeNull();
    expect(v.core).toMatchObject({ title: 'Heap overflow in Widget Server', proofOfConcept: null, technicalDetails: null, suggestedFix: null, credits: [], vendorStatuses: [], validation: null, reporter: null });
    expect((await t.gql(VIEW, { id }, { token: tokens.core })).body.extensions?.redacted).toEqual([
      'Vulnerability.credits', 'Vulnerability.duplicateOf', 'Vulnerability.possibleDuplicates', 'Vulnerability.proofOfConcept', 'Vulnerability.reporter',
      'Vulnerability.suggestedFix', 'Vulnerability.technicalDetails', 'Vulnerability.validation', 'Vulnerability.vendorStatuses',
    ]);
    expect(v.certReader).toMatchObject({ proofOfConcept: null });
    for (const w of ['trusted', 'community', 'anonymous']) expect(v[w], w).toBeNull();
    expect(v.reporter.validation).toEqual({ verdict: 'VALIDATED', reason: 'REASON-SECRET' });
    expect(v.reporter.vendorStatuses.map((s: any) => [s.vendor.id, s.queuedAt])).toEqual([['vendor-a', null], ['vendor-b', null]]);
    expect(v.coordinator.vendorStatuses[1].queuedAt).toBe(at.toISOString());
  });

  it('FIX_AVAILABLE: plus TRUSTED, with technical details, the fix and each vendor\'s status', async () => {
    const [doc] = await t.hub.store.vulnerabilities.find({ _id: id });
    await setCase(id, { status: 'FIX_AVAILABLE', vendorStatuses: doc!.vendorStatuses.map((s) => ({ ...s, status: 'FIXED', fixedIn: '3.0.1', note: 'NOTE-SECRET' })) });
    const v = await views();
    expect(v.trusted).toMatchObject({ technicalDetails: 'DETAILS-SECRET', suggestedFix: 'FIX-SECRET', proofOfConcept: null, credits: [], reporter: null });
    expect(v.trusted.vendorStatuses).toEqual([
      { vendor: { id: 'vendor-a' }, status: 'FIXED', fixedIn: '3.0.1', notifiedAt: null, queuedAt: null },
      { vendor: { id: 'vendor-b' }, status: 'FIXED', fixedIn: '3.0.1', notifiedAt: null, queuedAt: null },
    ]);
    // Still in its pacing queue, and below TRUSTED: nothing yet.
    for (const w of ['vendorB', 'community', 'anonymous']) expect(v[w], w).toBeNull();
    expect(JSON.stringify(v.trusted)).not.toContain('NOTE-SECRET');
  });

  it('PUBLISHED: everyone, anonymous callers included, with credits; the proof of concept HUB_POC_DELAY later', async () => {
    await setCase(id, { status: 'PUBLISHED', publishedAt: new Date(clock) });
    const v = await views();
    const releaseAt = new Date(clock + 45 * DAY).toISOString();
    for (const w of ['community', 'anonymous', 'trusted', 'core']) {
      expect(v[w], w).toMatchObject({ tlp: 'CLEAR', proofOfConcept: null, credits: [{ name: 'Finder 1', type: 'TOOL' }, { name: 'A. Analyst', type: 'FINDER' }], disclosure: { stage: 'PUBLISHED', nextStage: 'PROOF_OF_CONCEPT_RELEASED', nextStageAt: releaseAt } });
    }
    // Anonymous callers do not learn which members exist.
    expect(v.anonymous.affected.map((a: any) => a.vendor)).toEqual([null, null]);
    expect(v.anonymous.vendorStatuses).toEqual([]);
    expect(v.community.affected.map((a: any) => a.vendor)).toEqual([{ id: 'vendor-a' }, { id: 'vendor-b' }]);
    clock += 45 * DAY;
    const later = await views();
    for (const w of who) expect(later[w], w).toMatchObject({ proofOfConcept: 'POC-SECRET', disclosure: { stage: 'PROOF_OF_CONCEPT_RELEASED', nextStage: null, nextStageAt: null } });
    // Only tied viewers ever see the reason, the notes or the person who reported it.
    expect(JSON.stringify(later.core)).not.toMatch(/REASON-SECRET|NOTE-SECRET|alice@lab/);
  });
});

describe('queries', () => {
  it('lists exactly the visible cases with an exact totalCount and pages by sealed cursors bound to the viewer', async () => {
    const list = async (token: string, variables: Record<string, unknown> = {}) => {
      const res = await t.gql(LIST, { first: 2, ...variables }, token ? { token } : {});
      expect(res.body.errors, res.text).toBeUndefined();
      return res.body.data.vulnerabilities;
    };
    const all = await list(tokens.coordinator!, { first: 500 });
    const own = await list(tokens.reporter!, { first: 500 });
    const anon = await list('', { first: 500 });
    expect(all.totalCount).toBe(all.edges.length);
    expect(own.totalCount).toBe(await t.hub.store.vulnerabilities.count({ source: 'lab' }));
    expect(anon.totalCount).toBe(await t.hub.store.vulnerabilities.count({ stageReached: 'PUBLISHED' }));
    expect(all.totalCount).toBe(await t.hub.store.vulnerabilities.count({}));
    // Pages walk the same order.
    const first = await list(tokens.reporter!);
    const second = await list(tokens.reporter!, { after: first.pageInfo.endCursor });
    expect([...first.edges, ...second.edges].map((e: any) => e.node.id)).toEqual(own.edges.slice(0, 4).map((e: any) => e.node.id));
    // A cursor minted for another viewer (even of the same member, as a coordinator) is refused.
    const foreign = await t.gql(LIST, { first: 2, after: first.pageInfo.endCursor }, { token: tokens.coordinator });
    expect(foreign.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    // Filters apply within visibility.
    const filtered = await list(tokens.coordinator!, { first: 500, filter: { cwe: 'cwe-416' } });
    expect(filtered.totalCount).toBe(2);
    const stage = await list('', { first: 500, filter: { stage: ['PROOF_OF_CONCEPT_RELEASED'] } });
    expect(stage.totalCount).toBe(1);
  });

  it('answers node(id) and vulnerability(id) with null for a hidden case, as for an id that never existed', async () => {
    const hidden = await submitted(tokens.reporter);
    const missing = 'vulnerability--00000000-0000-4000-8000-000000000000';
    for (const id of [hidden.id, missing]) {
      const res = await t.gql(`query($id: ID!) { vulnerability(id: $id) { id } node(id: $id) { id } }`, { id }, { token: tokens.core });
      expect(res.text.trim()).toBe('{"data":{"vulnerability":null,"node":null}}');
    }
    const mine = await t.gql(`query($id: ID!) { node(id: $id) { ... on Vulnerability { id status } } }`, { id: hidden.id }, { token: tokens.reporter });
    expect(mine.body.data.node).toEqual({ id: hidden.id, status: 'RECEIVED' });
  });
});

describe('alerts', () => {
  it('tells each subscriber of a case as it may see it: PUBLISHED to the reporter, RELEASED to a vendor when notified and to CORE when validated, nothing to others; kinds: [VULNERABILITY] narrows', async () => {
    const { alertStream } = await import('./support/alert-stream.js');
    const a = await startTestHub({ config: { alertHeartbeatMs: 50 } });
    try {
      const roles: Role[] = ['reader', 'publisher'];
      a.member('lab', 'COMMUNITY');
      a.member('vendor-a', 'COMMUNITY', { kind: 'VENDOR' });
      a.member('core', 'CORE');
      a.member('trusted', 'TRUSTED');
      const reporter = await a.tokenAs('lab', 'alice@lab', roles);
      const selection = 'cursor type indicator { id } vulnerability { id title proofOfConcept technicalDetails reporter { id } vendorStatuses { vendor { id } notifiedAt } disclosure { stage } }';
      const [mine, vendor, core, trusted] = await Promise.all([
        alertStream(a, reporter, { selection, filter: { kinds: ['VULNERABILITY'] } }),
        alertStream(a, await a.tokenAs('vendor-a', 'v@vendor-a', ['reader']), { selection, filter: { kinds: ['VULNERABILITY'] } }),
        alertStream(a, await a.tokenAs('core', 'c@core', ['reader']), { selection }),
        alertStream(a, await a.tokenAs('trusted', 't@trusted', ['reader']), { selection }),
      ]);
      const res = await a.gql(SUBMIT, { input: input() }, { token: reporter });
      expect(res.body.errors, res.text).toBeUndefined();
      const id = res.body.data.submitVulnerability.id as string;
      await mine.until((s) => s.events.length === 1, 'the reporter to hear of its case');
      expect(mine.events[0]).toMatchObject({ type: 'PUBLISHED', vulnerability: { id, proofOfConcept: 'POC-SECRET', disclosure: { stage: 'RECEIVED' } } });
      await a.member('lab', 'COMMUNITY').publishes([{ value: 'alerts-clear.example' }]);
      await core.until((s) => s.events.length === 1, 'CORE to hear of the indicator');
      // Validated, the vendor notified, announced as the workflow does: UPDATED with the case before.
      const [before] = await a.hub.store.vulnerabilities.find({ _id: id });
      const at = new Date();
      const after = await a.hub.store.vulnerabilities.updateOne(
        { _id: id, seq: before!.seq },
        { $set: { status: 'VALIDATED', seq: await a.hub.store.sequences.next('vulnerabilities'), updatedAt: at, vendorStatuses: before!.vendorStatuses.map((v) => ({ ...v, notifiedAt: at })) } },
      );
      await a.hub.services.events.record('VULNERABILITY', [{ type: 'UPDATED', doc: after!, before: before! }]);
      await vendor.until((s) => s.events.length === 1, 'the vendor to hear of the case');
      await core.until((s) => s.events.length === 2, 'CORE to hear of the case');
      await mine.until((s) => s.events.length === 2, 'the reporter to hear of the change');
      expect(vendor.events[0]).toMatchObject({ type: 'RELEASED', vulnerability: { id, proofOfConcept: 'POC-SECRET', reporter: { id: 'lab' }, vendorStatuses: [{ vendor: { id: 'vendor-a' } }] } });
      expect(core.events[1]).toMatchObject({ type: 'RELEASED', vulnerability: { id, proofOfConcept: null, technicalDetails: null, reporter: null, vendorStatuses: [], disclosure: { stage: 'VALIDATED' } } });
      expect(mine.events[1]).toMatchObject({ type: 'UPDATED', vulnerability: { id, disclosure: { stage: 'VALIDATED' } } });
      await Promise.all([vendor.nextHeartbeats(2), trusted.nextHeartbeats(2)]);
      // The vendor's kinds filter kept the indicator out; TRUSTED heard only of the indicator.
      expect(vendor.events).toHaveLength(1);
      expect(trusted.events.map((e) => e.type)).toEqual(['PUBLISHED']);
      expect(trusted.events[0]!.vulnerability).toBeNull();
    } finally {
      await a.dispose();
    }
  });
});
