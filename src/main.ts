/**
 * The composition root: config -> store -> services -> schema -> HTTP and WebSocket servers.
 * The only place that builds things; everything below it receives what it needs.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { pino, type Logger } from 'pino';
import { loadSecrets } from './auth/key-store.js';
import type { TokenIssuer } from './auth/token-issuer.js';
import type { HubConfig } from './config.js';
import { createContext, type HubContext, type Services } from './context.js';
import { seedDemo } from './demo/seed-demo.js';
import { createGraphiqlPage } from './graphiql/graphiql-page.js';
import { formatHubError } from './http/error-format.js';
import { ExecutionDeadlines } from './http/execution-deadline.js';
import { createHttpServer, MAX_BODY_BYTES } from './http/http-server.js';
import { limitRules, parseOptions, validationOptions } from './http/limits.js';
import { edgePlugin } from './http/limits-plugin.js';
import { RateLimiter } from './http/rate-limiter.js';
import { ALERT_CLOSE, attachGraphqlWs } from './http/ws-server.js';
import { EdgePipeline } from './edge/pipeline.js';
import type { RequestObserver } from './edge/request-observer.js';
import { buildSchema } from './schema.js';
import { assertEveryListSized } from './http/field-sizes.js';
import { instrumentStore, StoreCallCounter } from './store/instrument.js';
import type { EventBus } from './events/event-bus.js';
import { buildServices, disclosureClocksOf } from './hub-services.js';
import { DisclosureWatcher } from './services/disclosure-watcher.js';
import { openStorage } from './store/open-storage.js';
import { EmbargoWatcher } from './services/embargo-watcher.js';
import { PeerPullers } from './federation/peer-pullers.js';
import { announceClose } from './services/review-close.js';
import { ReviewWatcher } from './services/review-watcher.js';
import { AuditCheckpointer } from './services/audit-checkpointer.js';
import type { AuditCheckpoint } from './domain/types.js';
import { AlertFanout } from './alerts/alert-fanout.js';
import type { AlertObserver } from './alerts/alert-observer.js';
import { ConnectionLimits } from './edge/connection-limits.js';
import type { Store } from './store/ports.js';
import { HubMetrics } from './metrics/hub-metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics/metrics-server.js';
import { StixGates } from './stix/stix-gates.js';
import { createTaxiiHandler, TAXII_PREFIX } from './taxii/taxii-handler.js';
import { TaxiiFeed } from './taxii/taxii-feed.js';
import { TaxiiWriter } from './taxii/taxii-writer.js';
import { MispFeed } from './misp/misp-feed.js';
import { createMispFeedHandler, MISP_FEED_PREFIX } from './misp/misp-feed-handler.js';
import { hubOrgUuid } from './misp/misp-ids.js';
import type { WarningListSet } from './warninglists/warning-list-set.js';

/** A running hub. */
export interface Hub {
  /** `http://host:port/graphql` */
  url: string;
  /** `ws://host:port/graphql` */
  wsUrl: string;
  port: number;
  services: Services;
  /** The store under the services: for operators' tools (`hub export`) and tests that open it directly. */
  store: Store;
  /** Signs tokens with the hub's own key (the CLI and tests use it). */
  tokens: TokenIssuer;
  /** Store operations since start (or the last reset), by repository and method. */
  storeCalls: StoreCallCounter;
  log: Logger;
  /** The live-alert fan-out (its `stats()` for metrics and benches). */
  alerts: AlertFanout;
  /** The Prometheus listener (docs/metrics.md); null unless `HUB_METRICS_PORT` is set. */
  metrics: Pick<MetricsServer, 'url' | 'port'> | null;
  /** Periodic jobs, callable at once: trim the alert log to its retention, end due embargoes. */
  maintenance: {
    trimEvents(): Promise<number>;
    /** Announces the embargoes ended by now on the hub's clock (the embargo watcher's check): RELEASED to those they held back. */
    checkEmbargoes(): Promise<number>;
    checkpointAudit(): Promise<AuditCheckpoint | null>;
    /** Applies the clearinghouse's schedule due now on the hub's clock (the disclosure watcher's check); answers the cases changed. */
    checkDisclosures(): Promise<number>;
    /** Starts and stops peer pullers as the registry says now (approved, paused, removed peers), at once rather than at the next tick. */
    pullPeers(): Promise<void>;
    /** Announces the closes of model reviews due on the hub's clock (the review watcher's check); answers how many. */
    checkReviews(): Promise<number>;
    /** Runs the warned-by job's pending scans to their end (src/services/warned-by-recompute.ts); answers the claims rewritten. */
    recomputeWarned(): Promise<number>;
  };
  /** Stops accepting connections, closes sockets and the store. Safe to call twice. */
  dispose(): Promise<void>;
}

