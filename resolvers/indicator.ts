import type { HubContext } from '../src/context.js';
import type { IndicatorDoc, IndicatorInput, SightingDoc, SightingKind } from '../src/domain/types.js';
import { canSeeRecipients } from '../src/policy/policy.js';
import type { QueryIndicatorsArgs } from '../src/generated/graphql.js';
import type { GraphQLResolveInfo } from 'graphql';
import { preloadedMember, preloadMembers, selectsOnNodes } from '../src/graphql/preloaded-members.js';
import type { Member } from '../src/domain/types.js';

/** The indicator's source: synchronously when the page preloaded it, else through the loader. */
function sourceOf(i: IndicatorDoc, context: HubContext): Member | null | Promise<Member | null> {
  const member = preloadedMember(context, i.source);
  return member !== undefined ? member : context.loaders.member.load(i.source);
}

export const indicatorResolvers = {
  Query: {
    indicators: async (_: unknown, args: QueryIndicatorsArgs, context: HubContext, info: GraphQLResolveInfo) => {
      const page = await context.services.indicators.list(context.viewer, args);
      // Every node's source in one read, so that source and sourceSector resolve synchronously.
      if (page.edges.length > 0 && selectsOnNodes(info, ['source', 'sourceSector'])) await preloadMembers(context, page.edges.map((e) => e.node.source));
      return page;
    },
    indicator: (_: unknown, { id }: { id: string }, { loaders }: HubContext) => loaders.indicator.load(id),
    lookupIndicators: (_: unknown, { values }: { values: string[] }, { viewer, services }: HubContext) =>
      services.indicators.lookup(viewer, values),
  },
  Mutation: {
    publishIndicators: async (
      _: unknown,
      { input }: { input: { idempotencyKey: string; indicators: IndicatorInput[] } },
      { viewer, services }: HubContext,
    ) => {
      const { results, replayed } = await services.indicators.publish(viewer, input);
      const count = (status: string) => results.filter((r) => r.status === status).length;
      return { results, replayed, created: count('CREATED'), updated: count('UPDATED'), rejected: count('REJECTED'), held: count('HELD') };
    },
    reportSighting: (
      _: unknown,
      args: { indicatorId: string; count: number; seenAt?: Date | null; kind?: SightingKind | null },
      { viewer, services }: HubContext,
    ) => services.indicators.reportSighting(viewer, args.indicatorId, args.count, args.seenAt, args.kind ?? 'TRUE_POSITIVE'),
    revokeIndicator: (_: unknown, args: { id: string; reason: string }, { viewer, services }: HubContext) =>
      services.indicators.revoke(viewer, args.id, args.reason),
  },
  Indicator: {
    id: (i: IndicatorDoc) => i._id,
    recipients: (i: IndicatorDoc, _: unknown, { viewer }: HubContext) => (canSeeRecipients(viewer, i) ? i.recipients : null),
    source: (i: IndicatorDoc, _: unknown, context: HubContext) => sourceOf(i, context),
    sourceSector: (i: IndicatorDoc, _: unknown, context: HubContext) => {
      const member = sourceOf(i, context);
      return member instanceof Promise ? member.then((m) => m?.sector ?? null) : (member?.sector ?? null);
    },
    sightings: (i: IndicatorDoc, _: unknown, { loaders }: HubContext) => loaders.sightings.load(i._id),
  },
  Sighting: {
    id: (s: SightingDoc) => s._id,
    reporter: (s: SightingDoc, _: unknown, { loaders }: HubContext) => loaders.member.load(s.reporter),
  },
};
