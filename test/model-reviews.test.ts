/**
 * Pre-deployment model reviews, the lab's side (issue 14, docs/model-reviews.md): scheduling,
 * reviewers, rescheduling (plain and two-person), the early close by approval, cancelling,
 * releasing the summary; who may call each mutation, the errors naming their field, the audit
 * entries in the lab's log, and each finding's restriction kept equal to its review. A real hub
 * on port 0, real tokens, a controlled clock.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelReviewDoc } from '../src/domain/model-review.js';
import { findingRestriction } from '../src/domain/model-review.js';
import type { Role } from '../src/domain/types.js';
import { parseConfig } from '../src/config.js';
import { startTestHub, type GqlResponse, type TestHub } from './support/hub-fixture.js';
import { APPROVE, personToken, REQUEST_REGISTRATION } from './support/identity-providers.js';
import { alertStream } from './support/alert-stream.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 5, 1, 9);
let now = T0;
const at = (days: number) => new Date(T0 + days * DAY);
const ROLES: Role[] = ['reader', 'publisher', 'approver', 'member-admin', 'coordinator'];
const MISSING = 'x-model-review--00000000-0000-4000-8000-000000000000';

let t: TestHub;
const WHO = ['labPub', 'labAdmin', 'labApprover', 'labReader', 'agency', 'agencyReader', 'core2', 'isac', 'trusted', 'community', 'hubAdmin'] as const;
const tok = {} as Record<(typeof WHO)[number], string>;

beforeAll(async () => {
  t = await startTestHub({ config: { anonymousReads: true }, start: { clock: () => now } });
  tok.hubAdmin = await personToken(t, 'root@hub-operators'); // hub-operators: CORE, a default reviewer
  const members: Array<[string, 'CORE' | 'TRUSTED' | 'COMMUNITY', string]> = [
    ['lab', 'TRUSTED', 'LAB'],
    ['agency', 'CORE', 'AGENCY'],
    ['core2', 'CORE', 'ENTERPRISE'],
    ['isac', 'TRUSTED', 'ENTERPRISE'],
    ['trusted-co', 'TRUSTED', 'ENTERPRISE'],
    ['community-co', 'COMMUNITY', 'ENTERPRISE'],
  ];
  for (const [id, tier, kind] of members) t.member(id, tier, { kind: kind as never, allowedRoles: ROLES });
  // Not part of the hub: a CORE registration nobody approved, and a suspended CORE member (neither reviews by default).
  t.member('pending-co', 'CORE', { status: 'PENDING', allowedRoles: ROLES });
  t.member('suspended-co', 'CORE', { status: 'SUSPENDED', allowedRoles: ROLES });
  await new Promise((r) => setTimeout(r, 50));
  tok.labPub = await t.tokenAs('lab', 'alice@lab', ['reader', 'publisher', 'member-admin']);
  tok.labAdmin = await t.tokenAs('lab', 'mia@lab', ['reader', 'member-admin']);
  tok.labApprover = await t.tokenAs('lab', 'bob@lab', ['reader', 'approver']);
  tok.labReader = await t.tokenAs('lab', 'rex@lab', ['reader']);
  tok.agency = await t.tokenAs('agency', 'ann@agency', ['reader', 'publisher', 'member-admin', 'approver']);
  tok.agencyReader = await t.tokenAs('agency', 'rob@agency', ['reader']);
  tok.core2 = await t.tokenAs('core2', 'cy@core2', ['reader', 'publisher']);
  tok.isac = await t.tokenAs('isac', 'ida@isac', ['reader', 'publisher']);
  tok.trusted = await t.tokenAs('trusted-co', 'ty@trusted', ['reader', 'publisher', 'member-admin']);
  tok.community = await t.tokenAs('community-co', 'cam@community', ['reader', 'publisher']);
});
afterAll(() => t?.dispose());

const REVIEW = /* GraphQL */ `
  fragment R on ModelReview {
    id model { name developer version } description lab { id name } plannedDeploymentAt windowOpensAt closedAt
    cancelledAt cancelReason status reviewers { id } summaryPublic createdAt updatedAt
  }`;
const SCHEDULE = `mutation($input: ModelReviewInput!) { scheduleModelReview(input: $input) { ...R } } ${REVIEW}`;
const GET = `query($id: ID!) { modelReview(id: $id) { ...R } } ${REVIEW}`;
const LIST = `query($filter: ModelReviewFilter) { modelReviews(filter: $filter, first: 100) { totalCount edges { node { id } } } }`;
const AUDIT = `query($memberId: ID) { auditLog(filter: { memberId: $memberId }, first: 200) { edges { node { action memberId actor { userId } target { kind id } summary details } } } }`;
const APPROVE_REQUEST = 'mutation($id: ID!) { approveRequest(id: $id) { id status } }';

type Outcome = { code?: string; field?: string; message?: string; requestId?: string; data?: any };

/** Runs one mutation (its arguments declared from `vars`); answers the review or the first error. */
async function run(token: string | undefined, call: string, vars: Record<string, unknown>): Promise<Outcome> {
  const types: Record<string, string> = { reviewId: 'ID!', memberIds: '[ID!]!', plannedDeploymentAt: 'DateTime!', reason: 'String!' };
  const decl = Object.keys(vars).map((v) => `$${v}: ${types[v]}`).join(', ');
  const res = await t.gql(`mutation(${decl}) { r: ${call} { ...R } } ${REVIEW}`, vars, token ? { token } : {});
  return outcome(res);
}

