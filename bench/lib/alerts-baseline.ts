/**
 * The alerts bench's baseline: a plain graphql-ws server (`useServer` from graphql-ws/use/ws on its
 * own node:http server) with the hub's AlertEvent/Indicator shape, `Subscription.alerts` backed by
 * a simple in-process pubsub (one async iterator per subscriber), no auth, no policy. graphql-js
 * executes the selection set once per subscriber per event and graphql-ws serialises each result;
 * that is the cost the hub's grouped fan-out is measured against.
 *
 * The subscriber's own filter (`kinds`, `minSeverity`) is applied per subscriber, as a
 * `withFilter` would; every alert the bench publishes passes it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { GraphQLScalarType } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { SEVERITIES, type IndicatorDoc, type Severity } from '../../src/domain/types.js';
import { INDICATOR_TYPE_SDL } from './baseline-apollo.js';

export const ALERTS_BASELINE_TYPEDEFS = /* GraphQL */ `
  ${INDICATOR_TYPE_SDL}
  enum AlertEventType { PUBLISHED UPDATED REVOKED SIGHTED RELEASED HEARTBEAT }
  enum AlertRecordKind { INDICATOR MODEL_RISK_NOTICE }

  input AlertFilter {
    kinds: [AlertRecordKind!]
    types: [AlertEventType!]
    minSeverity: Severity
  }

  extend type Indicator {
    sourceSector: String
  }

  type AlertEvent {
    cursor: String!
    type: AlertEventType!
    occurredAt: DateTime!
    indicator: Indicator
  }

  type Query { ok: Boolean }
  type Subscription { alerts(filter: AlertFilter, after: String): AlertEvent! }
`;

export interface BaselineAlert {
  cursor: string;
  type: 'PUBLISHED';
  occurredAt: Date;
  kind: 'INDICATOR';
  record: IndicatorDoc;
}

interface Filter {
  kinds?: string[] | null;
  types?: string[] | null;
  minSeverity?: Severity | null;
}

/** One subscriber's queue: an async iterator fed by `push`. */
class Queue implements AsyncIterableIterator<BaselineAlert> {
  private readonly buffer: BaselineAlert[] = [];
  private waiting: ((r: IteratorResult<BaselineAlert>) => void) | null = null;
  private done = false;

  constructor(private readonly owner: Set<Queue>, private readonly filter: Filter | null) {
    owner.add(this);
  }

  push(value: BaselineAlert): void {
    if (this.done || !passes(this.filter, value)) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w({ value, done: false });
    } else this.buffer.push(value);
  }

  next(): Promise<IteratorResult<BaselineAlert>> {
    if (this.buffer.length) return Promise.resolve({ value: this.buffer.shift()!, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<BaselineAlert>> {
    this.done = true;
    this.owner.delete(this);
    this.buffer.length = 0;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = null;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

function passes(filter: Filter | null, event: BaselineAlert): boolean {
  if (!filter) return true;
  if (filter.kinds?.length && !filter.kinds.includes('INDICATOR')) return false;
  if (filter.types?.length && !filter.types.includes(event.type)) return false;
  if (filter.minSeverity && SEVERITIES.indexOf(event.record.severity) < SEVERITIES.indexOf(filter.minSeverity)) return false;
  return true;
}

export interface AlertsBaseline {
  wsUrl: string;
  /** Live subscriptions (iterators). */
  subscribers(): number;
  publish(event: BaselineAlert): void;
  dispose(): Promise<void>;
}

/** Starts the plain graphql-ws server on a free port of 127.0.0.1. `sectors`: member id -> sector. */
export async function startAlertsBaseline(sectors: ReadonlyMap<string, string>): Promise<AlertsBaseline> {
  const queues = new Set<Queue>();
  const schema = makeExecutableSchema({
    typeDefs: ALERTS_BASELINE_TYPEDEFS,
    resolvers: {
      DateTime: new GraphQLScalarType({ name: 'DateTime', serialize: (v) => (v instanceof Date ? v.toISOString() : String(v)) }),
      Subscription: {
        alerts: {
          subscribe: (_: unknown, args: { filter?: Filter | null }) => new Queue(queues, args.filter ?? null),
          resolve: (event: BaselineAlert) => event,
        },
      },
      AlertEvent: { indicator: (e: BaselineAlert) => (e.kind === 'INDICATOR' ? e.record : null) },
      Indicator: {
        id: (i: IndicatorDoc) => i._id,
        sourceSector: (i: IndicatorDoc) => sectors.get(i.source) ?? null,
      },
    },
  });
  const server: Server = createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  const wss = new WebSocketServer({ server, path: '/graphql' });
  const cleanup = useServer({ schema }, wss);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let disposed: Promise<void> | undefined;
  return {
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    subscribers: () => queues.size,
    publish: (event) => {
      for (const q of queues) q.push(event);
    },
    dispose: () =>
      (disposed ??= (async () => {
        for (const client of wss.clients) client.close(1001, 'Server shutting down');
        await cleanup.dispose();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })()),
  };
}
