import type { Member, MemberTier } from '../domain/types.js';
import { describeRequest } from './approval-view.js';
import { actAs, AS_OPTION } from './cli-session.js';
import { STORE_ENV, str, UsageError, type Command } from './command.js';

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
  status: (m as Member & { status?: string }).status ?? (m.suspended ? 'SUSPENDED' : 'ACTIVE'),
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
