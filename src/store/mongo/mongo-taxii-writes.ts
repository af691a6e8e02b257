import type { Collection, Filter } from 'mongodb';
import { stixVersionKey, type StixVersionDoc, type TaxiiStatusDoc } from '../../domain/taxii-write.js';
import type { StixVersionRepository, TaxiiStatusRepository } from '../ports.js';

/**
 * TAXII status resources in `taxiiStatuses`, by id (the built-in `_id` index). The TTL index
 * `taxiiStatuses_expiry` removes them after `expiresAt` even when no hub runs; `get` also checks
 * it, since the TTL monitor runs only once a minute.
 */
export class MongoTaxiiStatuses implements TaxiiStatusRepository {
  constructor(private readonly collection: Collection<TaxiiStatusDoc>) {}

  async insert(doc: TaxiiStatusDoc): Promise<void> {
    await this.collection.insertOne(doc);
  }

  async get(id: string, now: Date): Promise<TaxiiStatusDoc | null> {
    return (await this.collection.findOne({ _id: id, expiresAt: { $gte: now } } as Filter<TaxiiStatusDoc>)) as TaxiiStatusDoc | null;
  }

  async removeExpired(now: Date): Promise<number> {
    return (await this.collection.deleteMany({ expiresAt: { $lt: now } } as Filter<TaxiiStatusDoc>)).deletedCount;
  }
}

/** Members' STIX object versions in `stixVersions`, by `stixVersionKey` (the built-in `_id` index). */
export class MongoStixVersions implements StixVersionRepository {
  constructor(private readonly collection: Collection<StixVersionDoc>) {}

  async find(memberId: string, stixIds: readonly string[]): Promise<StixVersionDoc[]> {
    if (stixIds.length === 0) return [];
    const keys = [...new Set(stixIds)].map((id) => stixVersionKey(memberId, id));
    return (await this.collection.find({ _id: { $in: keys } } as Filter<StixVersionDoc>).toArray()) as StixVersionDoc[];
  }

  /** One unordered bulk write of upserting replacements. */
  async put(docs: readonly StixVersionDoc[]): Promise<void> {
    if (docs.length === 0) return;
    await this.collection.bulkWrite(
      docs.map((doc) => ({ replaceOne: { filter: { _id: doc._id } as Filter<StixVersionDoc>, replacement: doc, upsert: true } })),
      { ordered: false },
    );
  }
}
