import type { CollectionAccess, StoredDocument } from '../ports.js';
import { scanSorted } from './memory-audit.js';
import type { MemoryCollection } from './memory-collection.js';

/**
 * Raw access to an in-memory map of documents by `_id`, for export and import: `load` adds the
 * documents (a copy of each), refusing an id already held, and tells `onLoad` of each one so that
 * the repository can rebuild what it derives from them (e.g. the claim index).
 */
export function mapAccess<T>(map: Map<string, T>, label: string, onLoad?: (doc: T) => void): CollectionAccess {
  return {
    scan: () => scanSorted(map.values() as Iterable<object>),
    load: async (docs: readonly StoredDocument[]) => {
      refuseHeld(docs, (id) => map.has(id), label);
      for (const doc of docs) {
        const copy = structuredClone(doc) as unknown as T;
        map.set(String(doc._id), copy);
        onLoad?.(copy);
      }
    },
  };
}

/** The same over a MemoryCollection (its indexes are kept by `put`). */
export function collectionAccess<T extends { _id: string; seq?: number }>(collection: MemoryCollection<T>, label: string, onLoad?: (doc: T) => void): CollectionAccess {
  return {
    scan: () => scanSorted(collection.find({})),
    load: async (docs: readonly StoredDocument[]) => {
      refuseHeld(docs, (id) => collection.get(id) !== undefined, label);
      // In write order, so that the collection's newest-first walk by `seq` holds.
      const ordered = [...docs].sort((a, b) => ((a.seq as number | undefined) ?? 0) - ((b.seq as number | undefined) ?? 0));
      for (const doc of ordered) {
        const copy = structuredClone(doc) as unknown as T;
        collection.put(copy);
        onLoad?.(copy);
      }
    },
  };
}

function refuseHeld(docs: readonly StoredDocument[], held: (id: string) => boolean, label: string): void {
  for (const doc of docs) if (held(String(doc._id))) throw new Error(`duplicate ${label} id ${doc._id}`);
}
