import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import type { HubContext } from '../src/context.js';
import type { PersonDoc } from '../src/domain/person.js';
import { ROLES } from '../src/domain/types.js';
import type { AddPersonInput } from '../src/services/people-service.js';

/** A role name: refused with BAD_USER_INPUT unless it is one of ROLES. */
function parseRole(value: unknown): string {
  if (typeof value !== 'string' || !(ROLES as readonly string[]).includes(value)) {
    throw new GraphQLError(`A role is one of ${ROLES.join(', ')}`, { extensions: { code: 'BAD_USER_INPUT', field: 'role' } });
  }
  return value;
}

export const personResolvers = {
  Role: new GraphQLScalarType({
    name: 'Role',
    serialize: (value) => String(value),
    parseValue: parseRole,
    parseLiteral: (ast) => parseRole(ast.kind === Kind.STRING ? ast.value : undefined),
  }),
  Query: {
    people: (_: unknown, args: { memberId?: string | null }, { viewer, services }: HubContext) => services.people.list(viewer, args.memberId),
  },
  Mutation: {
    addPerson: (_: unknown, { input }: { input: AddPersonInput }, { viewer, services }: HubContext) => services.people.add(viewer, input),
    requestRoleGrant: (_: unknown, a: { personId: string; role: string; reason: string }, { viewer, services }: HubContext) =>
      services.approvals.requestRoleGrant(viewer, a.personId, a.role, a.reason),
    revokeRole: (_: unknown, a: { personId: string; role: string; reason: string }, { viewer, services }: HubContext) =>
      services.people.revokeRole(viewer, a.personId, a.role, a.reason),
    linkIdentity: async (_: unknown, a: { personId: string; issuer: string; subject: string; reason?: string | null }, { viewer, services }: HubContext) =>
      (await services.people.linkIdentity(viewer, a.personId, a.issuer, a.subject, a.reason)).person,
    unlinkIdentity: (_: unknown, a: { personId: string; issuer: string; subject: string; reason: string }, { viewer, services }: HubContext) =>
      services.people.unlinkIdentity(viewer, a.personId, a.issuer, a.subject, a.reason),
    removePerson: (_: unknown, a: { personId: string; reason: string }, { viewer, services }: HubContext) =>
      services.people.removePerson(viewer, a.personId, a.reason),
    suspendPerson: (_: unknown, a: { personId: string; reason: string }, { viewer, services }: HubContext) =>
      services.people.setSuspended(viewer, a.personId, true, a.reason),
    reinstatePerson: (_: unknown, a: { personId: string; reason: string }, { viewer, services }: HubContext) =>
      services.people.setSuspended(viewer, a.personId, false, a.reason),
  },
  Person: {
    id: (p: PersonDoc) => p._id,
    member: (p: PersonDoc, _: unknown, { loaders }: HubContext) => loaders.member.load(p.memberId),
    pendingApprovals: (p: PersonDoc, _: unknown, { viewer, services }: HubContext) => services.approvals.pendingFor(viewer, p._id),
  },
};
