/**
 * The score filters (src/store/score-filter.ts) on the SQLite store: a selective minScore is
 * answered by the (type, base, lastConfirmedAt, _id) indexes, never by scanning the records, and
 * counts what find matches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withId } from '../src/domain/with-id.js';
import { DEFAULT_DECAY_MODELS, type DecayModel } from '../src/domain/decay-model.js';
import type { IndicatorDoc, IndicatorType } from '../src/domain/types.js';
import { indicatorVisibility, type Viewer } from '../src/policy/policy.js';
import { and, indicatorFilter, sortFor, type IndicatorFilterInput } from '../src/store/queries.js';
import { createSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';

const N = 20_000;
const DAY = 86_400_000;
const NOW = new Date(Date.UTC(2026, 11, 1));
let store: SqliteStore;

function indicator(i: number): IndicatorDoc {
  const tlp = (['CLEAR', 'GREEN', 'AMBER', 'RED'] as const)[i % 4]!;
  const confidence = (i * 37) % 101;
  // Confirmed over the last year, evenly: most addresses are long decayed, hashes are not.
  const confirmed = new Date(NOW.getTime() - ((i * 7919) % 365) * DAY - (i % 1000));
  return {
    ...withId(`indicator--${String(i).padStart(6, '0')}`),
    type: (['DOMAIN', 'IPV4', 'URL', 'SHA256'] as const)[i % 4]!,
    value: `h${i}.example.com`,
    submittedValue: `h${i}.example.com`,
    tlp,
    recipients: tlp === 'RED' ? ['m-reader'] : [],
    severity: 'HIGH',
    severityRank: 3,
    confidence,
    validFrom: confirmed,
    validUntil: null,
    tags: [],
    description: null,
    sightingCount: 0,
    lastSeenAt: null,
    revoked: false,
    revokedReason: null,
    source: `m-${i % 5}`,
    createdAt: confirmed,
    updatedAt: confirmed,
    lastConfirmedAt: confirmed,
    scoreBase: Math.floor(confidence * 0.9),
    scoreBaseOpen: confidence,
    scoreOverride: i % 997 === 0 ? { score: 95, reason: 'r', by: 'u', at: confirmed } : null,
    seq: i,
  };
}

const reader: Viewer = { kind: 'member', memberId: 'm-reader', userId: 'u', roles: ['reader'], tier: 'COMMUNITY' };
const models = new Map<IndicatorType, DecayModel>(Object.entries(DEFAULT_DECAY_MODELS) as Array<[IndicatorType, DecayModel]>);

function plan(q: { sql: string; params: unknown[] }, on: SqliteStore = store): string {
  return (on.db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
}

beforeAll(() => {
  store = createSqliteStore(':memory:');
  store.db.transaction(() => {
    for (let i = 0; i < N; i++) store.collections.indicators.insert(indicator(i));
  })();
  store.db.exec('ANALYZE');
});
afterAll(() => store.close());

describe('score filters on SQLite', () => {
  const scope = (input: IndicatorFilterInput) => and(indicatorVisibility(reader), indicatorFilter(input, false, { field: 'scoreBaseOpen', models, now: NOW }));

  it.each<[string, IndicatorFilterInput, number]>([
    ['minScore 90', { minScore: 90 }, 10],
    ['minScore 60 on addresses', { minScore: 60, type: ['IPV4'] }, 1],
  ])('a selective %s: its count reads the score indexes, one range per type and one for overrides, and agrees with find', (_name, input, types) => {
    const filter = scope(input);
    for (const limit of [undefined, 101]) {
      const steps = plan(store.collections.indicators.countSql(filter, limit));
      expect(steps).toMatch(/(^|\| )MULTI-INDEX OR/);
      // Covering: the exact score, the override and visibility are read from the index, never the row.
      expect(steps.match(/SEARCH t USING COVERING INDEX indicators_type_scoreBaseOpen_lastConfirmedAt_id_scoreOverridescore_source_tlp \(type=\? AND scoreBaseOpen>\?\)/g)).toHaveLength(types);
      expect(steps).toMatch(/SEARCH t USING (COVERING )?INDEX indicators_scoreOverridescore_lastConfirmedAt_id_source_tlp \(scoreOverride_score>\?\)/);
      expect(steps).not.toMatch(/(^|\| )SCAN t/);
    }
    const all = store.collections.indicators.find(filter).length;
    expect(all).toBeGreaterThan(0);
    expect(all).toBeLessThan(N / 20);
    expect(store.collections.indicators.count(filter)).toBe(all);
    expect(store.collections.indicators.count(filter, 101)).toBe(Math.min(all, 101));
  });

  it('a tier-weighed viewer reads the other index', () => {
    const trusted: Viewer = { ...reader, tier: 'TRUSTED' };
    const filter = and(indicatorVisibility(trusted), indicatorFilter({ minScore: 90 }, false, { field: 'scoreBase', models, now: NOW }));
    expect(plan(store.collections.indicators.countSql(filter, 101))).toMatch(/SEARCH t USING COVERING INDEX indicators_type_scoreBase_lastConfirmedAt_id_scoreOverridescore_source_tlp \(type=\? AND scoreBase>\?\)/);
  });

  it('excludeDecayed (most records pass): the capped count stops at its cap, and counts agree with find', () => {
    const filter = scope({ excludeDecayed: true });
    const all = store.collections.indicators.find(filter).length;
    expect(all).toBeGreaterThan(N / 10);
    expect(store.collections.indicators.countSql(filter, 101).sql).toMatch(/LIMIT \?\)$/);
    expect(store.collections.indicators.count(filter)).toBe(all);
    expect(store.collections.indicators.count(filter, 101)).toBe(101);
  });

  it('a page of a selective filter (FindOptions.selective) reads the score indexes and sorts the few matches, with the same answer', () => {
    const sort = sortFor('UPDATED_AT', 'DESC');
    for (const input of [{ minScore: 90 }, { minScore: 60, type: ['IPV4'] as IndicatorType[] }]) {
      const filter = scope(input);
      const steps = plan(store.collections.indicators.selectSql(filter, { sort, limit: 51, selective: true }));
      expect(steps).toMatch(/(^|\| )MULTI-INDEX OR/);
      expect(steps).toMatch(/USE TEMP B-TREE FOR ORDER BY/);
      expect(steps).not.toMatch(/(^|\| )SCAN t/);
      const walked = store.collections.indicators.find(filter, { sort, limit: 51 }).map((d) => d._id);
      expect(store.collections.indicators.find(filter, { sort, limit: 51, selective: true }).map((d) => d._id)).toEqual(walked);
    }
  });

  it('with the statistics of a million claims, a page in UPDATED_AT order still walks the seq index (no MULTI-INDEX OR over the types)', () => {
    // sqlite_stat1 of the scale bench's store at 1,000,000 indicators (as PRAGMA optimize left it):
    // with them the planner once read every claim of every type through (type, seq) and sorted.
    const STAT1: Array<[string, string]> = [
      ['indicators_type_scoreBaseOpen_lastConfirmedAt_id_scoreOverridescore_source_tlp', '1000000 1251 1251 13 1 1 1 1'],
      ['indicators_type_scoreBase_lastConfirmedAt_id_scoreOverridescore_source_tlp', '1000000 1251 1251 25 1 1 1 1'],
      ['indicators_scoreOverridescore_lastConfirmedAt_id_source_tlp', '0 0 0 0 0 0'],
      ['indicators_rid_source_tlp', '1000000 1 1 1'],
      ['indicators_tlp_seq', '1000000 1251 1'],
      ['indicators_type_seq', '1000000 1251 1'],
      ['indicators_updatedAt_dateAddedOffset_id_source_tlp', '1000000 1251 5 1 1 1'],
      ['indicators_source_id', '1000000 1251 1'],
      ['indicators_confidence_id_source_tlp', '1000000 1251 1 1 1'],
      ['indicators_seq', '1000000 1'],
      ['indicators_value_source_type', '1000000 1 1 1'],
      ['sqlite_autoindex_indicators_1', '1000000 1'],
    ];
    const big = createSqliteStore(':memory:');
    try {
      big.db.transaction(() => {
        for (let i = 0; i < 500; i++) big.collections.indicators.insert(indicator(i));
      })();
      big.db.exec('ANALYZE');
      big.db.prepare("DELETE FROM sqlite_stat1 WHERE tbl = 'indicators'").run();
      const insert = big.db.prepare("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('indicators', ?, ?)");
      for (const [idx, stat] of STAT1) insert.run(idx, stat);
      big.db.exec('ANALYZE sqlite_schema');
      for (const input of [{ minScore: 90 }, { excludeDecayed: true }]) {
        const steps = plan(big.collections.indicators.selectSql(scope(input), { sort: sortFor('UPDATED_AT', 'DESC'), limit: 51 }), big);
        expect(steps).toMatch(/^SCAN t USING INDEX indicators_seq/);
        expect(steps).not.toMatch(/MULTI-INDEX OR|TEMP B-TREE/);
      }
    } finally {
      void big.close();
    }
  });

  it('a page in UPDATED_AT order walks the seq index and stops after the page (no sort of every match), as other filters do', () => {
    for (const input of [{ minScore: 90 }, { excludeDecayed: true }]) {
      const steps = plan(store.collections.indicators.selectSql(scope(input), { sort: sortFor('UPDATED_AT', 'DESC'), limit: 51 }));
      expect(steps).toMatch(/^SCAN t USING INDEX indicators_seq/);
      expect(steps).not.toMatch(/TEMP B-TREE/);
    }
  });
});
