import type { TaxiiStatusDoc } from '../../domain/taxii-write.js';
import type { TaxiiStatusRepository } from '../ports.js';
import { mapAccess } from './memory-access.js';

/** TAXII status resources in memory, by id; a copy goes in and out, so callers cannot change them. */
export class MemoryTaxiiStatuses implements TaxiiStatusRepository {
  private readonly byId = new Map<string, TaxiiStatusDoc>();
  readonly access = mapAccess(this.byId, 'TAXII status');

  async insert(doc: TaxiiStatusDoc) {
    if (this.byId.has(doc._id)) throw new Error(`duplicate TAXII status id ${doc._id}`);
    this.byId.set(doc._id, structuredClone(doc));
  }

  async get(id: string, now: Date) {
    const doc = this.byId.get(id);
    return doc && doc.expiresAt.getTime() >= now.getTime() ? structuredClone(doc) : null;
  }

  async removeExpired(now: Date) {
    let removed = 0;
    for (const [id, doc] of this.byId) if (doc.expiresAt.getTime() < now.getTime() && this.byId.delete(id)) removed++;
    return removed;
  }
}
