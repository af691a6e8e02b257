import { z } from 'zod';
import { DEFAULT_EXPORT_PUBLISHER, type ExportPublisher } from './advisories/export-context.js';
import type { DisclosureClocks } from './domain/disclosure-clocks.js';
import { DEFAULT_MAX_HOPS } from './domain/peer.js';
import type { MemberTier } from './domain/types.js';

/** Raised when the environment does not describe a runnable hub; the message lists every problem. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const DURATION = /^(\d+)\s*(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `90s`, `15m`, `1h`, `7d` (or plain seconds) into milliseconds; null when malformed. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  const m = DURATION.exec(trimmed);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : null;
}

const bool = (name: string) =>
  z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'], {
    error: () => `${name} must be one of true/false, 1/0, yes/no, on/off`,
  }).transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const duration = (name: string, maxMs?: number) =>
  z.string().transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === null || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `${name} must be a duration such as 30s, 15m, 1h or 7d (got "${v}")` });
      return z.NEVER;
    }
    if (maxMs !== undefined && ms > maxMs) {
      ctx.addIssue({ code: 'custom', message: `${name} must be at most ${maxMs / 1000}s (got "${v}")` });
      return z.NEVER;
    }
    return ms;
  });

const count = (name: string, min: number) =>
  z.coerce.number({ error: () => `${name} must be a whole number` }).int(`${name} must be a whole number`).min(min, `${name} must be at least ${min}`);

const EnvSchema = z.object({
  PORT: z.coerce.number({ error: () => 'PORT must be a number' }).int().min(0, 'PORT must be 0..65535').max(65535, 'PORT must be 0..65535').default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  HUB_DATA_DIR: z.string().min(1).default('.hub'),
  HUB_DEMO: bool('HUB_DEMO').default(false),
  HUB_ANONYMOUS_READS: bool('HUB_ANONYMOUS_READS').optional(),
  HUB_ISSUER: z.string().min(1).default('the-hub'),
  HUB_AUDIENCE: z.string().min(1).default('the-hub'),
  HUB_TOKEN_MAX_LIFETIME: duration('HUB_TOKEN_MAX_LIFETIME', 30 * 86_400_000).default(24 * 3_600_000),
  HUB_CLOCK_TOLERANCE: duration('HUB_CLOCK_TOLERANCE', 60_000).default(60_000),
  HUB_IDEMPOTENCY_TTL: duration('HUB_IDEMPOTENCY_TTL').default(24 * 3_600_000),
  HUB_APPROVAL_TTL: duration('HUB_APPROVAL_TTL').default(72 * 3_600_000),
  HUB_IDP_ALLOW_PRIVATE_HOSTS: bool('HUB_IDP_ALLOW_PRIVATE_HOSTS').default(false),
  HUB_JIT_PEOPLE: bool('HUB_JIT_PEOPLE').default(false),
  HUB_EVENT_RETENTION: duration('HUB_EVENT_RETENTION').default(7 * 86_400_000),
  HUB_ALERT_HEARTBEAT: z.string().transform((v, ctx) => {
    if (v === '0') return 0;
    const ms = parseDuration(v);
    if (ms === null || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `HUB_ALERT_HEARTBEAT must be a duration such as 15s, or 0 for none (got "${v}")` });
      return z.NEVER;
    }
    return ms;
  }).default(15_000),
  HUB_WARNINGLIST_POLICY: z
    .enum(['warn', 'hold', 'reject'], { error: () => 'HUB_WARNINGLIST_POLICY must be one of warn, hold, reject' })
    .default('warn'),
  HUB_WS_MAX_BUFFER: z.coerce.number({ error: () => 'HUB_WS_MAX_BUFFER must be a number of bytes' }).int().min(16_384, 'HUB_WS_MAX_BUFFER must be at least 16384 bytes').default(1024 * 1024),
  HUB_INTROSPECTION: bool('HUB_INTROSPECTION').default(true),
  HUB_RATE_LIMIT: count('HUB_RATE_LIMIT', 0).default(600),
  HUB_RATE_LIMIT_BURST: count('HUB_RATE_LIMIT_BURST', 1).default(300),
  HUB_FAILED_LOGIN_LIMIT: count('HUB_FAILED_LOGIN_LIMIT', 0).default(30),
  HUB_EXECUTION_TIMEOUT: duration('HUB_EXECUTION_TIMEOUT').default(10_000),
  HUB_WS_MAX_OPERATIONS: count('HUB_WS_MAX_OPERATIONS', 1).default(50),
  HUB_MAX_CONNECTIONS: count('HUB_MAX_CONNECTIONS', 1).default(16_384),
  HUB_MAX_CONNECTIONS_PER_ADDRESS: count('HUB_MAX_CONNECTIONS_PER_ADDRESS', 1).default(128),
  HUB_WS_MAX_SOCKETS_PER_MEMBER: count('HUB_WS_MAX_SOCKETS_PER_MEMBER', 1).default(100),
  HUB_WS_CONNECT_RATE: count('HUB_WS_CONNECT_RATE', 0).default(60),
  HUB_WS_CONNECT_BURST: count('HUB_WS_CONNECT_BURST', 1).default(20),
  HUB_REQUEST_TIMEOUT: duration('HUB_REQUEST_TIMEOUT', 300_000).default(30_000),
  HUB_METRICS_PORT: z.coerce.number({ error: () => 'HUB_METRICS_PORT must be a port number' }).int('HUB_METRICS_PORT must be a port number').min(0, 'HUB_METRICS_PORT must be 0..65535').max(65535, 'HUB_METRICS_PORT must be 0..65535').optional(),
  HUB_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    error: () => 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
  }).default('info'),
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\/\S+$/, { error: () => 'MONGODB_URI must be a mongodb:// or mongodb+srv:// connection string' })
    .optional(),
  HUB_STORE: z
    .enum(['sqlite', 'memory', 'mongodb'], { error: () => 'HUB_STORE must be one of sqlite, memory, mongodb' })
    .optional(),
  HUB_INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, { error: () => 'HUB_INSTANCE_ID must be 1-64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit' })
    .optional(),
  HUB_DISCLOSURE_DEADLINE: duration('HUB_DISCLOSURE_DEADLINE').default(90 * 86_400_000),
  HUB_EXPLOITED_DEADLINE: duration('HUB_EXPLOITED_DEADLINE').default(7 * 86_400_000),
  HUB_VENDOR_ACK_ESCALATION: duration('HUB_VENDOR_ACK_ESCALATION').default(30 * 86_400_000),
  HUB_VENDOR_PACE: count('HUB_VENDOR_PACE', 1).default(10),
  HUB_PUBLIC_URL: z
    .string()
    .refine((v) => { try { const u = new URL(v); return (u.protocol === 'https:' || u.protocol === 'http:') && !u.search && !u.hash; } catch { return false; } },
      { error: () => 'HUB_PUBLIC_URL must be the http(s) address the hub is reached at, e.g. https://hub.example.org (no query or fragment)' })
    .optional(),
  HUB_PUBLISHER_NAME: z.string().min(1).max(200, { error: () => 'HUB_PUBLISHER_NAME must be 1-200 characters' }).optional(),
  HUB_CVE_ORG_ID: z
    .string()
    .regex(/^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-4[0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$/, { error: () => "HUB_CVE_ORG_ID must be the CVE Program organisation's UUID (version 4)" })
    .optional(),
  HUB_ID: z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, { error: () => 'HUB_ID must be 1-64 lowercase letters, digits and inner hyphens (the member id its peers give this hub)' })
    .default('the-hub'),
  HUB_MAX_HOPS: count('HUB_MAX_HOPS', 1).max(16, 'HUB_MAX_HOPS must be at most 16').default(DEFAULT_MAX_HOPS),
  HUB_FP_ALERT_MEMBERS: count('HUB_FP_ALERT_MEMBERS', 1).max(1_000, 'HUB_FP_ALERT_MEMBERS must be at most 1000').default(3),
  HUB_POC_DELAY: z.string().transform((v, ctx) => {
    if (v === '0') return 0;
    const ms = parseDuration(v);
    if (ms === null || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `HUB_POC_DELAY must be a duration such as 45d, or 0 for none (got "${v}")` });
      return z.NEVER;
    }
    return ms;
  }).default(45 * 86_400_000),
  HUB_REVIEW_WINDOW: duration('HUB_REVIEW_WINDOW').default(30 * 86_400_000),
  HUB_REVIEW_DEFAULT_TIER: z
    .enum(['COMMUNITY', 'TRUSTED', 'CORE', 'NONE'], { error: () => 'HUB_REVIEW_DEFAULT_TIER must be one of COMMUNITY, TRUSTED, CORE, NONE' })
    .default('CORE'),
});

/** One environment variable the hub reads, as `--help` and docs show it. */
export interface EnvVar {
  /** What it sets, in a line. */
  description: string;
  /** Its default, as the operator would write it; absent when unset means "off" or "none". */
  default?: string;
}

