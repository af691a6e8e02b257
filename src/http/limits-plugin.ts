/**
 * The HTTP adapter's Apollo half: Apollo Server keeps the GraphQL-over-HTTP protocol (methods,
 * CSRF, batching refusal, content negotiation) and parses and validates with the pipeline's own
 * options (limits.ts); from the resolved operation on, the edge pipeline (src/edge/pipeline.ts)
 * prepares, executes and formats, exactly as for graphql-ws.
 */
import { HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import type { FormattedExecutionResult, GraphQLError } from 'graphql';
import type { HubContext } from '../context.js';
import { codeOf, httpStatusOf, unexpectedError } from '../edge/error-catalogue.js';
import type { EdgePipeline } from '../edge/pipeline.js';
import { LIMIT_CODES } from './limits.js';

/**
 * `error` with the HTTP head the catalogue gives its code (Apollo reads `extensions.http` for
 * refusals raised before execution, e.g. by `admit` in the context function): RATE_LIMITED adds
 * `Retry-After`.
 */
export function withHttpHead(error: GraphQLError): GraphQLError {
  const headers = new HeaderMap();
  const retryAfter = error.extensions.retryAfter;
  if (error.extensions.code === LIMIT_CODES.rate && typeof retryAfter === 'number') headers.set('retry-after', String(retryAfter));
  (error.extensions as Record<string, unknown>).http = { status: httpStatusOf(codeOf(error)), headers };
  return error;
}

/** A result with no data is a refused request: its first error's catalogue status; otherwise 200. */
function responseOf(body: FormattedExecutionResult): GraphQLResponse {
  const refused = body.data === undefined && body.errors?.length;
  const status = refused ? httpStatusOf(codeOf(body.errors![0])) : 200;
  const headers = new HeaderMap();
  const retryAfter = refused ? body.errors![0]!.extensions?.retryAfter : undefined;
  if (typeof retryAfter === 'number') headers.set('retry-after', String(retryAfter));
  return { http: { status, headers }, body: { kind: 'single', singleResult: body } };
}

/** Hands every resolved operation to the pipeline, and tells the pipeline's trace how it ended. */
export function edgePlugin(pipeline: EdgePipeline): ApolloServerPlugin<HubContext> {
  return {
    async requestDidStart({ contextValue }) {
      const trace = pipeline.traceOf(contextValue);
      return {
        async responseForOperation({ request, document, contextValue: context }) {
          try {
            const prepared = pipeline.prepareDocument(context.viewer, document, request);
            if (prepared.errors) return responseOf(pipeline.format({ errors: prepared.errors }, context));
            return responseOf(pipeline.format(await pipeline.execute(prepared.prepared, context), context));
          } catch (err) {
            pipeline.unexpected(err, context.requestId, 'http');
            return responseOf(pipeline.format({ errors: [unexpectedError()] }, context));
          }
        },
        async willSendResponse({ response, operation }) {
          if (!trace) return;
          trace.operationType = operation?.operation ?? 'unknown';
          if (response.body.kind === 'single') trace.code = codeOf(response.body.singleResult.errors?.[0]);
        },
      };
    },
  };
}
