import type { Services } from '../context.js';
import { atLeast, type Viewer } from '../policy/policy.js';
import type { MemberTier, Role } from '../domain/types.js';
import { ModelReviewService } from '../services/model-review-service.js';
import { NoticeService } from '../services/notice-service.js';
import { announceClose } from '../services/review-close.js';
import { ReviewFindings } from '../services/review-findings.js';
import type { Store } from '../store/ports.js';
import type { CursorCodec } from '../util/cursor-codec.js';
import { DEMO_AGENCY, DEMO_LAB, demoMembers } from './demo-data.js';
import { demoReviews, uuidOf, type DemoReview } from './demo-reviews.js';

/** What the demo's reviews need of the hub's configuration. */
export interface DemoReviewOptions {
  /** HUB_REVIEW_WINDOW, ms. Default 30 days. */
  windowMs?: number;
  /** HUB_REVIEW_DEFAULT_TIER (null: NONE). Default CORE. */
  defaultTier?: MemberTier | null;
  /** HUB_POC_DELAY, ms (part of a case's event facts). Default 45 days. */
  pocDelayMs?: number;
}

const DAY = 86_400_000;

/**
 * Seeds the demo's two model reviews (src/demo/demo-reviews.ts) through the review services, each
 * step at its own instant in the past: the lab schedules (ModelReviewService, as of the
 * scheduling), reviewers file findings (NoticeService with the review's restriction, as of the
 * filing), and the closed review's close is announced (REVIEW_CLOSED, the findings' RELEASED
 * events, the audit entry), as the ReviewWatcher would. Ids are the demo's stable ones.
 */
export async function seedDemoReviews(services: Services, store: Store, cursors: CursorCodec, now: Date, options: DemoReviewOptions = {}): Promise<{ reviews: number; findings: number }> {
  const windowMs = options.windowMs ?? 30 * DAY;
  const defaultTier = options.defaultTier === undefined ? 'CORE' : options.defaultTier;
  const tiers = new Map(demoMembers(now).map((m) => [m._id, m.tier]));
  const actAs = (memberId: string): Extract<Viewer, { kind: 'member' }> => ({
    kind: 'member', memberId, userId: `cli@${memberId}`, roles: ['reader', 'publisher'] as Role[], tier: tiers.get(memberId)!,
  });
  const reviews = demoReviews(now, windowMs);
  let findings = 0;
  for (const review of [reviews.closed, reviews.open]) {
    await scheduleReview(review);
    for (const f of review.findings) {
      const at = () => f.filedAt;
      const filing = new ReviewFindings({ modelReviews: store.modelReviews, notices: store.notices, vulnerabilities: store.vulnerabilities, sequences: store.sequences, events: services.events, now: at });
      const notices = new NoticeService({
        notices: store.notices, sequences: store.sequences, members: services.members, communities: services.communities, indicators: services.indicators,
        cursors, audit: services.audit, events: services.events, reviews: filing, now: at, randomUUID: () => uuidOf(f.id),
      });
      await notices.publish(actAs(f.memberId), { ...f.input, reviewId: review.id });
      findings++;
    }
  }
  // Closed at its planned deployment: announced now, as the ReviewWatcher does on its first tick.
  await announceClose({ modelReviews: store.modelReviews, notices: store.notices, vulnerabilities: store.vulnerabilities, sequences: store.sequences, events: services.events, audit: services.audit, schedule: { pocDelayMs: options.pocDelayMs ?? 45 * DAY } }, { _id: reviews.closed.id }, now);
  return { reviews: 2, findings };

  async function scheduleReview(review: DemoReview): Promise<void> {
    const lab = new ModelReviewService({
      reviews: store.modelReviews, notices: store.notices, vulnerabilities: store.vulnerabilities, sequences: store.sequences,
      members: { getMany: (ids) => services.members.getMany(ids), list: () => store.members.list() },
      audit: services.audit, events: services.events, approvals: () => services.approvals, cursors,
      windowMs, defaultTier, schedule: { pocDelayMs: options.pocDelayMs ?? 45 * DAY },
      now: () => review.scheduledAt, randomUUID: () => uuidOf(review.id),
    });
    // demo-agency reviews as a CORE member by default; invited too when the hub's default tier leaves CORE out.
    const agencyByDefault = defaultTier !== null && atLeast('CORE', defaultTier);
    const reviewerIds = [...review.invite, ...(agencyByDefault ? [] : [DEMO_AGENCY])];
    const scheduled = await lab.schedule(actAs(DEMO_LAB), { ...review.input, reviewerIds });
    if (scheduled._id !== review.id) throw new Error(`demo seed: review scheduled as ${scheduled._id}, not ${review.id}`);
  }
}
