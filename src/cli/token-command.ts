import { loadSecrets } from '../auth/key-store.js';
import { TokenIssuer } from '../auth/token-issuer.js';
import { parseConfig, parseDuration } from '../config.js';
import { ROLES, type Role } from '../domain/types.js';
import { appendCliTokenLine } from '../services/cli-audit-log.js';
import { list, str, UsageError, type Command } from './command.js';

export const tokenCommand: Command = {
  path: ['token'],
  summary: "Print an access token signed with the hub's key (stdout: the token only).",
  options: {
    member: { type: 'string', value: '<id>', description: 'the member the token acts for', required: true },
    roles: { type: 'string', value: '<r1,r2>', description: `roles: ${ROLES.join(', ')} (default: reader)` },
    ttl: { type: 'string', value: '<duration>', description: 'lifetime, e.g. 15m, 1h, 7d (default 1h; at most HUB_TOKEN_MAX_LIFETIME)' },
    user: { type: 'string', value: '<id>', description: "the token's subject (default: cli@<member>)" },
  },
  env: ['HUB_DATA_DIR', 'HUB_ISSUER', 'HUB_AUDIENCE', 'HUB_TOKEN_MAX_LIFETIME'],
  examples: ['TOKEN=$(npm run -s hub -- token --member demo-isac --roles reader,publisher)'],
  async run({ values, env }) {
    const member = str(values, 'member')!;
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(member)) throw new UsageError(`"${member}" is not a member id`);
    const roles = list(values, 'roles') ?? ['reader'];
    const unknown = roles.filter((r) => !ROLES.includes(r as Role));
    if (unknown.length) throw new UsageError(`unknown role(s) ${unknown.join(', ')}; roles are ${ROLES.join(', ')}`);
    const ttlMs = parseDuration(str(values, 'ttl') ?? '1h');
    if (ttlMs === null) throw new UsageError(`--ttl "${str(values, 'ttl')}" is not a duration such as 15m, 1h or 7d`);
    const config = parseConfig(env);
    const issuer = new TokenIssuer({
      secrets: await loadSecrets(config.dataDir),
      issuer: config.issuer,
      audience: config.audience,
      maxLifetimeMs: config.tokenMaxLifetimeMs,
      // This process cannot reach the hub's store: the hub reads this file into its audit log.
      onIssued: (issued) => appendCliTokenLine(config.dataDir, issued),
    });
    try {
      const jwt = await issuer.issue({ memberId: member, userId: str(values, 'user') ?? `cli@${member}`, roles: roles as Role[], ttlMs });
      return { text: jwt, json: { token: jwt } };
    } catch (err) {
      if (err instanceof RangeError) throw new UsageError(err.message);
      throw err;
    }
  },
};
