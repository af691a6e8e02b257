import type { HubContext } from '../src/context.js';
import type { ApiKeyDoc } from '../src/domain/api-key.js';
import type { ApiKeyInput } from '../src/services/api-key-service.js';

export const apiKeyResolvers = {
  Query: {
    apiKeys: (_: unknown, args: { memberId: string }, { viewer, services }: HubContext) => services.apiKeys.list(viewer, args.memberId),
  },
  Mutation: {
    createApiKey: (_: unknown, { input }: { input: ApiKeyInput }, { viewer, services }: HubContext) => services.apiKeys.create(viewer, input),
    revokeApiKey: (_: unknown, args: { id: string }, { viewer, services }: HubContext) => services.apiKeys.revoke(viewer, args.id),
  },
  ApiKey: {
    id: (k: ApiKeyDoc) => k._id,
    personId: (k: ApiKeyDoc) => k.personId ?? k.createdBy.userId,
  },
};
