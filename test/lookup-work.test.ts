import { describe, expect, it } from 'vitest';
import type { IndicatorDoc, NoticeDoc, NoticeStatus, Tlp } from '../src/domain/types.js';
import { indicatorVisibility, noticeVisibility, taxiiExclusion, vulnerabilityVisibility, type Viewer } from '../src/policy/policy.js';
import { VULNERABILITY_COMPOUND_INDEXES } from '../src/store/memory/memory-vulnerabilities.js';
import { MemoryCollection } from '../src/store/memory/memory-collection.js';
import { INDICATOR_COMPOUND_INDEXES, NOTICE_COMPOUND_INDEXES } from '../src/store/memory/memory-store.js';
import { and } from '../src/store/queries.js';

const INDEXES = INDICATOR_COMPOUND_INDEXES;

function claim(i: number, value: string, tlp: IndicatorDoc['tlp'], source: string, recipients: string[] = []): IndicatorDoc {
  return { _id: `indicator--${i}`, value, tlp, source, recipients, seq: i } as unknown as IndicatorDoc;
}

const viewers: Viewer[] = [
  { kind: 'anonymous', tier: 'PUBLIC' },
  { kind: 'member', memberId: 'viewer', userId: 'u', roles: ['reader'], tier: 'COMMUNITY' },
  { kind: 'member', memberId: 'viewer', userId: 'u', roles: ['reader'], tier: 'TRUSTED' },
];

describe('the work a lookup does', () => {
  it.each(viewers.map((v) => [v.tier, v] as const))(
    'is the same for a %s viewer whether or not hidden claims on the values exist, so its timing tells nothing',
    (_tier, viewer) => {
      const values = Array.from({ length: 50 }, (_, i) => `value-${i}.example`);
      const lookup = and({ value: { $in: values } }, indicatorVisibility(viewer));
      const withoutHidden = new MemoryCollection<IndicatorDoc>(['_id', 'value'], INDEXES);
      const withHidden = new MemoryCollection<IndicatorDoc>(['_id', 'value'], INDEXES);
      values.forEach((value, i) => {
        // Visible to everyone: present in both collections.
        if (i % 5 === 0) for (const c of [withoutHidden, withHidden]) c.put(claim(i, value, 'CLEAR', 'pub'));
        // Hidden from these viewers: RED to someone else, and AMBER_STRICT/AMBER above COMMUNITY.
        withHidden.put(claim(1000 + i, value, 'RED', 'pub', ['someone-else']));
        if (viewer.tier !== 'TRUSTED') withHidden.put(claim(2000 + i, value, 'AMBER', 'other'));
      });
      expect(withHidden.find(lookup)).toEqual(withoutHidden.find(lookup));
      expect(withHidden.explain(lookup).docsExamined).toBe(withoutHidden.explain(lookup).docsExamined);
      expect(withHidden.explain(lookup).docsExamined).toBe(10);
    },
  );

  it('still reads a viewer\'s own claims and those it is a named recipient of', () => {
    const viewer: Viewer = { kind: 'member', memberId: 'viewer', userId: 'u', roles: ['reader'], tier: 'COMMUNITY' };
    const c = new MemoryCollection<IndicatorDoc>(['_id', 'value'], INDEXES);
    c.put(claim(1, 'a.example', 'RED', 'viewer', ['x']));
    c.put(claim(2, 'a.example', 'RED', 'other', ['viewer']));
    c.put(claim(3, 'a.example', 'AMBER', 'viewer'));
    c.put(claim(4, 'a.example', 'AMBER', 'other'));
    const found = c.find(and({ value: { $in: ['a.example'] } }, indicatorVisibility(viewer)));
    expect(found.map((d) => d._id).sort()).toEqual(['indicator--1', 'indicator--2', 'indicator--3']);
  });
});

