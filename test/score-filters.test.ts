/**
 * `IndicatorFilter.minScore` and `excludeDecayed` (issue 16, item 2): pages and counts agree with
 * every indicator's shown score as it decays, after a model change, an override, false-positive
 * reports, a tier change and a re-publication. A real hub on port 0 with a controlled clock, on
 * the SQLite and the in-process store.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROLES } from '../src/domain/types.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const DAY = 86_400_000;

interface Row {
  id: string;
  type: string;
  score: number;
  decayed: boolean;
}

const LIST = /* GraphQL */ `
  query($f: IndicatorFilter, $after: String) {
    indicators(first: 500, filter: $f, after: $after) {
      totalCount
      countUpTo(atMost: 7) { value exact }
      edges { node { id type score decayed } }
      pageInfo { endCursor hasNextPage }
    }
  }`;
const PUBLISH = /* GraphQL */ `
  mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { status indicator { id } error { code } } } }`;
const SET_MODEL = /* GraphQL */ `
  mutation($type: IndicatorType!, $input: DecayModelInput!) { setDecayModel(type: $type, input: $input) { type } }`;

/** With MONGODB_URI (docs/mongodb.md), MongoDB too, each run on a fresh database. */
const uri = process.env.MONGODB_URI;
const STORES = uri ? (['sqlite', 'memory', 'mongodb'] as const) : (['sqlite', 'memory'] as const);
function storeConfig(store: (typeof STORES)[number]) {
  if (store !== 'mongodb') return { store };
  const url = new URL(uri!);
  url.pathname = `/hub_score_filters_${Date.now()}`;
  return { store, mongodbUri: url.toString() };
}

