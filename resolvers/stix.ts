import type { GraphQLResolveInfo } from 'graphql';
import type { HubContext } from '../src/context.js';
import type { IndicatorDoc, Member, NoticeDoc, SightingDoc } from '../src/domain/types.js';
import { badInput } from '../src/errors.js';
import { HUB_EXTENSION_DEFINITION } from '../src/stix/hub-extension.js';
import { indicatorToStix } from '../src/stix/indicator-to-stix.js';
import type { DecayFacts } from '../src/services/decay-service.js';
import { scoreBaseField } from '../src/policy/policy.js';
import { noticeToStix } from '../src/stix/notice-to-stix.js';
import { sightingToStix } from '../src/stix/sighting-to-stix.js';
import { stixBundle } from '../src/stix/stix-bundle.js';
import { sees, StixGates, type StixView } from '../src/stix/stix-gates.js';
import type { ModelReviewDoc } from '../src/domain/model-review.js';
import { modelReviewToStix, type ModelReviewStixParts } from '../src/stix/model-review-to-stix.js';
import { loaders as reviewLoaders } from './model-review-findings.js';
import { reviewViewOf } from './model-review.js';

export const MAX_BUNDLE_IDS = 100;

/** The STIX view of this request: its viewer, the schema's gates, withheld coordinates into `extensions.redacted`. */
function viewOf(ctx: HubContext, info: GraphQLResolveInfo): StixView {
  return { viewer: ctx.viewer, gates: StixGates.of(info.schema), onWithheld: (c) => ctx.redacted.add(c) };
}

const present = <T>(values: ReadonlyArray<T | Error | null>): T[] => values.filter((v): v is T => v != null && !(v instanceof Error));

/** The related indicators of a notice that the viewer may see (as `relatedIndicators` answers). */
async function visibleRelated(n: NoticeDoc, { loaders }: HubContext): Promise<string[]> {
  return present(await loaders.indicator.loadMany(n.relatedIndicatorIds)).map((d) => d._id);
}

/** A finding's review id when the viewer may see that review (`review_ref`), else null. */
export async function reviewRef(doc: { reviewId?: string | null }, ctx: HubContext): Promise<string | null> {
  return doc.reviewId ? ((await reviewLoaders(ctx).review.load(doc.reviewId))?._id ?? null) : null;
}

/** What a review's STIX needs beyond the viewer's view of it: the findings the viewer sees, and the summary where it may read it. */
async function reviewParts(doc: ModelReviewDoc, ctx: HubContext): Promise<ModelReviewStixParts> {
  const review = reviewViewOf(doc, ctx);
  const loaded = reviewLoaders(ctx);
  const [findings, summary] = await Promise.all([loaded.findings.load(doc._id), review.seesSummary ? loaded.summary.load(doc._id) : null]);
  return { summary, findingIds: findings.map((f) => f._id) };
}

/** Each indicator's score, decayed flag and crossing instant, from the viewer's stored base (as its score filters read it). */
async function decayOf(indicators: readonly IndicatorDoc[], ctx: HubContext, view: StixView): Promise<Map<string, DecayFacts>> {
  if (indicators.length === 0) return new Map();
  return ctx.services.decay.factsOf(indicators, scoreBaseField(view.viewer));
}

export const stixResolvers = {
  Query: {
    stixBundle: async (_: unknown, { ids }: { ids: string[] }, ctx: HubContext, info: GraphQLResolveInfo) => {
      if (ids.length > MAX_BUNDLE_IDS) throw badInput(`stixBundle takes at most ${MAX_BUNDLE_IDS} ids`, 'ids');
      const view = viewOf(ctx, info);
      const wanted = [...new Set(ids)];
      const indicators = present(await ctx.loaders.indicator.loadMany(wanted.filter((id) => id.startsWith('indicator--'))));
      const notices = present(await ctx.loaders.notice.loadMany(wanted.filter((id) => id.startsWith('x-model-risk-notice--'))));
      // Reviews the viewer may not see are left out as unknown ids are (the loader applies modelReviewVisibility).
      const reviewDocs = present(await reviewLoaders(ctx).review.loadMany(wanted.filter((id) => id.startsWith('x-model-review--'))));
      const reviews = await Promise.all(reviewDocs.map(async (doc) => ({ review: reviewViewOf(doc, ctx), parts: await reviewParts(doc, ctx) })));
      const withSightings = indicators.filter((d) => sees(view, d, 'sighting'));
      const sightings = new Map<string, SightingDoc[]>(
        (await Promise.all(withSightings.map(async (d) => [d._id, await ctx.loaders.sightings.load(d._id)] as const))),
      );
      const memberIds = new Set([...indicators, ...notices].map((r) => r.source));
      for (const list of sightings.values()) for (const s of list) memberIds.add(s.reporter);
      for (const { review } of reviews) for (const m of [review.lab, ...(review.reviewers ?? [])]) memberIds.add(m);
      const members = new Map(present(await ctx.loaders.member.loadMany([...memberIds])).map((m: Member) => [m._id, m]));
      return stixBundle(
        {
          indicators,
          decay: await decayOf(indicators, ctx, view),
          notices: await Promise.all(notices.map(async (doc) => ({ doc, relatedIndicatorIds: await visibleRelated(doc, ctx), reviewRef: await reviewRef(doc, ctx) }))),
          reviews,
          sightings,
          members,
        },
        view,
      );
    },
    stixExtensionDefinition: () => HUB_EXTENSION_DEFINITION,
  },
  Indicator: {
    stix: async (i: IndicatorDoc, _: unknown, ctx: HubContext, info: GraphQLResolveInfo) =>
      indicatorToStix(i, viewOf(ctx, info), (await decayOf([i], ctx, viewOf(ctx, info))).get(i._id)),
  },
  Sighting: {
    // Reached only through Indicator.sightings, which the viewer already passed.
    stix: async (s: SightingDoc, _: unknown, ctx: HubContext, info: GraphQLResolveInfo) => {
      const indicator = await ctx.loaders.indicator.load(s.indicatorId);
      return indicator ? sightingToStix(s, indicator, viewOf(ctx, info)) : null;
    },
  },
  ModelRiskNotice: {
    stix: async (n: NoticeDoc, _: unknown, ctx: HubContext, info: GraphQLResolveInfo) =>
      noticeToStix(n, viewOf(ctx, info), await visibleRelated(n, ctx), await reviewRef(n, ctx)),
  },
  ModelReview: {
    // From the viewer's view of the review (`reviewViewOf`: redactModelReview), never the stored review.
    stix: async (doc: ModelReviewDoc, _: unknown, ctx: HubContext, info: GraphQLResolveInfo) =>
      modelReviewToStix(reviewViewOf(doc, ctx), viewOf(ctx, info), await reviewParts(doc, ctx)),
  },
};
