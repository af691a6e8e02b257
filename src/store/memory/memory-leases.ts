import type { LeaseRepository } from '../ports.js';

/** Leases in this process: with one instance there is no one to share them with, but the rules are the same. */
export class MemoryLeases implements LeaseRepository {
  private readonly leases = new Map<string, { holder: string; expiresAt: number }>();

  async acquire(name: string, holder: string, ttlMs: number, now = new Date()): Promise<boolean> {
    const held = this.leases.get(name);
    if (held && held.holder !== holder && held.expiresAt >= now.getTime()) return false;
    this.leases.set(name, { holder, expiresAt: now.getTime() + ttlMs });
    return true;
  }
}
