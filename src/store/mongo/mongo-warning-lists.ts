import type { Collection, Filter } from 'mongodb';
import type { MemberWarningListDoc } from '../../domain/member-warning-list.js';
import type { WarningListRepository } from '../ports.js';
import { isDuplicateKey } from './mongo-documents.js';

/** Members' warning lists in `warningLists` (indexes: warningLists_name, unique; warningLists_seq). */
export class MongoWarningLists implements WarningListRepository {
  constructor(private readonly collection: Collection<MemberWarningListDoc>) {}

  async all(): Promise<MemberWarningListDoc[]> {
    return (await this.collection.find({}).sort({ seq: 1 }).toArray()) as MemberWarningListDoc[];
  }

  async lastSeq(): Promise<number> {
    const [top] = await this.collection.find({}, { projection: { seq: 1 } }).sort({ seq: -1 }).limit(1).toArray();
    return top?.seq ?? 0;
  }

  async get(id: string): Promise<MemberWarningListDoc | null> {
    return (await this.collection.findOne({ _id: id } as Filter<MemberWarningListDoc>)) as MemberWarningListDoc | null;
  }

  async byName(source: string, name: string): Promise<MemberWarningListDoc | null> {
    return (await this.collection.findOne({ source, name })) as MemberWarningListDoc | null;
  }

  async countActive(source: string): Promise<number> {
    return this.collection.countDocuments({ source, revoked: false });
  }

  async insert(doc: MemberWarningListDoc): Promise<boolean> {
    try {
      await this.collection.insertOne(doc);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async replace(doc: MemberWarningListDoc, expectedSeq: number): Promise<boolean> {
    const r = await this.collection.replaceOne({ _id: doc._id, seq: expectedSeq } as Filter<MemberWarningListDoc>, doc);
    return r.matchedCount === 1;
  }
}
