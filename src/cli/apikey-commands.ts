import type { ApiKeyDoc } from '../domain/api-key.js';
import { ROLES } from '../domain/types.js';
import { actAs, AS_OPTION } from './cli-session.js';
import { list, STORE_ENV, str, UsageError, type Command } from './command.js';

/** What `apikey list` shows of a key: never its hash. */
const shown = (k: ApiKeyDoc) => ({
  id: k._id,
  memberId: k.memberId,
  name: k.name,
  roles: k.roles,
  createdBy: k.createdBy.userId,
  createdAt: k.createdAt.toISOString(),
  expiresAt: k.expiresAt?.toISOString() ?? null,
  revokedAt: k.revokedAt?.toISOString() ?? null,
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
});

export const apikeyCreateCommand: Command = {
  path: ['apikey', 'create'],
  summary: "Create an API key for a member (a SIEM's TAXII connector); prints the key only, the one time it is shown.",
  details: 'Needs member-admin of the member (or hub-admin). Audited as API_KEY_CREATED. See docs/api-keys.md.',
  options: {
    as: AS_OPTION,
    member: { type: 'string', value: '<id>', description: 'the member the key acts for', required: true },
    name: { type: 'string', value: '<text>', description: 'what the key is for, e.g. "Sentinel TAXII"', required: true },
    roles: { type: 'string', value: '<r1,r2>', description: `roles of the key, of ${ROLES.join(', ')} (default: reader)` },
    expires: { type: 'string', value: '<iso-date>', description: 'when the key stops working (default: never)' },
  },
  env: STORE_ENV,
  examples: ['KEY=$(npm run -s hub -- apikey create --as alice --member acme --name "Sentinel TAXII")'],
  async run({ values, env }) {
    const expires = str(values, 'expires');
    const expiresAt = expires === undefined ? null : new Date(expires);
    if (expiresAt && Number.isNaN(expiresAt.getTime())) throw new UsageError(`--expires "${expires}" is not a date such as 2027-01-31T00:00:00Z`);
    const created = await actAs(env, str(values, 'as')!, (viewer, { services }) =>
      services.apiKeys.create(viewer, { memberId: str(values, 'member')!, name: str(values, 'name')!, roles: list(values, 'roles') ?? null, expiresAt }),
    );
    return { text: created.key, json: { key: created.key, apiKey: shown(created.apiKey) } };
  },
};

export const apikeyListCommand: Command = {
  path: ['apikey', 'list'],
  summary: "List a member's API keys (never their secrets).",
  options: { as: AS_OPTION, member: { type: 'string', value: '<id>', description: 'whose keys', required: true } },
  env: STORE_ENV,
  async run({ values, env }) {
    const keys = await actAs(env, str(values, 'as')!, (viewer, { services }) => services.apiKeys.list(viewer, str(values, 'member')!));
    const rows = keys.map(shown);
    return {
      text: rows.map((k) => `${k.id}  ${k.revokedAt ? 'REVOKED' : 'ACTIVE '}  ${k.roles.join(',')}  ${k.name}`).join('\n'),
      json: rows,
    };
  },
};

export const apikeyRevokeCommand: Command = {
  path: ['apikey', 'revoke'],
  summary: 'Revoke an API key at once: its next request is refused. Audited as API_KEY_REVOKED.',
  positionals: [{ name: '<key-id>', description: 'the key id (the part after hubk_, as apikey list shows it)' }],
  options: { as: AS_OPTION },
  env: STORE_ENV,
  async run({ values, positionals, env }) {
    const key = await actAs(env, str(values, 'as')!, (viewer, { services }) => services.apiKeys.revoke(viewer, positionals[0]!));
    return { text: `revoked ${key._id}`, json: shown(key) };
  },
};
