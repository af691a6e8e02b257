/**
 * The hub's services over a store: what `startHub` serves and what the operator's CLI
 * (src/cli/) acts through, so that a command and a mutation meet the same policy and audit.
 */
import { WarningListSet } from './warninglists/warning-list-set.js';
import { loadVendoredLists } from './warninglists/load-vendored-lists.js';
import { PublishScreen } from './warninglists/publish-screen.js';
import { MemberWarningLists } from './warninglists/member-warning-lists.js';
import { WarningListService } from './services/warning-list-service.js';
import { WarnedByComputer } from './warninglists/warned-by-computer.js';
import { WarnedByRecompute } from './services/warned-by-recompute.js';
import { randomUUID as newUUID } from 'node:crypto';
import { DecayService } from './services/decay-service.js';
import { ScoreBaseService } from './services/score-base-service.js';
import type { Logger } from 'pino';
import { Authenticator } from './auth/authenticator.js';
import type { HubSecrets } from './auth/key-store.js';
import { TokenIssuer } from './auth/token-issuer.js';
import type { HubConfig } from './config.js';
import type { Services } from './context.js';
import type { EventBus } from './events/event-bus.js';
import { ApiKeyService } from './services/api-key-service.js';
import { ApprovalService } from './services/approval-service.js';
import { exportJWK } from 'jose';
import { CommunityService } from './services/community-service.js';
import { AuditService } from './services/audit-service.js';
import { CliAuditLog, cliAuditPath } from './services/cli-audit-log.js';
import { EventRecorder } from './services/event-recorder.js';
import { IdentityService } from './services/identity-service.js';
import { IndicatorService } from './services/indicator-service.js';
import { MemberService } from './services/member-service.js';
import { ReviewFindings } from './services/review-findings.js';
import { NoticeService } from './services/notice-service.js';
import type { Viewer } from './policy/policy.js';
import { PeopleService } from './services/people-service.js';
import { VulnerabilityService } from './services/vulnerability-service.js';
import type { Store } from './store/ports.js';
import { and } from './store/queries.js';
import { vulnerabilityVisibility } from './policy/policy.js';
import { VulnerabilityWorkflow } from './services/vulnerability-workflow.js';
import type { DisclosureClocks } from './domain/disclosure-clocks.js';
import { CursorCodec } from './util/cursor-codec.js';
import { PeerCredentials } from './federation/peer-credentials.js';
import type { PullerState } from './federation/peer-puller.js';
import { PeerService } from './federation/peer-service.js';
import { ModelReviewService } from './services/model-review-service.js';

export interface HubServicesOptions {
  config: HubConfig;
  store: Store;
  bus: EventBus;
  secrets: HubSecrets;
  log: Logger;
  /** The clock services stamp by; default the real one. */
  now?: (() => Date) | undefined;
  /** Ids of new records; default `crypto.randomUUID`. */
  randomUUID?: (() => string) | undefined;
  /** This running instance, in leases (the warned-by job's). Default a random name. */
  instanceId?: string;
  /** The warning lists; default the vendored ones (loaded here). Tests give other lists to play a hub release. */
  warningLists?: WarningListSet;
  /** Says how a token was issued in the audit log: by the running hub or by the CLI. Default `hub`. */
  issuedVia?: 'hub' | 'cli';
}

/** What `buildServices` makes. */
export interface HubServices {
  services: Services;
  /** Signs tokens with the hub's own key; every token issued is audited. */
  tokens: TokenIssuer;
  /** Turns credentials into viewers: the one place roles, tier and suspension are resolved. */
  authenticator: Authenticator;
  /** `authenticator.authenticate` with the viewer's current communities: what every transport (and the CLI's `--as`) uses. */
  authenticate: (...args: Parameters<Authenticator['authenticate']>) => Promise<Viewer>;
  cursors: CursorCodec;
  /** Where the running hub attaches its peer pullers (src/federation/peer-pullers.ts): their state for `peers`, and news of changed settings. */
  pullers: PullerHooks;
}

/** The peer pullers as the services see them; replaced by the server's own once it runs them. */
export interface PullerHooks {
  state: (peerId: string) => PullerState | null;
  changed: (peerId: string) => void;
}

