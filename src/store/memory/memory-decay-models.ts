import type { DecayModelDoc } from '../../domain/decay-model.js';
import type { DecayModelRepository } from '../ports.js';
import { mapAccess } from './memory-access.js';

/** Hub-admins' decay models in memory, by indicator type. */
export class MemoryDecayModels implements DecayModelRepository {
  private readonly byId = new Map<string, DecayModelDoc>();
  readonly access = mapAccess(this.byId, 'decay model');

  async all() {
    return [...this.byId.values()].map((d) => ({ ...d }));
  }

  async put(doc: DecayModelDoc) {
    this.byId.set(doc._id, { ...doc });
  }
}
