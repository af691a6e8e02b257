/**
 * Every read path of the hub, as the services build it (queries.ts, policy.ts), answered through
 * an index on the SQLite store: EXPLAIN QUERY PLAN names the index, and no plan scans a record
 * table whole. Counts whose filter names only the count table's fields (visibility, type, TLP,
 * severity, revoked) read the count table, never the records.
 */
import { withId } from '../src/domain/with-id.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Filter } from '../src/domain/filter.js';
import type { IndicatorDoc, NoticeDoc } from '../src/domain/types.js';
import { VULNERABILITY_LIST_ORDER } from '../src/services/vulnerability-service.js';
import { auditVisibility, embargoApplies, indicatorVisibility, modelReviewVisibility, noticeVisibility, taxiiExclusion, vulnerabilityVisibility, type Viewer } from '../src/policy/policy.js';
import {
  and,
  auditFilter,
  indicatorFilter,
  keysetAfter,
  MODEL_REVIEW_CLOSE_ORDER,
  MODEL_REVIEW_LIST_ORDER,
  modelReviewFilter,
  modelReviewFindingsFilter,
  modelReviewsDueToClose,
  possibleDuplicatesFilter,
  sortFor,
  vulnerabilityFilter,
  sortValues,
  warnedExclusion,
  type IndicatorFilterInput,
  type ModelReviewFilterInput,
} from '../src/store/queries.js';
import { createSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { APPROVALS, COLLECTION_SPECS, VULNERABILITIES } from '../src/store/sqlite/sqlite-schema.js';
import type { FindOptions } from '../src/store/ports.js';
import { AFTER_ALL_IDS, type Position } from '../src/taxii/date-added.js';
import { StoreSource } from '../src/taxii/object-source.js';

const N = 5_000;
let store: SqliteStore;

function indicator(i: number): IndicatorDoc {
  const tlp = (['CLEAR', 'GREEN', 'AMBER', 'RED'] as const)[i % 4]!;
  return {
    ...withId(`indicator--${String(i).padStart(6, '0')}`),
    type: (['DOMAIN', 'IPV4', 'URL', 'SHA256'] as const)[i % 4]!,
    value: `h${i}.example.com`,
    submittedValue: `h${i}.example.com`,
    tlp,
    recipients: tlp === 'RED' ? ['m-reader'] : [],
    severity: (['LOW', 'MEDIUM', 'HIGH'] as const)[i % 3]!,
    severityRank: (i % 3) + 1,
    confidence: i % 101,
    validFrom: new Date(1e12 + i),
    validUntil: null,
    tags: i % 3 ? ['apt'] : ['c2'],
    description: null,
    sightingCount: 0,
    lastSeenAt: null,
    revoked: i % 50 === 0,
    revokedReason: null,
    source: `m-${i % 5}`,
    createdAt: new Date(1e12 + i),
    updatedAt: new Date(1e12 + i),
    seq: i,
    // A few on warning lists (excludeWarned), as on a real hub.
    warnedBy: i % 97 === 0 ? ['misp:rfc1918'] : i % 89 === 0 ? ['misp:public-dns-v4', 'warning-list--m'] : [],
  };
}

const reader: Viewer = { kind: 'member', memberId: 'm-reader', userId: 'u', roles: ['reader'], tier: 'COMMUNITY' };

function plan(q: { sql: string; params: unknown[] }, on: SqliteStore = store): string[] {
  return (on.db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params) as Array<{ detail: string }>).map((r) => r.detail);
}

/** No step reads a record table whole: every SCAN of one goes through an index. */
function expectNoFullScan(steps: string[]): void {
  for (const step of steps) expect(step, steps.join(' | ')).not.toMatch(/^SCAN t$/);
}

beforeAll(() => {
  store = createSqliteStore(':memory:');
  store.db.transaction(() => {
    for (let i = 0; i < N; i++) store.collections.indicators.insert(indicator(i));
  })();
  // The statistics `PRAGMA optimize` keeps on a real file.
  store.db.exec('ANALYZE');
});
afterAll(() => store.close());