function outcome(res: GqlResponse): Outcome {
  const err = res.body.errors?.[0];
  if (err) return { code: err.extensions?.code, field: err.extensions?.field, message: err.message, requestId: err.extensions?.requestId };
  return { data: res.body.data.r ?? res.body.data };
}

const invite = (token: string | undefined, reviewId: string, memberIds: string[]) => run(token, 'inviteReviewers(reviewId: $reviewId, memberIds: $memberIds)', { reviewId, memberIds });
const remove = (token: string | undefined, reviewId: string, memberIds: string[]) => run(token, 'removeReviewers(reviewId: $reviewId, memberIds: $memberIds)', { reviewId, memberIds });
const reschedule = (token: string | undefined, reviewId: string, plannedDeploymentAt: Date, reason = 'the launch moved') =>
  run(token, 'rescheduleModelReview(reviewId: $reviewId, plannedDeploymentAt: $plannedDeploymentAt, reason: $reason)', { reviewId, plannedDeploymentAt: plannedDeploymentAt.toISOString(), reason });
const close = (token: string | undefined, reviewId: string) => run(token, 'closeModelReview(reviewId: $reviewId)', { reviewId });
const cancel = (token: string | undefined, reviewId: string, reason = 'the model will not ship') => run(token, 'cancelModelReview(reviewId: $reviewId, reason: $reason)', { reviewId, reason });
const release = (token: string | undefined, reviewId: string) => run(token, 'releaseModelReviewSummary(reviewId: $reviewId)', { reviewId });

const input = (extra: Record<string, unknown> = {}) => ({
  model: { name: 'Orion-5', developer: 'lab', version: '2026-06' },
  plannedDeploymentAt: new Date(now + 40 * DAY).toISOString(),
  description: 'Cyber capability uplift evaluation',
  ...extra,
});

async function schedule(extra: Record<string, unknown> = {}, token = tok.labPub): Promise<any> {
  const res = await t.gql(SCHEDULE, { input: input(extra) }, { token });
  expect(res.body.errors, res.text).toBeUndefined();
  return res.body.data.scheduleModelReview;
}

const view = async (token: string | undefined, id: string) => {
  const res = await t.gql(GET, { id }, token ? { token } : {});
  expect(res.body.errors, res.text).toBeUndefined();
  return res.body.data.modelReview;
};

async function auditOf(memberId: string, reviewId: string) {
  const res = await t.gql(AUDIT, { memberId }, { token: tok.labAdmin });
  expect(res.body.errors, res.text).toBeUndefined();
  return res.body.data.auditLog.edges.map((e: any) => e.node).filter((e: any) => e.target?.id === reviewId || e.details?.target?.id === reviewId);
}

async function stored(id: string): Promise<ModelReviewDoc> {
  const [doc] = await t.hub.store.modelReviews.find({ _id: id });
  return doc!;
}

/** A finding filed by a reviewer through the real mutation, while the window is open (the clock moved there and back). */
async function fileFinding(reviewId: string, token: string, tlp: 'GREEN' | 'AMBER' = 'GREEN'): Promise<string> {
  const review = await stored(reviewId);
  const was = now;
  now = Math.max(now, review.windowOpensAt.getTime());
  try {
    const res = await t.gql('mutation($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }', {
      input: { title: 'Finding', summary: 'A finding of the review', model: { name: 'Orion-5', developer: 'lab' }, category: 'CYBER_OFFENSE_CAPABILITY', severity: 'HIGH', tlp, status: 'PUBLISHED', reviewId },
    }, { token });
    expect(res.body.errors, res.text).toBeUndefined();
    return res.body.data.publishModelRiskNotice.id;
  } finally {
    now = was;
  }
}
const NOTICE = 'query($id: ID!) { modelRiskNotice(id: $id) { id updatedAt } }';
const seesNotice = async (token: string | undefined, id: string) => (await t.gql(NOTICE, { id }, token ? { token } : {})).body.data?.modelRiskNotice !== null;

