/**
 * A model review's findings (issue 14, docs/model-reviews.md), end to end on a real hub with a
 * controlled clock: who may file a finding under a review, who sees it while the review is open,
 * its release at the close (on queries with no write, and RELEASED alerts only for the viewers it
 * newly reaches, from the ReviewWatcher), a cancelled review's findings never released, and the
 * summary's release schedule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelReviewDoc } from '../src/domain/model-review.js';
import { announceClose } from '../src/services/review-close.js';
import { ReviewWatcher } from '../src/services/review-watcher.js';
import { alertStream, disposeStreams, type AlertStream } from './support/alert-stream.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const DAY = 86_400_000;
// Forward from the real time: the alert log is trimmed by the real clock.
let clock = Date.now();
let t: TestHub;

const VIEWERS = ['lab', 'agency', 'isac', 'core2', 'trusted', 'community'] as const;
type ViewerName = (typeof VIEWERS)[number] | 'anonymous' | 'admin';
const tokens = {} as Record<ViewerName, string | undefined>;

const PUBLISH_NOTICE = /* GraphQL */ `
  mutation ($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id tlp } }`;
const SUBMIT_CASE = /* GraphQL */ `
  mutation ($input: VulnerabilityInput!) { submitVulnerability(input: $input) { id } }`;
const FINDINGS = /* GraphQL */ `
  query ($reviewId: ID!) { modelRiskNotices(filter: { reviewId: $reviewId }, first: 50) { totalCount edges { node { id } } } }`;
const SUMMARY = /* GraphQL */ `
  query ($id: ID!) { modelRiskNotice(id: $id) { review { summary { total byCategory { category count } bySeverity { severity count } highestSeverity } } } }`;

function notice(reviewId: string | null, tlp: string, extra: Record<string, unknown> = {}) {
  return {
    title: `a ${tlp} finding`,
    summary: 'the model writes working exploits for a class of memory-safety bugs',
    model: { name: 'frontier-9', developer: 'lab' },
    category: 'CYBER_OFFENSE_CAPABILITY',
    severity: 'HIGH',
    tlp,
    status: 'PUBLISHED',
    ...(reviewId ? { reviewId } : {}),
    ...extra,
  };
}

const CASE_INPUT = (reviewId: string) => ({
  title: 'sandbox escape found by the model',
  summary: 'the model found a sandbox escape in a container runtime',
  severity: 'CRITICAL',
  cwes: ['CWE-269'],
  affected: [{ vendorName: 'runc', product: 'runc', versions: '< 1.2' }],
  discovery: { method: 'AI_ASSISTED', humanValidated: true, model: { name: 'frontier-9', developer: 'lab' } },
  reviewId,
});

/** A review as the scheduling service stores it (seeded through the store port: the lab's mutations are another slice's). */
async function review(id: string, opensInMs: number, deployInMs: number, extra: Partial<ModelReviewDoc> = {}): Promise<ModelReviewDoc> {
  const now = new Date(clock);
  const planned = new Date(clock + deployInMs);
  return {
    _id: id,
    model: { name: 'frontier-9', developer: 'lab', version: null },
    description: 'cyber-risk review before deployment',
    lab: 'lab',
    scheduledBy: { memberId: 'lab', userId: 'test@lab' },
    plannedDeploymentAt: planned,
    windowOpensAt: new Date(clock + opensInMs),
    closesAt: planned,
    cancelledAt: null,
    cancelReason: null,
    reviewers: ['agency', 'isac'],
    invited: ['isac'],
    summaryPublic: false,
    closeAnnouncedAt: null,
    createdAt: now,
    updatedAt: now,
    seq: await t.hub.store.sequences.next('modelReviews'),
    ...extra,
  };
}

async function gql(who: ViewerName, query: string, variables?: Record<string, unknown>) {
  const token = tokens[who];
  return t.gql(query, variables, token ? { token } : {});
}

