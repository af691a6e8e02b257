/**
 * The embedded store's compiled filters (src/store/memory/compile-filter.ts) against mingo, the
 * interpreter they stand in for: every filter the hub builds for a read (visibility for every kind
 * of viewer, list filters, keyset seeks, TAXII's exclusion), on documents with every shape a field
 * takes (missing, null, empty and non-empty arrays, Dates). A difference here would be a leak or a
 * lost record, so the comparison is exhaustive over a fixed, seeded population.
 */
import { Query } from 'mingo';
import { describe, expect, it } from 'vitest';
import type { Filter } from '../src/domain/filter.js';
import { indicatorVisibility, noticeVisibility, taxiiExclusion, type Viewer } from '../src/policy/policy.js';
import { compileFilter } from '../src/store/memory/compile-filter.js';
import { and, indicatorFilter, keysetAfter, noticeFilter, sortFor } from '../src/store/queries.js';
import { mulberry32 } from '../src/util/prng.js';

const random = mulberry32(9);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const MEMBERS = ['m-a', 'm-b', 'm-c'];
const TLPS = ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED'];
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const MISSING = Symbol('missing');

/** A value for a field, or MISSING to leave the field out. */
function maybe<T>(value: () => T): T | null | typeof MISSING {
  const r = random();
  return r < 0.1 ? MISSING : r < 0.2 ? null : value();
}

function doc(i: number): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    _id: `d-${i % 7 === 0 ? 'x' : ''}${i}`,
    seq: i,
    tlp: maybe(() => pick(TLPS)),
    source: maybe(() => pick(MEMBERS)),
    recipients: maybe(() => MEMBERS.filter(() => random() < 0.4)),
    type: pick(['IPV4', 'DOMAIN', 'SHA256']),
    value: pick(['1.2.3.4', 'a.example', 'b.example']),
    severity: pick(['LOW', 'HIGH']),
    severityRank: maybe(() => Math.floor(random() * 5)),
    confidence: maybe(() => Math.floor(random() * 101)),
    tags: maybe(() => ['c2', 'apt', 'phishing'].filter(() => random() < 0.4)),
    updatedAt: maybe(() => new Date(T0 + Math.floor(random() * 10) * DAY)),
    createdAt: new Date(T0 + Math.floor(random() * 10) * DAY),
    validFrom: new Date(T0 + Math.floor(random() * 10) * DAY),
    revoked: maybe(() => random() < 0.3),
    status: pick(['DRAFT', 'PUBLISHED', 'MITIGATED']),
    category: pick(['JAILBREAK', 'DATA_LEAK']),
    embargoUntil: maybe(() => new Date(T0 + Math.floor(random() * 10) * DAY)),
    atlasTechniques: maybe(() => ['AML.T0051', 'AML.T0054'].filter(() => random() < 0.5)),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== MISSING));
}

const DOCS = Array.from({ length: 600 }, (_, i) => doc(i));

const viewers: Viewer[] = [
  { kind: 'anonymous', tier: 'PUBLIC' },
  ...(['COMMUNITY', 'TRUSTED', 'CORE'] as const).flatMap((tier) => MEMBERS.map((memberId): Viewer => ({ kind: 'member', memberId, userId: `u@${memberId}`, roles: ['reader'], tier }))),
];

