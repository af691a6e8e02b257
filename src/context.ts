import DataLoader from 'dataloader';
import type { PeerService } from './federation/peer-service.js';
import type { Logger } from 'pino';
import { RECORD_LIMITS } from './domain/record-limits.js';
import type { IndicatorDoc, Member, NoticeDoc, SightingDoc } from './domain/types.js';
import type { Viewer } from './policy/policy.js';
import type { VulnerabilityWorkflow } from './services/vulnerability-workflow.js';
import type { EventRecorder } from './services/event-recorder.js';
import type { IndicatorService } from './services/indicator-service.js';
import type { MemberService } from './services/member-service.js';
import type { NoticeService } from './services/notice-service.js';
import type { ApprovalService } from './services/approval-service.js';
import type { AuditService } from './services/audit-service.js';
import type { IdentityService } from './services/identity-service.js';
import type { ApiKeyService } from './services/api-key-service.js';
import type { CommunityService } from './services/community-service.js';
import type { PeopleService } from './services/people-service.js';
import type { VulnerabilityService } from './services/vulnerability-service.js';
import type { VulnerabilityDoc } from './domain/vulnerability.js';
import type { ModelReviewService } from './services/model-review-service.js';
import type { ReviewFindings } from './services/review-findings.js';
import type { WarningListSet } from './warninglists/warning-list-set.js';
import type { MemberWarningLists } from './warninglists/member-warning-lists.js';
import type { WarningListService } from './services/warning-list-service.js';
import type { WarnedByComputer } from './warninglists/warned-by-computer.js';
import type { WarnedByRecompute } from './services/warned-by-recompute.js';
import type { DecayService } from './services/decay-service.js';
import type { ScoreBaseService } from './services/score-base-service.js';

/** The services the composition root builds, handed to every request. */
export interface Services {
  members: MemberService;
  indicators: IndicatorService;
  notices: NoticeService;
  approvals: ApprovalService;
  audit: AuditService;
  identity: IdentityService;
  apiKeys: ApiKeyService;
  communities: CommunityService;
  /** Persons: who acts for each member. */
  people: PeopleService;
  /** Appends changes to the alert event log. */
  events: EventRecorder;
  /** The clearinghouse: intake, reads and each viewer's view of a case. */
  vulnerabilities: VulnerabilityService;
  /** The clearinghouse's steps after a case is submitted (docs/clearinghouse.md). */
  vulnerabilityWorkflow: VulnerabilityWorkflow;
  /** Peer hubs (federation, docs/federation.md). */
  peers: PeerService;
  /** Pre-deployment model reviews (docs/model-reviews.md): scheduling, reviewers, dates, close, cancel, reads. */
  modelReviews: ModelReviewService;
  /** A model review's findings: filing under a review, the findings and summary each viewer reads (issue 14). */
  reviewFindings: ReviewFindings;
  /** The warning lists loaded at start (docs/intel-quality.md, "Warning lists"). */
  warningLists: WarningListSet;
  /** Members' own warning lists in force, matched per viewer (only the lists it may see). */
  memberWarningLists: MemberWarningLists;
  /** Members' own warning lists: publish, replace, revoke, read (docs/intel-quality.md, "Members' own lists"). */
  warningListRecords: WarningListService;
  /** Which FALSE_POSITIVE lists a value is on (`warnedBy`) and which apply for a viewer (`excludeWarned`). */
  warnedBy: WarnedByComputer;
  /** Rewrites claims' `warnedBy` when lists change (`listChanged`); started by the server, not the CLI. */
  warnedByJob: WarnedByRecompute;
  /** Indicator scores that decay, read at the clock's now (docs/intel-quality.md). */
  decay: DecayService;
  /** The indicators' stored score bases: kept right after writes and tier changes, filled at start. */
  scoreBases: ScoreBaseService;
}

/** Per-request batching: one store call per kind of record per tick, whatever the page size. */
export interface Loaders {
  member: DataLoader<string, Member | null>;
  indicator: DataLoader<string, IndicatorDoc | null>;
  notice: DataLoader<string, NoticeDoc | null>;
  /** Clearinghouse cases the viewer may see, by id. */
  vulnerability: DataLoader<string, VulnerabilityDoc | null>;
  /** Sightings by indicator id. */
  sightings: DataLoader<string, SightingDoc[]>;
}

/** What every resolver receives. */
export interface HubContext {
  viewer: Viewer;
  services: Services;
  loaders: Loaders;
  requestId: string;
  log: Logger;
  /** Gated field coordinates withheld from this response (`extensions.redacted`). */
  redacted: Set<string>;
}

function byId<T extends { _id: string }>(ids: readonly string[], docs: readonly T[]): Array<T | null> {
  const found = new Map(docs.map((d) => [d._id, d]));
  return ids.map((id) => found.get(id) ?? null);
}

export function createLoaders(services: Services, viewer: Viewer): Loaders {
  return {
    member: new DataLoader(async (ids) => byId(ids, await services.members.getMany(ids))),
    indicator: new DataLoader(async (ids) => byId(ids, await services.indicators.byIds(viewer, ids))),
    notice: new DataLoader(async (ids) => byId(ids, await services.notices.byIds(viewer, ids))),
    vulnerability: new DataLoader(async (ids) => byId(ids, await services.vulnerabilities.byIds(viewer, ids))),
    sightings: new DataLoader(async (ids) => {
      const byIndicator = new Map<string, SightingDoc[]>(ids.map((id) => [id, []]));
      // Newest first (the store's order), at most RECORD_LIMITS.sightingsShown per indicator.
      for (const s of await services.indicators.sightingsOf(ids)) {
        const list = byIndicator.get(s.indicatorId);
        if (list && list.length < RECORD_LIMITS.sightingsShown) list.push(s);
      }
      return ids.map((id) => byIndicator.get(id)!);
    }),
  };
}

/**
 * A request's context. Loaders and the request's child logger are made on first use: a
 * long-lived subscription's context never needs them, and ten thousand idle subscribers should
 * not each hold them. The lazy getters live on the prototype and their state in own fields, so
 * that a shallow copy (Apollo copies every context with `Object.assign`) stays lazy: getters in
 * an object literal would be called by the copy, making both on every HTTP request (~35 µs).
 */
class RequestContext implements HubContext {
  readonly redacted = new Set<string>();
  private madeLoaders: Loaders | undefined = undefined;
  private childLog: Logger | undefined = undefined;

  constructor(
    readonly services: Services,
    readonly viewer: Viewer,
    readonly requestId: string,
    /** The parent logger; `log` is the request's child of it, carrying the request id. */
    private readonly parentLog: Logger,
  ) {}

  get loaders(): Loaders {
    return (this.madeLoaders ??= createLoaders(this.services, this.viewer));
  }

  get log(): Logger {
    return (this.childLog ??= this.parentLog.child({ requestId: this.requestId }));
  }
}

export function createContext(services: Services, viewer: Viewer, requestId: string, log: Logger): HubContext {
  return new RequestContext(services, viewer, requestId, log);
}
