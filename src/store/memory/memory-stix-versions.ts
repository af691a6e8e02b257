import { stixVersionKey, type StixVersionDoc } from '../../domain/taxii-write.js';
import type { StixVersionRepository } from '../ports.js';
import { mapAccess } from './memory-access.js';

/** Members' STIX object versions in memory, by `stixVersionKey`. */
export class MemoryStixVersions implements StixVersionRepository {
  private readonly byId = new Map<string, StixVersionDoc>();
  readonly access = mapAccess(this.byId, 'STIX version');

  async find(memberId: string, stixIds: readonly string[]) {
    return [...new Set(stixIds)].flatMap((id) => {
      const doc = this.byId.get(stixVersionKey(memberId, id));
      return doc ? [{ ...doc }] : [];
    });
  }

  async put(docs: readonly StixVersionDoc[]) {
    for (const doc of docs) this.byId.set(doc._id, { ...doc });
  }
}
