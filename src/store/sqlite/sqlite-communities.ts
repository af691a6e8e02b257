import type Database from 'better-sqlite3';
import type { CommunityDoc } from '../../domain/community.js';
import type { CommunityRepository } from '../ports.js';
import type { SqliteCollection } from './sqlite-collection.js';

/**
 * Communities in SQLite: the roster is a multi-valued field (side table `communities__members`,
 * indexed by member), read on every request to expand a viewer's TLP:RED recipients. Roster
 * changes read and write in one immediate transaction, so they are atomic across processes.
 */
export class SqliteCommunities implements CommunityRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly docs: SqliteCollection<CommunityDoc>,
  ) {}

  async insert(doc: CommunityDoc) {
    this.docs.insert(doc);
  }

  async findByIds(ids: readonly string[]) {
    return ids.length ? this.docs.find({ _id: { $in: [...new Set(ids)] } }) : [];
  }

  async withMembers(memberIds: readonly string[]) {
    return memberIds.length ? this.docs.find({ members: { $in: [...memberIds] } }, { sort: [['_id', 1]] }) : [];
  }

  async ownedBy(memberId: string) {
    return this.docs.find({ ownerMemberId: memberId }, { sort: [['_id', 1]] });
  }

  async list(limit: number) {
    return this.docs.find({}, { sort: [['_id', 1]], limit });
  }

  async count() {
    return this.docs.count({});
  }

  async addMember(id: string, memberId: string, at: Date, maxMembers: number) {
    return this.change(id, (current) =>
      current.members.includes(memberId) || current.members.length >= maxMembers ? null : { ...current, members: [...current.members, memberId], updatedAt: at },
    );
  }

  async removeMember(id: string, memberId: string, at: Date) {
    return this.change(id, (current) => (current.members.includes(memberId) ? { ...current, members: current.members.filter((m) => m !== memberId), updatedAt: at } : null));
  }

  /** The community after `next` (unchanged when `next` answers null), or null when there is none. */
  private change(id: string, next: (current: CommunityDoc) => CommunityDoc | null): CommunityDoc | null {
    return this.db
      .transaction(() => {
        const current = this.docs.get(id);
        if (!current) return null;
        const updated = next(current);
        if (!updated) return current;
        this.docs.put(updated);
        return updated;
      })
      .immediate();
  }
}
