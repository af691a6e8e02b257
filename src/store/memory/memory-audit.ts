import type { AuditEntry } from '../../domain/types.js';
import type { AuditRepository } from '../ports.js';
import { MemoryCollection } from './memory-collection.js';

/**
 * The audit log in memory: append, find, count, and an aggregate entry's count (`incrementCount`). The collection is a true
 * private field (`#entries`), so no caller can reach past the port to change it, and each entry
 * is stored as a frozen copy, so no caller can change one it was handed.
 */
export class MemoryAudit implements AuditRepository {
  readonly #entries = new MemoryCollection<AuditEntry>(['memberId']);

  async append(entry: AuditEntry) {
    if (this.#entries.get(entry._id)) throw new Error(`duplicate audit entry id ${entry._id}`);
    this.#entries.put(deepFreeze(structuredClone(entry)));
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
