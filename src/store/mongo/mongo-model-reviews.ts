import type { Collection, Filter as MongoFilter, OptionalUnlessRequiredId } from 'mongodb';
import type { ModelReviewDoc } from '../../domain/model-review.js';
import type { Filter } from '../../domain/filter.js';
import type { FindOptions, ModelReviewRepository, UpdateDoc } from '../ports.js';
import { updatedModelReview } from '../model-review-update.js';
import { isDuplicateKey } from './mongo-documents.js';
import { MongoRecords } from './mongo-records.js';
import { inSession } from './mongo-session-scope.js';

/** How often an update is tried again when another write replaced the review between its read and its write. */
const MAX_ATTEMPTS = 8;

/**
 * Model reviews on MongoDB. An update is read, applied in the hub (mingo, as on every adapter,
 * so an update means the same everywhere and a missing new `seq` is refused before anything is
 * written) and written back with `replaceOne({_id, seq})`: the stored `seq` is the
 * compare-and-set's version. A replace that finds the review moved on reads it again through the
 * caller's filter, so the update applies only to a review that still matches it.
 */
export class MongoModelReviews implements ModelReviewRepository {
  private readonly records: MongoRecords<ModelReviewDoc>;

  constructor(private readonly collection: Collection<ModelReviewDoc>) {
    this.records = new MongoRecords(collection, 'model review');
  }

  find(filter: Filter, options?: FindOptions) {
    return this.records.find(filter, options);
  }

  count(filter: Filter) {
    return this.records.count(filter);
  }

  /** Stores a copy (the driver would otherwise leave its own fields on the caller's object). */
  async insert(doc: ModelReviewDoc) {
    try {
      await this.collection.insertOne(structuredClone(doc) as OptionalUnlessRequiredId<ModelReviewDoc>, inSession());
    } catch (err) {
      if (isDuplicateKey(err)) throw new Error(`duplicate model review id ${doc._id}`);
      throw err;
    }
  }

  async updateOne(filter: Filter, update: UpdateDoc) {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const [current] = await this.records.find(filter, { limit: 1 });
      if (!current) return null;
      const next = updatedModelReview(current, update);
      const { matchedCount } = await this.collection.replaceOne({ _id: current._id, seq: current.seq } as MongoFilter<ModelReviewDoc>, structuredClone(next), inSession());
      if (matchedCount === 1) return next;
    }
    throw new Error(`model review update kept losing to concurrent writes (${MAX_ATTEMPTS} attempts)`);
  }
}