describe('SQLite read paths use indexes', () => {
  const seq = sortFor('UPDATED_AT', 'DESC');
  const vis = indicatorVisibility(reader);

  it('the first list page walks the seq index, and its totalCount reads the count table', () => {
    const page = plan(store.collections.indicators.selectSql(vis, { sort: seq, limit: 51 }));
    expect(page[0]).toBe('SCAN t USING INDEX indicators_seq');
    expect(page.join('\n')).not.toMatch(/TEMP B-TREE/);
    const next = plan(store.collections.indicators.selectSql(and(vis, keysetAfter(seq, [2_500])), { sort: seq, limit: 51 }));
    expect(next[0]).toMatch(/^SEARCH t USING INDEX indicators_seq \(seq<\?\)/);
    const count = store.collections.indicators.countSql(vis);
    expect(count.sql).toContain('FROM indicators__counts');
    expectNoFullScan(plan(count));
  });

  it('excludeWarned: the first page and the next walk the seq index (each row probing the warnedBy side table by its key), the count reads the count table, and both agree with the records', () => {
    const scope = and(vis, warnedExclusion(['misp:public-dns-v4', 'misp:rfc1918']));
    const page = plan(store.collections.indicators.selectSql(scope, { sort: seq, limit: 51 }));
    expect(page[0]).toBe('SCAN t USING INDEX indicators_seq');
    expect(page.join('\n')).not.toMatch(/TEMP B-TREE/);
    expect(page.join('\n')).toMatch(/SEARCH s USING PRIMARY KEY \(value=\? AND rid=\?\)/);
    expectNoFullScan(page);
    const next = plan(store.collections.indicators.selectSql(and(scope, keysetAfter(seq, [2_500])), { sort: seq, limit: 51 }));
    expect(next[0]).toMatch(/^SEARCH t USING INDEX indicators_seq \(seq<\?\)/);
    const count = store.collections.indicators.countSql(scope);
    expect(count.sql).toContain('FROM indicators__counts');
    expectNoFullScan(plan(count));
    const all = store.collections.indicators.find(scope);
    expect(all.some((d) => d.warnedBy?.length)).toBe(false);
    expect(store.collections.indicators.count(scope)).toBe(all.length);
    expect(all.length).toBeLessThan(store.collections.indicators.find(vis).length);
  });

  it("the warned-by job's batches read the (type, seq) or the seq index in order, from where the last one stopped", () => {
    const batch = (filter: Filter) => plan(store.collections.indicators.selectSql(filter, { sort: [['seq', 1]], limit: 500 })).join(' | ');
    expect(batch({ type: { $in: ['IPV4'] }, seq: { $gt: 2_500 } })).toBe('SEARCH t USING INDEX indicators_type_seq (type=? AND seq>?)');
    expect(batch({ seq: { $gt: 2_500 } })).toBe('SEARCH t USING INDEX indicators_seq (seq>?)');
  });

  it.each<[string, IndicatorFilterInput, RegExp, 'counts' | RegExp]>([
    ['type', { type: ['DOMAIN'] }, /^SEARCH t USING INDEX indicators_type_seq \(type=\?\)/, 'counts'],
    ['TLP', { tlp: ['GREEN'] }, /^SEARCH t USING INDEX indicators_tlp_seq \(tlp=\?\)/, 'counts'],
    ['severity', { severity: ['HIGH'] }, /^SCAN t USING INDEX indicators_seq$/, 'counts'],
    ['revoked', { revoked: false }, /^SCAN t USING INDEX indicators_seq$/, 'counts'],
    // Walked in order, each row's tag probed: the page stops after 51 (no sort of every match).
    ['tags', { tags: ['c2'] }, /^SCAN t USING INDEX indicators_seq$/, /COVERING INDEX indicators_rid_source_tlp \(rid=\?\)[\s\S]*indicators__tags USING PRIMARY KEY \(value=\?\)/],
    ['minConfidence', { minConfidence: 95 }, /^SCAN t USING INDEX indicators_seq$/, /USING COVERING INDEX indicators_confidence_id_source_tlp \(confidence>\?\)/],
    ['updatedSince', { updatedSince: new Date(1e12 + N - 100) }, /^SCAN t USING INDEX indicators_seq$/, /USING COVERING INDEX indicators_updatedAt_dateAddedOffset_id_source_tlp \(updatedAt>\?\)/],
  ])('a list filtered by %s reads through an index in the list\'s order, and its count through an index', (_name, input, pageIndex, countIndex) => {
    const scope = and(vis, indicatorFilter(input));
    const page = plan(store.collections.indicators.selectSql(scope, { sort: seq, limit: 51 }));
    expect(page[0]).toMatch(pageIndex);
    expect(page.join('\n')).not.toMatch(/TEMP B-TREE/);
    expectNoFullScan(page);
    const count = store.collections.indicators.countSql(scope);
    if (countIndex === 'counts') expect(count.sql).toContain('FROM indicators__counts');
    else expect(plan(count).join('\n')).toMatch(countIndex);
    expectNoFullScan(plan(count));
  });

  it.each<[string, IndicatorFilterInput, 'counts' | RegExp]>([
    ['type', { type: ['DOMAIN'] }, 'counts'],
    // Led by the tag's side-table entries, each record's visibility read from the (rid, source,
    // tlp) index, not its row: nothing collected first.
    ['tags', { tags: ['c2'] }, /^CO-ROUTINE.*\| SEARCH g USING PRIMARY KEY \(value=\?\) \| SEARCH t USING COVERING INDEX indicators_rid_source_tlp \(rid=\?\)/],
    ['two tags', { tags: ['c2', 'apt'] }, /SEARCH g USING PRIMARY KEY \(value=\?\) \| SEARCH t USING COVERING INDEX indicators_rid_source_tlp \(rid=\?\)/],
    ['tags and TLP', { tags: ['c2'], tlp: ['GREEN'] }, /SEARCH g USING PRIMARY KEY \(value=\?\) \| SEARCH t USING COVERING INDEX indicators_rid_source_tlp \(rid=\?\)/],
    ['minConfidence', { minConfidence: 95 }, /USING COVERING INDEX indicators_confidence_id_source_tlp \(confidence>\?\)/],
    ['updatedSince', { updatedSince: new Date(1e12 + N - 100) }, /USING COVERING INDEX indicators_updatedAt_dateAddedOffset_id_source_tlp \(updatedAt>\?\)/],
  ])('a capped count (countUpTo) filtered by %s reads at most its cap through an index, and counts what find matches', (_name, input, how) => {
    const scope = and(vis, indicatorFilter(input));
    const count = store.collections.indicators.countSql(scope, 101);
    if (how === 'counts') expect(count.sql).toContain('FROM indicators__counts');
    else {
      expect(plan(count).join(' | ')).toMatch(how);
      expect(plan(count).join(' | ')).not.toMatch(/LIST SUBQUERY|TEMP B-TREE FOR ORDER/);
      expect(count.sql).toMatch(/LIMIT \?\)$/);
    }
    expectNoFullScan(plan(count));
    const all = store.collections.indicators.find(scope).length;
    expect(store.collections.indicators.count(scope, 101)).toBe(Math.min(all, 101));
    expect(store.collections.indicators.count(scope, all + 5)).toBe(all);
  });

  it('a lookup by value and a read by id go through the value and id indexes', () => {
    const values = Array.from({ length: 1_000 }, (_, i) => `h${i * 3}.example.com`);
    const lookup = plan(store.collections.indicators.selectSql(and({ value: { $in: values } }, vis), { sort: [['_id', 1]] }));
    expect(lookup[0]).toMatch(/^SEARCH t USING INDEX indicators_value_source_type \(value=\?\)/);
    const byId = plan(store.collections.indicators.selectSql(and({ _id: { $in: ['indicator--000001'] } }, vis)));
    expect(byId[0]).toMatch(/^SEARCH t USING INDEX sqlite_autoindex_indicators_1 \(_id=\?\)/);
  });

  it('a TAXII page at any depth, first or by next or added_after, reads ranges of the (updatedAt, dateAddedOffset, _id) index, in its order', async () => {
    // The queries StoreSource builds (the indicators source's scope), recorded, then explained.
    const reads: Array<{ filter: Filter; options: FindOptions | undefined }> = [];
    const indicators = store.collections.indicators;
    const source = new StoreSource<IndicatorDoc>({
      repo: { find: async (filter, options) => (reads.push({ filter, options }), indicators.find(filter, options)) },
      scope: and(vis, taxiiExclusion(), {}),
      timeField: 'updatedAt',
      toObjects: async (docs) => docs.map((d) => ({ type: 'indicator', id: d._id, spec_version: '2.1', created: d.createdAt.toISOString() })),
    });
    const deep = indicator(N / 2);
    const afters: Array<Position | null> = [
      null, // the first page
      { t: deep.updatedAt.getTime(), u: deep.dateAddedOffset, id: deep._id }, // next: the full sort key
      { t: deep.updatedAt.getTime(), u: deep.dateAddedOffset, id: AFTER_ALL_IDS }, // added_after
    ];
    const range = /^SEARCH t USING INDEX indicators_updatedAt_dateAddedOffset_id_source_tlp \((updatedAt<\?|updatedAt=\? AND dateAddedOffset=\?( AND _id>\?)?|updatedAt=\? AND dateAddedOffset>\?|updatedAt>\? AND updatedAt<\?)\)/;
    for (const after of afters) {
      reads.length = 0;
      const page = await source.read(after, 2e12, 100);
      expect(page.entries.length).toBeGreaterThanOrEqual(100);
      expect(reads.length).toBeGreaterThan(0);
      for (const read of reads) {
        const steps = plan(indicators.selectSql(read.filter, read.options));
        expect(steps[0], steps.join(' | ')).toMatch(range);
        expect(steps.join('\n')).not.toMatch(/TEMP B-TREE/);
      }
    }
    // The deep page by next asked each range for what was left of the page (101 rows), never a whole millisecond.
    expect(reads.every((r) => r.options?.limit === undefined || r.options.limit <= 101)).toBe(true);
  });

  it('an audit page, for a hub-admin and a member-admin, walks a seq index', () => {
    const admin: Viewer = { kind: 'member', memberId: 'm-a', userId: 'x', roles: ['hub-admin'], tier: 'CORE' };
    const memberAdmin: Viewer = { kind: 'member', memberId: 'm-a', userId: 'x', roles: ['member-admin'], tier: 'CORE' };
    expect(plan(store.collections.audit.selectSql(and(auditVisibility(admin), auditFilter({})), { sort: [['seq', -1]], limit: 51 }))[0]).toBe('SCAN t USING INDEX audit_seq');
    expect(plan(store.collections.audit.selectSql(and(auditVisibility(memberAdmin), auditFilter({})), { sort: [['seq', -1]], limit: 51 }))[0]).toMatch(/^SEARCH t USING INDEX audit_memberId_seq \(memberId=\?\)/);
  });

  it('leaves omitted fields out of the documents it reads (FindOptions.omit), in SQL', () => {
    const scope = { _id: 'indicator--000003' };
    const [whole] = store.collections.indicators.find(scope);
    const [bare] = store.collections.indicators.find(scope, { omit: ['tags', 'description'] });
    expect(whole).toHaveProperty('tags');
    expect(bare).not.toHaveProperty('tags');
    expect(bare).not.toHaveProperty('description');
    const { tags: _t, description: _d, ...rest } = whole!;
    expect(bare).toEqual(rest);
  });

  it('an alert replay from any cursor is a range of the event log\'s primary key', () => {
    const steps = (store.db.prepare('EXPLAIN QUERY PLAN SELECT doc FROM events WHERE position > ? ORDER BY position LIMIT ?').all(1, 500) as Array<{ detail: string }>).map((r) => r.detail);
    expect(steps).toEqual(['SEARCH events USING INTEGER PRIMARY KEY (rowid>?)']);
  });

  it('keeps the count table equal to counting the records, through inserts, upserts and updates', async () => {
    const other = createSqliteStore(':memory:');
    try {
      const docs = Array.from({ length: 300 }, (_, i) => indicator(i));
      const claim = (d: IndicatorDoc) => {
        const { _id, createdAt, sightingCount, lastSeenAt, source, type, value, ...set } = d;
        return { key: { source, type, value }, onInsert: { _id, createdAt, sightingCount, lastSeenAt }, set };
      };
      await other.indicators.upsertClaims(docs.map(claim));
      // The same claims again with other sharing: updates, not inserts.
      await other.indicators.upsertClaims(docs.slice(0, 100).map((d) => claim({ ...d, tlp: 'CLEAR', recipients: [], severity: 'LOW', severityRank: 1 })));
      for (let i = 100; i < 150; i++) await other.indicators.updateOne({ _id: docs[i]!._id }, { $set: { revoked: true, tlp: 'GREEN', recipients: [] } });
      const viewers: Viewer[] = [reader, { kind: 'anonymous', tier: 'PUBLIC' }, { kind: 'member', memberId: 'm-1', userId: 'u', roles: ['reader'], tier: 'TRUSTED' }];
      for (const viewer of viewers) {
        for (const input of [{}, { type: ['DOMAIN'] }, { tlp: ['GREEN', 'RED'] }, { revoked: true }, { severity: ['LOW'] }] as IndicatorFilterInput[]) {
          const filter = and(indicatorVisibility(viewer), indicatorFilter(input));
          const fromCounts = other.collections.indicators.countSql(filter);
          expect(fromCounts.sql).toContain('indicators__counts');
          const params: unknown[] = [];
          const direct = other.collections.indicators.selectSql(filter, {}, 'count(*)');
          params.push(...direct.params);
          expect(other.db.prepare(fromCounts.sql).pluck().get(...fromCounts.params), JSON.stringify(input)).toBe(other.db.prepare(direct.sql).pluck().get(...params));
        }
      }
    } finally {
      await other.close();
    }
  });

  it('declares each field once per table (a merge that doubles or drops a column shows here first)', () => {
    for (const spec of COLLECTION_SPECS) {
      const fields = [...spec.columns.map((c) => c.field), ...(spec.lists ?? []).map((l) => l.field)];
      expect(fields.length, spec.table).toBe(new Set(fields).size);
    }
    // Read by approve's undo (ApprovalService): lost once in a merge.
    expect(APPROVALS.columns.map((c) => c.field)).toEqual(expect.arrayContaining(['decidedAt', 'decidedBy.userId']));
  });

  it('refuses a query operator it does not translate, loudly', () => {
    expect(() => store.collections.indicators.selectSql({ value: { $regex: 'x' } })).toThrow(/unsupported operator \$regex/);
    expect(() => store.collections.indicators.selectSql({ nowhere: 'x' })).toThrow(/no column for field "nowhere"/);
  });
});

