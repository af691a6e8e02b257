import type { Collection, Document, Filter as MongoFilter, OptionalUnlessRequiredId } from 'mongodb';
import type { CollectionAccess, StoredDocument } from '../ports.js';
import { isDuplicateKey } from './mongo-documents.js';

/** Documents per `insertMany` of an import, and per cursor batch of an export. */
const BATCH = 1_000;

export interface MongoAccessOptions {
  /** Which documents of the collection belong (default all): `counters` holds two portable collections. */
  filter?: Document;
  /** Stored document to portable one (default: as stored). */
  toPortable?: (doc: Document) => StoredDocument;
  /** Portable document to stored one (default: as given). */
  fromPortable?: (doc: StoredDocument) => Document;
}

/**
 * Raw access to one MongoDB collection for export and import: a cursor in `_id` order (the
 * built-in index), and ordered `insertMany` batches that refuse an id already held.
 */
export function mongoAccess(collection: Collection<Document>, label: string, options: MongoAccessOptions = {}): CollectionAccess {
  const toPortable = options.toPortable ?? ((doc) => doc as StoredDocument);
  const fromPortable = options.fromPortable ?? ((doc) => doc as Document);
  return {
    async *scan() {
      const cursor = collection.find((options.filter ?? {}) as MongoFilter<Document>, { sort: [['_id', 1]], batchSize: BATCH });
      try {
        for await (const doc of cursor) yield toPortable(doc);
      } finally {
        await cursor.close();
      }
    },
    async load(docs) {
      for (let i = 0; i < docs.length; i += BATCH) {
        const batch = docs.slice(i, i + BATCH).map(fromPortable);
        try {
          await collection.insertMany(batch as OptionalUnlessRequiredId<Document>[], { ordered: true });
        } catch (err) {
          if (isDuplicateKey(err)) throw new Error(`duplicate ${label} id in ${collection.collectionName}: the store already holds one of the imported documents`);
          throw err;
        }
      }
    },
  };
}
