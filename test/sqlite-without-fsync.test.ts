/**
 * Rate-limit takes (one per request) commit without waiting for an fsync; every other write keeps
 * `synchronous = FULL` (docs/storage.md, Durability).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { withoutFsync } from '../src/store/sqlite/without-fsync.js';

const FULL = 2;
const NORMAL = 1;
const dirs: string[] = [];
const stores: SqliteStore[] = [];

function open(dir = mkdtempSync(join(tmpdir(), 'hub-nofsync-'))): { store: SqliteStore; dir: string } {
  if (!dirs.includes(dir)) dirs.push(dir);
  const store = createSqliteStore(join(dir, 'hub.db'));
  stores.push(store);
  return { store, dir };
}

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('withoutFsync', () => {
  it('commits with synchronous = NORMAL and restores FULL after, also when the work throws', () => {
    const { store } = open();
    expect(store.db.pragma('synchronous', { simple: true })).toBe(FULL);
    expect(withoutFsync(store.db, () => store.db.pragma('synchronous', { simple: true }))).toBe(NORMAL);
    expect(store.db.pragma('synchronous', { simple: true })).toBe(FULL);
    expect(() => withoutFsync(store.db, () => { throw new Error('boom'); })).toThrow('boom');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(FULL);
  });

  it('leaves a transaction already open alone (the setting would apply to its whole commit)', () => {
    const { store } = open();
    const seen = store.db.transaction(() => withoutFsync(store.db, () => store.db.pragma('synchronous', { simple: true })))();
    expect(seen).toBe(FULL);
  });

  it('a rate-limit take keeps FULL for the writes after it, and its bucket survives a reopen', async () => {
    const { store, dir } = open();
    const bucket = { capacity: 2, refillPerMs: 1e-9 };
    expect(await store.rateLimits.take('k', new Date(1_000), bucket)).toEqual({ ok: true });
    expect(store.db.pragma('synchronous', { simple: true })).toBe(FULL);
    await store.close();
    const again = open(dir).store;
    expect(await again.rateLimits.take('k', new Date(1_000), bucket)).toEqual({ ok: true });
    expect((await again.rateLimits.take('k', new Date(1_000), bucket)).ok).toBe(false);
  });
});