/** Every environment variable the hub reads, keyed by name: `--help` prints this list, and
 * test/environment.test.ts fails when code reads a variable missing from it. Adding a variable to
 * the schema above without an entry here does not compile. */
export const ENVIRONMENT: { readonly [K in keyof typeof EnvSchema.shape]: EnvVar } = {
  PORT: { description: 'TCP port of the API (GraphQL, graphql-ws, TAXII); 0 picks a free one', default: '4000' },
  HOST: { description: 'interface the API binds', default: '127.0.0.1' },
  HUB_DATA_DIR: { description: "the hub's data directory: signing key, secrets, the embedded store", default: '.hub' },
  HUB_DEMO: { description: 'seed the demo members, indicators and notices (as serve --demo)', default: 'false' },
  HUB_ANONYMOUS_READS: { description: 'let callers without a token read TLP:CLEAR records', default: 'on with the demo, else off' },
  HUB_ISSUER: { description: "the hub's own token issuer (iss)", default: 'the-hub' },
  HUB_AUDIENCE: { description: "the hub's token audience (aud)", default: 'the-hub' },
  HUB_TOKEN_MAX_LIFETIME: { description: 'longest accepted token lifetime, at most 30d', default: '24h' },
  HUB_CLOCK_TOLERANCE: { description: 'clock skew accepted on token times, at most 60s', default: '60s' },
  HUB_IDEMPOTENCY_TTL: { description: "how long an idempotency key's answer is kept", default: '24h' },
  HUB_APPROVAL_TTL: { description: 'how long a two-person request stays open', default: '72h' },
  HUB_IDP_ALLOW_PRIVATE_HOSTS: { description: "let members' JWKS URLs point at loopback or private addresses", default: 'false' },
  HUB_JIT_PEOPLE: { description: "make a reader-only person for a member identity provider's identity linked to nobody, instead of refusing it", default: 'false' },
  HUB_EVENT_RETENTION: { description: 'how long alert events are kept for resuming subscribers', default: '7d' },
  HUB_ALERT_HEARTBEAT: { description: 'interval of HEARTBEAT alert events; 0 for none', default: '15s' },
  HUB_WARNINGLIST_POLICY: { description: 'what publishIndicators does with an item on a false_positive warning list: warn (store it, with the warning), hold (store it only when a second person approves a PUBLISH_WARNED_INDICATOR request) or reject (refuse it)', default: 'warn' },
  HUB_WS_MAX_BUFFER: { description: 'bytes a WebSocket may have queued before it is closed (4413)', default: '1048576' },
  HUB_INTROSPECTION: { description: 'whether members may introspect the schema', default: 'true' },
  HUB_RATE_LIMIT: { description: 'requests per minute per member (per IP when anonymous); 0 is off', default: '600' },
  HUB_RATE_LIMIT_BURST: { description: 'requests at once after being idle', default: '300' },
  HUB_FAILED_LOGIN_LIMIT: { description: 'refused credentials per address a minute before it is blocked; 0 is off', default: '30' },
  HUB_EXECUTION_TIMEOUT: { description: 'longest a query or mutation may execute', default: '10s' },
  HUB_WS_MAX_OPERATIONS: { description: 'operations one graphql-ws socket may run at once', default: '50' },
  HUB_MAX_CONNECTIONS: { description: 'TCP connections held open at once, from everyone', default: '16384' },
  HUB_MAX_CONNECTIONS_PER_ADDRESS: { description: 'TCP connections one address (IPv6: /64) may hold', default: '128' },
  HUB_WS_MAX_SOCKETS_PER_MEMBER: { description: 'graphql-ws sockets one member may hold', default: '100' },
  HUB_WS_CONNECT_RATE: { description: 'graphql-ws connection_inits per minute per caller; 0 is off', default: '60' },
  HUB_WS_CONNECT_BURST: { description: 'connection_inits at once after being idle', default: '20' },
  HUB_REQUEST_TIMEOUT: { description: 'longest a request may take to arrive, at most 300s', default: '30s' },
  HUB_METRICS_PORT: { description: 'port of the Prometheus listener; unset: no metrics (serve --demo: 9464)' },
  HUB_METRICS_HOST: { description: 'interface the metrics listener binds', default: '127.0.0.1' },
  LOG_LEVEL: { description: 'fatal, error, warn, info, debug, trace or silent', default: 'info' },
  MONGODB_URI: { description: 'run on MongoDB (docs/mongodb.md); unset: the embedded store' },
  HUB_STORE: { description: 'the store: sqlite (durable, HUB_DATA_DIR/hub.db), memory (lost on exit), mongodb (MONGODB_URI)', default: 'mongodb when MONGODB_URI is set, else sqlite' },
  HUB_INSTANCE_ID: { description: "this instance's name on MongoDB (change-stream position, leases)", default: 'the host name' },
  HUB_DISCLOSURE_DEADLINE: { description: "clearinghouse: a case's disclosure deadline after the first vendor notification", default: '90d' },
  HUB_EXPLOITED_DEADLINE: { description: 'clearinghouse: the deadline instead when the flaw is exploited', default: '7d' },
  HUB_VENDOR_ACK_ESCALATION: { description: 'clearinghouse: a vendor not acknowledging within this is escalated to coordinators', default: '30d' },
  HUB_VENDOR_PACE: { description: 'clearinghouse: new cases notified to one vendor per rolling 7 days; the rest queue', default: '10' },
  HUB_POC_DELAY: { description: "how long after a clearinghouse case's publication its proof of concept reaches everyone who sees it; 0: at once", default: '45d' },
  HUB_PUBLIC_URL: { description: "the hub's public address: CSAF publisher namespace and each case's reference URL in its exports", default: 'https://hub.invalid' },
  HUB_PUBLISHER_NAME: { description: 'the publisher name the exports give (CSAF publisher.name)', default: 'The hub' },
  HUB_ID: { description: "this hub's id in a federation: the member id its peers register it under, and the origin its records carry at peers", default: 'the-hub' },
  HUB_MAX_HOPS: { description: 'federation: hubs a record may cross from its origin; one received at this count is not shared onward', default: '3' },
  HUB_FP_ALERT_MEMBERS: { description: "intel quality: distinct members reporting one indicator as a false positive before its publisher's audit log says so", default: '3' },
  HUB_CVE_ORG_ID: { description: "the CVE Program organisation UUID of the hub's CNA: CVE records' providerMetadata.orgId", default: 'a fixed placeholder UUID' },
  HUB_REVIEW_WINDOW: { description: "model reviews: the shortest review window before a model's planned deployment (shorter only by a two-person reschedule)", default: '30d' },
  HUB_REVIEW_DEFAULT_TIER: { description: 'model reviews: members at this tier or above review every model by default (COMMUNITY, TRUSTED, CORE; NONE: only those invited)', default: 'CORE' },
};

