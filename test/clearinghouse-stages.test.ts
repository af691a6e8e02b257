/**
 * Issue 13's "Done when": one clearinghouse case driven through every stage by real people with
 * real tokens (GraphQL mutations, the disclosure watcher on a controlled clock), and at each stage
 * each viewer's view asserted on every channel it reads:
 *
 * - HTTP: `vulnerability(id)` (which fields, or null) and `vulnerabilities` (`totalCount`);
 * - graphql-ws (the official client): what `alerts` delivered to each viewer for that step, as
 *   its view (RELEASED to those a widening newly reaches, nothing to those it does not reach);
 * - TAXII: the `vulnerabilities` collection (the object present or absent, never a proof of concept);
 * - the exports (`csaf`, `osv`, `cveRecord`, `stix`) of each viewer's view, valid against the
 *   official schemas, without a proof of concept, the STIX the very object TAXII serves.
 *
 * Viewers: the reporter (a COMMUNITY member: what it sees comes from its tie, not its tier), a
 * coordinator (CORE member, role coordinator), the affected vendor (VENDOR, COMMUNITY), a CORE, a
 * TRUSTED and a COMMUNITY member, another lab (COMMUNITY, later the reporter of a duplicate) and
 * anonymous callers. Then an INVALID case and a duplicate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/domain/types.js';
import { cnaContainerErrors, csafErrors, cveRecordErrors, osvErrors } from './support/advisory-validator.js';
import { stixProblems } from './support/stix-validator.js';
import { alertStream, type AlertEvent, type AlertStream } from './support/alert-stream.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const DAY = 86_400_000;
// Forward from the real time: the alert log is trimmed by the real clock.
let clock = Date.now();
const POC = 'POC-STAGES-SECRET';
const DETAILS = 'DETAILS-STAGES-SECRET';
const FIX = 'FIX-STAGES-SECRET';
const REASON = 'REASON-STAGES-SECRET';
const TAXII = 'application/taxii+json;version=2.1';
const VULNS = '62b4e6f9-25cd-475b-92a1-5cfd3c0577d7';

const WHO = ['reporter', 'coordinator', 'vendor', 'core', 'trusted', 'community', 'otherLab', 'anonymous'] as const;
type Who = (typeof WHO)[number];

/** What a viewer is shown of a case: nothing, or its view with these parts present. */
type Shape = null | { poc: boolean; details: boolean; credits: boolean; reporter: boolean; validation: boolean };
const NONE: Shape = null;
/** The reporter and coordinators: everything. */
const ALL: Shape = { poc: true, details: true, credits: true, reporter: true, validation: true };
/** A notified vendor: everything but the coordinator's verdict. */
const VENDOR: Shape = { poc: true, details: true, credits: true, reporter: true, validation: false };
const CORE_VALIDATED: Shape = { poc: false, details: false, credits: false, reporter: false, validation: false };
const FIXED: Shape = { poc: false, details: true, credits: false, reporter: false, validation: false };
const ADVISORY: Shape = { poc: false, details: true, credits: true, reporter: false, validation: false };
const WITH_POC: Shape = { poc: true, details: true, credits: true, reporter: false, validation: false };

const FIELDS = `id status tlp title proofOfConcept technicalDetails suggestedFix credits { name type } reporter { id }
  validation { verdict reason } duplicateOf { id } embargo { state endsAt } vendorStatuses { vendor { id } status fixedIn }
  affected { vendor { id } vendorName product } disclosure { stage nextStage nextStageAt deadlineAt } publishedAt`;
const VIEW = `query ($id: ID!) { vulnerability(id: $id) { ${FIELDS} } }`;
const LIST = `query ($product: String) { vulnerabilities(first: 50, filter: { product: $product }) { totalCount edges { node { id } } } }`;
const SELECTION = `cursor type vulnerability { ${FIELDS} }`;
const EXPORTS = `query ($id: ID!) { vulnerability(id: $id) { csaf osv cveRecord stix } }`;

let t: TestHub;
let origin: string;
const tokens = {} as Record<Who, string | undefined>;
const streams = {} as Record<Who, AlertStream>;
/** How many of each stream's events the tests have looked at. */
const read = {} as Record<Who, number>;

