import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AlertObserver } from '../alerts/alert-observer.js';
import type { RequestObserver } from '../edge/request-observer.js';
import { CODES, identifierLabel, OPERATION_TYPES, oneOf, TRANSPORTS } from './metric-labels.js';

/** Where the gauges read their current values; each source may be set once its owner exists. */
export interface GaugeSources {
  /** Open graphql-ws sockets. */
  wsConnections?: () => number;
  /** Live `alerts` subscriptions. */
  subscriptions?: () => number;
}

export interface HubMetricsOptions {
  /** Prefix of the default Node process metrics (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, …). Default none. */
  defaultMetricsPrefix?: string;
}

/**
 * The hub's Prometheus metrics (docs/metrics.md), in a registry of their own: several hubs in
 * one process (the tests) never share a series. Hears requests, alert deliveries and store
 * operations; every label value comes from a fixed enumeration (src/metrics/metric-labels.ts).
 */
export class HubMetrics implements RequestObserver, AlertObserver {
  readonly registry = new Registry();
  private readonly sources: GaugeSources = {};
  private readonly requests: Counter<'transport' | 'operation_type' | 'code'>;
  private readonly requestDuration: Histogram<'transport' | 'operation_type'>;
  private readonly rateLimitedTotal: Counter<'transport'>;
  private readonly deliveryLag: Histogram;
  private readonly slowConsumerCloses: Counter;
  private readonly storeDuration: Histogram<'repository' | 'operation'>;

  constructor(options: HubMetricsOptions = {}) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'hub_requests_total',
      help: 'GraphQL operations (HTTP, graphql-ws) and TAXII requests finished, by how they ended (OK or the error code).',
      labelNames: ['transport', 'operation_type', 'code'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'hub_request_duration_seconds',
      help: 'Time from a request reaching the hub to its answer (queries, mutations, refusals; not subscriptions).',
      labelNames: ['transport', 'operation_type'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.rateLimitedTotal = new Counter({
      name: 'hub_rate_limited_total',
      help: 'Requests and graphql-ws operations refused by the rate limit.',
      labelNames: ['transport'],
      registers,
    });
    const sources = this.sources;
    new Gauge({
      name: 'hub_ws_connections',
      help: 'Open graphql-ws sockets.',
      registers,
      collect() {
        this.set(sources.wsConnections?.() ?? 0);
      },
    });
    new Gauge({
      name: 'hub_subscriptions',
      help: 'Live alerts subscriptions.',
      registers,
      collect() {
        this.set(sources.subscriptions?.() ?? 0);
      },
    });
    this.deliveryLag = new Histogram({
      name: 'hub_alert_delivery_lag_seconds',
      help: 'Time from an alert event being appended to the log to its delivery being written to a live subscriber\'s socket.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.slowConsumerCloses = new Counter({
      name: 'hub_slow_consumer_closes_total',
      help: 'Alert subscribers disconnected for reading too slowly (close 4413).',
      registers,
    });
    this.storeDuration = new Histogram({
      name: 'hub_store_operation_duration_seconds',
      help: 'Time each store operation took, by repository and operation.',
      labelNames: ['repository', 'operation'],
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    collectDefaultMetrics({ register: this.registry, ...(options.defaultMetricsPrefix ? { prefix: options.defaultMetricsPrefix } : {}) });
  }

  /** Sets where the gauges read from (the ws server's and the fan-out's counts). */
  watch(sources: GaugeSources): void {
    Object.assign(this.sources, sources);
  }

  requestFinished(event: Parameters<RequestObserver['requestFinished']>[0]): void {
    const transport = oneOf(TRANSPORTS, event.transport);
    const operationType = oneOf(OPERATION_TYPES, event.operationType);
    this.requests.inc({ transport, operation_type: operationType, code: oneOf(CODES, event.code) });
    // A subscription is reported when it ends: its duration is a session's length, not a latency.
    if (operationType !== 'subscription') this.requestDuration.observe({ transport, operation_type: operationType }, event.durationSeconds);
  }

  rateLimited(transport: 'http' | 'graphql-ws' | 'taxii' | 'misp'): void {
    this.rateLimitedTotal.inc({ transport: oneOf(TRANSPORTS, transport) });
  }

  delivered(lagSeconds: number[]): void {
    for (const lag of lagSeconds) this.deliveryLag.observe(Math.max(0, lag));
  }

  slowConsumerClosed(): void {
    this.slowConsumerCloses.inc();
  }

  /** A store operation finished (src/store/instrument.ts calls it). */
  readonly storeOperation = (repository: string, operation: string, durationSeconds: number): void => {
    this.storeDuration.observe({ repository: identifierLabel(repository), operation: identifierLabel(operation) }, durationSeconds);
  };

  /** The exposition: Prometheus text format, and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
