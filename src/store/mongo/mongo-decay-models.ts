import type { Collection, Filter } from 'mongodb';
import type { DecayModelDoc } from '../../domain/decay-model.js';
import type { DecayModelRepository } from '../ports.js';

/** Hub-admins' decay models in `decayModels`, by indicator type (the built-in `_id` index; at most one per type). */
export class MongoDecayModels implements DecayModelRepository {
  constructor(private readonly collection: Collection<DecayModelDoc>) {}

  async all(): Promise<DecayModelDoc[]> {
    return (await this.collection.find({}).toArray()) as DecayModelDoc[];
  }

  async put(doc: DecayModelDoc): Promise<void> {
    await this.collection.replaceOne({ _id: doc._id } as Filter<DecayModelDoc>, doc, { upsert: true });
  }
}
