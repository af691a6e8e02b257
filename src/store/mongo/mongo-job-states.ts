import type { Collection, Filter } from 'mongodb';
import { isDuplicateKey } from './mongo-documents.js';
import type { JobStateDoc } from '../../domain/job-state.js';
import type { JobStateRepository } from '../ports.js';

/** Background jobs' progress in `jobStates`, by job name (the built-in `_id` index; compare-and-set on `revision`). */
export class MongoJobStates implements JobStateRepository {
  constructor(private readonly collection: Collection<JobStateDoc>) {}

  async get(id: string): Promise<JobStateDoc | null> {
    return (await this.collection.findOne({ _id: id } as Filter<JobStateDoc>)) as JobStateDoc | null;
  }

  async put(doc: JobStateDoc, expected: string | null): Promise<boolean> {
    if (expected !== null) {
      const result = await this.collection.replaceOne({ _id: doc._id, revision: expected } as Filter<JobStateDoc>, doc);
      return result.modifiedCount === 1;
    }
    try {
      await this.collection.insertOne(doc);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }
}
