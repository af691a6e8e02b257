import type { AlertEventType, EventDoc } from '../domain/events.js';
import { factsOf, vulnerabilityFacts } from '../domain/events.js';
import type { VulnerabilityDoc } from '../domain/vulnerability.js';
import type { IndicatorDoc, NoticeDoc } from '../domain/types.js';
import type { ModelReviewDoc } from '../domain/model-review.js';
import { alertVerdict, modelReviewFacts, viewerNow, type Viewer } from '../policy/policy.js';
import { FilterMatcher } from '../store/filter-matcher.js';
import type { Store } from '../store/ports.js';

export type AlertRecord = IndicatorDoc | NoticeDoc | VulnerabilityDoc | ModelReviewDoc;

/**
 * Reads what a verdict needs and asks the policy for it: the records as they are now, the
 * viewers as the member registry has them now (`viewerNow`), and `alertVerdict` per visibility
 * class, with the policy's own filter documents run by mingo.
 */
export class AlertJudge {
  private readonly matcher = new FilterMatcher();
  private readonly test = (filter: Record<string, unknown>, facts: object, cacheKey?: string) => this.matcher.matches(filter, facts, cacheKey);

  /**
   * @param clock The hub's clock, ms since the epoch (default `Date.now`): what a record's sharing
   * is judged at now (embargoes, a review's close), the same instant queries judge it at.
   */
  constructor(
    private readonly store: Pick<Store, 'indicators' | 'notices' | 'vulnerabilities' | 'modelReviews' | 'members' | 'communities'>,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The events' records as they are now, by id (a record since deleted is absent). */
  async records(events: readonly EventDoc[]): Promise<Map<string, AlertRecord>> {
    const indicatorIds = [...new Set(events.filter((e) => e.kind === 'INDICATOR').map((e) => e.recordId))];
    const noticeIds = [...new Set(events.filter((e) => e.kind === 'NOTICE').map((e) => e.recordId))];
    const vulnerabilityIds = [...new Set(events.filter((e) => e.kind === 'VULNERABILITY').map((e) => e.recordId))];
    const reviewIds = [...new Set(events.filter((e) => e.kind === 'REVIEW').map((e) => e.recordId))];
    const [indicators, notices, vulnerabilities, reviews] = await Promise.all([
      indicatorIds.length ? this.store.indicators.find({ _id: { $in: indicatorIds } }) : [],
      noticeIds.length ? this.store.notices.find({ _id: { $in: noticeIds } }) : [],
      vulnerabilityIds.length ? this.store.vulnerabilities.find({ _id: { $in: vulnerabilityIds } }) : [],
      reviewIds.length ? this.store.modelReviews.find({ _id: { $in: reviewIds } }) : [],
    ]);
    return new Map<string, AlertRecord>([...indicators, ...notices, ...vulnerabilities, ...reviews].map((d) => [d._id, d]));
  }

  /**
   * Each viewer as the registry has it now, read once for all of them: the tier, roles and
   * communities a delivery is judged and rendered with (null: the member is gone or suspended).
   * Communities are re-read every round like the tier: joining one grants its TLP:RED records
   * from the next round, leaving revokes them.
   */
  async viewersNow(viewers: Iterable<Viewer>): Promise<Map<Viewer, Viewer | null>> {
    const all = [...new Set(viewers)];
    const ids = [...new Set(all.flatMap((v) => (v.kind === 'member' ? [v.memberId] : [])))];
    const [members, rosters] = ids.length ? await Promise.all([this.store.members.findByIds(ids), this.store.communities.withMembers(ids)]) : [[], []];
    const byId = new Map(members.map((m) => [m._id, m]));
    const communitiesOf = new Map<string, string[]>(ids.map((id) => [id, []]));
    for (const c of rosters) for (const m of c.members) communitiesOf.get(m)?.push(c._id);
    return new Map(
      all.map((v) => [v, v.kind === 'member' ? viewerNow(v, byId.get(v.memberId) ?? null, communitiesOf.get(v.memberId) ?? []) : viewerNow(v, null)]),
    );
  }

  /** What `viewer` (as it is now) is told of `event` about `record`: see `alertVerdict`. */
  verdict(viewer: Viewer, event: EventDoc, record: AlertRecord): AlertEventType | null {
    const facts =
      event.kind === 'VULNERABILITY'
        ? vulnerabilityFacts(record as VulnerabilityDoc)
        : event.kind === 'REVIEW'
          ? modelReviewFacts(record as ModelReviewDoc)
          : factsOf(record as IndicatorDoc | NoticeDoc);
    return alertVerdict(viewer, event, facts, new Date(this.clock()), this.test);
  }
}