describe.each(STORES)('score filters on the %s store', (store) => {
  let clock = Date.now();
  let t: TestHub;
  const tokens: Record<string, string> = {};
  let keys = 0;

  async function publish(who: string, items: Array<{ value: string; confidence: number }>): Promise<string[]> {
    const res = await t.gql(PUBLISH, { input: { idempotencyKey: `k${keys++}`, indicators: items.map((i) => ({ ...i, tlp: 'GREEN', severity: 'HIGH' })) } }, { token: tokens[who] });
    expect(res.body.errors).toBeUndefined();
    return res.body.data.publishIndicators.results.map((r: any) => r.indicator.id);
  }

  async function list(viewer: string, f: Record<string, unknown>): Promise<{ rows: Row[]; total: number; capped: { value: number; exact: boolean } }> {
    const rows: Row[] = [];
    let after: string | null = null;
    let total = -1;
    let capped = { value: -1, exact: false };
    for (;;) {
      const res: any = await t.gql(LIST, { f, after }, { token: tokens[viewer] });
      expect(res.body.errors).toBeUndefined();
      const page = res.body.data.indicators;
      rows.push(...page.edges.map((e: any) => e.node));
      if (total < 0) [total, capped] = [page.totalCount, page.countUpTo];
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    return { rows, total, capped };
  }

  /** Every filter's page and counts are exactly the indicators whose shown score passes it. */
  async function agrees(viewer: string, extra: Record<string, unknown> = {}): Promise<void> {
    const all = (await list(viewer, extra)).rows;
    for (const f of [{ minScore: 0 }, { minScore: 1 }, { minScore: 20 }, { minScore: 30 }, { minScore: 50 }, { minScore: 74 }, { minScore: 90 }, { minScore: 100 }, { excludeDecayed: true }, { excludeDecayed: true, minScore: 60 }, { excludeDecayed: false }]) {
      const want = all.filter((r) => r.score >= ((f as { minScore?: number }).minScore ?? 0) && !((f as { excludeDecayed?: boolean }).excludeDecayed && r.decayed));
      const got = await list(viewer, { ...extra, ...f });
      expect(got.rows.map((r) => r.id).sort(), `${viewer} ${JSON.stringify({ ...extra, ...f })}`).toEqual(want.map((r) => r.id).sort());
      expect(got.total).toBe(want.length);
      expect(got.capped).toEqual({ value: Math.min(want.length, 7), exact: want.length <= 7 });
    }
  }

  async function everyoneAgrees(): Promise<void> {
    for (const viewer of ['trustedReader', 'communityReader', 'communityPublisher']) {
      await agrees(viewer);
      await agrees(viewer, { type: ['IPV4'] });
      await agrees(viewer, { type: ['DOMAIN', 'SHA256'] });
    }
  }

  const ids: Record<string, string[]> = {};

  beforeAll(async () => {
    t = await startTestHub({ config: { ...storeConfig(store), rateLimitPerMinute: 1_000_000, rateLimitBurst: 1_000_000 }, start: { clock: () => clock } });
    tokens.core = await t.member('core-org', 'CORE').token(['publisher', 'reader']);
    tokens.trusted = await t.member('trusted-org', 'TRUSTED').token(['publisher', 'reader']);
    tokens.communityPublisher = await t.member('comm-org', 'COMMUNITY').token(['publisher', 'reader']);
    tokens.trustedReader = await t.member('reader-org', 'TRUSTED').token(['reader']);
    tokens.communityReader = await t.member('small-org', 'COMMUNITY').token(['reader']);
    for (const id of ['fp-1', 'fp-2']) tokens[id] = await t.member(id, 'COMMUNITY').token(['reader']);
    await t.member('ops', 'CORE', { kind: 'AGENCY', allowedRoles: [...ROLES] }).token(['reader']);
    tokens.admin1 = await t.tokenAs('ops', 'admin1@ops', ['hub-admin', 'reader']);
    tokens.admin2 = await t.tokenAs('ops', 'admin2@ops', ['hub-admin', 'reader']);
    const confidences = [100, 95, 80, 67, 50, 40, 33, 25, 10, 0];
    for (const [who, octet] of [['core', 1], ['trusted', 2], ['communityPublisher', 3]] as const) {
      ids[`${who}-ip`] = await publish(who, confidences.map((c, i) => ({ value: `198.51.${octet}.${i + 1}`, confidence: c })));
      ids[`${who}-domain`] = await publish(who, confidences.map((c, i) => ({ value: `d${i}.${who.toLowerCase()}.example`, confidence: c })));
      ids[`${who}-hash`] = await publish(who, confidences.map((c, i) => ({ value: `${octet}${i}`.padEnd(64, 'a'), confidence: c })));
    }
  });
  afterAll(async () => t?.dispose());

  it('refuses a minScore outside 0 to 100, naming filter.minScore', async () => {
    for (const minScore of [-1, 101]) {
      const res = await t.gql(LIST, { f: { minScore } }, { token: tokens.trustedReader });
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.minScore' });
    }
  });

  it('pages and counts agree with every shown score as scores decay over days, weeks and months', async () => {
    await everyoneAgrees();
    // On MongoDB (the emulator in CI reads without indexes: each list costs a scan) fewer instants: the
    // store contract checks its score query against decayScore on both sides of every crossing.
    for (const days of store === 'mongodb' ? [10, 120] : [3, 7, 7, 5, 10, 60, 120]) {
      clock += days * DAY;
      await everyoneAgrees();
    }
  });

  it('a re-publication resets the clock, and the filters see it at once', async () => {
    const before = (await list('trustedReader', { minScore: 90, type: ['IPV4'] })).rows;
    expect(before).toEqual([]); // every address is long decayed by now
    await publish('core', [{ value: '198.51.1.1', confidence: 100 }]);
    expect((await list('trustedReader', { minScore: 90, type: ['IPV4'] })).rows.map((r) => r.id)).toEqual([ids['core-ip']![0]]);
    await everyoneAgrees();
  });

  it("a model change applies to the next query at once", async () => {
    clock += 2 * DAY;
    await publish('trusted', [{ value: '198.51.2.1', confidence: 100 }, { value: '198.51.2.2', confidence: 95 }]);
    clock += 20 * DAY; // IPV4 default: 28 days, speed 0.5 -> 100 * (1 - (20/28)^2) = 48.9, 95 * ... = 46.5
    expect((await list('communityReader', { minScore: 47, type: ['IPV4'] })).rows).toHaveLength(1);
    const set = await t.gql(SET_MODEL, { type: 'IPV4', input: { lifetimeDays: 56, speed: 0.5, threshold: 30 } }, { token: tokens.admin1 });
    expect(set.body.errors).toBeUndefined();
    // 100 * (1 - (20/56)^2) = 87.2, 95 * ... = 82.9; the address re-published 22 days ago: 84.6
    const now80 = (await list('communityReader', { minScore: 80, type: ['IPV4'] })).rows.map((r) => r.id).sort();
    expect(now80).toEqual([ids['trusted-ip']![0], ids['trusted-ip']![1], ids['core-ip']![0]].sort());
    await everyoneAgrees();
    await t.gql(SET_MODEL, { type: 'IPV4', input: { lifetimeDays: 28, speed: 0.5, threshold: 30 } }, { token: tokens.admin1 });
    await everyoneAgrees();
  });

  it("an analyst's override counts as the score, without decaying, until the next re-publication", async () => {
    const [id] = ids['core-domain']!;
    const OVERRIDE = `mutation($id: ID!) { overrideScore(indicatorId: $id, score: 97, reason: "confirmed by IR") { score } }`;
    expect((await t.gql(OVERRIDE, { id }, { token: tokens.core })).body.errors).toBeUndefined();
    const domains = { minScore: 97, type: ['DOMAIN'] };
    expect((await list('communityReader', domains)).rows.map((r) => r.id)).toEqual([id]);
    await everyoneAgrees();
    clock += 400 * DAY;
    expect((await list('communityReader', domains)).rows.map((r) => r.id)).toEqual([id]);
    await everyoneAgrees();
    await publish('core', [{ value: 'd0.core.example', confidence: 60 }]);
    expect((await list('communityReader', domains)).rows).toEqual([]);
    await everyoneAgrees();
  });

  it('false-positive reports lower the score the filters read', async () => {
    const [id] = await publish('core', [{ value: 'fp-target.example', confidence: 100 }]);
    expect((await list('communityReader', { minScore: 100, type: ['DOMAIN'] })).rows.map((r) => r.id)).toEqual([id]);
    const FP = `mutation($id: ID!) { reportSighting(indicatorId: $id, kind: FALSE_POSITIVE) { id } }`;
    for (const who of ['fp-1', 'fp-2']) expect((await t.gql(FP, { id }, { token: tokens[who] })).body.errors).toBeUndefined();
    expect((await list('communityReader', { minScore: 26, type: ['DOMAIN'] })).rows.map((r) => r.id)).not.toContain(id);
    expect((await list('communityReader', { minScore: 25, type: ['DOMAIN'] })).rows.map((r) => r.id)).toContain(id);
    await everyoneAgrees();
  });

  it("a tier change changes a TRUSTED viewer's results, and never a COMMUNITY viewer's", async () => {
    const fresh = await publish('communityPublisher', [{ value: 'tier-a.example', confidence: 100 }, { value: 'tier-b.example', confidence: 90 }]);
    const before = { trusted: await list('trustedReader', { minScore: 80 }), community: await list('communityReader', { minScore: 80 }), own: await list('communityPublisher', { minScore: 80 }) };
    // COMMUNITY publisher: 0.75 -> 75 and 67 for a TRUSTED viewer; 100 and 90 for everyone else.
    expect(before.trusted.rows.map((r) => r.id)).not.toContain(fresh[0]);
    expect(before.community.rows.map((r) => r.id)).toEqual(expect.arrayContaining(fresh));
    expect(before.own.rows.map((r) => r.id)).toEqual(expect.arrayContaining(fresh));
    const TIER = `mutation { requestTierChange(memberId: "comm-org", tier: CORE, reason: "track record") { id } }`;
    const req = (await t.gql(TIER, {}, { token: tokens.admin1 })).body.data.requestTierChange;
    expect((await t.gql(`mutation($id: ID!) { approveRequest(id: $id) { status } }`, { id: req.id }, { token: tokens.admin2 })).body.errors).toBeUndefined();
    await vi.waitFor(async () => expect((await list('trustedReader', { minScore: 80 })).rows.map((r) => r.id)).toEqual(expect.arrayContaining(fresh)));
    expect(await list('communityReader', { minScore: 80 })).toEqual(before.community);
    await everyoneAgrees();
  });
});
