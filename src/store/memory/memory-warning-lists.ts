import type { MemberWarningListDoc } from '../../domain/member-warning-list.js';
import type { WarningListRepository } from '../ports.js';
import { mapAccess } from './memory-access.js';

/** Members' warning lists in memory, by id (a handful per member: scans are fine). */
export class MemoryWarningLists implements WarningListRepository {
  private readonly byId = new Map<string, MemberWarningListDoc>();
  readonly access = mapAccess(this.byId, 'warning list');

  async all() {
    return [...this.byId.values()].sort((a, b) => a.seq - b.seq).map((d) => structuredClone(d));
  }

  async lastSeq() {
    let max = 0;
    for (const d of this.byId.values()) max = Math.max(max, d.seq);
    return max;
  }

  async get(id: string) {
    const d = this.byId.get(id);
    return d ? structuredClone(d) : null;
  }

  async byName(source: string, name: string) {
    for (const d of this.byId.values()) if (d.source === source && d.name === name) return structuredClone(d);
    return null;
  }

  async countActive(source: string) {
    let n = 0;
    for (const d of this.byId.values()) if (d.source === source && !d.revoked) n++;
    return n;
  }

  async insert(doc: MemberWarningListDoc) {
    if (this.byId.has(doc._id) || (await this.byName(doc.source, doc.name))) return false;
    this.byId.set(doc._id, structuredClone(doc));
    return true;
  }

  async replace(doc: MemberWarningListDoc, expectedSeq: number) {
    const held = this.byId.get(doc._id);
    if (!held || held.seq !== expectedSeq) return false;
    this.byId.set(doc._id, structuredClone(doc));
    return true;
  }
}
