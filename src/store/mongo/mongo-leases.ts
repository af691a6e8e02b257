import type { Collection, Filter } from 'mongodb';
import type { LeaseRepository } from '../ports.js';
import { isDuplicateKey } from './mongo-documents.js';

/** One lease in `leases`, `_id` its name. */
export interface LeaseDoc {
  _id: string;
  holder: string;
  expiresAt: Date;
}

/** The lease `name` as `holder` may take it: its own, or expired (`$lt`: a lease is held through its `expiresAt`). */
export function leaseFilter(name: string, holder: string, now: Date): Filter<LeaseDoc> {
  return { _id: name, $or: [{ holder }, { expiresAt: { $lt: now } }] };
}

/**
 * Leases in `leases`. `acquire` is one upsert whose filter matches the lease only when this
 * holder has it or it has expired: then the write takes or renews it; otherwise the upsert's
 * insert fails on `_id` (duplicate key) and the answer is false. Written with majority write
 * concern, so a failover cannot hand one lease to two holders.
 */
export class MongoLeases implements LeaseRepository {
  constructor(private readonly collection: Collection<LeaseDoc>) {}

  async acquire(name: string, holder: string, ttlMs: number, now = new Date()): Promise<boolean> {
    try {
      await this.collection.updateOne(
        leaseFilter(name, holder, now),
        { $set: { holder, expiresAt: new Date(now.getTime() + ttlMs) } },
        { upsert: true },
      );
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }
}
