import type { Services } from '../context.js';
import type { Role } from '../domain/types.js';
import type { Viewer } from '../policy/policy.js';
import { NoticeService } from '../services/notice-service.js';
import type { Store } from '../store/ports.js';
import type { CursorCodec } from '../util/cursor-codec.js';
import { demoIndicators, demoMembers, demoNotices, demoPeople } from './demo-data.js';
import { seedDemoVulnerabilities } from './demo-vulnerabilities.js';
import { seedDemoReviews, type DemoReviewOptions } from './seed-demo-reviews.js';

const DAY = 86_400_000;

/**
 * Seeds the demo members, indicators, notices and clearinghouse cases through the same services a
 * publisher (and a coordinator, a vendor) uses, so every demo record went through normalisation,
 * validation, the audit log and the alert log. Notices are written as of a month ago, so that demo
 * embargoes that have already ended could still be set in the future; clearinghouse cases are
 * written now (src/demo/demo-vulnerabilities.ts); model reviews and their findings each at their
 * own instant in the past (src/demo/seed-demo-reviews.ts; `reviews`: the hub's review settings).
 */
export async function seedDemo(
  services: Services,
  store: Store,
  cursors: CursorCodec,
  now = new Date(),
  reviews: DemoReviewOptions = {},
): Promise<{ indicators: number; notices: number; vulnerabilities: number; modelReviews: number; findings: number }> {
  const members = demoMembers(now);
  for (const m of members) await services.members.register(m);
  for (const p of demoPeople()) await services.people.seed(p);
  const actAs = (memberId: string): Viewer => {
    const member = members.find((m) => m._id === memberId)!;
    return { kind: 'member', memberId, userId: `seed@${memberId}`, roles: ['publisher', 'reader'] as Role[], tier: member.tier };
  };

  const byMember = new Map<string, ReturnType<typeof demoIndicators>>();
  for (const item of demoIndicators(now)) {
    if (!byMember.has(item.memberId)) byMember.set(item.memberId, []);
    byMember.get(item.memberId)!.push(item);
  }
  const published = new Map<string, string[]>();
  let indicators = 0;
  for (const [memberId, items] of byMember) {
    const { results } = await services.indicators.publish(actAs(memberId), {
      idempotencyKey: `demo-seed-${memberId}`,
      indicators: items.map((i) => i.input),
    });
    const rejected = results.filter((r) => r.status === 'REJECTED');
    if (rejected.length) throw new Error(`demo seed: ${rejected.length} indicators rejected, first: ${rejected[0]!.error?.message}`);
    published.set(memberId, results.map((r) => r.indicator!._id));
    indicators += results.length;
  }

  const past = new Date(now.getTime() - 31 * DAY);
  const backdated = new NoticeService({ notices: store.notices, sequences: store.sequences, members: services.members, communities: services.communities, indicators: services.indicators, cursors, audit: services.audit, events: services.events, reviews: services.reviewFindings, now: () => past });
  const notices = demoNotices(now);
  let aiFound: string | null = null;
  for (const [i, { memberId, input }] of notices.entries()) {
    const own = published.get(memberId) ?? [];
    const relatedIndicatorIds = own.slice(i * 2, i * 2 + 2);
    const later = input.status === 'MITIGATED' || input.status === 'RETRACTED' ? input.status : null;
    const notice = await backdated.publish(actAs(memberId), { ...input, status: later ? 'PUBLISHED' : input.status, relatedIndicatorIds });
    if (later) await backdated.changeStatus(actAs(memberId), notice._id, later);
    if (input.category === 'AI_FOUND_VULNERABILITY' && memberId === 'demo-lab') aiFound = notice._id;
  }
  const cases = await seedDemoVulnerabilities(services, now, aiFound);
  const reviewed = await seedDemoReviews(services, store, cursors, now, reviews);
  return { indicators, notices: notices.length, vulnerabilities: Object.keys(cases).length, modelReviews: reviewed.reviews, findings: reviewed.findings };
}