export interface StartOptions {
  /** Where logs go; default pino to stdout at the configured level. */
  logger?: Logger;
  /**
   * Told how every request through the edge ended, on every transport. Default: the hub's metrics
   * when `HUB_METRICS_PORT` is set (docs/metrics.md), else nobody; one given here replaces them.
   */
  observer?: RequestObserver;
  /**
   * Hears alert deliveries and slow-consumer closes. Default: the hub's metrics when
   * `HUB_METRICS_PORT` is set, else nobody; one given here replaces them.
   */
  alertObserver?: AlertObserver;
  /**
   * The clock the hub stamps and judges by, ms since the epoch: records' times, audit entries,
   * embargoes, approvals' expiry, TAXII's read cutoff. Default `Date.now`. (Tokens are still
   * checked against the real time.) The non-interference suite controls it to compare runs.
   */
  clock?: () => number;
  /** The warning lists; default the vendored ones. Tests give other lists to play a hub release (the warned-by job). */
  warningLists?: WarningListSet;
  /**
   * Makes the UUIDs of new records' ids (indicators, sightings, notices, approval requests,
   * audit entries). Default `crypto.randomUUID`. The non-interference suite makes them deterministic.
   */
  randomUUID?: () => string;
}

/**
 * The lease that lets one of several instances starting together seed the demo data. Held for a
 * minute (seeding takes seconds): an instance that died while seeding blocks a restart's seeding
 * no longer than that.
 */
const DEMO_SEED_LEASE = 'demo-seed';
const DEMO_SEED_LEASE_MS = 60_000;

export function createLogger(level: HubConfig['logLevel']): Logger {
  return pino({ level, base: { service: 'hub' }, redact: ['authorization', '*.authorization', 'req.headers.authorization'] });
}

