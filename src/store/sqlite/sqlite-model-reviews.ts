import type Database from 'better-sqlite3';
import type { ModelReviewDoc } from '../../domain/model-review.js';
import type { Filter } from '../../domain/filter.js';
import type { FindOptions, ModelReviewRepository, UpdateDoc } from '../ports.js';
import { updatedModelReview } from '../model-review-update.js';
import type { SqliteCollection } from './sqlite-collection.js';

/** Model reviews over SQLite (table `model_reviews`, sqlite-schema.ts MODEL_REVIEWS). */
export class SqliteModelReviews implements ModelReviewRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly docs: SqliteCollection<ModelReviewDoc>,
  ) {}

  async find(filter: Filter, options?: FindOptions) {
    return this.docs.find(filter, options);
  }

  async count(filter: Filter) {
    return this.docs.count(filter);
  }

  async insert(doc: ModelReviewDoc) {
    try {
      this.docs.insert(doc);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new Error(`duplicate model review id ${doc._id}`);
      throw err;
    }
  }

  /** Read, update and write in one immediate transaction: a compare-and-set across processes too. */
  async updateOne(filter: Filter, update: UpdateDoc) {
    return this.db
      .transaction(() => {
        const [current] = this.docs.find(filter, { limit: 1 });
        if (!current) return null;
        const next = updatedModelReview(current, update);
        this.docs.put(next);
        return next;
      })
      .immediate();
  }
}
