/**
 * The SQLite publish write (upsertClaims) inside a caller's transaction (appendWith): it takes no
 * savepoint of its own there (a savepoint made updates 5-6x slower), so a batch that fails half
 * way must still leave nothing, through the caller's rollback.
 */
import { describe, expect, it } from 'vitest';
import { withId } from '../src/domain/with-id.js';
import type { ClaimUpsert } from '../src/store/ports.js';
import { createSqliteStore } from '../src/store/sqlite/sqlite-store.js';

function claim(n: number, id = `indicator--${String(n).padStart(8, '0')}-0000-4000-8000-000000000000`): ClaimUpsert {
  const now = new Date();
  return {
    key: { source: 'm-a', type: 'DOMAIN', value: `h${n}.upsert.example` },
    onInsert: { ...withId(id), createdAt: now, sightingCount: 0, lastSeenAt: null },
    set: { submittedValue: `h${n}.upsert.example`, tlp: 'GREEN', recipients: [], severity: 'HIGH', severityRank: 3, confidence: 50, validFrom: now, validUntil: null, tags: ['c2'], description: null, revoked: false, revokedReason: null, updatedAt: now, seq: n },
  };
}

describe('SQLite upsertClaims inside appendWith', () => {
  it('leaves nothing of a batch that fails half way, neither its claims nor its counts', async () => {
    const store = createSqliteStore(':memory:');
    try {
      await store.indicators.upsertClaims([claim(1)]);
      // The third claim reuses the first one's id: the insert fails on the unique _id, after two writes.
      const failing = store.events.appendWith!(async () => {
        await store.indicators.upsertClaims([claim(1, 'indicator--other'), claim(2), claim(3, claim(1).onInsert._id)]);
        return { value: null, events: [] };
      });
      await expect(failing).rejects.toThrow(/UNIQUE/);
      expect((await store.indicators.find({})).map((d) => d.value)).toEqual(['h1.upsert.example']);
      expect(await store.indicators.count({})).toBe(1);
      expect(await store.indicators.count({ tlp: 'GREEN' })).toBe(1);
      // And the store goes on: the same batch without the bad item commits.
      await store.events.appendWith!(async () => ({ value: await store.indicators.upsertClaims([claim(1), claim(2)]), events: [] }));
      expect(await store.indicators.count({})).toBe(2);
    } finally {
      await store.close();
    }
  });
});
