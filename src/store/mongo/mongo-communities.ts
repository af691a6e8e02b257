import type { Collection, Filter as MongoFilter, UpdateFilter } from 'mongodb';
import type { CommunityDoc } from '../../domain/community.js';
import type { CommunityRepository } from '../ports.js';
import { MongoRecords } from './mongo-records.js';

/**
 * Communities in `communities`, `_id` the community id. Indexes (mongo-indexes.ts): the built-in
 * `_id` for `findByIds` and roster changes; `communities_members` (multikey) for `withMembers`,
 * read on every request; `communities_owner` for `ownedBy`. A roster change is one atomic update
 * guarded on the roster (`$push` only where the member is absent and the roster below its cap, `$pull` only where present), so
 * `updatedAt` moves only when the roster did.
 */
export class MongoCommunities implements CommunityRepository {
  private readonly records: MongoRecords<CommunityDoc>;

  constructor(private readonly collection: Collection<CommunityDoc>) {
    this.records = new MongoRecords(collection, 'community');
  }

  insert(doc: CommunityDoc) {
    return this.records.insert(doc);
  }

  findByIds(ids: readonly string[]) {
    return ids.length ? this.records.find({ _id: { $in: [...new Set(ids)] } }) : Promise.resolve([]);
  }

  withMembers(memberIds: readonly string[]) {
    return memberIds.length ? this.records.find({ members: { $in: [...memberIds] } }, { sort: [['_id', 1]] }) : Promise.resolve([]);
  }

  ownedBy(memberId: string) {
    return this.records.find({ ownerMemberId: memberId }, { sort: [['_id', 1]] });
  }

  list(limit: number) {
    return this.records.find({}, { sort: [['_id', 1]], limit });
  }

  count() {
    return this.collection.countDocuments({});
  }

  async addMember(id: string, memberId: string, at: Date, maxMembers: number) {
    const changed = await this.collection.findOneAndUpdate(
      // `members.<max - 1>` absent: the roster holds fewer than the cap, checked in the same update.
      { _id: id, members: { $ne: memberId }, [`members.${maxMembers - 1}`]: { $exists: false } } as MongoFilter<CommunityDoc>,
      { $push: { members: memberId }, $set: { updatedAt: at } } as UpdateFilter<CommunityDoc>,
      { returnDocument: 'after' },
    );
    return (changed as CommunityDoc | null) ?? (await this.get(id));
  }

  async removeMember(id: string, memberId: string, at: Date) {
    const changed = await this.collection.findOneAndUpdate(
      { _id: id, members: memberId } as MongoFilter<CommunityDoc>,
      { $pull: { members: memberId }, $set: { updatedAt: at } } as UpdateFilter<CommunityDoc>,
      { returnDocument: 'after' },
    );
    return (changed as CommunityDoc | null) ?? (await this.get(id));
  }

  private async get(id: string): Promise<CommunityDoc | null> {
    return (await this.collection.findOne({ _id: id } as MongoFilter<CommunityDoc>)) as CommunityDoc | null;
  }
}
