/**
 * An adversarial review of model reviews (issue 14): the side channels through which a viewer
 * outside a review could learn that it exists, who reviews it, what was filed under it, or when
 * its reviewer list changed. Each test names the channel; a real hub on port 0 with a controlled
 * clock, real tokens, the official graphql-ws client.
 *
 * Members: `lab` (TRUSTED, the lab, with two people: a publisher and an approver), `agency` (CORE,
 * a default reviewer), `isac` (TRUSTED, invited), `outsider` (COMMUNITY), `late` (CORE, joined
 * after the scheduling), `pending` (registered, still PENDING), and `ops` (a hub-admin).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/domain/types.js';
import { alertStream } from './support/alert-stream.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const DAY = 86_400_000;
const T0 = Math.ceil(Date.now() / 1000) * 1000;
let clock = T0;
/** Each scenario runs 400 days after the previous one: reviews of one never overlap another's. */
let base = T0;
const at = (days: number) => base + days * DAY;
function fresh(): void {
  base += 400 * DAY;
  clock = base;
}

let t: TestHub;
const tok = {} as Record<'lab' | 'labApprover' | 'labAdmin' | 'agency' | 'isac' | 'isacApprover' | 'isacAdmin' | 'outsider' | 'outsiderAdmin' | 'outsiderApprover' | 'admin', string>;

beforeAll(async () => {
  t = await startTestHub({ config: { anonymousReads: true, alertHeartbeatMs: 40 }, start: { clock: () => clock } });
  const roles: Role[] = ['reader', 'publisher', 'approver', 'member-admin'];
  await Promise.all([
    t.member('lab', 'TRUSTED', { kind: 'LAB', allowedRoles: roles }).token(),
    t.member('agency', 'CORE', { kind: 'AGENCY' }).token(),
    t.member('isac', 'TRUSTED', { kind: 'ISAC' }).token(),
    t.member('outsider', 'COMMUNITY').token(),
    t.member('ops', 'COMMUNITY', { allowedRoles: ['reader', 'hub-admin'] }).token(['reader']),
  ]);
  await t.hub.services.members.register({ _id: 'pending', name: 'pending org', kind: 'ENTERPRISE', tier: 'COMMUNITY', sector: 's', country: 'NL', allowedRoles: ['reader'], status: 'PENDING', createdAt: new Date() });
  tok.lab = await t.tokenAs('lab', 'lena@lab', ['reader', 'publisher']);
  tok.labApprover = await t.tokenAs('lab', 'abe@lab', ['reader', 'approver']);
  tok.labAdmin = await t.tokenAs('lab', 'mia@lab', ['reader', 'member-admin']);
  tok.agency = await t.tokenAs('agency', 'ada@agency', ['reader', 'publisher']);
  tok.isac = await t.tokenAs('isac', 'ian@isac', ['reader', 'publisher']);
  tok.isacApprover = await t.tokenAs('isac', 'ivy@isac', ['reader', 'approver']);
  tok.isacAdmin = await t.tokenAs('isac', 'ida@isac', ['reader', 'member-admin']);
  tok.outsider = await t.tokenAs('outsider', 'oz@outsider', ['reader', 'publisher']);
  tok.outsiderAdmin = await t.tokenAs('outsider', 'ola@outsider', ['reader', 'member-admin']);
  tok.outsiderApprover = await t.tokenAs('outsider', 'oli@outsider', ['reader', 'approver']);
  tok.admin = await t.tokenAs('ops', 'olga@ops', ['reader', 'hub-admin']);
});
afterAll(() => t?.dispose());

async function gql(token: string | undefined, query: string, variables: Record<string, unknown> = {}) {
  return t.gql(query, variables, token ? { token } : {});
}
async function ok(token: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const res = await gql(token, query, variables);
  expect(res.body.errors, res.text).toBeUndefined();
  return Object.values(res.body.data)[0];
}

