import type { Collection, Filter as MongoFilter } from 'mongodb';
import { PersonConflictError, type PersonDoc } from '../../domain/person.js';
import type { PersonRepository } from '../ports.js';
import { isDuplicateKey } from './mongo-documents.js';

/**
 * A person as stored: the document plus `identityKeys`, one string per identity
 * (`JSON.stringify([issuer, subject])`), present only when the person has identities. The unique
 * index is on that one array, not on `identities.issuer` + `identities.subject`: a compound
 * multikey index indexes the cross product of the two arrays, so it would also refuse pairs
 * nobody holds. Sparse, so people without identities (the field absent) never collide.
 */
type StoredPerson = PersonDoc & { identityKeys?: string[] };

const identityKey = (issuer: string, subject: string): string => JSON.stringify([issuer, subject]);

/** The document as stored: with `identityKeys` when it has identities (export and import use it too). */
export function toStored(doc: PersonDoc): StoredPerson {
  return doc.identities.length ? { ...doc, identityKeys: doc.identities.map((i) => identityKey(i.issuer, i.subject)) } : { ...doc };
}

/** The portable PersonDoc, without the index field. */
export function fromStored(stored: StoredPerson | null): PersonDoc | null {
  if (!stored) return null;
  const { identityKeys: _keys, ...doc } = stored;
  return doc;
}

/**
 * People in `people`, `_id` the person id. Indexes (mongo-indexes.ts): the built-in `_id` for
 * `get` on every request, `people_identity` (unique, sparse) for `findByIdentity` on every
 * federated token and for the identities' uniqueness, `people_member` for `list`.
 */
export class MongoPeople implements PersonRepository {
  constructor(private readonly collection: Collection<StoredPerson>) {}

  async get(id: string): Promise<PersonDoc | null> {
    return fromStored((await this.collection.findOne({ _id: id } as MongoFilter<StoredPerson>)) as StoredPerson | null);
  }

  async getMany(ids: readonly string[]): Promise<PersonDoc[]> {
    if (ids.length === 0) return [];
    const docs = await this.collection.find({ _id: { $in: [...ids] } } as MongoFilter<StoredPerson>).toArray();
    return docs.map((d) => fromStored(d as StoredPerson)!);
  }

  async list(memberId: string | null, limit: number): Promise<PersonDoc[]> {
    if (limit <= 0) return [];
    const filter = (memberId === null ? {} : { memberId }) as MongoFilter<StoredPerson>;
    const docs = await this.collection.find(filter, { sort: { _id: 1 }, limit }).toArray();
    return docs.map((d) => fromStored(d as StoredPerson)!);
  }

  async findByIdentity(issuer: string, subject: string): Promise<PersonDoc | null> {
    const found = await this.collection.findOne({ identityKeys: identityKey(issuer, subject) } as MongoFilter<StoredPerson>);
    return fromStored(found as StoredPerson | null);
  }

  async insert(doc: PersonDoc): Promise<void> {
    try {
      await this.collection.insertOne(toStored(doc));
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const idTaken = (await this.collection.countDocuments({ _id: doc._id } as MongoFilter<StoredPerson>)) > 0;
      throw idTaken ? new PersonConflictError('id', `duplicate person id ${doc._id}`) : new PersonConflictError('identity', 'the identity is linked to another person');
    }
  }

  async update(doc: PersonDoc, expectedVersion: number): Promise<PersonDoc | null> {
    const next = toStored({ ...doc, version: expectedVersion + 1 });
    try {
      const after = await this.collection.findOneAndReplace({ _id: doc._id, version: expectedVersion } as MongoFilter<StoredPerson>, next, { returnDocument: 'after' });
      return fromStored(after as StoredPerson | null);
    } catch (err) {
      if (isDuplicateKey(err)) throw new PersonConflictError('identity', 'the identity is linked to another person');
      throw err;
    }
  }
}
