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
import { Authenticator } from './auth/authenticator.js';
import { loadSecrets } from './auth/key-store.js';
import { TokenIssuer } from './auth/token-issuer.js';
import { ConfigError, type HubConfig } from './config.js';
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
import { IndicatorService } from './services/indicator-service.js';
import { MemberService } from './services/member-service.js';
import { NoticeService } from './services/notice-service.js';
import { ApprovalService } from './services/approval-service.js';
import { AuditService } from './services/audit-service.js';
import { CliAuditLog, cliAuditPath } from './services/cli-audit-log.js';
import { IdentityService } from './services/identity-service.js';
import { ApiKeyService } from './services/api-key-service.js';
import { PeopleService } from './services/people-service.js';
import { instrumentStore, StoreCallCounter } from './store/instrument.js';
import { createMemoryStore } from './store/memory/memory-store.js';
import { InProcessEventBus, type EventBus } from './events/event-bus.js';
import { EventRecorder } from './services/event-recorder.js';
import { EmbargoWatcher } from './services/embargo-watcher.js';
import { AlertFanout } from './alerts/alert-fanout.js';
import type { AlertObserver } from './alerts/alert-observer.js';
import { ConnectionLimits } from './edge/connection-limits.js';
import type { Store } from './store/ports.js';
import { CursorCodec } from './util/cursor-codec.js';
import { HubMetrics } from './metrics/hub-metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics/metrics-server.js';
import { StixGates } from './stix/stix-gates.js';
import { createTaxiiHandler, TAXII_PREFIX } from './taxii/taxii-handler.js';
import { TaxiiFeed } from './taxii/taxii-feed.js';

