import { parseDuration } from '../config.js';
import { ROLES, type Role } from '../domain/types.js';
import { openCliSession } from './cli-session.js';
import { CommandError, list, STORE_ENV, str, UsageError, type Command } from './command.js';

export const tokenCommand: Command = {
  path: ['token'],
  summary: "Print a token for a person, signed with the hub's key (stdout: the token only).",
  details: `Name the person with --as, or with --member when the member has exactly one active person.
The token carries the person's current roles, or fewer with --roles; it is refused for a person or
member the hub does not know, a removed or suspended person, a member that is not ACTIVE. Audited
as TOKEN_ISSUED (via the CLI).`,
  options: {
    as: { type: 'string', value: '<person-id>', description: 'the person the token is for (its subject)' },
    member: { type: 'string', value: '<id>', description: 'the member whose one active person (or cli@<member>) it is for, when --as is not given' },
    roles: { type: 'string', value: '<r1,r2>', description: `fewer roles than the person holds, of ${ROLES.join(', ')} (default: all they hold)` },
    ttl: { type: 'string', value: '<duration>', description: 'lifetime, e.g. 15m, 1h, 7d (default 1h; at most HUB_TOKEN_MAX_LIFETIME)' },
    user: { type: 'string', value: '<person-id>', description: 'the same as --as (kept for older scripts)' },
  },
  env: STORE_ENV,
  examples: ['TOKEN=$(npm run -s hub -- token --as lab-carol --ttl 15m)', 'TOKEN=$(npm run -s hub -- token --member demo-isac --roles reader,publisher)'],
  async run({ values, env }) {
    const as = str(values, 'as') ?? str(values, 'user');
    const memberId = str(values, 'member');
    if (as === undefined && memberId === undefined) throw new UsageError('token needs --as <person-id> (or --member <id> for a member with one person)');
    const asked = list(values, 'roles');
    const unknown = asked?.filter((r) => !ROLES.includes(r as Role)) ?? [];
    if (unknown.length) throw new UsageError(`unknown role(s) ${unknown.join(', ')}; roles are ${ROLES.join(', ')}`);
    const ttlMs = parseDuration(str(values, 'ttl') ?? '1h');
    if (ttlMs === null) throw new UsageError(`--ttl "${str(values, 'ttl')}" is not a duration such as 15m, 1h or 7d`);

    const session = await openCliSession(env);
    try {
      if (ttlMs <= 0 || ttlMs > session.config.tokenMaxLifetimeMs) {
        throw new UsageError(`--ttl must be between 1s and the hub's maximum token lifetime (${session.config.tokenMaxLifetimeMs / 1000}s, HUB_TOKEN_MAX_LIFETIME)`);
      }
      const personId = as ?? (await onlyPersonOf(session.store, memberId!));
      const viewer = await session.viewerAs(personId);
      if (memberId !== undefined && viewer.memberId !== memberId) throw new CommandError('BAD_USER_INPUT', `${personId} is not a person of ${memberId}`);
      const notHeld = (asked ?? []).filter((r) => !viewer.roles.includes(r as Role));
      if (notHeld.length) throw new CommandError('FORBIDDEN', `${personId} does not hold ${notHeld.join(', ')} (holds: ${viewer.roles.join(', ') || 'none'})`);
      const roles = (asked as Role[] | undefined) ?? [...viewer.roles];
      const jwt = await session.tokens.issue({ memberId: viewer.memberId, userId: viewer.userId, roles, ttlMs });
      return { text: jwt, json: { token: jwt, personId: viewer.userId, memberId: viewer.memberId, roles } };
    } finally {
      await session.close();
    }
  },
};

/** The one active person of a member, for `token --member`; refused when it has none or several. */
async function onlyPersonOf(store: { members: { findByIds(ids: string[]): Promise<unknown[]> }; people: { list(memberId: string | null, limit: number): Promise<Array<{ _id: string; status: string }>> } }, memberId: string): Promise<string> {
  const [member] = await store.members.findByIds([memberId]);
  if (!member) throw new CommandError('NOT_FOUND', `no member "${memberId}" in this hub (see: hub member list)`);
  const active = (await store.people.list(memberId, 1_000)).filter((p) => p.status === 'ACTIVE');
  if (active.length === 1) return active[0]!._id;
  // The subject `token --member` used before tokens named people: scripts written then keep working.
  const legacy = active.find((p) => p._id === `cli@${memberId}`);
  if (legacy) return legacy._id;
  throw new CommandError('BAD_USER_INPUT', active.length ? `${memberId} has ${active.length} people: name one with --as <person-id>` : `${memberId} has no active person: add one with person add`);
}
