/**
 * The SQLite store's record transactions (`appendWith`, SqliteTransactionGate): their work awaits,
 * and the one connection serves every request meanwhile. Another request's call made while one
 * is open must neither join it (its write would be undone by the rollback) nor read its
 * uncommitted writes.
 */
import { describe, expect, it } from 'vitest';
import type { SightingDoc } from '../src/domain/types.js';
import { createSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { withId } from '../src/domain/with-id.js';

const sighting = (n: number): SightingDoc => ({
  ...withId(`sighting--${String(n).padStart(4, '0')}`),
  indicatorId: 'indicator--1',
  reporter: 'm-b',
  count: n,
  seenAt: new Date(n),
  reportedAt: new Date(n),
});
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('SQLite: a record transaction and the requests around it', () => {
  it("keeps another request's write made while a transaction is open, when that transaction rolls back", async () => {
    const store = createSqliteStore(':memory:');
    try {
      let started!: () => void;
      const open = new Promise<void>((resolve) => (started = resolve));
      const failing = store.events.appendWith!(async () => {
        await store.sightings.insert(sighting(1));
        started();
        await nextTurn(); // other requests run now
        throw new Error('the work failed');
      });
      await open;
      const outside = store.sightings.insert(sighting(2));
      const seen = store.sightings.findByIndicators(['indicator--1']);
      await expect(failing).rejects.toThrow('the work failed');
      await outside;
      expect((await seen).map((s) => s._id), 'a read made meanwhile never sees the uncommitted write').toEqual(['sighting--0002']);
      expect((await store.sightings.findByIndicators(['indicator--1'])).map((s) => s._id)).toEqual(['sighting--0002']);
    } finally {
      await store.close();
    }
  });

  it('commits the work and its events together, and lets the waiting calls run after', async () => {
    const store = createSqliteStore(':memory:');
    try {
      const event = { type: 'SIGHTED' as const, kind: 'INDICATOR' as const, recordId: 'indicator--1', occurredAt: new Date(), before: null, after: { source: 'm-a', tlp: 'CLEAR' as const, recipients: [] } };
      const done = store.events.appendWith!(async () => {
        await store.sightings.insert(sighting(1));
        await nextTurn();
        return { value: 'ok', events: [event] };
      });
      await nextTurn();
      const bounds = store.events.bounds();
      const { value, events } = await done;
      expect(value).toBe('ok');
      expect(events.map((e) => e._id)).toEqual([1]);
      expect(await bounds, 'a read waits for the commit').toEqual({ latest: 1, trimmedThrough: 0 });
    } finally {
      await store.close();
    }
  });
});