const SCHEDULE = `mutation ($input: ModelReviewInput!) { scheduleModelReview(input: $input) { id } }`;
const NOTICE = `mutation ($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id updatedAt } }`;
const INVITE = `mutation ($id: ID!, $m: [ID!]!) { inviteReviewers(reviewId: $id, memberIds: $m) { id reviewers { id } } }`;
const REMOVE = `mutation ($id: ID!, $m: [ID!]!) { removeReviewers(reviewId: $id, memberIds: $m) { id reviewers { id } } }`;
const REVIEW = `query ($id: ID!) { modelReview(id: $id) { id status updatedAt reviewers { id } summary { total } } }`;

/** Schedules a review at the current `clock` deploying in 31 days (its window opens in 1), isac invited. */
async function schedule(name: string, over: Record<string, unknown> = {}): Promise<string> {
  const review = await ok(tok.lab, SCHEDULE, { input: { model: { name, developer: 'Lab Inc' }, plannedDeploymentAt: new Date(clock + 31 * DAY).toISOString(), reviewerIds: ['isac'], ...over } });
  return review.id;
}
const finding = (name: string, reviewId: string, tlp = 'GREEN', over: Record<string, unknown> = {}) => ({
  title: `${name} finding`, summary: 's', model: { name, developer: 'Lab Inc' }, category: 'JAILBREAK', severity: 'HIGH', tlp, status: 'PUBLISHED', reviewId, ...over,
});
async function checkReviews(): Promise<number> {
  return (t.hub.maintenance as typeof t.hub.maintenance & { checkReviews(): Promise<number> }).checkReviews();
}

describe('after the close, nothing tells an outsider when the reviewer list changed', () => {
  it("the review's and its findings' updatedAt, as a member outside the review reads them after the close, did not move on an invitation or a removal", async () => {
    fresh();
    const id = await schedule('Timing-1');
    clock = at(1);
    const filed = await ok(tok.agency, NOTICE, { input: finding('Timing-1', id) });
    clock = at(2);
    await ok(tok.lab, INVITE, { id, m: ['outsider'] });
    clock = at(3);
    await ok(tok.lab, REMOVE, { id, m: ['outsider'] });
    clock = at(31);
    expect(await checkReviews()).toBe(1);
    const review = (await ok(tok.outsider, REVIEW, { id }));
    expect(review.status).toBe('CLOSED');
    const moved = [at(2), at(3)].map((ms) => new Date(ms).toISOString());
    expect(moved, 'the review\'s updatedAt tells when its reviewers changed').not.toContain(review.updatedAt);
    const notice = await ok(tok.outsider, `query ($id: ID!) { modelRiskNotice(id: $id) { id updatedAt } }`, { id: filed.id });
    expect(notice.updatedAt, "the finding's updatedAt tells when the review's reviewers changed").toBe(filed.updatedAt);
  });
});

