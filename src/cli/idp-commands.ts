import { IDP_ALGORITHMS, type IdentityProviderRegistration, type IdpAlgorithm } from '../domain/types.js';
import { describeRequest } from './approval-view.js';
import { actAs, AS_OPTION } from './cli-session.js';
import { CommandError, list, STORE_ENV, str, UsageError, type Command } from './command.js';

const row = (r: IdentityProviderRegistration) => ({
  issuer: r.issuer,
  memberId: r.memberId,
  audience: r.audience,
  jwksUri: r.jwksUri,
  inlineKeys: r.jwks ? r.jwks.keys.length : 0,
  rolesClaim: r.rolesClaim,
  allowedAlgorithms: r.allowedAlgorithms,
});

export const idpAddCommand: Command = {
  path: ['idp', 'add'],
  summary: "Request the registration of a member's identity provider (a two-person change: another admin approves it).",
  details: 'Prints the approval request; `approval approve <id> --as <another-person>` applies it. See docs/identity.md.',
  options: {
    as: AS_OPTION,
    member: { type: 'string', value: '<id>', description: 'the member whose people sign in there', required: true },
    issuer: { type: 'string', value: '<url>', description: 'the "iss" of its tokens', required: true },
    'jwks-uri': { type: 'string', value: '<url>', description: 'where its public keys are (https); or --jwks' },
    jwks: { type: 'string', value: '<json>', description: 'its public JWK Set, inline; or --jwks-uri' },
    audience: { type: 'string', value: '<aud>', description: 'the "aud" its tokens carry (default: HUB_AUDIENCE)' },
    'roles-claim': { type: 'string', value: '<claim>', description: 'the claim holding roles (default: roles)' },
    algorithms: { type: 'string', value: '<a1,a2>', description: `accepted algorithms, of ${IDP_ALGORITHMS.join(', ')} (default: all)` },
    reason: { type: 'string', value: '<text>', description: 'why', required: true },
  },
  env: [...STORE_ENV, 'HUB_IDP_ALLOW_PRIVATE_HOSTS', 'HUB_APPROVAL_TTL'],
  async run({ values, env }) {
    const algorithms = list(values, 'algorithms');
    const bad = algorithms?.filter((a) => !IDP_ALGORITHMS.includes(a as IdpAlgorithm));
    if (bad?.length) throw new UsageError(`--algorithms: unknown ${bad.join(', ')}; accepted: ${IDP_ALGORITHMS.join(', ')}`);
    const shown = await actAs(env, str(values, 'as')!, async (viewer, { services }) => {
      const request = await services.approvals.requestIdentityProviderRegistration(
        viewer,
        {
          memberId: str(values, 'member')!,
          issuer: str(values, 'issuer')!,
          jwksUri: str(values, 'jwks-uri') ?? null,
          jwks: str(values, 'jwks') ?? null,
          audience: str(values, 'audience') ?? null,
          rolesClaim: str(values, 'roles-claim') ?? null,
          allowedAlgorithms: (algorithms as IdpAlgorithm[] | undefined) ?? null,
        },
        str(values, 'reason')!,
      );
      return describeRequest(request, services.approvals.statusOf(request));
    });
    return { text: shown.id, json: shown };
  },
};

export const idpListCommand: Command = {
  path: ['idp', 'list'],
  summary: "List a member's identity providers.",
  options: { as: AS_OPTION, member: { type: 'string', value: '<id>', description: 'whose providers', required: true } },
  env: STORE_ENV,
  async run({ values, env }) {
    const registrations = await actAs(env, str(values, 'as')!, (viewer, { services }) => services.identity.listFor(viewer, str(values, 'member')!));
    if (registrations === null) throw new CommandError('FORBIDDEN', `you may not see the identity providers of ${str(values, 'member')}`);
    const rows = registrations.map(row);
    return { text: rows.map((r) => `${r.issuer}  ${r.jwksUri ?? `${r.inlineKeys} inline key(s)`}`).join('\n'), json: rows };
  },
};
