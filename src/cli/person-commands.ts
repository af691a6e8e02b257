import type { PersonDoc } from '../domain/person.js';
import { ROLES } from '../domain/types.js';
import { describeRequest } from './approval-view.js';
import { actAs, AS_OPTION } from './cli-session.js';
import { list, STORE_ENV, str, type Command } from './command.js';

/** A person as the CLI prints it. */
export const personRow = (p: PersonDoc) => ({
  id: p._id,
  memberId: p.memberId,
  displayName: p.displayName,
  email: p.email,
  roles: p.roles,
  status: p.status,
  identities: p.identities.map((i) => `${i.issuer}#${i.subject}`),
});

export const personAddCommand: Command = {
  path: ['person', 'add'],
  summary: 'Add a person to a member, with reader and/or publisher (other roles: person grant).',
  details: "member-admin of the member, or hub-admin. The person's id is the subject of the hub's tokens for them.",
  options: {
    as: AS_OPTION,
    member: { type: 'string', value: '<id>', description: 'the member they act for', required: true },
    id: { type: 'string', value: '<person-id>', description: 'their id (default: a generated person--<uuid>)' },
    name: { type: 'string', value: '<text>', description: 'their display name', required: true },
    email: { type: 'string', value: '<address>', description: 'their e-mail address', required: true },
    roles: { type: 'string', value: '<r1,r2>', description: 'reader and/or publisher (default: reader)' },
  },
  env: STORE_ENV,
  async run({ values, env }) {
    const person = await actAs(env, str(values, 'as')!, (viewer, { services }) =>
      services.people.add(viewer, {
        memberId: str(values, 'member')!,
        id: str(values, 'id') ?? null,
        displayName: str(values, 'name')!,
        email: str(values, 'email')!,
        roles: list(values, 'roles') ?? null,
      }),
    );
    return { text: person._id, json: personRow(person) };
  },
};

export const personListCommand: Command = {
  path: ['person', 'list'],
  summary: "List people: a member-admin sees its member's, a hub-admin everyone's.",
  options: { as: AS_OPTION, member: { type: 'string', value: '<id>', description: "only this member's people" } },
  env: STORE_ENV,
  async run({ values, env }) {
    const rows = (await actAs(env, str(values, 'as')!, (viewer, { services }) => services.people.list(viewer, str(values, 'member') ?? null))).map(personRow);
    return { text: rows.map((p) => `${p.id}  ${p.memberId}  ${p.status}  ${p.roles.join(',')}  ${p.displayName}`).join('\n'), json: rows };
  },
};

export const personGrantCommand: Command = {
  path: ['person', 'grant'],
  summary: 'Request a role for a person (a two-person change: prints the request id; another person approves it).',
  options: {
    as: AS_OPTION,
    person: { type: 'string', value: '<person-id>', description: 'who gets the role', required: true },
    role: { type: 'string', value: '<role>', description: `one of ${ROLES.join(', ')} (capped by the member's allowed roles)`, required: true },
    reason: { type: 'string', value: '<text>', description: 'why', required: true },
  },
  env: [...STORE_ENV, 'HUB_APPROVAL_TTL'],
  async run({ values, env }) {
    const shown = await actAs(env, str(values, 'as')!, async (viewer, { services }) => {
      const request = await services.approvals.requestRoleGrant(viewer, str(values, 'person')!, str(values, 'role')!, str(values, 'reason')!);
      return describeRequest(request, services.approvals.statusOf(request));
    });
    return { text: shown.id, json: shown };
  },
};

export const personRevokeCommand: Command = {
  path: ['person', 'revoke'],
  summary: "Take a role from a person at once (restricting is never two-person).",
  options: {
    as: AS_OPTION,
    person: { type: 'string', value: '<person-id>', description: 'whose role', required: true },
    role: { type: 'string', value: '<role>', description: `one of ${ROLES.join(', ')}`, required: true },
    reason: { type: 'string', value: '<text>', description: 'why', required: true },
  },
  env: STORE_ENV,
  async run({ values, env }) {
    const person = await actAs(env, str(values, 'as')!, (viewer, { services }) => services.people.revokeRole(viewer, str(values, 'person')!, str(values, 'role')!, str(values, 'reason')!));
    const row = personRow(person);
    return { text: `${row.id}  ${row.roles.join(',')}`, json: row };
  },
};
