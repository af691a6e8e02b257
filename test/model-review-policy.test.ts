/**
 * The policy's model-review rules as pure functions (src/policy/policy.ts, "Pre-deployment model
 * reviews"): who sees a review and which of its fields, and the restriction on its findings,
 * against the same filter documents every store runs (here by mingo, through FilterMatcher).
 */
import { describe, expect, it } from 'vitest';
import { findingRestriction, type ModelReviewDoc } from '../src/domain/model-review.js';
import { modelReviewAudience, modelReviewVisibility, noticeVisibility, passesReviewRestriction, redactModelReview, reviewRestriction, visibilityKey, type Viewer } from '../src/policy/policy.js';
import { FilterMatcher } from '../src/store/filter-matcher.js';

const DAY = 86_400_000;
const T = new Date('2026-06-01T00:00:00Z');
const member = (memberId: string, tier: Viewer['tier'], roles: string[] = ['reader']): Viewer => ({ kind: 'member', memberId, userId: `u@${memberId}`, roles, tier }) as Viewer;
const ANON: Viewer = { kind: 'anonymous', tier: 'PUBLIC' };
const matcher = new FilterMatcher();
const matches = (filter: Record<string, unknown>, doc: object) => matcher.matches(filter, doc);

function review(over: Partial<ModelReviewDoc> = {}): ModelReviewDoc {
  return {
    _id: 'x-model-review--1', model: { name: 'M', developer: 'Lab', version: null }, description: null, lab: 'lab',
    scheduledBy: { memberId: 'lab', userId: 'u@lab' }, plannedDeploymentAt: new Date(T.getTime() + 10 * DAY), windowOpensAt: new Date(T.getTime() - 20 * DAY),
    closesAt: new Date(T.getTime() + 10 * DAY), cancelledAt: null, cancelReason: 'WHY', reviewers: ['agency', 'isac'], invited: ['isac'], summaryPublic: false,
    closeAnnouncedAt: null, createdAt: T, updatedAt: T, seq: 1, ...over,
  };
}

const lab = member('lab', 'TRUSTED', ['publisher']);
const agency = member('agency', 'CORE');
const isac = member('isac', 'TRUSTED');
const core = member('core-other', 'CORE');
const admin = member('ops', 'COMMUNITY', ['hub-admin']);
const adminAtReviewer = member('agency', 'CORE', ['hub-admin']);
const after = new Date(T.getTime() + 11 * DAY);

describe('who sees a model review', () => {
  it('before the close: the lab, its reviewers and hub-admins; nobody else, anonymous callers neither', () => {
    const r = review();
    for (const v of [lab, agency, isac, admin]) expect(matches(modelReviewVisibility(v, T), r), JSON.stringify(v)).toBe(true);
    for (const v of [core, ANON]) expect(matches(modelReviewVisibility(v, T), r), JSON.stringify(v)).toBe(false);
    expect(redactModelReview(r, core, T)).toBeNull();
  });

  it('after the close: every member; anonymous callers only once the lab released the summary; never a cancelled review', () => {
    expect(matches(modelReviewVisibility(core, after), review())).toBe(true);
    expect(matches(modelReviewVisibility(ANON, after), review())).toBe(false);
    expect(matches(modelReviewVisibility(ANON, after), review({ summaryPublic: true }))).toBe(true);
    const cancelled = review({ cancelledAt: T, closesAt: null });
    expect(matches(modelReviewVisibility(core, after), cancelled)).toBe(false);
    expect(matches(modelReviewVisibility(isac, after), cancelled)).toBe(true);
  });

  it('shows the reviewers and the cancellation reason to insiders only, and the summary to the lab and hub-admins before the close, to all who see it after', () => {
    const r = review();
    expect(redactModelReview(r, lab, T)).toMatchObject({ reviewers: ['agency', 'isac'], seesSummary: true, status: 'OPEN' });
    expect(redactModelReview(r, isac, T)).toMatchObject({ reviewers: ['agency', 'isac'], seesSummary: false });
    expect(redactModelReview(r, admin, T)).toMatchObject({ reviewers: ['agency', 'isac'], seesSummary: true });
    expect(redactModelReview(r, core, after)).toMatchObject({ reviewers: null, cancelReason: null, seesSummary: true, status: 'CLOSED' });
  });

  it('a hub-admin whose member is a reviewer reads the summary before the close as any hub-admin does', () => {
    expect(modelReviewAudience(adminAtReviewer, review(), T)).toBe('HUB_ADMIN');
    expect(redactModelReview(review(), adminAtReviewer, T)?.seesSummary).toBe(true);
  });

  it('gives a hub-admin its own visibility class: it sees what its member\'s other people do not', () => {
    expect(visibilityKey(adminAtReviewer)).not.toBe(visibilityKey(agency));
  });
});

describe('the restriction on a review\'s findings', () => {
  const notice = (r: ModelReviewDoc, over: object = {}) => ({
    _id: 'x-model-risk-notice--1', source: 'agency', tlp: 'GREEN', recipients: [], status: 'PUBLISHED', embargoUntil: null, ...findingRestriction(r), ...over,
  });

  it('holds the lab, the reviewers and hub-admins only until the close, whatever the TLP says, then the TLP and tier rules alone decide', () => {
    const n = notice(review());
    for (const v of [lab, agency, isac, admin]) expect(matches(noticeVisibility(v, T), n), JSON.stringify(v)).toBe(true);
    expect(matches(noticeVisibility(member('community', 'COMMUNITY'), T), n)).toBe(false);
    expect(matches(noticeVisibility(ANON, T), n)).toBe(false);
    expect(matches(noticeVisibility(member('community', 'COMMUNITY'), after), n)).toBe(true);
    expect(matches(noticeVisibility(ANON, after), n)).toBe(false); // GREEN: members only
  });

  it('never lifts for a cancelled review, but its publisher always sees its own finding', () => {
    const n = notice(review({ cancelledAt: T, closesAt: null }));
    expect(matches(noticeVisibility(member('community', 'COMMUNITY'), new Date(T.getTime() + 1000 * DAY)), n)).toBe(false);
    expect(matches(noticeVisibility(member('agency', 'COMMUNITY'), after), n)).toBe(true);
  });

  it('is the same rule on one record as in the filter documents', () => {
    const n = notice(review());
    for (const v of [lab, agency, isac, admin, core, ANON]) {
      for (const at of [T, after]) expect(passesReviewRestriction(v, n, at), JSON.stringify([v, at])).toBe(matches(reviewRestriction(v, at), n));
    }
    expect(matches(reviewRestriction(core, T), { _id: 'x', reviewId: null })).toBe(true);
    expect(matches(reviewRestriction(core, T), { _id: 'x' })).toBe(true);
  });
});
