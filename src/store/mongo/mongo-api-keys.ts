import type { Collection, Filter as MongoFilter, UpdateFilter } from 'mongodb';
import type { ApiKeyDoc } from '../../domain/api-key.js';
import type { ApiKeyRepository } from '../ports.js';
import { MongoRecords } from './mongo-records.js';

/**
 * API keys in `apiKeys`, `_id` the key id. Indexes (mongo-indexes.ts): the built-in `_id` for
 * `get` (every request that presents a key), `revoke` and `touch`; `apiKeys_member` for
 * `listByMember`. Only the secret's hash is ever written.
 */
export class MongoApiKeys implements ApiKeyRepository {
  private readonly records: MongoRecords<ApiKeyDoc>;

  constructor(private readonly collection: Collection<ApiKeyDoc>) {
    this.records = new MongoRecords(collection, 'API key');
  }

  insert(doc: ApiKeyDoc) {
    return this.records.insert(doc);
  }

  async get(id: string): Promise<ApiKeyDoc | null> {
    return (await this.collection.findOne({ _id: id })) as ApiKeyDoc | null;
  }

  /** Newest first on the `apiKeys_member` index ({memberId, createdAt: -1, _id: -1}). */
  listByMember(memberId: string): Promise<ApiKeyDoc[]> {
    return this.records.find({ memberId }, { sort: [['createdAt', -1], ['_id', -1]] });
  }

  /** One atomic findOneAndUpdate on `{_id, revokedAt: null}`: two revocations cannot both win. */
  revoke(id: string, at: Date, by: ApiKeyDoc['revokedBy']): Promise<ApiKeyDoc | null> {
    return this.records.updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: at, revokedBy: by } });
  }

  /** `$max`: null sorts below every date, and an instance writing late cannot move it back. */
  async touch(id: string, at: Date): Promise<void> {
    await this.collection.updateOne({ _id: id } as MongoFilter<ApiKeyDoc>, { $max: { lastUsedAt: at } } as UpdateFilter<ApiKeyDoc>);
  }
}
