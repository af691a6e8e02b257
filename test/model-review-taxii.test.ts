/**
 * TAXII and model reviews' findings (issue 14, docs/taxii.md "Model reviews"): a finding is served
 * to those outside its review's audience only once the review closed, and never when it is TLP:RED;
 * for them it is dated by the release (the later of its write and the review's close), so that an
 * `added_after` poller that polled before the close receives it on its next poll. The lab, the
 * reviewers and hub-admins see it from its write. On a controlled clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Filter } from '../src/domain/filter.js';
import type { NoticeDoc } from '../src/domain/types.js';
import { withId } from '../src/domain/with-id.js';
import { noticeVisibility, taxiiExclusion, type Viewer } from '../src/policy/policy.js';
import type { FindOptions } from '../src/store/ports.js';
import { and } from '../src/store/queries.js';
import { createSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { formatDateAdded, offsetOfId } from '../src/taxii/date-added.js';
import { memberIdentityId } from '../src/stix/stix-ids.js';
import { StoreSource } from '../src/taxii/object-source.js';
import { releaseDating } from '../src/taxii/release-dating.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';
import { stixProblems } from './support/stix-validator.js';

const TAXII = 'application/taxii+json;version=2.1';
const NOTICES = 'fc6234ba-1d08-4c68-92c5-2765ca3f6581';
const CASES = '62b4e6f9-25cd-475b-92a1-5cfd3c0577d7';
const HOUR = 3_600_000;
/** The two reviews the lab schedules (one of them cancelled). */
let REVIEW: string;
let CANCELLED: string;

let clock = Date.now();
let t: TestHub;
type Who = 'lab' | 'reviewer' | 'invited' | 'core' | 'trusted' | 'community' | 'admin' | 'anonymous';
const tok = {} as Record<Who, string | undefined>;
const finding = {} as Record<'green' | 'amber' | 'red' | 'cancelled', string>;
let caseFinding: string;
let releaseAt: Date;

interface Page { status: number; last: string | null; objects: Array<{ id: string; type: string; [k: string]: any }>; manifest: Array<{ id: string; date_added: string }> }

async function read(collection: string, who: Who, addedAfter?: string): Promise<Page> {
  const origin = t.url.replace(/\/graphql$/, '');
  const query = addedAfter ? `?added_after=${encodeURIComponent(addedAfter)}` : '';
  const get = (leaf: string) =>
    fetch(`${origin}/taxii2/hub/collections/${collection}/${leaf}/${query}`, { headers: { accept: TAXII, ...(tok[who] ? { authorization: `Bearer ${tok[who]}` } : {}) } });
  const objects = await get('objects');
  const body = (await objects.json()) as { objects?: Page['objects'] };
  const manifest = (await (await get('manifest')).json()) as { objects?: Array<{ id: string; date_added: string }> };
  return { status: objects.status, last: objects.headers.get('x-taxii-date-added-last'), objects: body.objects ?? [], manifest: manifest.objects ?? [] };
}

/** The findings (notices, cases) of a page; reviews apart. */
const ids = (page: Page) => page.objects.filter((o) => o.type !== 'x-model-review').map((o) => o.id);
const reviewsOf = (page: Page) => page.objects.filter((o) => o.type === 'x-model-review');

const DAY = 86_400_000;

