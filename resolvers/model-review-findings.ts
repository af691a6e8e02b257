/**
 * A model review's findings on the graph (issue 14): `ModelReview.findings` and `.summary`, and
 * `review` on the notices and cases filed under one. Findings resolve as the records they are
 * (resolvers/notice.ts, resolvers/vulnerability.ts), so each is redacted as anywhere else; a
 * review resolves only when the viewer may see it. Reads are batched per request (DataLoader).
 */
import DataLoader from 'dataloader';
import type { HubContext } from '../src/context.js';
import type { ModelReviewDoc, ModelReviewSummary } from '../src/domain/model-review.js';
import type { NoticeDoc } from '../src/domain/types.js';
import type { VulnerabilityDoc } from '../src/domain/vulnerability.js';
import type { Finding } from '../src/services/review-findings.js';
import { reviewViewOf } from './model-review.js';
import { viewOf } from './vulnerability.js';

interface ReviewLoaders {
  /** Reviews the viewer may see, by id (`modelReviewVisibility`). */
  review: DataLoader<string, ModelReviewDoc | null>;
  /** The findings of a review the viewer may see. */
  findings: DataLoader<string, Finding[]>;
  summary: DataLoader<string, ModelReviewSummary>;
}

const loadersByContext = new WeakMap<object, ReviewLoaders>();

export function loaders(ctx: HubContext): ReviewLoaders {
  let made = loadersByContext.get(ctx);
  if (!made) {
    const { services, viewer } = ctx;
    made = {
      review: new DataLoader(async (ids) => {
        const found = new Map((await services.reviewFindings.reviewsByIds(viewer, ids)).map((r) => [r._id, r]));
        return ids.map((id) => found.get(id) ?? null);
      }),
      findings: new DataLoader((ids) => services.reviewFindings.findingsOf(viewer, ids)),
      summary: new DataLoader((ids) => services.reviewFindings.summariesOf(ids)),
    };
    loadersByContext.set(ctx, made);
  }
  return made;
}

/** The review `id` when the viewer may see it, or null (it may not, or there is none: the two look alike). */
async function visibleReview(id: string | null | undefined, ctx: HubContext): Promise<ModelReviewDoc | null> {
  return id ? loaders(ctx).review.load(id) : null;
}

export const modelReviewFindingResolvers = {
  ModelRiskNotice: {
    review: (n: NoticeDoc, _: unknown, ctx: HubContext) => visibleReview(n.reviewId, ctx),
  },
  Vulnerability: {
    // Through the viewer's view first: a case reached without a visibility check answers as missing.
    review: (doc: VulnerabilityDoc, _: unknown, ctx: HubContext) => (viewOf(doc, ctx), visibleReview(doc.reviewId, ctx)),
  },
  ModelReview: {
    findings: (r: ModelReviewDoc, _: unknown, ctx: HubContext) => loaders(ctx).findings.load(r._id),
    // A statistic over all findings, released on the policy's schedule (`redactModelReview`'s seesSummary).
    summary: (r: ModelReviewDoc, _: unknown, ctx: HubContext) => (reviewViewOf(r, ctx).seesSummary ? loaders(ctx).summary.load(r._id) : null),
  },
  ModelReviewFinding: {
    __resolveType: (d: Finding) => (d._id.startsWith('vulnerability--') ? 'Vulnerability' : 'ModelRiskNotice'),
  },
};