function filters(): Array<[string, Filter]> {
  const out: Array<[string, Filter]> = [];
  const lists = [
    null,
    { tlp: ['RED', 'AMBER'] as never },
    { type: ['DOMAIN'] as never, minConfidence: 40 },
    { minSeverity: 'MEDIUM' as never, revoked: false },
    { tags: [' APT ', 'c2'], updatedSince: new Date(T0 + 4 * DAY) },
    { source: ['m-b'], revoked: true },
    { value: 'a.example' },
  ];
  const seeks = [
    ...(['UPDATED_AT', 'CREATED_AT', 'VALID_FROM', 'SEVERITY', 'CONFIDENCE', 'SOURCE'] as const).flatMap((field) =>
      (['ASC', 'DESC'] as const).map((dir) => {
        const sort = sortFor(field, dir);
        const d = DOCS[17]!;
        return keysetAfter(sort, sort.map(([k]) => d[k] ?? null));
      }),
    ),
  ];
  for (const viewer of viewers) {
    const visibility = indicatorVisibility(viewer);
    out.push([`indicators visible to ${JSON.stringify(viewer)}`, visibility]);
    out.push([`notices visible to ${JSON.stringify(viewer)}`, noticeVisibility(viewer, new Date(T0 + 5 * DAY))]);
    out.push([`TAXII for ${JSON.stringify(viewer)}`, and(visibility, taxiiExclusion())]);
    for (const [k, list] of lists.entries()) {
      const f = indicatorFilter(list as never, list !== null && 'value' in list);
      out.push([`list ${k}`, and(visibility, f)]);
      for (const [s, seek] of seeks.entries()) out.push([`list ${k}, seek ${s}`, and(and(visibility, f), seek)]);
    }
  }
  out.push(['notice filter', noticeFilter({ status: ['PUBLISHED'], minSeverity: 'LOW', atlasTechnique: 'AML.T0051', updatedSince: new Date(T0) } as never, new Date(T0 + 5 * DAY))]);
  out.push(['$ne null', { embargoUntil: { $ne: null } }]);
  out.push(['$in with null', { embargoUntil: { $in: [null, new Date(T0 + 3 * DAY)] } }]);
  out.push(['$nin with null', { tlp: { $nin: [null, 'RED'] } }]);
  out.push(['$eq array element', { recipients: 'm-a' }]);
  out.push(['$ne array element', { recipients: { $ne: 'm-a' } }]);
  out.push(['ranges on one field', { confidence: { $gte: 20, $lt: 80 } }]);
  out.push(['string range', { source: { $gt: 'm-a', $lte: 'm-c' } }]);
  out.push(['date equality', { updatedAt: new Date(T0 + 2 * DAY) }]);
  out.push(['boolean equality', { revoked: true }]);
  out.push(['null equality', { recipients: null }]);
  out.push(['$in on an array field', { tags: { $in: ['apt'] } }]);
  out.push(['$nin on an array field', { recipients: { $nin: ['m-a', null] } }]);
  out.push(['nested $or/$and', { $or: [{ $and: [{ tlp: 'RED' }, { recipients: 'm-b' }] }, { source: 'm-c', revoked: { $ne: true } }] }]);
  out.push(['empty', {}]);
  out.push(['nothing', { _id: { $in: [] } }]);
  return out;
}

describe('compiled filters agree with mingo', () => {
  it('on every filter the hub builds, for every document shape', () => {
    let compared = 0;
    for (const [name, filter] of filters()) {
      const predicate = compileFilter(filter);
      // A seek from a null sort value (`{$gt: null}`) is left to mingo; everything else compiles.
      if (!predicate && JSON.stringify(filter).match(/"\$[lg]te?":null/)) continue;
      expect(predicate, `${name} should compile: ${JSON.stringify(filter)}`).toBeDefined();
      const query = new Query(filter);
      const expected = DOCS.map((d) => query.test(d));
      const actual = DOCS.map((d) => predicate!(d));
      const first = expected.findIndex((e, i) => e !== actual[i]);
      expect(first, `${name}: ${JSON.stringify(filter)} on ${JSON.stringify(DOCS[first])}: mingo ${expected[first]}`).toBe(-1);
      compared += DOCS.length;
    }
    expect(compared).toBeGreaterThan(100_000);
  });

  it('leaves what it does not know to mingo', () => {
    for (const filter of [
      { 'model.name': 'x' },
      { $expr: { $gt: ['$embargoUntil', '$updatedAt'] } },
      { value: /a/ },
      { value: { $regex: 'a' } },
      { tags: { $all: ['a'] } },
      { model: { name: 'x' } },
      { $or: [] },
      { $nor: [{ tlp: 'RED' }] },
    ] as Filter[]) {
      expect(compileFilter(filter), JSON.stringify(filter)).toBeUndefined();
    }
  });
});