beforeAll(async () => {
  t = await startTestHub({ config: { anonymousReads: true }, start: { clock: () => clock } });
  const gql = async (token: string | undefined, query: string, variables: Record<string, unknown>) => {
    const res = await t.gql(query, variables, { token });
    expect(res.body.errors, res.text).toBeUndefined();
    return res.body.data;
  };
  const members = { lab: t.member('lab', 'CORE', { kind: 'LAB' }), reviewer: t.member('reviewer', 'CORE'), invited: t.member('invited', 'TRUSTED'), trusted: t.member('trusted', 'TRUSTED'), community: t.member('community', 'COMMUNITY') };
  for (const [name, m] of Object.entries(members)) tok[name as keyof typeof members] = await m.token(['reader', 'publisher']);
  tok.anonymous = undefined;

  // The lab schedules two reviews (CORE members review by default: `reviewer`), inviting the TRUSTED `invited`.
  releaseAt = new Date(clock + 31 * DAY);
  const schedule = async () =>
    (await gql(tok.lab, 'mutation ($input: ModelReviewInput!) { scheduleModelReview(input: $input) { id } }', {
      input: { model: { name: 'Frontier-9', developer: 'lab' }, plannedDeploymentAt: releaseAt.toISOString(), reviewerIds: ['invited'], description: 'Before it ships.' },
    })).scheduleModelReview.id as string;
  REVIEW = await schedule();
  CANCELLED = await schedule();
  // Members that joined after the scheduling review nothing: a CORE member, and the hub-admins' member.
  tok.core = await t.member('core', 'CORE').token(['reader']);
  await t.member('hq', 'CORE', { allowedRoles: ['reader', 'hub-admin'] }).token(['reader']);
  tok.admin = await t.tokenAs('hq', 'admin@hq', ['reader', 'hub-admin']);

  clock += 2 * DAY; // the windows are open: reviewers file findings
  const file = async (token: string | undefined, reviewId: string, input: Record<string, unknown>) =>
    (await gql(token, 'mutation ($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }', {
      input: { title: 'Finding', summary: 'Found in review.', model: { name: 'Frontier-9', developer: 'lab' }, category: 'CYBER_OFFENSE_CAPABILITY', severity: 'HIGH', status: 'PUBLISHED', reviewId, ...input },
    })).publishModelRiskNotice.id as string;
  finding.green = await file(tok.reviewer, REVIEW, { tlp: 'GREEN' });
  finding.amber = await file(tok.invited, REVIEW, { tlp: 'AMBER' });
  finding.red = await file(tok.reviewer, REVIEW, { tlp: 'RED', recipients: ['trusted'] });
  finding.cancelled = await file(tok.reviewer, CANCELLED, { tlp: 'CLEAR' });
  await gql(tok.lab, 'mutation ($id: ID!) { cancelModelReview(reviewId: $id, reason: "Not shipping.") { id } }', { id: CANCELLED });

  // A clearinghouse case filed under the review, validated by a coordinator: CORE sees a VALIDATED case by its stage.
  // Coordinators are not exempt from the review's restriction: one of the lab's people coordinates it.
  caseFinding = (await gql(tok.reviewer, 'mutation ($input: VulnerabilityInput!) { submitVulnerability(input: $input) { id } }', {
    input: { title: 'Sandbox escape found by the model under review', summary: 'A crafted tool call escapes the sandbox.', severity: 'HIGH', affected: [{ vendorName: 'Some vendor', product: 'sandboxd', versions: '< 2.0' }], discovery: { method: 'HUMAN', humanValidated: true }, reviewId: REVIEW },
  })).submitVulnerability.id;
  const coordinator: Viewer = { kind: 'member', memberId: 'lab', userId: 'coord@lab', roles: ['reader', 'coordinator'], tier: 'CORE' };
  await t.hub.services.vulnerabilityWorkflow.validate(coordinator, caseFinding, 'VALIDATED', 'Reproduced.');
  clock += 1_000;
});
afterAll(() => t.dispose());