describe('SQLite read paths of clearinghouse cases', () => {
  const viewers: Viewer[] = [
    reader,
    { kind: 'anonymous', tier: 'PUBLIC' },
    { kind: 'member', memberId: 'v-1', userId: 'u', roles: ['reader'], tier: 'TRUSTED' },
    { kind: 'member', memberId: 'lab-2', userId: 'u', roles: ['reader'], tier: 'CORE' },
    { kind: 'member', memberId: 'c', userId: 'u', roles: ['reader', 'coordinator'], tier: 'COMMUNITY' },
    // A reviewer of the model reviews some cases were filed under: the restriction lets it see those.
    { kind: 'member', memberId: 'rev-1', userId: 'u', roles: ['reader'], tier: 'COMMUNITY' },
    { kind: 'member', memberId: 'adm', userId: 'u', roles: ['reader', 'hub-admin'], tier: 'CORE' },
  ];
  /** Cases filed under a review (every 13th): released before the instant the tests read at, not yet, or never (cancelled). */
  const findingOf = (i: number) =>
    i % 13 !== 0 ? {} : { reviewId: `x-model-review--${i % 3}`, reviewAudience: ['lab-1', 'rev-1'], reviewReleaseAt: [new Date(1.5e12), new Date(3e12), null][i % 3]! };
  const STATUSES = ['RECEIVED', 'VALIDATED', 'INVALID', 'FIX_AVAILABLE', 'PUBLISHED', 'CLOSED'] as const;
  let cases: SqliteStore;

  beforeAll(async () => {
    cases = createSqliteStore(':memory:');
    for (let i = 0; i < 400; i++) {
      const status = STATUSES[i % STATUSES.length]!;
      const at = new Date(1e12 + i);
      await cases.vulnerabilities.insert({
        ...withId(`vulnerability--${String(i).padStart(6, '0')}`), title: 't', summary: 's', severity: 'HIGH', severityRank: 3, cvss: null, cwes: [`CWE-${i % 7}`], cveId: null,
        affected: [{ vendorId: `v-${i % 4}`, vendorName: 'V', product: `p${i % 9}`, versions: '1', purl: null, cpe: null }],
        discovery: { method: 'HUMAN', model: null, humanValidated: true }, credits: [], proofOfConcept: null, technicalDetails: null, suggestedFix: null, exploited: i % 2 === 0,
        relatedNoticeIds: [], source: `lab-${i % 5}`, reportedBy: { memberId: `lab-${i % 5}`, userId: 'u' }, participants: i % 11 === 0 ? ['lab-2'] : [], status, validation: null,
        vendorStatuses: [{ vendorId: `v-${i % 4}`, status: 'UNKNOWN', notifiedAt: i % 3 ? at : null, queuedAt: null, acknowledgedAt: null, escalatedAt: null, fixedIn: null, note: null, updatedAt: at }],
        embargo: { state: 'NONE', endsAt: null, proposedBy: null, reason: null, acceptedBy: [] }, deadlineAt: null, publishedAt: status === 'PUBLISHED' ? at : null,
        duplicateOf: null, possibleDuplicateIds: [], createdAt: at, updatedAt: at, seq: i, ...findingOf(i),
      });
    }
    cases.db.exec('ANALYZE');
  });
  afterAll(() => cases.close());

  it('a list page walks the (updatedAt, dateAddedOffset, _id) index, a lookup by id the id index, duplicates the product keys', () => {
    const table = cases.collections.vulnerabilities;
    for (const viewer of viewers) {
      // vulnerabilities(...) pages in VULNERABILITY_LIST_ORDER (updatedAt, never seq: a parties' step moves seq).
      const page = plan(table.selectSql(vulnerabilityVisibility(viewer, new Date(2e12)), { sort: VULNERABILITY_LIST_ORDER, limit: 51 }), cases);
      expect(page[0], page.join(' | ')).toMatch(/^SCAN t USING INDEX vulnerabilities_updatedAt_dateAddedOffset_id/);
      expect(page.join('\n')).not.toMatch(/TEMP B-TREE/);
      const byId = plan(table.selectSql(and({ _id: { $in: ['vulnerability--000001'] } }, vulnerabilityVisibility(viewer, new Date(2e12)))), cases);
      expect(byId[0]).toMatch(/^SEARCH t USING INDEX sqlite_autoindex_vulnerabilities_1 \(_id=\?\)/);
    }
    const staged = plan(table.selectSql(vulnerabilityFilter({ stage: ['VALIDATED'], status: ['VALIDATED'] }, new Date(2e12), { pocDelayMs: 1 }), { sort: [['seq', -1]], limit: 51 }), cases);
    expectNoFullScan(staged);
    const dups = plan(table.selectSql(possibleDuplicatesFilter(['name:v/p1'], ['CWE-1']), { sort: [['seq', -1]], limit: 20 }), cases);
    expectNoFullScan(dups);
  });

  it('counts every viewer\'s cases from the count table, equal to counting the records, through inserts and updates', async () => {
    for (let i = 0; i < 40; i++) {
      const id = `vulnerability--${String(i).padStart(6, '0')}`;
      const [doc] = await cases.vulnerabilities.find({ _id: id });
      await cases.vulnerabilities.updateOne({ _id: id }, { $set: { status: 'PUBLISHED', publishedAt: new Date(1e12), seq: 1_000 + i, participants: ['lab-3'], vendorStatuses: doc!.vendorStatuses.map((v) => ({ ...v, notifiedAt: new Date(1e12) })) } });
    }
    // A review's rewrite of its findings (an invitation of v-1, a cancellation): their count groups move.
    for (const i of [13, 26, 52]) {
      await cases.vulnerabilities.updateOne({ _id: `vulnerability--${String(i).padStart(6, '0')}` }, { $set: { reviewAudience: ['lab-1', 'rev-1', 'v-1'], reviewReleaseAt: null, seq: 2_000 + i } });
    }
    const table = cases.collections.vulnerabilities;
    // One row per group, also for groups with a null field (most cases have no reviewId): a NULL in
    // the primary key would never conflict, and every write would add a row.
    const groups = (sql: string) => cases.db.prepare(sql).pluck().get() as number;
    const by = VULNERABILITIES.countBy!.map((f) => `"${f.replace(/\./g, '_')}"`).join(', ');
    expect(groups('SELECT count(*) FROM vulnerabilities__counts')).toBe(groups(`SELECT count(*) FROM (SELECT 1 FROM vulnerabilities__counts GROUP BY ${by})`));
    expect(groups('SELECT count(*) FROM vulnerabilities__counts')).toBe(groups(`SELECT count(*) FROM (SELECT 1 FROM vulnerabilities GROUP BY ${by})`) + groups('SELECT count(*) FROM vulnerabilities__counts WHERE n = 0'));
    for (const viewer of viewers) {
      for (const input of [{}, { status: ['PUBLISHED' as const] }, { exploited: true }, { severity: ['HIGH' as const] }]) {
        const filter = and(vulnerabilityVisibility(viewer, new Date(2e12)), vulnerabilityFilter(input, new Date(2e12), { pocDelayMs: 1 }));
        const fromCounts = table.countSql(filter);
        // The model-review restriction's fields are count-table columns: every viewer's count reads it.
        expect(fromCounts.sql).toContain('vulnerabilities__counts');
        expectNoFullScan(plan(fromCounts, cases));
        const direct = table.selectSql(filter, {}, 'count(*)');
        expect(cases.db.prepare(fromCounts.sql).pluck().get(...fromCounts.params), JSON.stringify([viewer, input])).toBe(cases.db.prepare(direct.sql).pluck().get(...direct.params));
      }
    }
  });
});