export async function buildServices(options: HubServicesOptions): Promise<HubServices> {
  const { config, store, bus, secrets, log } = options;
  const cursors = new CursorCodec(secrets.cursorKey);
  const stamps = { now: options.now, randomUUID: options.randomUUID };

  // Stored score bases (issue 16): rewritten for every claim of a member whose tier changed.
  const scoreBases = new ScoreBaseService({
    indicators: store.indicators,
    members: store.members,
    onUnsettled: (id) => log.warn({ indicator: id }, 'could not store the score bases of an indicator (written over meanwhile); the next change of it or a tier rewrite fixes them'),
    // A batch of the backfill or of a member's rewrite commits once (SQLite: one fsync, not 1,000).
    ...(store.events.appendWith ? { inOneCommit: <T>(work: () => Promise<T>) => store.events.appendWith!(async () => ({ value: await work(), events: [] })).then((r) => r.value) } : {}),
  });
  // The lifecycle's services are built below with `members`: handed over as getters, read when first used.
  const members: MemberService = new MemberService(store.members, (id) => bus.memberChanged(id), {
    onTierChanged: (id) =>
      scoreBases.rewriteMember(id).then(
        (n) => void (n > 0 && log.info({ member: id, indicators: n }, "rewrote the score bases of a member's indicators for its tier")),
        (err: unknown) => log.error({ err, member: id }, "rewriting the score bases of a member's indicators failed; the next start finishes it"),
      ),
    audit: (): AuditService => audit,
    approvals: (): ApprovalService => approvals,
    apiKeys: (): ApiKeyService => apiKeys,
    identity: (): IdentityService => identity,
    people: (): PeopleService => people,
    ...(stamps.now ? { now: stamps.now } : {}),
  });
  const events = new EventRecorder(store.events, bus, stamps.now);
  const audit = new AuditService({
    audit: store.audit,
    sequences: store.sequences,
    members,
    cursors,
    cliLog: new CliAuditLog(cliAuditPath(config.dataDir)),
    onInvalidCliLines: (count) => log.warn({ count, file: cliAuditPath(config.dataDir) }, 'skipped malformed CLI audit lines'),
    // The key that checks the audit chain's checkpoints, shown to hub-admins (docs/audit.md).
    verificationKey: { ...(await exportJWK(secrets.verifyKey)), kid: secrets.kid, alg: 'EdDSA', use: 'sig' },
    ...stamps,
  });
  const communities = new CommunityService({ communities: store.communities, members, audit, onMemberChanged: (id) => bus.memberChanged(id), ...stamps });
  // Loaded once at start: a hub that cannot read its warning lists refuses to start.
  const warningLists = options.warningLists ?? new WarningListSet(loadVendoredLists());
  const warnedBy = new WarnedByComputer(warningLists);
  // Members' own lists: held in memory, re-checked every few seconds for other instances' changes.
  // Their FALSE_POSITIVE lists join warnedBy (stored on claims) as they appear, change or go, and
  // count in a viewer's excludeWarned only where it may see them.
  const memberWarningLists = new MemberWarningLists({
    lists: store.warningLists,
    onChange: ({ doc, set }) => (set && doc.category === 'false_positive' ? warnedBy.setList(doc._id, set) : warnedBy.removeList(doc._id)),
  });
  warnedBy.seenMemberLists((viewer) => memberWarningLists.falsePositiveIds(viewer));
  // Built here so that services changing a list can queue its re-scan; the server starts it (main.ts).
  const warnedByJob = new WarnedByRecompute({
    indicators: store.indicators,
    jobs: store.jobStates,
    leases: store.leases,
    holder: options.instanceId ?? `services:${newUUID()}`,
    computer: warnedBy,
    // Members' lists as the store has them now, not up to 2 s late: a scan must not flag by a list this instance has not read yet.
    beforeTick: () => memberWarningLists.refresh(),
    onError: (err) => log.error({ err }, 'warned-by recompute failed'),
    ...(stamps.now ? { now: stamps.now } : {}),
  });
  const decay = new DecayService({ models: store.decayModels, audit, ...(stamps.now ? { now: stamps.now } : {}) });
  const indicators = new IndicatorService({
    decay,
    fpAlertMembers: config.fpAlertMembers,
    indicators: store.indicators,
    idempotency: store.idempotency,
    sequences: store.sequences,
    sightings: store.sightings,
    members,
    communities,
    cursors,
    idempotencyTtlMs: config.idempotencyTtlMs,
    audit,
    events,
    warningScreen: new PublishScreen(warningLists, config.warningListPolicy, memberWarningLists),
    holds: () => approvals,
    warnedBy,
    scoreBases,
    ...stamps,
  });
  // A model review's findings: filing under a review, the findings and summary each viewer reads.
  const reviewFindings = new ReviewFindings({ modelReviews: store.modelReviews, notices: store.notices, vulnerabilities: store.vulnerabilities, sequences: store.sequences, events, ...stamps });
  const notices = new NoticeService({ notices: store.notices, sequences: store.sequences, members, communities, indicators, cursors, audit, events, reviews: reviewFindings, ...stamps });
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
    communities,
    identity,
    audit,
    events,
    cursors,
    ttlMs: config.approvalTtlMs,
    vulnerabilities: () => vulnerabilityWorkflow,
    peers: () => peers,
    modelReviews: () => modelReviews,
    ...stamps,
  });
  const vulnerabilityWorkflow = new VulnerabilityWorkflow({
    vulnerabilities: store.vulnerabilities,
    visible: async (viewer, id) => (await store.vulnerabilities.find(and({ _id: id }, vulnerabilityVisibility(viewer, stamps.now?.() ?? new Date()))))[0] ?? null,
    sequences: store.sequences,
    memberName: async (id) => (await members.get(id))?.name ?? null,
    audit,
    events,
    approvals: () => approvals,
    clocks: disclosureClocksOf(config),
    ...(stamps.now ? { now: stamps.now } : {}),
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
  const vulnerabilities = new VulnerabilityService({
    vulnerabilities: store.vulnerabilities,
    sequences: store.sequences,
    idempotency: store.idempotency,
    idempotencyTtlMs: config.idempotencyTtlMs,
    members,
    notices,
    cursors,
    audit,
    events,
    schedule: { pocDelayMs: config.pocDelayMs },
    publisher: config.exportPublisher,
    reviews: reviewFindings,
    ...stamps,
  });
  // The pullers run in the server only (main.ts attaches them); the CLI sees peers without their state.
  const pullers: PullerHooks = { state: () => null, changed: () => {} };
  const peers = new PeerService({
    members: store.members,
    memberService: members,
    approvals: () => approvals,
    audit,
    credentials: new PeerCredentials(secrets.cursorKey),
    hubId: config.hubId,
    pullerState: (id) => pullers.state(id),
    onChanged: (id) => {
      bus.memberChanged(id);
      pullers.changed(id);
    },
    ...(stamps.now ? { now: stamps.now } : {}),
  });
  const modelReviews: ModelReviewService = new ModelReviewService({
    reviews: store.modelReviews,
    notices: store.notices,
    vulnerabilities: store.vulnerabilities,
    sequences: store.sequences,
    members: { getMany: (ids) => members.getMany(ids), list: () => store.members.list() },
    audit,
    events,
    approvals: () => approvals,
    cursors,
    windowMs: config.reviewWindowMs,
    defaultTier: config.reviewDefaultTier,
    schedule: { pocDelayMs: config.pocDelayMs },
    ...stamps,
  });
  const warningListRecords = new WarningListService({
    lists: store.warningLists,
    sequences: store.sequences,
    communities,
    audit,
    inForce: memberWarningLists,
    vendored: warningLists,
    // Claims' stored warnedBy follows a FALSE_POSITIVE list's publication, replacement or revocation.
    onChanged: (doc, before) => {
      const flagged = [doc, before].filter((d) => d?.category === 'false_positive');
      if (flagged.length) return warnedByJob.listChanged(doc._id, [...new Set(flagged.flatMap((d) => d!.indicatorTypes))]);
    },
    ...stamps,
  });
  const services: Services = { members, indicators, notices, identity, approvals, audit, events, apiKeys, communities, people, vulnerabilities, vulnerabilityWorkflow, modelReviews, reviewFindings, peers, decay, warningLists, scoreBases, warnedBy, warnedByJob, memberWarningLists, warningListRecords };

  const issuedVia = options.issuedVia ?? 'hub';
  const tokens = new TokenIssuer({
    secrets,
    issuer: config.issuer,
    audience: config.audience,
    maxLifetimeMs: config.tokenMaxLifetimeMs,
    onIssued: (issued) => audit.tokenIssued(issued, issuedVia),
  });
  const authenticator = new Authenticator({
    secrets,
    issuer: config.issuer,
    audience: config.audience,
    maxLifetimeMs: config.tokenMaxLifetimeMs,
    clockToleranceMs: config.clockToleranceMs,
    maxHops: config.maxHops,
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
  // Every request is judged with the communities its member belongs to now (read from the store,
  // never from a token): a TLP:RED record naming a community is shared with its current members.
  const authenticate = async (...args: Parameters<Authenticator['authenticate']>) => communities.withCurrentCommunities(await authenticator.authenticate(...args));
  return { services, tokens, authenticator, authenticate, cursors, pullers };
}

/** The clearinghouse's clocks as configured (`HUB_DISCLOSURE_DEADLINE` ... `HUB_POC_DELAY`). */
export function disclosureClocksOf(config: Pick<HubConfig, 'disclosureClocks' | 'pocDelayMs'>): DisclosureClocks {
  return { ...config.disclosureClocks, pocDelayMs: config.pocDelayMs };
}
