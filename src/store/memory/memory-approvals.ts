import type { ApprovalRequestDoc } from '../../domain/types.js';
import type { ApprovalRepository } from '../ports.js';
import { collectionAccess } from './memory-access.js';
import { MemoryCollection } from './memory-collection.js';

/** Approval requests in memory; a decision is one synchronous compare-and-set `updateOne`. */
export class MemoryApprovals implements ApprovalRepository {
  private readonly docs = new MemoryCollection<ApprovalRequestDoc>(['_id']);
  readonly access = collectionAccess(this.docs, 'approval request');

  async find(...args: Parameters<ApprovalRepository['find']>) {
    return this.docs.find(...args);
  }

  async count(filter: Parameters<ApprovalRepository['count']>[0]) {
    return this.docs.count(filter);
  }

  async insert(doc: ApprovalRequestDoc) {
    if (this.docs.get(doc._id)) throw new Error(`duplicate approval request id ${doc._id}`);
    this.docs.put(doc);
  }

  async updateOne(...args: Parameters<ApprovalRepository['updateOne']>) {
    return this.docs.updateOne(...args);
  }
}
