import type { HubContext } from '../src/context.js';
import { isCommunityDoc, type CommunityDoc, type CommunityListing } from '../src/domain/community.js';
import { canSeeCommunityRoster } from '../src/policy/policy.js';
import type { CommunityInput } from '../src/services/community-service.js';

/**
 * The owner, roster and updatedAt of a community are its administrators' (`canSeeCommunityRoster`);
 * others are handed a listing without them (CommunityService.list), and get null.
 */
const forAdministrators =
  <T>(pick: (c: CommunityDoc, context: HubContext) => T) =>
  (c: CommunityDoc | CommunityListing, _: unknown, context: HubContext): T | null =>
    isCommunityDoc(c) && canSeeCommunityRoster(context.viewer, c) ? pick(c, context) : null;

export const communityResolvers = {
  Query: {
    communities: (_: unknown, __: unknown, { viewer, services }: HubContext) => services.communities.list(viewer),
  },
  Mutation: {
    createCommunity: (_: unknown, { input }: { input: CommunityInput }, { viewer, services }: HubContext) => services.communities.create(viewer, input),
    addCommunityMember: (_: unknown, args: { communityId: string; memberId: string }, { viewer, services }: HubContext) =>
      services.communities.addMember(viewer, args.communityId, args.memberId),
    removeCommunityMember: (_: unknown, args: { communityId: string; memberId: string }, { viewer, services }: HubContext) =>
      services.communities.removeMember(viewer, args.communityId, args.memberId),
  },
  Community: {
    id: (c: CommunityDoc | CommunityListing) => c._id,
    owner: forAdministrators((c, { loaders }) => loaders.member.load(c.ownerMemberId)),
    members: forAdministrators(async (c, { loaders }) => (await loaders.member.loadMany(c.members)).filter((m) => m && !(m instanceof Error))),
    updatedAt: forAdministrators((c) => c.updatedAt),
  },
};
