import type { HubContext } from '../src/context.js';
import type { ModelReviewDoc, ModelReviewInput, ModelReviewView } from '../src/domain/model-review.js';
import type { Member } from '../src/domain/types.js';
import { hubError } from '../src/errors.js';
import type { ModelReviewFilter } from '../src/generated/graphql.js';
import { canSeeMember } from '../src/policy/policy.js';

/**
 * Every field of a review reads the viewer's view of it (`redactModelReview`, through
 * `services.modelReviews.view`), made once per review and request: whichever way a stored review
 * reaches a `ModelReview` (a list, a lookup, a mutation's answer, an approval's target, an
 * alert), what the viewer may not see is not there to resolve. `findings` and `summary` are in
 * resolvers/model-review-findings.ts.
 */
const views = new WeakMap<object, WeakMap<ModelReviewDoc, ModelReviewView | null>>();

export function reviewViewOf(doc: ModelReviewDoc, ctx: HubContext): ModelReviewView {
  let byDoc = views.get(ctx);
  if (!byDoc) views.set(ctx, (byDoc = new WeakMap()));
  let view = byDoc.get(doc);
  if (view === undefined) byDoc.set(doc, (view = ctx.services.modelReviews.view(ctx.viewer, doc)));
  // Reached only through a path that did not check visibility first: answer as for a missing review.
  if (view === null) throw hubError('NOT_FOUND', `no model review with id "${doc._id}"`, 'id');
  return view;
}

const field =
  <K extends keyof ModelReviewView>(key: K) =>
  (doc: ModelReviewDoc, _: unknown, ctx: HubContext): ModelReviewView[K] =>
    reviewViewOf(doc, ctx)[key];

type Ids = { reviewId: string; memberIds: string[] };

export const modelReviewResolvers = {
  Query: {
    modelReviews: (_: unknown, args: { filter?: ModelReviewFilter | null; first?: number | null; after?: string | null }, { viewer, services }: HubContext) =>
      services.modelReviews.list(viewer, args),
    modelReview: (_: unknown, { id }: { id: string }, { viewer, services }: HubContext) => services.modelReviews.get(viewer, id),
  },
  Mutation: {
    scheduleModelReview: (_: unknown, { input }: { input: ModelReviewInput }, { viewer, services }: HubContext) => services.modelReviews.schedule(viewer, input),
    inviteReviewers: (_: unknown, a: Ids, { viewer, services }: HubContext) => services.modelReviews.invite(viewer, a.reviewId, a.memberIds),
    removeReviewers: (_: unknown, a: Ids, { viewer, services }: HubContext) => services.modelReviews.remove(viewer, a.reviewId, a.memberIds),
    rescheduleModelReview: (_: unknown, a: { reviewId: string; plannedDeploymentAt: Date; reason: string }, { viewer, services }: HubContext) =>
      services.modelReviews.reschedule(viewer, a.reviewId, a.plannedDeploymentAt, a.reason),
    closeModelReview: (_: unknown, a: { reviewId: string }, { viewer, services }: HubContext) => services.modelReviews.close(viewer, a.reviewId),
    cancelModelReview: (_: unknown, a: { reviewId: string; reason: string }, { viewer, services }: HubContext) =>
      services.modelReviews.cancel(viewer, a.reviewId, a.reason),
    releaseModelReviewSummary: (_: unknown, a: { reviewId: string }, { viewer, services }: HubContext) => services.modelReviews.releaseSummary(viewer, a.reviewId),
  },
  ModelReview: {
    id: (doc: ModelReviewDoc) => doc._id,
    model: field('model'),
    description: field('description'),
    plannedDeploymentAt: field('plannedDeploymentAt'),
    windowOpensAt: field('windowOpensAt'),
    closedAt: field('closesAt'),
    cancelledAt: field('cancelledAt'),
    cancelReason: field('cancelReason'),
    status: field('status'),
    summaryPublic: field('summaryPublic'),
    createdAt: field('createdAt'),
    updatedAt: field('updatedAt'),
    /**
     * The lab is part of the review as everyone who sees the review sees it (`redactModelReview`):
     * an anonymous caller too, once the lab released the summary of a closed review, though
     * anonymous callers otherwise learn no member (`canSeeMember`). Read with the member loader,
     * which answers only members that are part of the hub.
     */
    lab: async (doc: ModelReviewDoc, _: unknown, ctx: HubContext): Promise<Member> => {
      const member = await ctx.loaders.member.load(reviewViewOf(doc, ctx).lab);
      if (!member) throw new Error(`model review ${doc._id} names lab ${doc.lab}, which is not a member of the hub`);
      return member;
    },
    /** Null unless the view holds them (the lab, the reviewers, hub-admins); each member as `canSeeMember` allows. */
    reviewers: async (doc: ModelReviewDoc, _: unknown, ctx: HubContext): Promise<Member[] | null> => {
      const ids = reviewViewOf(doc, ctx).reviewers;
      if (ids === null) return null;
      const members = await ctx.loaders.member.loadMany(ids);
      return members.filter((m): m is Member => m !== null && !(m instanceof Error) && canSeeMember(ctx.viewer, m));
    },
  },
};
