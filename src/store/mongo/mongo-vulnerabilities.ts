import type { Collection, Filter as MongoFilter, OptionalUnlessRequiredId } from 'mongodb';
import type { NewVulnerabilityDoc, VulnerabilityDoc } from '../../domain/vulnerability.js';
import type { Filter } from '../../domain/filter.js';
import type { FindOptions, UpdateDoc, VulnerabilityRepository } from '../ports.js';
import { newVulnerability, updatedVulnerability } from '../vulnerability-update.js';
import { isDuplicateKey } from './mongo-documents.js';
import { MongoRecords } from './mongo-records.js';
import { inSession } from './mongo-session-scope.js';

/** How often an update is tried again when another write replaced the case between its read and its write. */
const MAX_ATTEMPTS = 8;

/**
 * Clearinghouse cases on MongoDB. An update is read, applied in the hub (so that the index
 * fields are recomputed from the result, which an update document cannot do) and written back
 * with `replaceOne({_id, seq})`: the stored `seq` is the compare-and-set's version, and every
 * update sets a new one. A replace that finds the case moved on reads it again through the
 * caller's filter, so the update applies only to a case that still matches it.
 */
export class MongoVulnerabilities implements VulnerabilityRepository {
  private readonly records: MongoRecords<VulnerabilityDoc>;

  constructor(private readonly collection: Collection<VulnerabilityDoc>) {
    this.records = new MongoRecords(collection, 'vulnerability');
  }

  find(filter: Filter, options?: FindOptions) {
    return this.records.find(filter, options);
  }

  count(filter: Filter) {
    return this.records.count(filter);
  }

  async insert(doc: NewVulnerabilityDoc) {
    const stored = newVulnerability(doc);
    try {
      await this.collection.insertOne(structuredClone(stored) as OptionalUnlessRequiredId<VulnerabilityDoc>, inSession());
    } catch (err) {
      if (isDuplicateKey(err)) throw new Error(`duplicate vulnerability id ${doc._id}`);
      throw err;
    }
    return stored;
  }

  async updateOne(filter: Filter, update: UpdateDoc) {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const [current] = await this.records.find(filter, { limit: 1 });
      if (!current) return null;
      const next = updatedVulnerability(current, update);
      const { matchedCount } = await this.collection.replaceOne(
        { _id: current._id, seq: current.seq } as MongoFilter<VulnerabilityDoc>,
        structuredClone(next),
        inSession(),
      );
      if (matchedCount === 1) return next;
    }
    throw new Error(`vulnerability update kept losing to concurrent writes (${MAX_ATTEMPTS} attempts)`);
  }
}
