/**
 * The MongoDB adapter without a server: its index definitions, the documents it sends (run here
 * through mingo, the embedded store's engine, to show they mean what the adapter relies on), the
 * refusal to start when MongoDB is unreachable, and the multi-instance bus over a fake driver.
 */
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Query, update as mingoUpdate } from 'mingo';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import type { EventDoc, NewEvent } from '../src/domain/events.js';
import type { IndicatorDoc } from '../src/domain/types.js';
import { startHub } from '../src/main.js';
import type { Filter } from '../src/domain/filter.js';
import { createMemoryStore } from '../src/store/memory/memory-store.js';
import { MemoryEventLog } from '../src/store/memory/memory-events.js';
import type { ClaimUpsert, SortSpec } from '../src/store/ports.js';
import { keysetAfter, MODEL_REVIEW_CLOSE_ORDER, MODEL_REVIEW_LIST_ORDER, sortFor } from '../src/store/queries.js';
import { COLLECTIONS } from '../src/store/mongo/mongo-collections.js';
import { connectMongo, databaseOf, describeMongoUri, MongoUnavailableError, scrubCredentials } from '../src/store/mongo/mongo-connection.js';
import {
  boundsOf,
  claimFilter,
  claimIdsQuery,
  claimKeyString,
  claimResults,
  claimUpsertOps,
  eventDocs,
  firstKeptQuery,
  firstOfRange,
  fromStoredEvent,
  idempotencyClaimFilter,
  identityProviderPutFilter,
  isDuplicateKey,
  memberChangesSince,
  readAfterQuery,
  RESERVATION_LEASE_MS,
  sequenceId,
  sequenceIncrement,
  toMongoSort,
  type StoredEvent,
} from '../src/store/mongo/mongo-documents.js';
import { MongoEventBus } from '../src/store/mongo/mongo-event-bus.js';
import { ensureIndexes, IndexConflictError, indexSpecification, MONGO_INDEXES } from '../src/store/mongo/mongo-indexes.js';
import { OrderedEventFeed } from '../src/store/mongo/ordered-event-feed.js';
import { HUB_BIN } from './support/hub-bin.js';

