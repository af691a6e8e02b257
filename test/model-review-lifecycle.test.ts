/**
 * Issue 14's "Done when": one pre-deployment model review walked from its scheduling to its
 * automatic close on a controlled clock, through a real hub (GraphQL mutations by real people with
 * real tokens, the ReviewWatcher's check), and at each step each viewer's view asserted on every
 * channel it reads:
 *
 * - HTTP: `modelReviews` (totalCount, the review with its reviewers and summary as the viewer may
 *   see them), `modelReview(id)`, `node(id)`, `modelRiskNotices` / `vulnerabilities` (lists,
 *   totalCount, the `reviewId` filter), each finding by id, `ModelReview.findings`;
 * - graphql-ws (the official client): what `alerts` delivered to each viewer for that step
 *   (RELEASED per finding only to the viewers it newly reaches, REVIEW_CLOSED to members);
 * - TAXII: the notices collection (objects present or absent) and an `added_after` poll from
 *   before the close that must pick up the released findings.
 *
 * Viewers: the lab (TRUSTED, kind LAB), a CORE default reviewer (`agency`), an invited TRUSTED
 * reviewer (`isac`), a CORE non-reviewer (`late`: it joined after the scheduling, and reviewers
 * are snapshotted then), a TRUSTED and a COMMUNITY member, anonymous callers; a hub-admin on
 * queries. Findings: a GREEN notice, an AMBER notice under an embargo that ends during the window,
 * a RED notice naming the lab and `trusted` as recipients, and a clearinghouse case.
 *
 * Then a cancelled review: its findings never leak on any channel (queries, counts, lookups by
 * id, the reviewId filter, alerts, TAXII, STIX bundles), before or after its would-be close.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/domain/types.js';
import { alertStream, type AlertStream } from './support/alert-stream.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const DAY = 86_400_000;
// Forward from the real time: the alert log is trimmed by the real clock.
const T0 = Math.ceil(Date.now() / 1000) * 1000;
let clock = T0;
const TAXII = 'application/taxii+json;version=2.1';
const NOTICES = 'fc6234ba-1d08-4c68-92c5-2765ca3f6581';
const MODEL = { name: 'Frontier-9', developer: 'Lab Inc', version: '9.0' };
const CANCELLED_MODEL = { name: 'Shelved-2', developer: 'Lab Inc', version: null };
const SECRET = 'CANCELLED-FINDING-SECRET';

const WHO = ['lab', 'agency', 'isac', 'late', 'trusted', 'community', 'anonymous'] as const;
type Who = (typeof WHO)[number];

const REVIEW_FIELDS = `id model { name developer version } description lab { id } plannedDeploymentAt windowOpensAt closedAt cancelledAt cancelReason status
  reviewers { id } findings { __typename ... on ModelRiskNotice { id } ... on Vulnerability { id } }
  summary { total byCategory { category count } bySeverity { severity count } highestSeverity } summaryPublic createdAt updatedAt`;
const SELECTION = `cursor type occurredAt notice { id title tlp } vulnerability { id } review { id status reviewers { id } summary { total } }`;

const SCHEDULE = `mutation ($input: ModelReviewInput!) { scheduleModelReview(input: $input) { ${REVIEW_FIELDS} } }`;
const NOTICE = `mutation ($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }`;
const SUBMIT = `mutation ($input: VulnerabilityInput!) { submitVulnerability(input: $input) { id } }`;
const CANCEL = `mutation ($id: ID!) { cancelModelReview(reviewId: $id, reason: "the model will not ship") { ${REVIEW_FIELDS} } }`;

let t: TestHub;
let origin: string;
const tokens = {} as Record<Who, string | undefined>;
let adminToken: string;
const streams = {} as Record<Who, AlertStream>;
const read = {} as Record<Who, number>;
/** Names of the ids the test made, for readable alert summaries. */
const names = new Map<string, string>();

