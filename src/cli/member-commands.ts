import type { Member } from '../domain/types.js';
import { actAs, AS_OPTION } from './cli-session.js';
import { STORE_ENV, str, type Command } from './command.js';

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