/** Names of every environment variable the hub reads. */
export const ENVIRONMENT_NAMES = Object.keys(ENVIRONMENT) as ReadonlyArray<keyof typeof ENVIRONMENT>;

/** The hub's whole configuration, read once by the composition root. */
export interface HubConfig {
  /** TCP port; 0 picks a free one (tests). Default 4000. */
  port: number;
  /** Interface to bind. Default 127.0.0.1 (the compose file sets 0.0.0.0). */
  host: string;
  /** Where the signing key and secrets live. Default `.hub`, created on first start. */
  dataDir: string;
  /** Seed the demo members, indicators and notices at start. */
  demo: boolean;
  /** Whether callers without a token may read CLEAR records. Default: on in demo mode, off otherwise. */
  anonymousReads: boolean;
  issuer: string;
  audience: string;
  /** Longest accepted token lifetime (exp - iat), ms. Default 24h. */
  tokenMaxLifetimeMs: number;
  /** Clock skew accepted on exp/nbf/iat, ms. At most 60 s. */
  clockToleranceMs: number;
  /** How long an idempotency key's answer is kept, ms. Default 24h. */
  idempotencyTtlMs: number;
  /**
   * How long an approval request stays open, ms. Default 72h. Past it the request reads as
   * EXPIRED and can no longer be approved (checked on read and on approval; no timers).
   */
  approvalTtlMs: number;
  /**
   * Whether a member's JWKS URL may point at loopback or private addresses (and use http on
   * loopback). Off by default: the hub fetches that URL, so an open rule would let a member-admin
   * aim the hub at internal services. Turn on for tests and air-gapped single-site setups.
   */
  idpAllowPrivateHosts: boolean;
  /**
   * Just-in-time people: a token from a member's identity provider whose (issuer, subject) is
   * linked to no person creates a reader-only person with that identity (audited PERSON_ADDED,
   * `details.jit`), instead of being refused. Default false: every identity is linked by an
   * administrator (`linkIdentity`). See docs/identity.md.
   */
  jitPeople: boolean;
  /** How long alert events are kept for resuming subscribers, ms. Default 7 days. */
  eventRetentionMs: number;
  /** Interval of HEARTBEAT alert events, ms; 0 for none. Default 15 s. */
  alertHeartbeatMs: number;
  /**
   * What `publishIndicators` does with an item matching a `false_positive` warning list
   * (`HUB_WARNINGLIST_POLICY`): `warn` stores it with the warning, `hold` stores nothing and opens
   * a two-person PUBLISH_WARNED_INDICATOR request (the item is published when another person
   * approves it), `reject` refuses the item. Default `warn`.
   * See docs/intel-quality.md, "Warning lists".
   */
  warningListPolicy: 'warn' | 'hold' | 'reject';
  /**
   * Bytes a WebSocket may have queued: a socket holding more when the hub has another message for
   * it (a result, an error, a pong, an alert) is closed with 4413. Default 1 MiB.
   */
  wsMaxBufferedBytes: number;
  /**
   * Whether members may introspect the schema (`__schema`, `__type`). Anonymous callers never may.
   * Default true (GraphiQL's docs need it).
   */
  introspection: boolean;
  /**
   * Sustained request rate per member (anonymous callers: per IP), in requests per minute, over
   * HTTP and graphql-ws subscribe messages together. Default 600; 0 turns rate limiting off.
   */
  rateLimitPerMinute: number;
  /** Requests a member may make at once after being idle (the token bucket's size). Default 300. */
  rateLimitBurst: number;
  /**
   * Refused credentials one source address may send a minute before its credentials are refused
   * unread (RATE_LIMITED, 429) for 5 minutes; per instance (`HUB_FAILED_LOGIN_LIMIT`). Default 30; 0 turns it off.
   */
  failedLoginLimitPerMinute: number;
  /** Longest a query or mutation may execute, ms; past it the answer is EXECUTION_TIMEOUT. Default 10 s. */
  executionTimeoutMs: number;
  /** Operations one graphql-ws socket may have running at once. Default 50. */
  wsMaxOperations: number;
  /** TCP connections (HTTP and WebSocket together) the hub holds open at once, from everyone; the next is dropped unanswered. Default 16,384. */
  maxConnections: number;
  /**
   * TCP connections (HTTP and WebSocket together) one source address may hold open; IPv6 counts by
   * /64. The next is answered 429 `TOO_MANY_CONNECTIONS`. Default 128.
   */
  maxConnectionsPerAddress: number;
  /** graphql-ws sockets one member may hold open at once; the next is closed with 4429. Default 100. */
  wsMaxSocketsPerMember: number;
  /**
   * graphql-ws `connection_init`s per minute per caller (member, or address when anonymous), in a
   * bucket of their own, apart from the request rate: opening a socket never spends a request.
   * Over it the socket is closed with 4429 (`HUB_WS_CONNECT_RATE`). Default 60; 0 turns it off.
   */
  wsConnectPerMinute: number;
  /** `connection_init`s a caller may send at once after being idle (`HUB_WS_CONNECT_BURST`). Default 20. */
  wsConnectBurst: number;
  /** Longest a request may take to arrive, headers and body, ms; past it 408. Default 30 s, at most 300 s. */
  requestTimeoutMs: number;
  /**
   * Port of the Prometheus listener (`GET /metrics`, docs/metrics.md), apart from the API's.
   * Unset (the default): no metrics are kept and nothing listens. 0 picks a free port (tests).
   * `npm start` (demo mode from the command line) sets 9464 unless the variable is set.
   */
  metricsPort: number | undefined;
  /** Interface the metrics listener binds. Default 127.0.0.1: scrape from the host, not the world. */
  metricsHost: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * Where the MongoDB store is (docs/mongodb.md). Unset: the embedded store. Set: the hub runs on
   * MongoDB, and stops with a message naming the host if it cannot reach it within 5 s; it never
   * falls back to the embedded store.
   */
  mongodbUri: string | undefined;
  /**
   * Which store the hub runs on (`HUB_STORE`): `sqlite`, the durable embedded store in
   * `HUB_DATA_DIR/hub.db` (docs/storage.md); `memory`, in this process only, lost on exit (tests
   * and throwaway demos); `mongodb`, at MONGODB_URI. Default: mongodb when MONGODB_URI is set,
   * else sqlite.
   */
  store: 'sqlite' | 'memory' | 'mongodb';
  /**
   * This instance's name on MongoDB: the key of its saved change-stream position and the prefix of
   * the leases it holds (`HUB_INSTANCE_ID`). Default: the host name, which two hubs on one host
   * share, so give each its own there.
   */
  instanceId: string | undefined;
  /**
   * The clearinghouse's clocks (docs/clearinghouse.md): the disclosure deadline
   * (`HUB_DISCLOSURE_DEADLINE`, default 90 days; `HUB_EXPLOITED_DEADLINE`, default 7 days),
   * the vendor acknowledgement escalation (`HUB_VENDOR_ACK_ESCALATION`, default 30 days) and the
   * per-vendor pace (`HUB_VENDOR_PACE`, default 10 new cases a rolling week). The proof of
   * concept's delay is `pocDelayMs`.
   */
  disclosureClocks: Omit<DisclosureClocks, 'pocDelayMs'>;
  /**
   * How long after a clearinghouse case is published its proof of concept reaches everyone who
   * sees the case (`HUB_POC_DELAY`, the PROOF_OF_CONCEPT_RELEASED stage), ms. Default 45 days;
   * 0 releases it with the advisory. Before it, only the reporter, coordinators and affected
   * vendors read it. Applies to every case, published before a change of it too.
   */
  pocDelayMs: number;
  /**
   * Who the hub is in its advisory exports (CSAF, OSV, CVE): `HUB_PUBLIC_URL` (default
   * `https://hub.invalid`: set it, so that a case's reference URL leads somewhere),
   * `HUB_PUBLISHER_NAME` (default `The hub`), `HUB_CVE_ORG_ID` (default a fixed placeholder).
   */
  exportPublisher: ExportPublisher;
  /**
   * This hub's id in a federation (`HUB_ID`, default `the-hub`): the member id its peers register
   * it under (kind HUB), and the origin its records carry at peers (docs/federation.md).
   */
  hubId: string;
  /**
   * Hubs a record may cross from its origin (`HUB_MAX_HOPS`, 1 to 16, default 3): a record received
   * with this many hops is stored but never shared onward (the policy's `peerExclusion`).
   */
  maxHops: number;
  /**
   * Distinct members that must report one indicator as a false positive before its publisher is
   * told, by an entry in its audit log that counts them without naming them (`HUB_FP_ALERT_MEMBERS`,
   * 1 to 1,000, default 3; docs/intel-quality.md).
   */
  fpAlertMembers: number;
  /**
   * Pre-deployment model reviews (docs/model-reviews.md): the shortest window between a review's
   * opening and its planned deployment, ms (`HUB_REVIEW_WINDOW`, default 30 days). A review is
   * scheduled at least this far ahead; its window opens this long before deployment unless the
   * lab opens it earlier; bringing deployment forward so that the window is shorter is a
   * two-person request (RESCHEDULE_MODEL_REVIEW).
   */
  reviewWindowMs: number;
  /**
   * The tier whose ACTIVE members (and those above it) become reviewers of every review when it is
   * scheduled (`HUB_REVIEW_DEFAULT_TIER`, default CORE); null (`NONE`): only the members the lab
   * invites. Members who reach the tier later are not added to reviews already scheduled.
   */
  reviewDefaultTier: MemberTier | null;
}

