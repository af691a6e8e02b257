import type { DocumentNode } from 'graphql';
import { visibilityKey, type Viewer } from '../policy/policy.js';
import type { AlertFilterInput } from './alert-filter.js';
import type { AlertRequest } from './alert-request.js';
import type { AlertSubscriber } from './alert-subscriber.js';

/**
 * Subscribers who would receive identical bytes: one visibility class (tier, member and roles),
 * one document, one set of shaping variables. Each event is judged, executed and serialised once
 * per cohort.
 */
export interface Cohort {
  key: string;
  /** The viewer as it subscribed; deliveries judge `viewerNow` of it (src/policy/policy.ts). */
  viewer: Viewer;
  document: DocumentNode;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
  filter: AlertFilterInput | null;
  subscribers: Set<AlertSubscriber>;
}

/** Plans cohorts: which subscribers share their deliveries. */
export class AlertCohorts {
  private readonly cohorts = new Map<string, Cohort>();

  /** The cohort `request` belongs to, made on first use. */
  join(request: AlertRequest): Cohort {
    const { viewer } = request;
    // Roles shape some fields too (Member.identityProviders): only equal roles share bytes.
    const roles = viewer.kind === 'member' ? [...viewer.roles].sort().join(',') : '';
    const key = `${visibilityKey(viewer)}\u0000${roles}\u0000${request.operationName ?? ''}\u0000${documentKey(request.document)}\u0000${JSON.stringify(request.shapingVariables)}`;
    let cohort = this.cohorts.get(key);
    if (!cohort) {
      cohort = {
        key,
        viewer,
        document: request.document,
        operationName: request.operationName,
        variables: request.variables,
        filter: request.filter,
        subscribers: new Set(),
      };
      this.cohorts.set(key, cohort);
    }
    return cohort;
  }

  leave(cohort: Cohort, subscriber: AlertSubscriber): void {
    cohort.subscribers.delete(subscriber);
    if (cohort.subscribers.size === 0 && this.cohorts.get(cohort.key) === cohort) this.cohorts.delete(cohort.key);
  }

  get size(): number {
    return this.cohorts.size;
  }

  values(): IterableIterator<Cohort> {
    return this.cohorts.values();
  }

  clear(): void {
    this.cohorts.clear();
  }
}

const documentKeys = new WeakMap<DocumentNode, string>();

/** Identical documents (graphql-ws caches them by source text) share one key. */
function documentKey(document: DocumentNode): string {
  let key = documentKeys.get(document);
  if (key === undefined) {
    key = document.loc?.source.body ?? JSON.stringify(document);
    documentKeys.set(document, key);
  }
  return key;
}
