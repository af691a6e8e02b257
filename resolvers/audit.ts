import { GraphQLError, GraphQLScalarType } from 'graphql';
import type { HubContext } from '../src/context.js';
import type { AuditEntry } from '../src/domain/types.js';
import type { QueryAuditLogArgs } from '../src/generated/graphql.js';
import { seesGlobalAuditOrder } from '../src/policy/policy.js';

const outputOnly = (): never => {
  throw new GraphQLError('JSON is an output-only scalar');
};

export const auditResolvers = {
  JSON: new GraphQLScalarType({ name: 'JSON', serialize: (v) => v, parseValue: outputOnly, parseLiteral: outputOnly }),
  Query: {
    auditLog: (_: unknown, args: QueryAuditLogArgs, { viewer, services }: HubContext) =>
      services.audit.list(viewer, args),
  },
  AuditEntry: {
    id: (e: AuditEntry) => e._id,
    // The global order counts every member's entries; a member-admin gets its own member's count.
    seq: (e: AuditEntry, _: unknown, { viewer }: HubContext) => (seesGlobalAuditOrder(viewer) ? e.seq : e.memberSeq ?? e.seq),
  },
};
