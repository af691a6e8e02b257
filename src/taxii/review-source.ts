import type { Filter } from '../domain/filter.js';
import { COUNTED_NOTICE_STATUSES, modelReviewSummary } from '../domain/model-review-summary.js';
import type { ModelReviewSummary, ModelReviewView } from '../domain/model-review.js';
import { modelReviewVisibility, noticeVisibility, redactModelReview, taxiiExclusion, taxiiVulnerabilityExclusion, vulnerabilityVisibility } from '../policy/policy.js';
import type { ModelReviewRepository, NoticeRepository, VulnerabilityRepository } from '../store/ports.js';
import { and } from '../store/queries.js';
import { modelReviewToStix, modelReviewVersion } from '../stix/model-review-to-stix.js';
import type { StixView } from '../stix/stix-gates.js';
import { comparePositions, offsetOfId, sameDateAdded, type Position } from './date-added.js';
import { versionOf, type Entry, type ObjectSource, type SourceRead } from './object-source.js';

export interface ReviewSourceOptions {
  reviews: Pick<ModelReviewRepository, 'find'>;
  notices: Pick<NoticeRepository, 'find'>;
  vulnerabilities: Pick<VulnerabilityRepository, 'find'>;
  view: StixView;
  /** The request's filters on reviews (`match[id]`). */
  scope: Filter;
  /** `match[version]` on an object's version; default: every version. */
  versionMatches?: (version: string) => boolean;
  now: Date;
}

/** The texts a finding's summary and reference do not read (up to 50,000 characters each): left out where the store can. */
const NOTICE_TEXTS = ['summary', 'mitigations', 'technicalDetails', 'evaluationEvidence'];
const CASE_TEXTS = ['summary', 'proofOfConcept', 'technicalDetails', 'suggestedFix'];

/**
 * The `x-model-review` objects of the notices collection: the reviews the viewer may see
 * (`modelReviewVisibility`), each as `redactModelReview` shows it, dated by its version
 * (`modelReviewVersion`: its write, or the opening or close that last moved its status), so that
 * a viewer a closed review newly reaches (everyone but the lab, reviewers and hub-admins) receives
 * it dated by the close. Findings are referenced where the viewer may see them over TAXII (never
 * TLP:RED, nor a case at RECEIVED).
 *
 * A hub holds tens to thousands of reviews (src/store/ports.ts): each read takes the viewer's
 * visible reviews in one query and orders them by `date_added` in memory, rather than keep a
 * per-viewer date in an index (a review's date depends on the viewer and on the clock).
 */
export class ReviewSource implements ObjectSource {
  constructor(private readonly options: ReviewSourceOptions) {}

  async read(after: Position | null, cutoff: number, want: number): Promise<SourceRead> {
    const { view, now } = this.options;
    const docs = await this.options.reviews.find(and(modelReviewVisibility(view.viewer, now), this.options.scope));
    const dated = docs
      .map((doc) => redactModelReview(doc, view.viewer, now))
      .filter((r): r is ModelReviewView => r !== null)
      .map((review) => ({ review, position: { t: modelReviewVersion(review).getTime(), u: offsetOfId(review._id), id: review._id } }))
      // An object's version is its `modified`, the millisecond of its position.
      .filter(({ position }) => position.t < cutoff && (!after || comparePositions(position, after) > 0) && (this.options.versionMatches?.(new Date(position.t).toISOString()) ?? true))
      .sort((a, b) => comparePositions(a.position, b.position));
    // As StoreSource: at least `want`, the last date_added whole.
    let end = Math.min(want, dated.length);
    while (end > 0 && end < dated.length && sameDateAdded(dated[end - 1]!.position, dated[end]!.position)) end++;
    const page = dated.slice(0, end);
    const exhausted = end >= dated.length;
    const entries = await this.entries(page.map((d) => d.review), page.map((d) => d.position));
    const last = page[page.length - 1];
    return { entries, exhausted, completeThrough: exhausted || !last ? null : { t: last.position.t, u: last.position.u } };
  }

  private async entries(reviews: ModelReviewView[], positions: Position[]): Promise<Entry[]> {
    if (reviews.length === 0) return [];
    const { view, now } = this.options;
    const ids = reviews.map((r) => r._id);
    const inReviews = { reviewId: { $in: ids } };
    const byCreation = { sort: [['createdAt', 1], ['_id', 1]] as Array<[string, 1]> };
    const [notices, cases] = await Promise.all([
      this.options.notices.find(and(inReviews, noticeVisibility(view.viewer, now), taxiiExclusion()), { ...byCreation, omit: NOTICE_TEXTS }),
      this.options.vulnerabilities.find(and(inReviews, vulnerabilityVisibility(view.viewer, now), taxiiVulnerabilityExclusion()), { ...byCreation, omit: CASE_TEXTS }),
    ]);
    const summaries = await this.summaries(reviews.filter((r) => r.seesSummary).map((r) => r._id));
    const out: Entry[] = [];
    reviews.forEach((review, i) => {
      const findingIds = [...notices, ...cases].filter((f) => f.reviewId === review._id).map((f) => f._id);
      const object = modelReviewToStix(review, view, { summary: summaries.get(review._id) ?? null, findingIds });
      out.push({ position: positions[i]!, object, version: versionOf(object) });
    });
    return out;
  }

  /** The summary of every finding of each review, whatever the viewer may see of them: asked only for reviews whose view `seesSummary`. */
  private async summaries(ids: string[]): Promise<Map<string, ModelReviewSummary>> {
    if (ids.length === 0) return new Map();
    const inReviews = { reviewId: { $in: ids } };
    const [notices, cases] = await Promise.all([
      // Never a DRAFT (COUNTED_NOTICE_STATUSES), as on every channel of the summary.
      this.options.notices.find(and(inReviews, { status: { $in: COUNTED_NOTICE_STATUSES } }), { omit: NOTICE_TEXTS }),
      this.options.vulnerabilities.find(inReviews, { omit: CASE_TEXTS }),
    ]);
    return new Map(ids.map((id) => [id, modelReviewSummary(notices.filter((n) => n.reviewId === id), cases.filter((c) => c.reviewId === id))]));
  }
}
