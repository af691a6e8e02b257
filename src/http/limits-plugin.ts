import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { HubContext } from '../context.js';
import { assertCanIntrospect } from '../policy/policy.js';
import type { ExecutionDeadline, ExecutionDeadlines } from './execution-deadline.js';
import { usesIntrospection } from './limits.js';

export interface LimitsPluginOptions {
  deadlines: ExecutionDeadlines;
  /** Whether members may introspect at all (anonymous callers never may). */
  introspection: boolean;
}

const STATUS_FOR_CODE: Record<string, number> = { UNAUTHENTICATED: 401, FORBIDDEN: 403 };

/**
 * The per-request limits Apollo's options cannot express: who may introspect, and the execution
 * time limit (answered, on HTTP, as 503 with a single EXECUTION_TIMEOUT error and no data).
 * The document limits are Apollo options (`parseOptions`, `validationRules`, `validationOptions`).
 */
export function limitsPlugin(options: LimitsPluginOptions): ApolloServerPlugin<HubContext> {
  return {
    async requestDidStart() {
      let deadline: ExecutionDeadline | undefined;
      return {
        async didResolveOperation({ document, contextValue }) {
          if (!usesIntrospection(document)) return;
          try {
            assertCanIntrospect(contextValue.viewer, options);
          } catch (err) {
            if (!(err instanceof GraphQLError)) throw err;
            const status = STATUS_FOR_CODE[String(err.extensions.code)] ?? 400;
            throw new GraphQLError(err.message, { extensions: { ...err.extensions, http: { status } } });
          }
        },
        async executionDidStart({ operation, contextValue }) {
          if (operation.operation === 'subscription') return;
          deadline = options.deadlines.start(contextValue);
          return { executionDidEnd: async () => deadline?.stop() };
        },
        async willSendResponse({ response }) {
          if (!deadline || response.body.kind !== 'single') return;
          // The deadline covers serialisation: an answer that cannot be serialised in time is not.
          if (deadline.admitSerialisation(response.body.singleResult)) return;
          const { message, extensions } = deadline.error().toJSON();
          response.body.singleResult = { errors: [{ message, extensions }] };
          response.http.status = 503;
        },
      };
    },
  };
}
