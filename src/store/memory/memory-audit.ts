import type { AuditEntry } from '../../domain/types.js';
import type { AuditRepository } from '../ports.js';
import { MemoryCollection } from './memory-collection.js';

/**
 * The audit log in memory: append, find, count, and nothing else. The collection is a true
 * private field (`#entries`), so no caller can reach past the port to change it, and each entry
 * is stored as a frozen copy, so no caller can change one it was handed.
 */
export class MemoryAudit implements AuditRepository {
  readonly #entries = new MemoryCollection<AuditEntry>(['memberId']);

  async append(entry: AuditEntry) {
    if (this.#entries.get(entry._id)) throw new Error(`duplicate audit entry id ${entry._id}`);
    this.#entries.put(deepFreeze(structuredClone(entry)));
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
