import { GraphQLError } from 'graphql';
import type { AlertEventValue } from '../src/alerts/alert-event-value.js';

export const alertResolvers = {
  Subscription: {
    alerts: {
      // The fan-out serves `alerts` over graphql-ws itself (once per group of identical
      // subscribers); this only runs if something else tries to subscribe.
      subscribe: () => {
        throw new GraphQLError('alerts are served over graphql-ws on /graphql');
      },
      resolve: (root: { alerts: AlertEventValue }) => root.alerts,
    },
  },
  AlertEvent: {
    indicator: (e: AlertEventValue) => (e.kind === 'INDICATOR' ? e.record : null),
    notice: (e: AlertEventValue) => (e.kind === 'NOTICE' ? e.record : null),
    // Judged for the subscriber first (alertVerdict); its fields then read the subscriber's view (resolvers/vulnerability.ts).
    vulnerability: (e: AlertEventValue) => (e.kind === 'VULNERABILITY' ? e.record : null),
    // Judged for the subscriber first; its fields then read the subscriber's view (`redactModelReview`), as `modelReview(id)` answers them.
    review: (e: AlertEventValue) => (e.kind === 'REVIEW' ? e.record : null),
  },
};