/**
 * Validates the environment (plus overrides, e.g. from CLI flags) into a HubConfig.
 * Throws ConfigError listing every bad variable; nothing else in the hub reads `process.env`.
 */
export function parseConfig(env: Record<string, string | undefined>, overrides: Partial<HubConfig> = {}): HubConfig {
  const relevant = Object.fromEntries(
    Object.keys(EnvSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const parsed = EnvSchema.safeParse(relevant);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join('.') || 'config'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const demo = overrides.demo ?? e.HUB_DEMO;
  const config: HubConfig = {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.HUB_DATA_DIR,
    demo,
    anonymousReads: e.HUB_ANONYMOUS_READS ?? demo,
    issuer: e.HUB_ISSUER,
    audience: e.HUB_AUDIENCE,
    tokenMaxLifetimeMs: e.HUB_TOKEN_MAX_LIFETIME,
    clockToleranceMs: e.HUB_CLOCK_TOLERANCE,
    idempotencyTtlMs: e.HUB_IDEMPOTENCY_TTL,
    approvalTtlMs: e.HUB_APPROVAL_TTL,
    idpAllowPrivateHosts: e.HUB_IDP_ALLOW_PRIVATE_HOSTS,
    jitPeople: e.HUB_JIT_PEOPLE,
    eventRetentionMs: e.HUB_EVENT_RETENTION,
    alertHeartbeatMs: e.HUB_ALERT_HEARTBEAT,
    warningListPolicy: e.HUB_WARNINGLIST_POLICY,
    wsMaxBufferedBytes: e.HUB_WS_MAX_BUFFER,
    introspection: e.HUB_INTROSPECTION,
    rateLimitPerMinute: e.HUB_RATE_LIMIT,
    rateLimitBurst: e.HUB_RATE_LIMIT_BURST,
    failedLoginLimitPerMinute: e.HUB_FAILED_LOGIN_LIMIT,
    executionTimeoutMs: e.HUB_EXECUTION_TIMEOUT,
    wsMaxOperations: e.HUB_WS_MAX_OPERATIONS,
    maxConnections: e.HUB_MAX_CONNECTIONS,
    maxConnectionsPerAddress: e.HUB_MAX_CONNECTIONS_PER_ADDRESS,
    wsMaxSocketsPerMember: e.HUB_WS_MAX_SOCKETS_PER_MEMBER,
    wsConnectPerMinute: e.HUB_WS_CONNECT_RATE,
    wsConnectBurst: e.HUB_WS_CONNECT_BURST,
    requestTimeoutMs: e.HUB_REQUEST_TIMEOUT,
    metricsPort: e.HUB_METRICS_PORT,
    metricsHost: e.HUB_METRICS_HOST,
    logLevel: e.LOG_LEVEL,
    mongodbUri: e.MONGODB_URI,
    instanceId: e.HUB_INSTANCE_ID,
    disclosureClocks: {
      deadlineMs: e.HUB_DISCLOSURE_DEADLINE,
      exploitedDeadlineMs: e.HUB_EXPLOITED_DEADLINE,
      ackEscalationMs: e.HUB_VENDOR_ACK_ESCALATION,
      vendorPace: e.HUB_VENDOR_PACE,
    },
    pocDelayMs: e.HUB_POC_DELAY,
    hubId: e.HUB_ID,
    maxHops: e.HUB_MAX_HOPS,
    fpAlertMembers: e.HUB_FP_ALERT_MEMBERS,
    exportPublisher: {
      ...DEFAULT_EXPORT_PUBLISHER,
      ...(e.HUB_PUBLIC_URL ? { namespace: e.HUB_PUBLIC_URL.replace(/\/+$/, '') } : {}),
      ...(e.HUB_PUBLISHER_NAME ? { name: e.HUB_PUBLISHER_NAME } : {}),
      ...(e.HUB_CVE_ORG_ID ? { cveOrgId: e.HUB_CVE_ORG_ID.toLowerCase() } : {}),
    },
    reviewWindowMs: e.HUB_REVIEW_WINDOW,
    reviewDefaultTier: e.HUB_REVIEW_DEFAULT_TIER === 'NONE' ? null : e.HUB_REVIEW_DEFAULT_TIER,
    store: e.HUB_STORE ?? ((overrides.mongodbUri ?? e.MONGODB_URI) ? 'mongodb' : 'sqlite'),
    ...overrides,
  };
  if (config.store === 'mongodb' && !config.mongodbUri) throw new ConfigError('Invalid configuration:\n  - HUB_STORE: mongodb needs MONGODB_URI');
  if (config.store !== 'mongodb' && config.mongodbUri) {
    throw new ConfigError(`Invalid configuration:\n  - HUB_STORE: ${config.store} was chosen but MONGODB_URI is set; unset one of them`);
  }
  return config;
}
