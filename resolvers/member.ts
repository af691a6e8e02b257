import type { HubContext } from '../src/context.js';
import { memberStatus, type Member } from '../src/domain/types.js';
import { seesMemberStatusChange } from '../src/policy/policy.js';
import type { RegisterMemberInput } from '../src/services/member-service.js';

export const memberResolvers = {
  Query: {
    viewer: (_: unknown, __: unknown, { viewer }: HubContext) => viewer,
    members: (_: unknown, __: unknown, { viewer, services }: HubContext) => services.members.directory(viewer),
    member: (_: unknown, { id }: { id: string }, { viewer, services }: HubContext) => services.members.visible(viewer, id),
  },
  Mutation: {
    registerMember: async (_: unknown, { input }: { input: RegisterMemberInput }, { viewer, services }: HubContext) =>
      (await services.members.registerMember(viewer, input)).member,
    suspendMember: (_: unknown, a: { id: string; reason: string }, { viewer, services }: HubContext) => services.members.suspend(viewer, a.id, a.reason),
    reinstateMember: async (_: unknown, a: { id: string; reason: string }, { viewer, services }: HubContext) =>
      (await services.members.reinstate(viewer, a.id, a.reason)).member,
    offboardMember: async (_: unknown, a: { id: string; reason: string }, { viewer, services }: HubContext) =>
      (await services.members.offboard(viewer, a.id, a.reason)).member,
  },
  Member: {
    id: (m: Member) => m._id,
    status: (m: Member) => memberStatus(m),
    // Reasons and dates of status changes are the hub-admins' (seesMemberStatusChange).
    statusReason: (m: Member, _: unknown, { viewer }: HubContext) => (seesMemberStatusChange(viewer) ? (m.statusChange?.reason ?? null) : null),
    statusChangedAt: (m: Member, _: unknown, { viewer }: HubContext) => (seesMemberStatusChange(viewer) ? (m.statusChange?.at ?? null) : null),
  },
  Viewer: {
    anonymous: (v: HubContext['viewer']) => v.kind === 'anonymous',
    member: (v: HubContext['viewer'], _: unknown, { loaders }: HubContext) =>
      v.kind === 'member' ? loaders.member.load(v.memberId) : null,
    userId: (v: HubContext['viewer']) => (v.kind === 'member' ? v.userId : null),
    roles: (v: HubContext['viewer']) => (v.kind === 'member' ? v.roles : []),
  },
};
