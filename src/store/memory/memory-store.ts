import { memberMatches } from '../queries.js';
import type { IndicatorDoc, Member, NoticeDoc, SightingDoc } from '../../domain/types.js';
import type {
  MemberGuard,
  MemberUpdate,
  ClaimUpsert,
  ClaimUpsertResult,
  IdempotencyRecord,
  IdempotencyRepository,
  IndicatorRepository,
  MemberRepository,
  NoticeRepository,
  SequenceRepository,
  SightingRepository,
  Store,
} from '../ports.js';
import { MemoryCollection } from './memory-collection.js';
import { MemoryEventLog } from './memory-events.js';
import type { IdentityProviderRegistration } from '../../domain/types.js';
import type { IdentityProviderRepository } from '../ports.js';
import { MemoryApprovals } from './memory-approvals.js';
import { MemoryAudit } from './memory-audit.js';
import { MemoryApiKeys } from './memory-api-keys.js';
import { MemoryCommunities } from './memory-communities.js';
import { MemoryPeople } from './memory-people.js';
import { MemoryLeases } from './memory-leases.js';
import { MemoryRateLimits } from './memory-rate-limits.js';
import { MemoryVulnerabilities } from './memory-vulnerabilities.js';
import { MemoryModelReviews } from './memory-model-reviews.js';
import { MemoryTaxiiStatuses } from './memory-taxii-statuses.js';
import { MemoryDecayModels } from './memory-decay-models.js';
import { MemoryWarningLists } from './memory-warning-lists.js';
import { MemoryJobStates } from './memory-job-states.js';
import { MemoryStixVersions } from './memory-stix-versions.js';
import { collectionAccess, mapAccess } from './memory-access.js';
import { scanSorted } from './memory-audit.js';
import type { CollectionAccess, StoreCollections } from '../ports.js';

const claimKey = (k: ClaimUpsert['key']): string => `${k.source}\u0000${k.type}\u0000${k.value}`;

/** Strings in code-unit order, as MongoDB sorts them (not localeCompare, which puts "a" before "B"). */
const binaryOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Answer a lookup by value for exactly the claims a viewer may see (own, named recipient, TLP
 * within its tier), in this order of preference, so a lookup never reads a claim hidden from it.
 */
export const INDICATOR_COMPOUND_INDEXES = [
  ['value', 'source'],
  ['value', 'recipients'],
  ['value', 'tlp'],
  // By id (indicator, node, stixBundle, replays): a hidden indicator is never read, so an id
  // that exists but is hidden costs what an id that does not exist costs.
  ['_id', 'source'],
  ['_id', 'recipients'],
  ['_id', 'tlp'],
] as const;

/** Notices by id, as for indicators; `status` so that another member's DRAFT is not read either. */
export const NOTICE_COMPOUND_INDEXES = [['_id', 'source'], ['_id', 'recipients', 'status'], ['_id', 'tlp', 'status']] as const;

class MemoryIndicators implements IndicatorRepository {
  private readonly docs = new MemoryCollection<IndicatorDoc>(['_id', 'value'], INDICATOR_COMPOUND_INDEXES);
  /** The unique (source, type, value) index: one claim per member and value. */
  private readonly byClaim = new Map<string, string>();
  readonly access = collectionAccess(this.docs, 'indicator', (doc) => this.byClaim.set(claimKey(doc), doc._id));

  async find(...args: Parameters<IndicatorRepository['find']>) {
    return this.docs.find(...args);
  }

  async count(filter: Parameters<IndicatorRepository['count']>[0], options?: Parameters<IndicatorRepository['count']>[1]) {
    return this.docs.count(filter, options?.limit);
  }

