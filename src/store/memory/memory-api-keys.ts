import type { ApiKeyDoc } from '../../domain/api-key.js';
import type { ApiKeyRepository } from '../ports.js';
import { mapAccess } from './memory-access.js';

const binaryOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * API keys in memory, by id. Documents handed out are never changed: a revocation or a
 * `touch` stores a new object. Each write is synchronous, so revoke's compare-and-set is atomic.
 */
export class MemoryApiKeys implements ApiKeyRepository {
  private readonly byId = new Map<string, ApiKeyDoc>();
  readonly access = mapAccess(this.byId, 'API key');

  async insert(doc: ApiKeyDoc) {
    if (this.byId.has(doc._id)) throw new Error(`duplicate API key id ${doc._id}`);
    this.byId.set(doc._id, { ...doc });
  }

  async get(id: string) {
    return this.byId.get(id) ?? null;
  }

  async listByMember(memberId: string) {
    return [...this.byId.values()]
      .filter((k) => k.memberId === memberId)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || binaryOrder(b._id, a._id));
  }

  async revoke(id: string, at: Date, by: ApiKeyDoc['revokedBy']) {
    const current = this.byId.get(id);
    if (!current || current.revokedAt !== null) return null;
    const revoked = { ...current, revokedAt: at, revokedBy: by };
    this.byId.set(id, revoked);
    return revoked;
  }

  async touch(id: string, at: Date) {
    const current = this.byId.get(id);
    if (!current || (current.lastUsedAt && current.lastUsedAt >= at)) return;
    this.byId.set(id, { ...current, lastUsedAt: at });
  }
}
