import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { RequestObserver } from '../edge/request-observer.js';
import { codeOfErrors } from './metric-labels.js';

const codeOf = (error: Error): string => (error instanceof GraphQLError ? codeOfErrors([error]) : 'INTERNAL_SERVER_ERROR');

/**
 * Tells `observer` how each GraphQL request over HTTP ended: an Apollo Server plugin, to be listed
 * last (it reads the answer other plugins have shaped, e.g. the execution deadline's).
 * Requests refused before Apollo's request pipeline starts (a bad request, no credential, the rate
 * limit, all decided while the context is built) are reported with a duration of 0: Apollo tells a
 * plugin of them without saying when they began.
 */
export function observeApolloRequests(observer: RequestObserver): ApolloServerPlugin<BaseContext> {
  return {
    async contextCreationDidFail({ error }) {
      const code = codeOf(error);
      if (code === 'RATE_LIMITED') observer.rateLimited('http');
      observer.requestFinished({ transport: 'http', operationType: 'unknown', code, durationSeconds: 0 });
    },
    async invalidRequestWasReceived({ error }) {
      observer.requestFinished({ transport: 'http', operationType: 'unknown', code: codeOf(error), durationSeconds: 0 });
    },
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ response, operation }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          observer.requestFinished({
            transport: 'http',
            operationType: operation?.operation ?? 'unknown',
            code: codeOfErrors(errors),
            durationSeconds: (performance.now() - started) / 1000,
          });
        },
      };
    },
  };
}
