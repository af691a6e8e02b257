import type { HubContext } from '../src/context.js';
import type { IdentityProviderRegistration, Member } from '../src/domain/types.js';
import type { IdentityProviderInput } from '../src/services/identity-service.js';

export const identityResolvers = {
  Mutation: {
    registerIdentityProvider: (_: unknown, { input }: { input: IdentityProviderInput }, { viewer, services }: HubContext) =>
      services.identity.register(viewer, input),
    removeIdentityProvider: (_: unknown, args: { memberId: string; issuer: string }, { viewer, services }: HubContext) =>
      services.identity.remove(viewer, args.memberId, args.issuer),
  },
  Member: {
    identityProviders: (m: Member, _: unknown, { viewer, services }: HubContext) => services.identity.listFor(viewer, m._id),
  },
  IdentityProvider: {
    hasInlineKeys: (r: IdentityProviderRegistration) => r.jwks !== null,
  },
};
