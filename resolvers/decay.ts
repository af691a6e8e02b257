import type { HubContext } from '../src/context.js';
import type { IndicatorDoc } from '../src/domain/types.js';

/** The publisher's tier, which weighs the score's base; a publisher no longer on record counts as COMMUNITY. */
async function scoreOf(i: IndicatorDoc, { services, loaders }: HubContext) {
  const member = await loaders.member.load(i.source);
  return services.decay.scoreOf(i, member?.tier ?? 'COMMUNITY');
}

export const decayResolvers = {
  Query: {
    decayModels: (_: unknown, __: unknown, { services }: HubContext) => services.decay.allModels(),
  },
  Indicator: {
    score: async (i: IndicatorDoc, _: unknown, context: HubContext) => (await scoreOf(i, context)).score,
    decayed: async (i: IndicatorDoc, _: unknown, context: HubContext) => (await scoreOf(i, context)).decayed,
  },
};