describe('TAXII and a model review\'s findings, before and after the close', () => {
  const before = {} as Record<Who, { notices: Page; cases: Page }>;

  beforeAll(async () => {
    for (const who of Object.keys(tok) as Who[]) before[who] = { notices: await read(NOTICES, who), cases: await read(CASES, who) };
  });

  it('before the close, serves the findings to the lab, the reviewers and hub-admins only (each by its TLP), never TLP:RED', () => {
    expect(ids(before.lab.notices).sort()).toEqual([finding.green, finding.amber, finding.cancelled].sort());
    expect(ids(before.reviewer.notices).sort()).toEqual([finding.green, finding.amber, finding.cancelled].sort());
    expect(ids(before.invited.notices).sort()).toEqual([finding.green, finding.amber, finding.cancelled].sort());
    expect(ids(before.admin.notices).sort()).toEqual([finding.green, finding.amber, finding.cancelled].sort());
    // Outside the audience the collections answer exactly as on a hub without the review: no object, no date header.
    for (const who of ['core', 'trusted', 'community', 'anonymous'] as const) {
      for (const page of [before[who].notices, before[who].cases]) expect({ status: page.status, last: page.last, objects: page.objects, manifest: page.manifest }, who).toEqual({ status: 200, last: null, objects: [], manifest: [] });
    }
    // The case: its reporter (a reviewer), the lab (CORE, by its stage) and hub-admins; not the CORE non-reviewer.
    for (const who of ['lab', 'reviewer', 'admin'] as const) expect(ids(before[who].cases), who).toEqual([caseFinding]);
    for (const who of ['invited', 'core', 'trusted', 'community', 'anonymous'] as const) expect(ids(before[who].cases), who).toEqual([]);
  });

  it('serves the review (x-model-review) to the lab, reviewers and hub-admins before the close, reviewers named, the summary to the lab and hub-admins only', () => {
    for (const who of ['lab', 'reviewer', 'invited', 'admin'] as const) {
      const reviews = reviewsOf(before[who].notices);
      expect(reviews.map((r) => r.id).sort(), who).toEqual([REVIEW, CANCELLED].sort());
      const open = reviews.find((r) => r.id === REVIEW)!;
      for (const r of reviews) expect(stixProblems(r), `${who} ${r.id}`).toEqual([]);
      expect(open, who).toMatchObject({ status: 'open', reviewer_refs: expect.arrayContaining([memberIdentityId('reviewer'), memberIdentityId('invited')]) });
      // Findings referenced as TAXII serves them to this viewer: never the RED one.
      expect([...open.finding_refs].sort(), who).toEqual([finding.green, finding.amber, ...(who === 'invited' ? [] : [caseFinding])].sort());
    }
    expect(reviewsOf(before.lab.notices).find((r) => r.id === REVIEW)!.summary).toMatchObject({ total: 4, highest_severity: 'high' });
    expect(reviewsOf(before.reviewer.notices).find((r) => r.id === REVIEW)).not.toHaveProperty('summary');
    for (const who of ['core', 'trusted', 'community', 'anonymous'] as const) expect(reviewsOf(before[who].notices), who).toEqual([]);
    // A finding names its review where the review is seen.
    const green = before.invited.notices.objects.find((o) => o.id === finding.green)!;
    expect(green.review_ref).toBe(REVIEW);
  });

  it('after the close, serves each finding to everyone its TLP and tier reach, dated by the release, to added_after pollers that polled before', async () => {
    clock = releaseAt.getTime() + 60_000;
    const released = formatDateAdded({ t: releaseAt.getTime(), u: 0 }).slice(0, 23);
    const expected: Record<'core' | 'trusted' | 'community' | 'anonymous', string[]> = {
      core: [finding.green, finding.amber],
      trusted: [finding.green, finding.amber],
      community: [finding.green],
      anonymous: [],
    };
    for (const who of Object.keys(expected) as Array<keyof typeof expected>) {
      // A poller that saw nothing yet polls from its last position (or from just before the close).
      const from = before[who].notices.last ?? new Date(releaseAt.getTime() - HOUR).toISOString();
      const next = await read(NOTICES, who, from);
      expect(ids(next).sort(), who).toEqual(expected[who].sort());
      for (const m of next.manifest) {
        expect(m.date_added.slice(0, 23), who).toBe(released);
        expect(m.date_added).toBe(formatDateAdded({ t: releaseAt.getTime(), u: offsetOfId(m.id) }));
      }
    }
    // The closed review reaches every member, dated by the close, without its reviewers; not anonymous callers (summary not public).
    for (const who of ['core', 'trusted', 'community'] as const) {
      const next = await read(NOTICES, who, new Date(releaseAt.getTime() - HOUR).toISOString());
      const [review, ...more] = reviewsOf(next);
      expect(more, who).toEqual([]);
      expect(review, who).toMatchObject({ id: REVIEW, status: 'closed', summary: { total: 4 }, modified: releaseAt.toISOString() });
      expect(review, who).not.toHaveProperty('reviewer_refs');
      expect(next.manifest.find((m) => m.id === REVIEW)!.date_added, who).toBe(formatDateAdded({ t: releaseAt.getTime(), u: offsetOfId(REVIEW) }));
      expect([...review!.finding_refs].sort(), who).toEqual([...expected[who], ...(who === 'core' ? [caseFinding] : [])].sort());
      for (const f of next.objects.filter((o) => o.type === 'x-model-risk-notice')) expect(f.review_ref, who).toBe(REVIEW);
    }
    expect(reviewsOf(await read(NOTICES, 'anonymous'))).toEqual([]);
    // The cancelled review's finding is TLP:CLEAR, and still nobody outside its audience gets it.
    for (const who of ['core', 'trusted', 'community', 'anonymous'] as const) {
      const all = await read(NOTICES, who);
      expect(ids(all), who).not.toContain(finding.cancelled);
      expect(reviewsOf(all).map((r) => r.id), who).not.toContain(CANCELLED);
    }
    // TLP:RED never goes out over TAXII, to its recipient neither.
    for (const who of Object.keys(tok) as Who[]) expect(ids(await read(NOTICES, who)), who).not.toContain(finding.red);
  });

  it('dates the findings for the lab and reviewers by their write, as they saw them then: nothing new after the close', async () => {
    for (const who of ['lab', 'reviewer', 'invited', 'admin'] as const) {
      const again = await read(NOTICES, who, before[who].notices.last!);
      expect(ids(again), who).toEqual([]);
      // The review is a new version at its close (its status moved): served again, once.
      expect(reviewsOf(again).map((r) => `${r.id} ${r.status} ${r.modified}`), who).toEqual([`${REVIEW} closed ${releaseAt.toISOString()}`]);
    }
  });

  it('serves the case to the CORE non-reviewer after the close, dated by the release; still not to tiers its stage does not reach', async () => {
    const next = await read(CASES, 'core', new Date(releaseAt.getTime() - HOUR).toISOString());
    expect(ids(next)).toEqual([caseFinding]);
    expect(next.manifest[0]!.date_added).toBe(formatDateAdded({ t: releaseAt.getTime(), u: offsetOfId(caseFinding) }));
    for (const who of ['trusted', 'community', 'anonymous'] as const) expect(ids(await read(CASES, who)), who).toEqual([]);
    expect(ids(await read(CASES, 'reviewer', before.reviewer.cases.last!))).toEqual([]);
  });
});