beforeAll(async () => {
  t = await startTestHub({ config: { anonymousReads: true, alertHeartbeatMs: 40 }, start: { clock: () => clock } });
  origin = t.url.replace(/\/graphql$/, '');
  const roles: Role[] = ['reader', 'publisher', 'approver', 'member-admin'];
  await Promise.all([
    t.member('lab', 'TRUSTED', { kind: 'LAB', allowedRoles: roles }).token(),
    t.member('agency', 'CORE', { kind: 'AGENCY' }).token(),
    t.member('isac', 'TRUSTED', { kind: 'ISAC' }).token(),
    t.member('trusted', 'TRUSTED').token(),
    t.member('community', 'COMMUNITY').token(),
    t.member('ops', 'COMMUNITY', { allowedRoles: ['reader', 'hub-admin'] }).token(['reader']),
  ]);
  tokens.lab = await t.tokenAs('lab', 'lena@lab', ['reader', 'publisher', 'member-admin']);
  tokens.agency = await t.tokenAs('agency', 'ada@agency', ['reader', 'publisher']);
  tokens.isac = await t.tokenAs('isac', 'ian@isac', ['reader', 'publisher']);
  tokens.trusted = await t.tokenAs('trusted', 'tom@trusted', ['reader', 'publisher']);
  tokens.community = await t.tokenAs('community', 'cam@community', ['reader', 'publisher']);
  tokens.anonymous = undefined;
  adminToken = await t.tokenAs('ops', 'olga@ops', ['reader', 'hub-admin']);
});

afterAll(async () => {
  await Promise.all(WHO.map((w) => streams[w]?.dispose()));
  await t?.dispose();
});

async function gql(who: Who | 'admin', query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const token = who === 'admin' ? adminToken : tokens[who];
  return (await t.gql(query, variables, token ? { token } : {})).body;
}

async function step(who: Who, mutation: string, variables: Record<string, unknown>): Promise<any> {
  const body = await gql(who, mutation, variables);
  expect(body.errors, `${who}: ${JSON.stringify(body.errors)}`).toBeUndefined();
  return Object.values(body.data)[0];
}

/** The ReviewWatcher's check on the hub's clock (as `checkEmbargoes` / `checkDisclosures`). */
async function checkReviews(): Promise<number> {
  const maintenance = t.hub.maintenance as typeof t.hub.maintenance & { checkReviews?: () => Promise<number> };
  expect(typeof maintenance.checkReviews, 'hub.maintenance.checkReviews').toBe('function');
  return maintenance.checkReviews!();
}

const notice = (title: string, tlp: string, category: string, severity: string, over: Record<string, unknown> = {}) => ({
  title, summary: `${title}: what the reviewer found.`, model: MODEL, category, severity, tlp, status: 'PUBLISHED',
  technicalDetails: `${title} details`, mitigations: 'Filter the input.', ...over,
});

const caseInput = (title: string, over: Record<string, unknown> = {}) => ({
  title, summary: 'The model found a heap overflow.', severity: 'HIGH', cwes: ['CWE-122'],
  affected: [{ vendorName: 'Widget Co', product: 'widget', versions: '< 2' }],
  discovery: { method: 'AI_MODEL', model: { name: MODEL.name, developer: MODEL.developer }, humanValidated: true },
  proofOfConcept: 'poc', technicalDetails: 'details', ...over,
});

/** A short description of an alert, for comparing sequences. */
function describe_(e: any): string {
  const id = e.review?.id ?? e.notice?.id ?? e.vulnerability?.id ?? null;
  return `${id ? (names.get(id) ?? id) : '-'} ${e.type}`;
}

/**
 * The alerts each viewer received since the last call: waits until each has at least the events
 * `expected` names, then two heartbeats on every stream (everything dispatched before has
 * arrived), and answers each viewer's new events, described.
 */
async function heard(expected: Partial<Record<Who, string[]>>): Promise<Record<Who, string[]>> {
  for (const who of WHO) {
    const want = read[who] + (expected[who]?.length ?? 0);
    await streams[who].until((s) => s.events.length >= want, `${who} to hear ${expected[who]?.join(', ')}`);
  }
  await Promise.all(WHO.map((w) => streams[w].nextHeartbeats(2)));
  const out = {} as Record<Who, string[]>;
  for (const who of WHO) {
    out[who] = streams[who].events.slice(read[who]).map(describe_).sort();
    read[who] = streams[who].events.length;
  }
  return out;
}

/** Asserts each viewer heard exactly `expected` (sorted; missing viewers: nothing). */
async function expectHeard(expected: Partial<Record<Who, string[]>>, label: string): Promise<Record<Who, any[]>> {
  const before = Object.fromEntries(WHO.map((w) => [w, read[w]]));
  const got = await heard(expected);
  expect(got, label).toEqual(Object.fromEntries(WHO.map((w) => [w, [...(expected[w] ?? [])].sort()])));
  return Object.fromEntries(WHO.map((w) => [w, streams[w].events.slice(before[w])])) as Record<Who, any[]>;
}

