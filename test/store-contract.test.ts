/**
 * The store contract against every adapter: always the embedded store, and MongoDB when
 * MONGODB_URI is set (each run in a fresh database, dropped afterwards), e.g.
 * `MONGODB_URI='mongodb://localhost:27017/?directConnection=true' npm test` with the compose file's MongoDB.
 */
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventDoc } from '../src/domain/events.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStore } from '../src/store/memory/memory-store.js';
import { createSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { SqliteEventBus } from '../src/store/sqlite/sqlite-event-bus.js';
import Database from 'better-sqlite3';
import { collectionDdl, SqliteCollection } from '../src/store/sqlite/sqlite-collection.js';
import { INDICATORS, NOTICES } from '../src/store/sqlite/sqlite-schema.js';
import { StatementCache } from '../src/store/sqlite/statement-cache.js';
import { indicatorVisibility, noticeVisibility } from '../src/policy/policy.js';
import { connectMongo, type MongoConnection } from '../src/store/mongo/mongo-connection.js';
import { COLLECTIONS } from '../src/store/mongo/mongo-collections.js';
import { MongoEventBus } from '../src/store/mongo/mongo-event-bus.js';
import { ensureIndexes, MONGO_INDEXES } from '../src/store/mongo/mongo-indexes.js';
import { createMongoStore } from '../src/store/mongo/mongo-store.js';
import { storeContract } from './support/store-contract.js';

const uri = process.env.MONGODB_URI;

describe('sqlite: several processes on one file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-sqlite-bus-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("delivers each connection's events to the other in position order within ~250 ms, and member changes to the other only", async () => {
    const file = join(dir, 'shared.db');
    const storeA = createSqliteStore(file);
    const storeB = createSqliteStore(file);
    const logger = pino({ level: 'silent' });
    const busA = await SqliteEventBus.start({ db: storeA.db, log: storeA.events, logger, pollMs: 50 });
    const busB = await SqliteEventBus.start({ db: storeB.db, log: storeB.events, logger, pollMs: 50 });
    const seenA: number[] = [];
    const seenB: number[] = [];
    busA.onEvents((events) => seenA.push(...events.map((e: EventDoc) => e._id)));
    busB.onEvents((events) => seenB.push(...events.map((e: EventDoc) => e._id)));
    const membersA: string[] = [];
    const membersB: string[] = [];
    busA.onMemberChanged((id) => membersA.push(id));
    busB.onMemberChanged((id) => membersB.push(id));
    const event = (n: number) => ({ type: 'PUBLISHED' as const, kind: 'INDICATOR' as const, recordId: `indicator--${n}`, occurredAt: new Date(), before: null, after: { source: 'm-a', tlp: 'CLEAR' as const, recipients: [] } });
    try {
      await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const [store, bus] = i % 2 ? [storeA, busA] : [storeB, busB];
          bus.publish(await store.events.append([event(i), event(i)]));
        }),
      );
      busA.memberChanged('m-x');
      const started = Date.now();
      while ((seenA.length < 20 || seenB.length < 20 || membersB.length < 1) && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 10));
      const took = Date.now() - started;
      const all = Array.from({ length: 20 }, (_, i) => i + 1);
      expect(seenA).toEqual(all);
      expect(seenB).toEqual(all);
      expect(membersA).toEqual(['m-x']);
      expect(membersB).toEqual(['m-x']);
      expect(took).toBeLessThan(250);
    } finally {
      await busA.close();
      await busB.close();
      await storeA.close();
      await storeB.close();
    }
  });

  it('opens a file written before a column, a list and a count table were declared, filling them from the stored documents', async () => {
    const file = join(dir, 'older.db');
    const older = new Database(file);
    const spec = { ...INDICATORS, columns: INDICATORS.columns.filter((c) => c.field !== 'confidence'), lists: INDICATORS.lists!.filter((l) => l.field !== 'tags'), indexes: [], countBy: undefined };
    for (const sql of collectionDdl(spec)) older.exec(sql);
    const docs = [1, 2, 3].map((n) => ({
      _id: `indicator--${n}`, type: 'DOMAIN', value: `h${n}.example`, submittedValue: `h${n}.example`, tlp: 'GREEN', recipients: [], severity: 'LOW', severityRank: 1,
      confidence: n * 30, validFrom: new Date(n), validUntil: null, tags: n === 2 ? ['apt', 'c2'] : [], description: null, sightingCount: 0, lastSeenAt: null,
      revoked: false, revokedReason: null, source: 'm-a', createdAt: new Date(n), updatedAt: new Date(n), seq: n,
    }));
    const collection = new SqliteCollection(older, new StatementCache(older), spec);
    for (const d of docs) collection.insert(d as never);
    older.close();
    const store = createSqliteStore(file);
    try {
      expect((await store.indicators.find({ confidence: { $gte: 50 } }, { sort: [['seq', 1]] })).map((d) => d._id)).toEqual(['indicator--2', 'indicator--3']);
      expect((await store.indicators.find({ tags: 'c2' })).map((d) => d._id)).toEqual(['indicator--2']);
      expect(await store.indicators.count(indicatorVisibility({ kind: 'anonymous', tier: 'PUBLIC' }))).toBe(0);
      expect(await store.indicators.count({ tlp: 'GREEN' })).toBe(3);
    } finally {
      await store.close();
    }
  });

  it("opens a file whose count table grouped by fewer fields (before model reviews), rebuilding it from the records so that every viewer's count reads it", async () => {
    const file = join(dir, 'before-reviews.db');
    const older = new Database(file);
    const review = new Set(['reviewId', 'reviewReleaseAt', 'reviewAudience']);
    const spec = { ...NOTICES, indexes: NOTICES.indexes.filter((i) => !review.has(i.columns[0]!)), columns: NOTICES.columns.filter((c) => !review.has(c.field)), lists: NOTICES.lists!.filter((l) => !review.has(l.field)), countBy: NOTICES.countBy!.filter((f) => !review.has(f)) };
    for (const sql of collectionDdl(spec)) older.exec(sql);
    const notice = (n: number, over: Record<string, unknown> = {}) => ({
      _id: `x-model-risk-notice--${n}`, title: 't', summary: 's', model: { name: 'M', developer: 'L', version: null }, category: 'JAILBREAK', severity: 'HIGH', severityRank: 3,
      tlp: 'GREEN', recipients: [], status: 'PUBLISHED', embargoUntil: null, atlasTechniques: [], owaspLlm: [], mitigations: null, technicalDetails: null, evaluationEvidence: null,
      affectedDeployments: [], relatedIndicatorIds: [], source: 'm-a', createdAt: new Date(n), updatedAt: new Date(n), seq: n, ...over,
    });
    const collection = new SqliteCollection(older, new StatementCache(older), spec);
    collection.insert(notice(1) as never);
    collection.insert(notice(2) as never);
    collection.insert(notice(3, { source: 'm-r', reviewId: 'x-model-review--1', reviewAudience: ['m-lab', 'm-r'], reviewReleaseAt: new Date(5_000) }) as never);
    older.close();
    const store = createSqliteStore(file);
    try {
      const viewer = (memberId: string) => ({ kind: 'member' as const, memberId, userId: 'u', roles: ['reader' as const], tier: 'CORE' as const });
      for (const [memberId, now, expected] of [['m-x', 4_999, 2], ['m-lab', 4_999, 3], ['m-x', 5_000, 3]] as const) {
        const filter = noticeVisibility(viewer(memberId), new Date(now));
        expect(store.collections.notices.countSql(filter).sql).toContain('notices__counts');
        expect(await store.notices.count(filter), `${memberId} at ${now}`).toBe(expected);
      }
      // Writes after the rebuild keep it: the finding released early, a notice filed under another review.
      await store.notices.updateOne({ _id: 'x-model-risk-notice--3' }, { $set: { reviewReleaseAt: new Date(1_000), seq: 4 } });
      await store.notices.updateOne({ _id: 'x-model-risk-notice--2' }, { $set: { reviewId: 'x-model-review--2', reviewAudience: ['m-lab'], reviewReleaseAt: new Date(9_000), seq: 5 } });
      expect(await store.notices.count(noticeVisibility(viewer('m-x'), new Date(4_999)))).toBe(2);
      expect(await store.notices.count(noticeVisibility(viewer('m-lab'), new Date(4_999)))).toBe(3);
      expect((await store.notices.find(noticeVisibility(viewer('m-x'), new Date(4_999)))).length).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('keeps what was written after the file is closed and opened again', async () => {
    const file = join(dir, 'reopen.db');
    const first = createSqliteStore(file);
    await first.members.put({ _id: 'm-a', name: 'A', kind: 'ENTERPRISE', tier: 'CORE', sector: 's', country: 'NL', allowedRoles: ['reader'], status: 'ACTIVE', createdAt: new Date(0) });
    await first.events.append([{ type: 'PUBLISHED', kind: 'INDICATOR', recordId: 'indicator--1', occurredAt: new Date(), before: null, after: { source: 'm-a', tlp: 'CLEAR', recipients: [] } }]);
    expect(await first.sequences.next('s', 5)).toBe(1);
    await first.close();
    const second = createSqliteStore(file);
    try {
      expect((await second.members.list()).map((m) => m._id)).toEqual(['m-a']);
      expect(await second.events.bounds()).toEqual({ latest: 1, trimmedThrough: 0 });
      expect(await second.sequences.next('s')).toBe(6);
    } finally {
      await second.close();
    }
  });
});

console.log('store contract: embedded store (mingo): running');
storeContract('embedded', async () => createMemoryStore());

console.log('store contract: sqlite (:memory: and a file): running');
storeContract('sqlite :memory:', async () => createSqliteStore(':memory:'));
const sqliteDir = mkdtempSync(join(tmpdir(), 'hub-contract-sqlite-'));
let sqliteFiles = 0;
storeContract(
  'sqlite file',
  async () => createSqliteStore(join(sqliteDir, `store-${++sqliteFiles}.db`)),
  async () => rmSync(sqliteDir, { recursive: true, force: true }),
);

if (!uri) {
  console.log('store contract: mongodb: SKIPPED (MONGODB_URI not set; see docs/mongodb.md to run it)');
  describe.skip('store contract: mongodb (skipped: MONGODB_URI not set)', () => {
    it('runs the contract suite against MongoDB when MONGODB_URI is set', () => {});
  });
} else {
  const database = `hub_contract_${Date.now()}_${randomUUID().slice(0, 8)}`;
  let connection: MongoConnection | undefined;
  const connect = async () => {
    if (!connection) {
      connection = await connectMongo(uri, { database });
      await ensureIndexes(connection.db);
      console.log(`store contract: mongodb: running against ${connection.where.split('/')[0]}/${database}`);
    }
    return connection;
  };
  /** A fresh store: same database (indexes made once), every collection emptied. */
  const freshStore = async () => {
    const { client, db } = await connect();
    await Promise.all(Object.values(COLLECTIONS).map((name) => db.collection(name).deleteMany({})));
    return createMongoStore(client, db, { onClose: async () => {} });
  };
  const dropDatabase = async () => {
    if (!connection) return;
    const { db, client } = connection;
    connection = undefined;
    await db.dropDatabase();
    await client.close();
  };

  storeContract('mongodb', freshStore, dropDatabase);

  describe('mongodb: indexes and the multi-instance bus', () => {
    beforeAll(connect);
    afterAll(dropDatabase);

    it('creates every index it declares, and creating them again changes nothing', async () => {
      const { db } = await connect();
      await ensureIndexes(db);
      for (const def of MONGO_INDEXES.filter((d) => !d.builtIn)) {
        const existing = await db.collection(def.collection).indexes();
        const found = existing.find((i) => i.name === def.name);
        expect(found?.key, def.name).toEqual(def.key);
        expect(!!found?.unique, def.name).toBe(!!def.unique);
        expect(found?.expireAfterSeconds, def.name).toBe(def.expireAfterSeconds);
      }
    });

    it('delivers every instance\'s events to every instance in position order, and member changes to the others', async () => {
      const { client, db } = await connect();
      await Promise.all(Object.values(COLLECTIONS).map((name) => db.collection(name).deleteMany({})));
      const logger = pino({ level: 'silent' });
      const storeA = createMongoStore(client, db, { onClose: async () => {} });
      const storeB = createMongoStore(client, db, { onClose: async () => {} });
      const busA = await MongoEventBus.start({ db, log: storeA.events, logger, instanceName: `a-${database}` });
      const busB = await MongoEventBus.start({ db, log: storeB.events, logger, instanceName: `b-${database}` });
      const seenA: number[] = [];
      const seenB: number[] = [];
      busA.onEvents((events) => seenA.push(...events.map((e: EventDoc) => e._id)));
      busB.onEvents((events) => seenB.push(...events.map((e: EventDoc) => e._id)));
      const membersA: string[] = [];
      const membersB: string[] = [];
      busA.onMemberChanged((id) => membersA.push(id));
      busB.onMemberChanged((id) => membersB.push(id));
      const event = (n: number) => ({ type: 'PUBLISHED' as const, kind: 'INDICATOR' as const, recordId: `indicator--${n}`, occurredAt: new Date(), before: null, after: { source: 'm-a', tlp: 'CLEAR' as const, recipients: [] } });
      try {
        await Promise.all(
          Array.from({ length: 10 }, async (_, i) => {
            const [store, bus] = i % 2 ? [storeA, busA] : [storeB, busB];
            bus.publish(await store.events.append([event(i), event(i)]));
          }),
        );
        busA.memberChanged('m-x');
        const deadline = Date.now() + 10_000;
        while ((seenA.length < 20 || seenB.length < 20 || membersB.length < 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        const all = Array.from({ length: 20 }, (_, i) => i + 1);
        expect(seenA).toEqual(all);
        expect(seenB).toEqual(all);
        expect(membersA).toEqual(['m-x']);
        expect(membersB).toEqual(['m-x']);
      } finally {
        await busA.close();
        await busB.close();
      }
    });
  });
}
