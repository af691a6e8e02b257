import type { AnyBulkWriteOperation, Db, Document } from 'mongodb';
import { offsetOfId } from '../../taxii/date-added.js';
import { COLLECTIONS } from './mongo-collections.js';

/** Documents per bulk write. */
const BATCH = 1_000;

/**
 * Gives the records written before `dateAddedOffset` existed (TAXII's `date_added` microsecond,
 * `offsetOfId(_id)`) their offset, so that TAXII's reads, which range over and sort on it
 * (index `*_date_added`), serve them in `date_added` order. Runs at start, before serving;
 * idempotent (two instances starting together write the same values). Once every document has
 * the field it costs one collection scan per collection (the filter is on no index's prefix).
 * The number of documents given the field.
 */
export async function backfillDateAddedOffset(db: Db): Promise<number> {
  let filled = 0;
  for (const name of [COLLECTIONS.indicators, COLLECTIONS.notices, COLLECTIONS.sightings]) {
    const collection = db.collection<Document>(name);
    let ops: AnyBulkWriteOperation<Document>[] = [];
    const flush = async () => {
      if (ops.length) await collection.bulkWrite(ops, { ordered: false });
      filled += ops.length;
      ops = [];
    };
    for await (const doc of collection.find({ dateAddedOffset: { $exists: false } }, { projection: { _id: 1 } })) {
      const id = String(doc._id);
      ops.push({ updateOne: { filter: { _id: doc._id, dateAddedOffset: { $exists: false } }, update: { $set: { dateAddedOffset: offsetOfId(id) } } } });
      if (ops.length >= BATCH) await flush();
    }
    await flush();
  }
  return filled;
}