const T0 = new Date('2026-11-26T12:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1_000);
const matches = (filter: Filter, doc: object) => new Query(filter).test(doc as Record<string, unknown>);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The driver's Db, named without importing the driver (only src/store/mongo/ does). */
type Db = Parameters<typeof ensureIndexes>[0];

function claim(n: number, over: { source?: string; value?: string; set?: Partial<IndicatorDoc> } = {}): ClaimUpsert {
  return {
    key: { source: over.source ?? 'm-a', type: 'DOMAIN', value: over.value ?? `host${n}.example` },
    onInsert: { _id: `indicator--${n}`, createdAt: at(n), sightingCount: 0, lastSeenAt: null },
    set: {
      submittedValue: `host${n}[.]example`, tlp: 'GREEN', recipients: [], severity: 'HIGH', severityRank: 3, confidence: 80,
      validFrom: at(n), validUntil: null, tags: ['t'], description: null, revoked: false, revokedReason: null, updatedAt: at(n), seq: n,
      ...over.set,
    },
  };
}

const event = (n: number, occurredAt = at(n)): NewEvent => ({
  type: 'PUBLISHED', kind: 'INDICATOR', recordId: `indicator--${n}`, occurredAt, before: null, after: { source: 'm-a', tlp: 'CLEAR', recipients: [] },
});
const positioned = (position: number): EventDoc => ({ ...event(position), _id: position });

describe('index definitions', () => {
  it('give every index the query that needs it', () => {
    for (const index of MONGO_INDEXES) {
      expect(index.purpose.length, index.name).toBeGreaterThan(30);
      expect(Object.keys(index.key).length, index.name).toBeGreaterThan(0);
    }
  });

  it('name each index once per collection, and list MongoDB\'s own _id indexes only as _id_', () => {
    const names = MONGO_INDEXES.map((i) => `${i.collection}.${i.name}`);
    expect(new Set(names).size).toBe(names.length);
    for (const index of MONGO_INDEXES.filter((i) => i.builtIn)) expect([index.name, index.key]).toEqual(['_id_', { _id: 1 }]);
    for (const index of MONGO_INDEXES.filter((i) => !i.builtIn)) expect(index.name).not.toBe('_id_');
  });

  it('cover the queries the issue names: values, TLP and time, event positions, idempotency TTL, audit by member and time', () => {
    const find = (collection: string, name: string) => MONGO_INDEXES.find((i) => i.collection === collection && i.name === name);
    expect(find(COLLECTIONS.indicators, 'indicators_claim')).toMatchObject({ key: { source: 1, type: 1, value: 1 }, unique: true });
    expect(find(COLLECTIONS.indicators, 'indicators_value')).toMatchObject({ key: { value: 1 } });
    expect(find(COLLECTIONS.indicators, 'indicators_tlp_seq')).toMatchObject({ key: { tlp: 1, seq: -1 } });
    expect(find(COLLECTIONS.notices, 'notices_tlp_seq')).toMatchObject({ key: { tlp: 1, seq: -1 } });
    expect(find(COLLECTIONS.events, '_id_')).toMatchObject({ builtIn: true });
    expect(find(COLLECTIONS.events, 'events_expiry')).toMatchObject({ key: { expiresAt: 1 }, expireAfterSeconds: 0 });
    expect(find(COLLECTIONS.idempotency, 'idempotency_expiry')).toMatchObject({ key: { expiresAt: 1 }, expireAfterSeconds: 0 });
    expect(find(COLLECTIONS.audit, 'audit_member_at')).toMatchObject({ key: { memberId: 1, at: -1 } });
    expect(find(COLLECTIONS.audit, 'audit_member_seq')).toMatchObject({ key: { memberId: 1, seq: -1 } });
    expect(find(COLLECTIONS.sightings, 'sightings_indicator')).toMatchObject({ key: { indicatorId: 1, reportedAt: -1, _id: -1 } });
  });

  it("cover model reviews' orders, the lookups of a review's findings, and every branch of the findings' restriction", () => {
    const keys = (collection: string) => MONGO_INDEXES.filter((i) => i.collection === collection).map((i) => Object.entries(i.key));
    const direction = (sort: SortSpec) => sort.map(([f, d]) => [f, d]);
    const flipped = (sort: SortSpec) => sort.map(([f, d]) => [f, -d]);
    for (const sort of [MODEL_REVIEW_LIST_ORDER, MODEL_REVIEW_CLOSE_ORDER]) {
      // An index whose keys end with the sort (any equality prefix), in either direction.
      const served = keys(COLLECTIONS.modelReviews).some((k) => [direction(sort), flipped(sort)].some((s) => JSON.stringify(k.slice(k.length - s.length)) === JSON.stringify(s)));
      expect(served, JSON.stringify(sort)).toBe(true);
    }
    for (const collection of [COLLECTIONS.notices, COLLECTIONS.vulnerabilities]) {
      for (const field of ['reviewId', 'reviewAudience', 'reviewReleaseAt']) expect(keys(collection).some((k) => k[0]![0] === field), `${collection}.${field}`).toBe(true);
    }
    for (const field of ['lab', 'reviewers', 'closesAt']) expect(keys(COLLECTIONS.modelReviews).some((k) => k[0]![0] === field), field).toBe(true);
  });

  it('keep the key order the queries sort on', () => {
    expect(Object.keys(MONGO_INDEXES.find((i) => i.name === 'approvals_requester_seq')!.key)).toEqual(['requestedBy.memberId', 'requestedBy.userId', 'seq']);
    expect(Object.keys(MONGO_INDEXES.find((i) => i.name === 'indicators_claim')!.key)).toEqual(['source', 'type', 'value']);
  });

  it('give every ordering the API offers an index that yields its sort, for indicators and notices, in either direction', () => {
    const orderings = {
      [COLLECTIONS.indicators]: ['UPDATED_AT', 'CREATED_AT', 'VALID_FROM', 'SEVERITY', 'CONFIDENCE', 'SOURCE'],
      [COLLECTIONS.notices]: ['UPDATED_AT', 'CREATED_AT', 'SEVERITY'],
    } as const;
    for (const [collection, fields] of Object.entries(orderings)) {
      for (const field of fields) {
        for (const direction of ['ASC', 'DESC'] as const) {
          const sort = sortFor(field, direction);
          // An index gives the sort when its key starts with the sort's fields, all in the sort's
          // directions or all reversed (MongoDB walks an index either way).
          const gives = MONGO_INDEXES.some((index) => {
            if (index.collection !== collection) return false;
            const key = Object.entries(index.key);
            if (key.length < sort.length) return false;
            const same = sort.every(([f, d], i) => key[i]![0] === f && key[i]![1] === d);
            const reversed = sort.every(([f, d], i) => key[i]![0] === f && key[i]![1] === -d);
            return same || reversed;
          });
          expect(gives, `${collection} ${field} ${direction}`).toBe(true);
        }
      }
    }
  });

  it('bound every createIndexes: a majority commit quorum (not every voting member) and a time limit, after which the start goes on', async () => {
    const options: unknown[] = [];
    const slow: string[] = [];
    const db = {
      listCollections: () => ({ toArray: async () => Object.values(COLLECTIONS).map((name) => ({ name })) }),
      collection: (collection: string) => ({
        createIndexes: async (_specs: unknown[], opts: unknown) => {
          options.push(opts);
          if (collection === COLLECTIONS.indicators) throw Object.assign(new Error('operation exceeded time limit'), { code: 50 });
        },
      }),
    } as unknown as Db;
    await ensureIndexes(db, MONGO_INDEXES, { maxTimeMS: 1_234, onSlowBuild: (collection) => slow.push(collection) });
    expect(options.length).toBeGreaterThan(5);
    for (const o of options) expect(o).toEqual({ commitQuorum: 'majority', maxTimeMS: 1_234 });
    expect(slow).toEqual([COLLECTIONS.indicators]);
  });

  it('make every TTL index a single date field, as MongoDB requires', () => {
    const ttl = MONGO_INDEXES.filter((i) => i.expireAfterSeconds !== undefined);
    expect(ttl.map((i) => i.name).sort()).toEqual(['busCursors_expiry', 'events_expiry', 'idempotency_expiry', 'memberChanges_at', 'rateLimits_expiry', 'taxiiStatuses_expiry']);
    for (const index of ttl) expect(Object.keys(index.key), index.name).toHaveLength(1);
  });

  it('are created one createIndexes per collection, without the built-in ones, and a conflicting index stops the start', async () => {
    const calls: Array<{ collection: string; specs: unknown[] }> = [];
    const created: string[] = [];
    const db = {
      listCollections: () => ({ toArray: async () => [{ name: COLLECTIONS.indicators }] }),
      createCollection: async (name: string) => {
        created.push(name);
        if (name === COLLECTIONS.events) throw Object.assign(new Error('already exists'), { code: 48 }); // another instance was first
      },
      collection: (collection: string) => ({ createIndexes: async (specs: unknown[]) => void calls.push({ collection, specs }) }),
    } as unknown as Db;
    await ensureIndexes(db);
    expect(created.sort()).toEqual(Object.values(COLLECTIONS).filter((c) => c !== COLLECTIONS.indicators).sort());
    expect(new Set(calls.map((c) => c.collection)).size).toBe(calls.length);
    const specs = calls.flatMap((c) => c.specs as Array<{ name: string }>);
    expect(specs.map((s) => s.name).sort()).toEqual(MONGO_INDEXES.filter((i) => !i.builtIn).map((i) => i.name).sort());
    expect(specs.find((s) => s.name === 'indicators_claim')).toEqual({ key: { source: 1, type: 1, value: 1 }, name: 'indicators_claim', unique: true });
    expect(indexSpecification(MONGO_INDEXES.find((i) => i.name === 'events_expiry')!)).toEqual({ key: { expiresAt: 1 }, name: 'events_expiry', expireAfterSeconds: 0 });

    const conflicting = {
      listCollections: () => ({ toArray: async () => Object.values(COLLECTIONS).map((name) => ({ name })) }),
      collection: () => ({ createIndexes: async () => Promise.reject(Object.assign(new Error('Index with name: indicators_value already exists with different options'), { code: 85 })) }),
    } as unknown as Db;
    await expect(ensureIndexes(conflicting)).rejects.toThrow(IndexConflictError);
    await expect(ensureIndexes(conflicting)).rejects.toThrow(/indicators.*dropIndex/);
  });
});

/** An ordered bulk of upserts, executed with mingo exactly as MongoDB executes it. */
function bulkUpsertWithMingo(docs: Array<Record<string, unknown>>, upserts: readonly ClaimUpsert[]): Record<number, unknown> {
  const upsertedIds: Record<number, unknown> = {};
  claimUpsertOps(upserts).forEach((op, i) => {
    const { filter, update, upsert } = (op as { updateOne: { filter: Filter; update: Record<string, Record<string, unknown>>; upsert: boolean } }).updateOne;
    expect(upsert).toBe(true);
    const existing = docs.find((d) => matches(filter, d));
    if (existing) {
      if (update.$set) mingoUpdate(existing, { $set: update.$set });
    } else {
      // An upsert's insert: the filter's equality fields, then $setOnInsert, then $set.
      const doc = { ...filter, ...update.$setOnInsert, ...update.$set };
      docs.push(doc);
      upsertedIds[i] = doc._id;
    }
  });
  return upsertedIds;
}

describe('the documents a publish sends', () => {
  it('are one upsert per claim on the unique key, $setOnInsert for creation fields, $set for content', () => {
    const [op] = claimUpsertOps([claim(1)]);
    expect(op).toEqual({
      updateOne: {
        filter: { source: 'm-a', type: 'DOMAIN', value: 'host1.example' },
        update: { $setOnInsert: { _id: 'indicator--1', createdAt: at(1), sightingCount: 0, lastSeenAt: null }, $set: claim(1).set },
        upsert: true,
      },
    });
  });

  it('leave a field named in both out of $setOnInsert (MongoDB refuses one path in two operators; $set wins, as in memory)', () => {
    const both = claim(1, { set: { sightingCount: 5 } });
    const [op] = claimUpsertOps([both]) as Array<{ updateOne: { update: { $setOnInsert: object; $set: object } } }>;
    expect(op!.updateOne.update.$setOnInsert).not.toHaveProperty('sightingCount');
    expect(op!.updateOne.update.$set).toHaveProperty('sightingCount', 5);
  });

  it('build, through mingo, exactly the documents the embedded store builds, creations and updates alike', async () => {
    const batches = [
      [claim(1), claim(2), claim(3, { source: 'm-b', value: 'host1.example' })],
      [claim(4, { value: 'host2.example', set: { severity: 'LOW', severityRank: 1, tags: ['again'] } }), claim(5), claim(6, { value: 'host5.example', set: { confidence: 10 } })],
    ];
    const memory = createMemoryStore();
    const mingoDocs: Array<Record<string, unknown>> = [];
    for (const batch of batches) {
      const viaMemory = await memory.indicators.upsertClaims(batch);
      const upserted = bulkUpsertWithMingo(mingoDocs, batch);
      const matched = batch.filter((_, i) => upserted[i] === undefined).map((u) => u.key);
      const existing = mingoDocs.filter((d) => matches(claimIdsQuery(matched), d)) as unknown as IndicatorDoc[];
      const viaMingo = claimResults(batch, upserted, new Map(existing.map((d) => [claimKeyString(d), d._id])));
      expect(viaMingo).toEqual(viaMemory);
    }
    const byId = (a: object, b: object) => String((a as { _id: string })._id).localeCompare(String((b as { _id: string })._id));
    const viaMemory = await memory.indicators.find({});
    expect(viaMemory).toHaveLength(4);
    expect([...mingoDocs].sort(byId)).toEqual([...viaMemory].sort(byId));
  });

  it('find the claims that already existed with a superset query narrowed by key', () => {
    const keys = [claim(1).key, claim(2, { source: 'm-b' }).key];
    expect(claimIdsQuery(keys)).toEqual({ source: { $in: ['m-a', 'm-b'] }, value: { $in: ['host1.example', 'host2.example'] }, type: { $in: ['DOMAIN'] } });
    expect(matches(claimFilter(keys[0]!), { source: 'm-a', type: 'DOMAIN', value: 'host1.example' })).toBe(true);
    expect(matches(claimFilter(keys[0]!), { source: 'm-a', type: 'URL', value: 'host1.example' })).toBe(false);
  });

  it('refuse to answer for a claim that was neither inserted nor found', () => {
    expect(() => claimResults([claim(1)], {}, new Map())).toThrow(/neither inserted nor found/);
  });
});

describe('sequences and the event log', () => {
  it('reserve a range with one $inc and answer its first number', () => {
    const counter = { _id: sequenceId('indicators'), value: 10 };
    mingoUpdate(counter, sequenceIncrement(5));
    expect(counter.value).toBe(15);
    expect(firstOfRange(counter.value, 5)).toBe(11);
    expect(sequenceId('audit')).toBe('sequence:audit');
  });

  it('store events at consecutive positions with their expiry, and hand them back without it', () => {
    const docs = eventDocs([event(1), event(2)], 41, 60_000);
    expect(docs.map((d) => d._id)).toEqual([41, 42]);
    expect(docs[0]!.expiresAt).toEqual(new Date(at(1).getTime() + 60_000));
    expect(fromStoredEvent(docs[1]!)).toEqual({ ...event(2), _id: 42 });
  });

  it('read after a position and find the first event to keep with the same documents mingo runs', () => {
    const stored: StoredEvent[] = eventDocs([event(10), event(20), event(30), event(15)], 1, 60_000);
    const { filter, sort } = readAfterQuery(2);
    expect(sort).toEqual([['_id', 1]]);
    expect(stored.filter((d) => matches(filter, d)).map((d) => d._id)).toEqual([3, 4]);
    const kept = firstKeptQuery(at(25));
    expect(kept.hint).toEqual({ _id: 1 });
    expect(stored.filter((d) => matches(kept.filter, d)).map((d) => d._id)[0]).toBe(3);
  });

  it('derive the bounds from the state and the oldest remaining event, TTL deletions included', () => {
    expect(boundsOf(null, null)).toEqual({ latest: 0, trimmedThrough: 0 });
    expect(boundsOf({ _id: 'eventLog', latest: 5 }, 1)).toEqual({ latest: 5, trimmedThrough: 0 });
    expect(boundsOf({ _id: 'eventLog', latest: 5, trimmedThrough: 2 }, 3)).toEqual({ latest: 5, trimmedThrough: 2 });
    expect(boundsOf({ _id: 'eventLog', latest: 9, trimmedThrough: 2 }, 6)).toEqual({ latest: 9, trimmedThrough: 5 });
    expect(boundsOf({ _id: 'eventLog', latest: 9, trimmedThrough: 2 }, null)).toEqual({ latest: 9, trimmedThrough: 9 });
    // An append landing between the two reads cannot push the trim point past `latest`.
    expect(boundsOf({ _id: 'eventLog', latest: 9 }, 10)).toEqual({ latest: 9, trimmedThrough: 9 });
  });
});

describe('idempotency claims, identity providers and keyset filters through mingo', () => {
  const now = new Date();
  const record = (over: object) => ({ _id: 'm-a:k', requestHash: 'h', response: null, createdAt: now, expiresAt: new Date(now.getTime() + 3_600_000), ...over });

  it('let a key be claimed only when its record expired or was abandoned past the lease', () => {
    const filter = idempotencyClaimFilter('m-a:k', now);
    expect(matches(filter, record({}))).toBe(false);
    expect(matches(filter, record({ response: [{ index: 0 }] }))).toBe(false);
    expect(matches(filter, record({ expiresAt: new Date(now.getTime() - 1) }))).toBe(true);
    expect(matches(filter, record({ createdAt: new Date(now.getTime() - RESERVATION_LEASE_MS - 1) }))).toBe(true);
    expect(matches(filter, record({ response: [], createdAt: new Date(now.getTime() - RESERVATION_LEASE_MS - 1) }))).toBe(false);
    expect(matches(filter, record({ _id: 'm-a:other', expiresAt: new Date(0) }))).toBe(false);
  });

  it('replace a registration only for the member holding the issuer', () => {
    const filter = identityProviderPutFilter({ issuer: 'https://idp.example', memberId: 'm-a' });
    expect(filter).toEqual({ _id: 'https://idp.example', memberId: 'm-a' });
    expect(matches(filter, { _id: 'https://idp.example', memberId: 'm-a' })).toBe(true);
    expect(matches(filter, { _id: 'https://idp.example', memberId: 'm-b' })).toBe(false);
  });

  it('catch up on other instances\' member changes since a time', () => {
    const filter = memberChangesSince(at(0), 'me');
    expect(matches(filter, { memberId: 'm-a', origin: 'other', at: at(1) })).toBe(true);
    expect(matches(filter, { memberId: 'm-a', origin: 'me', at: at(1) })).toBe(false);
    expect(matches(filter, { memberId: 'm-a', origin: 'other', at: at(-1) })).toBe(false);
  });

  it('send keyset conditions as a plain $lt on seq, or an $or over the sort keys bounded on the leading key (an index seek)', () => {
    expect(keysetAfter(sortFor('UPDATED_AT', 'DESC'), [42])).toEqual({ seq: { $lt: 42 } });
    const sort = sortFor('SEVERITY', 'DESC');
    const filter = keysetAfter(sort, [3, 'indicator--5']);
    expect(filter).toEqual({ severityRank: { $lte: 3 }, $or: [{ severityRank: { $lt: 3 } }, { severityRank: 3, _id: { $lt: 'indicator--5' } }] });
    expect(matches(filter, { severityRank: 4, _id: 'indicator--1' })).toBe(false);
    expect(keysetAfter(sort, [null, 'indicator--5'])).toEqual({ $or: [{ severityRank: { $lt: null } }, { severityRank: null, _id: { $lt: 'indicator--5' } }] });
    expect(toMongoSort(sort)).toEqual([['severityRank', -1], ['_id', -1]]);
    expect(toMongoSort([])).toBeUndefined();
    expect(matches(filter, { severityRank: 3, _id: 'indicator--4' })).toBe(true);
    expect(matches(filter, { severityRank: 3, _id: 'indicator--6' })).toBe(false);
    expect(matches(filter, { severityRank: 2, _id: 'indicator--9' })).toBe(true);
    const byDate = keysetAfter(sortFor('CREATED_AT', 'ASC'), [at(5), 'indicator--5']);
    expect(matches(byDate, { createdAt: at(5), _id: 'indicator--6' })).toBe(true);
    expect(matches(byDate, { createdAt: at(5), _id: 'indicator--4' })).toBe(false);
  });

  it('recognise duplicate-key errors, alone or inside a bulk write', () => {
    expect(isDuplicateKey({ code: 11000 })).toBe(true);
    expect(isDuplicateKey({ code: 1, writeErrors: [{ code: 11000 }] })).toBe(true);
    expect(isDuplicateKey({ writeErrors: { code: 11000 } })).toBe(true);
    expect(isDuplicateKey({ code: 112 })).toBe(false);
    expect(isDuplicateKey(null)).toBe(false);
  });
});

describe('connecting', () => {
  it('describes a connection string by host and database, never its credentials', () => {
    expect(describeMongoUri('mongodb://hub:s3cret@mongo:27017/hub?replicaSet=rs0')).toBe('mongo:27017/hub');
    expect(describeMongoUri('mongodb://a:1,b:2/?replicaSet=rs0')).toBe('a:1,b:2');
    expect(describeMongoUri('mongodb+srv://u:p%40ss@cluster0.example.net/prod')).toBe('cluster0.example.net/prod');
    expect(describeMongoUri('mongodb://localhost:27017?directConnection=true')).toBe('localhost:27017');
    expect(databaseOf('mongodb://localhost:27017/?replicaSet=rs0')).toBeUndefined();
    expect(databaseOf('mongodb://localhost:27017/hub')).toBe('hub');
    const uri = 'mongodb://hub:s3cret@mongo:27017/hub';
    expect(scrubCredentials(`failed for ${uri} as hub:s3cret@`, uri)).not.toContain('s3cret');
  });

  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  it('gives up within the server selection timeout with a message naming the host, not the password', async () => {
    const port = await closedPort();
    const started = Date.now();
    const err = await connectMongo(`mongodb://hub:s3cret@127.0.0.1:${port}/hub`, { serverSelectionTimeoutMS: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoUnavailableError);
    expect((err as Error).message).toContain(`cannot reach MongoDB at 127.0.0.1:${port}/hub within 0.3s`);
    expect((err as Error).message).toContain('does not fall back to the embedded store');
    expect((err as Error).message).not.toContain('s3cret');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops startHub with a configuration error rather than running on the embedded store', async () => {
    const port = await closedPort();
    const config = parseConfig({
      PORT: '0',
      HUB_DATA_DIR: mkdtempSync(join(tmpdir(), 'hub-mongo-')),
      MONGODB_URI: `mongodb://hub:s3cret@127.0.0.1:${port}/hub?serverSelectionTimeoutMS=300`,
    });
    await expect(startHub(config, { logger: pino({ level: 'silent' }) })).rejects.toThrow(new RegExp(`^MONGODB_URI: cannot reach MongoDB at 127\\.0\\.0\\.1:${port}/hub within 0\\.3s`));
  });

  it('makes `hub serve` exit with that message and status 2 when MongoDB is unreachable', async () => {
    const port = await closedPort();
    const out = spawnSync(process.execPath, [...HUB_BIN, 'serve'], {
      encoding: 'utf8',
      timeout: 30_000,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        PORT: '0',
        LOG_LEVEL: 'silent',
        HUB_DATA_DIR: mkdtempSync(join(tmpdir(), 'hub-mongo-')),
        MONGODB_URI: `mongodb://hub:s3cret@127.0.0.1:${port}/?serverSelectionTimeoutMS=300`,
      },
    });
    expect(out.status).toBe(2);
    expect(out.stderr).toContain(`hub: MONGODB_URI: cannot reach MongoDB at 127.0.0.1:${port}`);
    expect(out.stderr + out.stdout).not.toContain('s3cret');
    expect(out.stdout).not.toContain('listening');
  });
});

/** An event log whose positions become visible when the test says (a writer that committed late). */
function lateLog(visible: number[], trimmedThrough = 0) {
  const shown = new Set(visible);
  return {
    show: (position: number) => void shown.add(position),
    log: {
      async readAfter(after: number, limit: number) {
        return [...shown].filter((p) => p > after).sort((a, b) => a - b).slice(0, limit).map(positioned);
      },
      async bounds() {
        return { latest: Math.max(0, ...shown), trimmedThrough };
      },
    },
  };
}

describe('ordered event feed (the bus\'s delivery rule)', () => {
  function feedOver(log: ReturnType<typeof lateLog>['log'], after = 0, gapGraceMs = 300) {
    const delivered: number[] = [];
    const skipped: Array<[number, number, string]> = [];
    const feed = new OrderedEventFeed({ log, after, gapGraceMs, deliver: (events) => delivered.push(...events.map((e) => e._id)), onGapSkipped: (from, to, reason) => skipped.push([from, to, reason]) });
    return { feed, delivered, skipped };
  }

  it('delivers in position order, each position once, however the events arrive', async () => {
    const { log } = lateLog([1, 2, 3, 4]);
    const { feed, delivered } = feedOver(log);
    feed.offer([positioned(3), positioned(4)]);
    feed.offer([positioned(1), positioned(2), positioned(3)]);
    feed.offer([positioned(2)]);
    await sleep(20);
    await feed.idle();
    expect(delivered).toEqual([1, 2, 3, 4]);
    feed.close();
  });

  it('reads a missing position from the log before delivering a later one it was told of', async () => {
    const { log } = lateLog([1, 2, 3]);
    const { feed, delivered } = feedOver(log);
    feed.offer([positioned(3)]);
    await sleep(20);
    await feed.idle();
    expect(delivered).toEqual([1, 2, 3]);
    feed.close();
  });

  it('waits for a position allocated earlier but committed later, instead of skipping it', async () => {
    const late = lateLog([1, 3]);
    const { feed, delivered, skipped } = feedOver(late.log, 0, 2_000);
    feed.offer([positioned(3)]);
    await sleep(150);
    expect(delivered).toEqual([1]);
    late.show(2);
    await sleep(250);
    await feed.idle();
    expect(delivered).toEqual([1, 2, 3]);
    expect(skipped).toEqual([]);
    feed.close();
  });

  it('gives a missing position up after the grace period and says so', async () => {
    const { log } = lateLog([1, 3, 4]);
    const { feed, delivered, skipped } = feedOver(log, 0, 200);
    feed.poke();
    await sleep(100);
    expect(delivered).toEqual([1]);
    await sleep(350);
    await feed.idle();
    expect(delivered).toEqual([1, 3, 4]);
    expect(skipped).toEqual([[2, 2, 'missing']]);
    feed.close();
  });

  it('skips trimmed positions at once', async () => {
    const { log } = lateLog([6, 7], 5);
    const { feed, delivered, skipped } = feedOver(log, 2, 10_000);
    feed.poke();
    await sleep(30);
    await feed.idle();
    expect(delivered).toEqual([6, 7]);
    expect(skipped).toEqual([[3, 5, 'trimmed']]);
    feed.close();
  });

  it('never delivers positions at or before where it started', async () => {
    const { log } = lateLog([1, 2, 3, 4]);
    const { feed, delivered } = feedOver(log, 2);
    feed.offer([positioned(1), positioned(2)]);
    feed.poke();
    await sleep(20);
    await feed.idle();
    expect(delivered).toEqual([3, 4]);
    feed.close();
  });
});

/** Just enough of the driver for MongoEventBus: change streams you drive by hand. */
function fakeDriver() {
  class FakeStream extends EventEmitter {
    closed = false;
    constructor(readonly options: { resumeAfter?: unknown }) {
      super();
    }
    async close() {
      this.closed = true;
    }
  }
  const streams: Record<string, FakeStream[]> = {};
  const inserted: Record<string, Array<Record<string, unknown>>> = {};
  const saved = new Map<string, Record<string, unknown>>();
  const db = {
    collection: (name: string) => ({
      watch: (_pipeline: unknown, options: { resumeAfter?: unknown }) => {
        const stream = new FakeStream(options);
        (streams[name] ??= []).push(stream);
        // As the driver does once the server answered the stream's aggregate.
        setImmediate(() => stream.emit('resumeTokenChanged', { token: 'initial' }));
        return stream;
      },
      findOne: async (filter: { _id: string }) => (name === COLLECTIONS.busCursors ? saved.get(filter._id) ?? null : null),
      insertOne: async (doc: Record<string, unknown>) => void (inserted[name] ??= []).push(doc),
      updateOne: async (filter: { _id: string }, update: { $set: Record<string, unknown> }) => void saved.set(filter._id, { _id: filter._id, ...update.$set }),
      find: (filter: Filter) => ({ toArray: async () => (inserted[name] ?? []).filter((d) => matches(filter, d)) }),
    }),
  } as unknown as Db;
  const last = (name: string) => streams[name]![streams[name]!.length - 1]!;
  return { db, streams, inserted, saved, last };
}

describe('MongoEventBus over a fake driver', () => {
  const logger = pino({ level: 'silent' });
  const stored = (doc: EventDoc): StoredEvent => ({ ...doc, expiresAt: new Date(doc.occurredAt.getTime() + 60_000) });

  it('hands local and remote events to listeners in position order, each once, starting after the current end', async () => {
    const driver = fakeDriver();
    const log = new MemoryEventLog();
    await log.append([event(0)]);
    const bus = await MongoEventBus.start({ db: driver.db, log, logger, instanceName: 'hub-1' });
    const seen: number[] = [];
    bus.onEvents((events) => seen.push(...events.map((e) => e._id)));
    bus.publish(await log.append([event(1), event(2)]));
    const remote = await log.append([event(3)]); // another instance's append
    const mine = await log.append([event(4)]);
    bus.publish(mine); // our own, announced before the stream tells us of 3
    driver.last(COLLECTIONS.events).emit('change', { _id: { token: 3 }, operationType: 'insert', fullDocument: stored(remote[0]!) });
    driver.last(COLLECTIONS.events).emit('change', { _id: { token: 4 }, operationType: 'insert', fullDocument: stored(mine[0]!) });
    await sleep(30);
    expect(seen).toEqual([2, 3, 4, 5]);
    expect(bus.position).toBe(5);
    await bus.close();
  });

  it('reads the log by position while the change stream is down, and reopens it without a token the server lost', async () => {
    const driver = fakeDriver();
    const log = new MemoryEventLog();
    const bus = await MongoEventBus.start({ db: driver.db, log, logger, instanceName: 'hub-1', pollMs: 20, reopenMs: 60 });
    const seen: number[] = [];
    bus.onEvents((events) => seen.push(...events.map((e) => e._id)));
    driver.last(COLLECTIONS.events).emit('change', { _id: { token: 'old' }, operationType: 'insert', fullDocument: stored((await log.append([event(1)]))[0]!) });
    driver.last(COLLECTIONS.events).emit('error', Object.assign(new Error('history lost'), { code: 286 }));
    await log.append([event(2), event(3)]); // nobody announces these
    await sleep(50);
    expect(seen).toEqual([1, 2, 3]);
    await sleep(60);
    expect(driver.streams[COLLECTIONS.events]).toHaveLength(2);
    expect(driver.streams[COLLECTIONS.events]![0]!.closed).toBe(true);
    expect(driver.last(COLLECTIONS.events).options.resumeAfter).toBeUndefined();
    // Back on the stream: no more polling, only what the stream says (or a gap makes it read).
    await log.append([event(4)]);
    await sleep(60);
    expect(seen).toEqual([1, 2, 3]);
    await bus.close();
  });

  it('saves its resume token under its instance name and resumes from it after a restart', async () => {
    const driver = fakeDriver();
    const log = new MemoryEventLog();
    const first = await MongoEventBus.start({ db: driver.db, log, logger, instanceName: 'hub-1' });
    expect(driver.last(COLLECTIONS.events).options.resumeAfter).toBeUndefined();
    driver.last(COLLECTIONS.events).emit('change', { _id: { token: 'T1' }, operationType: 'insert', fullDocument: stored((await log.append([event(1)]))[0]!) });
    await sleep(10);
    await first.close();
    expect(driver.saved.get('hub-1')).toMatchObject({ resumeToken: { token: 'T1' }, position: 1 });
    const second = await MongoEventBus.start({ db: driver.db, log, logger, instanceName: 'hub-1' });
    expect(driver.last(COLLECTIONS.events).options.resumeAfter).toEqual({ token: 'T1' });
    await second.close();
  });

  it('announces a member change here at once, and to the other instances through memberChanges, never twice here', async () => {
    const driver = fakeDriver();
    const bus = await MongoEventBus.start({ db: driver.db, log: new MemoryEventLog(), logger, instanceName: 'hub-1' });
    const heard: string[] = [];
    bus.onMemberChanged((id) => heard.push(id));
    bus.memberChanged('m-a');
    await sleep(5);
    expect(heard).toEqual(['m-a']);
    const written = driver.inserted[COLLECTIONS.memberChanges]!;
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ memberId: 'm-a', at: expect.any(Date) });
    const stream = driver.last(COLLECTIONS.memberChanges);
    stream.emit('change', { _id: {}, operationType: 'insert', fullDocument: written[0] });
    stream.emit('change', { _id: {}, operationType: 'insert', fullDocument: { memberId: 'm-b', origin: 'another-process', at: new Date() } });
    expect(heard).toEqual(['m-a', 'm-b']);
    await bus.close();
  });
});