/** A running hub. */
export interface Hub {
  /** `http://host:port/graphql` */
  url: string;
  /** `ws://host:port/graphql` */
  wsUrl: string;
  port: number;
  services: Services;
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
  maintenance: { trimEvents(): Promise<number>; checkEmbargoes(): Promise<number> };
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
  /**
   * Makes the UUIDs of new records' ids (indicators, sightings, notices, approval requests,
   * audit entries). Default `crypto.randomUUID`. The non-interference suite makes them deterministic.
   */
  randomUUID?: () => string;
}

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
  const cursors = new CursorCodec(secrets.cursorKey);
  // Time and ids for what services stamp: the real ones unless a test controls them.
  const clock = options.clock;
  const stamps = { now: clock ? () => new Date(clock()) : undefined, randomUUID: options.randomUUID };

  const bus: EventBus = storage.bus;
  const members = new MemberService(store.members, (id) => bus.memberChanged(id));
  const events = new EventRecorder(store.events, bus, stamps.now);
  const audit = new AuditService({
    audit: store.audit,
    sequences: store.sequences,
    members,
    cursors,
    cliLog: new CliAuditLog(cliAuditPath(config.dataDir)),
    onInvalidCliLines: (count) => log.warn({ count, file: cliAuditPath(config.dataDir) }, 'skipped malformed CLI audit lines'),
    ...stamps,
  });
  const indicators = new IndicatorService({
    indicators: store.indicators,
    idempotency: store.idempotency,
    sequences: store.sequences,
    sightings: store.sightings,
    members,
    cursors,
    idempotencyTtlMs: config.idempotencyTtlMs,
    audit,
    events,
    ...stamps,
  });
  const notices = new NoticeService({ notices: store.notices, sequences: store.sequences, members, indicators, cursors, audit, events, ...stamps });
  const identity = new IdentityService({
    providers: store.identityProviders,
    members,
    hubIssuer: config.issuer,
    hubAudience: config.audience,
    allowPrivateJwksHosts: config.idpAllowPrivateHosts,
    onMemberChanged: (id) => bus.memberChanged(id),
  });
  const people: PeopleService = new PeopleService({
    people: store.people,
    members,
    identity,
    audit,
    approvals: () => approvals,
    onPersonChanged: (id) => bus.memberChanged(id),
    ...stamps,
  });
  const approvals: ApprovalService = new ApprovalService({
    people,
    approvals: store.approvals,
    sequences: store.sequences,
    indicators,
    notices,
    members,
    identity,
    audit,
    cursors,
    ttlMs: config.approvalTtlMs,
    ...stamps,
  });
  await audit.ingestCliLog();
  const apiKeys = new ApiKeyService({
    keys: store.apiKeys,
    members,
    people,
    audit,
    onMemberChanged: (id) => bus.memberChanged(id),
    onTouchFailed: (err) => log.warn({ err }, "could not record an API key's last use"),
  });
  const services: Services = { members, indicators, notices, identity, approvals, audit, events, apiKeys, people };

  if (config.demo) {
    // A persistent store keeps the demo data across restarts: seed it once, not on every start.
    if ((await store.members.list()).length === 0) log.info(await seedDemo(services, store, cursors), 'demo data seeded');
    else log.info('demo mode: the store already has members, demo data not seeded again');
  }

  const tokens = new TokenIssuer({
    secrets,
    issuer: config.issuer,
    audience: config.audience,
    maxLifetimeMs: config.tokenMaxLifetimeMs,
    onIssued: (issued) => audit.tokenIssued(issued, 'hub'),
  });
  const authenticator = new Authenticator({
    secrets,
    issuer: config.issuer,
    audience: config.audience,
    maxLifetimeMs: config.tokenMaxLifetimeMs,
    clockToleranceMs: config.clockToleranceMs,
    loadMember: (id) => members.get(id),
    findIdentityProvider: (issuer) => identity.findByIssuer(issuer),
    remoteJwks: { allowPrivateHosts: config.idpAllowPrivateHosts },
    failedLogins: { perWindow: config.failedLoginLimitPerMinute },
    verifyApiKey: (key) => apiKeys.verify(key),
    loadPerson: (id) => people.get(id),
    findPersonByIdentity: (issuer, subject) => people.findByIdentity(issuer, subject),
    ...(config.jitPeople ? { provisionPerson: (memberId: string, issuer: string, subject: string) => people.provisionJustInTime(memberId, issuer, subject) } : {}),
    onRejected: (reason, details) => {
      log.warn({ reason, ...details }, 'token rejected');
      audit.loginFailed(reason, details).catch((err: unknown) => log.error({ err }, 'could not audit a rejected token'));
    },
    onAddressBlocked: (remoteAddress, retryAfterSeconds) => log.warn({ remoteAddress, retryAfterSeconds }, 'too many refused credentials: address blocked'),
  });

  // One edge for every transport (docs/architecture.md): the same admission, limits, deadline and
  // error format over HTTP, graphql-ws and TAXII, with one rate limiter and one set of deadlines.
  const deadlines = new ExecutionDeadlines(config.executionTimeoutMs);
  const rateLimiter = new RateLimiter({ perMinute: config.rateLimitPerMinute, burst: config.rateLimitBurst, buckets: store.rateLimits });
  const schema = deadlines.instrument(buildSchema());
  assertEveryListSized(schema);
  const pipeline = new EdgePipeline({
    schema,
    // With the caller's address: refused credentials are limited per source address.
    authenticate: (authorization, from) => authenticator.authenticate(authorization, from),
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
            members,
            gates: StixGates.of(schema),
            cursors,
            // MongoDB writes can land after their timestamp: hold versions back for a while (docs/taxii.md).
            settleMs: config.mongodbUri ? 2_000 : 0,
            now: clock,
          }),
          pipeline,
          // Basic first: SIEM connectors (Sentinel's speaks nothing else) send an API key as its password.
          challenges: ['Basic realm="the hub"', 'Bearer realm="the hub"'],
          maxContentLength: MAX_BODY_BYTES,
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
    ...(options.alertObserver || metrics ? { observer: options.alertObserver ?? metrics! } : {}),
    ...(clock ? { clock } : {}),
  });
  await alerts.start();
  const unsubscribeEvents = bus.onEvents((batch) => alerts.onEvents(batch));
  const embargoes = new EmbargoWatcher({
    notices: store.notices,
    events,
    leases: store.leases,
    holder: instanceId,
    onError: (err) => log.error({ err }, 'embargo check failed'),
  });
  embargoes.start();
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
    authenticate: (authorization, options) => authenticator.authenticate(authorization, options),
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
    tokens,
    storeCalls,
    log,
    alerts,
    metrics: metricsServer && { url: metricsServer.url, port: metricsServer.port },
    maintenance: { trimEvents, checkEmbargoes: () => embargoes.check() },
    dispose: () =>
      (disposed ??= (async () => {
        clearInterval(trimmer);
        embargoes.stop();
        unsubscribeEvents();
        alerts.stop();
        await ws.close();
        await apollo.stop();
        httpServer.closeAllConnections();
        await new Promise<void>((resolve) => httpServer.close(() => resolve()));
        await bus.close?.();
        await store.close();
        await metricsServer?.close();
      })()),
  };
}

/**
 * The store and bus the configuration selects: MongoDB when MONGODB_URI is set (docs/mongodb.md),
 * else the embedded store with the in-process bus. MongoDB unreachable is a ConfigError naming
 * the host: the hub stops, it never falls back to the embedded store.
 */
async function openStorage(config: HubConfig, log: Logger): Promise<{ store: Store; bus: EventBus; health: () => Promise<{ ok: boolean; store: string }> }> {
  if (!config.mongodbUri) {
    return { store: createMemoryStore(), bus: new InProcessEventBus(), health: async () => ({ ok: true, store: 'embedded' }) };
  }
  // Loaded only here: the embedded store never loads the driver.
  const { openMongoBackend, MongoUnavailableError } = await import('./store/mongo/mongo-backend.js');
  try {
    return await openMongoBackend(config.mongodbUri, {
      logger: log,
      eventRetentionMs: config.eventRetentionMs,
      ...(config.instanceId ? { instanceName: config.instanceId } : {}),
    });
  } catch (err) {
    if (err instanceof MongoUnavailableError) throw new ConfigError(`MONGODB_URI: ${err.message}`);
    throw err;
  }
}
