/**
 * The SCORE order's merge (src/services/score-merge.ts) against every store adapter: the same
 * claims, read page by page through the store's indexes, come out exactly as sorting them all by
 * (score desc, lastConfirmedAt desc, _id desc) at the ranking instant would put them, across
 * bases, types, families, overrides, ties, cursors and score floors. The end-to-end behaviour
 * (GraphQL, cursors, viewers) is test/score-order.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { DEFAULT_DECAY_MODELS, decayScore, type DecayModel } from '../src/domain/decay-model.js';
import type { Filter } from '../src/domain/filter.js';
import { withId } from '../src/domain/with-id.js';
import { INDICATOR_TYPES, type IndicatorDoc, type IndicatorType } from '../src/domain/types.js';
import { compareScorePositions, mergeByScore, type RankedClaim, type ScoreFamily, type ScorePosition } from '../src/services/score-merge.js';
import { createMemoryStore } from '../src/store/memory/memory-store.js';
import type { ClaimUpsert, FindOptions, Store } from '../src/store/ports.js';
import { createSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { mulberry32 } from '../src/util/prng.js';
import { Query } from 'mingo';

const DAY = 86_400_000;
const NOW = new Date('2026-06-01T00:00:00.000Z');
const TYPES: IndicatorType[] = ['IPV4', 'DOMAIN', 'SHA256', 'URL'];
const MODELS = new Map<IndicatorType, DecayModel>(INDICATOR_TYPES.map((t) => [t, DEFAULT_DECAY_MODELS[t]]));

interface Seeded extends IndicatorDoc {
  scoreBase: number;
  scoreBaseOpen: number;
}

/** Claims with few distinct bases and confirmation times (ties in score and in time), some overridden. */
function claims(n: number, seed: number): Seeded[] {
  const random = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  return Array.from({ length: n }, (_, i) => {
    const base = pick([100, 90, 90, 75, 60, 45, 30, 12, 0]);
    const confirmed = new Date(NOW.getTime() - pick([0, 0, 1, 3, 7, 14, 20, 27, 40, 200, 400, 800]) * DAY - pick([0, 0, 5_000, 3_600_000]));
    const doc: Seeded = {
      ...withId(`indicator--${String(i).padStart(4, '0')}-${randomUUID().slice(0, 8)}`),
      type: pick(TYPES),
      value: `v${i}.example`,
      submittedValue: `v${i}.example`,
      tlp: pick(['CLEAR', 'GREEN', 'AMBER', 'RED'] as const),
      recipients: [],
      severity: 'HIGH',
      severityRank: 4,
      confidence: base,
      validFrom: confirmed,
      validUntil: null,
      tags: [],
      description: null,
      sightingCount: 0,
      lastSeenAt: null,
      revoked: false,
      revokedReason: null,
      source: pick(['m-a', 'm-b', 'm-c']),
      createdAt: confirmed,
      updatedAt: confirmed,
      seq: i,
      lastConfirmedAt: confirmed,
      scoreOverride: random() < 0.08 ? { score: pick([100, 80, 45, 0]), reason: 'r', by: 'u', at: confirmed } : null,
      scoreBase: base,
      scoreBaseOpen: Math.min(100, Math.floor(base / 0.9)),
    };
    return doc;
  });
}

function upsert(doc: Seeded): ClaimUpsert {
  const { _id, dateAddedOffset, createdAt, sightingCount, lastSeenAt, source, type, value, ...set } = doc;
  return { key: { source, type, value }, onInsert: { _id, dateAddedOffset, createdAt, sightingCount, lastSeenAt }, set };
}

function scoreOf(doc: Seeded, family: ScoreFamily[], at: Date): number {
  if (doc.scoreOverride) return doc.scoreOverride.score;
  const field = family.find((f) => new Query(f.scope).test(doc as never))!.field;
  return decayScore(doc[field], doc.lastConfirmedAt!, at, MODELS.get(doc.type)!).score;
}

/** The order by brute force: every claim in scope, scored at `at`, sorted. */
function expected(docs: Seeded[], scope: Filter, families: ScoreFamily[], at: Date, min: Map<IndicatorType, number>): RankedClaim[] {
  const match = new Query(scope);
  return docs
    .filter((d) => match.test(d as never))
    .map((doc) => ({ doc, position: { score: scoreOf(doc, families, at), confirmedAt: doc.lastConfirmedAt!.getTime(), id: doc._id } }))
    .filter((c) => c.position.score >= (min.get(c.doc.type) ?? 0))
    .sort((a, b) => compareScorePositions(b.position, a.position));
}