describe('SQLite read paths of model reviews and their findings', () => {
  const NOW = new Date(2e12);
  const viewers: Viewer[] = [
    { kind: 'member', memberId: 'lab-1', userId: 'u', roles: ['reader', 'publisher'], tier: 'CORE' },
    { kind: 'member', memberId: 'rev-1', userId: 'u', roles: ['reader'], tier: 'TRUSTED' },
    { kind: 'member', memberId: 'other', userId: 'u', roles: ['reader'], tier: 'COMMUNITY' },
    { kind: 'member', memberId: 'adm', userId: 'u', roles: ['reader', 'hub-admin'], tier: 'CORE' },
    { kind: 'anonymous', tier: 'PUBLIC' },
  ];
  let reviews: SqliteStore;
  const reviewId = (i: number) => `x-model-review--${String(i).padStart(6, '0')}`;

  beforeAll(async () => {
    reviews = createSqliteStore(':memory:');
    const day = 86_400_000;
    for (let i = 0; i < 2_000; i++) {
      const planned = new Date(NOW.getTime() + (i - 1_000) * day);
      await reviews.modelReviews.insert({
        _id: reviewId(i), model: { name: `Model-${i % 50}`, developer: `Lab ${i % 10}`, version: null }, description: null, lab: `lab-${i % 10}`,
        scheduledBy: { memberId: `lab-${i % 10}`, userId: 'u' }, plannedDeploymentAt: planned, windowOpensAt: new Date(planned.getTime() - 30 * day),
        closesAt: i % 17 === 0 ? null : planned, cancelledAt: i % 17 === 0 ? new Date(planned.getTime() - day) : null, cancelReason: null,
        reviewers: [`rev-${i % 7}`, `rev-${(i + 3) % 7}`], invited: [], summaryPublic: i % 3 === 0, closeAnnouncedAt: planned < NOW && i % 17 !== 0 ? planned : null,
        createdAt: NOW, updatedAt: NOW, seq: i,
      });
    }
    reviews.db.transaction(() => {
      for (let i = 0; i < 3_000; i++) {
        const finding = i % 10 === 0 ? { reviewId: reviewId(i % 2_000), reviewAudience: ['lab-1', 'rev-1'], reviewReleaseAt: new Date(NOW.getTime() + (i - 1_500) * 1_000) } : {};
        reviews.collections.notices.insert({
          ...withId(`x-model-risk-notice--${String(i).padStart(6, '0')}`), title: 't', summary: 's', model: { name: 'M', developer: 'L', version: null }, category: 'JAILBREAK',
          severity: 'HIGH', severityRank: 3, tlp: (['CLEAR', 'GREEN', 'AMBER', 'RED'] as const)[i % 4]!, recipients: i % 4 === 3 ? ['rev-1'] : [], status: 'PUBLISHED', embargoUntil: null,
          atlasTechniques: [], owaspLlm: [], mitigations: null, technicalDetails: null, evaluationEvidence: null, affectedDeployments: [], relatedIndicatorIds: [],
          source: `lab-${i % 10}`, createdAt: NOW, updatedAt: NOW, seq: i, ...finding,
        } as NoticeDoc);
      }
    })();
    for (let i = 0; i < 600; i++) {
      const at = new Date(1e12 + i);
      const finding = i % 10 === 0 ? { reviewId: reviewId(i % 2_000), reviewAudience: ['lab-1', 'rev-1'], reviewReleaseAt: new Date(NOW.getTime() + (i - 300) * 1_000) } : {};
      await reviews.vulnerabilities.insert({
        ...withId(`vulnerability--${String(i).padStart(6, '0')}`), title: 't', summary: 's', severity: 'HIGH', severityRank: 3, cvss: null, cwes: ['CWE-1'], cveId: null,
        affected: [{ vendorId: `v-${i % 4}`, vendorName: 'V', product: 'p', versions: '1', purl: null, cpe: null }],
        discovery: { method: 'AI_MODEL', model: null, humanValidated: true }, credits: [], proofOfConcept: null, technicalDetails: null, suggestedFix: null, exploited: false,
        relatedNoticeIds: [], source: `lab-${i % 10}`, reportedBy: { memberId: `lab-${i % 10}`, userId: 'u' }, participants: [], status: i % 2 ? 'PUBLISHED' : 'VALIDATED', validation: null,
        vendorStatuses: [], embargo: { state: 'NONE', endsAt: null, proposedBy: null, reason: null, acceptedBy: [] }, deadlineAt: null, publishedAt: i % 2 ? at : null,
        duplicateOf: null, possibleDuplicateIds: [], createdAt: at, updatedAt: at, seq: i, ...finding,
      });
    }
    reviews.db.exec('ANALYZE');
  });
  afterAll(() => reviews.close());

  it('a list page walks the (plannedDeploymentAt, _id) index, or the lab or model index when filtered, for every viewer and status; a later page seeks to its cursor', () => {
    const table = reviews.collections.modelReviews;
    const inputs: Array<[ModelReviewFilterInput, RegExp]> = [
      [{}, /^SCAN t USING INDEX model_reviews_plannedDeploymentAt_id/],
      [{ status: ['OPEN'] }, /^SCAN t USING INDEX model_reviews_plannedDeploymentAt_id/],
      [{ status: ['CLOSED', 'CANCELLED'] }, /^SCAN t USING INDEX model_reviews_plannedDeploymentAt_id/],
      [{ lab: ['lab-3'] }, /^SEARCH t USING INDEX model_reviews_lab_plannedDeploymentAt_id \(lab=\?\)/],
      [{ modelName: 'Model-3', status: ['SCHEDULED'] }, /^SEARCH t USING INDEX model_reviews_modelname_plannedDeploymentAt_id \(model_name=\?\)/],
    ];
    for (const viewer of viewers) {
      for (const [input, index] of inputs) {
        const scope = and(modelReviewVisibility(viewer, NOW), modelReviewFilter(input, NOW));
        const page = plan(table.selectSql(scope, { sort: MODEL_REVIEW_LIST_ORDER, limit: 51 }), reviews);
        expect(page[0], page.join(' | ')).toMatch(index);
        expect(page.join('\n')).not.toMatch(/TEMP B-TREE/);
        // totalCount: through an index (covering for visibility and status), never the rows whole.
        expectNoFullScan(plan(table.countSql(scope), reviews));
        const [first] = table.find(scope, { sort: MODEL_REVIEW_LIST_ORDER, limit: 1 });
        const after = first ? sortValues(MODEL_REVIEW_LIST_ORDER, first as unknown as Record<string, unknown>) : [NOW, reviewId(1_000)];
        const next = plan(table.selectSql(and(scope, keysetAfter(MODEL_REVIEW_LIST_ORDER, after)), { sort: MODEL_REVIEW_LIST_ORDER, limit: 51 }), reviews);
        expect(next[0], next.join(' | ')).toMatch(input.lab || input.modelName ? /^SEARCH t USING INDEX model_reviews_(lab|modelname)_plannedDeploymentAt_id \((lab|model_name)=\? AND plannedDeploymentAt>\?\)/ : /^SEARCH t USING INDEX model_reviews_plannedDeploymentAt_id \(plannedDeploymentAt>\?\)/);
        expect(next.join('\n')).not.toMatch(/TEMP B-TREE/);
      }
      const byId = plan(table.selectSql(and({ _id: { $in: [reviewId(5)] } }, modelReviewVisibility(viewer, NOW))), reviews);
      expect(byId[0]).toMatch(/^SEARCH t USING INDEX sqlite_autoindex_model_reviews_1 \(_id=\?\)/);
    }
    const due = plan(table.selectSql(modelReviewsDueToClose(NOW), { sort: MODEL_REVIEW_CLOSE_ORDER, limit: 100 }), reviews);
    expect(due[0], due.join(' | ')).toMatch(/^SEARCH t USING INDEX model_reviews_closeAnnouncedAt_closesAt_id \(closeAnnouncedAt=\? AND closesAt<\?\)/);
    expect(due.join('\n')).not.toMatch(/TEMP B-TREE/);
  });

  it("counts each viewer's notices from the count table, the restriction included, wherever no embargo applies (CORE and hub-admins), equal to counting the records", () => {
    const table = reviews.collections.notices;
    for (const viewer of viewers) {
      for (const now of [new Date(NOW.getTime() - 2_000_000), NOW, new Date(NOW.getTime() + 2_000_000)]) {
        const filter = noticeVisibility(viewer, now);
        const fromCounts = table.countSql(filter);
        // Below CORE the embargo's end (a date per notice) is in the filter: not a count-table
        // column, so those counts read the rows (as before model reviews).
        if (!embargoApplies(viewer)) {
          expect(fromCounts.sql).toContain('notices__counts');
          expectNoFullScan(plan(fromCounts, reviews));
        }
        const direct = table.selectSql(filter, {}, 'count(*)');
        expect(reviews.db.prepare(fromCounts.sql).pluck().get(...fromCounts.params), JSON.stringify([viewer, now])).toBe(reviews.db.prepare(direct.sql).pluck().get(...direct.params));
      }
    }
  });

  it("a review's findings, notices and cases, are read through the reviewId index, whole or as each viewer sees them", () => {
    for (const [table, on] of [[reviews.collections.notices, reviews], [reviews.collections.vulnerabilities, reviews]] as const) {
      const name = table.spec.table;
      const all = plan(table.selectSql(modelReviewFindingsFilter(reviewId(10))), on);
      expect(all[0], all.join(' | ')).toMatch(new RegExp(`^SEARCH t USING INDEX ${name}_reviewId_seq \\(reviewId=\\?\\)`));
      for (const viewer of viewers) {
        const visibility = name === 'notices' ? noticeVisibility(viewer, NOW) : vulnerabilityVisibility(viewer, NOW);
        const scope = and(modelReviewFindingsFilter(reviewId(10)), visibility);
        const page = plan(table.selectSql(scope, { sort: [['seq', -1]], limit: 51 }), on);
        expect(page[0], page.join(' | ')).toMatch(new RegExp(`^SEARCH t USING INDEX ${name}_reviewId_seq \\(reviewId=\\?\\)`));
        expect(page.join('\n')).not.toMatch(/TEMP B-TREE/);
        // Counted from the count table where it answers (the restriction's fields are its columns), else through the index.
        const count = plan(table.countSql(scope), on);
        expect(count.join(' | ')).toMatch(new RegExp(`^SCAN c|^SEARCH t USING INDEX ${name}_reviewId_seq`));
        expectNoFullScan(count);
        expect(on.db.prepare(table.countSql(scope).sql).pluck().get(...table.countSql(scope).params)).toBe(table.find(scope).length);
        // The findings of a page of reviews, oldest first (ReviewFindings.findingsOf): sorted after the index read, never by walking the order's index.
        const several = and({ reviewId: { $in: [reviewId(10), reviewId(20), reviewId(30)] } }, visibility);
        const oldestFirst = plan(table.selectSql(several, { sort: [['createdAt', 1], ['_id', 1]] }), on);
        expect(oldestFirst[0], oldestFirst.join(' | ')).toMatch(new RegExp(`^SEARCH t USING INDEX ${name}_reviewId_seq \\(reviewId=\\?\\)`));
      }
    }
  });
});
