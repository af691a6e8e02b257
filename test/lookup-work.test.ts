import { describe, expect, it } from 'vitest';
import type { IndicatorDoc } from '../src/domain/types.js';
import { indicatorVisibility, type Viewer } from '../src/policy/policy.js';
import { MemoryCollection } from '../src/store/memory/memory-collection.js';
import { INDICATOR_COMPOUND_INDEXES } from '../src/store/memory/memory-store.js';
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