export async function startHub(config: HubConfig, options: StartOptions = {}): Promise<Hub> {
  const log = options.logger ?? createLogger(config.logLevel);
  /** This running instance, in leases (a restart is a new instance). */
  const instanceId = `${config.instanceId ?? hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const secrets = await loadSecrets(config.dataDir);
  const storeCalls = new StoreCallCounter();
  // Metrics are kept only when an operator asked for them (docs/metrics.md).
  const metrics = config.metricsPort === undefined ? null : new HubMetrics();
  // Bound first: a taken port stops the hub before it opens anything else.
  const metricsServer = metrics && (await startMetricsServer({ metrics, port: config.metricsPort!, host: config.metricsHost, log }));
  const storage = await openStorage(config, log).catch(async (err: unknown) => {
    await metricsServer?.close(); // MongoDB unreachable: leave no listener behind
    throw err;
  });
  const store: Store = instrumentStore(storage.store, storeCalls, metrics?.storeOperation);
  // Time and ids for what services stamp: the real ones unless a test controls them.
  const clock = options.clock;
  const bus: EventBus = storage.bus;
  const { services, tokens, authenticate, cursors, pullers: pullerHooks } = await buildServices({
    config,
    store,
    bus,
    secrets,
    log,
    now: clock ? () => new Date(clock()) : undefined,
    randomUUID: options.randomUUID,
    instanceId,
    ...(options.warningLists ? { warningLists: options.warningLists } : {}),
  });
  const { members, events } = services;
  // Members' warning lists read before serving: the first publish screens and flags by them.
  await services.memberWarningLists.refresh();
  // Before serving: claims stored before their score bases existed, and tier rewrites cut short.
  const rebased = await services.scoreBases.backfill((filled) => log.info({ filled }, 'storing the score bases of indicators written by an earlier hub (the hub serves once done)'));
  if (rebased.filled > 0 || rebased.members > 0) log.info(rebased, 'stored the score bases of indicators written by an earlier hub or cut short by a restart');

  if (config.demo) {
    // A persistent store keeps the demo data across restarts: seed it once, not on every start.
    // Instances starting together on one store: only the holder of the seeding lease seeds.
    const empty = async () => (await store.members.list()).length === 0;
    if (!(await empty())) log.info('demo mode: the store already has members, demo data not seeded again');
    else if (!(await store.leases.acquire(DEMO_SEED_LEASE, instanceId, DEMO_SEED_LEASE_MS))) log.info('demo mode: another instance is seeding the demo data');
    else if (await empty()) {
      const reviews = { windowMs: config.reviewWindowMs, defaultTier: config.reviewDefaultTier, pocDelayMs: config.pocDelayMs };
      log.info(await seedDemo(services, store, cursors, clock ? new Date(clock()) : new Date(), reviews), 'demo data seeded');
    }
  }

  // One edge for every transport (docs/architecture.md): the same admission, limits, deadline and
  // error format over HTTP, graphql-ws and TAXII, with one rate limiter and one set of deadlines.
  const deadlines = new ExecutionDeadlines(config.executionTimeoutMs);
  const rateLimiter = new RateLimiter({ perMinute: config.rateLimitPerMinute, burst: config.rateLimitBurst, buckets: store.rateLimits });
  const schema = deadlines.instrument(buildSchema());
  assertEveryListSized(schema);
  const pipeline = new EdgePipeline({
    schema,
    // With the caller's address: refused credentials are limited per source address.
    authenticate,
    anonymousReads: config.anonymousReads,
    introspection: config.introspection,
    rateLimiter,
    deadlines,
    context: (viewer, requestId) => createContext(services, viewer, requestId, log),
    log,
    ...(options.observer || metrics ? { observer: options.observer ?? metrics! } : {}),
  });
  // Apollo keeps the HTTP protocol and parses and validates with the pipeline's options; the
  // pipeline does the rest (edgePlugin).
  const apollo = new ApolloServer<HubContext>({
    schema,
    // Apollo's own messages (rare: plugin or cache failures) go to the hub's structured log.
    logger: log,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    introspection: true, // who may introspect is decided per request by the pipeline (policy)
    parseOptions,
    validationRules: [...limitRules],
    validationOptions,
    formatError: (formatted, error) => formatHubError(formatted, error, (err) => pipeline.unexpected(err, 'apollo', 'http')),
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // The hub sets no cache hints; the default plugin would still hook every resolved field.
      ApolloServerPluginCacheControlDisabled(),
      edgePlugin(pipeline),
    ],
  });
  await apollo.start();

  const connectionLimits = new ConnectionLimits({
    maxConnections: config.maxConnections,
    maxPerAddress: config.maxConnectionsPerAddress,
    maxSocketsPerMember: config.wsMaxSocketsPerMember,
    requestTimeoutMs: config.requestTimeoutMs,
    // connection_init draws from buckets of its own (keys `connect:...`), at its own rate.
    rateLimiter: new RateLimiter({ perMinute: config.wsConnectPerMinute, burst: config.wsConnectBurst, buckets: store.rateLimits }),
    log,
  });
  const httpServer = createHttpServer({
    apollo,
    log,
    connectionLimits,
    pipeline,
    health: storage.health,
    graphiql: createGraphiqlPage({ log }),
    mounts: [
      {
        prefix: TAXII_PREFIX,
        handle: createTaxiiHandler({
          feed: new TaxiiFeed({
            indicators: store.indicators,
            notices: store.notices,
            sightings: store.sightings,
            vulnerabilities: store.vulnerabilities,
            modelReviews: store.modelReviews,
            schedule: { pocDelayMs: config.pocDelayMs },
            members,
            decay: services.decay,
            warnedBy: services.warnedBy,
            gates: StixGates.of(schema),
            cursors,
            // MongoDB writes can land after their timestamp: hold versions back for a while (docs/taxii.md).
            settleMs: config.mongodbUri ? 2_000 : 0,
            now: clock,
          }),
          // Add objects: through the service publishIndicators and reportSighting use (docs/taxii.md).
          writer: new TaxiiWriter({
            indicators: services.indicators,
            statuses: store.taxiiStatuses,
            versions: store.stixVersions,
            heldDecisions: (ids) => services.approvals.decisionsOf(ids),
            now: clock ? () => new Date(clock()) : undefined,
          }),
          pipeline,
          // Basic first: SIEM connectors (Sentinel's speaks nothing else) send an API key as its password.
          challenges: ['Basic realm="the hub"', 'Bearer realm="the hub"'],
          maxContentLength: MAX_BODY_BYTES,
          log,
        }),
      },
      {
        // The MISP feed (docs/federation.md, "MISP"): what each credential's member may see, as MISP events.
        prefix: MISP_FEED_PREFIX,
        handle: createMispFeedHandler({
          feed: new MispFeed({
            indicators: store.indicators,
            gates: StixGates.of(schema),
            org: { name: config.exportPublisher.name, uuid: hubOrgUuid(config.exportPublisher.namespace) },
            settleMs: config.mongodbUri ? 2_000 : 0,
            now: clock,
          }),
          pipeline,
          challenges: ['Bearer realm="the hub"', 'Basic realm="the hub"'],
          log,
        }),
      },
    ],
  });
  const alerts = new AlertFanout({
    schema,
    store,
    log,
    contextFor: (viewer) => createContext(services, viewer, 'alert', log),
    // The edge's own format step: alerts are masked and redacted as every other result.
    format: (result, context) => pipeline.format(result, context as HubContext),
    cursorKey: secrets.cursorKey,
    retentionMs: config.eventRetentionMs,
    maxBufferedBytes: config.wsMaxBufferedBytes,
    heartbeatMs: config.alertHeartbeatMs,
    // Judged per event against the lists now, those that apply for the subscriber: a stream has no page to leave holes in.
    warned: (i, viewer) => services.warnedBy.warnedFor(viewer, i),
    scorer: () => services.decay.scorer(),
    ...(options.alertObserver || metrics ? { observer: options.alertObserver ?? metrics! } : {}),
    ...(clock ? { clock } : {}),
  });
  await alerts.start();
  services.memberWarningLists.start((err) => log.error({ err }, 'reading members\' warning lists failed'));
  const unsubscribeEvents = bus.onEvents((batch) => alerts.onEvents(batch));
  const embargoes = new EmbargoWatcher({
    notices: store.notices,
    events,
    leases: store.leases,
    holder: instanceId,
    onError: (err) => log.error({ err }, 'embargo check failed'),
    ...(clock ? { clock: () => new Date(clock()) } : {}),
  });
  embargoes.start();
  // Model reviews close at their planned deployment: the watcher announces each close once per hub.
  const reviews = new ReviewWatcher({
    modelReviews: store.modelReviews,
    announce: (review, now) => announceClose({ ...store, events, audit: services.audit, schedule: { pocDelayMs: config.pocDelayMs } }, review, now),
    leases: store.leases,
    holder: instanceId,
    onError: (err) => log.error({ err }, 'model review close check failed'),
    ...(clock ? { clock: () => new Date(clock()) } : {}),
  });
  reviews.start();
  // The clearinghouse's clocks: embargo ends, escalations, paced notifications, automatic publication, proofs of concept.
  const disclosures = new DisclosureWatcher({
    vulnerabilities: store.vulnerabilities,
    workflow: services.vulnerabilityWorkflow,
    clocks: disclosureClocksOf(config),
    leases: store.leases,
    holder: instanceId,
    onError: (err) => log.error({ err }, 'disclosure schedule check failed'),
    ...(clock ? { clock: () => new Date(clock()) } : {}),
  });
  disclosures.start();
  // The audit chain's head, signed with the hub's key on schedule (one instance: the lease) and on shutdown.
  const checkpointer = new AuditCheckpointer({
    audit: store.audit,
    leases: store.leases,
    holder: instanceId,
    signer: { signingKey: secrets.signingKey, kid: secrets.kid },
    onError: (err) => log.error({ err }, 'audit checkpoint failed'),
    now: clock ? () => new Date(clock()) : undefined,
  });
  checkpointer.start();
  // Claims' warnedBy kept in step with the lists (a release changed the vendored ones; a member's list changed).
  services.warnedByJob.start();
  // Federation: pull each approved peer's alerts (one instance per peer: its lease), docs/federation.md.
  const peerPullers = new PeerPullers({
    runnable: () => services.peers.runnable(),
    sink: {
      indicators: async (source, items) => {
        const out = await services.indicators.receive(source, items);
        return { stored: out.stored, refused: out.refused.length };
      },
      notice: async (source, item) => (await services.notices.receive(source, item)) !== 'UNCHANGED',
      saveCursor: (id, cursor, lastEventAt, at) => services.peers.saveCursor(id, cursor, lastEventAt, at),
    },
    leases: store.leases,
    holder: instanceId,
    hubId: config.hubId,
    maxHops: config.maxHops,
    onError: (err, peerId) => log.warn({ peerId, error: typeof err === 'string' ? err : err instanceof Error ? err.message : String(err) }, 'peer pull failed'),
  });
  pullerHooks.state = (id) => peerPullers.state(id);
  pullerHooks.changed = () => peerPullers.changed();
  peerPullers.start();
  const trimEvents = async () => {
    const trimmed = await store.events.trimBefore(new Date(Date.now() - config.eventRetentionMs));
    if (trimmed) log.info({ trimmed }, 'alert log trimmed to its retention');
    return trimmed;
  };
  const trimmer = setInterval(() => void trimEvents().catch((err) => log.error({ err }, 'alert log trim failed')), Math.min(60_000, Math.max(1_000, config.eventRetentionMs / 4)));
  trimmer.unref();

  const ws = attachGraphqlWs({
    httpServer,
    alerts,
    bus,
    pipeline,
    authenticate,
    log,
    maxOperationsPerSocket: config.wsMaxOperations,
    connectionLimits,
    maxBufferedBytes: config.wsMaxBufferedBytes,
    // A socket the guard closes for its queue is a slow consumer too, whatever it was sent.
    onSocketLimit: (close) => {
      if (close.code === ALERT_CLOSE.slowConsumer.code) metrics?.slowConsumerClosed();
    },
  });
  metrics?.watch({ wsConnections: () => ws.connections(), subscriptions: () => alerts.stats().subscribers });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  log.info({ port, demo: config.demo, anonymousReads: config.anonymousReads }, 'hub listening');

  let disposed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}/graphql`,
    wsUrl: `ws://${host}:${port}/graphql`,
    port,
    services,
    store,
    tokens,
    storeCalls,
    log,
    alerts,
    metrics: metricsServer && { url: metricsServer.url, port: metricsServer.port },
    maintenance: { trimEvents, checkEmbargoes: () => embargoes.check(clock ? new Date(clock()) : undefined), checkpointAudit: () => checkpointer.checkpoint(), checkDisclosures: () => disclosures.check(), checkReviews: () => reviews.check(), pullPeers: () => peerPullers.tick(), recomputeWarned: () => services.warnedByJob.runAll() },
    dispose: () =>
      (disposed ??= (async () => {
        clearInterval(trimmer);
        embargoes.stop();
        services.memberWarningLists.stop();
        reviews.stop();
        disclosures.stop();
        await peerPullers.stop();
        checkpointer.stop();
        await services.warnedByJob.stop();
        unsubscribeEvents();
        alerts.stop();
        await ws.close();
        await apollo.stop();
        httpServer.closeAllConnections();
        await new Promise<void>((resolve) => httpServer.close(() => resolve()));
        await bus.close?.();
        // Last: the head as this instance leaves it, signed (docs/audit.md).
        await checkpointer.checkpoint().catch((err: unknown) => log.error({ err }, 'audit checkpoint at shutdown failed'));
        await store.close();
        await metricsServer?.close();
      })()),
  };
}
