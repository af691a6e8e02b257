import type { CommunityDoc } from '../../domain/community.js';
import type { CommunityRepository } from '../ports.js';
import { mapAccess } from './memory-access.js';

const binaryOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byId = (a: CommunityDoc, b: CommunityDoc) => binaryOrder(a._id, b._id);

/**
 * Communities in memory, by id, with the roster indexed by member (read on every request, so it
 * must not scan every community). Documents handed out are never changed: a roster change
 * stores a new object. Each write is synchronous, so roster changes are atomic.
 */
export class MemoryCommunities implements CommunityRepository {
  private readonly byId = new Map<string, CommunityDoc>();
  /** Member id → the ids of the communities whose roster holds it. */
  private readonly byMember = new Map<string, Set<string>>();
  /** Raw, for export and import: loading indexes the rosters as `insert` does. */
  readonly access = mapAccess(this.byId, 'community', (doc) => this.store(doc));

  async insert(doc: CommunityDoc) {
    if (this.byId.has(doc._id)) throw new Error(`duplicate community id ${doc._id}`);
    this.store({ ...doc, members: [...doc.members] });
  }

  async findByIds(ids: readonly string[]) {
    return [...new Set(ids)].flatMap((id) => this.byId.get(id) ?? []);
  }

  async withMembers(memberIds: readonly string[]) {
    const ids = new Set(memberIds.flatMap((m) => [...(this.byMember.get(m) ?? [])]));
    return [...ids].map((id) => this.byId.get(id)!).sort(byId);
  }

  async ownedBy(memberId: string) {
    return [...this.byId.values()].filter((c) => c.ownerMemberId === memberId).sort(byId);
  }

  async list(limit: number) {
    return [...this.byId.values()].sort(byId).slice(0, limit);
  }

  async count() {
    return this.byId.size;
  }

  async addMember(id: string, memberId: string, at: Date, maxMembers: number) {
    const current = this.byId.get(id);
    if (!current) return null;
    if (current.members.includes(memberId) || current.members.length >= maxMembers) return current;
    return this.store({ ...current, members: [...current.members, memberId], updatedAt: at });
  }

  async removeMember(id: string, memberId: string, at: Date) {
    const current = this.byId.get(id);
    if (!current) return null;
    if (!current.members.includes(memberId)) return current;
    this.byMember.get(memberId)?.delete(id);
    return this.store({ ...current, members: current.members.filter((m) => m !== memberId), updatedAt: at });
  }

  private store(doc: CommunityDoc): CommunityDoc {
    this.byId.set(doc._id, doc);
    for (const m of doc.members) {
      let set = this.byMember.get(m);
      if (!set) this.byMember.set(m, (set = new Set()));
      set.add(doc._id);
    }
    return doc;
  }
}