describe('the work a lookup by id does', () => {
  const NOW = new Date('2026-11-26T09:30:00Z');
  const ids = Array.from({ length: 100 }, (_, i) => `indicator--${String(i).padStart(4, '0')}`);
  const noticeIds = ids.map((id) => id.replace('indicator--', 'x-model-risk-notice--'));

  /** Of 100 ids asked for, 10 are visible; the other 90 are hidden (one collection) or absent (the other). */
  function pair<T extends { _id: string; seq: number }>(make: (id: string, i: number, hidden: boolean) => T, indexes: ReadonlyArray<readonly string[]>, all: readonly string[]) {
    const absent = new MemoryCollection<T>(['_id'], indexes);
    const hidden = new MemoryCollection<T>(['_id'], indexes);
    all.forEach((id, i) => {
      if (i % 10 === 0) for (const c of [absent, hidden]) c.put(make(id, i, false));
      else hidden.put(make(id, i, true));
    });
    return { absent, hidden };
  }

  it.each(viewers.map((v) => [v.tier, v] as const))(
    'is the same for a %s viewer whether the other indicators asked for are hidden or absent: hidden ones are never read',
    (_tier, viewer) => {
      const hiddenTlp = (i: number): { tlp: Tlp; recipients: string[] } =>
        i % 3 === 0 || viewer.tier === 'TRUSTED' ? { tlp: 'RED', recipients: ['someone-else'] } : { tlp: i % 3 === 1 ? 'AMBER' : 'AMBER_STRICT', recipients: [] };
      const { absent, hidden } = pair<IndicatorDoc>(
        (id, i, isHidden) => ({ _id: id, value: `v${i}.example`, source: 'pub', seq: i, ...(isHidden ? hiddenTlp(i) : { tlp: 'CLEAR', recipients: [] }) }) as unknown as IndicatorDoc,
        INDICATOR_COMPOUND_INDEXES,
        ids,
      );
      const byIds = and({ _id: { $in: ids } }, indicatorVisibility(viewer));
      expect(hidden.find(byIds)).toEqual(absent.find(byIds));
      expect(hidden.explain(byIds).docsExamined).toBe(absent.explain(byIds).docsExamined);
      expect(hidden.explain(byIds).docsExamined).toBe(10);
    },
  );

  it.each(viewers.map((v) => [v.tier, v] as const))(
    'is the same for a %s viewer whether the other notices asked for are hidden (by TLP, recipients or DRAFT) or absent',
    (_tier, viewer) => {
      const hiddenFields = (i: number): { tlp: Tlp; recipients: string[]; status: NoticeStatus } =>
        i % 3 === 0
          ? { tlp: 'RED', recipients: ['someone-else'], status: 'PUBLISHED' }
          : i % 3 === 1
            ? { tlp: 'CLEAR', recipients: [], status: 'DRAFT' }
            : viewer.tier === 'TRUSTED'
              ? { tlp: 'RED', recipients: [], status: 'PUBLISHED' }
              : { tlp: 'AMBER', recipients: [], status: 'PUBLISHED' };
      const { absent, hidden } = pair<NoticeDoc>(
        (id, i, isHidden) =>
          ({ _id: id, source: 'pub', seq: i, embargoUntil: null, ...(isHidden ? hiddenFields(i) : { tlp: 'CLEAR', recipients: [], status: 'PUBLISHED' }) }) as unknown as NoticeDoc,
        NOTICE_COMPOUND_INDEXES,
        noticeIds,
      );
      const byIds = and({ _id: { $in: noticeIds } }, noticeVisibility(viewer, NOW));
      expect(hidden.find(byIds)).toEqual(absent.find(byIds));
      expect(hidden.explain(byIds).docsExamined).toBe(absent.explain(byIds).docsExamined);
      expect(hidden.explain(byIds).docsExamined).toBe(10);
    },
  );

  it.each(viewers.map((v) => [v.tier, v] as const))(
    'is the same for a %s viewer over TAXII (visibility, taxiiExclusion and a time range around the ids)',
    (_tier, viewer) => {
      const { absent, hidden } = pair<IndicatorDoc>(
        (id, i, isHidden) =>
          ({ _id: id, value: `v${i}.example`, source: 'pub', seq: i, updatedAt: new Date(1_000 + i), ...(isHidden ? { tlp: 'RED', recipients: ['someone-else'] } : { tlp: 'CLEAR', recipients: [] }) }) as unknown as IndicatorDoc,
        INDICATOR_COMPOUND_INDEXES,
        ids,
      );
      // As TaxiiFeed's StoreSource asks: and(and(visibility, exclusion, ids), time range).
      const read = and(and(indicatorVisibility(viewer), taxiiExclusion(), { _id: { $in: ids } }), { updatedAt: { $lt: new Date(10_000) } });
      expect(hidden.find(read)).toEqual(absent.find(read));
      expect(hidden.explain(read).docsExamined).toBe(absent.explain(read).docsExamined);
      expect(hidden.explain(read).docsExamined).toBe(10);
    },
  );

  it("still finds a viewer's own records and those it is a named recipient of", () => {
    const viewer: Viewer = { kind: 'member', memberId: 'viewer', userId: 'u', roles: ['reader'], tier: 'COMMUNITY' };
    const c = new MemoryCollection<IndicatorDoc>(['_id', 'value'], INDICATOR_COMPOUND_INDEXES);
    c.put(claim(1, 'a.example', 'RED', 'viewer', ['x']));
    c.put(claim(2, 'b.example', 'RED', 'other', ['viewer']));
    c.put(claim(3, 'c.example', 'AMBER', 'viewer'));
    c.put(claim(4, 'd.example', 'AMBER', 'other'));
    const found = c.find(and({ _id: { $in: ['indicator--1', 'indicator--2', 'indicator--3', 'indicator--4'] } }, indicatorVisibility(viewer)));
    expect(found.map((d) => d._id).sort()).toEqual(['indicator--1', 'indicator--2', 'indicator--3']);
  });
});

describe('the work a clearinghouse lookup by id does', () => {
  it.each(viewers.map((v) => [v.tier, v] as const))('is the same for a %s viewer whether the ids are hidden cases or absent', (_tier, viewer) => {
    const make = (i: number, over: Record<string, unknown>) => ({ _id: `vulnerability--${i}`, source: 'lab', participants: [], notifiedVendorIds: [], stageReached: 'RECEIVED', seq: i, ...over }) as never;
    const ids = Array.from({ length: 30 }, (_, i) => `vulnerability--${i}`);
    const lookup = and({ _id: { $in: ids } }, vulnerabilityVisibility(viewer, new Date()));
    const without = new MemoryCollection<{ _id: string; seq: number }>(['_id'], VULNERABILITY_COMPOUND_INDEXES);
    const withHidden = new MemoryCollection<{ _id: string; seq: number }>(['_id'], VULNERABILITY_COMPOUND_INDEXES);
    ids.forEach((_, i) => {
      if (i % 3 === 0) for (const c of [without, withHidden]) c.put(make(i, { stageReached: 'PUBLISHED' }));
      else if (i % 3 === 1) withHidden.put(make(i, { stageReached: 'VALIDATED', notifiedVendorIds: ['someone-else'], participants: ['other-lab'] }));
      else withHidden.put(make(i, { stageReached: viewer.tier === 'TRUSTED' ? 'VALIDATED' : 'FIX_AVAILABLE' }));
    });
    expect(withHidden.find(lookup)).toEqual(without.find(lookup));
    expect(withHidden.explain(lookup).docsExamined).toBe(without.explain(lookup).docsExamined);
    expect(withHidden.explain(lookup).docsExamined).toBe(10);
  });
});