  async upsertClaims(upserts: readonly ClaimUpsert[]): Promise<ClaimUpsertResult[]> {
    return upserts.map((u) => {
      const key = claimKey(u.key);
      const existingId = this.byClaim.get(key);
      const existing = existingId ? this.docs.get(existingId) : undefined;
      if (existing) {
        this.docs.put(Object.assign({}, existing, u.set) as IndicatorDoc);
        return { id: existing._id, created: false };
      }
      // Object.assign, not spreads: on Node 20 spreading these objects costs ~25x more per item.
      const doc = Object.assign({}, u.key, u.onInsert, u.set) as IndicatorDoc;
      this.docs.put(doc);
      this.byClaim.set(key, doc._id);
      return { id: doc._id, created: true };
    });
  }

  async updateOne(...args: Parameters<IndicatorRepository['updateOne']>) {
    return this.docs.updateOne(...args);
  }
}

class MemoryNotices implements NoticeRepository {
  private readonly docs = new MemoryCollection<NoticeDoc>(['_id'], NOTICE_COMPOUND_INDEXES);
  readonly access = collectionAccess(this.docs, 'notice');

  async find(...args: Parameters<NoticeRepository['find']>) {
    return this.docs.find(...args);
  }

  async count(filter: Parameters<NoticeRepository['count']>[0]) {
    return this.docs.count(filter);
  }

  async insert(doc: NoticeDoc) {
    if (this.docs.get(doc._id)) throw new Error(`duplicate notice id ${doc._id}`);
    this.docs.put(doc);
  }

  async updateOne(...args: Parameters<NoticeRepository['updateOne']>) {
    return this.docs.updateOne(...args);
  }
}

class MemoryMembers implements MemberRepository {
  private readonly members = new Map<string, Member>();
  readonly access = mapAccess(this.members, 'member');

  async findByIds(ids: readonly string[]) {
    return ids.flatMap((id) => this.members.get(id) ?? []);
  }

  async list() {
    return [...this.members.values()].sort((a, b) => binaryOrder(a._id, b._id));
  }

  async put(member: Member) {
    this.members.set(member._id, member);
  }

  async insert(member: Member) {
    if (this.members.has(member._id)) return false;
    this.members.set(member._id, member);
    return true;
  }

  /** Check and write in one synchronous step: nothing else runs in between. */
  async update(id: string, expected: MemberGuard, set: MemberUpdate) {
    const current = this.members.get(id);
    if (!current || !memberMatches(current, expected)) return null;
    const { suspended: _legacy, ...rest } = current;
    const after: Member = { ...(set.status ? rest : current), ...set } as Member;
    this.members.set(id, after);
    return after;
  }
}

class MemoryIdempotency implements IdempotencyRepository {
  private readonly records = new Map<string, IdempotencyRecord>();
  readonly access = mapAccess(this.records, 'idempotency record');

  async reserve(record: IdempotencyRecord) {
    const existing = this.records.get(record._id);
    if (existing && existing.expiresAt.getTime() > Date.now()) return existing;
    this.records.set(record._id, record);
    this.sweep();
    return null;
  }

  async complete(id: string, owner: string, response: unknown) {
    const record = this.records.get(id);
    if (record?.owner === owner) this.records.set(id, { ...record, response });
  }

  async release(id: string, owner: string) {
    if (this.records.get(id)?.owner === owner) this.records.delete(id);
  }

  private sweep(): void {
    if (this.records.size % 256 !== 0) return;
    const now = Date.now();
    for (const [id, r] of this.records) if (r.expiresAt.getTime() <= now) this.records.delete(id);
  }
}

class MemorySightings implements SightingRepository {
  private readonly docs = new MemoryCollection<SightingDoc>(['indicatorId']);
  readonly access = collectionAccess(this.docs, 'sighting');

  async insert(doc: SightingDoc) {
    if (this.docs.get(doc._id)) throw new Error(`duplicate sighting id ${doc._id}`);
    this.docs.put(doc);
  }

  async findByIndicators(indicatorIds: readonly string[]) {
    return this.docs.find({ indicatorId: { $in: [...indicatorIds] } }, { sort: [['reportedAt', -1], ['_id', -1]] });
  }

