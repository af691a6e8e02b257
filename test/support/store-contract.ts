/**
 * The store port's contract: what a caller of each repository relies on, run against every
 * adapter (test/store-contract.test.ts). The filters, sorts and updates are the ones the services
 * send (queries.ts, policy.ts), so an adapter that passes runs the hub's own query logic.
 */
import type { MemberWarningListDoc } from '../../src/domain/member-warning-list.js';
import { withId } from '../../src/domain/with-id.js';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiKeyDoc } from '../../src/domain/api-key.js';
import type { CommunityDoc } from '../../src/domain/community.js';
import type { NewEvent } from '../../src/domain/events.js';
import { stixVersionKey, type StixVersionDoc, type TaxiiStatusDoc } from '../../src/domain/taxii-write.js';
import { PersonConflictError, type PersonDoc } from '../../src/domain/person.js';
import type {
  ApprovalRequestDoc,
  AuditCheckpoint,
  AuditEntry,
  IdentityProviderRegistration,
  IndicatorDoc,
  Member,
  NoticeDoc,
  SightingDoc,
} from '../../src/domain/types.js';
import { approvalVisibility, auditVisibility, indicatorVisibility, modelReviewVisibility, noticeVisibility, taxiiExclusion, vulnerabilityVisibility, type Viewer } from '../../src/policy/policy.js';
import type { NewVulnerabilityDoc, VendorStatusEntry } from '../../src/domain/vulnerability.js';
import { DEFAULT_SCHEDULE } from '../../src/domain/vulnerability-stage.js';
import { MODEL_REVIEW_STATUSES, modelReviewStatus, type ModelReviewDoc, type ModelReviewStatus } from '../../src/domain/model-review.js';
import { STORE_COLLECTIONS, type ClaimUpsert, type ClaimUpsertResult, type IdempotencyRecord, type SortSpec, type Store, type StoredDocument } from '../../src/store/ports.js';
import {
  and,
  approvalStatusFilter,
  auditFilter,
  indicatorFilter,
  keysetAfter,
  MODEL_REVIEW_CLOSE_ORDER,
  MODEL_REVIEW_LIST_ORDER,
  modelReviewFilter,
  modelReviewsDueToClose,
  noticeFilter,
  possibleDuplicatesFilter,
  sortFor,
  sortValues,
  vulnerabilityFilter,
  warnedExclusion,
} from '../../src/store/queries.js';

import { decayScore, decaysAt, DEFAULT_DECAY_MODELS, type DecayModel } from '../../src/domain/decay-model.js';
import type { IndicatorType } from '../../src/domain/types.js';

/** Times near now: a TTL index on a store under test must not expire what a test just wrote. */
const BASE = Date.now() - 3_600_000;
const at = (seconds: number) => new Date(BASE + seconds * 1_000);

const member = (memberId: string, tier: Viewer['tier'] = 'COMMUNITY', roles: Extract<Viewer, { kind: 'member' }>['roles'] = ['reader']): Viewer =>
  ({ kind: 'member', memberId, userId: `u@${memberId}`, roles, tier }) as Viewer;
const ANON: Viewer = { kind: 'anonymous', tier: 'PUBLIC' };

function indicator(n: number, over: Partial<IndicatorDoc> = {}): IndicatorDoc {
  return {
    ...withId(`indicator--${String(n).padStart(4, '0')}`),
    type: 'DOMAIN',
    value: `host${n}.example`,
    submittedValue: `host${n}[.]example`,
    tlp: 'GREEN',
    recipients: [],
    severity: 'MEDIUM',
    severityRank: 2,
    confidence: 50,
    validFrom: at(n),
    validUntil: null,
    tags: [],
    description: null,
    sightingCount: 0,
    lastSeenAt: null,
    revoked: false,
    revokedReason: null,
    source: 'm-a',
    createdAt: at(n),
    updatedAt: at(n),
    seq: n,
    ...over,
  };
}

/** The upsert the IndicatorService would send for `doc`. */
function claimOf(doc: IndicatorDoc): ClaimUpsert {
  const { _id, createdAt, sightingCount, lastSeenAt, source, type, value, ...set } = doc;
  return { key: { source, type, value }, onInsert: { _id, createdAt, sightingCount, lastSeenAt }, set };
}

/** A result without the optional `doc` (adapters differ in giving it). */
const idAndCreated = ({ id, created }: ClaimUpsertResult) => ({ id, created });

async function seedIndicators(store: Store, docs: IndicatorDoc[]): Promise<void> {
  const results = await store.indicators.upsertClaims(docs.map(claimOf));
  expect(results.every((r) => r.created)).toBe(true);
}

function notice(n: number, over: Partial<NoticeDoc> = {}): NoticeDoc {
  return {
    ...withId(`x-model-risk-notice--${String(n).padStart(4, '0')}`),
    title: `Notice ${n}`,
    summary: 'summary',
    model: { name: 'Model-A', developer: 'Lab', version: null },
    category: 'JAILBREAK',
    severity: 'HIGH',
    severityRank: 3,
    tlp: 'GREEN',
    recipients: [],
    status: 'PUBLISHED',
    embargoUntil: null,
    atlasTechniques: ['AML.T0054'],
    owaspLlm: ['LLM01:2025'],
    mitigations: null,
    technicalDetails: null,
    evaluationEvidence: null,
    affectedDeployments: [],
    relatedIndicatorIds: [],
    source: 'm-a',
    createdAt: at(n),
    updatedAt: at(n),
    seq: n,
    ...over,
  };
}

function vulnerability(n: number, over: Partial<NewVulnerabilityDoc> = {}): NewVulnerabilityDoc {
  return {
    ...withId(`vulnerability--${String(n).padStart(4, '0')}`),
    title: `Flaw ${n}`,
    summary: 'summary',
    severity: 'HIGH',
    severityRank: 3,
    cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', baseScore: 9.8 },
    cwes: ['CWE-787'],
    cveId: null,
    affected: [{ vendorId: 'm-v', vendorName: 'Vendor V', product: 'Widget Server', versions: '< 2.0', purl: 'pkg:npm/widget-server@1.9.0', cpe: null }],
    discovery: { method: 'AI_MODEL', model: { name: 'Model-A', developer: 'Lab', version: null }, humanValidated: true },
    credits: [],
    proofOfConcept: 'poc',
    technicalDetails: null,
    suggestedFix: null,
    exploited: false,
    relatedNoticeIds: [],
    source: 'm-a',
    reportedBy: { memberId: 'm-a', userId: 'alice' },
    participants: [],
    status: 'RECEIVED',
    validation: null,
    vendorStatuses: [],
    embargo: { state: 'NONE', endsAt: null, proposedBy: null, reason: null, acceptedBy: [] },
    deadlineAt: null,
    publishedAt: null,
    duplicateOf: null,
    possibleDuplicateIds: [],
    createdAt: at(n),
    updatedAt: at(n),
    seq: n,
    ...over,
  };
}

function modelReview(n: number, over: Partial<ModelReviewDoc> = {}): ModelReviewDoc {
  return {
    _id: `x-model-review--${String(n).padStart(4, '0')}`,
    model: { name: `Model-${n}`, developer: 'Lab', version: null },
    description: `Review ${n}`,
    lab: 'm-lab',
    scheduledBy: { memberId: 'm-lab', userId: 'lab-admin' },
    plannedDeploymentAt: at(1_000 + n),
    windowOpensAt: at(n),
    closesAt: at(1_000 + n),
    cancelledAt: null,
    cancelReason: null,
    reviewers: ['m-r1', 'm-r2'],
    invited: ['m-r2'],
    summaryPublic: false,
    closeAnnouncedAt: null,
    createdAt: at(0),
    updatedAt: at(0),
    seq: n,
    ...over,
  };
}

function vendorEntry(vendorId: string, notifiedAt: Date | null): VendorStatusEntry {
  return { vendorId, status: 'UNKNOWN', notifiedAt, queuedAt: notifiedAt ? null : at(1), acknowledgedAt: null, escalatedAt: null, fixedIn: null, note: null, updatedAt: at(1) };
}

function memberDoc(id: string, over: Partial<Member> = {}): Member {
  return { _id: id, name: `Member ${id}`, kind: 'ENTERPRISE', tier: 'COMMUNITY', sector: 'energy', country: 'NL', allowedRoles: ['reader'], status: 'ACTIVE', createdAt: at(0), ...over };
}

function approval(n: number, over: Partial<ApprovalRequestDoc> = {}): ApprovalRequestDoc {
  return {
    _id: `approval--${String(n).padStart(4, '0')}`,
    kind: 'LOWER_TLP',
    target: { kind: 'INDICATOR', id: `indicator--${n}` },
    ownerMemberId: 'm-a',
    change: { tlp: 'GREEN' },
    expected: { tlp: 'AMBER' },
    requestedBy: { memberId: 'm-a', userId: 'alice' },
    reason: 'shared with the sector',
    status: 'PENDING',
    decidedBy: null,
    decidedAt: null,
    decisionReason: null,
    createdAt: at(n),
    expiresAt: new Date(Date.now() + 3_600_000),
    seq: n,
    ...over,
  };
}

function auditEntry(n: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    _id: `audit--${String(n).padStart(4, '0')}`,
    seq: n,
    at: at(n),
    action: 'PUBLISH',
    actor: { memberId: 'm-a', userId: 'alice' },
    memberId: 'm-a',
    target: { kind: 'INDICATOR', id: `indicator--${n}` },
    summary: `entry ${n}`,
    details: { created: [`indicator--${n}`], count: n, nested: { ok: true, none: null } },
    ...over,
  };
}

function registration(issuer: string, memberId: string, over: Partial<IdentityProviderRegistration> = {}): IdentityProviderRegistration {
  return {
    _id: issuer,
    memberId,
    issuer,
    audience: 'the-hub',
    jwksUri: null,
    jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k1', alg: 'EdDSA' }] },
    rolesClaim: 'roles',
    allowedAlgorithms: ['EdDSA'],
    createdAt: at(0),
    updatedAt: at(0),
    ...over,
  };
}

function apiKey(id: string, memberId: string, over: Partial<ApiKeyDoc> = {}): ApiKeyDoc {
  return {
    _id: id,
    memberId,
    name: `key ${id}`,
    roles: ['reader'],
    secretHash: 'ab'.repeat(32),
    createdBy: { memberId, userId: 'admin' },
    createdAt: at(0),
    expiresAt: null,
    revokedAt: null,
    revokedBy: null,
    lastUsedAt: null,
    ...over,
  };
}

function community(n: number, owner: string, members: string[], over: Partial<CommunityDoc> = {}): CommunityDoc {
  return {
    _id: `community--${String(n).padStart(4, '0')}`,
    name: `Community ${n}`,
    description: '',
    ownerMemberId: owner,
    members,
    createdAt: at(0),
    createdBy: { memberId: owner, userId: 'admin' },
    updatedAt: at(0),
    ...over,
  };
}

function person(id: string, memberId: string, over: Partial<PersonDoc> = {}): PersonDoc {
  return {
    _id: id,
    memberId,
    displayName: `person ${id}`,
    email: `${id}@example.org`,
    roles: ['reader'],
    status: 'ACTIVE',
    identities: [],
    createdAt: at(0),
    updatedAt: at(0),
    createdBy: null,
    version: 1,
    ...over,
  };
}

function newEvent(seconds: number, recordId = 'indicator--0001'): NewEvent {
  return {
    type: 'PUBLISHED',
    kind: 'INDICATOR',
    recordId,
    occurredAt: at(seconds),
    before: null,
    after: { source: 'm-a', tlp: 'RED', recipients: ['m-b'] },
  };
}

const ids = (docs: ReadonlyArray<{ _id: unknown }>) => docs.map((d) => d._id);

function taxiiStatus(id: string, memberId: string, expiresAt: Date): TaxiiStatusDoc {
  return {
    _id: id,
    memberId,
    status: 'complete',
    requestTimestamp: at(1),
    totalCount: 2,
    successCount: 1,
    successes: [{ id: 'indicator--00000000-0000-4000-8000-000000000001', version: '2026-01-01T00:00:00Z', message: 'created' }],
    failureCount: 1,
    failures: [{ id: 'indicator--00000000-0000-4000-8000-000000000002', version: '2026-01-01T00:00:00Z', message: 'pattern: not supported' }],
    pendingCount: 0,
    pendings: [],
    expiresAt,
  };
}

function stixVersion(memberId: string, stixId: string, modified: string, extra: Partial<StixVersionDoc> = {}): StixVersionDoc {
  return { _id: stixVersionKey(memberId, stixId), memberId, stixId, modified, recordId: 'indicator--0001', writtenAt: at(1), ...extra };
}

/**
 * Registers the contract suite for one adapter. `makeStore` gives a fresh, empty store for each
 * test (its `close()` runs after the test); `cleanup` runs once after the suite.
 */
/** A member's warning list as stored, for the contract. */
function warningList(id: string, source: string, name: string, seq: number, over: Partial<MemberWarningListDoc> = {}): MemberWarningListDoc {
  const t = new Date('2026-01-01T00:00:00Z');
  return { _id: id, source, name, type: 'cidr', category: 'false_positive', indicatorTypes: ['IPV4', 'IPV6', 'CIDR'], entries: ['198.51.100.0/24', '203.0.113.9'], description: null, tlp: 'AMBER', recipients: [], version: 1, revoked: false, revokedReason: null, createdAt: t, updatedAt: t, seq, ...over };
}