/** The ids of the review's findings that `who` sees on the notices list. */
async function seen(who: ViewerName, reviewId: string): Promise<string[]> {
  const res = await gql(who, FINDINGS, { reviewId });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.modelRiskNotices.edges.map((e: { node: { id: string } }) => e.node.id).sort();
}

const FINDINGS_OF = /* GraphQL */ `
  query ($id: ID!) { modelRiskNotice(id: $id) { review { findings { __typename ... on ModelRiskNotice { id } ... on Vulnerability { id } } } } }`;

/** The findings `who` reads on the review of the notice `noticeId` (its \`ModelReview.findings\`). */
async function findingsOf(who: ViewerName, noticeId: string): Promise<string[]> {
  const res = await gql(who, FINDINGS_OF, { id: noticeId });
  expect(res.body.errors, who).toBeUndefined();
  return res.body.data.modelRiskNotice.review.findings.map((f: { id: string }) => f.id).sort();
}

async function publish(who: ViewerName, input: Record<string, unknown>) {
  return gql(who, PUBLISH_NOTICE, { input });
}

let OPEN = '';
const UNKNOWN = 'x-model-review--00000000-0000-4000-8000-0000000000ff';
const ids = { green: '', amber: '', red: '', kase: '' };

const SCHEDULE = /* GraphQL */ `
  mutation ($input: ModelReviewInput!) { scheduleModelReview(input: $input) { id reviewers { id } } }`;

/** Schedules a review of the lab's model through the lab's mutation; answers its id and reviewers. */
async function schedule(input: Record<string, unknown>): Promise<{ id: string; reviewers: string[] }> {
  const res = await gql('lab', SCHEDULE, { input: { model: { name: 'frontier-9', developer: 'lab' }, ...input } });
  expect(res.body.errors).toBeUndefined();
  const r = res.body.data.scheduleModelReview;
  return { id: r.id, reviewers: r.reviewers.map((m: { id: string }) => m.id).sort() };
}

const TIERS = { lab: 'CORE', agency: 'CORE', isac: 'TRUSTED', trusted: 'TRUSTED', community: 'COMMUNITY', core2: 'CORE' } as const;

beforeAll(async () => {
  // The alert log keeps 90 days: a cursor taken before the 30-day window must still resume after it.
  t = await startTestHub({ config: { anonymousReads: true, alertHeartbeatMs: 40, eventRetentionMs: 90 * DAY }, start: { clock: () => clock } });
  for (const m of ['lab', 'agency', 'isac', 'trusted', 'community'] as const) tokens[m] = await t.member(m, TIERS[m]).token(['reader', 'publisher']);
  tokens.anonymous = undefined;
  // Deploys in 31 days, opens in one (HUB_REVIEW_WINDOW): agency (CORE) reviews by default, isac (TRUSTED) invited.
  const scheduled = await schedule({ plannedDeploymentAt: new Date(clock + 31 * DAY).toISOString(), reviewerIds: ['isac'] });
  expect(scheduled.reviewers).toEqual(['agency', 'isac']);
  OPEN = scheduled.id;
  // Members from after the scheduling review nothing: a CORE member, and a hub-admin (the restriction does not apply to it; TLP still does).
  tokens.core2 = await t.member('core2', 'CORE').token(['reader', 'publisher']);
  tokens.admin = await t.member('ops', 'CORE', { allowedRoles: ['reader', 'hub-admin'] }).token(['reader', 'hub-admin']);
});

afterAll(async () => {
  await disposeStreams();
});

