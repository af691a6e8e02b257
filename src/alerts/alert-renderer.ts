import { execute, type ExecutionResult, type FormattedExecutionResult, type GraphQLSchema } from 'graphql';
import type { Viewer } from '../policy/policy.js';
import type { AlertEventValue } from './alert-event-value.js';
import type { Cohort } from './alert-cohorts.js';

/**
 * Formats an execution result for the wire's payload (masking, `extensions.redacted`): the edge's
 * own format step, passed in so that the fan-out does not reach into a transport.
 */
export type AlertResultFormat = (result: ExecutionResult, context: object) => FormattedExecutionResult;

/** Executes a cohort's document for one event, as its viewer, and serialises the result once. */
export class AlertRenderer {
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly contextFor: (viewer: Viewer) => object,
    private readonly format: AlertResultFormat,
  ) {}

  async render(cohort: Cohort, viewer: Viewer, value: AlertEventValue): Promise<string> {
    const context = this.contextFor(viewer);
    const result = await execute({
      schema: this.schema,
      document: cohort.document,
      rootValue: { alerts: value },
      contextValue: context,
      variableValues: cohort.variables,
      operationName: cohort.operationName,
    });
    return JSON.stringify(this.format({ ...result, data: result.data ?? null }, context));
  }
}
