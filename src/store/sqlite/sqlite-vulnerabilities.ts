import type Database from 'better-sqlite3';
import type { NewVulnerabilityDoc, VulnerabilityDoc } from '../../domain/vulnerability.js';
import type { Filter } from '../../domain/filter.js';
import type { FindOptions, UpdateDoc, VulnerabilityRepository } from '../ports.js';
import { newVulnerability, updatedVulnerability } from '../vulnerability-update.js';
import type { SqliteCollection } from './sqlite-collection.js';

/** Clearinghouse cases over SQLite (table `vulnerabilities`, sqlite-schema.ts). */
export class SqliteVulnerabilities implements VulnerabilityRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly docs: SqliteCollection<VulnerabilityDoc>,
  ) {}

  async find(filter: Filter, options?: FindOptions) {
    return this.docs.find(filter, options);
  }

  async count(filter: Filter) {
    return this.docs.count(filter);
  }

  async insert(doc: NewVulnerabilityDoc) {
    const stored = newVulnerability(doc);
    this.docs.insert(stored);
    return stored;
  }

  /** Read, update and write in one immediate transaction: a compare-and-set across processes too. */
  async updateOne(filter: Filter, update: UpdateDoc) {
    return this.db
      .transaction(() => {
        const [current] = this.docs.find(filter, { limit: 1 });
        if (!current) return null;
        const next = updatedVulnerability(current, update);
        this.docs.put(next);
        return next;
      })
      .immediate();
  }
}