describe('the SQLite read path of findings dated by their release', () => {
  let store: SqliteStore;
  const notice = (i: number): NoticeDoc => ({
    ...withId(`x-model-risk-notice--${String(i).padStart(6, '0')}`),
    title: 't', summary: 's', model: { name: 'M', developer: 'D', version: null }, category: 'JAILBREAK', severity: 'HIGH', severityRank: 3,
    tlp: 'GREEN', recipients: [], status: 'PUBLISHED', embargoUntil: i % 7 === 0 ? new Date(1e12 + i + 500) : null,
    atlasTechniques: [], owaspLlm: [], mitigations: null, technicalDetails: null, evaluationEvidence: null, affectedDeployments: [], relatedIndicatorIds: [],
    source: `m-${i % 5}`, createdAt: new Date(1e12 + i), updatedAt: new Date(1e12 + i), seq: i,
    ...(i % 3 === 0 ? { reviewId: `x-model-review--${i % 4}`, reviewAudience: ['m-1', 'lab'], reviewReleaseAt: new Date(1e12 + 3_000 + i) } : { reviewId: null }),
  });

  beforeAll(async () => {
    store = createSqliteStore(':memory:');
    for (let i = 0; i < 2_000; i++) await store.notices.insert(notice(i));
    store.db.exec('ANALYZE');
  });
  afterAll(() => store.close());

  it('reads each dating field through its (field, dateAddedOffset, _id) index, in its order, for a viewer held back by embargoes and reviews', async () => {
    const viewer: Viewer = { kind: 'member', memberId: 'm-2', userId: 'u', roles: ['reader'], tier: 'TRUSTED' };
    const now = new Date(2e12);
    const table = store.collections.notices;
    const served = new Set<string>();
    for (const { scope, timeField } of releaseDating(viewer, true)) {
      const reads: Array<{ filter: Filter; options: FindOptions | undefined }> = [];
      const source = new StoreSource<NoticeDoc>({
        repo: { find: async (filter, options) => (reads.push({ filter, options }), table.find(filter, options)) },
        scope: and(noticeVisibility(viewer, now), taxiiExclusion(), scope),
        timeField,
        toObjects: async (docs) => docs.map((d) => ({ type: 'x-model-risk-notice', id: d._id })),
      });
      let after = null;
      for (;;) {
        const page = await source.read(after, 2e12, 100);
        for (const e of page.entries) {
          expect(served.has(e.object.id), `${e.object.id} served twice`).toBe(false);
          served.add(e.object.id);
        }
        if (page.exhausted || page.entries.length === 0) break;
        after = page.entries[page.entries.length - 1]!.position;
      }
      for (const read of reads) {
        const steps = (store.db.prepare(`EXPLAIN QUERY PLAN ${table.selectSql(read.filter, read.options).sql}`).all(...table.selectSql(read.filter, read.options).params) as Array<{ detail: string }>).map((r) => r.detail);
        expect(steps[0], steps.join(' | ')).toMatch(new RegExp(`^SEARCH t USING INDEX notices_${timeField}_dateAddedOffset_id`));
        expect(steps.join('\n')).not.toMatch(/TEMP B-TREE/);
      }
    }
    // The partition: every notice the viewer sees, once.
    expect(served.size).toBe(await store.notices.count(and(noticeVisibility(viewer, now), taxiiExclusion())));
  });
});
