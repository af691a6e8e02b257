import { GraphQLScalarType, valueFromASTUntyped, type GraphQLResolveInfo } from 'graphql';
import { selectsOnNodes } from '../src/graphql/preloaded-members.js';
import type { HubContext } from '../src/context.js';
import type { AuditCheckpoint, AuditEntry } from '../src/domain/types.js';
import type { AuditChainCheckpointsArgs, QueryAuditLogArgs } from '../src/generated/graphql.js';
import { seesAuditChain, seesGlobalAuditOrder } from '../src/policy/policy.js';
import type { AuditChainInfo } from '../src/services/audit-service.js';
import { canonicalEntry } from '../src/services/audit-chain.js';

export const auditResolvers = {
  // Any JSON value out; in, the value as sent (importMispEvent takes a MISP event): the field that takes it checks its shape.
  JSON: new GraphQLScalarType({ name: 'JSON', serialize: (v) => v, parseValue: (v) => v, parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables) }),
  Query: {
    // Details are read only when shown, directly or inside `canonical` (they can be megabytes).
    auditLog: (_: unknown, args: QueryAuditLogArgs, { viewer, services }: HubContext, info: GraphQLResolveInfo) =>
      services.audit.list(viewer, args, { details: selectsOnNodes(info, ['details', 'canonical']) }),
  },
  AuditEntry: {
    id: (e: AuditEntry) => e._id,
    // The global order counts every member's entries; a member-admin gets its own member's count.
    seq: (e: AuditEntry, _: unknown, { viewer }: HubContext) => (seesGlobalAuditOrder(viewer) ? e.seq : e.memberSeq ?? e.seq),
    // The links name entries across members: hub-admins only (docs/visibility.md).
    hash: (e: AuditEntry, _: unknown, { viewer }: HubContext) => (seesAuditChain(viewer) ? e.hash ?? null : null),
    previousHash: (e: AuditEntry, _: unknown, { viewer }: HubContext) => (seesAuditChain(viewer) ? e.prevHash ?? null : null),
    canonical: (e: AuditEntry, _: unknown, { viewer }: HubContext) => (seesAuditChain(viewer) && e.hash ? canonicalEntry(e) : null),
  },
  AuditEntryConnection: {
    chain: (_: unknown, __: unknown, { viewer, services }: HubContext) => services.audit.chain(viewer),
  },
  AuditChain: {
    checkpoints: (chain: AuditChainInfo, args: AuditChainCheckpointsArgs) => chain.checkpoints(args.first),
  },
  AuditCheckpoint: {
    position: (c: AuditCheckpoint) => c.seq,
    keyId: (c: AuditCheckpoint) => c.kid,
  },
};
