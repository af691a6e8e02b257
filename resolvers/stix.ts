import type { GraphQLResolveInfo } from 'graphql';
import type { HubContext } from '../src/context.js';
import type { IndicatorDoc, Member, NoticeDoc, SightingDoc } from '../src/domain/types.js';
import { badInput } from '../src/errors.js';
import { HUB_EXTENSION_DEFINITION } from '../src/stix/hub-extension.js';
import { indicatorToStix } from '../src/stix/indicator-to-stix.js';
import { noticeToStix } from '../src/stix/notice-to-stix.js';
import { sightingToStix } from '../src/stix/sighting-to-stix.js';
import { stixBundle } from '../src/stix/stix-bundle.js';
import { sees, StixGates, type StixView } from '../src/stix/stix-gates.js';

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

export const stixResolvers = {
  Query: {
    stixBundle: async (_: unknown, { ids }: { ids: string[] }, ctx: HubContext, info: GraphQLResolveInfo) => {
      if (ids.length > MAX_BUNDLE_IDS) throw badInput(`stixBundle takes at most ${MAX_BUNDLE_IDS} ids`, 'ids');
      const view = viewOf(ctx, info);
      const wanted = [...new Set(ids)];
      const indicators = present(await ctx.loaders.indicator.loadMany(wanted.filter((id) => id.startsWith('indicator--'))));
      const notices = present(await ctx.loaders.notice.loadMany(wanted.filter((id) => id.startsWith('x-model-risk-notice--'))));
      const withSightings = indicators.filter((d) => sees(view, d, 'sighting'));
      const sightings = new Map<string, SightingDoc[]>(
        (await Promise.all(withSightings.map(async (d) => [d._id, await ctx.loaders.sightings.load(d._id)] as const))),
      );
      const memberIds = new Set([...indicators, ...notices].map((r) => r.source));
      for (const list of sightings.values()) for (const s of list) memberIds.add(s.reporter);
      const members = new Map(present(await ctx.loaders.member.loadMany([...memberIds])).map((m: Member) => [m._id, m]));
      return stixBundle(
        {
          indicators,
          notices: await Promise.all(notices.map(async (doc) => ({ doc, relatedIndicatorIds: await visibleRelated(doc, ctx) }))),
          sightings,
          members,
        },
        view,
      );
    },
    stixExtensionDefinition: () => HUB_EXTENSION_DEFINITION,
  },
  Indicator: {
    stix: (i: IndicatorDoc, _: unknown, ctx: HubContext, info: GraphQLResolveInfo) => indicatorToStix(i, viewOf(ctx, info)),
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
      noticeToStix(n, viewOf(ctx, info), await visibleRelated(n, ctx)),
  },
};
