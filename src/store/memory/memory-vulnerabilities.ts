import type { NewVulnerabilityDoc, VulnerabilityDoc } from '../../domain/vulnerability.js';
import type { Filter } from '../../domain/filter.js';
import type { FindOptions, UpdateDoc, VulnerabilityRepository } from '../ports.js';
import { newVulnerability, updatedVulnerability } from '../vulnerability-update.js';
import { collectionAccess } from './memory-access.js';
import { MemoryCollection } from './memory-collection.js';

/**
 * Cases by id, as for notices: each branch of the viewer's visibility `$or` (reporter,
 * participant, notified vendor, stage) has its own, so that a lookup by id reads only cases the
 * viewer may see, and a hidden id costs what an absent one does.
 */
export const VULNERABILITY_COMPOUND_INDEXES = [
  ['_id', 'source'],
  ['_id', 'participants'],
  ['_id', 'notifiedVendorIds'],
  ['_id', 'stageReached'],
] as const;

/** The embedded store's clearinghouse cases. Each write is one synchronous step: a compare-and-set by construction. */
export class MemoryVulnerabilities implements VulnerabilityRepository {
  private readonly docs = new MemoryCollection<VulnerabilityDoc>(['_id', 'cveId'], VULNERABILITY_COMPOUND_INDEXES);
  readonly access = collectionAccess(this.docs, 'vulnerability');

  async find(filter: Filter, options?: FindOptions) {
    return this.docs.find(filter, options);
  }

  async count(filter: Filter) {
    return this.docs.count(filter);
  }

  async insert(doc: NewVulnerabilityDoc) {
    if (this.docs.get(doc._id)) throw new Error(`duplicate vulnerability id ${doc._id}`);
    const stored = newVulnerability(doc);
    this.docs.put(stored);
    return stored;
  }

  async updateOne(filter: Filter, update: UpdateDoc) {
    const [current] = this.docs.find(filter, { limit: 1 });
    if (!current) return null;
    const next = updatedVulnerability(current, update);
    this.docs.put(next);
    return next;
  }
}