beforeAll(async () => {
  t = await startTestHub({ config: { anonymousReads: true, alertHeartbeatMs: 40, pocDelayMs: 45 * DAY }, start: { clock: () => clock } });
  origin = t.url.replace(/\/graphql$/, '');
  const roles: Role[] = ['reader', 'publisher', 'approver', 'member-admin', 'coordinator'];
  await Promise.all([
    t.member('lab', 'COMMUNITY', { kind: 'LAB' }).token(),
    t.member('other-lab', 'COMMUNITY', { kind: 'LAB' }).token(),
    t.member('cert', 'CORE', { kind: 'AGENCY', allowedRoles: roles }).token(),
    t.member('vendor', 'COMMUNITY', { kind: 'VENDOR' }).token(),
    t.member('core', 'CORE').token(),
    t.member('trusted', 'TRUSTED').token(),
    t.member('community', 'COMMUNITY').token(),
  ]);
  tokens.reporter = await t.tokenAs('lab', 'rita@lab', ['reader', 'publisher']);
  tokens.coordinator = await t.tokenAs('cert', 'carol@cert', ['reader', 'coordinator']);
  tokens.vendor = await t.tokenAs('vendor', 'vic@vendor', ['reader', 'publisher']);
  tokens.core = await t.tokenAs('core', 'cora@core', ['reader']);
  tokens.trusted = await t.tokenAs('trusted', 'tom@trusted', ['reader']);
  tokens.community = await t.tokenAs('community', 'cam@community', ['reader']);
  tokens.otherLab = await t.tokenAs('other-lab', 'otto@other-lab', ['reader', 'publisher']);
  tokens.anonymous = undefined;
  for (const who of WHO) {
    streams[who] = await alertStream(t, tokens[who], { selection: SELECTION, filter: { kinds: ['VULNERABILITY'] } });
    read[who] = 0;
  }
});

afterAll(async () => {
  await Promise.all(WHO.map((w) => streams[w]?.dispose()));
  await t?.dispose();
});

async function gql(who: Who, query: string, variables: Record<string, unknown>): Promise<any> {
  const res = await t.gql(query, variables, tokens[who] ? { token: tokens[who] } : {});
  return res.body;
}

async function step(who: Who, mutation: string, variables: Record<string, unknown>): Promise<any> {
  const body = await gql(who, mutation, variables);
  expect(body.errors, `${who}: ${JSON.stringify(body.errors)}`).toBeUndefined();
  return Object.values(body.data)[0];
}