const stores: Array<[string, () => Store]> = [
  ['embedded', () => createMemoryStore()],
  ['sqlite', () => createSqliteStore(':memory:')],
];

describe.each(stores)('the SCORE merge on the %s store', (_name, make) => {
  const store = make();
  const docs = claims(300, 7);
  const ready = store.indicators.upsertClaims(docs.map(upsert));
  afterAll(() => store.close());

  const cases: Array<[string, { scope: Filter; families: ScoreFamily[]; min?: Map<IndicatorType, number>; types?: IndicatorType[] }]> = [
    ['one family, every claim', { scope: {}, families: [{ field: 'scoreBase', scope: {} }] }],
    ['the open bases, a visibility scope', { scope: { $or: [{ source: 'm-a' }, { tlp: { $in: ['CLEAR', 'GREEN'] } }] }, families: [{ field: 'scoreBaseOpen', scope: {} }] }],
    [
      'two families (own claims tiered, others open)',
      { scope: { tlp: { $ne: 'RED' } }, families: [{ field: 'scoreBase', scope: { source: 'm-b' } }, { field: 'scoreBaseOpen', scope: { source: { $ne: 'm-b' } } }] },
    ],
    ['a score floor per type (excludeDecayed)', { scope: {}, families: [{ field: 'scoreBase', scope: {} }], min: new Map(TYPES.map((t) => [t, DEFAULT_DECAY_MODELS[t].threshold])) }],
    ['one type, minScore 50', { scope: { type: { $in: ['SHA256'] } }, families: [{ field: 'scoreBase', scope: {} }], min: new Map([['SHA256', 50]]), types: ['SHA256'] }],
  ];

  it.each(cases)('pages through %s in exact score order, ranked at one instant', async (_case, { scope, families, min = new Map(), types = TYPES }) => {
    await ready;
    const want = expected(docs, scope, families, NOW, min);
    for (const size of [3, 50, 1000]) {
      const got: RankedClaim[] = [];
      let after: ScorePosition | null = null;
      for (let pages = 0; pages < 700; pages++) {
        const page = await mergeByScore(store.indicators, { scope, families, types, models: MODELS, rankedAt: NOW, after, limit: size, minScore: min });
        got.push(...page);
        if (page.length < size) break;
        after = page[page.length - 1]!.position;
      }
      expect(got.map((c) => [c.doc._id, c.position.score])).toEqual(want.map((c) => [c.doc._id, c.position.score]));
    }
  });
});

describe('the SCORE merge on SQLite reads through indexes', () => {
  it('every read it makes walks a score index in the stream\'s order: no sort of the matches, no scan of the table', async () => {
    const store = createSqliteStore(':memory:');
    try {
      await store.indicators.upsertClaims(claims(3_000, 11).map(upsert));
      store.db.exec('ANALYZE');
      const reads: Array<{ filter: Filter; options: FindOptions }> = [];
      const recording = { find: (filter: Filter, options: FindOptions = {}) => (reads.push({ filter, options }), store.indicators.find(filter, options)) };
      const viewer = { $or: [{ source: 'm-a' }, { tlp: { $in: ['CLEAR', 'GREEN'] } }, { tlp: 'RED', recipients: 'm-a' }] };
      // As IndicatorService asks: a filter's types are the streams it opens, not a condition in the scope
      // (with one, SQLite may seek by its IN list and sort the matches).
      for (const types of [TYPES, ['SHA256', 'URL'] as IndicatorType[]]) {
        const scope = viewer;
        let after: ScorePosition | null = null;
        for (let p = 0; p < 3; p++) {
          const page = await mergeByScore(recording, { scope, families: [{ field: 'scoreBaseOpen', scope: {} }], types, models: MODELS, rankedAt: NOW, after, limit: 51 });
          after = page.at(-1)!.position;
        }
      }
      expect(reads.length).toBeGreaterThan(30);
      const kinds = new Set<string>();
      for (const { filter, options } of reads) {
        const q = store.collections.indicators.selectSql(filter, options);
        const steps = (store.db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params) as Array<{ detail: string }>).map((r) => r.detail);
        const plan = steps.join(' | ');
        expect(plan).not.toMatch(/TEMP B-TREE/);
        expect(plan).not.toMatch(/SCAN t( |$)(?!USING)/);
        const index = /USING (?:COVERING )?INDEX (indicators_(?:type_scoreBaseOpen_lastConfirmedAt_id|scoreOverridescore_lastConfirmedAt_id))/.exec(steps[0]!);
        expect(index, plan).not.toBeNull();
        kinds.add(index![1]!);
      }
      expect(kinds.size).toBe(2);
    } finally {
      await store.close();
    }
  });
});