describe('filing findings under a model review', () => {
  it('answers a review the viewer may not see exactly as an id nobody used: BAD_USER_INPUT on input.reviewId', async () => {
    for (const [who, id] of [['core2', OPEN], ['core2', UNKNOWN], ['community', OPEN]] as const) {
      const res = await publish(who, notice(id, 'GREEN'));
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.reviewId' });
      expect(res.body.errors![0]!.message.replace(id, 'ID')).toBe('no model review with id "ID"');
    }
    const kase = await gql('core2', SUBMIT_CASE, { input: CASE_INPUT(OPEN) });
    expect(kase.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.reviewId' });
  });

  it('refuses the lab, which sees the review but is no reviewer, with FORBIDDEN', async () => {
    const res = await publish('lab', notice(OPEN, 'GREEN'));
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses a reviewer before the window opens, naming the status', async () => {
    const res = await publish('agency', notice(OPEN, 'GREEN'));
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_TRANSITION', field: 'input.reviewId' });
    expect(res.body.errors![0]!.message).toContain('SCHEDULED');
  });

  it('files notices and cases of reviewers while the review is OPEN, each carrying the review', async () => {
    clock += 2 * DAY;
    const outsiders = { core2: await alertStream(t, tokens.core2), trusted: await alertStream(t, tokens.trusted) };
    const green = await publish('agency', notice(OPEN, 'GREEN'));
    const amber = await publish('agency', notice(OPEN, 'AMBER', { severity: 'MEDIUM', category: 'JAILBREAK' }));
    const red = await publish('agency', notice(OPEN, 'RED', { recipients: ['trusted'], severity: 'LOW' }));
    const kase = await gql('isac', SUBMIT_CASE, { input: CASE_INPUT(OPEN) });
    for (const r of [green, amber, red, kase]) expect(r.body.errors).toBeUndefined();
    ids.green = green.body.data.publishModelRiskNotice.id;
    ids.amber = amber.body.data.publishModelRiskNotice.id;
    ids.red = red.body.data.publishModelRiskNotice.id;
    ids.kase = kase.body.data.submitVulnerability.id;
    const [stored] = await t.hub.store.notices.find({ _id: ids.green });
    expect(stored).toMatchObject({ reviewId: OPEN, reviewReleaseAt: new Date(clock - 2 * DAY + 31 * DAY) });
    expect([...stored!.reviewAudience!].sort()).toEqual(['agency', 'isac', 'lab']);
    const [audit] = await t.hub.store.audit.find({ action: 'PUBLISH', 'target.id': ids.green });
    expect(audit?.details).toMatchObject({ reviewId: OPEN });
    const [submitted] = await t.hub.store.audit.find({ action: 'VULNERABILITY_SUBMITTED', 'target.id': ids.kase });
    expect(submitted?.details).toMatchObject({ reviewId: OPEN });
    // Those outside the review hear nothing of its findings (nor of the RED one naming trusted).
    const sentinel = (await publish('lab', notice(null, 'CLEAR'))).body.data.publishModelRiskNotice.id;
    for (const [who, s] of Object.entries(outsiders)) {
      await s.until((x) => x.events.some((e) => e.notice?.id === sentinel), `${who} sentinel`);
      expect(s.events.map((e) => `${e.type} ${e.notice?.id ?? e.vulnerability?.id}`), who).toEqual([`PUBLISHED ${sentinel}`]);
      await s.dispose();
    }
  });

  it('restricts the findings to the lab and the reviewers (each by its own TLP too) until the review closes, whatever their embargo', async () => {
    const { green, amber, red } = ids;
    const expected: Record<ViewerName, string[]> = {
      lab: [green, amber],
      agency: [green, amber, red],
      isac: [green, amber],
      core2: [],
      trusted: [],
      community: [],
      anonymous: [],
      admin: [green, amber],
    };
    for (const [who, want] of Object.entries(expected)) expect(await seen(who as ViewerName, OPEN), who).toEqual([...want].sort());
    // By id too, and the case: its reporter only (a case at RECEIVED is its reporter's and the coordinators').
    expect((await gql('trusted', `query ($id: ID!) { modelRiskNotice(id: $id) { id } }`, { id: red })).body.data.modelRiskNotice).toBeNull();
    const caseQuery = `query ($id: ID!) { vulnerability(id: $id) { id } }`;
    expect((await gql('isac', caseQuery, { id: ids.kase })).body.data.vulnerability).toEqual({ id: ids.kase });
    expect((await gql('lab', caseQuery, { id: ids.kase })).body.data.vulnerability).toBeNull();
  });

  it("lists a review's findings as each viewer may see them, and a finding's review only to those who see the review", async () => {
    expect(await findingsOf('lab', ids.green)).toEqual([ids.green, ids.amber].sort());
    expect(await findingsOf('isac', ids.green)).toEqual([ids.green, ids.amber, ids.kase].sort());
    expect(await findingsOf('agency', ids.red)).toEqual([ids.green, ids.amber, ids.red].sort());
    const kase = await gql('isac', `query ($id: ID!) { vulnerability(id: $id) { review { summary { total } } } }`, { id: ids.kase });
    expect(kase.body.data.vulnerability).toEqual({ review: { summary: null } });
    // A hub-admin sees the review, and its summary, before the close.
    const admin = await gql('admin', `query ($id: ID!) { modelRiskNotice(id: $id) { id review { summary { total } } } }`, { id: ids.green });
    expect(admin.body.data.modelRiskNotice).toEqual({ id: ids.green, review: { summary: { total: 4 } } });
  });

  it('keeps the restriction through an update of the finding', async () => {
    const res = await gql('agency', `mutation ($id: ID!) { updateModelRiskNotice(id: $id, input: { title: "retitled" }) { id title } }`, { id: ids.green });
    expect(res.body.errors).toBeUndefined();
    expect(await seen('core2', OPEN)).toEqual([]);
    const [stored] = await t.hub.store.notices.find({ _id: ids.green });
    expect(stored).toMatchObject({ reviewId: OPEN, title: 'retitled' });
    expect(stored!.reviewAudience!.length).toBe(3);
  });

  it('shows the summary before the close to the lab only (a reviewer reads null)', async () => {
    const lab = await gql('lab', SUMMARY, { id: ids.green });
    expect(lab.body.data.modelRiskNotice.review.summary).toEqual({
      total: 4,
      // In NoticeCategory order; the case counts as AI_FOUND_VULNERABILITY.
      byCategory: [
        { category: 'CYBER_OFFENSE_CAPABILITY', count: 2 },
        { category: 'JAILBREAK', count: 1 },
        { category: 'AI_FOUND_VULNERABILITY', count: 1 },
      ],
      bySeverity: [
        { severity: 'CRITICAL', count: 1 },
        { severity: 'HIGH', count: 1 },
        { severity: 'MEDIUM', count: 1 },
        { severity: 'LOW', count: 1 },
      ],
      highestSeverity: 'CRITICAL',
    });
    const agency = await gql('agency', SUMMARY, { id: ids.green });
    expect(agency.body.data.modelRiskNotice.review).toEqual({ summary: null });
  });
});

describe('the close', () => {
  const streams = {} as Record<ViewerName, AlertStream>;
  const SELECTION = 'cursor type notice { id } vulnerability { id } review { summary { total } }';
  let beforeClose = '';

  it('releases each finding at closesAt on queries, with no write, to everyone its own rules reach', async () => {
    for (const who of [...VIEWERS, 'anonymous'] as const) streams[who] = await alertStream(t, tokens[who], { selection: SELECTION });
    // A place in the log before the close (the hub's watcher may announce it as soon as the clock passes it).
    beforeClose = streams.core2.lastCursor()!;
    clock += 29 * DAY + 1_000;
    const { green, amber, red } = ids;
    const expected: Record<ViewerName, string[]> = {
      lab: [green, amber],
      agency: [green, amber, red],
      isac: [green, amber],
      core2: [green, amber],
      trusted: [green, amber, red],
      community: [green],
      anonymous: [],
      admin: [green, amber],
    };
    for (const [who, want] of Object.entries(expected)) expect(await seen(who as ViewerName, OPEN), who).toEqual([...want].sort());
    // The review's findings, each as the viewer may see it: the RED one to its recipient, the case to its reporter.
    expect(await findingsOf('trusted', ids.green)).toEqual([green, amber, red].sort());
    expect(await findingsOf('community', ids.green)).toEqual([green]);
    expect(await findingsOf('isac', ids.green)).toEqual([green, amber, ids.kase].sort());
  });

  it('gives a client re-syncing with updatedSince the findings released since, though nothing rewrote them', async () => {
    // After the filing (two days in), before the close: nothing was written since, the close released them.
    const since = new Date(clock - 2 * DAY).toISOString();
    const res = await gql('core2', 'query ($s: DateTime) { modelRiskNotices(filter: { updatedSince: $s, reviewId: "' + OPEN + '" }) { edges { node { id } } } }', { s: since });
    expect(res.body.errors, res.text).toBeUndefined();
    expect(res.body.data.modelRiskNotices.edges.map((e: { node: { id: string } }) => e.node.id).sort()).toEqual([ids.green, ids.amber].sort());
  });

  it('announces the close once: REVIEW_CLOSED to every member, RELEASED for each finding only to those it newly reaches', async () => {
    await t.hub.maintenance.checkReviews();
    expect(await t.hub.maintenance.checkReviews()).toBe(0);
    const [stored] = await t.hub.store.modelReviews.find({ _id: OPEN });
    expect(stored!.closeAnnouncedAt).not.toBeNull();
    // A sentinel everyone sees: once it arrived, everything the close gave a stream arrived before it.
    const sentinel = await publish('lab', notice(null, 'CLEAR'));
    const sentinelId = sentinel.body.data.publishModelRiskNotice.id;
    const { green, amber, red } = ids;
    const expected: Partial<Record<ViewerName, string[]>> = {
      lab: ['REVIEW_CLOSED'],
      agency: ['REVIEW_CLOSED'],
      isac: ['REVIEW_CLOSED'],
      core2: ['REVIEW_CLOSED', `RELEASED ${green}`, `RELEASED ${amber}`],
      trusted: ['REVIEW_CLOSED', `RELEASED ${green}`, `RELEASED ${amber}`, `RELEASED ${red}`],
      community: ['REVIEW_CLOSED', `RELEASED ${green}`],
      anonymous: [],
    };
    for (const [who, want] of Object.entries(expected)) {
      const s = streams[who as ViewerName]!;
      await s.until((x) => x.events.some((e) => e.notice?.id === sentinelId), `${who} sentinel`);
      const got = s.events
        .filter((e) => e.notice?.id !== sentinelId)
        .map((e) => (e.type === ('REVIEW_CLOSED' as string) ? 'REVIEW_CLOSED' : `${e.type} ${e.notice?.id ?? e.vulnerability?.id}`));
      // The review's event first, then its findings' (in the store's order of findings).
      const ordered = (list: string[]) => [...list.slice(0, 1), ...list.slice(1).sort()];
      expect(ordered(got), who).toEqual(ordered(want!));
    }
    // The REVIEW_CLOSED event carries the review as the subscriber sees it: the summary, released at close.
    const closed = streams.core2.events.find((e) => e.type === ('REVIEW_CLOSED' as string)) as { review?: { summary: { total: number } } };
    expect(closed.review).toEqual({ summary: { total: 4 } });
  });

  it('replays the close and the releases after a cursor taken before them', async () => {
    const before = beforeClose;
    const replay = await alertStream(t, tokens.core2, { selection: SELECTION, after: before, filter: { kinds: ['MODEL_REVIEW'], types: ['REVIEW_CLOSED'] } });
    await replay.until((s) => s.events.length >= 1, 'replayed REVIEW_CLOSED');
    expect(replay.events.map((e) => e.type)).toEqual(['REVIEW_CLOSED']);
    const notices = await alertStream(t, tokens.core2, { selection: SELECTION, after: before, filter: { minSeverity: 'CRITICAL', kinds: ['MODEL_REVIEW', 'MODEL_RISK_NOTICE'] } });
    await notices.until((s) => s.events.length >= 1, 'replayed REVIEW_CLOSED through minSeverity');
    expect(notices.events.map((e) => e.type)).toEqual(['REVIEW_CLOSED']);
  });

  it('releases the summary to every member at the close', async () => {
    for (const who of ['agency', 'core2', 'community'] as const) {
      const res = await gql(who, SUMMARY, { id: ids.green });
      expect(res.body.data.modelRiskNotice.review.summary.total, who).toBe(4);
    }
  });

  it('refuses findings once the review closed, naming the status', async () => {
    const res = await publish('agency', notice(OPEN, 'GREEN'));
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_TRANSITION' });
    expect(res.body.errors![0]!.message).toContain('CLOSED');
  });
});

describe('a cancelled review', () => {
  let finding = '';

  it("never releases its findings, announces nothing, and keeps its summary with the lab", async () => {
    const { id: cancelled } = await schedule({ plannedDeploymentAt: new Date(clock + 31 * DAY).toISOString(), windowOpensAt: new Date(clock).toISOString() });
    const res = await publish('agency', notice(cancelled, 'GREEN'));
    expect(res.body.errors).toBeUndefined();
    const finding = res.body.data.publishModelRiskNotice.id;
    const streams = { trusted: await alertStream(t, tokens.trusted), community: await alertStream(t, tokens.community) };
    const cancel = await gql('lab', `mutation ($id: ID!) { cancelModelReview(reviewId: $id, reason: "will not ship") { status } }`, { id: cancelled });
    expect(cancel.body.data?.cancelModelReview).toEqual({ status: 'CANCELLED' });
    clock += 32 * DAY;
    expect(await seen('trusted', cancelled)).toEqual([]);
    expect(await seen('community', cancelled)).toEqual([]);
    expect(await seen('lab', cancelled)).toEqual([finding]);
    expect(await t.hub.maintenance.checkReviews()).toBe(0);
    const sentinel = (await publish('lab', notice(null, 'CLEAR'))).body.data.publishModelRiskNotice.id;
    for (const s of Object.values(streams)) {
      await s.until((x) => x.events.some((e) => e.notice?.id === sentinel), 'sentinel');
      expect(s.events.map((e) => e.notice?.id)).toEqual([sentinel]);
    }
    const lab = await gql('lab', SUMMARY, { id: finding });
    expect(lab.body.data.modelRiskNotice.review.summary.total).toBe(1);
    const agency = await gql('agency', SUMMARY, { id: finding });
    expect(agency.body.data.modelRiskNotice.review).toEqual({ summary: null });
  });

});

describe('the review moving under a filing', () => {
  const MOVING = 'x-model-review--00000000-0000-4000-8000-000000000003';

  it("settles a finding on the review as it is after the write, telling only the member the change newly reached", async () => {
    await t.hub.store.modelReviews.insert(await review(MOVING, -DAY, 20 * DAY));
    const res = await publish('agency', notice(MOVING, 'GREEN'));
    const id = res.body.data.publishModelRiskNotice.id;
    const streams = { core2: await alertStream(t, tokens.core2), trusted: await alertStream(t, tokens.trusted) };
    // An invite of core2 committed between the filing's check and its write: its rewrite of the findings missed this one.
    const seq = await t.hub.store.sequences.next('modelReviews');
    await t.hub.store.modelReviews.updateOne({ _id: MOVING }, { $set: { reviewers: ['agency', 'isac', 'core2'], invited: ['isac', 'core2'], seq } });
    expect(await seen('core2', MOVING)).toEqual([]);
    const [stale] = await t.hub.store.notices.find({ _id: id });
    const settled = await t.hub.services.reviewFindings.settle('NOTICE', stale!);
    expect([...settled.reviewAudience!].sort()).toEqual(['agency', 'core2', 'isac', 'lab']);
    expect(await seen('core2', MOVING)).toEqual([id]);
    expect(await seen('trusted', MOVING)).toEqual([]);
    const sentinel = (await publish('lab', notice(null, 'CLEAR'))).body.data.publishModelRiskNotice.id;
    await streams.core2.until((x) => x.events.some((e) => e.notice?.id === sentinel), 'core2 sentinel');
    await streams.trusted.until((x) => x.events.some((e) => e.notice?.id === sentinel), 'trusted sentinel');
    expect(streams.core2.events.map((e) => `${e.type} ${e.notice?.id}`)).toEqual([`RELEASED ${id}`, `PUBLISHED ${sentinel}`]);
    expect(streams.trusted.events.map((e) => `${e.type} ${e.notice?.id}`)).toEqual([`PUBLISHED ${sentinel}`]);
    // Settled already: nothing more to write.
    expect((await t.hub.services.reviewFindings.settle('NOTICE', settled)).seq).toBe(settled.seq);
  });

  it("releases the findings of a review closed early whose announcement a crash cut off, when the watcher announces it", async () => {
    const { id } = await schedule({ plannedDeploymentAt: new Date(clock + 31 * DAY).toISOString(), windowOpensAt: new Date(clock).toISOString() });
    const finding = (await publish('agency', notice(id, 'GREEN'))).body.data.publishModelRiskNotice.id;
    const trusted = await alertStream(t, tokens.trusted, { selection: 'cursor type notice { id } review { status }' });
    // An approved early close writes `closesAt` (no event of its own); the hub stopped before announcing it.
    const seq = await t.hub.store.sequences.next('modelReviews');
    await t.hub.store.modelReviews.updateOne({ _id: id }, { $set: { closesAt: new Date(clock + 1_000), seq } });
    // Its finding still carries the planned deployment: the close alone releases nothing.
    expect(await seen('trusted', id)).toEqual([]);
    clock += 2_000;
    // The watcher (this check, or its own tick just before it) announces the close and releases the finding.
    await t.hub.maintenance.checkReviews();
    expect(await seen('trusted', id)).toEqual([finding]);
    await trusted.until((x) => x.events.length >= 2, 'the close and the release');
    expect(trusted.events.map((e) => `${e.type} ${e.notice?.id ?? (e as { review?: { status: string } }).review?.status}`)).toEqual(['REVIEW_CLOSED CLOSED', `RELEASED ${finding}`]);
  });

  it('keeps a finding restricted after the embargo it states ended, until the review closes', async () => {
    const { id } = await schedule({ plannedDeploymentAt: new Date(clock + 31 * DAY).toISOString(), windowOpensAt: new Date(clock).toISOString(), reviewerIds: ['isac'] });
    const embargoUntil = new Date(clock + 3_600_000).toISOString();
    const finding = (await publish('agency', notice(id, 'AMBER', { embargoUntil }))).body.data.publishModelRiskNotice.id;
    // Under embargo: of the reviewers, a TRUSTED one waits for the embargo's end (a CORE one does not).
    expect(await seen('isac', id)).toEqual([]);
    clock += 2 * 3_600_000;
    expect(await seen('isac', id)).toEqual([finding]);
    expect(await seen('trusted', id)).toEqual([]);
    clock += 31 * DAY;
    expect(await seen('trusted', id)).toEqual([finding]);
  });

  it("refuses a member's finding beyond its own cap per review, naming input.reviewId, whatever other members filed", async () => {
    const FULL = 'x-model-review--00000000-0000-4000-8000-000000000004';
    await t.hub.store.modelReviews.insert(await review(FULL, -DAY, 20 * DAY));
    // agency files 99 notices and one case: the cap counts both.
    expect((await gql('agency', SUBMIT_CASE, { input: CASE_INPUT(FULL) })).body.errors).toBeUndefined();
    for (let i = 0; i < 99; i += 25) {
      const batch = await Promise.all(Array.from({ length: Math.min(25, 99 - i) }, () => publish('agency', notice(FULL, 'GREEN'))));
      for (const r of batch) expect(r.body.errors).toBeUndefined();
    }
    const over = await publish('agency', notice(FULL, 'GREEN'));
    expect(over.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.reviewId' });
    expect(over.body.errors![0]!.message).toContain('100');
    // Another reviewer files as if nothing had been filed: what it may not see does not count against it.
    const isac = await publish('isac', notice(FULL, 'GREEN'));
    expect(isac.body.errors).toBeUndefined();
  });
});

describe('announcing a close across instances', () => {
  const TWICE = 'x-model-review--00000000-0000-4000-8000-000000000005';

  it('announces each close once: another instance without the lease checks nothing, and of two racing announcements one wins', async () => {
    await t.hub.store.modelReviews.insert(await review(TWICE, -2 * DAY, -DAY));
    // The hub's own watcher holds the lease (it renews it every second): a second instance's watcher does nothing.
    await t.hub.maintenance.checkReviews();
    const calls: string[] = [];
    const other = new ReviewWatcher({
      modelReviews: t.hub.store.modelReviews,
      announce: async (r) => (calls.push(r._id), null),
      leases: t.hub.store.leases,
      holder: 'another-instance',
      onError: (err) => {
        throw err;
      },
      clock: () => new Date(clock),
    });
    expect(await other.check()).toBe(0);
    expect(calls).toEqual([]);
    const [announced] = await t.hub.store.modelReviews.find({ _id: TWICE });
    expect(announced!.closeAnnouncedAt).not.toBeNull();
    // Two announcements racing on one due review (two instances, or the watcher and an early close): one wins.
    const RACE = 'x-model-review--00000000-0000-4000-8000-000000000006';
    await t.hub.store.modelReviews.insert(await review(RACE, -2 * DAY, -DAY));
    const deps = { ...t.hub.store, events: t.hub.services.events, audit: t.hub.services.audit, schedule: t.hub.services.vulnerabilities.schedule };
    const results = await Promise.all([announceClose(deps, { _id: RACE }, new Date(clock)), announceClose(deps, { _id: RACE }, new Date(clock))]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    const closes = await t.hub.store.audit.find({ action: 'MODEL_REVIEW_CLOSED', 'target.id': RACE });
    expect(closes).toHaveLength(1);
    expect(closes[0]).toMatchObject({ actor: null, memberId: 'lab' });
  });
});

describe('reading findings and summaries of many reviews', () => {
  it('reads the findings and summaries of a page of reviews in one batch each, whatever the page holds', async () => {
    const query = /* GraphQL */ `{ modelReviews(first: 50) { edges { node {
      findings { ... on ModelRiskNotice { id review { summary { total } } } ... on Vulnerability { id review { summary { total } } } }
      summary { total } } } } }`;
    // Nothing else reads them meanwhile: no subscriber left, every due close announced already.
    await disposeStreams();
    await t.hub.maintenance.checkReviews();
    // Watched, not replaced: each call of the two batched reads is recorded with its batch size.
    // (The store's call counter would also count the hub's watchers, which read on their own ticks.)
    const reads = t.hub.services.reviewFindings;
    const batches: string[] = [];
    const { findingsOf, summariesOf } = reads;
    reads.findingsOf = (viewer, ids) => (batches.push(`findings ${ids.length}`), findingsOf.call(reads, viewer, ids));
    reads.summariesOf = (ids) => (batches.push(`summaries ${ids.length}`), summariesOf.call(reads, ids));
    try {
      const res = await gql('admin', query);
      expect(res.body.errors).toBeUndefined();
      const reviews = res.body.data.modelReviews.edges.length;
      expect(reviews).toBeGreaterThanOrEqual(8);
      const summaries = res.body.data.modelReviews.edges.filter((e: { node: { summary: unknown } }) => e.node.summary !== null).length;
      // One read for every review's findings, one for every summary shown (a finding's review is one of those: cached).
      expect(batches).toEqual([`findings ${reviews}`, `summaries ${summaries}`]);
    } finally {
      reads.findingsOf = findingsOf;
      reads.summariesOf = summariesOf;
    }
  });
});
