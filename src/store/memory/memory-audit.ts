import type { AuditCheckpoint, AuditEntry } from '../../domain/types.js';
import type { AuditRepository, CollectionAccess, StoredDocument } from '../ports.js';
import { MemoryCollection } from './memory-collection.js';

/**
 * The audit log in memory: append, find, count, and an aggregate entry's count (`incrementCount`). The collection is a true
 * private field (`#entries`), so no caller can reach past the port to change it, and each entry
 * is stored as a frozen copy, so no caller can change one it was handed.
 */
export class MemoryAudit implements AuditRepository {
  readonly #entries = new MemoryCollection<AuditEntry>(['memberId', 'seq']);
  readonly #checkpoints = new Map<string, AuditCheckpoint>();

  async append(entry: AuditEntry) {
    if (this.#entries.get(entry._id)) throw new Error(`duplicate audit entry id ${entry._id}`);
    // The chain's compare-and-set: one entry per position (synchronous, so atomic).
    if (this.#entries.find({ seq: entry.seq }, { limit: 1 }).length > 0) return false;
    this.#entries.put(deepFreeze(structuredClone(entry)));
    return true;
  }

  async addCheckpoint(checkpoint: AuditCheckpoint) {
    if (!this.#checkpoints.has(checkpoint._id)) this.#checkpoints.set(checkpoint._id, deepFreeze(structuredClone(checkpoint)));
  }

  async checkpoints(limit = Infinity) {
    return [...this.#checkpoints.values()].sort((a, b) => (a._id < b._id ? 1 : a._id > b._id ? -1 : 0)).slice(0, limit);
  }

  /**
   * A log and raw access to it for export and import (the store's `backup`), kept off the
   * repository itself so that nothing holding the repository can reach past the port. `load` adds
   * documents as they are, unchecked (an import restores a chain; `hub audit verify` checks it),
   * but like `append` it never replaces one: a duplicate id throws.
   */
  static withAccess(): { audit: MemoryAudit; entries: CollectionAccess; checkpoints: CollectionAccess } {
    const audit = new MemoryAudit();
    const entries: CollectionAccess = {
      scan: () => scanSorted(audit.#entries.find({})),
      load: async (docs) => {
        for (const doc of docs) if (audit.#entries.get(String(doc._id))) throw new Error(`duplicate audit entry id ${doc._id}`);
        for (const doc of docs) audit.#entries.put(deepFreeze(structuredClone(doc)) as unknown as AuditEntry);
      },
    };
    const checkpoints: CollectionAccess = {
      scan: () => scanSorted([...audit.#checkpoints.values()]),
      load: async (docs) => {
        for (const doc of docs) if (audit.#checkpoints.has(String(doc._id))) throw new Error(`duplicate audit checkpoint id ${doc._id}`);
        for (const doc of docs) audit.#checkpoints.set(String(doc._id), deepFreeze(structuredClone(doc)) as unknown as AuditCheckpoint);
      },
    };
    return { audit, entries, checkpoints };
  }


  async incrementCount(id: string, at: Date) {
    const current = this.#entries.get(id);
    const count = current?.details.count;
    if (!current || current.action !== 'LOGIN_FAILED' || typeof count !== 'number') return false;
    const lastAt = typeof current.details.lastAt === 'string' && current.details.lastAt > at.toISOString() ? current.details.lastAt : at.toISOString();
    this.#entries.put(deepFreeze(structuredClone({ ...current, details: { ...current.details, count: count + 1, lastAt } })));
    return true;
  }

  async find(...args: Parameters<AuditRepository['find']>) {
    return this.#entries.find(...args);
  }

  async count(filter: Parameters<AuditRepository['count']>[0]) {
    return this.#entries.count(filter);
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Documents in `_id` order (numbers numerically, strings by code unit), as every adapter scans. */
export async function* scanSorted(docs: Iterable<object>): AsyncIterable<StoredDocument> {
  const list = [...docs] as StoredDocument[];
  list.sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
  yield* list;
}
