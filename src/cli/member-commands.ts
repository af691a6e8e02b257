import { MEMBER_KINDS, memberStatus, ROLES, type Member, type MemberTier } from '../domain/types.js';
import { describeRequest } from './approval-view.js';
import { actAs, AS_OPTION } from './cli-session.js';
import { list, STORE_ENV, str, UsageError, type Command } from './command.js';

/** Tiers a member can hold (PUBLIC is for anonymous callers). */
const MEMBER_TIERS: readonly MemberTier[] = ['COMMUNITY', 'TRUSTED', 'CORE'];

/** A member as the CLI prints it. */
export const memberRow = (m: Member) => ({
  id: m._id,
  name: m.name,
  kind: m.kind,
  tier: m.tier,
  sector: m.sector,
  country: m.country,
  allowedRoles: m.allowedRoles,
  status: memberStatus(m),
});

export const memberListCommand: Command = {
  path: ['member', 'list'],
  summary: 'List the members of the hub (the directory every member sees).',
  options: { as: AS_OPTION },
  env: STORE_ENV,
  async run({ values, env }) {
    const rows = (await actAs(env, str(values, 'as')!, (viewer, { services }) => services.members.directory(viewer))).map(memberRow);
    return { text: rows.map((m) => `${m.id}  ${m.tier}  ${m.status}  ${m.kind}  ${m.name}`).join('\n'), json: rows };
  },
};

export const memberTierCommand: Command = {
  path: ['member', 'tier'],
  summary: "Request a change of a member's tier (a two-person change: prints the request id).",
  options: {
    as: AS_OPTION,
    member: { type: 'string', value: '<id>', description: 'the member', required: true },
    tier: { type: 'string', value: '<tier>', description: `the new tier: ${MEMBER_TIERS.join(', ')}`, required: true },
    reason: { type: 'string', value: '<text>', description: 'why', required: true },
  },
  env: [...STORE_ENV, 'HUB_APPROVAL_TTL'],
  async run({ values, env }) {
    const tier = str(values, 'tier')!;
    if (!MEMBER_TIERS.includes(tier as MemberTier)) throw new UsageError(`--tier must be one of ${MEMBER_TIERS.join(', ')}`);
    const shown = await actAs(env, str(values, 'as')!, async (viewer, { services }) => {
      const request = await services.approvals.requestTierChange(viewer, str(values, 'member')!, tier as MemberTier, str(values, 'reason')!);
      return describeRequest(request, services.approvals.statusOf(request));
    });
    return { text: shown.id, json: shown };
  },
};

export const memberAddCommand: Command = {
  path: ['member', 'add'],
  summary: 'Register a member (a two-person change: prints the request id; a second hub-admin approves it). It starts at COMMUNITY.',
  options: {
    as: AS_OPTION,
    id: { type: 'string', value: '<member-id>', description: 'lowercase letters, digits and inner hyphens', required: true },
    name: { type: 'string', value: '<text>', description: "the organisation's name", required: true },
    kind: { type: 'string', value: '<kind>', description: `one of ${MEMBER_KINDS.join(', ')}`, required: true },
    sector: { type: 'string', value: '<text>', description: 'its sector, e.g. finance', required: true },
    country: { type: 'string', value: '<cc>', description: 'ISO 3166-1 alpha-2 country code', required: true },
    roles: { type: 'string', value: '<r1,r2>', description: `roles its people may hold, of ${ROLES.join(', ')}`, required: true },
    reason: { type: 'string', value: '<text>', description: 'why, for the second hub-admin' },
  },
  env: [...STORE_ENV, 'HUB_APPROVAL_TTL'],
  async run({ values, env }) {
    const change = await actAs(env, str(values, 'as')!, (viewer, { services }) =>
      services.members.registerMember(viewer, {
        id: str(values, 'id')!,
        name: str(values, 'name')!,
        kind: str(values, 'kind')!,
        sector: str(values, 'sector')!,
        country: str(values, 'country')!,
        allowedRoles: list(values, 'roles')!,
        reason: str(values, 'reason') ?? null,
      }),
    );
    return { text: change.request?._id ?? change.member._id, json: { member: memberRow(change.member), requestId: change.request?._id ?? null } };
  },
};

const standing = (action: 'suspend' | 'reinstate' | 'offboard', summary: string): Command => ({
  path: ['member', action],
  summary,
  options: {
    as: AS_OPTION,
    member: { type: 'string', value: '<id>', description: 'the member', required: true },
    reason: { type: 'string', value: '<text>', description: 'why', required: true },
  },
  env: [...STORE_ENV, 'HUB_APPROVAL_TTL'],
  async run({ values, env }) {
    const id = str(values, 'member')!;
    const reason = str(values, 'reason')!;
    return actAs(env, str(values, 'as')!, async (viewer, { services }) => {
      if (action === 'suspend') {
        const member = memberRow(await services.members.suspend(viewer, id, reason));
        return { text: `${member.id}  ${member.status}`, json: { member } };
      }
      if (action === 'reinstate') {
        const change = await services.members.reinstate(viewer, id, reason);
        const member = memberRow(change.member);
        return { text: change.request ? change.request._id : `${member.id}  ${member.status}`, json: { member, requestId: change.request?._id ?? null } };
      }
      const done = await services.members.offboard(viewer, id, reason);
      const member = memberRow(done.member);
      return {
        text: `${member.id}  ${member.status}  (revoked API keys: ${done.revokedApiKeys.length}; removed identity providers: ${done.removedIdentityProviders.length}; removed people: ${done.removedPersons.length})`,
        json: { member, revokedApiKeys: done.revokedApiKeys, removedIdentityProviders: done.removedIdentityProviders, removedPersons: done.removedPersons },
      };
    });
  },
});

export const memberSuspendCommand = standing('suspend', "Suspend a member at once: every credential of it is refused and its sockets close.");
export const memberReinstateCommand = standing('reinstate', 'Reinstate a suspended member (at TRUSTED or above a two-person change: prints the request id).');
export const memberOffboardCommand = standing('offboard', 'Offboard a member for good: also revokes its API keys and removes its identity providers; its records stay.');