export function storeContract(name: string, makeStore: () => Promise<Store>, cleanup?: () => Promise<void>): void {
  describe(`store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });
    if (cleanup) afterAll(cleanup);

    describe('indicators', () => {
      it('creates one claim per new (source, type, value), answering in input order with the inserted ids', async () => {
        const docs = [indicator(1), indicator(2), indicator(3)];
        const results = await store.indicators.upsertClaims(docs.map(claimOf));
        expect(results.map(idAndCreated)).toEqual(docs.map((d) => ({ id: d._id, created: true })));
        const found = await store.indicators.find({}, { sort: [['seq', 1]] });
        expect(found).toEqual(docs);
      });

      it('answers, where it gives one, the document each upsert left: what a read returns', async () => {
        const first = indicator(1);
        const again = indicator(2, { value: first.value, confidence: 99, tags: ['c2'] });
        const other = indicator(3);
        const results = await store.indicators.upsertClaims([claimOf(first), claimOf(again), claimOf(other)]);
        const [afterFirst, afterAgain, afterOther] = results.map((r) => r.doc);
        if (afterFirst) expect(afterFirst).toEqual(first);
        if (afterAgain) expect(afterAgain).toEqual((await store.indicators.find({ _id: first._id }))[0]);
        if (afterOther) expect(afterOther).toEqual((await store.indicators.find({ _id: other._id }))[0]);
      });

      it('updates the same member\'s claim on the same value, keeping its id and creation fields', async () => {
        const first = indicator(1);
        await seedIndicators(store, [first]);
        const again = indicator(9, { value: first.value, severity: 'HIGH', severityRank: 3, tags: ['phishing'] });
        const [result] = await store.indicators.upsertClaims([claimOf(again)]);
        expect(idAndCreated(result!)).toEqual({ id: first._id, created: false });
        const [doc] = await store.indicators.find({ _id: first._id });
        expect(doc).toMatchObject({ _id: first._id, createdAt: first.createdAt, severity: 'HIGH', tags: ['phishing'], seq: 9 });
        expect(await store.indicators.count({})).toBe(1);
      });

      it('keeps another member\'s claim, or the same value as another type, as separate claims', async () => {
        const a = indicator(1, { value: 'shared.example' });
        const b = indicator(2, { value: 'shared.example', source: 'm-b' });
        const c = indicator(3, { value: 'shared.example', type: 'URL' });
        const results = await store.indicators.upsertClaims([a, b, c].map(claimOf));
        expect(results.map((r) => r.created)).toEqual([true, true, true]);
        expect(new Set(results.map((r) => r.id)).size).toBe(3);
        expect(await store.indicators.count({ value: 'shared.example' })).toBe(3);
      });

      it('creates a claim named twice in one batch once, and the later item wins', async () => {
        const first = indicator(1);
        const second = indicator(2, { value: first.value, confidence: 99 });
        const results = await store.indicators.upsertClaims([claimOf(first), claimOf(second)]);
        expect(results.map(idAndCreated)).toEqual([{ id: first._id, created: true }, { id: first._id, created: false }]);
        const [doc] = await store.indicators.find({ _id: first._id });
        expect(doc).toMatchObject({ confidence: 99, seq: 2 });
        expect(await store.indicators.count({})).toBe(1);
      });

      it('answers an empty batch with no results', async () => {
        expect(await store.indicators.upsertClaims([])).toEqual([]);
      });

      it('applies filter, sort and limit, and counts what find matches', async () => {
        await seedIndicators(store, [
          indicator(1, { severity: 'LOW', severityRank: 1 }),
          indicator(2, { severity: 'CRITICAL', severityRank: 4, tags: ['apt'] }),
          indicator(3, { severity: 'HIGH', severityRank: 3, tags: ['apt', 'phishing'] }),
          indicator(4, { severity: 'HIGH', severityRank: 3, revoked: true, revokedReason: 'fp' }),
        ]);
        const sort = sortFor('SEVERITY', 'DESC');
        const filter = indicatorFilter({ minSeverity: 'HIGH', revoked: false });
        expect(ids(await store.indicators.find(filter, { sort }))).toEqual(['indicator--0002', 'indicator--0003']);
        expect(ids(await store.indicators.find({}, { sort, limit: 2 }))).toEqual(['indicator--0002', 'indicator--0004']);
        expect(await store.indicators.count(filter)).toBe(2);
        expect(ids(await store.indicators.find(indicatorFilter({ tags: [' APT '] }), { sort: [['seq', 1]] }))).toEqual(['indicator--0002', 'indicator--0003']);
        expect(ids(await store.indicators.find(indicatorFilter({ updatedSince: at(3) }), { sort: [['seq', 1]] }))).toEqual(['indicator--0003', 'indicator--0004']);
        expect(await store.indicators.find(indicatorFilter({ value: null }, true))).toEqual([]);
      });

      it('counts at most `limit` matches when asked to (countUpTo), through a count table or the rows', async () => {
        const tags = (i: number) => (i === 1 ? ['apt', 'c2'] : i === 2 ? ['c2'] : i % 2 ? ['apt'] : []);
        await seedIndicators(store, [1, 2, 3, 4, 5].map((i) => indicator(i, { tags: tags(i), tlp: i === 5 ? 'AMBER' : 'CLEAR' })));
        expect(await store.indicators.count({}, { limit: 3 })).toBe(3);
        expect(await store.indicators.count({}, { limit: 5 })).toBe(5);
        expect(await store.indicators.count({}, { limit: 9 })).toBe(5);
        expect(await store.indicators.count({ tlp: 'CLEAR' }, { limit: 9 })).toBe(4);
        expect(await store.indicators.count(indicatorFilter({ tags: ['apt'] }), { limit: 2 })).toBe(2);
        expect(await store.indicators.count(indicatorFilter({ tags: ['apt'] }), { limit: 4 })).toBe(3);
        expect(await store.indicators.count(and(indicatorFilter({ tags: ['apt'] }), { tlp: 'CLEAR' }), { limit: 4 })).toBe(2);
        // A record carrying two of the tags asked for is one match.
        expect(await store.indicators.count(indicatorFilter({ tags: ['apt', 'c2'] }), { limit: 9 })).toBe(4);
        expect(await store.indicators.count(indicatorFilter({ tags: ['apt', 'c2'] }), { limit: 3 })).toBe(3);
        expect(await store.indicators.count(and(indicatorVisibility(member('m-x', 'COMMUNITY')), indicatorFilter({ tags: ['apt', 'c2'] })), { limit: 9 })).toBe(3);
      });

      it('answers minScore and excludeDecayed exactly as each claim scores at the instant, in find and in counts', async () => {
        // Claims on both sides of each crossing, to the millisecond: the store's formula is decayScore's.
        const now = at(0);
        const models = new Map(Object.entries(DEFAULT_DECAY_MODELS) as Array<[IndicatorType, DecayModel]>);
        const docs: IndicatorDoc[] = [];
        const types = ['IPV4', 'DOMAIN', 'SHA256'] as const;
        for (const [i, base] of [100, 91, 80, 57, 50, 31, 30, 12, 0].entries()) {
          for (const type of types) {
            for (const least of [90, 50, 30]) {
              const crossing = decaysAt(base, now, { ...models.get(type)!, threshold: least });
              const ages = crossing ? [crossing.getTime() - now.getTime() - 1, crossing.getTime() - now.getTime()] : [0];
              for (const age of ages) {
                const n = docs.length + 1;
                docs.push(indicator(n, { type, value: `h${n}.example`, confidence: base, scoreBase: Math.floor(base * 0.9), scoreBaseOpen: base, lastConfirmedAt: new Date(now.getTime() - age) }));
              }
            }
          }
          // Confirmed in the future (a sighting's seenAt may be), overridden, and never confirmed again for ages.
          const n = docs.length + 1;
          docs.push(indicator(n, { type: types[i % 3], value: `f${n}.example`, scoreBase: base, scoreBaseOpen: base, lastConfirmedAt: new Date(now.getTime() + 30_000) }));
          docs.push(indicator(n + 1, { type: types[i % 3], value: `o${n}.example`, scoreBase: 5, scoreBaseOpen: 5, lastConfirmedAt: at(-3_000_000), scoreOverride: { score: base, reason: 'r', by: 'u', at: now } }));
          docs.push(indicator(n + 2, { type: types[i % 3], value: `a${n}.example`, scoreBase: base, scoreBaseOpen: base, lastConfirmedAt: at(-100_000_000) }));
        }
        await seedIndicators(store, docs);
        for (const field of ['scoreBase', 'scoreBaseOpen'] as const) {
          for (const criteria of [{ minScore: 0 }, { minScore: 1 }, { minScore: 30 }, { minScore: 50 }, { minScore: 90 }, { minScore: 100 }, { excludeDecayed: true }, { excludeDecayed: true, minScore: 40 }]) {
            for (const type of [null, ['IPV4'], ['DOMAIN', 'SHA256']] as Array<IndicatorType[] | null>) {
              const want = docs
                .filter((d) => !type || type.includes(d.type))
                .filter((d) => {
                  const { score, decayed } = decayScore(d[field]!, d.lastConfirmedAt!, now, models.get(d.type)!, d.scoreOverride?.score ?? null);
                  return score >= (criteria.minScore ?? 0) && !(criteria.excludeDecayed && decayed);
                });
              const filter = indicatorFilter({ ...criteria, type }, false, { field, models, now });
              const got = ids(await store.indicators.find(filter, { sort: [['seq', 1]] }));
              expect(got, `${field} ${JSON.stringify(criteria)} ${type}`).toEqual(ids(want));
              expect(await store.indicators.count(filter)).toBe(want.length);
              expect(await store.indicators.count(filter, { limit: 5 })).toBe(Math.min(5, want.length));
            }
          }
        }
      });

      it.each([
        ['UPDATED_AT', 'DESC'],
        ['SEVERITY', 'DESC'],
        ['CREATED_AT', 'ASC'],
        ['CONFIDENCE', 'ASC'],
      ] as const)('pages with keyset cursors (%s %s) through every document once, in order', async (field, direction) => {
        const docs = Array.from({ length: 11 }, (_, i) => indicator(i + 1, { severityRank: i % 3, confidence: (i * 7) % 4, createdAt: at(i % 4) }));
        await seedIndicators(store, docs);
        const sort: SortSpec = sortFor(field, direction);
        const all = ids(await store.indicators.find({}, { sort }));
        const seen: unknown[] = [];
        let after: unknown[] | null = null;
        for (let page = 0; page < 10; page++) {
          const batch: IndicatorDoc[] = await store.indicators.find(and({}, after ? keysetAfter(sort, after) : null), { sort, limit: 4 });
          if (batch.length === 0) break;
          seen.push(...ids(batch));
          after = sortValues(sort, batch[batch.length - 1]! as unknown as Record<string, unknown>);
        }
        expect(seen).toEqual(all);
        expect(new Set(seen).size).toBe(11);
      });

      it('selects exactly the records the policy lets each viewer see', async () => {
        await seedIndicators(store, [
          indicator(1, { tlp: 'CLEAR' }),
          indicator(2, { tlp: 'GREEN' }),
          indicator(3, { tlp: 'AMBER' }),
          indicator(4, { tlp: 'AMBER_STRICT', source: 'm-b' }),
          indicator(5, { tlp: 'RED', recipients: ['m-c'], source: 'm-b' }),
          indicator(6, { tlp: 'RED', recipients: ['m-d'], source: 'm-b' }),
        ]);
        const visible = async (viewer: Viewer) => ids(await store.indicators.find(indicatorVisibility(viewer), { sort: [['seq', 1]] }));
        expect(await visible(ANON)).toEqual(['indicator--0001']);
        expect(await visible(member('m-c', 'COMMUNITY'))).toEqual(['indicator--0001', 'indicator--0002', 'indicator--0005']);
        expect(await visible(member('m-x', 'TRUSTED'))).toEqual(['indicator--0001', 'indicator--0002', 'indicator--0003', 'indicator--0004']);
        expect(await visible(member('m-b', 'COMMUNITY'))).toEqual(['indicator--0001', 'indicator--0002', 'indicator--0004', 'indicator--0005', 'indicator--0006']);
        expect(await store.indicators.count(and({ _id: { $in: ['indicator--0006'] } }, indicatorVisibility(member('m-c', 'CORE'))))).toBe(0);
      });

      it('applies $inc, $max and $set in one update and returns the document after it', async () => {
        await seedIndicators(store, [indicator(1)]);
        const seen = at(100);
        const once = await store.indicators.updateOne({ _id: 'indicator--0001' }, { $inc: { sightingCount: 3 }, $max: { lastSeenAt: seen }, $set: { seq: 50, updatedAt: at(101) } });
        expect(once).toMatchObject({ _id: 'indicator--0001', sightingCount: 3, lastSeenAt: seen, seq: 50, updatedAt: at(101) });
        const twice = await store.indicators.updateOne({ _id: 'indicator--0001' }, { $inc: { sightingCount: 2 }, $max: { lastSeenAt: at(50) }, $set: { seq: 51 } });
        expect(twice).toMatchObject({ sightingCount: 5, lastSeenAt: seen, seq: 51 });
        const [stored] = await store.indicators.find({ _id: 'indicator--0001' });
        expect(stored).toEqual(twice);
      });

      it('matches a whole array, in order, in a compare-and-set on recipients', async () => {
        await seedIndicators(store, [indicator(1, { tlp: 'RED', recipients: ['m-b', 'm-c'] })]);
        expect(await store.indicators.count({ _id: 'indicator--0001', recipients: ['m-c', 'm-b'] })).toBe(0);
        expect(await store.indicators.updateOne({ _id: 'indicator--0001', tlp: 'RED', recipients: ['m-b'] }, { $set: { recipients: [] } })).toBeNull();
        const after = await store.indicators.updateOne({ _id: 'indicator--0001', tlp: 'RED', recipients: ['m-b', 'm-c'] }, { $set: { recipients: ['m-b'] } });
        expect(after!.recipients).toEqual(['m-b']);
        expect(ids(await store.indicators.find({ recipients: ['m-b'] }))).toEqual(['indicator--0001']);
      });

      it('leaves out claims on any of the given warning lists (excludeWarned), in pages and counts alike, whether the flag is absent, empty or set', async () => {
        await seedIndicators(store, [
          indicator(1, { warnedBy: ['misp:rfc1918'] }),
          indicator(2, { warnedBy: [] }),
          indicator(3),
          indicator(4, { warnedBy: ['misp:public-dns-v4', 'warning-list--a'] }),
          indicator(5, { warnedBy: ['warning-list--b'], tlp: 'AMBER' }),
          indicator(6, { warnedBy: ['warning-list--a'] }),
        ]);
        const sort = sortFor('UPDATED_AT', 'DESC');
        const vendoredOnly = warnedExclusion(['misp:public-dns-v4', 'misp:rfc1918']);
        expect(ids(await store.indicators.find(vendoredOnly, { sort }))).toEqual(['indicator--0006', 'indicator--0005', 'indicator--0003', 'indicator--0002']);
        expect(await store.indicators.count(vendoredOnly)).toBe(4);
        expect(await store.indicators.count(vendoredOnly, { limit: 2 })).toBe(2);
        // With a member's list: claims on it go too; on another member's list (not given) they stay.
        const withA = warnedExclusion(['misp:public-dns-v4', 'misp:rfc1918', 'warning-list--a']);
        expect(ids(await store.indicators.find(withA, { sort, limit: 2 }))).toEqual(['indicator--0005', 'indicator--0003']);
        expect(await store.indicators.count(withA)).toBe(3);
        // Under a viewer's visibility (read from the count table where the adapter keeps one).
        const community = and(indicatorVisibility(member('m-x', 'COMMUNITY')), withA);
        expect(ids(await store.indicators.find(community, { sort }))).toEqual(['indicator--0003', 'indicator--0002']);
        expect(await store.indicators.count(community)).toBe(2);
        expect(warnedExclusion([])).toEqual({});
        // The flag rewritten in place (the recompute job): the claim moves in or out at once.
        await store.indicators.updateOne({ _id: 'indicator--0003', seq: 3 }, { $set: { warnedBy: ['misp:rfc1918'] } });
        await store.indicators.updateOne({ _id: 'indicator--0001', seq: 1 }, { $set: { warnedBy: [] } });
        expect(ids(await store.indicators.find(vendoredOnly, { sort }))).toEqual(['indicator--0006', 'indicator--0005', 'indicator--0002', 'indicator--0001']);
        expect(await store.indicators.count(community)).toBe(2);
      });

      it('writes nothing and answers null when the compare-and-set filter no longer matches', async () => {
        await seedIndicators(store, [indicator(1, { tlp: 'GREEN' })]);
        expect(await store.indicators.updateOne({ _id: 'indicator--0001', tlp: 'AMBER' }, { $set: { tlp: 'CLEAR' } })).toBeNull();
        expect(await store.indicators.updateOne({ _id: 'indicator--9999' }, { $set: { tlp: 'CLEAR' } })).toBeNull();
        const [doc] = await store.indicators.find({ _id: 'indicator--0001' });
        expect(doc!.tlp).toBe('GREEN');
      });
    });

    describe('notices', () => {
      it('stores a notice as given and refuses a second with the same id', async () => {
        const doc = notice(1, { embargoUntil: at(5000), model: { name: 'Model-A', developer: 'Lab', version: '2' } });
        await store.notices.insert(doc);
        expect(await store.notices.find({ _id: doc._id })).toEqual([doc]);
        await expect(store.notices.insert(notice(1))).rejects.toThrow();
        expect(await store.notices.count({})).toBe(1);
      });

      it('hides drafts and embargoed notices by the policy\'s own filter', async () => {
        const now = new Date();
        const later = new Date(now.getTime() + 3_600_000);
        const earlier = new Date(now.getTime() - 3_600_000);
        await store.notices.insert(notice(1));
        await store.notices.insert(notice(2, { status: 'DRAFT' }));
        await store.notices.insert(notice(3, { embargoUntil: later }));
        await store.notices.insert(notice(4, { embargoUntil: earlier }));
        await store.notices.insert(notice(5, { tlp: 'RED', recipients: ['m-c'], source: 'm-b' }));
        const visible = async (viewer: Viewer) => ids(await store.notices.find(noticeVisibility(viewer, now), { sort: [['seq', 1]] }));
        const n = (i: number) => `x-model-risk-notice--000${i}`;
        expect(await visible(member('m-x', 'TRUSTED'))).toEqual([n(1), n(4)]);
        expect(await visible(member('m-x', 'CORE'))).toEqual([n(1), n(3), n(4)]);
        expect(await visible(member('m-c', 'COMMUNITY'))).toEqual([n(1), n(4), n(5)]);
        expect(await visible(member('m-a', 'COMMUNITY'))).toEqual([n(1), n(2), n(3), n(4)]);
      });

      it('matches nested fields and array elements, and finds embargoes that ended in a window', async () => {
        await store.notices.insert(notice(1, { model: { name: 'Model-B', developer: 'Lab', version: null }, embargoUntil: at(20) }));
        await store.notices.insert(notice(2, { atlasTechniques: ['AML.T0051'], owaspLlm: ['LLM02:2025'], embargoUntil: at(10) }));
        await store.notices.insert(notice(3));
        expect(ids(await store.notices.find(noticeFilter({ modelName: 'Model-B' }, at(0))))).toEqual(['x-model-risk-notice--0001']);
        expect(ids(await store.notices.find(noticeFilter({ atlasTechnique: 'AML.T0051', owaspLlm: 'LLM02:2025' }, at(0))))).toEqual(['x-model-risk-notice--0002']);
        const ended = await store.notices.find({ embargoUntil: { $gt: at(5), $lte: at(30) } }, { sort: [['embargoUntil', 1], ['_id', 1]] });
        expect(ids(ended)).toEqual(['x-model-risk-notice--0002', 'x-model-risk-notice--0001']);
      });

      it('finds by updatedSince the notices written since, and those an embargo or a review released since by the clock', async () => {
        await store.notices.insert(notice(1, { updatedAt: at(1), embargoUntil: at(20) }));
        await store.notices.insert(notice(2, { updatedAt: at(1), reviewReleaseAt: at(15) }));
        await store.notices.insert(notice(3, { updatedAt: at(12) }));
        await store.notices.insert(notice(4, { updatedAt: at(1), embargoUntil: at(40), reviewReleaseAt: at(2) }));
        const since = async (from: number, now: number) => ids(await store.notices.find(noticeFilter({ updatedSince: at(from) }, at(now)), { sort: [['_id', 1]] }));
        expect(await since(10, 30)).toEqual(['x-model-risk-notice--0001', 'x-model-risk-notice--0002', 'x-model-risk-notice--0003']);
        // Before the embargo's end: written since, or released since, and not yet the embargoed one.
        expect(await since(10, 16)).toEqual(['x-model-risk-notice--0002', 'x-model-risk-notice--0003']);
        expect(await since(13, 14)).toEqual([]);
      });

      it('updates one notice and returns it after the update', async () => {
        await store.notices.insert(notice(1));
        const updated = await store.notices.updateOne({ _id: 'x-model-risk-notice--0001', source: 'm-a' }, { $set: { status: 'MITIGATED', seq: 7 } });
        expect(updated).toMatchObject({ status: 'MITIGATED', seq: 7, title: 'Notice 1' });
        expect(await store.notices.updateOne({ _id: 'x-model-risk-notice--0001', source: 'm-b' }, { $set: { status: 'RETRACTED' } })).toBeNull();
      });
    });

    describe('vulnerabilities', () => {
      const v = (i: number) => `vulnerability--${String(i).padStart(4, '0')}`;

      it('stores a case with its index fields and refuses a second with the same id', async () => {
        const stored = await store.vulnerabilities.insert(vulnerability(1, { affected: [
          { vendorId: 'm-v', vendorName: 'Vendor  V', product: 'Widget Server', versions: '< 2', purl: 'pkg:npm/widget-server@1.9.0?arch=x', cpe: null },
          { vendorId: null, vendorName: 'Other', product: 'Gadget', versions: '*', purl: null, cpe: 'cpe:2.3:a:other:gadget:1.0:*:*:*:*:*:*:*' },
        ] }));
        expect(stored).toMatchObject({
          stageReached: 'RECEIVED',
          tlp: 'RED',
          vendorIds: ['m-v'],
          notifiedVendorIds: [],
          products: ['gadget', 'widget server'],
          productKeys: ['cpe:a:other:gadget', 'name:other/gadget', 'name:vendor v/widget server', 'purl:pkg:npm/widget-server'],
        });
        expect(await store.vulnerabilities.find({ _id: v(1) })).toEqual([stored]);
        await expect(store.vulnerabilities.insert(vulnerability(1))).rejects.toThrow();
        expect(await store.vulnerabilities.count({})).toBe(1);
      });

      it('shows each case to exactly the viewers of its stage by the policy\'s own filter, in lists, counts and by id', async () => {
        await store.vulnerabilities.insert(vulnerability(1));
        await store.vulnerabilities.insert(vulnerability(2, { status: 'VALIDATED', vendorStatuses: [vendorEntry('m-v', at(2)), vendorEntry('m-w', null)] }));
        await store.vulnerabilities.insert(vulnerability(3, { status: 'FIX_AVAILABLE', source: 'm-b', participants: ['m-c'] }));
        await store.vulnerabilities.insert(vulnerability(4, { status: 'PUBLISHED', publishedAt: at(4), source: 'm-b' }));
        await store.vulnerabilities.insert(vulnerability(5, { status: 'INVALID', source: 'm-b' }));
        const visible = async (viewer: Viewer) => ids(await store.vulnerabilities.find(vulnerabilityVisibility(viewer, new Date()), { sort: [['seq', 1]] }));
        expect(await visible(ANON)).toEqual([v(4)]);
        expect(await visible(member('m-x', 'COMMUNITY'))).toEqual([v(4)]);
        expect(await visible(member('m-x', 'TRUSTED'))).toEqual([v(3), v(4)]);
        expect(await visible(member('m-x', 'CORE'))).toEqual([v(2), v(3), v(4)]);
        expect(await visible(member('m-a', 'COMMUNITY'))).toEqual([v(1), v(2), v(4)]);
        expect(await visible(member('m-c', 'COMMUNITY'))).toEqual([v(3), v(4)]);
        // Notified: sees it; still queued: does not.
        expect(await visible(member('m-v', 'COMMUNITY'))).toEqual([v(2), v(4)]);
        expect(await visible(member('m-w', 'COMMUNITY'))).toEqual([v(4)]);
        expect(await visible(member('m-x', 'COMMUNITY', ['reader', 'coordinator']))).toEqual([v(1), v(2), v(3), v(4), v(5)]);
        expect(await store.vulnerabilities.count(vulnerabilityVisibility(member('m-x', 'CORE'), new Date()))).toBe(3);
        expect(await store.vulnerabilities.count(vulnerabilityVisibility(member('m-w', 'COMMUNITY'), new Date()))).toBe(1);
        expect(await store.vulnerabilities.find(and({ _id: { $in: [v(1), v(2)] } }, vulnerabilityVisibility(member('m-x', 'TRUSTED'), new Date())))).toEqual([]);
      });

      it('answers the list filters and the possible-duplicate query', async () => {
        const now = at(100);
        await store.vulnerabilities.insert(vulnerability(1, { cveId: 'CVE-2026-12345', cwes: ['CWE-79', 'CWE-787'], exploited: true }));
        await store.vulnerabilities.insert(vulnerability(2, { status: 'PUBLISHED', publishedAt: at(2), severity: 'LOW', severityRank: 1, discovery: { method: 'HUMAN', model: null, humanValidated: true } }));
        await store.vulnerabilities.insert(vulnerability(3, { status: 'CLOSED', affected: [{ vendorId: null, vendorName: 'X', product: 'Other Thing', versions: '1', purl: null, cpe: null }] }));
        const find = async (f: Parameters<typeof vulnerabilityFilter>[0], delay = DEFAULT_SCHEDULE) => ids(await store.vulnerabilities.find(vulnerabilityFilter(f, now, delay), { sort: [['seq', 1]] }));
        expect(await find({ cveId: 'cve-2026-12345' })).toEqual([v(1)]);
        expect(await find({ cwe: 'cwe-79' })).toEqual([v(1)]);
        expect(await find({ vendor: ['m-v'] })).toEqual([v(1), v(2)]);
        expect(await find({ product: '  widget   SERVER ' })).toEqual([v(1), v(2)]);
        expect(await find({ exploited: true })).toEqual([v(1)]);
        expect(await find({ discoveryMethod: ['HUMAN'] })).toEqual([v(2)]);
        expect(await find({ minSeverity: 'HIGH' })).toEqual([v(1), v(3)]);
        expect(await find({ status: ['CLOSED'] })).toEqual([v(3)]);
        expect(await find({ stage: ['PUBLISHED'] })).toEqual([v(2)]);
        expect(await find({ stage: ['PROOF_OF_CONCEPT_RELEASED'] })).toEqual([]);
        expect(await find({ stage: ['PROOF_OF_CONCEPT_RELEASED'] }, { pocDelayMs: 1_000 })).toEqual([v(2)]);
        expect(await find({ stage: ['RECEIVED', 'PUBLISHED'] })).toEqual([v(1), v(2), v(3)]);
        expect(await find({ updatedSince: at(2) })).toEqual([v(2), v(3)]);
        // Open cases only (not PUBLISHED, not CLOSED), sharing a product key and a CWE.
        expect(ids(await store.vulnerabilities.find(possibleDuplicatesFilter(['purl:pkg:npm/widget-server'], ['CWE-787'])))).toEqual([v(1)]);
        expect(await store.vulnerabilities.find(possibleDuplicatesFilter(['purl:pkg:npm/widget-server'], ['CWE-20']))).toEqual([]);
        expect(await store.vulnerabilities.find(possibleDuplicatesFilter([], ['CWE-787']))).toEqual([]);
      });

      it('updates one case as a compare-and-set, recomputing its index fields, never narrowing its stage', async () => {
        await store.vulnerabilities.insert(vulnerability(1, { vendorStatuses: [vendorEntry('m-v', null)] }));
        const validated = await store.vulnerabilities.updateOne(
          { _id: v(1), seq: 1 },
          { $set: { status: 'VALIDATED', seq: 2, 'vendorStatuses.0.notifiedAt': at(5), 'vendorStatuses.0.queuedAt': null } },
        );
        expect(validated).toMatchObject({ status: 'VALIDATED', stageReached: 'VALIDATED', notifiedVendorIds: ['m-v'], seq: 2 });
        // The same step again, from the state it read: nothing written.
        expect(await store.vulnerabilities.updateOne({ _id: v(1), seq: 1 }, { $set: { status: 'INVALID', seq: 3 } })).toBeNull();
        const closed = await store.vulnerabilities.updateOne({ _id: v(1), status: 'VALIDATED' }, { $set: { status: 'CLOSED', seq: 4 } });
        expect(closed).toMatchObject({ status: 'CLOSED', stageReached: 'VALIDATED', tlp: 'AMBER' });
        // TAXII's exclusion (never RED) applies to cases as to every record.
        expect(await store.vulnerabilities.count(and({ _id: v(1) }, taxiiExclusion()))).toBe(1);
        expect(await store.vulnerabilities.count(vulnerabilityVisibility(member('m-x', 'CORE'), new Date()))).toBe(1);
        await expect(store.vulnerabilities.updateOne({ _id: v(1) }, { $set: { status: 'RECEIVED' } })).rejects.toThrow(/seq/);
        // Of concurrent steps from one state, exactly one wins.
        const results = await Promise.all(Array.from({ length: 6 }, (_, i) => store.vulnerabilities.updateOne({ _id: v(1), seq: 4 }, { $set: { seq: 10 + i } })));
        expect(results.filter((r) => r !== null)).toHaveLength(1);
      });
    });

    describe('model reviews', () => {
      const r = (i: number) => `x-model-review--${String(i).padStart(4, '0')}`;

      it('stores a review as given (a copy), and refuses a second with the same id', async () => {
        const doc = modelReview(1, { model: { name: 'Frontier', developer: 'Lab', version: '2' } });
        await store.modelReviews.insert(doc);
        doc.reviewers.push('m-late');
        expect(await store.modelReviews.find({ _id: r(1) })).toEqual([modelReview(1, { model: { name: 'Frontier', developer: 'Lab', version: '2' } })]);
        await expect(store.modelReviews.insert(modelReview(1))).rejects.toThrow(/duplicate/);
        await store.modelReviews.insert(modelReview(2, { reviewers: [], invited: [] }));
        expect(await store.modelReviews.count({})).toBe(2);
        expect(await store.modelReviews.count({ reviewers: 'm-r1' })).toBe(1);
        expect(ids(await store.modelReviews.find({ 'model.name': 'Frontier' }))).toEqual([r(1)]);
      });

      it('updates one review as a compare-and-set on seq: of concurrent changes from one state exactly one wins', async () => {
        await store.modelReviews.insert(modelReview(1));
        const invited = await store.modelReviews.updateOne({ _id: r(1), seq: 1 }, { $set: { reviewers: ['m-r1', 'm-r2', 'm-r3'], invited: ['m-r2', 'm-r3'], seq: 2, updatedAt: at(5) } });
        expect(invited).toMatchObject({ reviewers: ['m-r1', 'm-r2', 'm-r3'], seq: 2, updatedAt: at(5), lab: 'm-lab' });
        expect(await store.modelReviews.find({ _id: r(1) })).toEqual([invited]);
        // The same change again, from the state it read: nothing written.
        expect(await store.modelReviews.updateOne({ _id: r(1), seq: 1 }, { $set: { cancelledAt: at(6), seq: 3 } })).toBeNull();
        expect((await store.modelReviews.find({ _id: r(1) }))[0]!.cancelledAt).toBeNull();
        await expect(store.modelReviews.updateOne({ _id: r(1) }, { $set: { summaryPublic: true } })).rejects.toThrow(/seq/);
        expect((await store.modelReviews.find({ _id: r(1) }))[0]!.summaryPublic).toBe(false);
        const results = await Promise.all(Array.from({ length: 6 }, (_, i) => store.modelReviews.updateOne({ _id: r(1), seq: 2 }, { $set: { seq: 10 + i, closesAt: at(20 + i) } })));
        const winners = results.filter((x) => x !== null);
        expect(winners).toHaveLength(1);
        expect(await store.modelReviews.find({ _id: r(1) })).toEqual(winners);
        expect(await store.modelReviews.updateOne({ _id: r(9), seq: 1 }, { $set: { seq: 2 } })).toBeNull();
      });

      /** Window opens at 10 s, closes at 100 s; #2 releases its summary; #3 was cancelled at 50 s; #4 is another lab's. */
      async function seedReviews(): Promise<void> {
        const window = { windowOpensAt: at(10), plannedDeploymentAt: at(100), closesAt: at(100) };
        await store.modelReviews.insert(modelReview(1, window));
        await store.modelReviews.insert(modelReview(2, { ...window, summaryPublic: true }));
        await store.modelReviews.insert(modelReview(3, { ...window, cancelledAt: at(50), closesAt: null, cancelReason: 'will not ship' }));
        await store.modelReviews.insert(modelReview(4, { ...window, lab: 'm-other', reviewers: ['m-r3'], invited: [], plannedDeploymentAt: at(90), closesAt: at(90) }));
      }

      it("shows each review to exactly the viewers modelReviewVisibility names, before and after its close, and a cancelled one to its parties only", async () => {
        await seedReviews();
        const visible = async (viewer: Viewer, now: Date) => ids(await store.modelReviews.find(modelReviewVisibility(viewer, now), { sort: MODEL_REVIEW_LIST_ORDER }));
        const admin = member('m-x', 'CORE', ['reader', 'hub-admin']);
        const before = at(60);
        expect(await visible(member('m-lab'), before)).toEqual([r(1), r(2), r(3)]);
        expect(await visible(member('m-r1'), before)).toEqual([r(1), r(2), r(3)]);
        expect(await visible(member('m-r3', 'CORE'), before)).toEqual([r(4)]);
        expect(await visible(member('m-x', 'CORE'), before)).toEqual([]);
        expect(await visible(admin, before)).toEqual([r(4), r(1), r(2), r(3)]);
        expect(await visible(ANON, before)).toEqual([]);
        // At the close (closesAt reached, not passed) and after it: every member sees the closed
        // ones, anonymous callers those whose summary is public; a cancelled review stays with its parties.
        for (const now of [at(100), at(500)]) {
          expect(await visible(member('m-x', 'COMMUNITY'), now)).toEqual([r(4), r(1), r(2)]);
          expect(await visible(member('m-lab'), now)).toEqual([r(4), r(1), r(2), r(3)]);
          expect(await visible(member('m-r3'), now)).toEqual([r(4), r(1), r(2)]);
          expect(await visible(admin, now)).toEqual([r(4), r(1), r(2), r(3)]);
          expect(await visible(ANON, now)).toEqual([r(2)]);
          expect(await store.modelReviews.count(modelReviewVisibility(ANON, now))).toBe(1);
        }
        expect(await visible(member('m-x', 'COMMUNITY'), new Date(at(100).getTime() - 1))).toEqual([r(4)]);
        // By id: a review the viewer may not see is, to it, an id that does not exist.
        expect(await store.modelReviews.find(and({ _id: r(3) }, modelReviewVisibility(member('m-x', 'CORE'), at(500))))).toEqual([]);
        expect(await store.modelReviews.count(and({ _id: { $in: [r(1), r(3)] } }, modelReviewVisibility(member('m-r2'), before)))).toBe(2);
      });

      it('translates each status into conditions at an instant that agree with modelReviewStatus, alone and combined', async () => {
        await seedReviews();
        await store.modelReviews.insert(modelReview(5, { windowOpensAt: at(200), plannedDeploymentAt: at(300), closesAt: at(250) }));
        const all = await store.modelReviews.find({}, { sort: MODEL_REVIEW_LIST_ORDER });
        const combos: ModelReviewStatus[][] = [...MODEL_REVIEW_STATUSES.map((st) => [st]), ['OPEN', 'SCHEDULED'], ['CLOSED', 'CANCELLED'], [...MODEL_REVIEW_STATUSES], []];
        for (const now of [at(0), at(10), at(49), at(50), at(90), at(99), at(100), at(200), at(250), at(1_000)]) {
          for (const status of combos) {
            const expected = ids(all.filter((d) => status.includes(modelReviewStatus(d, now))));
            expect(ids(await store.modelReviews.find(modelReviewFilter({ status }, now), { sort: MODEL_REVIEW_LIST_ORDER })), `${status} at ${now.toISOString()}`).toEqual(expected);
          }
        }
        expect(ids(await store.modelReviews.find(modelReviewFilter({ lab: ['m-other'] }, at(0))))).toEqual([r(4)]);
        expect(ids(await store.modelReviews.find(modelReviewFilter({ modelName: 'Model-2', modelDeveloper: 'Lab' }, at(0))))).toEqual([r(2)]);
        expect(await store.modelReviews.count(modelReviewFilter({ modelDeveloper: 'Nobody' }, at(0)))).toBe(0);
        expect(await store.modelReviews.count(modelReviewFilter({}, at(0)))).toBe(5);
      });

      it('pages the list soonest deployment first by keyset, and finds the closes due to be announced', async () => {
        await seedReviews();
        const first = await store.modelReviews.find({}, { sort: MODEL_REVIEW_LIST_ORDER, limit: 2 });
        expect(ids(first)).toEqual([r(4), r(1)]);
        const rest = await store.modelReviews.find(keysetAfter(MODEL_REVIEW_LIST_ORDER, sortValues(MODEL_REVIEW_LIST_ORDER, first[1]! as unknown as Record<string, unknown>)), { sort: MODEL_REVIEW_LIST_ORDER, limit: 2 });
        expect(ids(rest)).toEqual([r(2), r(3)]);
        expect(ids(await store.modelReviews.find(modelReviewsDueToClose(at(95)), { sort: MODEL_REVIEW_CLOSE_ORDER }))).toEqual([r(4)]);
        expect(ids(await store.modelReviews.find(modelReviewsDueToClose(at(100)), { sort: MODEL_REVIEW_CLOSE_ORDER }))).toEqual([r(4), r(1), r(2)]);
        await store.modelReviews.updateOne({ _id: r(4), seq: 4 }, { $set: { closeAnnouncedAt: at(100), seq: 40 } });
        expect(ids(await store.modelReviews.find(modelReviewsDueToClose(at(100)), { sort: MODEL_REVIEW_CLOSE_ORDER }))).toEqual([r(1), r(2)]);
      });
    });

    describe("model reviews' findings (the restriction on notices and cases)", () => {
      const AUDIENCE = ['m-lab', 'm-r1', 'm-r2'];
      const finding = (releaseAt: Date | null, audience = AUDIENCE) => ({ reviewId: 'x-model-review--0001', reviewAudience: audience, reviewReleaseAt: releaseAt });
      const admin = member('m-y', 'CORE', ['reader', 'hub-admin']);
      const BEFORE = at(50);
      const CLOSE = at(100);
      const LATER = at(10_000);

      it('round-trips the restriction fields on notices, through insert and updateOne', async () => {
        const doc = notice(1, finding(CLOSE));
        await store.notices.insert(doc);
        expect(await store.notices.find({ _id: doc._id })).toEqual([notice(1, finding(CLOSE))]);
        const invited = await store.notices.updateOne({ _id: doc._id, seq: 1 }, { $set: { reviewAudience: [...AUDIENCE, 'm-x'], reviewReleaseAt: at(200), seq: 2 } });
        expect(invited).toMatchObject({ reviewId: 'x-model-review--0001', reviewAudience: [...AUDIENCE, 'm-x'], reviewReleaseAt: at(200), seq: 2 });
        const edited = await store.notices.updateOne({ _id: doc._id }, { $set: { title: 'Edited', seq: 3 } });
        expect(edited).toMatchObject({ title: 'Edited', reviewAudience: [...AUDIENCE, 'm-x'], reviewReleaseAt: at(200) });
        expect(await store.notices.find({ _id: doc._id })).toEqual([edited]);
        expect(ids(await store.notices.find({ reviewId: 'x-model-review--0001' }))).toEqual([doc._id]);
      });

      it('round-trips them on cases, through insert and the index-field recomputation of updateOne', async () => {
        const stored = await store.vulnerabilities.insert(vulnerability(1, finding(CLOSE)));
        expect(stored).toMatchObject(finding(CLOSE));
        expect(await store.vulnerabilities.find({ _id: stored._id })).toEqual([stored]);
        // A workflow step that does not name them keeps them; the review's rewrite changes them.
        const validated = await store.vulnerabilities.updateOne({ _id: stored._id, seq: 1 }, { $set: { status: 'VALIDATED', seq: 2 } });
        expect(validated).toMatchObject({ ...finding(CLOSE), stageReached: 'VALIDATED' });
        const cancelled = await store.vulnerabilities.updateOne({ _id: stored._id, seq: 2 }, { $set: { reviewReleaseAt: null, reviewAudience: ['m-lab'], seq: 3 } });
        expect(cancelled).toMatchObject({ ...finding(null, ['m-lab']), stageReached: 'VALIDATED' });
        expect(await store.vulnerabilities.find({ _id: stored._id })).toEqual([cancelled]);
        expect(ids(await store.vulnerabilities.find({ reviewId: 'x-model-review--0001' }))).toEqual([stored._id]);
      });

      it('shows a finding notice to its audience until the review closes, to no one new when it was cancelled, to hub-admins and its publisher always', async () => {
        const n = (i: number) => `x-model-risk-notice--000${i}`;
        await store.notices.insert(notice(1, { tlp: 'CLEAR', source: 'm-r1', ...finding(CLOSE) }));
        await store.notices.insert(notice(2, { tlp: 'CLEAR', source: 'm-r2', ...finding(null) }));
        // Filed by a reviewer since removed from the audience: it still sees its own.
        await store.notices.insert(notice(3, { tlp: 'AMBER', source: 'm-r3', ...finding(CLOSE) }));
        await store.notices.insert(notice(4, { tlp: 'CLEAR', source: 'm-a' }));
        await store.notices.insert(notice(5, { tlp: 'GREEN', source: 'm-a', reviewId: null }));
        const visible = async (viewer: Viewer, now: Date) => {
          const found = ids(await store.notices.find(noticeVisibility(viewer, now), { sort: [['seq', 1]] }));
          expect(await store.notices.count(noticeVisibility(viewer, now)), `count for ${JSON.stringify(viewer)}`).toBe(found.length);
          return found;
        };
        for (const now of [BEFORE, new Date(CLOSE.getTime() - 1)]) {
          expect(await visible(member('m-lab'), now)).toEqual([n(1), n(2), n(4), n(5)]);
          expect(await visible(member('m-r1', 'TRUSTED'), now)).toEqual([n(1), n(2), n(3), n(4), n(5)]);
          expect(await visible(member('m-r3', 'TRUSTED'), now)).toEqual([n(3), n(4), n(5)]);
          expect(await visible(member('m-x', 'CORE'), now)).toEqual([n(4), n(5)]);
          expect(await visible(ANON, now)).toEqual([n(4)]);
          expect(await visible(admin, now)).toEqual([n(1), n(2), n(3), n(4), n(5)]);
        }
        for (const now of [CLOSE, LATER]) {
          expect(await visible(member('m-lab'), now)).toEqual([n(1), n(2), n(4), n(5)]);
          expect(await visible(member('m-r3', 'TRUSTED'), now)).toEqual([n(1), n(3), n(4), n(5)]);
          expect(await visible(member('m-x', 'CORE'), now)).toEqual([n(1), n(3), n(4), n(5)]);
          expect(await visible(member('m-x', 'COMMUNITY'), now)).toEqual([n(1), n(4), n(5)]);
          expect(await visible(ANON, now)).toEqual([n(1), n(4)]);
          expect(await visible(admin, now)).toEqual([n(1), n(2), n(3), n(4), n(5)]);
        }
        // By id: a restricted finding is, to anyone else, an id that does not exist.
        expect(await store.notices.find(and({ _id: { $in: [n(1), n(2)] } }, noticeVisibility(member('m-x', 'CORE'), BEFORE)))).toEqual([]);
        // The review invites m-x: its findings' audience is rewritten, and m-x sees the cancelled one too.
        await store.notices.updateOne({ _id: n(2) }, { $set: { reviewAudience: [...AUDIENCE, 'm-x'], seq: 20 } });
        expect(await visible(member('m-x', 'CORE'), LATER)).toEqual([n(1), n(3), n(4), n(5), n(2)]);
      });

      it('shows a finding case to its audience until the review closes, to no one new when it was cancelled, to hub-admins and its reporter always', async () => {
        const v = (i: number) => `vulnerability--000${i}`;
        const published = { status: 'PUBLISHED' as const, publishedAt: at(1) };
        await store.vulnerabilities.insert(vulnerability(1, { ...published, source: 'm-r1', ...finding(CLOSE) }));
        await store.vulnerabilities.insert(vulnerability(2, { ...published, source: 'm-r2', ...finding(null) }));
        await store.vulnerabilities.insert(vulnerability(3, { ...published, source: 'm-r3', ...finding(CLOSE) }));
        await store.vulnerabilities.insert(vulnerability(4, { ...published, source: 'm-a' }));
        const coordinator = member('m-c', 'COMMUNITY', ['reader', 'coordinator']);
        const visible = async (viewer: Viewer, now: Date) => {
          const found = ids(await store.vulnerabilities.find(vulnerabilityVisibility(viewer, now), { sort: [['seq', 1]] }));
          expect(await store.vulnerabilities.count(vulnerabilityVisibility(viewer, now)), `count for ${JSON.stringify(viewer)}`).toBe(found.length);
          return found;
        };
        for (const now of [BEFORE, new Date(CLOSE.getTime() - 1)]) {
          expect(await visible(member('m-lab'), now)).toEqual([v(1), v(2), v(3), v(4)]);
          expect(await visible(member('m-r3'), now)).toEqual([v(3), v(4)]);
          expect(await visible(member('m-x', 'CORE'), now)).toEqual([v(4)]);
          expect(await visible(coordinator, now)).toEqual([v(4)]);
          expect(await visible(ANON, now)).toEqual([v(4)]);
          expect(await visible(admin, now)).toEqual([v(1), v(2), v(3), v(4)]);
        }
        for (const now of [CLOSE, LATER]) {
          expect(await visible(member('m-r3'), now)).toEqual([v(1), v(3), v(4)]);
          expect(await visible(member('m-x', 'CORE'), now)).toEqual([v(1), v(3), v(4)]);
          expect(await visible(coordinator, now)).toEqual([v(1), v(3), v(4)]);
          expect(await visible(ANON, now)).toEqual([v(1), v(3), v(4)]);
          expect(await visible(member('m-r2'), now)).toEqual([v(1), v(2), v(3), v(4)]);
          expect(await visible(admin, now)).toEqual([v(1), v(2), v(3), v(4)]);
        }
        expect(await store.vulnerabilities.find(and({ _id: v(2) }, vulnerabilityVisibility(member('m-x', 'CORE'), LATER)))).toEqual([]);
      });
    });

    describe('members', () => {
      it('finds members in the order asked, leaving out unknown ids', async () => {
        await store.members.put(memberDoc('m-a'));
        await store.members.put(memberDoc('m-b', { tier: 'CORE' }));
        expect(ids(await store.members.findByIds(['m-b', 'nobody', 'm-a']))).toEqual(['m-b', 'm-a']);
        expect(await store.members.findByIds([])).toEqual([]);
        expect(await store.members.findByIds(['m-b'])).toEqual([memberDoc('m-b', { tier: 'CORE' })]);
      });

      it('replaces a member put again under the same id', async () => {
        await store.members.put(memberDoc('m-a'));
        await store.members.put(memberDoc('m-a', { tier: 'TRUSTED', status: 'SUSPENDED' }));
        expect(await store.members.list()).toEqual([memberDoc('m-a', { tier: 'TRUSTED', status: 'SUSPENDED' })]);
      });

      it('inserts a new member only when its id is free', async () => {
        expect(await store.members.insert(memberDoc('m-a'))).toBe(true);
        expect(await store.members.insert(memberDoc('m-a', { name: 'Another' }))).toBe(false);
        expect(await store.members.list()).toEqual([memberDoc('m-a')]);
      });

      it('updates a member only while its tier and status are as expected (compare-and-set)', async () => {
        await store.members.put(memberDoc('m-a', { tier: 'COMMUNITY' }));
        expect(await store.members.update('m-a', { tier: 'TRUSTED' }, { tier: 'CORE' })).toBeNull();
        expect(await store.members.update('m-a', { tier: 'COMMUNITY', status: 'SUSPENDED' }, { tier: 'CORE' })).toBeNull();
        expect(await store.members.update('nobody', { tier: 'COMMUNITY' }, { tier: 'CORE' })).toBeNull();
        expect(await store.members.update('m-a', { tier: 'COMMUNITY', status: 'ACTIVE' }, { tier: 'TRUSTED' })).toEqual(memberDoc('m-a', { tier: 'TRUSTED' }));
        // The first of two changes from the same state wins; the second finds the tier moved on.
        expect(await store.members.update('m-a', { tier: 'COMMUNITY' }, { tier: 'CORE' })).toBeNull();
        expect(await store.members.findByIds(['m-a'])).toEqual([memberDoc('m-a', { tier: 'TRUSTED' })]);
      });

      it('guards on the request a status change recorded', async () => {
        const change = { at: at(1), by: { memberId: 'hub', userId: 'alice' }, reason: 'new', requestId: 'approval--1' };
        await store.members.put(memberDoc('m-a', { status: 'PENDING', statusChange: change }));
        expect(await store.members.update('m-a', { status: 'PENDING', statusRequestId: 'approval--2' }, { status: 'ACTIVE' })).toBeNull();
        expect(await store.members.update('m-a', { status: 'PENDING', statusRequestId: 'approval--1' }, { status: 'ACTIVE' })).toMatchObject({ status: 'ACTIVE' });
      });

      it("guards on a peer's pause (a puller's cursor save never undoes pausePeer)", async () => {
        const peer = { url: 'https://peer.example/graphql', credential: null, pull: { kinds: ['INDICATOR' as const], minSeverity: null, tags: [] }, shareOnward: false, requestId: null, paused: true, removedAt: null, cursor: null, lastEventAt: null, lastReceivedAt: null, createdAt: at(1) };
        await store.members.put(memberDoc('m-a', { kind: 'HUB', peer }));
        expect(await store.members.update('m-a', { status: 'ACTIVE', peerPaused: false }, { peer: { ...peer, paused: false, cursor: 'c' } })).toBeNull();
        expect(await store.members.update('m-a', { status: 'ACTIVE', peerPaused: true }, { peer: { ...peer, cursor: 'c' } })).toMatchObject({ peer: { paused: true, cursor: 'c' } });
        await store.members.put(memberDoc('m-b'));
        expect(await store.members.update('m-b', { peerPaused: false }, { tier: 'CORE' })).toBeNull();
      });

      it('reads a member written before status by its suspended flag, and drops the flag when status is set', async () => {
        const legacy = (id: string, suspended: boolean) => {
          const { status: _status, ...rest } = memberDoc(id);
          return { ...rest, suspended } as never;
        };
        await store.members.put(legacy('m-old', true));
        await store.members.put(legacy('m-live', false));
        expect(await store.members.update('m-old', { status: 'ACTIVE' }, { status: 'OFFBOARDED' })).toBeNull();
        expect(await store.members.update('m-live', { status: 'SUSPENDED' }, { status: 'OFFBOARDED' })).toBeNull();
        const reinstated = await store.members.update('m-old', { status: 'SUSPENDED' }, { status: 'ACTIVE' });
        expect(reinstated).toEqual(memberDoc('m-old'));
        expect(await store.members.update('m-live', { status: 'ACTIVE' }, { status: 'SUSPENDED' })).toEqual(memberDoc('m-live', { status: 'SUSPENDED' }));
      });

      it('lists members by id in binary order, as MongoDB sorts strings', async () => {
        for (const id of ['beta', 'Zeta', 'alpha', 'Alpha']) await store.members.put(memberDoc(id));
        expect(ids(await store.members.list())).toEqual(['Alpha', 'Zeta', 'alpha', 'beta']);
      });
    });

    describe('idempotency keys', () => {
      const record = (id: string, over: Partial<IdempotencyRecord> = {}): IdempotencyRecord => ({
        _id: id,
        requestHash: 'hash-1',
        response: null,
        owner: 'request-1',
        createdAt: new Date(),
        expiresAt: new Date(Date.now() + 3_600_000),
        ...over,
      });

      it('claims a key once: the first reserve gets null, the next the running reservation', async () => {
        expect(await store.idempotency.reserve(record('m-a:k1'))).toBeNull();
        const again = await store.idempotency.reserve(record('m-a:k1', { requestHash: 'hash-2' }));
        expect(again).toMatchObject({ _id: 'm-a:k1', requestHash: 'hash-1', response: null });
        expect(await store.idempotency.reserve(record('m-b:k1'))).toBeNull();
      });

      it('remembers the completed answer for the requests that follow', async () => {
        await store.idempotency.reserve(record('m-a:k1'));
        const response = [{ index: 0, status: 'CREATED', id: 'indicator--1', error: null }];
        await store.idempotency.complete('m-a:k1', 'request-1', response);
        expect(await store.idempotency.reserve(record('m-a:k1'))).toMatchObject({ requestHash: 'hash-1', response });
      });

      it('lets a released key, or an expired one, be claimed again', async () => {
        await store.idempotency.reserve(record('m-a:k1'));
        await store.idempotency.release('m-a:k1', 'request-1');
        expect(await store.idempotency.reserve(record('m-a:k1', { requestHash: 'hash-2' }))).toBeNull();
        await store.idempotency.reserve(record('m-a:old', { expiresAt: new Date(Date.now() - 1_000) }));
        expect(await store.idempotency.reserve(record('m-a:old', { requestHash: 'hash-3' }))).toBeNull();
        expect(await store.idempotency.reserve(record('m-a:old'))).toMatchObject({ requestHash: 'hash-3' });
      });

      it('lets only the request holding a reservation complete or release it, not one it was taken from', async () => {
        await store.idempotency.reserve(record('m-a:taken', { owner: 'first', expiresAt: new Date(Date.now() - 1_000) }));
        expect(await store.idempotency.reserve(record('m-a:taken', { owner: 'second', requestHash: 'hash-2' }))).toBeNull();
        await store.idempotency.complete('m-a:taken', 'first', [{ index: 0, status: 'CREATED', id: 'indicator--first', error: null }]);
        await store.idempotency.release('m-a:taken', 'first');
        expect(await store.idempotency.reserve(record('m-a:taken', { owner: 'third' }))).toMatchObject({ owner: 'second', requestHash: 'hash-2', response: null });
        const response = [{ index: 0, status: 'CREATED', id: 'indicator--second', error: null }];
        await store.idempotency.complete('m-a:taken', 'second', response);
        expect(await store.idempotency.reserve(record('m-a:taken', { owner: 'third' }))).toMatchObject({ owner: 'second', response });
      });

      it('gives a key to exactly one of many concurrent requests', async () => {
        const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => store.idempotency.reserve(record('m-a:race', { requestHash: `h${i}` }))));
        expect(answers.filter((a) => a === null)).toHaveLength(1);
        const winner = answers.find((a) => a !== null)!.requestHash;
        expect(answers.every((a) => a === null || a.requestHash === winner)).toBe(true);
      });
    });

    describe('sequences', () => {
      it('hands out consecutive numbers from 1, a range at a time, per name', async () => {
        expect(await store.sequences.next('indicators')).toBe(1);
        expect(await store.sequences.next('indicators', 5)).toBe(2);
        expect(await store.sequences.next('indicators')).toBe(7);
        expect(await store.sequences.next('audit')).toBe(1);
      });

      it('gives concurrent callers disjoint ranges with nothing lost', async () => {
        const firsts = await Promise.all(Array.from({ length: 25 }, () => store.sequences.next('race', 2)));
        const numbers = firsts.flatMap((f) => [f, f + 1]).sort((a, b) => a - b);
        expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      });
    });

    describe('sightings', () => {
      const sighting = (n: number, indicatorId: string, reportedAt: Date): SightingDoc => ({
        ...withId(`sighting--${String(n).padStart(4, '0')}`),
        indicatorId,
        reporter: 'm-b',
        count: n,
        seenAt: at(n),
        reportedAt,
      });

      it('answers the sightings of the asked indicators only, newest first (ties by id, descending)', async () => {
        await store.sightings.insert(sighting(1, 'i-1', at(10)));
        await store.sightings.insert(sighting(2, 'i-2', at(30)));
        await store.sightings.insert(sighting(3, 'i-1', at(20)));
        await store.sightings.insert(sighting(4, 'i-1', at(20)));
        await store.sightings.insert(sighting(5, 'i-3', at(40)));
        expect(ids(await store.sightings.findByIndicators(['i-1', 'i-2']))).toEqual(['sighting--0002', 'sighting--0004', 'sighting--0003', 'sighting--0001']);
        expect(await store.sightings.findByIndicators(['i-3'])).toEqual([sighting(5, 'i-3', at(40))]);
        expect(await store.sightings.findByIndicators([])).toEqual([]);
      });

      it('answers any read with filter, sort and limit (TAXII reads by reportedAt)', async () => {
        for (let n = 1; n <= 4; n++) await store.sightings.insert(sighting(n, `i-${n % 2}`, at(10 * n)));
        expect(store.sightings.find).toBeTypeOf('function');
        const page = await store.sightings.find!({ reportedAt: { $gte: at(20) } }, { sort: [['reportedAt', 1], ['_id', 1]], limit: 2 });
        expect(ids(page)).toEqual(['sighting--0002', 'sighting--0003']);
      });

      it('refuses a second sighting with the same id', async () => {
        await store.sightings.insert(sighting(1, 'i-1', at(10)));
        await expect(store.sightings.insert(sighting(1, 'i-2', at(11)))).rejects.toThrow();
        expect(await store.sightings.findByIndicators(['i-1', 'i-2'])).toEqual([sighting(1, 'i-1', at(10))]);
      });
    });

    describe('identity providers', () => {
      it('registers an issuer for one member only', async () => {
        expect(await store.identityProviders.findByIssuer('https://idp.a.example')).toBeNull();
        expect(await store.identityProviders.put(registration('https://idp.a.example', 'm-a'))).toBe(true);
        expect(await store.identityProviders.put(registration('https://idp.a.example', 'm-b', { audience: 'stolen' }))).toBe(false);
        expect(await store.identityProviders.findByIssuer('https://idp.a.example')).toEqual(registration('https://idp.a.example', 'm-a'));
      });

      it('replaces the same member\'s registration of the same issuer', async () => {
        await store.identityProviders.put(registration('https://idp.a.example', 'm-a'));
        const updated = registration('https://idp.a.example', 'm-a', { jwksUri: 'https://idp.a.example/jwks', jwks: null, updatedAt: at(9) });
        expect(await store.identityProviders.put(updated)).toBe(true);
        expect(await store.identityProviders.findByIssuer('https://idp.a.example')).toEqual(updated);
      });

      it('lists a member\'s registrations by issuer, and removes only the holder\'s', async () => {
        for (const issuer of ['https://b.example', 'https://A.example', 'https://a.example']) await store.identityProviders.put(registration(issuer, 'm-a'));
        await store.identityProviders.put(registration('https://c.example', 'm-b'));
        expect((await store.identityProviders.listByMember('m-a')).map((r) => r.issuer)).toEqual(['https://A.example', 'https://a.example', 'https://b.example']);
        expect(await store.identityProviders.remove('m-b', 'https://a.example')).toBe(false);
        expect(await store.identityProviders.remove('m-a', 'https://a.example')).toBe(true);
        expect(await store.identityProviders.remove('m-a', 'https://a.example')).toBe(false);
        expect(await store.identityProviders.findByIssuer('https://a.example')).toBeNull();
        expect(await store.identityProviders.put(registration('https://a.example', 'm-b'))).toBe(true);
      });
    });

    describe('API keys', () => {
      it('stores a key by id, refuses a duplicate id, and lists a member\'s keys newest first', async () => {
        expect(await store.apiKeys.get('k-1')).toBeNull();
        await store.apiKeys.insert(apiKey('k-1', 'm-a', { createdAt: at(1) }));
        await store.apiKeys.insert(apiKey('k-3', 'm-a', { createdAt: at(2) }));
        await store.apiKeys.insert(apiKey('k-2', 'm-a', { createdAt: at(2) }));
        await store.apiKeys.insert(apiKey('k-4', 'm-b', { createdAt: at(3), expiresAt: at(100) }));
        await expect(store.apiKeys.insert(apiKey('k-1', 'm-b'))).rejects.toThrow();
        expect(await store.apiKeys.get('k-1')).toEqual(apiKey('k-1', 'm-a', { createdAt: at(1) }));
        expect(ids(await store.apiKeys.listByMember('m-a'))).toEqual(['k-3', 'k-2', 'k-1']);
        expect(await store.apiKeys.listByMember('m-b')).toEqual([apiKey('k-4', 'm-b', { createdAt: at(3), expiresAt: at(100) })]);
      });

      it('revokes a live key once: two revocations at once let one through', async () => {
        await store.apiKeys.insert(apiKey('k-1', 'm-a'));
        const by = { memberId: 'm-a', userId: 'admin' };
        const [first, second] = await Promise.all([store.apiKeys.revoke('k-1', at(5), by), store.apiKeys.revoke('k-1', at(6), by)]);
        expect([first, second].filter((d) => d !== null)).toHaveLength(1);
        expect(await store.apiKeys.get('k-1')).toEqual(first ?? second);
        expect((first ?? second)!.revokedBy).toEqual(by);
        expect(await store.apiKeys.revoke('k-1', at(7), by)).toBeNull();
        expect(await store.apiKeys.revoke('k-missing', at(7), by)).toBeNull();
      });

      it('moves lastUsedAt forward only', async () => {
        await store.apiKeys.insert(apiKey('k-1', 'm-a'));
        await store.apiKeys.touch('k-1', at(10));
        expect((await store.apiKeys.get('k-1'))!.lastUsedAt).toEqual(at(10));
        await store.apiKeys.touch('k-1', at(5));
        expect((await store.apiKeys.get('k-1'))!.lastUsedAt).toEqual(at(10));
        await store.apiKeys.touch('k-1', at(11));
        expect((await store.apiKeys.get('k-1'))!.lastUsedAt).toEqual(at(11));
        await store.apiKeys.touch('k-missing', at(11));
        expect(await store.apiKeys.get('k-missing')).toBeNull();
      });
    });

    describe('communities', () => {
      it('stores a community by id, refuses a duplicate id, and finds by ids, by roster member and by owner', async () => {
        await store.communities.insert(community(2, 'm-a', ['m-a', 'm-b']));
        await store.communities.insert(community(1, 'm-b', ['m-b']));
        await store.communities.insert(community(3, 'm-a', ['m-c']));
        await expect(store.communities.insert(community(1, 'm-a', []))).rejects.toThrow();
        expect(await store.communities.findByIds(['community--0001', 'community--9999'])).toEqual([community(1, 'm-b', ['m-b'])]);
        expect(ids(await store.communities.withMembers(['m-b']))).toEqual(['community--0001', 'community--0002']);
        expect(ids(await store.communities.withMembers(['m-a', 'm-c']))).toEqual(['community--0002', 'community--0003']);
        expect(await store.communities.withMembers(['m-z'])).toEqual([]);
        expect(ids(await store.communities.ownedBy('m-a'))).toEqual(['community--0002', 'community--0003']);
        expect(ids(await store.communities.list(2))).toEqual(['community--0001', 'community--0002']);
        expect(await store.communities.count()).toBe(3);
      });

      it('adds a member once, up to the cap, and removes it, moving updatedAt only when the roster changed', async () => {
        await store.communities.insert(community(1, 'm-a', ['m-a']));
        const added = await store.communities.addMember('community--0001', 'm-b', at(5), 3);
        expect(added).toMatchObject({ members: ['m-a', 'm-b'], updatedAt: at(5) });
        expect(await store.communities.addMember('community--0001', 'm-b', at(6), 3)).toMatchObject({ members: ['m-a', 'm-b'], updatedAt: at(5) });
        expect(ids(await store.communities.withMembers(['m-b']))).toEqual(['community--0001']);
        await store.communities.addMember('community--0001', 'm-c', at(7), 3);
        expect(await store.communities.addMember('community--0001', 'm-d', at(8), 3)).toMatchObject({ members: ['m-a', 'm-b', 'm-c'], updatedAt: at(7) });
        const removed = await store.communities.removeMember('community--0001', 'm-b', at(9));
        expect(removed).toMatchObject({ members: ['m-a', 'm-c'], updatedAt: at(9) });
        expect(await store.communities.removeMember('community--0001', 'm-b', at(10))).toMatchObject({ members: ['m-a', 'm-c'], updatedAt: at(9) });
        expect(await store.communities.withMembers(['m-b'])).toEqual([]);
        expect(await store.communities.addMember('community--9999', 'm-b', at(11), 3)).toBeNull();
        expect(await store.communities.removeMember('community--9999', 'm-b', at(11))).toBeNull();
      });

      it('never passes the cap however many additions run at once', async () => {
        await store.communities.insert(community(1, 'm-a', []));
        await Promise.all(Array.from({ length: 10 }, (_, i) => store.communities.addMember('community--0001', `m-${i}`, at(1), 4)));
        expect((await store.communities.findByIds(['community--0001']))[0]!.members).toHaveLength(4);
      });

      it('lets a viewer\'s communities extend its TLP:RED visibility through the policy\'s own filter', async () => {
        await store.indicators.upsertClaims([
          indicator(1, { tlp: 'RED', recipients: ['community--0001'] }),
          indicator(2, { tlp: 'RED', recipients: ['m-v'] }),
          indicator(3, { tlp: 'RED', recipients: ['community--0002'] }),
        ].map(claimOf));
        const viewer = { ...member('m-v'), communities: ['community--0001'] } as Viewer;
        const found = await store.indicators.find(indicatorVisibility(viewer), { sort: [['_id', 1]] });
        expect(ids(found)).toEqual(['indicator--0001', 'indicator--0002']);
        expect(await store.indicators.count(indicatorVisibility(member('m-v')))).toBe(1);
      });
    });

    describe('people', () => {
      it('stores a person by id, refuses a duplicate id, and lists by member or all, by id', async () => {
        expect(await store.people.get('p-1')).toBeNull();
        await store.people.insert(person('p-2', 'm-a'));
        await store.people.insert(person('p-1', 'm-a'));
        await store.people.insert(person('P-3', 'm-b'));
        await expect(store.people.insert(person('p-1', 'm-b'))).rejects.toThrow(PersonConflictError);
        expect(await store.people.get('p-1')).toEqual(person('p-1', 'm-a'));
        expect(ids(await store.people.getMany(['p-1', 'missing', 'P-3'])).sort()).toEqual(['P-3', 'p-1']);
        expect(ids(await store.people.list('m-a', 10))).toEqual(['p-1', 'p-2']);
        expect(ids(await store.people.list(null, 10))).toEqual(['P-3', 'p-1', 'p-2']);
        expect(ids(await store.people.list(null, 2))).toEqual(['P-3', 'p-1']);
      });

      it('finds a person by identity, and links each identity to one person at most', async () => {
        const alice = person('alice', 'm-a', { identities: [{ issuer: 'https://idp.a', subject: 'a1' }, { issuer: 'https://idp.b', subject: 'a2' }] });
        await store.people.insert(alice);
        await store.people.insert(person('bob', 'm-a'));
        await store.people.insert(person('carol', 'm-a'));
        expect((await store.people.findByIdentity('https://idp.a', 'a1'))?._id).toBe('alice');
        expect((await store.people.findByIdentity('https://idp.b', 'a2'))?._id).toBe('alice');
        // The pair is what is unique: another pairing of the same issuer and subject is free.
        expect(await store.people.findByIdentity('https://idp.a', 'a2')).toBeNull();
        await store.people.insert(person('dave', 'm-b', { identities: [{ issuer: 'https://idp.a', subject: 'a2' }] }));
        await expect(store.people.insert(person('eve', 'm-b', { identities: [{ issuer: 'https://idp.a', subject: 'a1' }] }))).rejects.toThrow(PersonConflictError);
        expect(await store.people.get('eve')).toBeNull();
        const bob = (await store.people.get('bob'))!;
        await expect(store.people.update({ ...bob, identities: [{ issuer: 'https://idp.b', subject: 'a2' }] }, bob.version)).rejects.toThrow(PersonConflictError);
        expect((await store.people.get('bob'))!.identities).toEqual([]);
      });

      it('updates by compare-and-set on the version: two writers at once let one through', async () => {
        await store.people.insert(person('p-1', 'm-a', { identities: [{ issuer: 'https://idp.a', subject: 's' }] }));
        const read = (await store.people.get('p-1'))!;
        const [first, second] = await Promise.all([
          store.people.update({ ...read, roles: ['reader', 'publisher'], updatedAt: at(5) }, read.version),
          store.people.update({ ...read, status: 'REMOVED', updatedAt: at(6) }, read.version),
        ]);
        const won = [first, second].filter((d) => d !== null);
        expect(won).toHaveLength(1);
        expect(won[0]!.version).toBe(read.version + 1);
        expect(await store.people.get('p-1')).toEqual(won[0]);
        expect(await store.people.update({ ...read }, read.version)).toBeNull();
        expect(await store.people.update(person('missing', 'm-a'), 1)).toBeNull();
        // Unlinking frees the identity for someone else.
        const now = (await store.people.get('p-1'))!;
        await store.people.update({ ...now, identities: [] }, now.version);
        expect(await store.people.findByIdentity('https://idp.a', 's')).toBeNull();
        await store.people.insert(person('p-2', 'm-a', { identities: [{ issuer: 'https://idp.a', subject: 's' }] }));
        expect((await store.people.findByIdentity('https://idp.a', 's'))?._id).toBe('p-2');
      });
    });

    describe('approval requests', () => {
      it('lists by the policy\'s visibility and the effective status, newest first', async () => {
        const now = new Date();
        await store.approvals.insert(approval(1));
        await store.approvals.insert(approval(2, { expiresAt: new Date(now.getTime() - 1_000) }));
        await store.approvals.insert(approval(3, { ownerMemberId: 'm-b', requestedBy: { memberId: 'm-b', userId: 'bob' } }));
        await store.approvals.insert(approval(4, { status: 'APPROVED' }));
        const list = async (viewer: Viewer, status: Parameters<typeof approvalStatusFilter>[0]) =>
          ids(await store.approvals.find(and(approvalVisibility(viewer), approvalStatusFilter(status, now)), { sort: [['seq', -1]] }));
        const alice: Viewer = { kind: 'member', memberId: 'm-a', userId: 'alice', roles: ['publisher'], tier: 'TRUSTED' };
        const approverB = member('m-b', 'TRUSTED', ['approver']);
        expect(await list(alice, null)).toEqual(['approval--0004', 'approval--0002', 'approval--0001']);
        expect(await list(alice, 'PENDING')).toEqual(['approval--0001']);
        expect(await list(alice, 'EXPIRED')).toEqual(['approval--0002']);
        expect(await list(approverB, null)).toEqual(['approval--0003']);
        expect(await store.approvals.count(approvalStatusFilter('PENDING', now))).toBe(2);
      });

      it('decides a request once: the compare-and-set on PENDING lets one decision through', async () => {
        await store.approvals.insert(approval(1));
        const now = new Date();
        const claim = { _id: 'approval--0001', status: 'PENDING', expiresAt: { $gt: now } };
        const decision = { $set: { status: 'APPROVED', decidedBy: { memberId: 'm-b', userId: 'bob' }, decidedAt: now, decisionReason: null } };
        const [first, second] = await Promise.all([store.approvals.updateOne(claim, decision), store.approvals.updateOne(claim, decision)]);
        expect([first, second].filter((d) => d !== null)).toHaveLength(1);
        expect(first ?? second).toMatchObject({ status: 'APPROVED', decidedBy: { memberId: 'm-b', userId: 'bob' }, decidedAt: now });
        await expect(store.approvals.insert(approval(1))).rejects.toThrow();
      });
    });

    describe('audit log', () => {
      it('appends entries and reads them newest first, by member, action and time', async () => {
        for (let n = 1; n <= 5; n++) await store.audit.append(auditEntry(n, n === 2 ? { memberId: null, actor: null, action: 'LOGIN_FAILED', target: null } : n === 4 ? { memberId: 'm-b' } : {}));
        const admin: Viewer = { kind: 'member', memberId: 'm-z', userId: 'root', roles: ['hub-admin'], tier: 'CORE' };
        const adminOfA: Viewer = { kind: 'member', memberId: 'm-a', userId: 'ada', roles: ['member-admin'], tier: 'TRUSTED' };
        const read = async (viewer: Viewer, filter: Parameters<typeof auditFilter>[0] = null) =>
          ids(await store.audit.find(and(auditVisibility(viewer), auditFilter(filter)), { sort: [['seq', -1]] }));
        expect(await read(admin)).toEqual(['audit--0005', 'audit--0004', 'audit--0003', 'audit--0002', 'audit--0001']);
        expect(await read(adminOfA)).toEqual(['audit--0005', 'audit--0003', 'audit--0001']);
        expect(await read(admin, { action: ['LOGIN_FAILED'] })).toEqual(['audit--0002']);
        expect(await read(adminOfA, { since: at(2), until: at(5) })).toEqual(['audit--0003']);
        expect(await store.audit.count(auditVisibility(adminOfA))).toBe(3);
        expect(await store.audit.find({ _id: 'audit--0001' })).toEqual([auditEntry(1)]);
      });

      it("counts a refused-login aggregate up, atomically, moving lastAt forward only, and changes nothing else", async () => {
        const aggregate = { action: 'LOGIN_FAILED' as const, actor: null, target: null, details: { reason: 'r', count: 1, lastAt: at(1).toISOString() } };
        await store.audit.append(auditEntry(1, aggregate));
        await store.audit.append(auditEntry(2));
        expect(await store.audit.incrementCount('audit--0001', at(3))).toBe(true);
        expect(await store.audit.incrementCount('audit--0001', at(2))).toBe(true);
        expect((await store.audit.find({ _id: 'audit--0001' }))[0]!.details).toEqual({ reason: 'r', count: 3, lastAt: at(3).toISOString() });
        await Promise.all(Array.from({ length: 20 }, () => store.audit.incrementCount('audit--0001', at(4))));
        expect((await store.audit.find({ _id: 'audit--0001' }))[0]).toEqual(auditEntry(1, { ...aggregate, details: { reason: 'r', count: 23, lastAt: at(4).toISOString() } }));
        // Not an aggregate, or no such entry: false, nothing written.
        expect(await store.audit.incrementCount('audit--0002', at(5))).toBe(false);
        expect(await store.audit.incrementCount('audit--9999', at(5))).toBe(false);
        expect(await store.audit.find({ _id: 'audit--0002' })).toEqual([auditEntry(2)]);
        expect(await store.audit.count({})).toBe(2);
      });

      it('is append-only: no way to change or remove an entry, and a duplicate id is refused', async () => {
        await store.audit.append(auditEntry(1));
        await expect(store.audit.append(auditEntry(1, { summary: 'rewritten' }))).rejects.toThrow();
        const audit = store.audit as unknown as Record<string, unknown>;
        for (const name of ['update', 'updateOne', 'updateMany', 'replaceOne', 'put', 'upsert', 'delete', 'deleteOne', 'deleteMany', 'remove', 'trimBefore']) {
          expect(audit[name], name).toBeUndefined();
        }
        const [handed] = await store.audit.find({ _id: 'audit--0001' });
        try {
          (handed as { summary: string }).summary = 'changed by a caller';
        } catch {
          // a frozen entry: the embedded store refuses the change outright
        }
        expect((await store.audit.find({ _id: 'audit--0001' }))[0]!.summary).toBe('entry 1');
      });
    });

    describe('audit chain', () => {
      it('appends at a free position only: a taken seq answers false and writes nothing', async () => {
        expect(await store.audit.append(auditEntry(1))).toBe(true);
        expect(await store.audit.append(auditEntry(2, { seq: 1 }))).toBe(false);
        expect(ids(await store.audit.find({}))).toEqual(['audit--0001']);
      });

      it('lets exactly one of several writers racing for one position win it', async () => {
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.audit.append(auditEntry(10 + i, { seq: 5 }))));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.audit.count({ seq: 5 })).toBe(1);
      });

      it('stores checkpoints once per id and lists them newest first', async () => {
        const checkpoint = (seq: number, ms: number): AuditCheckpoint => ({
          _id: `audit-checkpoint--${String(seq).padStart(12, '0')}--${String(ms).padStart(15, '0')}`,
          seq,
          headHash: 'a'.repeat(64),
          at: new Date(ms),
          kid: 'k',
          jws: `jws-${seq}-${ms}`,
        });
        await store.audit.addCheckpoint(checkpoint(2, 2_000));
        await store.audit.addCheckpoint(checkpoint(10, 3_000));
        await store.audit.addCheckpoint(checkpoint(2, 2_500));
        await store.audit.addCheckpoint(checkpoint(2, 2_000));
        expect((await store.audit.checkpoints()).map((c) => c.jws)).toEqual(['jws-10-3000', 'jws-2-2500', 'jws-2-2000']);
        expect(await store.audit.checkpoints(1)).toEqual([checkpoint(10, 3_000)]);
      });
    });

    describe('collections (export and import)', () => {
      /** One document per collection, written through the repositories as the services write them. */
      async function populate(target: Store): Promise<void> {
        await target.members.put(memberDoc('m-a'));
        await seedIndicators(target, [indicator(1)]);
        await target.notices.insert(notice(1));
        await target.vulnerabilities.insert(vulnerability(1));
        await target.modelReviews.insert(modelReview(1));
        await target.sightings.insert({ ...withId('sighting--0001'), indicatorId: 'indicator--0001', reporter: 'm-b', count: 1, seenAt: at(1), reportedAt: at(1) });
        await target.approvals.insert(approval(1));
        await target.identityProviders.put(registration('https://idp.example', 'm-a'));
        await target.apiKeys.insert(apiKey('0123456789abcdef', 'm-a'));
        await target.idempotency.reserve({ _id: 'm-a:k1', requestHash: 'h', response: null, owner: 'o-1', createdAt: at(1), expiresAt: new Date(Date.now() + 3_600_000) });
        await target.idempotency.complete('m-a:k1', 'o-1', { ok: true, at: at(2).toISOString(), list: [1, 2] });
        await target.people.insert(person('alice', 'm-a', { identities: [{ issuer: 'https://idp.example', subject: 'a1' }] }));
        await target.communities.insert({ _id: 'community--1', name: 'Energy', description: 'd', ownerMemberId: 'm-a', members: ['m-a', 'm-b'], createdAt: at(1), createdBy: { memberId: 'm-a', userId: 'alice' }, updatedAt: at(1) } as CommunityDoc);
        await target.sequences.next('indicators', 3);
        await target.events.append([{ type: 'PUBLISHED', kind: 'INDICATOR', recordId: 'indicator--0001', occurredAt: at(1), before: null, after: { source: 'm-a', tlp: 'GREEN', recipients: [] } }]);
        await target.audit.append(auditEntry(1));
        await target.audit.addCheckpoint({ _id: 'audit-checkpoint--000000000001--000000000001000', seq: 1, headHash: 'b'.repeat(64), at: at(1), kid: 'k', jws: 'x' });
        await target.taxiiStatuses.insert(taxiiStatus('s-1', 'm-a', new Date(Date.now() + 3_600_000)));
        await target.stixVersions.put([stixVersion('m-a', 'indicator--1', '2026-01-01T00:00:00.000000000Z')]);
        await target.decayModels.put({ _id: 'IPV4', lifetimeDays: 14, speed: 0.5, threshold: 30, updatedAt: at(1), updatedBy: 'alice' });
        await target.warningLists.insert(warningList('warning-list--1', 'm-a', 'egress', 1, { updatedAt: at(1) }));
        await target.jobStates.put({ _id: 'warned-by', revision: 'r1', updatedAt: at(1), state: { fingerprint: 'f', types: ['IPV4'], scans: [] } }, null);
      }

      async function scanAll(target: Store): Promise<Record<string, unknown[]>> {
        const out: Record<string, unknown[]> = {};
        for (const name of STORE_COLLECTIONS) {
          out[name] = [];
          for await (const doc of target.backup[name].scan()) out[name]!.push(doc);
        }
        return out;
      }

      it('scans a document in every collection the repositories wrote, and loads them back into an empty store as they were', async () => {
        await populate(store);
        const scanned = await scanAll(store);
        for (const name of STORE_COLLECTIONS) expect(scanned[name]!.length, name).toBeGreaterThan(0);
        expect(scanned.sequences).toContainEqual({ _id: 'indicators', value: 3 });
        expect(scanned.eventLog).toEqual([{ _id: 'eventLog', latest: 1, trimmedThrough: 0 }]);
        expect(scanned.audit).toEqual([auditEntry(1)]);
        // Loaded elsewhere (an empty store of the same adapter), every repository reads it back.
        const other = await makeStore();
        try {
          for (const name of STORE_COLLECTIONS) await other.backup[name].load(scanned[name] as StoredDocument[]);
          expect(await scanAll(other)).toEqual(scanned);
          expect(await other.sequences.next('indicators')).toBe(4);
          expect((await other.events.append([{ type: 'PUBLISHED', kind: 'INDICATOR', recordId: 'indicator--0002', occurredAt: at(2), before: null, after: { source: 'm-a', tlp: 'GREEN', recipients: [] } }]))[0]!._id).toBe(2);
          expect(idAndCreated((await other.indicators.upsertClaims([claimOf(indicator(1))]))[0]!)).toEqual({ id: 'indicator--0001', created: false });
          expect(await other.apiKeys.get('0123456789abcdef')).toMatchObject({ memberId: 'm-a' });
          expect(await other.audit.append(auditEntry(2, { seq: 1 }))).toBe(false);
          expect((await other.communities.withMembers(['m-b'])).map((c) => c._id)).toEqual(['community--1']);
          // The identity index comes back with its people.
          expect((await other.people.findByIdentity('https://idp.example', 'a1'))?._id).toBe('alice');
          expect(await other.taxiiStatuses.get('s-1', new Date())).toMatchObject({ memberId: 'm-a', totalCount: 2 });
          expect(await other.stixVersions.find('m-a', ['indicator--1'])).toHaveLength(1);
        } finally {
          if (other !== store) await other.close();
        }
      });

      it('refuses to load a document whose id the collection already holds', async () => {
        await populate(store);
        await expect(store.backup.audit.load([auditEntry(1, { summary: 'replaced' }) as unknown as StoredDocument])).rejects.toThrow(/duplicate/);
        expect((await store.audit.find({ _id: 'audit--0001' }))[0]!.summary).toBe('entry 1');
      });
    });

    describe('event log', () => {
      it('starts empty', async () => {
        expect(await store.events.bounds()).toEqual({ latest: 0, trimmedThrough: 0 });
        expect(await store.events.readAfter(0, 10)).toEqual([]);
        expect(await store.events.append([])).toEqual([]);
      });

      it('gives appended events consecutive positions from 1, and reads them back as written', async () => {
        const first = await store.events.append([newEvent(1), newEvent(2, 'indicator--0002')]);
        const second = await store.events.append([{ ...newEvent(3), type: 'UPDATED', before: { source: 'm-a', tlp: 'AMBER', recipients: [] } }]);
        expect(first.map((e) => e._id)).toEqual([1, 2]);
        expect(second.map((e) => e._id)).toEqual([3]);
        expect(first[1]).toEqual({ ...newEvent(2, 'indicator--0002'), _id: 2 });
        expect(await store.events.readAfter(0, 10)).toEqual([...first, ...second]);
        expect(await store.events.bounds()).toEqual({ latest: 3, trimmedThrough: 0 });
      });

      it('reads after a position, oldest first, at most the limit', async () => {
        await store.events.append(Array.from({ length: 7 }, (_, i) => newEvent(i)));
        expect((await store.events.readAfter(2, 3)).map((e) => e._id)).toEqual([3, 4, 5]);
        expect((await store.events.readAfter(5, 100)).map((e) => e._id)).toEqual([6, 7]);
        expect(await store.events.readAfter(7, 10)).toEqual([]);
        expect(await store.events.readAfter(2, 0)).toEqual([]);
      });

      it('gives concurrent appends distinct positions with no gap', async () => {
        const batches = await Promise.all(Array.from({ length: 10 }, (_, i) => store.events.append([newEvent(i), newEvent(i)])));
        const positions = batches.flatMap((b) => b.map((e) => e._id)).sort((a, b) => a - b);
        expect(positions).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        for (const b of batches) expect(b[1]!._id).toBe(b[0]!._id + 1);
        expect((await store.events.readAfter(0, 100)).map((e) => e._id)).toEqual(positions);
      });

      it('trims the events before the first that occurred at or after the cutoff, and says where it trimmed', async () => {
        await store.events.append([newEvent(10), newEvent(20), newEvent(30), newEvent(15), newEvent(40)]);
        expect(await store.events.trimBefore(at(25))).toBe(2);
        expect(await store.events.bounds()).toEqual({ latest: 5, trimmedThrough: 2 });
        expect((await store.events.readAfter(0, 10)).map((e) => e._id)).toEqual([3, 4, 5]);
        expect(await store.events.trimBefore(at(25))).toBe(0);
        expect(await store.events.bounds()).toEqual({ latest: 5, trimmedThrough: 2 });
      });

      it('keeps counting after the whole log was trimmed', async () => {
        await store.events.append([newEvent(1), newEvent(2)]);
        expect(await store.events.trimBefore(at(1_000))).toBe(2);
        expect(await store.events.bounds()).toEqual({ latest: 2, trimmedThrough: 2 });
        expect(await store.events.readAfter(0, 10)).toEqual([]);
        expect((await store.events.append([newEvent(3)]))[0]!._id).toBe(3);
        expect(await store.events.bounds()).toEqual({ latest: 3, trimmedThrough: 2 });
        expect(await store.events.trimBefore(at(0))).toBe(0);
      });
    });

    describe('rate limits', () => {
      // One token a second, bursts of 3. Times from now on: a TTL index must not forget a bucket mid-test.
      const bucket = { capacity: 3, refillPerMs: 1 / 1_000 };
      const t0 = Date.now();
      const after = (ms: number) => new Date(t0 + ms);

      it('allows a burst up to the capacity, then refuses with a positive retryAfter', async () => {
        const decisions = [];
        for (let i = 0; i < 4; i++) decisions.push(await store.rateLimits.take('member:m-a', after(0), bucket));
        expect(decisions.slice(0, 3)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
        expect(decisions[3]).toEqual({ ok: false, retryAfterSeconds: 1 });
        expect(await store.rateLimits.take('member:m-a', after(400), bucket)).toEqual({ ok: false, retryAfterSeconds: 1 });
      });

      it('refills at its rate up to the capacity, and never for a clock that runs behind', async () => {
        for (let i = 0; i < 3; i++) await store.rateLimits.take('ip:192.0.2.1', after(0), bucket);
        expect((await store.rateLimits.take('ip:192.0.2.1', after(-5_000), bucket)).ok).toBe(false);
        // 1.05 tokens, not exactly one: MongoDB measures the time between takes on its own clock
        // (shifted by the caller's), which may differ from the caller's by a millisecond.
        expect(await store.rateLimits.take('ip:192.0.2.1', after(1_050), bucket)).toEqual({ ok: true });
        expect((await store.rateLimits.take('ip:192.0.2.1', after(1_050), bucket)).ok).toBe(false);
        // Long idle: full again, but no fuller than the capacity.
        const later = [];
        for (let i = 0; i < 4; i++) later.push((await store.rateLimits.take('ip:192.0.2.1', after(60_000), bucket)).ok);
        expect(later).toEqual([true, true, true, false]);
        const slow = { capacity: 1, refillPerMs: 1 / 60_000 };
        await store.rateLimits.take('member:m-slow', after(0), slow);
        expect(await store.rateLimits.take('member:m-slow', after(0), slow)).toEqual({ ok: false, retryAfterSeconds: 60 });
      });

      it('keeps keys independent', async () => {
        for (let i = 0; i < 3; i++) await store.rateLimits.take('member:m-a', after(0), bucket);
        expect((await store.rateLimits.take('member:m-a', after(0), bucket)).ok).toBe(false);
        expect(await store.rateLimits.take('member:m-b', after(0), bucket)).toEqual({ ok: true });
        expect(await store.rateLimits.take('ip:m-a', after(0), bucket)).toEqual({ ok: true });
      });

      it('never spends one token twice, however many takes run at once', async () => {
        const decisions = await Promise.all(Array.from({ length: 10 }, () => store.rateLimits.take('member:m-busy', after(0), bucket)));
        expect(decisions.filter((d) => d.ok)).toHaveLength(3);
      });
    });

    describe('TAXII status resources', () => {
      it('gives a status back as stored until its expiresAt, then neither gets nor keeps it', async () => {
        await store.taxiiStatuses.insert(taxiiStatus('s-1', 'm-a', at(100)));
        await store.taxiiStatuses.insert(taxiiStatus('s-2', 'm-b', at(200)));
        expect(await store.taxiiStatuses.get('s-1', at(100))).toEqual(taxiiStatus('s-1', 'm-a', at(100)));
        expect(await store.taxiiStatuses.get('s-1', at(101))).toBeNull();
        expect(await store.taxiiStatuses.get('nope', at(1))).toBeNull();
        expect(await store.taxiiStatuses.removeExpired(at(150))).toBe(1);
        expect(await store.taxiiStatuses.get('s-1', at(1))).toBeNull();
        expect(await store.taxiiStatuses.get('s-2', at(150))).toMatchObject({ memberId: 'm-b' });
        await expect(store.taxiiStatuses.insert(taxiiStatus('s-2', 'm-a', at(300)))).rejects.toThrow();
      });
    });

    describe('STIX object versions', () => {
      it("finds a member's own entries only, and replaces an entry on put", async () => {
        await store.stixVersions.put([stixVersion('m-a', 'indicator--1', '2026-01-01T00:00:00.000000000Z'), stixVersion('m-b', 'indicator--1', '2026-02-01T00:00:00.000000000Z')]);
        await store.stixVersions.put([stixVersion('m-a', 'sighting--1', '2026-01-01T00:00:00.000000000Z', { count: 3 })]);
        await store.stixVersions.put([]);
        expect((await store.stixVersions.find('m-a', ['indicator--1', 'indicator--2'])).map((d) => d.modified)).toEqual(['2026-01-01T00:00:00.000000000Z']);
        expect(await store.stixVersions.find('m-c', ['indicator--1'])).toEqual([]);
        expect(await store.stixVersions.find('m-a', [])).toEqual([]);
        await store.stixVersions.put([stixVersion('m-a', 'indicator--1', '2026-03-01T00:00:00.000000000Z', { recordId: 'indicator--0002' })]);
        const [entry] = await store.stixVersions.find('m-a', ['indicator--1', 'indicator--1']);
        expect(entry).toEqual(stixVersion('m-a', 'indicator--1', '2026-03-01T00:00:00.000000000Z', { recordId: 'indicator--0002' }));
        expect((await store.stixVersions.find('m-a', ['sighting--1']))[0]!.count).toBe(3);
      });
    });

    describe('decay models', () => {
      it('holds one model per indicator type, replaced on put', async () => {
        expect(await store.decayModels.all()).toEqual([]);
        const t = new Date('2026-01-01T00:00:00Z');
        await store.decayModels.put({ _id: 'IPV4', lifetimeDays: 14, speed: 0.5, threshold: 30, updatedAt: t, updatedBy: 'alice' });
        await store.decayModels.put({ _id: 'DOMAIN', lifetimeDays: 90, speed: 1, threshold: 20, updatedAt: t, updatedBy: 'alice' });
        await store.decayModels.put({ _id: 'IPV4', lifetimeDays: 7.5, speed: 2, threshold: 40, updatedAt: t, updatedBy: 'bob' });
        const all = (await store.decayModels.all()).sort((a, b) => (a._id < b._id ? -1 : 1));
        expect(all).toEqual([
          { _id: 'DOMAIN', lifetimeDays: 90, speed: 1, threshold: 20, updatedAt: t, updatedBy: 'alice' },
          { _id: 'IPV4', lifetimeDays: 7.5, speed: 2, threshold: 40, updatedAt: t, updatedBy: 'bob' },
        ]);
      });
    });

    describe('warning lists', () => {
      it('keeps one list per member and name, replaces by compare-and-set on seq, and reports the last seq', async () => {
        expect(await store.warningLists.all()).toEqual([]);
        expect(await store.warningLists.lastSeq()).toBe(0);
        const a = warningList('warning-list--a', 'm-a', 'egress', 1);
        expect(await store.warningLists.insert(a)).toBe(true);
        expect(await store.warningLists.insert(warningList('warning-list--b', 'm-a', 'egress', 2))).toBe(false);
        expect(await store.warningLists.insert(warningList('warning-list--c', 'm-b', 'egress', 3))).toBe(true);
        expect(await store.warningLists.get('warning-list--a')).toEqual(a);
        expect(await store.warningLists.get('warning-list--b')).toBeNull();
        expect((await store.warningLists.byName('m-b', 'egress'))?._id).toBe('warning-list--c');
        expect(await store.warningLists.byName('m-b', 'other')).toBeNull();
        expect(await store.warningLists.lastSeq()).toBe(3);
        const replaced = { ...a, entries: ['192.0.2.0/24'], version: 2, seq: 4 };
        expect(await store.warningLists.replace(replaced, 2)).toBe(false);
        expect(await store.warningLists.replace(replaced, 1)).toBe(true);
        expect(await store.warningLists.replace({ ...replaced, seq: 5 }, 1)).toBe(false);
        expect(await store.warningLists.get('warning-list--a')).toEqual(replaced);
        expect(await store.warningLists.countActive('m-a')).toBe(1);
        expect(await store.warningLists.replace({ ...replaced, revoked: true, revokedReason: 'gone', seq: 6 }, 4)).toBe(true);
        expect(await store.warningLists.countActive('m-a')).toBe(0);
        expect(await store.warningLists.lastSeq()).toBe(6);
        expect((await store.warningLists.all()).map((l) => [l._id, l.seq])).toEqual([['warning-list--c', 3], ['warning-list--a', 6]]);
      });
    });

    describe('job states', () => {
      it('stores a job\'s state by compare-and-set on its revision: a stale or duplicate write changes nothing', async () => {
        const t = new Date('2026-01-01T00:00:00Z');
        expect(await store.jobStates.get('warned-by')).toBeNull();
        const first = { _id: 'warned-by', revision: 'r1', updatedAt: t, state: { fingerprint: 'f', scans: [{ id: 's', afterSeq: null, types: ['IPV4'] }] } };
        expect(await store.jobStates.put(first, null)).toBe(true);
        expect(await store.jobStates.put({ ...first, revision: 'r1b' }, null)).toBe(false);
        expect(await store.jobStates.get('warned-by')).toEqual(first);
        const second = { ...first, revision: 'r2', state: { fingerprint: 'f', scans: [] } };
        expect(await store.jobStates.put(second, 'r0')).toBe(false);
        expect(await store.jobStates.put(second, 'r1')).toBe(true);
        expect(await store.jobStates.put({ ...second, revision: 'r3' }, 'r1')).toBe(false);
        expect(await store.jobStates.get('warned-by')).toEqual(second);
        expect(await store.jobStates.get('other')).toBeNull();
      });
    });

    describe('leases', () => {
      const t0 = Date.now();
      const after = (ms: number) => new Date(t0 + ms);

      it('grants a free lease, refuses it to others until it expires, and lets its holder renew it', async () => {
        expect(await store.leases.acquire('job', 'a', 1_000, after(0))).toBe(true);
        expect(await store.leases.acquire('job', 'b', 1_000, after(500))).toBe(false);
        expect(await store.leases.acquire('job', 'a', 1_000, after(900))).toBe(true);
        expect(await store.leases.acquire('job', 'b', 1_000, after(1_500))).toBe(false);
        expect(await store.leases.acquire('job', 'b', 1_000, after(2_000))).toBe(true);
        expect(await store.leases.acquire('job', 'a', 1_000, after(2_100))).toBe(false);
        expect(await store.leases.acquire('other-job', 'a', 1_000, after(2_100))).toBe(true);
      });

      it('grants a lease to exactly one of several instances asking at once', async () => {
        const granted = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((holder) => store.leases.acquire('job', holder, 10_000, after(0))));
        expect(granted.filter(Boolean)).toHaveLength(1);
        await Promise.all(['a', 'b', 'c', 'd', 'e'].map((holder) => store.leases.acquire('job', holder, 10_000, after(20_000))));
        const renewedBy = ['a', 'b', 'c', 'd', 'e'];
        const again = await Promise.all(renewedBy.map((holder) => store.leases.acquire('job', holder, 10_000, after(21_000))));
        expect(again.filter(Boolean)).toHaveLength(1);
      });
    });
  });
}