describe('scheduleModelReview', () => {
  it('makes every ACTIVE member at the default tier (CORE) a reviewer, plus those invited; the window opens 30 days before deployment', async () => {
    now = T0;
    const r = await schedule({ reviewerIds: ['isac'] });
    expect(r).toMatchObject({
      model: { name: 'Orion-5', developer: 'lab', version: '2026-06' },
      lab: { id: 'lab' },
      plannedDeploymentAt: at(40).toISOString(),
      windowOpensAt: at(10).toISOString(),
      closedAt: at(40).toISOString(),
      status: 'SCHEDULED',
      summaryPublic: false,
      cancelledAt: null,
    });
    expect(r.id).toMatch(/^x-model-review--[0-9a-f-]{36}$/);
    expect(r.reviewers.map((m: any) => m.id).sort()).toEqual(['agency', 'core2', 'hub-operators', 'isac']);
    const doc = await stored(r.id);
    expect(doc.invited).toEqual(['isac']);
    expect(doc.scheduledBy).toEqual({ memberId: 'lab', userId: 'alice@lab' });
  });

  it('names the field at fault', async () => {
    now = T0;
    const refusal = async (extra: Record<string, unknown>) => outcome(await t.gql(SCHEDULE, { input: input(extra) }, { token: tok.labPub }));
    expect(await refusal({ plannedDeploymentAt: at(29).toISOString() })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.plannedDeploymentAt' });
    expect(await refusal({ plannedDeploymentAt: at(40).toISOString(), windowOpensAt: at(11).toISOString() })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.windowOpensAt' });
    expect(await refusal({ model: { name: 'x'.repeat(201), developer: 'lab' } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.model' });
    expect(await refusal({ model: { name: ' ', developer: 'lab' } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.model' });
    expect(await refusal({ description: 'd'.repeat(4001) })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.description' });
    expect(await refusal({ reviewerIds: ['lab'] })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.reviewerIds' });
    expect(await refusal({ reviewerIds: Array.from({ length: 101 }, (_, i) => `m${i}`) })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.reviewerIds' });
    // A registration nobody approved answers exactly as an id nobody registered.
    const unknown = await refusal({ reviewerIds: ['nobody-co'] });
    const pending = await refusal({ reviewerIds: ['pending-co'] });
    expect(unknown).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.reviewerIds' });
    expect(pending.message!.replace('pending-co', 'X')).toBe(unknown.message!.replace('nobody-co', 'X'));
    // An earlier opening is a longer window: fine.
    expect((await schedule({ windowOpensAt: at(5).toISOString() })).windowOpensAt).toBe(at(5).toISOString());
  });

  it("is the lab's publishers' and member-admins': a reader, an approver and anonymous callers are refused", async () => {
    expect(outcome(await t.gql(SCHEDULE, { input: input() }))).toMatchObject({ code: 'UNAUTHENTICATED' });
    for (const who of ['labReader', 'labApprover'] as const) expect(outcome(await t.gql(SCHEDULE, { input: input() }, { token: tok[who] })).code, who).toBe('FORBIDDEN');
    expect((await schedule({}, tok.labAdmin)).lab.id).toBe('lab');
    // Another member schedules a review of its own model, not the lab's.
    expect((await schedule({}, tok.trusted)).lab.id).toBe('trusted-co');
  });

  it('shows the review while open only to the lab, its reviewers and hub-admins; reviewers to them only', async () => {
    now = T0;
    const r = await schedule({ reviewerIds: ['isac'] });
    for (const who of ['labReader', 'agencyReader', 'isac', 'core2', 'hubAdmin'] as const) {
      expect((await view(tok[who], r.id))?.reviewers?.length, who).toBe(4);
    }
    for (const who of ['trusted', 'community'] as const) expect(await view(tok[who], r.id), who).toBeNull();
    expect(await view(undefined, r.id)).toBeNull();
    const listed = async (token: string | undefined) => {
      const res = await t.gql(LIST, { filter: null }, token ? { token } : {});
      expect(res.body.errors, res.text).toBeUndefined();
      return res.body.data.modelReviews.edges.map((e: any) => e.node.id);
    };
    expect(await listed(tok.isac)).toContain(r.id);
    expect(await listed(tok.community)).not.toContain(r.id);
    expect(await listed(undefined)).not.toContain(r.id);
    const node = await t.gql('query($id: ID!) { node(id: $id) { __typename id } }', { id: r.id }, { token: tok.agency });
    expect(node.body.data.node).toEqual({ __typename: 'ModelReview', id: r.id });
    expect((await t.gql('query($id: ID!) { node(id: $id) { id } }', { id: r.id }, { token: tok.community })).body.data.node).toBeNull();
  });

  it("audits it in the lab's log: ids, enum values and dates, never the model's name or the description", async () => {
    now = T0;
    const r = await schedule({ reviewerIds: ['isac'] });
    const [entry] = await auditOf('lab', r.id);
    expect(entry).toMatchObject({ action: 'MODEL_REVIEW_SCHEDULED', memberId: 'lab', actor: { userId: 'alice@lab' }, target: { kind: 'MODEL_REVIEW', id: r.id } });
    expect(entry.details).toEqual({ plannedDeploymentAt: at(40).toISOString(), windowOpensAt: at(10).toISOString(), reviewers: 4, invited: ['isac'], summaryPublic: false });
    expect(JSON.stringify(entry)).not.toMatch(/Orion|Cyber capability/);
  });
});

describe('inviteReviewers and removeReviewers', () => {
  it('invites members of any tier, removes only those invited; each finding follows its review', async () => {
    now = T0;
    const r = await schedule();
    const finding = await fileFinding(r.id, tok.agency);
    expect(await seesNotice(tok.community, finding)).toBe(false);
    now = T0 + DAY;
    const invited = await invite(tok.labPub, r.id, ['community-co', 'agency']);
    expect(invited.data.reviewers.map((m: any) => m.id)).toContain('community-co');
    expect((await stored(r.id)).invited).toEqual(['community-co']);
    // Who reviews is for the lab, the reviewers and hub-admins: the date everyone sees once closed does not move.
    expect(invited.data.updatedAt).toBe(r.updatedAt);
    expect(await view(tok.community, r.id)).not.toBeNull();
    expect(await seesNotice(tok.community, finding)).toBe(true);
    // A default reviewer stays; an id that is not a reviewer the lab invited is named.
    expect(await remove(tok.labPub, r.id, ['agency'])).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberIds' });
    const removed = await remove(tok.labAdmin, r.id, ['community-co']);
    expect(removed.data.reviewers.map((m: any) => m.id)).not.toContain('community-co');
    expect(await view(tok.community, r.id)).toBeNull();
    expect(await seesNotice(tok.community, finding)).toBe(false);
    expect(await seesNotice(tok.agency, finding)).toBe(true);

    const [notice] = await t.hub.store.notices.find({ _id: finding });
    expect(notice!.reviewAudience).toEqual(findingRestriction(await stored(r.id)).reviewAudience);
    // A restriction change does not move the finding's updatedAt (lists and cursors are ordered by it).
    expect(notice!.updatedAt.toISOString()).toBe(notice!.createdAt.toISOString());
    const actions = (await auditOf('lab', r.id)).map((e: any) => [e.action, e.details]);
    expect(actions).toEqual(expect.arrayContaining([
      ['MODEL_REVIEW_REVIEWERS_INVITED', { added: ['community-co'] }],
      ['MODEL_REVIEW_REVIEWERS_REMOVED', { removed: ['community-co'] }],
    ]));
    now = T0;
  });

  it('syncFindings repairs a finding found out of line with its review, and leaves those in line alone', async () => {
    now = T0;
    const r = await schedule();
    const [a, b] = [await fileFinding(r.id, tok.agency), await fileFinding(r.id, tok.core2)];
    const [out] = await t.hub.store.notices.find({ _id: a });
    await t.hub.store.notices.updateOne({ _id: a }, { $set: { reviewAudience: ['agency'], seq: await t.hub.store.sequences.next('notices') } });
    expect(await seesNotice(tok.core2, a)).toBe(false);
    expect(await t.hub.services.modelReviews.syncFindings(await stored(r.id))).toBe(1);
    expect(await seesNotice(tok.core2, a)).toBe(true);
    const [repaired] = await t.hub.store.notices.find({ _id: a });
    expect(repaired!.reviewAudience).toEqual(out!.reviewAudience);
    expect(await t.hub.services.modelReviews.syncFindings(await stored(r.id))).toBe(0);
    expect(await seesNotice(tok.core2, b)).toBe(true);
  });

  it('refuses unknown and pending ids alike, the lab itself, and more than 100 ids a call', async () => {
    now = T0;
    const r = await schedule();
    const unknown = await invite(tok.labPub, r.id, ['nobody-co']);
    const pending = await invite(tok.labPub, r.id, ['pending-co']);
    expect(unknown).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberIds' });
    expect(pending.message!.replace('pending-co', 'X')).toBe(unknown.message!.replace('nobody-co', 'X'));
    expect(await invite(tok.labPub, r.id, ['lab'])).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberIds' });
    expect(await invite(tok.labPub, r.id, Array.from({ length: 101 }, (_, i) => `m${i}`))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberIds' });
    expect(await invite(tok.labPub, r.id, [])).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberIds' });
  });

  it('answers a caller who may not see the review exactly as for a review that does not exist; a reviewer is FORBIDDEN', async () => {
    now = T0;
    const r = await schedule();
    for (const who of ['trusted', 'community'] as const) {
      const hidden = await invite(tok[who], r.id, ['isac']);
      const absent = await invite(tok[who], MISSING, ['isac']);
      expect(hidden.code, who).toBe('NOT_FOUND');
      expect(hidden.field).toBe('reviewId');
      expect(hidden.message!.replace(r.id, 'X')).toBe(absent.message!.replace(MISSING, 'X'));
    }
    expect(await invite(tok.agency, r.id, ['isac'])).toMatchObject({ code: 'FORBIDDEN' });
    expect(await invite(tok.labReader, r.id, ['isac'])).toMatchObject({ code: 'FORBIDDEN' });
    expect(await invite(undefined, r.id, ['isac'])).toMatchObject({ code: 'UNAUTHENTICATED' });
    // Even a hub-admin, who sees it, does not manage another member's review.
    expect(await invite(tok.hubAdmin, r.id, ['isac'])).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses invitations once the review is closed or cancelled', async () => {
    now = T0;
    const r = await schedule();
    const c = await schedule();
    await cancel(tok.labPub, c.id);
    expect(await invite(tok.labPub, c.id, ['isac'])).toMatchObject({ code: 'INVALID_TRANSITION', field: 'reviewId' });
    now = T0 + 41 * DAY;
    expect(await invite(tok.labPub, r.id, ['isac'])).toMatchObject({ code: 'INVALID_TRANSITION', field: 'reviewId' });
    expect(await remove(tok.labPub, r.id, ['isac'])).toMatchObject({ code: 'INVALID_TRANSITION', field: 'reviewId' });
    now = T0;
  });
});

describe('rescheduleModelReview', () => {
  it('postpones as a plain change: a window not yet open keeps its length; findings follow the new close', async () => {
    now = T0;
    const r = await schedule();
    const finding = await fileFinding(r.id, tok.agency);
    const moved = await reschedule(tok.labPub, r.id, at(50));
    expect(moved.data).toMatchObject({ plannedDeploymentAt: at(50).toISOString(), windowOpensAt: at(20).toISOString(), closedAt: at(50).toISOString(), status: 'SCHEDULED' });
    const [notice] = await t.hub.store.notices.find({ _id: finding });
    expect(notice!.reviewReleaseAt?.toISOString()).toBe(at(50).toISOString());
    now = T0 + 45 * DAY;
    expect(await seesNotice(tok.community, finding)).toBe(false);
    now = T0 + 50 * DAY;
    expect(await seesNotice(tok.community, finding)).toBe(true);
    const [entry] = (await auditOf('lab', r.id)).filter((e: any) => e.action === 'MODEL_REVIEW_RESCHEDULED');
    expect(entry.details).toEqual({
      plannedDeploymentAt: { from: at(40).toISOString(), to: at(50).toISOString() },
      windowOpensAt: { from: at(10).toISOString(), to: at(20).toISOString() },
      by: 'LAB',
    });
    expect(JSON.stringify(entry)).not.toMatch(/launch moved/);
    now = T0;
  });

  it("keeps an open window's opening, and brings deployment forward alone while the window stays long enough", async () => {
    now = T0;
    const r = await schedule({ plannedDeploymentAt: at(60).toISOString(), windowOpensAt: at(1).toISOString() });
    now = T0 + 2 * DAY;
    expect((await view(tok.labPub, r.id)).status).toBe('OPEN');
    const earlier = await reschedule(tok.labPub, r.id, at(45));
    expect(earlier.data).toMatchObject({ plannedDeploymentAt: at(45).toISOString(), windowOpensAt: at(1).toISOString() });
    now = T0;
  });

  it('refuses a date in the past, the same date, a missing reason, and closed or cancelled reviews', async () => {
    now = T0;
    const r = await schedule();
    expect(await reschedule(tok.labPub, r.id, new Date(now - 1000))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'plannedDeploymentAt' });
    expect(await reschedule(tok.labPub, r.id, at(40))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'plannedDeploymentAt' });
    expect(await reschedule(tok.labPub, r.id, at(45), ' ')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
    expect(await reschedule(tok.labPub, r.id, at(45), 'r'.repeat(1001))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
    expect(await reschedule(tok.agency, r.id, at(45))).toMatchObject({ code: 'FORBIDDEN' });
    const hidden = await reschedule(tok.community, r.id, at(45));
    const absent = await reschedule(tok.community, MISSING, at(45));
    expect(hidden.code).toBe('NOT_FOUND');
    expect(hidden.message!.replace(r.id, 'X')).toBe(absent.message!.replace(MISSING, 'X'));
    await cancel(tok.labPub, r.id);
    expect(await reschedule(tok.labPub, r.id, at(45))).toMatchObject({ code: 'INVALID_TRANSITION', field: 'reviewId' });
  });

  it('bringing deployment forward under the window is a two-person request that another approver of the lab decides, not the requester', async () => {
    now = T0;
    const r = await schedule();
    const finding = await fileFinding(r.id, tok.agency);
    // 40 days out, window opening at day 10: deployment at day 25 would leave a window of 15 days from day 10.
    const asked = await reschedule(tok.labPub, r.id, at(25), 'regulator asked for an earlier launch');
    expect(asked).toMatchObject({ code: 'APPROVAL_REQUIRED', field: 'plannedDeploymentAt' });
    expect(asked.requestId).toMatch(/^approval--/);
    expect((await view(tok.labPub, r.id)).plannedDeploymentAt).toBe(at(40).toISOString());

    const request = await t.gql('query { approvalRequests(status: PENDING, first: 100) { edges { node { id kind target { kind id node { id } } change { plannedDeploymentAt } } } } }', {}, { token: tok.labApprover });
    const node = request.body.data.approvalRequests.edges.map((e: any) => e.node).find((n: any) => n.id === asked.requestId);
    expect(node).toEqual({ id: asked.requestId, kind: 'RESCHEDULE_MODEL_REVIEW', target: { kind: 'MODEL_REVIEW', id: r.id, node: { id: r.id } }, change: { plannedDeploymentAt: at(25).toISOString() } });

    // Neither the requester (who holds no approver here), nor an approver of another member, nor a reader of the lab.
    for (const who of ['labPub', 'agency', 'labReader'] as const) {
      expect((await t.gql(APPROVE_REQUEST, { id: asked.requestId }, { token: tok[who] })).body.errors?.[0]?.extensions?.code, who).toBe('FORBIDDEN');
    }
    // The requester holding approver too is still the same person.
    const selfApprover = await t.tokenAs('lab', 'alice@lab', ['reader', 'approver']);
    expect((await t.gql(APPROVE_REQUEST, { id: asked.requestId }, { token: selfApprover })).body.errors?.[0]?.message).toMatch(/nobody approves their own request/);
    const approved = await t.gql(APPROVE_REQUEST, { id: asked.requestId }, { token: tok.labApprover });
    expect(approved.body.errors, approved.text).toBeUndefined();
    // The window opened when it was set to (day 10 moved by -15 days is before now: it opens now).
    expect(await view(tok.labPub, r.id)).toMatchObject({ plannedDeploymentAt: at(25).toISOString(), windowOpensAt: at(0).toISOString(), status: 'OPEN' });
    const [notice] = await t.hub.store.notices.find({ _id: finding });
    expect(notice!.reviewReleaseAt?.toISOString()).toBe(at(25).toISOString());

    const entries = await auditOf('lab', r.id);
    const applied = entries.find((e: any) => e.action === 'MODEL_REVIEW_RESCHEDULED');
    expect(applied).toMatchObject({ memberId: 'lab', actor: { userId: 'bob@lab' }, target: { kind: 'MODEL_REVIEW', id: r.id } });
    expect(applied.details).toMatchObject({ requestId: asked.requestId, kind: 'RESCHEDULE_MODEL_REVIEW', by: 'APPROVAL', plannedDeploymentAt: { from: at(40).toISOString(), to: at(25).toISOString() } });
  });

  it('applies an approval only while the review is as the request found it', async () => {
    now = T0;
    const r = await schedule();
    const asked = await reschedule(tok.labPub, r.id, at(25));
    await reschedule(tok.labPub, r.id, at(45));
    const stale = await t.gql(APPROVE_REQUEST, { id: asked.requestId }, { token: tok.labApprover });
    expect(stale.body.errors?.[0]?.extensions?.code).toBe('INVALID_TRANSITION');
    expect((await view(tok.labPub, r.id)).plannedDeploymentAt).toBe(at(45).toISOString());
    // ...and the request stays open (the claim was undone).
    const status = await t.gql('query { approvalRequests(status: PENDING, first: 100) { edges { node { id } } } }', {}, { token: tok.labApprover });
    expect(status.body.data.approvalRequests.edges.map((e: any) => e.node.id)).toContain(asked.requestId);
  });

  it('refuses an approval by an identity the requester controls (one from an identity provider it registered)', async () => {
    now = T0;
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const issuer = 'https://idp.alice-lab.example';
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' }] });
    const reg = await t.gql(REQUEST_REGISTRATION, { input: { memberId: 'lab', issuer, jwks }, reason: 'our IdP' }, { token: tok.labPub });
    expect(reg.body.errors, reg.text).toBeUndefined();
    const approvedIdp = await t.gql(APPROVE, { id: reg.body.data.requestIdentityProviderRegistration.id }, { token: tok.labAdmin });
    expect(approvedIdp.body.errors, approvedIdp.text).toBeUndefined();
    await t.person('lab', 'shadow@lab', ['reader', 'approver'], [{ issuer, subject: 'shadow' }]);
    const iat = Math.floor(Date.now() / 1000);
    const shadow = await new SignJWT({ roles: ['reader', 'approver'] }).setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'JWT' }).setIssuer(issuer)
      .setAudience('the-hub').setSubject('shadow').setIssuedAt(iat).setExpirationTime(iat + 600).sign(privateKey);

    const r = await schedule();
    const asked = await reschedule(tok.labPub, r.id, at(20));
    const refused = await t.gql(APPROVE_REQUEST, { id: asked.requestId }, { token: shadow });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(refused.body.errors?.[0]?.message).toMatch(/identity provider they requested or approved/);
    expect((await view(tok.labPub, r.id)).plannedDeploymentAt).toBe(at(40).toISOString());
    // A hub-admin of another member may decide it.
    expect((await t.gql(APPROVE_REQUEST, { id: asked.requestId }, { token: tok.hubAdmin })).body.errors).toBeUndefined();
    expect((await view(tok.labPub, r.id)).plannedDeploymentAt).toBe(at(20).toISOString());
  });
});

describe('closeModelReview', () => {
  it('is always a two-person request before the planned deployment; approved, the review closes now and its findings are released', async () => {
    now = T0;
    const r = await schedule();
    const finding = await fileFinding(r.id, tok.agency);
    now = T0 + 12 * DAY;
    const asked = await close(tok.labPub, r.id);
    expect(asked).toMatchObject({ code: 'APPROVAL_REQUIRED', field: 'reviewId' });
    // Asking again answers the same open request.
    expect((await close(tok.labAdmin, r.id)).requestId).toBe(asked.requestId);
    expect(await close(tok.agency, r.id)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await close(tok.community, r.id)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await view(tok.community, r.id)).toBeNull();
    expect(await seesNotice(tok.community, finding)).toBe(false);
    expect((await t.gql(APPROVE_REQUEST, { id: asked.requestId }, { token: tok.labPub })).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    now = T0 + 13 * DAY;
    const approved = await t.gql(APPROVE_REQUEST, { id: asked.requestId }, { token: tok.labApprover });
    expect(approved.body.errors, approved.text).toBeUndefined();
    // Every member sees the closed review now (its reviewers withheld), and the finding by its own TLP.
    const seen = await view(tok.community, r.id);
    expect(seen).toMatchObject({ status: 'CLOSED', closedAt: at(13).toISOString(), plannedDeploymentAt: at(40).toISOString(), reviewers: null, lab: { id: 'lab' } });
    expect(await seesNotice(tok.community, finding)).toBe(true);
    expect(await view(undefined, r.id)).toBeNull(); // the lab has not released the summary to anonymous callers
    expect((await stored(r.id)).closeAnnouncedAt?.toISOString()).toBe(at(13).toISOString());
    expect(await close(tok.labPub, r.id)).toMatchObject({ code: 'INVALID_TRANSITION' });

    const entries = await auditOf('lab', r.id);
    const closed = entries.filter((e: any) => e.action === 'MODEL_REVIEW_CLOSED');
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ actor: { userId: 'bob@lab' }, target: { kind: 'MODEL_REVIEW', id: r.id } });
    expect(closed[0].details).toEqual({ closesAt: at(13).toISOString(), by: 'APPROVAL', findings: 1 });
    const approval = entries.find((e: any) => e.action === 'APPROVE');
    expect(approval).toMatchObject({ actor: { userId: 'bob@lab' }, details: { requestId: asked.requestId, kind: 'CLOSE_MODEL_REVIEW' } });
    now = T0;
  });

  it('an approved close of a review cancelled meanwhile changes nothing', async () => {
    now = T0;
    const r = await schedule();
    const asked = await close(tok.labPub, r.id);
    await cancel(tok.labPub, r.id);
    expect((await t.gql(APPROVE_REQUEST, { id: asked.requestId }, { token: tok.labApprover })).body.errors?.[0]?.extensions?.code).toBe('INVALID_TRANSITION');
    expect((await view(tok.labPub, r.id)).status).toBe('CANCELLED');
  });
});

describe('cancelModelReview', () => {
  it('cancels for good: the reason to the lab and reviewers only, the findings never released, the review never shown to others', async () => {
    now = T0;
    const r = await schedule({ publicSummary: true });
    const finding = await fileFinding(r.id, tok.agency);
    expect(await cancel(tok.labPub, r.id, ' ')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
    expect(await cancel(tok.agency, r.id)).toMatchObject({ code: 'FORBIDDEN' });
    const done = await cancel(tok.labAdmin, r.id, 'the model will not ship');
    expect(done.data).toMatchObject({ status: 'CANCELLED', cancelledAt: at(0).toISOString(), cancelReason: 'the model will not ship', closedAt: null });
    expect((await view(tok.agencyReader, r.id)).cancelReason).toBe('the model will not ship');
    expect(await cancel(tok.labPub, r.id)).toMatchObject({ code: 'INVALID_TRANSITION', field: 'reviewId' });
    expect(await release(tok.labPub, r.id)).toMatchObject({ code: 'INVALID_TRANSITION', field: 'reviewId' });
    const [notice] = await t.hub.store.notices.find({ _id: finding });
    expect(notice!.reviewReleaseAt).toBeNull();

    now = T0 + 400 * DAY;
    expect(await view(tok.community, r.id)).toBeNull();
    expect(await view(undefined, r.id)).toBeNull();
    expect(await seesNotice(tok.community, finding)).toBe(false);
    expect(await seesNotice(tok.trusted, finding)).toBe(false);
    expect(await seesNotice(tok.agency, finding)).toBe(true);

    const [entry] = (await auditOf('lab', r.id)).filter((e: any) => e.action === 'MODEL_REVIEW_CANCELLED');
    expect(entry).toMatchObject({ actor: { userId: 'mia@lab' }, details: { status: 'SCHEDULED' } });
    expect(JSON.stringify(entry)).not.toMatch(/will not ship/);
    now = T0;
  });
});

describe('releaseModelReviewSummary', () => {
  it('shows the closed review to anonymous callers (the lab as a member, never the reviewers), for good', async () => {
    now = T0;
    const r = await schedule();
    const released = await release(tok.labPub, r.id);
    expect(released.data.summaryPublic).toBe(true);
    expect(await view(undefined, r.id)).toBeNull(); // still open
    expect(await release(tok.agency, r.id)).toMatchObject({ code: 'FORBIDDEN' });
    now = T0 + 40 * DAY;
    const anonymous = await view(undefined, r.id);
    expect(anonymous).toMatchObject({ id: r.id, status: 'CLOSED', lab: { id: 'lab', name: 'lab organisation' }, reviewers: null, summaryPublic: true, cancelReason: null });
    // Anonymous callers learn no other member: the directory stays closed to them.
    expect((await t.gql('{ members { id } }')).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await t.gql('query($id: ID!) { node(id: $id) { id } }', { id: 'lab' })).body.data.node).toBeNull();
    const listed = await t.gql(LIST, { filter: null });
    expect(listed.body.data.modelReviews.edges.map((e: any) => e.node.id)).toContain(r.id);
    // Releasing again is no change.
    expect((await release(tok.labPub, r.id)).data.summaryPublic).toBe(true);
    const entries = (await auditOf('lab', r.id)).filter((e: any) => e.action === 'MODEL_REVIEW_SUMMARY_RELEASED');
    expect(entries).toHaveLength(1);
    now = T0;
  });
});

describe("the findings' alerts", () => {
  it('tell each viewer of a finding RELEASED when a change of its review newly reaches it: an invited reviewer, then everyone at an early close', async () => {
    now = T0;
    const r = await schedule();
    const finding = await fileFinding(r.id, tok.agency);
    const who = { community: tok.community, trusted: tok.trusted, agency: tok.agency, lab: tok.labReader } as const;
    const streams = Object.fromEntries(
      await Promise.all(Object.entries(who).map(async ([name, token]) => [name, await alertStream(t, token, { selection: 'cursor type notice { id }', ready: false, heartbeats: false })] as const)),
    );
    // The hub's clock stands still here, so no heartbeat says a subscription is live: give them a moment.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const seen = (name: string) => streams[name]!.events.filter((e) => e.notice?.id === finding).map((e) => e.type);

    await invite(tok.labPub, r.id, ['community-co']);
    await streams.community!.until(() => seen('community').length > 0, 'community hears of the finding');
    now = T0 + 12 * DAY;
    const asked = await close(tok.labPub, r.id);
    expect((await t.gql(APPROVE_REQUEST, { id: asked.requestId }, { token: tok.labApprover })).body.errors).toBeUndefined();
    await streams.trusted!.until(() => seen('trusted').length > 0, 'trusted hears of the finding');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(Object.fromEntries(Object.keys(who).map((name) => [name, seen(name)]))).toEqual({
      community: ['RELEASED'],
      trusted: ['RELEASED'],
      agency: [],
      lab: [],
    });
    now = T0;
  });
});

describe('the configuration', () => {
  it('HUB_REVIEW_WINDOW defaults to 30 days and HUB_REVIEW_DEFAULT_TIER to CORE; NONE makes only invited members reviewers', () => {
    expect(parseConfig({})).toMatchObject({ reviewWindowMs: 30 * DAY, reviewDefaultTier: 'CORE' });
    expect(parseConfig({ HUB_REVIEW_WINDOW: '14d', HUB_REVIEW_DEFAULT_TIER: 'TRUSTED' })).toMatchObject({ reviewWindowMs: 14 * DAY, reviewDefaultTier: 'TRUSTED' });
    expect(parseConfig({ HUB_REVIEW_DEFAULT_TIER: 'NONE' }).reviewDefaultTier).toBeNull();
    expect(() => parseConfig({ HUB_REVIEW_DEFAULT_TIER: 'PUBLIC' })).toThrow(/HUB_REVIEW_DEFAULT_TIER must be one of COMMUNITY, TRUSTED, CORE, NONE/);
    expect(() => parseConfig({ HUB_REVIEW_WINDOW: 'a month' })).toThrow(/HUB_REVIEW_WINDOW must be a duration/);
  });
});

describe('who may call each mutation', () => {
  it("only the lab's publishers and member-admins; a caller who may not see the review gets a missing id's answer, whatever the mutation", async () => {
    now = T0;
    const r = await schedule();
    const calls: Record<string, (token: string | undefined, id: string) => Promise<Outcome>> = {
      inviteReviewers: (token, id) => invite(token, id, ['isac']),
      removeReviewers: (token, id) => remove(token, id, ['isac']),
      rescheduleModelReview: (token, id) => reschedule(token, id, at(50)),
      closeModelReview: (token, id) => close(token, id),
      cancelModelReview: (token, id) => cancel(token, id),
      releaseModelReviewSummary: (token, id) => release(token, id),
    };
    for (const [name, call] of Object.entries(calls)) {
      expect((await call(undefined, r.id)).code, name).toBe('UNAUTHENTICATED');
      // Refused for the role before anything is read: the same for a review that does not exist.
      for (const who of ['labReader', 'labApprover', 'agencyReader'] as const) {
        expect((await call(tok[who], r.id)).code, `${name} ${who}`).toBe('FORBIDDEN');
        expect((await call(tok[who], MISSING)).code, `${name} ${who}`).toBe('FORBIDDEN');
      }
      // Sees it, does not manage it: a reviewer, a hub-admin.
      for (const who of ['agency', 'hubAdmin'] as const) expect((await call(tok[who], r.id)).code, `${name} ${who}`).toBe('FORBIDDEN');
      for (const who of ['trusted', 'community'] as const) {
        const hidden = await call(tok[who], r.id);
        const absent = await call(tok[who], MISSING);
        expect(hidden.code, `${name} ${who}`).toBe('NOT_FOUND');
        expect({ ...hidden, message: hidden.message!.replace(r.id, 'X') }, `${name} ${who}`).toEqual({ ...absent, message: absent.message!.replace(MISSING, 'X') });
      }
    }
    // Nothing changed on the way.
    const after = await stored(r.id);
    expect(after).toMatchObject({ plannedDeploymentAt: at(40), cancelledAt: null, summaryPublic: false, invited: [] });
  });
});

describe('a clearinghouse case filed under a review', () => {
  it('carries its review\'s restriction through invitations and a cancellation, each write with a new seq', async () => {
    now = T0;
    const r = await schedule({ windowOpensAt: at(0).toISOString() });
    const submitted = await t.gql(
      `mutation($input: VulnerabilityInput!) { submitVulnerability(input: $input) { id } }`,
      {
        input: {
          title: 'Sandbox escape found by the model', summary: 'The model escapes its sandbox.', severity: 'HIGH', cwes: ['CWE-693'],
          affected: [{ vendorName: 'Lab', product: 'orion-sandbox', versions: '< 5' }],
          discovery: { method: 'AI_MODEL', model: { name: 'Orion-5', developer: 'lab' }, humanValidated: true }, exploited: false,
          reviewId: r.id,
        },
      },
      { token: tok.agency },
    );
    expect(submitted.body.errors, submitted.text).toBeUndefined();
    const caseId = submitted.body.data.submitVulnerability.id;
    const [before] = await t.hub.store.vulnerabilities.find({ _id: caseId });
    expect(before!.reviewAudience).toEqual(findingRestriction(await stored(r.id)).reviewAudience);

    await invite(tok.labPub, r.id, ['community-co']);
    const [invited] = await t.hub.store.vulnerabilities.find({ _id: caseId });
    expect(invited!.reviewAudience).toContain('community-co');
    expect(invited!.reviewAudience).toEqual(findingRestriction(await stored(r.id)).reviewAudience);
    expect(invited!.seq).toBeGreaterThan(before!.seq);
    expect(invited!.updatedAt.getTime()).toBe(before!.updatedAt.getTime());

    await cancel(tok.labPub, r.id);
    const [cancelled] = await t.hub.store.vulnerabilities.find({ _id: caseId });
    expect(cancelled!.reviewReleaseAt).toBeNull();
    expect(cancelled!.reviewId).toBe(r.id);
  });
});

describe('modelReviews', () => {
  it('pages soonest deployment first with cursors bound to what their viewer may see (a hub-admin\'s are not another person\'s of its member)', async () => {
    now = T0;
    const a = await schedule({ plannedDeploymentAt: at(90).toISOString() });
    const b = await schedule({ plannedDeploymentAt: at(91).toISOString() });
    const PAGE = `query($after: String, $filter: ModelReviewFilter) { modelReviews(first: 1, after: $after, filter: $filter) { totalCount edges { cursor node { id plannedDeploymentAt } } pageInfo { hasNextPage endCursor } } }`;
    const filter = { lab: ['lab'], status: ['SCHEDULED'] };
    const first = await t.gql(PAGE, { filter }, { token: tok.hubAdmin });
    expect(first.body.errors, first.text).toBeUndefined();
    const page = first.body.data.modelReviews;
    expect(page.edges[0].node.plannedDeploymentAt <= at(90).toISOString()).toBe(true);
    let after = page.pageInfo.endCursor;
    const ids: string[] = [page.edges[0].node.id];
    for (let i = 0; i < 50 && after; i++) {
      const next = (await t.gql(PAGE, { filter, after }, { token: tok.hubAdmin })).body.data.modelReviews;
      ids.push(...next.edges.map((e: any) => e.node.id));
      after = next.pageInfo.hasNextPage ? next.pageInfo.endCursor : null;
    }
    expect(ids.indexOf(a.id)).toBeLessThan(ids.indexOf(b.id));
    expect(ids).toHaveLength(page.totalCount);
    // Another person of the hub-admin's member, without hub-admin, may not use the hub-admin's cursor.
    const colleague = await t.tokenAs('hub-operators', 'peer@hub-operators', ['reader']);
    const refused = await t.gql(PAGE, { filter, after: page.pageInfo.endCursor }, { token: colleague });
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});
