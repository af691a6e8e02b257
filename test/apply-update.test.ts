/**
 * src/store/apply-update.ts applies plain `$set` / `$unset` itself and the rest through mingo:
 * the two must leave the same document, values copied (no alias into the update document).
 */
import { describe, expect, it } from 'vitest';
import { update as mingoUpdate } from 'mingo';
import { applyUpdate } from '../src/store/apply-update.js';
import type { UpdateDoc } from '../src/store/ports.js';

const base = () => ({
  _id: 'x',
  seq: 4,
  tags: ['a', 'b'],
  scoreBase: 40,
  scoreOverride: { score: 90, reason: 'r', at: new Date(Date.UTC(2026, 0, 1)) },
  nested: { a: 1, b: { c: 2 } },
  gone: 'yes',
});

const cases: Array<[string, UpdateDoc]> = [
  ['$set of numbers, null and a Date', { $set: { scoreBase: 55, scoreBaseOpen: null, lastConfirmedAt: new Date(Date.UTC(2026, 5, 1)) } }],
  ['$set of an object and an array', { $set: { scoreOverride: { score: 10, reason: 'n', at: new Date(0) }, tags: ['z'] } }],
  ['$unset', { $unset: { gone: '' } }],
  ['$set and $unset together', { $set: { seq: 5 }, $unset: { gone: 1, missing: 1 } }],
  ['a dotted $set (mingo)', { $set: { 'nested.b.c': 3 } }],
  ['$inc and $max (mingo)', { $inc: { seq: 1 }, $max: { scoreBase: 70 } }],
  ['$push (mingo)', { $push: { tags: 'c' } }],
];

describe('applyUpdate', () => {
  it.each(cases)('%s: the same document as mingo', (_name, update) => {
    const ours = base();
    const theirs = base();
    applyUpdate(ours, update);
    mingoUpdate(theirs, update as Parameters<typeof mingoUpdate>[1], undefined, undefined, { cloneMode: 'deep' });
    expect(ours).toEqual(theirs);
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
  });

  it('copies what it sets: changing the update document afterwards leaves the document alone', () => {
    const value = { score: 10, reason: 'n', at: new Date(0) };
    const doc = base();
    applyUpdate(doc, { $set: { scoreOverride: value } });
    value.score = 99;
    value.at.setTime(5);
    expect(doc.scoreOverride).toEqual({ score: 10, reason: 'n', at: new Date(0) });
  });
});
