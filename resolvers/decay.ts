import type { HubContext } from '../src/context.js';
import { scoreBaseField } from '../src/policy/policy.js';
import type { DecayModel } from '../src/domain/decay-model.js';
import type { IndicatorDoc, IndicatorType, SightingDoc } from '../src/domain/types.js';

/**
 * The score as this viewer reads it: from the stored base the policy gives the viewer
 * (`scoreBaseField`: weighed by the publisher's tier from TRUSTED up, else not), the same base
 * its score filters and order read.
 */
function scoreOf(i: IndicatorDoc, { services, viewer }: HubContext) {
  return services.decay.scoreOf(i, scoreBaseField(viewer));
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
