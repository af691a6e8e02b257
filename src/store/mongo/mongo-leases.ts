import type { Collection, Document, Filter } from 'mongodb';
import type { LeaseRepository } from '../ports.js';
import { nowPlus, serverNow, type NowExpression } from './mongo-clock.js';
import { isDuplicateKey } from './mongo-documents.js';

/** One lease in `leases`, `_id` its name. */
export interface LeaseDoc {
  _id: string;
  holder: string;
  expiresAt: Date;
}

/**
 * The lease `name` as `holder` may take it: its own, or expired (`$lt`: a lease is held through
 * its `expiresAt`), judged on the server's clock (`now` is `$$NOW` in production).
 */
export function leaseFilter(name: string, holder: string, now: NowExpression): Filter<LeaseDoc> {
  return { _id: name, $or: [{ holder }, { $expr: { $lt: ['$expiresAt', now] } }] } as Filter<LeaseDoc>;
}

/** The take or renewal: this holder until `now + ttlMs`, on the server's clock. */
export function leaseUpdate(holder: string, ttlMs: number, now: NowExpression): Document[] {
  return [{ $set: { holder: { $literal: holder }, expiresAt: nowPlus(now, ttlMs) } }];
}

/**
 * Leases in `leases`. `acquire` is one upsert whose filter matches the lease only when this
 * holder has it or it has expired: then the write takes or renews it; otherwise the upsert's
 * insert fails on `_id` (duplicate key) and the answer is false. Expiry is computed and compared
 * on the server's clock (`$$NOW`, see serverNow), never two instances' clocks against each other.
 * Written with majority write concern, so a failover cannot hand one lease to two holders.
 */
export class MongoLeases implements LeaseRepository {
  constructor(private readonly collection: Collection<LeaseDoc>) {}

  async acquire(name: string, holder: string, ttlMs: number, now = new Date()): Promise<boolean> {
    const serverTime = serverNow(now);
    try {
      // findOneAndUpdate: the update is a pipeline (server-side time), which every server since 4.2 takes here.
      await this.collection.findOneAndUpdate(leaseFilter(name, holder, serverTime), leaseUpdate(holder, ttlMs, serverTime), { upsert: true });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }
}
