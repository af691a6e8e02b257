import { MEMBER_KINDS, ROLES, type MemberKind } from '../domain/types.js';
import { PERSON_ID_FORMAT } from '../domain/person.js';
import { openCliSession } from './cli-session.js';
import { CommandError, STORE_ENV, str, UsageError, type Command } from './command.js';

const MEMBER_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const COUNTRY = /^[A-Z]{2}$/;

export const initCommand: Command = {
  path: ['init'],
  summary: 'Initialise an empty store: the operating member (CORE, every role allowed) and its first two hub-admins.',
  details: `Refused on a store that holds any member or person. Two hub-admins from the start, so that
two-person changes (new members, tiers, roles, identity providers) are possible at once: one
requests, the other approves. Audited as the hub's own action (HUB_INITIALISED, PERSON_ADDED).`,
  options: {
    'member-id': { type: 'string', value: '<id>', description: "the operating member's id (lowercase letters, digits, hyphens)", required: true },
    name: { type: 'string', value: '<text>', description: "the operating organisation's name", required: true },
    kind: { type: 'string', value: '<kind>', description: `one of ${MEMBER_KINDS.join(', ')}`, required: true },
    sector: { type: 'string', value: '<text>', description: 'its sector, e.g. government', required: true },
    country: { type: 'string', value: '<cc>', description: 'ISO 3166-1 alpha-2 country code', required: true },
    admin: { type: 'string', value: '<person-id>', description: 'a first hub-admin: give exactly two, different', multiple: true, required: true },
    'admin-name': { type: 'string', value: '<text>', description: 'display name of each --admin, in order (default: the id)', multiple: true },
    'admin-email': { type: 'string', value: '<address>', description: 'e-mail address of each --admin, in order', multiple: true },
  },
  env: STORE_ENV,
  examples: ['npm run -s hub -- init --member-id ops --name "Federation Operations" --kind AGENCY --sector government --country NL --admin ops-alice --admin ops-bob'],
  async run({ values, env }) {
    const memberId = str(values, 'member-id')!;
    const kind = str(values, 'kind')!;
    const country = str(values, 'country')!;
    const admins = values.admin as string[];
    const names = (values['admin-name'] as string[] | undefined) ?? [];
    const emails = (values['admin-email'] as string[] | undefined) ?? [];
    if (!MEMBER_ID.test(memberId)) throw new UsageError(`--member-id "${memberId}": lowercase letters, digits and inner hyphens, 1 to 64 characters`);
    if (!MEMBER_KINDS.includes(kind as MemberKind)) throw new UsageError(`--kind must be one of ${MEMBER_KINDS.join(', ')}`);
    if (!COUNTRY.test(country)) throw new UsageError(`--country "${country}" is not an ISO 3166-1 alpha-2 code such as NL`);
    if (admins.length !== 2 || admins[0] === admins[1]) throw new UsageError('init needs exactly two different --admin <person-id>: two-person changes need two people');
    for (const id of admins) if (!PERSON_ID_FORMAT.test(id)) throw new UsageError(`--admin "${id}" is not a person id (letters, digits and ._@-)`);
    if (names.length > 2 || emails.length > 2) throw new UsageError('give at most one --admin-name and one --admin-email per --admin');

    const session = await openCliSession(env);
    try {
      const { services, store } = session;
      if ((await store.members.list()).length > 0 || (await store.people.list(null, 1)).length > 0) {
        throw new CommandError('INVALID_TRANSITION', 'the store is not empty: init only sets up a new hub (its members and people are there already)');
      }
      const now = new Date();
      await services.members.register({
        _id: memberId,
        name: str(values, 'name')!,
        kind: kind as MemberKind,
        tier: 'CORE',
        sector: str(values, 'sector')!,
        country,
        allowedRoles: [...ROLES],
        status: 'ACTIVE',
        createdAt: now,
      });
      await services.audit.memberStatusChanged(null, 'MEMBER_REGISTERED', { _id: memberId, tier: 'CORE' }, null, 'ACTIVE', { initialised: true });
      const people = [];
      for (const [i, id] of admins.entries()) {
        people.push(await services.people.seed({ id, memberId, roles: [...ROLES], displayName: names[i] ?? id, ...(emails[i] ? { email: emails[i] } : {}) }));
      }
      return {
        text: `initialised: member ${memberId} (CORE); hub-admins ${admins.join(' and ')}`,
        json: { memberId, hubAdmins: people.map((p) => p._id) },
      };
    } finally {
      await session.close();
    }
  },
};
