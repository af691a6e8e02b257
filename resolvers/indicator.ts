import type { HubContext } from '../src/context.js';
import type { IndicatorDoc, IndicatorInput, SightingDoc } from '../src/domain/types.js';
import { ownsRecord } from '../src/policy/policy.js';
import type { QueryIndicatorsArgs } from '../src/generated/graphql.js';

export const indicatorResolvers = {
  Query: {
    indicators: (_: unknown, args: QueryIndicatorsArgs, { viewer, services }: HubContext) => services.indicators.list(viewer, args),
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
      return { results, replayed, created: count('CREATED'), updated: count('UPDATED'), rejected: count('REJECTED') };
    },
    reportSighting: (
      _: unknown,
      args: { indicatorId: string; count: number; seenAt?: Date | null },
      { viewer, services }: HubContext,
    ) => services.indicators.reportSighting(viewer, args.indicatorId, args.count, args.seenAt),
    revokeIndicator: (_: unknown, args: { id: string; reason: string }, { viewer, services }: HubContext) =>
      services.indicators.revoke(viewer, args.id, args.reason),
  },
  Indicator: {
    id: (i: IndicatorDoc) => i._id,
    recipients: (i: IndicatorDoc, _: unknown, { viewer }: HubContext) => (ownsRecord(viewer, i) ? i.recipients : null),
    source: (i: IndicatorDoc, _: unknown, { loaders }: HubContext) => loaders.member.load(i.source),
    sourceSector: async (i: IndicatorDoc, _: unknown, { loaders }: HubContext) => (await loaders.member.load(i.source))?.sector ?? null,
    sightings: (i: IndicatorDoc, _: unknown, { loaders }: HubContext) => loaders.sightings.load(i._id),
  },
  Sighting: {
    id: (s: SightingDoc) => s._id,
    reporter: (s: SightingDoc, _: unknown, { loaders }: HubContext) => loaders.member.load(s.reporter),
  },
};