  async find(...args: Parameters<SightingRepository['find']>) {
    return this.docs.find(...args);
  }
}

class MemorySequences implements SequenceRepository {
  private readonly counters = new Map<string, number>();
  /** As `{_id: <name>, value: <last number given>}`. */
  readonly access: CollectionAccess = {
    scan: () => scanSorted([...this.counters].map(([_id, value]) => ({ _id, value }))),
    load: async (docs) => {
      for (const doc of docs) if (this.counters.has(String(doc._id))) throw new Error(`duplicate sequence ${doc._id}`);
      for (const doc of docs) this.counters.set(String(doc._id), doc.value as number);
    },
  };

  async next(name: string, count = 1) {
    const first = (this.counters.get(name) ?? 0) + 1;
    this.counters.set(name, first + count - 1);
    return first;
  }
}

class MemoryIdentityProviders implements IdentityProviderRepository {
  /** By issuer: the uniqueness the port promises. */
  private readonly byIssuer = new Map<string, IdentityProviderRegistration>();
  readonly access = mapAccess(this.byIssuer, 'identity provider');

  async findByIssuer(issuer: string) {
    return this.byIssuer.get(issuer) ?? null;
  }

  async listByMember(memberId: string) {
    return [...this.byIssuer.values()].filter((r) => r.memberId === memberId).sort((a, b) => binaryOrder(a.issuer, b.issuer));
  }

  async put(registration: IdentityProviderRegistration) {
    const held = this.byIssuer.get(registration.issuer);
    if (held && held.memberId !== registration.memberId) return false;
    this.byIssuer.set(registration.issuer, registration);
    return true;
  }

  async remove(memberId: string, issuer: string) {
    if (this.byIssuer.get(issuer)?.memberId !== memberId) return false;
    return this.byIssuer.delete(issuer);
  }
}

/** The embedded store: everything in this process, nothing persisted. For demo and tests. */
export function createMemoryStore(): Store {
  const audit = MemoryAudit.withAccess();
  const repositories = {
    indicators: new MemoryIndicators(),
    events: new MemoryEventLog(),
    sightings: new MemorySightings(),
    notices: new MemoryNotices(),
    vulnerabilities: new MemoryVulnerabilities(),
    modelReviews: new MemoryModelReviews(),
    members: new MemoryMembers(),
    idempotency: new MemoryIdempotency(),
    sequences: new MemorySequences(),
    identityProviders: new MemoryIdentityProviders(),
    approvals: new MemoryApprovals(),
    audit: audit.audit,
    apiKeys: new MemoryApiKeys(),
    communities: new MemoryCommunities(),
    people: new MemoryPeople(),
    rateLimits: new MemoryRateLimits(),
    leases: new MemoryLeases(),
    taxiiStatuses: new MemoryTaxiiStatuses(),
    stixVersions: new MemoryStixVersions(),
    decayModels: new MemoryDecayModels(),
    warningLists: new MemoryWarningLists(),
    jobStates: new MemoryJobStates(),
  };
  const r = repositories;
  const backup: StoreCollections = {
    members: r.members.access,
    indicators: r.indicators.access,
    notices: r.notices.access,
    sightings: r.sightings.access,
    approvals: r.approvals.access,
    identityProviders: r.identityProviders.access,
    apiKeys: r.apiKeys.access,
    idempotency: r.idempotency.access,
    sequences: r.sequences.access,
    events: r.events.eventsAccess,
    eventLog: r.events.boundsAccess,
    audit: audit.entries,
    auditCheckpoints: audit.checkpoints,
    communities: r.communities.access,
    people: r.people.access,
    vulnerabilities: r.vulnerabilities.access,
    modelReviews: r.modelReviews.access,
    taxiiStatuses: r.taxiiStatuses.access,
    stixVersions: r.stixVersions.access,
    decayModels: r.decayModels.access,
    warningLists: r.warningLists.access,
    jobStates: r.jobStates.access,
  };
  return { ...repositories, backup, async close() {} };
}
