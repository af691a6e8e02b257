import type { HubContext } from '../src/context.js';
import type { Member } from '../src/domain/types.js';

export const memberResolvers = {
  Query: {
    viewer: (_: unknown, __: unknown, { viewer }: HubContext) => viewer,
    members: (_: unknown, __: unknown, { viewer, services }: HubContext) => services.members.directory(viewer),
  },
  Member: {
    id: (m: Member) => m._id,
  },
  Viewer: {
    anonymous: (v: HubContext['viewer']) => v.kind === 'anonymous',
    member: (v: HubContext['viewer'], _: unknown, { loaders }: HubContext) =>
      v.kind === 'member' ? loaders.member.load(v.memberId) : null,
    userId: (v: HubContext['viewer']) => (v.kind === 'member' ? v.userId : null),
    roles: (v: HubContext['viewer']) => (v.kind === 'member' ? v.roles : []),
  },
};
