import { getArgumentValues, getOperationAST, Kind, type DocumentNode, type FieldNode, type GraphQLSchema } from 'graphql';
import type { SubscriptionAlertsArgs } from '../generated/graphql.js';
import type { Viewer } from '../policy/policy.js';
import type { AlertPlace } from './alert-cursors.js';
import type { AlertFilterInput } from './alert-filter.js';

/** An `alerts` subscription, its arguments read once (`AlertFanout.prepare`), ready to subscribe. */
export interface AlertRequest {
  viewer: Viewer;
  document: DocumentNode;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
  filter: AlertFilterInput | null;
  /** Where a resume starts (the opened `after`), or null for live only. */
  after: AlertPlace | null;
  /** Whether the subscriber asked for HEARTBEAT events. */
  heartbeats: boolean;
  /** The variables that shape a delivery: those that only place the subscriber (`after`, `heartbeats`) left out. */
  shapingVariables: Record<string, unknown>;
}

/** The `alerts` field's arguments, coerced by graphql-js. */
export interface AlertArguments {
  filter: AlertFilterInput | null;
  /** The raw `after` string (opened by the fan-out for the viewer). */
  after: string | null;
  heartbeats: boolean;
  shapingVariables: Record<string, unknown>;
}

/** Arguments that place a subscriber in the log without changing what a delivery looks like. */
const PLACING_ARGUMENTS = new Set(['after', 'heartbeats']);

/** Reads the arguments of the operation's `alerts` field; null when it has none (not an alerts operation). */
export function readAlertArguments(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined,
): AlertArguments | null {
  const operation = getOperationAST(document, operationName);
  const field = operation?.selectionSet.selections.find((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === 'alerts');
  const def = schema.getSubscriptionType()?.getFields().alerts;
  if (!field || !def) return null;
  const args = getArgumentValues(def, field, variables) as SubscriptionAlertsArgs;
  const placing = new Set(
    (field.arguments ?? []).filter((a) => PLACING_ARGUMENTS.has(a.name.value) && a.value.kind === Kind.VARIABLE).map((a) => (a.value as { name: { value: string } }).name.value),
  );
  const shapingVariables = Object.fromEntries(Object.entries(variables ?? {}).filter(([k]) => !placing.has(k)));
  return {
    filter: args.filter ?? null,
    after: args.after ?? null,
    heartbeats: args.heartbeats === true,
    shapingVariables,
  };
}
