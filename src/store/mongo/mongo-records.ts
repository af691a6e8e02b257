import type { Collection, Filter as MongoFilter, OptionalUnlessRequiredId, UpdateFilter } from 'mongodb';
import type { Filter } from '../../domain/filter.js';
import type { FindOptions, UpdateDoc } from '../ports.js';
import { isDuplicateKey, toMongoSort } from './mongo-documents.js';
import { inSession } from './mongo-session-scope.js';

/**
 * find / count / insert / updateOne over one collection, for the repositories that are exactly
 * that (indicators, notices, approval requests). The filter, sort and update documents are the
 * ones the services built in `queries.ts` and `policy.ts`, sent as they are. Inside a record
 * transaction (`MongoEventLog.appendWith`) every call joins it (mongo-session-scope.ts).
 */
export class MongoRecords<T extends { _id: string }> {
  constructor(
    private readonly collection: Collection<T>,
    /** For error messages: "duplicate <label> id ...". */
    private readonly label: string,
  ) {}

  async find(filter: Filter, options: FindOptions = {}): Promise<T[]> {
    if (options.limit === 0) return []; // MongoDB reads limit 0 as "no limit"
    const projection = options.omit?.length ? Object.fromEntries(options.omit.map((f) => [f, 0])) : undefined;
    const docs = await this.collection.find(filter as MongoFilter<T>, { sort: toMongoSort(options.sort), limit: options.limit, ...(projection ? { projection } : {}), ...inSession() }).toArray();
    return docs as T[];
  }

  /** Matches of `filter`, at most `limit` (countDocuments stops there). */
  count(filter: Filter, limit?: number): Promise<number> {
    return this.collection.countDocuments(filter as MongoFilter<T>, limit === undefined ? inSession() : { limit, ...inSession() });
  }

  async insert(doc: T): Promise<void> {
    try {
      await this.collection.insertOne(doc as OptionalUnlessRequiredId<T>, inSession());
    } catch (err) {
      if (isDuplicateKey(err)) throw new Error(`duplicate ${this.label} id ${doc._id}`);
      throw err;
    }
  }

  /** One atomic `findOneAndUpdate`, answered with the document after the update. */
  async updateOne(filter: Filter, update: UpdateDoc): Promise<T | null> {
    const doc = await this.collection.findOneAndUpdate(filter as MongoFilter<T>, update as UpdateFilter<T>, { returnDocument: 'after', ...inSession() });
    return doc as T | null;
  }
}