const input = (product: string, over: Record<string, unknown> = {}) => ({
  title: `Heap overflow in ${product}`,
  summary: `A crafted frame overflows a heap buffer in ${product}.`,
  severity: 'HIGH',
  cvss: { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
  cwes: ['CWE-122'],
  affected: [{ vendorId: 'vendor', vendorName: 'Vendor Co', product, versions: '< 1.2.3', purl: `pkg:npm/${product}@1.2.2` }],
  discovery: { method: 'AI_MODEL', model: { name: 'Orion-4', developer: 'Lab', version: '4.0' }, humanValidated: true },
  credits: [{ name: 'Orion-4', type: 'TOOL' }, { name: 'R. Finder', type: 'FINDER' }],
  proofOfConcept: POC,
  technicalDetails: DETAILS,
  suggestedFix: FIX,
  ...over,
});

const SUBMIT = `mutation ($input: VulnerabilityInput!) { submitVulnerability(input: $input) { id } }`;
const VALIDATE = `mutation ($id: ID!, $verdict: ValidationVerdict!, $reason: String!) { validateVulnerability(id: $id, verdict: $verdict, reason: $reason) { id status } }`;

/** Each viewer's HTTP view of case `id`, and of the list of cases of `product`. */
async function views(id: string, product: string): Promise<Record<Who, { one: any; total: number; ids: string[] }>> {
  const out = {} as Record<Who, { one: any; total: number; ids: string[] }>;
  for (const who of WHO) {
    const one = await gql(who, VIEW, { id });
    const list = await gql(who, LIST, { product });
    expect(one.errors, who).toBeUndefined();
    expect(list.errors, who).toBeUndefined();
    out[who] = { one: one.data.vulnerability, total: list.data.vulnerabilities.totalCount, ids: list.data.vulnerabilities.edges.map((e: any) => e.node.id) };
  }
  return out;
}

/** Asserts that `view` (a `Vulnerability` selection as FIELDS) is what `shape` says. */
function assertShape(view: any, shape: Shape, label: string): void {
  if (shape === null) {
    expect(view, label).toBeNull();
    return;
  }
  expect(view, label).not.toBeNull();
  expect(view.proofOfConcept, `${label}: proofOfConcept`).toBe(shape.poc ? POC : null);
  expect(view.technicalDetails, `${label}: technicalDetails`).toBe(shape.details ? DETAILS : null);
  expect(view.suggestedFix, `${label}: suggestedFix`).toBe(shape.details ? FIX : null);
  expect(view.credits.length > 0, `${label}: credits`).toBe(shape.credits);
  expect(view.reporter !== null, `${label}: reporter`).toBe(shape.reporter);
  expect(view.validation !== null, `${label}: validation`).toBe(shape.validation);
}

/** Every viewer's TAXII `vulnerabilities` collection: the ids served, and the raw text. */
async function taxii(): Promise<Record<Who, { ids: string[]; objects: any[]; text: string }>> {
  const out = {} as Record<Who, { ids: string[]; objects: any[]; text: string }>;
  for (const who of WHO) {
    const res = await fetch(`${origin}/taxii2/hub/collections/${VULNS}/objects/`, { headers: { accept: TAXII, ...(tokens[who] ? { authorization: `Bearer ${tokens[who]}` } : {}) } });
    const text = await res.text();
    expect(res.status, `${who}: ${text}`).toBe(200);
    const objects = (JSON.parse(text).objects ?? []) as any[];
    out[who] = { ids: objects.map((o) => o.id), objects, text };
  }
  return out;
}

/**
 * The alerts each viewer received since the last call: waits until each viewer has at least the
 * events `expected` names, then two heartbeats on every stream (everything the hub dispatched
 * before them has arrived), and answers every new event.
 */
async function heard(expected: Partial<Record<Who, string[]>>): Promise<Record<Who, AlertEvent[]>> {
  for (const who of WHO) {
    const want = read[who] + (expected[who]?.length ?? 0);
    await streams[who].until((s) => s.events.length >= want, `${who} to hear ${expected[who]?.join(', ')}`);
  }
  await Promise.all(WHO.map((w) => streams[w].nextHeartbeats(2)));
  const out = {} as Record<Who, AlertEvent[]>;
  for (const who of WHO) {
    out[who] = streams[who].events.slice(read[who]);
    read[who] = streams[who].events.length;
  }
  return out;
}

/** The alert types each viewer heard, as `heard` answers them, for `id`. */
const typesOf = (events: Record<Who, AlertEvent[]>, id: string) =>
  Object.fromEntries(WHO.map((w) => [w, events[w].map((e) => (e.vulnerability?.id === id ? e.type : `${e.type} of another case`))]));

/**
 * One stage, on every channel: the HTTP view and count of each viewer (`shapes`), the alerts the
 * step gave each (`alerts`: types, and each delivered view checked against the viewer's shape),
 * and who is served the case on TAXII (`inTaxii`).
 */
async function expectStage(id: string, product: string, shapes: Record<Who, Shape>, alerts: Partial<Record<Who, string[]>>, inTaxii: readonly Who[]) {
  const got = await heard(alerts);
  expect(typesOf(got, id)).toEqual(Object.fromEntries(WHO.map((w) => [w, alerts[w] ?? []])));
  for (const who of WHO) for (const e of got[who]) assertShape(e.vulnerability, shapes[who], `${who}'s ${e.type} alert`);
  const v = await views(id, product);
  for (const who of WHO) {
    assertShape(v[who].one, shapes[who], `${who} over HTTP`);
    expect(v[who].total, `${who}: totalCount`).toBe(shapes[who] ? 1 : 0);
    expect(v[who].ids, `${who}: listed`).toEqual(shapes[who] ? [id] : []);
  }
  const exports = {} as Record<Who, any>;
  for (const who of WHO) {
    const body = await gql(who, EXPORTS, { id });
    expect(body.errors, who).toBeUndefined();
    exports[who] = body.data.vulnerability;
    if (!exports[who]) continue;
    const { csaf, osv, cveRecord, stix } = exports[who];
    expect([
      ...csafErrors(csaf).map((m) => `csaf ${m}`),
      ...osvErrors(osv).map((m) => `osv ${m}`),
      ...(cveRecord.cveMetadata.state === 'PUBLISHED' ? cveRecordErrors(cveRecord) : cnaContainerErrors(cveRecord.containers.cna)).map((m) => `cve ${m}`),
      ...stixProblems(stix).map((m) => `stix ${m}`),
    ], `${who}'s exports`).toEqual([]);
    expect(JSON.stringify(exports[who]), `${who}'s exports`).not.toContain(POC);
    expect(JSON.stringify(exports[who]).includes(DETAILS), `${who}'s exports: technical details`).toBe(shapes[who]!.details);
  }
  // TAXII serves a version from the millisecond after it was written (its read cutoff excludes the request's own instant).
  clock += 1;
  const feed = await taxii();
  for (const who of WHO) {
    expect(feed[who].ids.includes(id), `${who} on TAXII`).toBe(inTaxii.includes(who));
    // No export carries the proof of concept, at any stage; TAXII serves the fields the view has.
    expect(feed[who].text, `${who}: TAXII proof of concept`).not.toContain(POC);
    const object = feed[who].objects.find((o) => o.id === id);
    if (object) {
      const ext = Object.values(object.extensions)[0] as Record<string, unknown>;
      expect(ext.technical_details ?? null, `${who}: TAXII technical_details`).toBe(shapes[who]!.details ? DETAILS : null);
      expect(object, `${who}: TAXII and Vulnerability.stix`).toEqual(exports[who].stix);
    }
  }
  return v;
}

describe('one case from report to the release of its proof of concept', () => {
  const product = 'stagelib';
  let id: string;

  it('RECEIVED: the reporter and coordinators; PUBLISHED to them alone; never on TAXII (TLP:RED)', async () => {
    id = (await step('reporter', SUBMIT, { input: input(product) })).id;
    const v = await expectStage(id, product,
      { reporter: { ...ALL!, validation: false }, coordinator: { ...ALL!, validation: false }, vendor: NONE, core: NONE, trusted: NONE, community: NONE, otherLab: NONE, anonymous: NONE },
      { reporter: ['PUBLISHED'], coordinator: ['PUBLISHED'] },
      []);
    expect(v.reporter.one).toMatchObject({ status: 'RECEIVED', tlp: 'RED', disclosure: { stage: 'RECEIVED', nextStage: null, deadlineAt: null } });
    // A vendor that may not see the case is answered as for an id that does not exist.
    const acting = await gql('vendor', `mutation ($id: ID!) { acknowledgeVulnerability(id: $id, vendorId: "vendor") { id } }`, { id });
    const missing = await gql('vendor', `mutation ($id: ID!) { acknowledgeVulnerability(id: $id, vendorId: "vendor") { id } }`, { id: 'vulnerability--00000000-0000-4000-8000-000000000000' });
    expect(acting.errors[0].extensions.code).toBe('NOT_FOUND');
    expect(acting.errors[0].message.replace(id, 'ID')).toBe(missing.errors[0].message.replace('vulnerability--00000000-0000-4000-8000-000000000000', 'ID'));
  });

  it('VALIDATED: the vendor is notified (RELEASED, everything) and CORE sees the advisory fields (RELEASED); the deadline is 90 days', async () => {
    const validatedAt = clock;
    await step('coordinator', VALIDATE, { id, verdict: 'VALIDATED', reason: REASON });
    const v = await expectStage(id, product,
      { reporter: ALL, coordinator: ALL, vendor: VENDOR, core: CORE_VALIDATED, trusted: NONE, community: NONE, otherLab: NONE, anonymous: NONE },
      { reporter: ['UPDATED'], coordinator: ['UPDATED'], vendor: ['RELEASED'], core: ['RELEASED'] },
      ['reporter', 'coordinator', 'vendor', 'core']);
    const deadline = new Date(validatedAt + 90 * DAY).toISOString();
    expect(v.vendor.one).toMatchObject({ status: 'VALIDATED', tlp: 'AMBER', disclosure: { stage: 'VALIDATED', nextStage: 'PUBLISHED', nextStageAt: deadline, deadlineAt: deadline } });
    expect(v.reporter.one.validation).toEqual({ verdict: 'VALIDATED', reason: REASON });
    expect(v.core.one.vendorStatuses).toEqual([]);
    expect(JSON.stringify(v.core.one)).not.toContain(REASON);
  });

  it('embargo proposed, then accepted by the vendor: ACTIVE; told to the parties only, and publishing now needs a second person', async () => {
    const endsAt = new Date(clock + 14 * DAY).toISOString();
    await step('coordinator', `mutation ($id: ID!, $endsAt: DateTime!) { proposeEmbargo(id: $id, endsAt: $endsAt, reason: "coordinated release") { id } }`, { id, endsAt });
    let v = await expectStage(id, product,
      { reporter: ALL, coordinator: ALL, vendor: VENDOR, core: CORE_VALIDATED, trusted: NONE, community: NONE, otherLab: NONE, anonymous: NONE },
      { reporter: ['UPDATED'], coordinator: ['UPDATED'], vendor: ['UPDATED'] },
      ['reporter', 'coordinator', 'vendor', 'core']);
    expect(v.vendor.one.embargo).toEqual({ state: 'PROPOSED', endsAt });
    await step('vendor', `mutation ($id: ID!) { acceptEmbargo(id: $id) { id } }`, { id });
    v = await expectStage(id, product,
      { reporter: ALL, coordinator: ALL, vendor: VENDOR, core: CORE_VALIDATED, trusted: NONE, community: NONE, otherLab: NONE, anonymous: NONE },
      { reporter: ['UPDATED'], coordinator: ['UPDATED'], vendor: ['UPDATED'] },
      ['reporter', 'coordinator', 'vendor', 'core']);
    expect(v.core.one.embargo).toEqual({ state: 'ACTIVE', endsAt });
    const early = await gql('coordinator', `mutation ($id: ID!) { publishVulnerability(id: $id) { id } }`, { id });
    expect(early.errors?.[0]?.extensions).toMatchObject({ code: 'APPROVAL_REQUIRED', requestId: expect.stringMatching(/^approval--/) });
    // Nothing moved, nobody heard anything.
    await expectStage(id, product,
      { reporter: ALL, coordinator: ALL, vendor: VENDOR, core: CORE_VALIDATED, trusted: NONE, community: NONE, otherLab: NONE, anonymous: NONE },
      {}, ['reporter', 'coordinator', 'vendor', 'core']);
  });

  it('FIX_AVAILABLE: the vendor ships a fix; TRUSTED newly sees it (RELEASED) with technical details and the fix, no proof of concept', async () => {
    await step('vendor', `mutation ($id: ID!) { setVendorStatus(id: $id, vendorId: "vendor", status: FIXED, fixedIn: "1.2.3", note: "NOTE-SECRET") { id } }`, { id });
    const v = await expectStage(id, product,
      { reporter: ALL, coordinator: ALL, vendor: VENDOR, core: FIXED, trusted: FIXED, community: NONE, otherLab: NONE, anonymous: NONE },
      { reporter: ['UPDATED'], coordinator: ['UPDATED'], vendor: ['UPDATED'], core: ['UPDATED'], trusted: ['RELEASED'] },
      ['reporter', 'coordinator', 'vendor', 'core', 'trusted']);
    expect(v.trusted.one).toMatchObject({ status: 'FIX_AVAILABLE', vendorStatuses: [{ vendor: { id: 'vendor' }, status: 'FIXED', fixedIn: '1.2.3' }], disclosure: { stage: 'FIX_AVAILABLE' } });
    expect(JSON.stringify(v.trusted.one)).not.toContain('NOTE-SECRET');
  });

  it('the embargo ends by the clock (the watcher): EXITED, told to the parties only; the hub does not publish before the deadline', async () => {
    clock += 14 * DAY;
    expect(await t.hub.maintenance.checkDisclosures()).toBe(1);
    const v = await expectStage(id, product,
      { reporter: ALL, coordinator: ALL, vendor: VENDOR, core: FIXED, trusted: FIXED, community: NONE, otherLab: NONE, anonymous: NONE },
      { reporter: ['UPDATED'], coordinator: ['UPDATED'], vendor: ['UPDATED'] },
      ['reporter', 'coordinator', 'vendor', 'core', 'trusted']);
    expect(v.core.one).toMatchObject({ status: 'FIX_AVAILABLE', embargo: { state: 'EXITED' } });
  });

  let publishedAt: number;
  it('PUBLISHED: a coordinator publishes the fixed case; everyone newly sees the advisory (RELEASED, with credits), anonymous callers included, on every channel', async () => {
    clock += DAY;
    publishedAt = clock;
    await step('coordinator', `mutation ($id: ID!) { publishVulnerability(id: $id) { id } }`, { id });
    const v = await expectStage(id, product,
      { reporter: ALL, coordinator: ALL, vendor: VENDOR, core: ADVISORY, trusted: ADVISORY, community: ADVISORY, otherLab: ADVISORY, anonymous: ADVISORY },
      { reporter: ['UPDATED'], coordinator: ['UPDATED'], vendor: ['UPDATED'], core: ['UPDATED'], trusted: ['UPDATED'], community: ['RELEASED'], otherLab: ['RELEASED'], anonymous: ['RELEASED'] },
      WHO);
    const release = new Date(publishedAt + 45 * DAY).toISOString();
    expect(v.anonymous.one).toMatchObject({ status: 'PUBLISHED', tlp: 'CLEAR', publishedAt: new Date(publishedAt).toISOString(), disclosure: { stage: 'PUBLISHED', nextStage: 'PROOF_OF_CONCEPT_RELEASED', nextStageAt: release } });
    expect(v.anonymous.one.credits).toEqual([{ name: 'Orion-4', type: 'TOOL' }, { name: 'R. Finder', type: 'FINDER' }]);
    // Anonymous callers never learn which members exist.
    expect(v.anonymous.one.affected).toEqual([{ vendor: null, vendorName: 'Vendor Co', product }]);
    expect(v.anonymous.one.vendorStatuses).toEqual([]);
    expect(v.community.one.vendorStatuses).toEqual([{ vendor: { id: 'vendor' }, status: 'FIXED', fixedIn: '1.2.3' }]);
  });

  it('PROOF_OF_CONCEPT_RELEASED: HUB_POC_DELAY after publication, not a millisecond earlier; RELEASED to those without a tie, nothing to the parties', async () => {
    clock = publishedAt + 45 * DAY - 2;
    expect(await t.hub.maintenance.checkDisclosures()).toBe(0);
    await expectStage(id, product,
      { reporter: ALL, coordinator: ALL, vendor: VENDOR, core: ADVISORY, trusted: ADVISORY, community: ADVISORY, otherLab: ADVISORY, anonymous: ADVISORY },
      {}, WHO);
    clock = publishedAt + 45 * DAY;
    expect(await t.hub.maintenance.checkDisclosures()).toBe(1);
    const v = await expectStage(id, product,
      { reporter: ALL, coordinator: ALL, vendor: VENDOR, core: WITH_POC, trusted: WITH_POC, community: WITH_POC, otherLab: WITH_POC, anonymous: WITH_POC },
      { core: ['RELEASED'], trusted: ['RELEASED'], community: ['RELEASED'], otherLab: ['RELEASED'], anonymous: ['RELEASED'] },
      WHO);
    // The deadline ran from the vendor's notification: the case's parties' to read, never a tier viewer's.
    expect(v.anonymous.one.disclosure).toEqual({ stage: 'PROOF_OF_CONCEPT_RELEASED', nextStage: null, nextStageAt: null, deadlineAt: null });
    expect(v.vendor.one.disclosure).toMatchObject({ deadlineAt: expect.any(String) });
    // The audit log holds every step, by whom.
    const audit = await t.hub.store.audit.find({ 'target.id': id });
    expect(audit.map((a) => [a.action, a.actor?.memberId ?? 'hub'])).toEqual([
      ['VULNERABILITY_SUBMITTED', 'lab'],
      ['VULNERABILITY_VALIDATED', 'cert'],
      ['EMBARGO_PROPOSED', 'cert'],
      ['EMBARGO_ACCEPTED', 'vendor'],
      ['VULNERABILITY_VENDOR_STATUS', 'vendor'],
      ['EMBARGO_ENDED', 'hub'],
      ['VULNERABILITY_PUBLISHED', 'cert'],
    ]);
  });
});

describe('an exploited case nobody publishes', () => {
  it('is published by the hub itself at its 7-day deadline (not a millisecond earlier): RELEASED to everyone it newly reaches', async () => {
    const product = 'exploitlib';
    const id = (await step('reporter', SUBMIT, { input: input(product, { exploited: true }) })).id;
    await heard({ reporter: ['PUBLISHED'], coordinator: ['PUBLISHED'] });
    const validatedAt = clock;
    await step('coordinator', VALIDATE, { id, verdict: 'VALIDATED', reason: REASON });
    const v = await expectStage(id, product,
      { reporter: ALL, coordinator: ALL, vendor: VENDOR, core: CORE_VALIDATED, trusted: NONE, community: NONE, otherLab: NONE, anonymous: NONE },
      { reporter: ['UPDATED'], coordinator: ['UPDATED'], vendor: ['RELEASED'], core: ['RELEASED'] },
      ['reporter', 'coordinator', 'vendor', 'core']);
    const deadline = validatedAt + 7 * DAY;
    expect(v.vendor.one.disclosure).toEqual({ stage: 'VALIDATED', nextStage: 'PUBLISHED', nextStageAt: new Date(deadline).toISOString(), deadlineAt: new Date(deadline).toISOString() });
    // CORE learns that publication comes next, not when: that time runs from the vendor's notification.
    expect(v.core.one.disclosure).toEqual({ stage: 'VALIDATED', nextStage: 'PUBLISHED', nextStageAt: null, deadlineAt: null });
    clock = deadline - 2;
    expect(await t.hub.maintenance.checkDisclosures()).toBe(0);
    await expectStage(id, product,
      { reporter: ALL, coordinator: ALL, vendor: VENDOR, core: CORE_VALIDATED, trusted: NONE, community: NONE, otherLab: NONE, anonymous: NONE },
      {}, ['reporter', 'coordinator', 'vendor', 'core']);
    clock = deadline;
    expect(await t.hub.maintenance.checkDisclosures()).toBe(1);
    const after = await expectStage(id, product,
      { reporter: ALL, coordinator: ALL, vendor: VENDOR, core: ADVISORY, trusted: ADVISORY, community: ADVISORY, otherLab: ADVISORY, anonymous: ADVISORY },
      { reporter: ['UPDATED'], coordinator: ['UPDATED'], vendor: ['UPDATED'], core: ['UPDATED'], trusted: ['RELEASED'], community: ['RELEASED'], otherLab: ['RELEASED'], anonymous: ['RELEASED'] },
      WHO);
    expect(after.anonymous.one).toMatchObject({ status: 'PUBLISHED', publishedAt: new Date(deadline).toISOString() });
    const audit = await t.hub.store.audit.find({ 'target.id': id, action: 'VULNERABILITY_PUBLISHED' });
    expect(audit.map((a) => [a.actor, a.details.by])).toEqual([[null, 'SCHEDULE']]);
  });
});

describe('an INVALID case', () => {
  it('stays with its reporter and coordinators, the reason shown to the reporter; told to them alone; never on TAXII', async () => {
    const product = 'invalidlib';
    const id = (await step('reporter', SUBMIT, { input: input(product) })).id;
    await heard({ reporter: ['PUBLISHED'], coordinator: ['PUBLISHED'] });
    await step('coordinator', VALIDATE, { id, verdict: 'INVALID', reason: REASON });
    const v = await expectStage(id, product,
      { reporter: ALL, coordinator: ALL, vendor: NONE, core: NONE, trusted: NONE, community: NONE, otherLab: NONE, anonymous: NONE },
      { reporter: ['UPDATED'], coordinator: ['UPDATED'] },
      []);
    expect(v.reporter.one).toMatchObject({ status: 'INVALID', validation: { verdict: 'INVALID', reason: REASON }, disclosure: { stage: 'RECEIVED', nextStage: null }, vendorStatuses: [{ vendor: { id: 'vendor' }, status: 'UNKNOWN' }] });
    // Nothing moves it further: no second verdict, no publication, the vendor cannot even find it.
    expect((await gql('coordinator', VALIDATE, { id, verdict: 'VALIDATED', reason: 'again' })).errors[0].extensions.code).toBe('INVALID_TRANSITION');
    expect((await gql('coordinator', `mutation ($id: ID!) { publishVulnerability(id: $id) { id } }`, { id })).errors[0].extensions.code).toBe('INVALID_TRANSITION');
    expect((await gql('vendor', `mutation ($id: ID!) { setVendorStatus(id: $id, vendorId: "vendor", status: FIXED) { id } }`, { id })).errors[0].extensions.code).toBe('NOT_FOUND');
    await expectStage(id, product,
      { reporter: ALL, coordinator: ALL, vendor: NONE, core: NONE, trusted: NONE, community: NONE, otherLab: NONE, anonymous: NONE },
      {}, []);
  });
});

describe('a duplicate', () => {
  it('is CLOSED for its reporter and coordinators only; its reporter joins the original (RELEASED, the reporter\'s view) and is credited', async () => {
    const product = 'duplib';
    const original = (await step('reporter', SUBMIT, { input: input(product) })).id;
    await step('coordinator', VALIDATE, { id: original, verdict: 'VALIDATED', reason: REASON });
    await heard({ reporter: ['PUBLISHED', 'UPDATED'], coordinator: ['PUBLISHED', 'UPDATED'], vendor: ['RELEASED'], core: ['RELEASED'] });
    const dup = (await step('otherLab', SUBMIT, { input: input(product, { title: 'Same overflow, again', credits: [{ name: 'Orion-4', type: 'TOOL' }] }) })).id;
    await heard({ otherLab: ['PUBLISHED'], coordinator: ['PUBLISHED'] });
    // Flagged to coordinators as a possible duplicate, never to its reporter.
    const flagged = `query ($id: ID!) { vulnerability(id: $id) { possibleDuplicates { id } } }`;
    expect((await gql('coordinator', flagged, { id: dup })).data.vulnerability.possibleDuplicates).toEqual([{ id: original }]);
    expect((await gql('otherLab', flagged, { id: dup })).data.vulnerability.possibleDuplicates).toEqual([]);

    await step('coordinator', `mutation ($id: ID!, $of: ID!) { markDuplicate(id: $id, of: $of, reason: "same flaw") { id } }`, { id: dup, of: original });
    const got = await heard({ otherLab: ['UPDATED', 'RELEASED'], coordinator: ['UPDATED', 'UPDATED'], reporter: ['UPDATED'], vendor: ['UPDATED'] });
    const summary = Object.fromEntries(WHO.map((w) => [w, got[w].map((e) => `${e.vulnerability!.id === dup ? 'dup' : 'original'} ${e.type}`).sort()]));
    expect(summary).toEqual({
      reporter: ['original UPDATED'],
      coordinator: ['dup UPDATED', 'original UPDATED'],
      otherLab: ['dup UPDATED', 'original RELEASED'],
      // The notified vendor is a party of the original: told that it changed; CORE, which sees it by tier, is not.
      vendor: ['original UPDATED'], core: [], trusted: [], community: [], anonymous: [],
    });
    // The new participant is told of the original as its reporter sees it.
    assertShape(got.otherLab.find((e) => e.vulnerability!.id === original)!.vulnerability, ALL, "the duplicate's reporter's RELEASED alert");

    const dupViews = await views(dup, product);
    expect(dupViews.otherLab.one).toMatchObject({ status: 'CLOSED', duplicateOf: { id: original } });
    expect(dupViews.coordinator.one).toMatchObject({ status: 'CLOSED', duplicateOf: { id: original } });
    for (const who of ['reporter', 'vendor', 'core', 'trusted', 'community', 'anonymous'] as const) expect(dupViews[who].one, who).toBeNull();
    const origViews = await views(original, product);
    assertShape(origViews.otherLab.one, ALL, 'the participant over HTTP');
    expect(origViews.otherLab.one.credits).toContainEqual({ name: 'other-lab organisation', type: 'REPORTER' });
    expect(origViews.otherLab.total).toBe(2); // its duplicate and the original
    expect(origViews.core.total).toBe(1);
    expect(origViews.trusted.one).toBeNull();
    clock += 1;
    const feed = await taxii();
    for (const who of WHO) expect(feed[who].ids.includes(dup), `${who}: the duplicate on TAXII`).toBe(false);
    expect(WHO.filter((w) => feed[w].ids.includes(original))).toEqual(['reporter', 'coordinator', 'vendor', 'core', 'otherLab']);
  });
});
