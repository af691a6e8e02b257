import { PersonConflictError, type PersonDoc } from '../../domain/person.js';
import type { PersonRepository } from '../ports.js';
import { mapAccess } from './memory-access.js';

const binaryOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const identityKey = (issuer: string, subject: string): string => JSON.stringify([issuer, subject]);

/**
 * People in memory, by id, with the identity index the port's uniqueness needs. Documents handed
 * out are never changed (a write stores a new object), and each write is synchronous, so the
 * compare-and-set and the uniqueness checks are atomic.
 */
export class MemoryPeople implements PersonRepository {
  private readonly byId = new Map<string, PersonDoc>();
  /** `[issuer, subject]` as JSON -> person id: the unique identity index. */
  private readonly byIdentity = new Map<string, string>();
  /** Export and import (docs/backup.md): a loaded person's identities enter the identity index too. */
  readonly access = mapAccess(this.byId, 'person', (doc) => {
    for (const i of doc.identities) this.byIdentity.set(identityKey(i.issuer, i.subject), doc._id);
  });

  async get(id: string) {
    return this.byId.get(id) ?? null;
  }

  async getMany(ids: readonly string[]) {
    return ids.flatMap((id) => this.byId.get(id) ?? []);
  }

  async list(memberId: string | null, limit: number) {
    return [...this.byId.values()]
      .filter((p) => memberId === null || p.memberId === memberId)
      .sort((a, b) => binaryOrder(a._id, b._id))
      .slice(0, limit);
  }

  async findByIdentity(issuer: string, subject: string) {
    const id = this.byIdentity.get(identityKey(issuer, subject));
    return id === undefined ? null : (this.byId.get(id) ?? null);
  }

  async insert(doc: PersonDoc) {
    if (this.byId.has(doc._id)) throw new PersonConflictError('id', `duplicate person id ${doc._id}`);
    this.assertIdentitiesFree(doc);
    this.store(doc);
  }

  async update(doc: PersonDoc, expectedVersion: number) {
    const current = this.byId.get(doc._id);
    if (!current || current.version !== expectedVersion) return null;
    this.assertIdentitiesFree(doc);
    for (const i of current.identities) this.byIdentity.delete(identityKey(i.issuer, i.subject));
    const next = { ...doc, version: expectedVersion + 1 };
    this.store(next);
    return next;
  }

  private assertIdentitiesFree(doc: PersonDoc): void {
    for (const i of doc.identities) {
      const holder = this.byIdentity.get(identityKey(i.issuer, i.subject));
      if (holder !== undefined && holder !== doc._id) throw new PersonConflictError('identity', 'the identity is linked to another person');
    }
  }

  private store(doc: PersonDoc): void {
    const copy = { ...doc, roles: [...doc.roles], identities: doc.identities.map((i) => ({ ...i })) };
    this.byId.set(doc._id, copy);
    for (const i of copy.identities) this.byIdentity.set(identityKey(i.issuer, i.subject), doc._id);
  }
}
