import type { GraphQLResolveInfo } from 'graphql';
import type { HubContext } from '../src/context.js';
import { StixGates } from '../src/stix/stix-gates.js';
import type { DecayModel } from '../src/domain/decay-model.js';
import type { IndicatorDoc, IndicatorType, SightingDoc } from '../src/domain/types.js';

/**
 * The score as this viewer reads it. The publisher's tier weighs the base only where the viewer
 * sees who published (the STIX gate of `Indicator.source`, from the SDL): elsewhere the tier
 * would narrow the publisher down. A publisher no longer on record counts as COMMUNITY.
 */
async function scoreOf(i: IndicatorDoc, { services, loaders, viewer }: HubContext, info: GraphQLResolveInfo) {
  if (!StixGates.of(info.schema).allows(viewer, i, 'indicator.created_by_ref')) return services.decay.scoreOf(i, null);
  const member = await loaders.member.load(i.source);
  return services.decay.scoreOf(i, member?.tier ?? 'COMMUNITY');
}

export const decayResolvers = {
  Query: {
    decayModels: (_: unknown, __: unknown, { services }: HubContext) => services.decay.allModels(),
  },
  Mutation: {
    setDecayModel: (_: unknown, args: { type: IndicatorType; input: DecayModel }, { viewer, services }: HubContext) =>
      services.decay.setModel(viewer, args.type, args.input),
    overrideScore: (_: unknown, args: { indicatorId: string; score: number; reason: string }, { viewer, services }: HubContext) =>
      services.indicators.overrideScore(viewer, args.indicatorId, args.score, args.reason),
  },
  Indicator: {
    score: async (i: IndicatorDoc, _: unknown, context: HubContext, info: GraphQLResolveInfo) => (await scoreOf(i, context, info)).score,
    decayed: async (i: IndicatorDoc, _: unknown, context: HubContext, info: GraphQLResolveInfo) => (await scoreOf(i, context, info)).decayed,
  },
  Sighting: {
    kind: (s: SightingDoc) => s.kind ?? 'TRUE_POSITIVE',
  },
};
