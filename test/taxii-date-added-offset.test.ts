/**
 * TAXII pages read a stored `dateAddedOffset` (the `date_added` microsecond, a function of the
 * id) through an index, so a page reads about as many records as it serves and may end inside
 * a millisecond: a 5,000-item publish shares one. Also: files written before the column existed
 * get it at open.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Filter } from '../src/domain/filter.js';
import { withId } from '../src/domain/with-id.js';
import type { FindOptions } from '../src/store/ports.js';
import { MemoryCollection } from '../src/store/memory/memory-collection.js';
import { createSqliteStore, sqliteStorePath } from '../src/store/sqlite/sqlite-store.js';
import { comparePositions, offsetOfId, sameDateAdded, type Position } from '../src/taxii/date-added.js';
import { StoreSource } from '../src/taxii/object-source.js';
import { readPage } from '../src/taxii/pager.js';
import type { IndicatorDoc, SightingDoc } from '../src/domain/types.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

type Doc = { _id: string; dateAddedOffset: number; at: Date };
const BATCH_MS = 1_000_000;

/** 3,000 documents in one millisecond (a batch), 50 before and 50 after it. */
function docs(): Doc[] {
  const out: Doc[] = [];
  for (let i = 0; i < 50; i++) out.push({ ...withId(`x-test--before-${i}`), at: new Date(BATCH_MS - 1 - i) });
  for (let i = 0; i < 3_000; i++) out.push({ ...withId(`x-test--batch-${String(i).padStart(4, '0')}`), at: new Date(BATCH_MS) });
  for (let i = 0; i < 50; i++) out.push({ ...withId(`x-test--after-${i}`), at: new Date(BATCH_MS + 1 + i) });
  return out;
}

describe('a TAXII source over a millisecond shared by 3,000 records', () => {
  const all = docs();
  const expected = all.map((d) => ({ t: d.at.getTime(), u: d.dateAddedOffset, id: d._id })).sort(comparePositions);
  const repo = new MemoryCollection<Doc>(['_id']);
  for (const d of all) repo.put(d);
  let read = 0;
  const source = new StoreSource<Doc>({
    repo: {
      find: async (filter: Filter, options?: FindOptions) => {
        const found = repo.find(filter, options);
        read += found.length;
        return found;
      },
    },
    scope: {},
    timeField: 'at',
    toObjects: async (found) => found.map((d) => ({ type: 'x-test', id: d._id, spec_version: '2.1', created: d.at.toISOString() })),
  });

  it('walks it by next in date_added order, each page reading about a page of records and ending inside the millisecond', async () => {
    const seen: Position[] = [];
    let after: Position | null = null;
    let pages = 0;
    for (;;) {
      read = 0;
      const page = await readPage([source], after, BATCH_MS + 1_000, 100);
      pages++;
      // limit + 1, the rest of the last date_added, the probe for "more": never the 3,000.
      expect(read, `page ${pages}`).toBeLessThan(130);
      seen.push(...page.entries.map((e) => e.position));
      if (!page.more) break;
      after = page.entries[page.entries.length - 1]!.position;
    }
    expect(seen).toEqual(expected);
    // Pages end inside the batch's millisecond (never between two objects sharing a date_added).
    expect(pages).toBeGreaterThan(30);
  });

  it('answers added_after inside the millisecond with the objects strictly after it', async () => {
    const mid = expected[1_500]!;
    read = 0;
    const page = await readPage([source], { t: mid.t, u: mid.u, id: '\uffff' }, BATCH_MS + 1_000, 100);
    expect(read).toBeLessThan(130);
    const rest = expected.filter((p) => p.t > mid.t || (p.t === mid.t && p.u > mid.u));
    expect(page.entries.map((e) => e.position)).toEqual(rest.slice(0, page.entries.length));
    expect(page.entries.length).toBeGreaterThanOrEqual(100);
    const last = page.entries[page.entries.length - 1]!.position;
    expect(sameDateAdded(last, rest[page.entries.length]!)).toBe(false);
  });
});

describe('a SQLite file written before dateAddedOffset existed', () => {
  it('gets the column and the documents\' field filled from their ids at open, and its retired index dropped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-offset-'));
    dirs.push(dir);
    const path = sqliteStorePath(dir);
    const store = createSqliteStore(path);
    const at = new Date(1e12);
    const sighting: SightingDoc = { ...withId('sighting--0001'), indicatorId: 'indicator--0001', reporter: 'm-b', count: 1, seenAt: at, reportedAt: at };
    await store.sightings.insert(sighting);
    await store.close();
    // What an earlier hub wrote: no column, no field, the old index.
    const db = new Database(path);
    db.exec('DROP INDEX sightings_reportedAt_dateAddedOffset_id');
    db.exec('ALTER TABLE sightings DROP COLUMN dateAddedOffset');
    db.exec("UPDATE sightings SET doc = json_remove(doc, '$.dateAddedOffset')");
    db.exec('CREATE INDEX sightings_reportedAt_id ON sightings (reportedAt, _id)');
    expect(JSON.parse(db.prepare('SELECT doc FROM sightings').pluck().get() as string)).not.toHaveProperty('dateAddedOffset');
    db.close();

    const reopened = createSqliteStore(path);
    try {
      const [doc] = await reopened.sightings.find!({ reportedAt: at, dateAddedOffset: offsetOfId('sighting--0001') }, { sort: [['reportedAt', 1], ['dateAddedOffset', 1], ['_id', 1]], limit: 10 });
      expect(doc).toEqual(sighting);
      const indexes = reopened.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sightings'").pluck().all();
      expect(indexes).toContain('sightings_reportedAt_dateAddedOffset_id');
      expect(indexes).not.toContain('sightings_reportedAt_id');
    } finally {
      await reopened.close();
    }
  });
});

// Keeps the domain type honest: every record TAXII dates carries its offset.
const _typed: Pick<IndicatorDoc, 'dateAddedOffset'> = withId('indicator--x');
void _typed;