describe('a closed review stays closed', () => {
  it('cancel, invite, remove and reschedule after the close are refused, and the released findings stay released', async () => {
    fresh();
    const id = await schedule('Final-1');
    clock = at(1);
    const filed = await ok(tok.agency, NOTICE, { input: finding('Final-1', id) });
    clock = at(31);
    await checkReviews();
    for (const [m, v] of [
      [`mutation ($id: ID!) { cancelModelReview(reviewId: $id, reason: "changed our mind") { id } }`, { id }],
      [INVITE, { id, m: ['outsider'] }],
      [REMOVE, { id, m: ['isac'] }],
      [`mutation ($id: ID!, $at: DateTime!) { rescheduleModelReview(reviewId: $id, plannedDeploymentAt: $at, reason: "later") { id } }`, { id, at: new Date(at(90)).toISOString() }],
    ] as const) {
      const res = await gql(tok.lab, m, v);
      expect(res.body.errors?.[0]?.extensions?.code, `${m}: ${res.text}`).toBeDefined();
      expect(res.body.errors?.[0]?.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
    }
    expect(await ok(tok.outsider, `query ($id: ID!) { modelRiskNotice(id: $id) { id } }`, { id: filed.id })).toEqual({ id: filed.id });
    expect((await ok(tok.outsider, REVIEW, { id })).status).toBe('CLOSED');
  });
});

describe('approval requests and the audit log', () => {
  it("the lab's early-close and reschedule requests are listed to its own approvers and hub-admins, not to a reviewer's nor an outsider's", async () => {
    fresh();
    const id = await schedule('Approvals-1');
    const close = await gql(tok.lab, `mutation ($id: ID!) { closeModelReview(reviewId: $id) { id } }`, { id });
    expect(close.body.errors?.[0]?.extensions?.code, close.text).toBe('APPROVAL_REQUIRED');
    const forward = await gql(tok.lab, `mutation ($id: ID!, $at: DateTime!) { rescheduleModelReview(reviewId: $id, plannedDeploymentAt: $at, reason: "sooner") { id } }`, { id, at: new Date(clock + 20 * DAY).toISOString() });
    expect(forward.body.errors?.[0]?.extensions?.code, forward.text).toBe('APPROVAL_REQUIRED');
    const requests = [close.body.errors![0]!.extensions!.requestId, forward.body.errors![0]!.extensions!.requestId];
    const LIST = `{ approvalRequests(first: 100) { totalCount edges { node { id kind target { kind id } } } } }`;
    for (const who of ['labApprover', 'admin'] as const) {
      const listed = (await ok(tok[who], LIST)).edges.map((e: any) => e.node.id);
      for (const r of requests) expect(listed, who).toContain(r);
    }
    for (const who of ['isacApprover', 'isacAdmin', 'outsiderApprover', 'outsiderAdmin'] as const) {
      const res = await gql(tok[who], LIST);
      expect(res.text, who).not.toContain(id);
      for (const r of requests) expect(res.text, who).not.toContain(r);
      // By id: as a request that does not exist.
      for (const r of requests) {
        const one = await gql(tok[who], `query ($id: ID!) { node(id: $id) { id } }`, { id: r });
        expect(one.text, who).not.toContain(id);
      }
    }
  });

  it("an outsider's member-admin reads no entry about the review; a reviewer's reads its own filings only", async () => {
    fresh();
    const id = await schedule('Audit-1');
    clock = at(1);
    await ok(tok.isac, NOTICE, { input: finding('Audit-1', id) });
    const AUDIT = `query ($f: AuditLogFilter) { auditLog(filter: $f, first: 500) { totalCount edges { node { action memberId target { kind id } summary details } } } }`;
    const outsider = await gql(tok.outsiderAdmin, AUDIT, {});
    expect(outsider.text).not.toContain(id);
    expect(outsider.text).not.toContain('MODEL_REVIEW');
    const foreign = await gql(tok.outsiderAdmin, AUDIT, { f: { memberId: 'lab' } });
    expect(foreign.text).not.toContain(id);
    const isac = await gql(tok.isacAdmin, AUDIT, { f: { action: ['MODEL_REVIEW_SCHEDULED', 'MODEL_REVIEW_REVIEWERS_INVITED'] } });
    expect(isac.body.data?.auditLog?.totalCount ?? 0, isac.text).toBe(0);
  });
});

describe('inviting', () => {
  it('naming a PENDING member is refused as naming none: the lab learns of no member it may not see', async () => {
    fresh();
    const id = await schedule('Invite-1');
    const pending = await gql(tok.lab, INVITE, { id, m: ['pending'] });
    const none = await gql(tok.lab, INVITE, { id, m: ['no-such-member'] });
    expect(pending.body.errors?.[0]?.extensions?.code, pending.text).toBeDefined();
    expect(pending.text.split('pending').join('X')).toBe(none.text.split('no-such-member').join('X'));
    const scheduled = await gql(tok.lab, SCHEDULE, { input: { model: { name: 'Invite-2', developer: 'L' }, plannedDeploymentAt: new Date(clock + 31 * DAY).toISOString(), reviewerIds: ['pending'] } });
    const scheduledNone = await gql(tok.lab, SCHEDULE, { input: { model: { name: 'Invite-2', developer: 'L' }, plannedDeploymentAt: new Date(clock + 31 * DAY).toISOString(), reviewerIds: ['no-such-member'] } });
    expect(scheduled.text.split('pending').join('X')).toBe(scheduledNone.text.split('no-such-member').join('X'));
  });
});

describe('the summary before the close', () => {
  it('is withheld from reviewers on queries and on alerts (it counts findings not shared with them)', async () => {
    fresh();
    const isac = await alertStream(t, tok.isac, { selection: 'cursor type review { id summary { total } } notice { id }' });
    const id = await schedule('Summary-1');
    clock = at(1);
    await ok(tok.agency, NOTICE, { input: finding('Summary-1', id, 'RED', { recipients: ['agency'] }) });
    await ok(tok.lab, INVITE, { id, m: ['outsider'] });
    await isac.nextHeartbeats(2);
    expect((await ok(tok.isac, REVIEW, { id })).summary).toBeNull();
    for (const e of isac.events as any[]) if (e.review?.id === id) expect(e.review.summary, JSON.stringify(e)).toBeNull();
    expect(isac.events.some((e: any) => e.review?.id === id), 'isac heard of its review').toBe(true);
    await isac.dispose();
  });
});

describe('a finding widened while the review is open', () => {
  it("lowering an AMBER finding's TLP to CLEAR (approved) releases it to nobody outside the review, on queries, alerts or TAXII", async () => {
    fresh();
    const outsider = await alertStream(t, tok.outsider, { selection: 'cursor type notice { id } review { id }' });
    const anonymous = await alertStream(t, undefined, { selection: 'cursor type notice { id } review { id }' });
    const id = await schedule('Widen-1');
    clock = at(1);
    const filed = await ok(tok.isac, NOTICE, { input: finding('Widen-1', id, 'AMBER') });
    const request = await ok(tok.isac, `mutation ($id: ID!) { requestTlpChange(recordId: $id, tlp: CLEAR, reason: "share") { id } }`, { id: filed.id });
    await ok(tok.isacApprover, `mutation ($id: ID!) { approveRequest(id: $id, reason: "ok") { id status } }`, { id: request.id });
    expect((await ok(tok.isac, `query ($id: ID!) { modelRiskNotice(id: $id) { tlp } }`, { id: filed.id })).tlp).toBe('CLEAR');
    await Promise.all([outsider.nextHeartbeats(2), anonymous.nextHeartbeats(2)]);
    // (Reviews of earlier scenarios close meanwhile: REVIEW_CLOSED of those is theirs to hear.)
    const ofThis = (events: any[]) => events.filter((e) => e.notice?.id === filed.id || e.review?.id === id);
    expect(ofThis(outsider.events), 'the outsider heard').toEqual([]);
    expect(ofThis(anonymous.events), 'anonymous heard').toEqual([]);
    for (const token of [tok.outsider, undefined]) {
      expect((await gql(token, `query ($id: ID!) { modelRiskNotice(id: $id) { id } }`, { id: filed.id })).body.data.modelRiskNotice).toBeNull();
      clock += 1;
      const feed = await fetch(`${t.url.replace(/\/graphql$/, '')}/taxii2/hub/collections/fc6234ba-1d08-4c68-92c5-2765ca3f6581/objects/`, { headers: { accept: 'application/taxii+json;version=2.1', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
      expect(await feed.text()).not.toContain(filed.id);
    }
    await Promise.all([outsider.dispose(), anonymous.dispose()]);
  });
});

describe('the STIX of a closed review', () => {
  it('names no reviewer, no cancellation and no announcement instant to an outsider', async () => {
    fresh();
    const id = await schedule('Stix-1', { publicSummary: true });
    clock = at(31);
    await checkReviews();
    for (const token of [tok.outsider, undefined]) {
      const res = await gql(token, `query ($id: ID!) { stixBundle(ids: [$id]) }`, { id });
      expect(res.body.errors, res.text).toBeUndefined();
      const objects = res.body.data.stixBundle.objects as any[];
      const review = objects.find((o) => o.id === id);
      expect(review, res.text).toMatchObject({ type: 'x-model-review', status: 'closed' });
      expect(review.reviewer_refs, 'reviewer_refs').toBeUndefined();
      expect(review.cancel_reason ?? null, 'cancel_reason').toBeNull();
      expect(JSON.stringify(review)).not.toMatch(/announce/i);
      // No identity of a reviewer rides along.
      const identities = objects.filter((o) => o.type === 'identity').map((o) => JSON.stringify(o));
      for (const reviewer of ['isac', 'agency']) expect(identities.filter((i) => i.includes(reviewer)), reviewer).toEqual([]);
    }
  });
});

describe('the summary released at the close', () => {
  it("counts no DRAFT finding (a draft is its author's alone: never filed, never released)", async () => {
    fresh();
    const id = await schedule('Draft-1');
    clock = at(1);
    await ok(tok.agency, NOTICE, { input: finding('Draft-1', id) });
    await ok(tok.isac, NOTICE, { input: finding('Draft-1', id, 'GREEN', { status: 'DRAFT', severity: 'CRITICAL', category: 'WEIGHTS_EXPOSURE' }) });
    clock = at(31);
    await checkReviews();
    const summary = (await ok(tok.outsider, `query ($id: ID!) { modelReview(id: $id) { summary { total highestSeverity byCategory { category } } findings { __typename } } }`, { id }));
    expect(summary.findings).toHaveLength(1);
    expect(summary.summary).toEqual({ total: 1, highestSeverity: 'HIGH', byCategory: [{ category: 'JAILBREAK' }] });
    // Every channel of the summary alike: the x-model-review of the STIX bundle and of TAXII.
    const bundle = await gql(tok.outsider, `query ($id: ID!) { stixBundle(ids: [$id]) }`, { id });
    expect(bundle.body.data.stixBundle.objects.find((o: any) => o.id === id)?.summary, bundle.text).toMatchObject({ total: 1, highest_severity: 'high' });
    clock += 1;
    const feed = await fetch(`${t.url.replace(/\/graphql$/, '')}/taxii2/hub/collections/fc6234ba-1d08-4c68-92c5-2765ca3f6581/objects/${id}/`, { headers: { accept: 'application/taxii+json;version=2.1', authorization: `Bearer ${tok.outsider}` } });
    const served = await feed.text();
    expect(JSON.parse(served).objects?.[0]?.summary, served).toMatchObject({ total: 1, highest_severity: 'high' });
  });
});

describe('cursors', () => {
  it("an insider's cursor over reviews or findings, replayed by an outsider, is refused as any foreign cursor", async () => {
    fresh();
    const id = await schedule('Cursor-1');
    clock = at(1);
    await ok(tok.agency, NOTICE, { input: finding('Cursor-1', id) });
    await ok(tok.agency, NOTICE, { input: finding('Cursor-1', id) });
    const reviews = await ok(tok.lab, `{ modelReviews(first: 1) { edges { cursor } } }`);
    const notices = await ok(tok.agency, `query ($id: ID!) { modelRiskNotices(first: 1, filter: { reviewId: $id }) { edges { cursor } } }`, { id });
    for (const [query, cursor] of [
      [`query ($after: String) { modelReviews(first: 5, after: $after) { totalCount edges { node { id } } } }`, reviews.edges[0].cursor],
      [`query ($after: String) { modelRiskNotices(first: 5, after: $after) { totalCount edges { node { id } } } }`, notices.edges[0].cursor],
    ] as const) {
      for (const token of [tok.outsider, undefined]) {
        const res = await gql(token, query, { after: cursor });
        expect(res.body.errors?.[0]?.extensions?.code, res.text).toBe('BAD_USER_INPUT');
        expect(res.text).not.toContain(id);
      }
    }
  });
});

describe('a reviewer removed after filing', () => {
  it('keeps its own finding, but neither the GraphQL `review` nor the STIX `review_ref` of it names the review any more', async () => {
    fresh();
    const id = await schedule('Removed-1');
    clock = at(1);
    const filed = await ok(tok.isac, NOTICE, { input: finding('Removed-1', id) });
    await ok(tok.lab, REMOVE, { id, m: ['isac'] });
    const own = await gql(tok.isac, `query ($id: ID!) { modelRiskNotice(id: $id) { id review { id } } }`, { id: filed.id });
    expect(own.body.data.modelRiskNotice).toEqual({ id: filed.id, review: null });
    expect((await gql(tok.isac, REVIEW, { id })).body.data.modelReview).toBeNull();
    clock += 1;
    const feed = await fetch(`${t.url.replace(/\/graphql$/, '')}/taxii2/hub/collections/fc6234ba-1d08-4c68-92c5-2765ca3f6581/objects/${filed.id}/`, { headers: { accept: 'application/taxii+json;version=2.1', authorization: `Bearer ${tok.isac}` } });
    const text = await feed.text();
    expect(text).toContain(filed.id);
    expect(text).not.toContain(id);
    const bundle = await gql(tok.isac, `query ($ids: [ID!]!) { stixBundle(ids: $ids) }`, { ids: [filed.id] });
    expect(bundle.text).toContain(filed.id);
    expect(bundle.text).not.toContain(id);
    // The control: the lab, which sees the review, is given the reference on both channels.
    const labFeed = await fetch(`${t.url.replace(/\/graphql$/, '')}/taxii2/hub/collections/fc6234ba-1d08-4c68-92c5-2765ca3f6581/objects/${filed.id}/`, { headers: { accept: 'application/taxii+json;version=2.1', authorization: `Bearer ${tok.lab}` } });
    expect(await labFeed.text()).toContain(id);
    expect((await gql(tok.lab, `query ($ids: [ID!]!) { stixBundle(ids: $ids) }`, { ids: [filed.id] })).text).toContain(id);
  });
});

describe('acting on a hidden finding', () => {
  it("every mutation naming a finding of a review the caller may not see (as its author's peer, a coordinator, a vendor it names) answers as for an id that does not exist", async () => {
    fresh();
    await t.member('cert', 'COMMUNITY', { kind: 'AGENCY', allowedRoles: ['reader', 'publisher', 'coordinator'] }).token();
    const coordinator = await t.tokenAs('cert', 'cora@cert', ['reader', 'publisher', 'coordinator']);
    const id = await schedule('Acting-1');
    clock = at(1);
    const notice = (await ok(tok.isac, NOTICE, { input: finding('Acting-1', id, 'CLEAR', { category: 'AI_FOUND_VULNERABILITY' }) })).id as string;
    const kase = (await ok(tok.isac, `mutation ($input: VulnerabilityInput!) { submitVulnerability(input: $input) { id } }`, {
      input: {
        title: 'Acting-1 case', summary: 's', severity: 'HIGH', cwes: ['CWE-787'], reviewId: id,
        affected: [{ vendorId: 'outsider', vendorName: 'Outsider Co', product: 'acting-widget', versions: '1' }],
        discovery: { method: 'AI_MODEL', model: { name: 'Acting-1', developer: 'Lab Inc' }, humanValidated: true },
      },
    })).id as string;
    // The coordinator's own case, to name the hidden one as its original or as a related notice.
    const own = (await ok(coordinator, `mutation ($input: VulnerabilityInput!) { submitVulnerability(input: $input) { id } }`, {
      input: { title: 'own', summary: 's', severity: 'LOW', cwes: ['CWE-787'], affected: [{ vendorName: 'V', product: 'own-widget', versions: '1' }], discovery: { method: 'HUMAN', humanValidated: true } },
    })).id as string;
    const absentNotice = 'x-model-risk-notice--00000000-0000-4000-8000-000000000001';
    const absentCase = 'vulnerability--00000000-0000-4000-8000-000000000001';
    const probes: Array<[string, string, string, Record<string, unknown>]> = [
      [tok.outsider, 'notice', `mutation ($id: ID!) { updateModelRiskNotice(id: $id, input: { title: "x" }) { id } }`, {}],
      [tok.outsider, 'notice', `mutation ($id: ID!) { changeModelRiskNoticeStatus(id: $id, status: RETRACTED) { id } }`, {}],
      [tok.outsider, 'notice', `mutation ($id: ID!) { requestTlpChange(recordId: $id, tlp: CLEAR, reason: "r") { id } }`, {}],
      [tok.outsider, 'notice', `mutation ($id: ID!) { requestRecipientsChange(recordId: $id, recipients: ["lab"], reason: "r") { id } }`, {}],
      [tok.outsider, 'notice', `query ($id: ID!) { stixBundle(ids: [$id]) }`, {}],
      [coordinator, 'case', `mutation ($id: ID!) { validateVulnerability(id: $id, verdict: VALIDATED, reason: "r") { id } }`, {}],
      [coordinator, 'case', `mutation ($id: ID!) { publishVulnerability(id: $id) { id } }`, {}],
      [coordinator, 'case', `mutation ($id: ID!, $own: ID!) { markDuplicate(id: $own, of: $id, reason: "r") { id } }`, { own }],
      [coordinator, 'case', `mutation ($id: ID!) { proposeEmbargo(id: $id, endsAt: "2099-01-01T00:00:00.000Z", reason: "r") { id } }`, {}],
      [tok.outsider, 'case', `mutation ($id: ID!) { acknowledgeVulnerability(id: $id, vendorId: "outsider") { id } }`, {}],
      [tok.outsider, 'case', `mutation ($id: ID!) { setVendorStatus(id: $id, vendorId: "outsider", status: FIXED) { id } }`, {}],
      [coordinator, 'notice', `mutation ($id: ID!) { submitVulnerability(input: { title: "t", summary: "s", severity: LOW, cwes: ["CWE-787"], affected: [{ vendorName: "V", product: "p2", versions: "1" }], discovery: { method: HUMAN, humanValidated: true }, relatedNoticeIds: [$id] }) { id } }`, {}],
    ];
    const normalise = (text: string, id: string) => text.split(id).join('ID').replace(/bundle--[0-9a-f-]{36}/g, 'bundle');
    for (const [token, kind, query, extra] of probes) {
      const hiddenId = kind === 'notice' ? notice : kase;
      const absentId = kind === 'notice' ? absentNotice : absentCase;
      const hidden = await gql(token, query, { id: hiddenId, ...extra });
      const absent = await gql(token, query, { id: absentId, ...extra });
      expect(normalise(hidden.text, hiddenId), query).toBe(normalise(absent.text, absentId));
    }
    // Nothing moved: the finding is as its author filed it.
    expect(await ok(tok.isac, `query ($id: ID!) { modelRiskNotice(id: $id) { title status tlp } }`, { id: notice })).toEqual({ title: 'Acting-1 finding', status: 'PUBLISHED', tlp: 'CLEAR' });
  });
});

describe('a peer hub (a member of kind HUB)', () => {
  it('is no default reviewer, and learns of no review before its close: no review, no reviewer list, no alert', async () => {
    fresh();
    await t.member('peer-hub', 'CORE', { kind: 'HUB', allowedRoles: ['reader'] }).token(['reader']);
    const peer = await t.tokenAs('peer-hub', 'svc@peer-hub', ['reader']);
    const stream = await alertStream(t, peer, { selection: 'cursor type review { id } notice { id }' });
    const id = await schedule('Peer-1');
    const scheduled = await ok(tok.lab, REVIEW, { id });
    expect(scheduled.reviewers.map((m: any) => m.id), 'the default reviewers').not.toContain('peer-hub');
    clock = at(1);
    const filed = await ok(tok.agency, NOTICE, { input: finding('Peer-1', id, 'CLEAR') });
    await stream.nextHeartbeats(2);
    expect(stream.events.filter((e: any) => e.review?.id === id || e.notice?.id === filed.id)).toEqual([]);
    const seen = await gql(peer, `query ($id: ID!) { modelReview(id: $id) { id } modelReviews(first: 50) { totalCount edges { node { id } } } }`, { id });
    expect(seen.text).not.toContain(id);
    // Even invited, a peer hub is no insider: what it sees leaves this hub for another one.
    await ok(tok.lab, INVITE, { id, m: ['peer-hub'] });
    expect((await gql(peer, REVIEW, { id })).body.data.modelReview).toBeNull();
    // From the close on, it sees the review as any member does (never its reviewers).
    clock = at(31);
    await checkReviews();
    expect(await ok(peer, REVIEW, { id })).toMatchObject({ id, status: 'CLOSED', reviewers: null });
    await stream.dispose();
  });
});
