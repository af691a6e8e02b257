import type { HubContext } from '../src/context.js';

/** Global ids are STIX ids, so the prefix says which loader (and which visibility rule) applies. */
export const nodeResolvers = {
  Query: {
    node: (_: unknown, { id }: { id: string }, { loaders, viewer, services }: HubContext) => {
      if (id.startsWith('indicator--')) return loaders.indicator.load(id);
      if (id.startsWith('x-model-risk-notice--')) return loaders.notice.load(id);
      if (id.startsWith('vulnerability--')) return loaders.vulnerability.load(id);
      if (id.startsWith('x-model-review--')) return services.modelReviews.get(viewer, id);
      return viewer.kind === 'member' ? loaders.member.load(id) : null;
    },
  },
  Node: {
    __resolveType: (obj: { _id: string }) => {
      if (obj._id.startsWith('indicator--')) return 'Indicator';
      if (obj._id.startsWith('x-model-risk-notice--')) return 'ModelRiskNotice';
      if (obj._id.startsWith('vulnerability--')) return 'Vulnerability';
      if (obj._id.startsWith('x-model-review--')) return 'ModelReview';
      return 'Member';
    },
  },
};
