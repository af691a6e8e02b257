import type { HubContext } from '../src/context.js';
import type { DecayModel } from '../src/domain/decay-model.js';
import type { IndicatorDoc, IndicatorType, SightingDoc } from '../src/domain/types.js';

/** The publisher's tier, which weighs the score's base; a publisher no longer on record counts as COMMUNITY. */
async function scoreOf(i: IndicatorDoc, { services, loaders }: HubContext) {
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
    score: async (i: IndicatorDoc, _: unknown, context: HubContext) => (await scoreOf(i, context)).score,
    decayed: async (i: IndicatorDoc, _: unknown, context: HubContext) => (await scoreOf(i, context)).decayed,
  },
  Sighting: {
    kind: (s: SightingDoc) => s.kind ?? 'TRUE_POSITIVE',
  },
};
