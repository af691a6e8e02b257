import type { ModelReviewDoc } from '../../domain/model-review.js';
import type { Filter } from '../../domain/filter.js';
import type { FindOptions, ModelReviewRepository, UpdateDoc } from '../ports.js';
import { updatedModelReview } from '../model-review-update.js';
import { collectionAccess } from './memory-access.js';
import { MemoryCollection } from './memory-collection.js';

/**
 * The embedded store's model reviews. Each write is one synchronous step: a compare-and-set by
 * construction. Indexed by id only: a hub holds tens to thousands of reviews, and the visibility's
 * closed branch (a range on `closesAt`) is no equality a compound index could answer.
 */
export class MemoryModelReviews implements ModelReviewRepository {
  private readonly docs = new MemoryCollection<ModelReviewDoc>(['_id']);
  readonly access = collectionAccess(this.docs, 'model review');

  async find(filter: Filter, options?: FindOptions) {
    return this.docs.find(filter, options);
  }

  async count(filter: Filter) {
    return this.docs.count(filter);
  }

  /** Stores a copy: the caller's object stays its own. */
  async insert(doc: ModelReviewDoc) {
    if (this.docs.get(doc._id)) throw new Error(`duplicate model review id ${doc._id}`);
    this.docs.put(structuredClone(doc));
  }

  async updateOne(filter: Filter, update: UpdateDoc) {
    const [current] = this.docs.find(filter, { limit: 1 });
    if (!current) return null;
    const next = updatedModelReview(current, update);
    this.docs.put(next);
    return next;
  }
}