/** What one viewer is shown of the review and its findings over HTTP. */
interface View {
  /** The review as `modelReview(id)` answers it (null: not seen). */
  review: any;
  listed: number;
  listedIds: string[];
  node: string | null;
  /** Finding names it sees among the notices, by the list, by reviewId filter, by id. */
  notices: string[];
  noticesTotal: number;
  byReviewId: number;
  byId: string[];
  cases: string[];
  casesTotal: number;
}

async function view(who: Who | 'admin', reviewId: string, findingIds: string[]): Promise<View> {
  const body = await gql(who, `query ($id: ID!, $model: String!) {
    modelReview(id: $id) { ${REVIEW_FIELDS} }
    modelReviews(first: 50, filter: { modelName: $model }) { totalCount edges { cursor node { id } } }
    node(id: $id) { id __typename }
    modelRiskNotices(first: 50, filter: { modelName: $model }) { totalCount edges { node { id } } }
    byReview: modelRiskNotices(first: 50, filter: { reviewId: $id }) { totalCount edges { node { id } } }
    vulnerabilities(first: 50) { totalCount edges { node { id } } }
  }`, { id: reviewId, model: reviewId === ids.review ? MODEL.name : CANCELLED_MODEL.name });
  expect(body.errors, `${who}: ${JSON.stringify(body.errors)}`).toBeUndefined();
  const d = body.data;
  const byId: string[] = [];
  for (const id of findingIds) {
    const one = await gql(who, id.startsWith('vulnerability--')
      ? `query ($id: ID!) { vulnerability(id: $id) { id } node(id: $id) { id } }`
      : `query ($id: ID!) { modelRiskNotice(id: $id) { id } node(id: $id) { id } }`, { id });
    expect(one.errors, `${who}: ${JSON.stringify(one.errors)}`).toBeUndefined();
    const found = one.data.modelRiskNotice ?? one.data.vulnerability;
    expect(one.data.node?.id ?? null, `${who}: node(${names.get(id)}) and the typed lookup agree`).toBe(found?.id ?? null);
    if (found) byId.push(names.get(id)!);
  }
  const named = (edges: any[]) => edges.map((e) => names.get(e.node.id) ?? e.node.id).sort();
  expect(d.byReview.totalCount, `${who}: reviewId filter totalCount`).toBe(d.byReview.edges.length);
  return {
    review: d.modelReview,
    listed: d.modelReviews.totalCount,
    listedIds: d.modelReviews.edges.map((e: any) => e.node.id),
    node: d.node?.__typename ?? null,
    notices: named(d.modelRiskNotices.edges),
    noticesTotal: d.modelRiskNotices.totalCount,
    byReviewId: d.byReview.totalCount,
    byId: byId.sort(),
    cases: named(d.vulnerabilities.edges).filter((n) => findingIds.some((id) => names.get(id) === n)),
    casesTotal: d.vulnerabilities.totalCount,
  };
}

