import type { HubContext } from '../src/context.js';
import { hubError } from '../src/errors.js';
import type { IdentityProviderRegistration, Member } from '../src/domain/types.js';
import type { MutationRequestIdentityProviderRegistrationArgs, MutationRequestIdentityProviderRemovalArgs } from '../src/generated/graphql.js';

export const identityResolvers = {
  Mutation: {
    requestIdentityProviderRegistration: (_: unknown, a: MutationRequestIdentityProviderRegistrationArgs, { viewer, services }: HubContext) =>
      services.approvals.requestIdentityProviderRegistration(viewer, a.input, a.reason),
    requestIdentityProviderRemoval: (_: unknown, a: MutationRequestIdentityProviderRemovalArgs, { viewer, services }: HubContext) =>
      services.approvals.requestIdentityProviderRemoval(viewer, a.memberId, a.issuer, a.reason),
    // Kept so that existing clients get a clear answer naming the mutation to use instead.
    registerIdentityProvider: () => {
      throw hubError('APPROVAL_REQUIRED', 'Registering or replacing an identity provider is a two-person change: use requestIdentityProviderRegistration, then another person approves it');
    },
    removeIdentityProvider: () => {
      throw hubError('APPROVAL_REQUIRED', 'Removing an identity provider is a two-person change: use requestIdentityProviderRemoval, then another person approves it');
    },
  },
  Member: {
    identityProviders: (m: Member, _: unknown, { viewer, services }: HubContext) => services.identity.listFor(viewer, m._id),
  },
  IdentityProvider: {
    hasInlineKeys: (r: IdentityProviderRegistration) => r.jwks !== null,
    registeredBy: (r: IdentityProviderRegistration) => r.registeredBy ?? null,
  },
};
