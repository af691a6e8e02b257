/**
 * Reading indicators end to end: the connection (filters, orderings, pages, cursors),
 * indicator(id), lookupIndicators, sightings, revocation, and the DataLoader bound.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type SeededMember, type TestHub } from './support/hub-fixture.js';

const LIST = /* GraphQL */ `
  query List($filter: IndicatorFilter, $first: Int, $after: String, $orderBy: IndicatorOrder) {
    indicators(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id value tlp severity confidence validFrom createdAt updatedAt revoked } }
    }
  }`;
const ONE = /* GraphQL */ `query One($id: ID!) { indicator(id: $id) { id value tlp recipients source { id } } }`;
const LOOKUP = /* GraphQL */ `
  query Lookup($values: [String!]!) { lookupIndicators(values: $values) { input normalized type known indicators { id value } } }`;
const SIGHT = /* GraphQL */ `
  mutation Sight($id: ID!, $count: Int!, $seenAt: DateTime) {
    reportSighting(indicatorId: $id, count: $count, seenAt: $seenAt) { id sightingCount lastSeenAt }
  }`;
const REVOKE = /* GraphQL */ `mutation Revoke($id: ID!, $reason: String!) { revokeIndicator(id: $id, reason: $reason) { id revoked revokedReason } }`;

const SEVERITIES = ['INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
const MISSING_ID = 'indicator--00000000-0000-4000-8000-000000000000';

let t: TestHub;
const m: Record<string, SeededMember> = {};
const tok: Record<string, string> = {};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function q(viewer: string, query: string, variables: Record<string, unknown> = {}) {
  return t.gql(query, variables, { token: tok[viewer] });
}
async function list(viewer: string, variables: Record<string, unknown>) {
  const res = await q(viewer, LIST, variables);
  expect(res.body.errors).toBeUndefined();
  return res.body.data.indicators;
}
const code = (res: { body: any }) => res.body.errors?.[0]?.extensions?.code;

beforeAll(async () => {
  t = await startTestHub();
  for (const [id, tier] of [['qi-pub', 'TRUSTED'], ['qi-other', 'TRUSTED'], ['qi-comm', 'COMMUNITY'], ['qi-core', 'CORE']] as const) {
    m[id] = t.member(id, tier);
    tok[id] = await m[id]!.token(['reader', 'publisher']);
  }
});

describe('ordering and pages', () => {
  /** Values qi-comm (COMMUNITY) may see among the sort set, and the order they were last written in. */
  const visible = new Set<string>();
  const writeOrder: string[] = [];
  const tlpFor = ['CLEAR', 'GREEN', 'AMBER', 'RED', 'AMBER_STRICT', 'RED'];

  beforeAll(async () => {
    let n = 0;
    for (let batch = 0; batch < 3; batch++) {
      for (const who of ['qi-pub', 'qi-other', 'qi-comm']) {
        const items = Array.from({ length: 4 }, () => {
          const i = n++;
          const tlp = tlpFor[i % tlpFor.length]!;
          const recipients = tlp === 'RED' ? [i % 4 === 3 ? 'qi-comm' : who === 'qi-pub' ? 'qi-other' : 'qi-pub'] : undefined;
          if (who === 'qi-comm' || tlp === 'CLEAR' || tlp === 'GREEN' || recipients?.includes('qi-comm')) visible.add(`s${i}.sort.example`);
          return {
            value: `s${i}.sort.example`, tlp, recipients, severity: SEVERITIES[(i * 7) % 5], confidence: (i * 37) % 4 * 25,
            validFrom: `2025-0${(i % 3) + 1}-01T00:00:00.000Z`, tags: ['sortset'],
          };
        });
        await m[who]!.publishes(items as any); // DateTime strings, as a client sends them
        writeOrder.push(...items.map((x) => x.value));
        await sleep(3);
      }
    }
    // Re-publishing an early claim writes it again: it moves to the front of UPDATED_AT DESC.
    await m['qi-pub']!.publishes([{ value: 's0.sort.example', tlp: 'CLEAR', tags: ['sortset'] }]);
    writeOrder.splice(writeOrder.indexOf('s0.sort.example'), 1);
    writeOrder.push('s0.sort.example');
    expect(visible.size).toBeGreaterThan(20);
  });

  async function walk(viewer: string, orderBy: Record<string, string>) {
    const nodes: any[] = [];
    let after: string | null = null;
    for (let page = 0; page < 50; page++) {
      const conn: any = await list(viewer, { filter: { tags: ['sortset'] }, first: 7, after, orderBy });
      expect(conn.totalCount).toBe(visible.size);
      expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
      nodes.push(...conn.edges.map((e: any) => e.node));
      if (conn.edges.length) expect(conn.pageInfo.endCursor).toBe(conn.edges.at(-1).cursor);
      if (!conn.pageInfo.hasNextPage) return nodes;
      expect(conn.edges).toHaveLength(7);
      after = conn.pageInfo.endCursor;
    }
    throw new Error('pagination did not end');
  }

  const key: Record<string, (n: any) => number> = {
    CREATED_AT: (n) => Date.parse(n.createdAt),
    VALID_FROM: (n) => Date.parse(n.validFrom),
    SEVERITY: (n) => SEVERITIES.indexOf(n.severity),
    CONFIDENCE: (n) => n.confidence,
  };

  for (const field of ['UPDATED_AT', 'CREATED_AT', 'VALID_FROM', 'SEVERITY', 'CONFIDENCE']) {
    for (const direction of ['ASC', 'DESC']) {
      it(`walks every visible indicator exactly once, sorted by ${field} ${direction}`, async () => {
        const nodes = await walk('qi-comm', { field, direction });
        const values = nodes.map((n) => n.value);
        expect(new Set(values).size).toBe(values.length);
        expect(new Set(values)).toEqual(visible);
        let expected: string[];
        if (field === 'UPDATED_AT') {
          expected = writeOrder.filter((v) => visible.has(v));
          if (direction === 'DESC') expected.reverse();
        } else {
          const sign = direction === 'ASC' ? 1 : -1;
          const sorted = [...nodes].sort((a, b) => sign * (key[field]!(a) - key[field]!(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
          expected = sorted.map((n) => n.value);
        }
        expect(values).toEqual(expected);
      });
    }
  }

  it('refuses a page size over 500', async () => {
    const res = await q('qi-comm', LIST, { first: 501 });
    expect(code(res)).toBe('BAD_USER_INPUT');
  });

  it('refuses a cursor it did not issue, one issued to another member, or one issued for another ordering', async () => {
    const orderBy = { field: 'CONFIDENCE', direction: 'DESC' };
    const page = await list('qi-comm', { filter: { tags: ['sortset'] }, first: 3, orderBy });
    const cursor = page.pageInfo.endCursor as string;
    expect((await list('qi-comm', { filter: { tags: ['sortset'] }, first: 3, after: cursor, orderBy })).edges).toHaveLength(3);
    const tampered = cursor.slice(0, -2) + (cursor.endsWith('AA') ? 'BB' : 'AA');
    for (const [viewer, after, order] of [
      ['qi-comm', 'not-a-cursor', orderBy],
      ['qi-comm', tampered, orderBy],
      ['qi-core', cursor, orderBy],
      ['qi-comm', cursor, { field: 'SEVERITY', direction: 'DESC' }],
      ['qi-comm', cursor, { field: 'CONFIDENCE', direction: 'ASC' }],
    ] as const) {
      const res = await q(viewer, LIST, { filter: { tags: ['sortset'] }, first: 3, after, orderBy: order });
      expect(code(res)).toBe('BAD_USER_INPUT');
      expect(res.body.errors?.[0]?.extensions?.field).toBe('after');
    }
  });
});

describe('filters', () => {
  let ids: Record<string, string> = {};
  let since = '';

  beforeAll(async () => {
    const first = await m['qi-pub']!.publishes([
      { value: 'f1.filt.example', tlp: 'CLEAR', severity: 'LOW', confidence: 10, tags: ['filt', 'QI-Apt-X'] },
      { value: '203.0.113.10', tlp: 'GREEN', severity: 'MEDIUM', confidence: 40, tags: ['filt'] },
      { value: 'http://f3.filt.example/x', tlp: 'AMBER', severity: 'HIGH', confidence: 70, tags: ['filt', 'qi-apt-y'] },
      { value: 'f4.filt.example', tlp: 'AMBER_STRICT', severity: 'CRITICAL', confidence: 90, tags: ['filt', 'qi-apt-x'] },
      { value: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3', tlp: 'CLEAR', severity: 'INFO', confidence: 100, tags: ['filt'] },
    ]);
    await sleep(5);
    since = new Date().toISOString();
    await sleep(5);
    const later = await m['qi-pub']!.publishes([{ value: 'f6.filt.example', tlp: 'GREEN', severity: 'HIGH', confidence: 75, tags: ['filt'] }]);
    ids = Object.fromEntries([...first, ...later].map((r: any) => [r.indicator.value, r.indicator.id]));
    const revoked = await q('qi-pub', REVOKE, { id: ids['203.0.113.10'], reason: 'sinkholed' });
    expect(revoked.body.errors).toBeUndefined();
  });

  async function valuesFor(filter: Record<string, unknown>, viewer = 'qi-core') {
    const conn = await list(viewer, { filter: { tags: ['filt'], ...filter }, first: 100 });
    const values = conn.edges.map((e: any) => e.node.value).sort();
    expect(conn.totalCount).toBe(values.length);
    return values;
  }

  const F1 = 'f1.filt.example', F2 = '203.0.113.10', F3 = 'http://f3.filt.example/x', F4 = 'f4.filt.example';
  const F5 = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3', F6 = 'f6.filt.example';

  it('filters by type', async () => {
    expect(await valuesFor({ type: ['DOMAIN'] })).toEqual([F1, F4, F6]);
    expect(await valuesFor({ type: ['IPV4', 'SHA1'] })).toEqual([F2, F5].sort());
  });

  it('filters by value, matching a defanged value on its normalised form', async () => {
    expect(await valuesFor({ value: 'F1[.]filt[.]example' })).toEqual([F1]);
    expect(await valuesFor({ value: 'hxxp://f3.filt[.]example/x#frag' })).toEqual([F3]);
    expect(await valuesFor({ value: 'not an indicator at all' })).toEqual([]);
  });

  it('filters by TLP, severity, minimum severity and minimum confidence', async () => {
    expect(await valuesFor({ tlp: ['GREEN'] })).toEqual([F2, F6].sort());
    expect(await valuesFor({ tlp: ['AMBER', 'AMBER_STRICT'] })).toEqual([F3, F4].sort());
    expect(await valuesFor({ severity: ['LOW', 'CRITICAL'] })).toEqual([F1, F4]);
    expect(await valuesFor({ minSeverity: 'HIGH' })).toEqual([F3, F4, F6].sort());
    expect(await valuesFor({ minConfidence: 75 })).toEqual([F4, F5, F6].sort());
  });

  it('never shows records above the viewer\'s tier, whatever the filter', async () => {
    expect(await valuesFor({ tlp: ['AMBER', 'AMBER_STRICT'] }, 'qi-comm')).toEqual([]);
    expect(await valuesFor({}, 'qi-comm')).toEqual([F1, F2, F5, F6].sort());
  });

  it('filters by any of several tags, whatever their case', async () => {
    const conn = await list('qi-core', { filter: { tags: ['qi-apt-x', 'qi-apt-z'] }, first: 100 });
    expect(conn.edges.map((e: any) => e.node.value).sort()).toEqual([F1, F4]);
    const upper = await list('qi-core', { filter: { tags: ['QI-APT-X'] }, first: 100 });
    expect(upper.edges.map((e: any) => e.node.value).sort()).toEqual([F1, F4]);
  });

  it('filters by updatedSince, counting a revocation as an update', async () => {
    expect(await valuesFor({ updatedSince: since })).toEqual([F2, F6].sort());
  });

  it('filters revoked and live indicators apart', async () => {
    expect(await valuesFor({ revoked: true })).toEqual([F2]);
    expect(await valuesFor({ revoked: false })).toEqual([F1, F3, F4, F5, F6].sort());
  });

  it('counts up to a cap with countUpTo: exact below it, "more than atMost" above, visible records only', async () => {
    const COUNT = /* GraphQL */ `query ($f: IndicatorFilter, $n: Int!) { indicators(filter: $f, first: 0) { totalCount countUpTo(atMost: $n) { value exact } } }`;
    const count = async (viewer: string, f: Record<string, unknown>, n: number) => {
      const res = await q(viewer, COUNT, { f: { tags: ['filt'], ...f }, n });
      expect(res.body.errors).toBeUndefined();
      return res.body.data.indicators;
    };
    // Six match for a CORE viewer (a row count: tags), four for a COMMUNITY one (two are AMBER).
    expect(await count('qi-core', {}, 10)).toEqual({ totalCount: 6, countUpTo: { value: 6, exact: true } });
    expect(await count('qi-core', {}, 6)).toEqual({ totalCount: 6, countUpTo: { value: 6, exact: true } });
    expect(await count('qi-core', {}, 5)).toEqual({ totalCount: 6, countUpTo: { value: 5, exact: false } });
    expect(await count('qi-comm', {}, 4)).toEqual({ totalCount: 4, countUpTo: { value: 4, exact: true } });
    expect(await count('qi-comm', {}, 3)).toEqual({ totalCount: 4, countUpTo: { value: 3, exact: false } });
    expect(await count('qi-core', { minConfidence: 75 }, 2)).toEqual({ totalCount: 3, countUpTo: { value: 2, exact: false } });
    expect(await count('qi-core', { updatedSince: since }, 2)).toEqual({ totalCount: 2, countUpTo: { value: 2, exact: true } });
    // Answered by the count table (TLP only, no tag): the same meaning.
    const green = await q('qi-comm', COUNT, { f: { tlp: ['GREEN'] }, n: 1 });
    expect(green.body.data.indicators.countUpTo).toEqual({ value: 1, exact: green.body.data.indicators.totalCount <= 1 });
  });

  it('refuses a countUpTo cap below 1 or over 100,000, naming atMost', async () => {
    for (const n of [0, -1, 100_001]) {
      const res = await q('qi-core', `{ indicators(first: 1) { countUpTo(atMost: ${n}) { value exact } } }`);
      expect(code(res)).toBe('BAD_USER_INPUT');
      expect(res.body.errors?.[0]?.extensions?.field).toBe('atMost');
    }
    const fine = await q('qi-core', '{ indicators(first: 1) { countUpTo { value exact } } }');
    expect(fine.body.errors).toBeUndefined();
  });
});

describe('indicator(id)', () => {
  it('returns a record the viewer may see, and shows recipients only to the publisher', async () => {
    const [amber, red] = await m['qi-pub']!.publishes([
      { value: 'one-amber.qi.example', tlp: 'AMBER' },
      { value: 'one-red.qi.example', tlp: 'RED', recipients: ['qi-comm'] },
    ]);
    expect((await q('qi-core', ONE, { id: amber.indicator.id })).body.data.indicator).toMatchObject({ value: 'one-amber.qi.example', source: { id: 'qi-pub' } });
    expect((await q('qi-comm', ONE, { id: red.indicator.id })).body.data.indicator).toMatchObject({ value: 'one-red.qi.example', recipients: null });
    expect((await q('qi-pub', ONE, { id: red.indicator.id })).body.data.indicator.recipients).toEqual(['qi-comm']);
  });

  it('answers a hidden record exactly like one that does not exist', async () => {
    const [red] = await m['qi-other']!.publishes([{ value: 'hidden-one.qi.example', tlp: 'RED', recipients: ['qi-pub'] }]);
    const hidden = await q('qi-core', ONE, { id: red.indicator.id });
    const missing = await q('qi-core', ONE, { id: MISSING_ID });
    expect(hidden.body).toEqual({ data: { indicator: null } });
    expect(hidden.status).toBe(missing.status);
    expect(hidden.text).toBe(missing.text);
    expect((await q('qi-pub', ONE, { id: red.indicator.id })).body.data.indicator.value).toBe('hidden-one.qi.example');
  });
});

describe('lookupIndicators', () => {
  it('answers each value in input order, defanged or not, valid or not', async () => {
    const [known] = await m['qi-pub']!.publishes([{ value: 'looked-up.qi.example', tlp: 'GREEN' }]);
    const values = ['nonsense value', 'Looked-Up[.]qi[.]example', 'never-published.qi.example', 'looked-up.qi.example'];
    const res = await q('qi-comm', LOOKUP, { values });
    expect(res.body.errors).toBeUndefined();
    const hit = { known: true, indicators: [{ id: known.indicator.id, value: 'looked-up.qi.example' }] };
    expect(res.body.data.lookupIndicators).toEqual([
      { input: values[0], normalized: null, type: null, known: false, indicators: [] },
      { input: values[1], normalized: 'looked-up.qi.example', type: 'DOMAIN', ...hit },
      { input: values[2], normalized: 'never-published.qi.example', type: 'DOMAIN', known: false, indicators: [] },
      { input: values[3], normalized: 'looked-up.qi.example', type: 'DOMAIN', ...hit },
    ]);
  });

  it('answers a value held only in records the viewer may not see exactly like an unknown value', async () => {
    const values = ['secret-lookup.qi.example'];
    const before = await q('qi-comm', LOOKUP, { values });
    await m['qi-other']!.publishes([{ value: 'secret-lookup.qi.example', tlp: 'AMBER' }]);
    await m['qi-pub']!.publishes([{ value: 'secret-lookup.qi.example', tlp: 'RED', recipients: ['qi-other'] }]);
    const after = await q('qi-comm', LOOKUP, { values });
    expect(after.text).toBe(before.text);
    expect(after.body.data.lookupIndicators[0].known).toBe(false);
    expect((await q('qi-core', LOOKUP, { values })).body.data.lookupIndicators[0].indicators).toHaveLength(1);
  });

  it('takes 1,000 values but refuses 1,001', async () => {
    const values = Array.from({ length: 1_001 }, (_, i) => `bulk-${i}.lookup.example`);
    expect((await q('qi-comm', LOOKUP, { values: values.slice(0, 1_000) })).body.data.lookupIndicators).toHaveLength(1_000);
    const res = await q('qi-comm', LOOKUP, { values });
    expect(code(res)).toBe('BAD_USER_INPUT');
    expect(res.body.data ?? null).toBeNull();
  });
});

describe('reportSighting', () => {
  it('adds sightings to another member\'s record and keeps the latest sighting time', async () => {
    const [rec] = await m['qi-pub']!.publishes([{ value: 'sighted.qi.example', tlp: 'GREEN' }]);
    const id = rec.indicator.id;
    const earlier = '2025-03-01T10:00:00.000Z';
    const first = await q('qi-comm', SIGHT, { id, count: 3, seenAt: earlier });
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data.reportSighting).toEqual({ id, sightingCount: 3, lastSeenAt: earlier });
    const second = await q('qi-core', SIGHT, { id, count: 1 });
    const last = second.body.data.reportSighting;
    expect(last.sightingCount).toBe(4);
    expect(Date.parse(last.lastSeenAt)).toBeGreaterThan(Date.now() - 60_000);
    const older = await q('qi-comm', SIGHT, { id, count: 2, seenAt: '2024-01-01T00:00:00.000Z' });
    expect(older.body.data.reportSighting).toEqual({ id, sightingCount: 6, lastSeenAt: last.lastSeenAt });
  });

  it('answers a hidden record and a missing one with the same NOT_FOUND, and changes nothing', async () => {
    const [red] = await m['qi-pub']!.publishes([{ value: 'unsighted.qi.example', tlp: 'RED', recipients: ['qi-other'] }]);
    const hidden = await q('qi-comm', SIGHT, { id: red.indicator.id, count: 5 });
    const missing = await q('qi-comm', SIGHT, { id: MISSING_ID, count: 5 });
    for (const res of [hidden, missing]) expect(code(res)).toBe('NOT_FOUND');
    const shape = (res: any, id: string) => ({ ...res.body.errors[0], message: res.body.errors[0].message.replace(id, '<id>') });
    expect(shape(hidden, red.indicator.id)).toEqual(shape(missing, MISSING_ID));
    const own = await q('qi-pub', `query($id: ID!) { indicator(id: $id) { sightingCount lastSeenAt } }`, { id: red.indicator.id });
    expect(own.body.data.indicator).toEqual({ sightingCount: 0, lastSeenAt: null });
  });

  it('refuses a count of 0 and a sighting in the future', async () => {
    const [rec] = await m['qi-pub']!.publishes([{ value: 'bad-sighting.qi.example', tlp: 'CLEAR' }]);
    const zero = await q('qi-comm', SIGHT, { id: rec.indicator.id, count: 0 });
    expect(code(zero)).toBe('BAD_USER_INPUT');
    const future = await q('qi-comm', SIGHT, { id: rec.indicator.id, count: 1, seenAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect(code(future)).toBe('BAD_USER_INPUT');
    const own = await q('qi-pub', `query($id: ID!) { indicator(id: $id) { sightingCount } }`, { id: rec.indicator.id });
    expect(own.body.data.indicator.sightingCount).toBe(0);
  });
});

describe('revokeIndicator', () => {
  it('lets the publisher revoke its own record, and revoked records can be filtered', async () => {
    const [rec] = await m['qi-pub']!.publishes([{ value: 'revoke-me.qi.example', tlp: 'CLEAR', tags: ['qi-revoke'] }]);
    const res = await q('qi-pub', REVOKE, { id: rec.indicator.id, reason: 'false positive' });
    expect(res.body.data.revokeIndicator).toEqual({ id: rec.indicator.id, revoked: true, revokedReason: 'false positive' });
    const revoked = await list('qi-comm', { filter: { tags: ['qi-revoke'], revoked: true } });
    expect(revoked.edges.map((e: any) => e.node.id)).toEqual([rec.indicator.id]);
    expect((await list('qi-comm', { filter: { tags: ['qi-revoke'], revoked: false } })).totalCount).toBe(0);
  });

  it('refuses another member: FORBIDDEN if it can see the record, NOT_FOUND if it cannot', async () => {
    const [clear, red] = await m['qi-pub']!.publishes([
      { value: 'not-yours.qi.example', tlp: 'CLEAR' },
      { value: 'not-yours-red.qi.example', tlp: 'RED', recipients: ['qi-other'] },
    ]);
    expect(code(await q('qi-comm', REVOKE, { id: clear.indicator.id, reason: 'mine now' }))).toBe('FORBIDDEN');
    expect(code(await q('qi-comm', REVOKE, { id: red.indicator.id, reason: 'mine now' }))).toBe('NOT_FOUND');
    const after = await q('qi-pub', `query($a: ID!, $b: ID!) { a: indicator(id: $a) { revoked } b: indicator(id: $b) { revoked } }`, { a: clear.indicator.id, b: red.indicator.id });
    expect(after.body.data).toEqual({ a: { revoked: false }, b: { revoked: false } });
  });
});

describe('store calls', () => {
  // What the hub's background work reads every second or so: the embargo, review and disclosure
  // watchers, the audit checkpointer, the peer pullers' look for peers (`members.list`), the leases
  // they renew, the decay models' cache, the warned-by job's state. A request reads none of these (members by id only).
  const BACKGROUND = /^(leases|notices|modelReviews|decayModels|jobStates|vulnerabilities|audit|events)\.|^members\.list$/;
  it('loads a page with its sources in a bounded number of store calls, whatever the page size', async () => {
    for (let s = 0; s < 5; s++) {
      await t.member(`qi-dl-${s}`, 'TRUSTED').publishes(Array.from({ length: 10 }, (_, i) => ({ value: `dl-${s}-${i}.qi.example`, tags: ['qi-dl'] })));
    }
    const query = `query($first: Int) { indicators(filter: { tags: ["qi-dl"] }, first: $first) { edges { node { id source { id name } } } } }`;
    const totals: number[] = [];
    for (const first of [50, 10]) {
      t.hub.storeCalls.reset();
      const res = await q('qi-core', query, { first });
      // The hub's background work (BACKGROUND) reads the same store meanwhile: only what a request reads is counted.
      const calls = [...t.hub.storeCalls.calls].filter(([key]) => !BACKGROUND.test(key)).reduce((n, [, c]) => n + c, 0);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.indicators.edges).toHaveLength(first);
      expect(res.body.data.indicators.edges.every((e: any) => e.node.source.name === `${e.node.source.id} organisation`)).toBe(true);
      expect(t.hub.storeCalls.calls.get('indicators.find')).toBe(1);
      totals.push(calls);
    }
    // The viewer's member, its communities and the person behind the token (read on every request), the page, its sources, and one spare.
    expect(totals[0]).toBeLessThanOrEqual(6);
    expect(totals[0]).toBe(totals[1]);
  });
});