/** One viewer's TAXII notices collection: the finding names served, with the date_added headers. */
async function taxii(who: Who, query = ''): Promise<{ names: string[]; text: string; first: string | null; last: string | null; status: number }> {
  clock += 1; // TAXII serves a version from the millisecond after it was written.
  const token = tokens[who];
  const res = await fetch(`${origin}/taxii2/hub/collections/${NOTICES}/objects/${query}`, { headers: { accept: TAXII, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  const text = await res.text();
  expect(res.status, `${who}: ${text}`).toBe(200);
  const objects = (JSON.parse(text).objects ?? []) as any[];
  return {
    names: objects.map((o) => names.get(o.id) ?? o.id).sort(),
    text,
    first: res.headers.get('x-taxii-date-added-first'),
    last: res.headers.get('x-taxii-date-added-last'),
    status: res.status,
  };
}

const ids = {} as Record<'review' | 'green' | 'amber' | 'red' | 'case' | 'cancelled' | 'cancelledGreen' | 'cancelledCase', string>;
const findings = () => [ids.green, ids.amber, ids.red, ids.case].filter((id): id is string => id !== undefined);

/** What each viewer must see of the main review at one step. */
interface Expected {
  review: Partial<Record<Who, { reviewers: string[] | null; summary: boolean }>>;
  notices: Record<Who, string[]>;
  cases: Record<Who, string[]>;
  taxii: Record<Who, string[]>;
}

async function expectViews(status: string, e: Expected): Promise<Record<Who, View>> {
  const out = {} as Record<Who, View>;
  for (const who of WHO) {
    const v = await view(who, ids.review, findings());
    out[who] = v;
    const r = e.review[who];
    if (!r) {
      expect(v.review, `${who}: modelReview`).toBeNull();
      expect(v.node, `${who}: node`).toBeNull();
      expect([v.listed, v.listedIds], `${who}: modelReviews`).toEqual([0, []]);
    } else {
      expect(v.review, `${who}: modelReview`).toMatchObject({ id: ids.review, status, lab: { id: 'lab' }, model: MODEL });
      expect(v.node, `${who}: node`).toBe('ModelReview');
      expect([v.listed, v.listedIds], `${who}: modelReviews`).toEqual([1, [ids.review]]);
      expect(v.review.reviewers?.map((m: any) => m.id).sort() ?? null, `${who}: reviewers`).toEqual(r.reviewers);
      expect(v.review.summary !== null, `${who}: summary`).toBe(r.summary);
      // ModelReview.findings shows what the viewer sees of them, no more.
      const shown = v.review.findings.map((f: any) => names.get(f.id)).sort();
      expect(shown, `${who}: ModelReview.findings`).toEqual([...e.notices[who], ...e.cases[who]].sort());
    }
    expect(v.notices, `${who}: modelRiskNotices`).toEqual([...e.notices[who]].sort());
    expect(v.noticesTotal, `${who}: modelRiskNotices totalCount`).toBe(e.notices[who].length);
    expect(v.byReviewId, `${who}: modelRiskNotices by reviewId`).toBe(e.notices[who].length);
    expect(v.byId, `${who}: by id`).toEqual([...e.notices[who], ...e.cases[who]].sort());
    expect(v.cases, `${who}: vulnerabilities`).toEqual(e.cases[who]);
    expect(v.casesTotal, `${who}: vulnerabilities totalCount`).toBe(e.cases[who].length);
    // The notices collection serves the review itself (x-model-review) to whom sees it.
    expect((await taxii(who)).names.filter((n) => n !== 'plain'), `${who}: TAXII notices`).toEqual([...e.taxii[who], ...(r ? ['review'] : [])].sort());
  }
  return out;
}

const NONE = { lab: [], agency: [], isac: [], late: [], trusted: [], community: [], anonymous: [] } as Record<Who, string[]>;
const INSIDERS = ['agency', 'isac'];

describe('a review from its scheduling to its automatic close', () => {
  /** The TAXII `date_added` of the last object community polled before the close. */
  let polledBefore: Record<Who, string | null>;

  it('SCHEDULED: the lab schedules it (agency a reviewer by its tier, isac invited); only they learn that it exists', async () => {
    for (const who of WHO) {
      if (who === 'late') continue;
      streams[who] = await alertStream(t, tokens[who], { selection: SELECTION });
      read[who] = 0;
    }
    const review = await step('lab', SCHEDULE, { input: { model: MODEL, plannedDeploymentAt: new Date(T0 + 31 * DAY).toISOString(), description: 'Frontier-9 before launch', reviewerIds: ['isac'] } });
    ids.review = review.id;
    names.set(review.id, 'review');
    expect(review).toMatchObject({
      id: expect.stringMatching(/^x-model-review--[0-9a-f-]{36}$/), status: 'SCHEDULED', lab: { id: 'lab' },
      plannedDeploymentAt: new Date(T0 + 31 * DAY).toISOString(), windowOpensAt: new Date(T0 + DAY).toISOString(),
      closedAt: new Date(T0 + 31 * DAY).toISOString(), cancelledAt: null, summaryPublic: false, findings: [],
      summary: { total: 0, byCategory: [], bySeverity: [], highestSeverity: null },
    });
    expect(review.reviewers.map((m: any) => m.id).sort()).toEqual(['agency', 'isac']);
    // `late` reaches CORE after the scheduling: reviewers were snapshotted, it is not one.
    clock += 1;
    await t.member('late', 'CORE').token();
    tokens.late = await t.tokenAs('late', 'lou@late', ['reader', 'publisher']);
    streams.late = await alertStream(t, tokens.late, { selection: SELECTION });
    read.late = 0;

    await expectHeard({ lab: ['review PUBLISHED'], agency: ['review PUBLISHED'], isac: ['review PUBLISHED'] }, 'the scheduling');
    await expectViews('SCHEDULED', {
      review: { lab: { reviewers: INSIDERS, summary: true }, agency: { reviewers: INSIDERS, summary: false }, isac: { reviewers: INSIDERS, summary: false } },
      notices: NONE, cases: NONE, taxii: NONE,
    });
    const admin = await view('admin', ids.review, []);
    expect(admin.review).toMatchObject({ id: ids.review, status: 'SCHEDULED', reviewers: expect.any(Array) });
    expect(admin.review.summary).not.toBeNull();
  });

  it('before the window opens, a reviewer cannot file a finding; a non-reviewer is told the review does not exist', async () => {
    const early = await gql('agency', NOTICE, { input: notice('Too early', 'GREEN', 'JAILBREAK', 'LOW', { reviewId: ids.review }) });
    expect(early.errors?.[0]?.extensions?.code, JSON.stringify(early.errors)).toBeDefined();
    expect(early.errors[0].extensions.code).not.toBe('INTERNAL_SERVER_ERROR');
    const absent = 'x-model-review--00000000-0000-4000-8000-000000000000';
    for (const who of ['late', 'trusted', 'community'] as const) {
      const hidden = await gql(who, NOTICE, { input: notice('Not mine', 'GREEN', 'JAILBREAK', 'LOW', { reviewId: ids.review }) });
      const missing = await gql(who, NOTICE, { input: notice('Not mine', 'GREEN', 'JAILBREAK', 'LOW', { reviewId: absent }) });
      expect(hidden.errors?.[0]?.extensions?.code, who).toBeDefined();
      expect(JSON.stringify(hidden.errors).split(ids.review).join('ID'), who).toBe(JSON.stringify(missing.errors).split(absent).join('ID'));
    }
    await expectHeard({}, 'refused filings');
  });

  it('OPEN: reviewers file GREEN, AMBER (embargoed) and RED findings and a case; only the lab and the reviewers (by each finding\'s own rules) see them', async () => {
    clock = T0 + DAY;
    ids.green = await step('agency', NOTICE, { input: notice('Green finding', 'GREEN', 'JAILBREAK', 'MEDIUM', { reviewId: ids.review }) }).then((r) => r.id);
    ids.amber = await step('isac', NOTICE, { input: notice('Amber finding', 'AMBER', 'PROMPT_INJECTION', 'HIGH', { reviewId: ids.review, embargoUntil: new Date(T0 + 2 * DAY).toISOString() }) }).then((r) => r.id);
    ids.red = await step('agency', NOTICE, { input: notice('Red finding', 'RED', 'CYBER_OFFENSE_CAPABILITY', 'CRITICAL', { reviewId: ids.review, recipients: ['lab', 'trusted'] }) }).then((r) => r.id);
    ids.case = await step('isac', SUBMIT, { input: caseInput('Case finding', { reviewId: ids.review }) }).then((r) => r.id);
    for (const k of ['green', 'amber', 'red', 'case'] as const) names.set(ids[k], k);

    // The lab (TRUSTED) is held back by the AMBER finding's embargo like any TRUSTED member; the
    // case (RECEIVED) is its reporter's and coordinators' only; the RED one its recipients'.
    await expectHeard({
      lab: ['green PUBLISHED', 'red PUBLISHED'],
      agency: ['green PUBLISHED', 'amber PUBLISHED', 'red PUBLISHED'],
      isac: ['green PUBLISHED', 'amber PUBLISHED', 'case PUBLISHED'],
    }, 'the filings');
    await expectViews('OPEN', {
      review: { lab: { reviewers: INSIDERS, summary: true }, agency: { reviewers: INSIDERS, summary: false }, isac: { reviewers: INSIDERS, summary: false } },
      notices: { ...NONE, lab: ['green', 'red'], agency: ['green', 'amber', 'red'], isac: ['green', 'amber'] },
      cases: { ...NONE, isac: ['case'] },
      taxii: { ...NONE, lab: ['green'], agency: ['green', 'amber'], isac: ['green', 'amber'] },
    });
    const lab = await view('lab', ids.review, findings());
    expect(lab.review.summary).toEqual({
      total: 4,
      byCategory: [{ category: 'CYBER_OFFENSE_CAPABILITY', count: 1 }, { category: 'JAILBREAK', count: 1 }, { category: 'PROMPT_INJECTION', count: 1 }, { category: 'AI_FOUND_VULNERABILITY', count: 1 }],
      bySeverity: [{ severity: 'CRITICAL', count: 1 }, { severity: 'HIGH', count: 2 }, { severity: 'MEDIUM', count: 1 }],
      highestSeverity: 'CRITICAL',
    });
    // A hub-admin sees every finding, whatever TLP (RED aside: named recipients only) or embargo.
    const admin = await view('admin', ids.review, findings());
    // (ops is a COMMUNITY member: GREEN is its tier's; the restriction alone is lifted for it.)
    expect(admin.notices).toEqual(['green']);
  });

  it('the AMBER finding\'s embargo ends during the window: RELEASED to the lab only, never to a CORE non-reviewer', async () => {
    clock = T0 + 2 * DAY;
    // A plain notice of the lab's (no review) so that every viewer's TAXII poll has a last date_added.
    const plain = await step('lab', NOTICE, { input: notice('Plain notice', 'CLEAR', 'OTHER', 'LOW', { model: { name: 'Other-1', developer: 'Lab Inc' } }) });
    names.set(plain.id, 'plain');
    await t.hub.maintenance.checkEmbargoes();
    const all = Object.fromEntries(WHO.map((w) => [w, ['plain PUBLISHED']])) as Record<Who, string[]>;
    await expectHeard({ ...all, lab: ['amber RELEASED', 'plain PUBLISHED'] }, 'the embargo end');
    const before = await expectViews('OPEN', {
      review: { lab: { reviewers: INSIDERS, summary: true }, agency: { reviewers: INSIDERS, summary: false }, isac: { reviewers: INSIDERS, summary: false } },
      notices: { ...NONE, lab: ['green', 'amber', 'red'], agency: ['green', 'amber', 'red'], isac: ['green', 'amber'] },
      cases: { ...NONE, isac: ['case'] },
      taxii: { ...NONE, lab: ['green', 'amber'], agency: ['green', 'amber'], isac: ['green', 'amber'] },
    });
    expect(before.late.noticesTotal).toBe(0);
    polledBefore = {} as Record<Who, string | null>;
    for (const who of WHO) {
      const feed = await taxii(who);
      expect(feed.names, who).toContain('plain');
      polledBefore[who] = feed.last;
    }
  });

  it('a millisecond before the planned deployment the watcher closes nothing and nothing is released', async () => {
    clock = T0 + 31 * DAY - 1;
    expect(await checkReviews()).toBe(0);
    await expectHeard({}, 'the check before the close');
    const v = await view('community', ids.review, findings());
    expect([v.review, v.noticesTotal]).toEqual([null, 0]);
    expect((await view('lab', ids.review, findings())).review.status).toBe('OPEN');
  });

  it('CLOSED at the planned deployment: every finding reaches whom its own TLP reaches (RELEASED to each newly reached), REVIEW_CLOSED to members; the summary to every member', async () => {
    clock = T0 + 31 * DAY;
    expect(await checkReviews()).toBe(1);
    const got = await expectHeard({
      lab: ['review REVIEW_CLOSED'],
      agency: ['review REVIEW_CLOSED'],
      isac: ['review REVIEW_CLOSED'],
      late: ['review REVIEW_CLOSED', 'green RELEASED', 'amber RELEASED'],
      trusted: ['review REVIEW_CLOSED', 'green RELEASED', 'amber RELEASED', 'red RELEASED'],
      community: ['review REVIEW_CLOSED', 'green RELEASED'],
    }, 'the close');
    // Each delivered review is the subscriber's view: reviewers for insiders only, the summary for all.
    for (const who of ['late', 'trusted', 'community'] as const) {
      const closed = got[who].find((e) => e.type === 'REVIEW_CLOSED');
      expect(closed.review, who).toMatchObject({ id: ids.review, status: 'CLOSED', reviewers: null, summary: { total: 4 } });
    }
    expect(got.agency.find((e) => e.type === 'REVIEW_CLOSED').review.reviewers.map((m: any) => m.id).sort()).toEqual(INSIDERS);
    const member = { reviewers: null, summary: true };
    const insider = { reviewers: INSIDERS, summary: true };
    await expectViews('CLOSED', {
      review: { lab: insider, agency: insider, isac: insider, late: member, trusted: member, community: member },
      notices: { lab: ['green', 'amber', 'red'], agency: ['green', 'amber', 'red'], isac: ['green', 'amber'], late: ['green', 'amber'], trusted: ['green', 'amber', 'red'], community: ['green'], anonymous: [] },
      cases: { ...NONE, isac: ['case'] },
      taxii: { lab: ['green', 'amber'], agency: ['green', 'amber'], isac: ['green', 'amber'], late: ['green', 'amber'], trusted: ['green', 'amber'], community: ['green'], anonymous: [] },
    });
    const community = await view('community', ids.review, findings());
    expect(community.review.summary).toMatchObject({ total: 4, highestSeverity: 'CRITICAL' });
    expect(community.review.cancelReason).toBeNull();
    // A second check announces nothing again.
    clock += 1;
    expect(await checkReviews()).toBe(0);
    await expectHeard({}, 'a second check');
    const audit = await t.hub.store.audit.find({ 'target.id': ids.review });
    expect(audit.map((a) => [a.action, a.actor?.memberId ?? 'hub'])).toEqual([['MODEL_REVIEW_SCHEDULED', 'lab'], ['MODEL_REVIEW_CLOSED', 'hub']]);
  });

  it('TAXII: a poll with added_after from before the close picks up the findings it released', async () => {
    for (const who of ['late', 'trusted', 'community'] as const) {
      const since = polledBefore[who]!;
      const poll = await taxii(who, `?added_after=${encodeURIComponent(since)}`);
      // The review too: it reached them at the close.
      expect(poll.names, `${who} polling from ${since}`).toEqual(who === 'community' ? ['green', 'review'] : ['amber', 'green', 'review']);
    }
    // Anonymous callers: nothing new (GREEN and AMBER are not theirs).
    expect((await taxii('anonymous', `?added_after=${encodeURIComponent(polledBefore.anonymous!)}`)).names).toEqual([]);
  });

  it('anonymous callers see the closed review once the lab releases its summary, never its reviewers', async () => {
    expect((await view('anonymous', ids.review, findings())).review).toBeNull();
    await step('lab', `mutation ($id: ID!) { releaseModelReviewSummary(reviewId: $id) { id summaryPublic } }`, { id: ids.review });
    const anon = await view('anonymous', ids.review, findings());
    expect(anon.review).toMatchObject({ id: ids.review, status: 'CLOSED', reviewers: null, cancelReason: null, summaryPublic: true, summary: { total: 4 }, findings: [] });
    expect(anon.listed).toBe(1);
    expect(anon.noticesTotal).toBe(0);
  });
});

describe('a cancelled review', () => {
  const absent = 'x-model-review--00000000-0000-4000-8000-000000000000';
  let outsiders: Record<string, string>;
  /** `late` was CORE when this review was scheduled: a default reviewer of it. */
  const OUTSIDERS = ['trusted', 'community', 'anonymous'] as const;

  /** Everything an outsider could read about the cancelled review and its findings, as one text. */
  async function observe(who: Who): Promise<string> {
    const texts: string[] = [];
    const v = await view(who, ids.cancelled, [ids.cancelledGreen, ids.cancelledCase]);
    texts.push(JSON.stringify(v));
    // A STIX bundle of the hidden ids answers as one of ids that do not exist.
    const bundle = async (list: string[]) => (await t.gql(`query ($ids: [ID!]!) { stixBundle(ids: $ids) }`, { ids: list }, tokens[who] ? { token: tokens[who] } : {})).text;
    const hiddenIds = [ids.cancelled, ids.cancelledGreen, ids.cancelledCase];
    const absentIds = [absent, 'x-model-risk-notice--00000000-0000-4000-8000-000000000000', 'vulnerability--00000000-0000-4000-8000-000000000000'];
    const stix = await bundle(hiddenIds);
    const normalise = (text: string, list: string[]) => list.reduce((acc, id, i) => acc.split(id).join(`ID${i}`), text).replace(/bundle--[0-9a-f-]{36}/g, 'bundle');
    expect(normalise(stix, hiddenIds), `${who}: stixBundle`).toBe(normalise(await bundle(absentIds), absentIds));
    texts.push(normalise(stix, hiddenIds));
    const get = async (path: string) => {
      clock += 1;
      const res = await fetch(`${origin}/taxii2/hub/collections/${NOTICES}/${path}`, { headers: { accept: TAXII, ...(tokens[who] ? { authorization: `Bearer ${tokens[who]}` } : {}) } });
      return `${res.status} ${res.headers.get('x-taxii-date-added-first')} ${res.headers.get('x-taxii-date-added-last')}\n${await res.text()}`;
    };
    texts.push(await get('objects/'), await get('manifest/'));
    // The finding by id answers as an object that does not exist.
    const missing = 'x-model-risk-notice--00000000-0000-4000-8000-000000000000';
    const byId = await get(`objects/${ids.cancelledGreen}/`);
    expect(byId.split(ids.cancelledGreen).join('ID'), `${who}: TAXII object`).toBe((await get(`objects/${missing}/`)).split(missing).join('ID'));
    texts.push(byId.split(ids.cancelledGreen).join('ID'));
    return texts.join('\n');
  }

  it('its findings never reach anyone but the lab, its reviewers and hub-admins: not at the cancel, not at the would-be close', async () => {
    // Alerts from here on.
    await heard({});
    const review = await step('lab', SCHEDULE, { input: { model: CANCELLED_MODEL, plannedDeploymentAt: new Date(clock + 31 * DAY).toISOString(), reviewerIds: ['isac'] } });
    ids.cancelled = review.id;
    names.set(review.id, 'cancelled');
    const wouldClose = clock + 31 * DAY;
    clock += DAY;
    ids.cancelledGreen = (await step('agency', NOTICE, { input: notice(SECRET, 'GREEN', 'JAILBREAK', 'HIGH', { model: CANCELLED_MODEL, reviewId: ids.cancelled }) })).id;
    ids.cancelledCase = (await step('isac', SUBMIT, { input: caseInput(`${SECRET} case`, { reviewId: ids.cancelled, discovery: { method: 'AI_MODEL', model: { name: CANCELLED_MODEL.name, developer: CANCELLED_MODEL.developer }, humanValidated: true } }) })).id;
    names.set(ids.cancelledGreen, 'cancelledGreen');
    names.set(ids.cancelledCase, 'cancelledCase');
    await expectHeard({
      lab: ['cancelled PUBLISHED', 'cancelledGreen PUBLISHED'],
      agency: ['cancelled PUBLISHED', 'cancelledGreen PUBLISHED'],
      late: ['cancelled PUBLISHED', 'cancelledGreen PUBLISHED'],
      isac: ['cancelled PUBLISHED', 'cancelledGreen PUBLISHED', 'cancelledCase PUBLISHED'],
    }, 'scheduling and filing');
    outsiders = {};
    for (const who of OUTSIDERS) {
      outsiders[who] = await observe(who);
      expect(outsiders[who], who).not.toContain(SECRET);
      expect(outsiders[who], who).not.toContain(ids.cancelled);
    }

    clock += DAY;
    const cancelled = await step('lab', CANCEL, { id: ids.cancelled });
    expect(cancelled).toMatchObject({ status: 'CANCELLED', closedAt: null, cancelReason: 'the model will not ship', summary: { total: 2 } });
    // Insiders hear of the cancellation; nobody else hears anything.
    const got = await heard({ lab: ['x'], agency: ['x'], isac: ['x'], late: ['x'] });
    for (const who of OUTSIDERS) expect(got[who], who).toEqual([]);
    for (const who of ['lab', 'agency', 'isac', 'late'] as const) expect(got[who], who).toEqual(['cancelled UPDATED']);
    // Reviewers see it cancelled, with the reason; the summary is never released to them.
    const agency = await view('agency', ids.cancelled, [ids.cancelledGreen]);
    expect(agency.review).toMatchObject({ status: 'CANCELLED', cancelReason: 'the model will not ship', summary: null });
    expect(agency.byId).toEqual(['cancelledGreen']);

    for (const at of [wouldClose - 1, wouldClose, wouldClose + 400 * DAY]) {
      clock = Math.max(clock, at);
      expect(await checkReviews()).toBe(0);
      await t.hub.maintenance.checkEmbargoes();
      const after = await heard({});
      for (const who of WHO) expect(after[who], `${who} at ${new Date(at).toISOString()}`).toEqual([]);
      for (const who of OUTSIDERS) {
        const now = await observe(who);
        expect(now, who).not.toContain(SECRET);
        expect(now, who).not.toContain(ids.cancelled);
        expect(now, who).not.toContain(ids.cancelledGreen);
        expect(now, who).not.toContain(ids.cancelledCase);
      }
      // Still with its insiders, still without a summary; the lab reads it (its own statistic).
      expect((await view('isac', ids.cancelled, [ids.cancelledGreen])).review).toMatchObject({ status: 'CANCELLED', summary: null });
      expect((await view('lab', ids.cancelled, [ids.cancelledGreen])).review.summary).toMatchObject({ total: 2 });
    }
    // Lookups of the cancelled review answer as for an id that does not exist, on every mutation too.
    for (const who of ['trusted', 'community'] as const) {
      for (const m of [
        `mutation ($id: ID!) { inviteReviewers(reviewId: $id, memberIds: ["community"]) { id } }`,
        `mutation ($id: ID!) { releaseModelReviewSummary(reviewId: $id) { id } }`,
        `mutation ($id: ID!) { closeModelReview(reviewId: $id) { id } }`,
      ]) {
        const hidden = JSON.stringify((await gql(who, m, { id: ids.cancelled })).errors).split(ids.cancelled).join('ID');
        const missing = JSON.stringify((await gql(who, m, { id: absent })).errors).split(absent).join('ID');
        expect(hidden, `${who}: ${m}`).toBe(missing);
      }
    }
  });
});
