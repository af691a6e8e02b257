/**
 * TAXII's `date_added` order on MongoDB (MONGODB_URI; skipped without it, e.g. run with the
 * emulator: `eval "$(../shared/mongo-emulator/start)"; MONGODB_URI=$MONGODB_URI npx vitest run
 * test/mongo-date-added.test.ts`): records written before `dateAddedOffset` existed get it at
 * start, and the shared query documents of `StoreSource` walk a millisecond shared by a batch in
 * `date_added` order, pages ending inside it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { IndicatorDoc } from '../src/domain/types.js';
import { backfillDateAddedOffset } from '../src/store/mongo/mongo-date-added-backfill.js';
import { connectMongo, type MongoConnection } from '../src/store/mongo/mongo-connection.js';
import { COLLECTIONS } from '../src/store/mongo/mongo-collections.js';
import { ensureIndexes } from '../src/store/mongo/mongo-indexes.js';
import { createMongoStore } from '../src/store/mongo/mongo-store.js';
import { comparePositions, offsetOfId, type Position } from '../src/taxii/date-added.js';
import { StoreSource } from '../src/taxii/object-source.js';
import { readPage } from '../src/taxii/pager.js';

const uri = process.env.MONGODB_URI;
if (!uri) console.log('TAXII date_added on MongoDB: SKIPPED (MONGODB_URI not set)');

describe.skipIf(!uri)('TAXII date_added on MongoDB (MONGODB_URI)', () => {
  const database = `hub_date_added_${Date.now()}_${randomUUID().slice(0, 8)}`;
  let connection: MongoConnection | undefined;
  afterAll(async () => {
    if (!connection) return;
    await connection.db.dropDatabase();
    await connection.client.close();
  });

  it('backfills records of an earlier hub, then pages a shared millisecond in date_added order', async () => {
    connection = await connectMongo(uri!, { database });
    const { client, db } = connection;
    await ensureIndexes(db);
    const at = new Date(1e12);
    const old = Array.from({ length: 300 }, (_, i) => ({
      _id: `indicator--${randomUUID()}`,
      type: 'DOMAIN',
      value: `h${i}.example`,
      tlp: 'GREEN',
      recipients: [],
      source: 'm-a',
      createdAt: at,
      updatedAt: at,
      seq: i,
    }));
    await db.collection<Record<string, unknown> & { _id: string }>(COLLECTIONS.indicators).insertMany(old);
    expect(await backfillDateAddedOffset(db)).toBe(300);
    expect(await backfillDateAddedOffset(db)).toBe(0);
    const stored = await db.collection<{ _id: string; dateAddedOffset: number }>(COLLECTIONS.indicators).find({}).toArray();
    for (const d of stored) expect(d.dateAddedOffset).toBe(offsetOfId(d._id));

    const store = createMongoStore(client, db, { onClose: async () => {} });
    const source = new StoreSource<IndicatorDoc>({
      repo: store.indicators,
      scope: {},
      timeField: 'updatedAt',
      toObjects: async (docs) => docs.map((d) => ({ type: 'indicator', id: d._id, spec_version: '2.1', created: d.createdAt.toISOString() })),
    });
    const seen: Position[] = [];
    let after: Position | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const page = await readPage([source], after, 2e12, 50);
      seen.push(...page.entries.map((e) => e.position));
      if (!page.more) break;
      after = page.entries[page.entries.length - 1]!.position;
    }
    expect(seen).toEqual(old.map((d) => ({ t: at.getTime(), u: offsetOfId(d._id), id: d._id })).sort(comparePositions));
  });
});
