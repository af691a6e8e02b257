import type { JobStateDoc } from '../../domain/job-state.js';
import type { JobStateRepository } from '../ports.js';
import { mapAccess } from './memory-access.js';

/** Background jobs' progress in memory, by job name (compare-and-set on `revision`). */
export class MemoryJobStates implements JobStateRepository {
  private readonly byId = new Map<string, JobStateDoc>();
  readonly access = mapAccess(this.byId, 'job state');

  async get(id: string) {
    const doc = this.byId.get(id);
    return doc ? structuredClone(doc) : null;
  }

  async put(doc: JobStateDoc, expected: string | null) {
    if ((this.byId.get(doc._id)?.revision ?? null) !== expected) return false;
    this.byId.set(doc._id, structuredClone(doc));
    return true;
  }
}
