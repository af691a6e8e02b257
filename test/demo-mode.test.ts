/**
 * A hub started in demo mode: the four demo members, their indicators and notices, and the
 * same visibility rules as anywhere else (anonymous reads are on in demo mode).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { demoIndicators } from '../src/demo/demo-data.js';
import { INDICATOR_TYPES, TLPS } from '../src/domain/types.js';
import { startTestHub, type GqlResponse, type TestHub } from './support/hub-fixture.js';

const DEMO = {
  'demo-agency': { kind: 'AGENCY', tier: 'CORE' },
  'demo-lab': { kind: 'LAB', tier: 'CORE' },
  'demo-isac': { kind: 'ISAC', tier: 'TRUSTED' },
  'demo-enterprise': { kind: 'ENTERPRISE', tier: 'COMMUNITY' },
} as const;
type DemoId = keyof typeof DEMO;
const IDS = Object.keys(DEMO) as DemoId[];

/** What the seed publishes, read from the demo data itself (independent of the clock). */
const SEEDED = demoIndicators(new Date());

interface Ind { id: string; type: string; tlp: string; value: string; source: { id: string } }
interface Notice { id: string; title: string; tlp: string; status: string; embargoUntil: string | null; source: { id: string } }

const INDICATORS = /* GraphQL */ `
  query ($after: String, $filter: IndicatorFilter) {
    indicators(first: 500, after: $after, filter: $filter) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id type tlp value source { id } } }
    }
  }`;
const NOTICES = /* GraphQL */ `
  query ($after: String) {
    modelRiskNotices(first: 500, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id title tlp status embargoUntil source { id } } }
    }
  }`;

let t: TestHub;
const tokens = {} as Record<DemoId, string>;
const indicatorsOf = {} as Record<DemoId | 'anonymous', Ind[]>;
const noticesOf = {} as Record<DemoId | 'anonymous', Notice[]>;
const totals = {} as Record<DemoId | 'anonymous', { indicators: number; notices: number }>;

/** Every page of a connection, as `token` sees it; also checks totalCount against what was listed. */
async function all<T>(query: string, field: string, token?: string, filter?: unknown): Promise<{ nodes: T[]; totalCount: number }> {
  const nodes: T[] = [];
  let after: string | null = null;
  let totalCount = -1;
  for (let page = 0; page < 20; page++) {
    const res: GqlResponse = await t.gql(query, { after, filter }, { token });
    expect(res.body.errors, res.text).toBeUndefined();
    const conn: any = res.body.data[field];
    totalCount = conn.totalCount;
    nodes.push(...conn.edges.map((e: any) => e.node));
    if (!conn.pageInfo.hasNextPage) break;
    after = conn.pageInfo.endCursor;
  }
  expect(nodes).toHaveLength(totalCount);
  return { nodes, totalCount };
}

const union = <T extends { id: string }>(lists: T[][]) => new Map(lists.flat().map((x) => [x.id, x]));
const byTitle = (list: Notice[], start: string) => list.find((n) => n.title.startsWith(start));

beforeAll(async () => {
  t = await startTestHub({ demo: true });
  for (const id of IDS) tokens[id] = await t.token(id, ['reader']);
  for (const who of [...IDS, 'anonymous'] as const) {
    const token = who === 'anonymous' ? undefined : tokens[who];
    const ind = await all<Ind>(INDICATORS, 'indicators', token);
    const not = await all<Notice>(NOTICES, 'modelRiskNotices', token);
    indicatorsOf[who] = ind.nodes;
    noticesOf[who] = not.nodes;
    totals[who] = { indicators: ind.totalCount, notices: not.totalCount };
  }
});

describe('demo members', () => {
  it('lists the four demo members with their kinds and tiers in the member directory', async () => {
    const res = await t.gql('{ members { id kind tier } }', {}, { token: tokens['demo-isac'] });
    expect(res.body.errors, res.text).toBeUndefined();
    const found = Object.fromEntries(res.body.data.members.map((m: any) => [m.id, { kind: m.kind, tier: m.tier }]));
    expect(found).toMatchObject(DEMO);
  });

  it.each(IDS)('a token for %s makes the viewer that member, at its registry tier', async (id) => {
    const res = await t.gql('{ viewer { anonymous tier member { id kind } } }', {}, { token: tokens[id] });
    expect(res.body.data.viewer).toEqual({ anonymous: false, tier: DEMO[id].tier, member: { id, kind: DEMO[id].kind } });
  });
});

describe('demo indicators', () => {
  it('holds at least 300 indicators over every type and every TLP across the four members\' views', () => {
    const seen = union(IDS.map((id) => indicatorsOf[id]));
    expect(seen.size).toBeGreaterThanOrEqual(300);
    expect(seen.size).toBe(SEEDED.length);
    expect(new Set([...seen.values()].map((i) => i.type))).toEqual(new Set(INDICATOR_TYPES));
    expect(new Set([...seen.values()].map((i) => i.tlp))).toEqual(new Set(TLPS));
  });

  it('shows the CORE agency everything except the RED records it neither published nor received', () => {
    const expected = SEEDED.filter(
      ({ memberId, input }) => input.tlp !== 'RED' || memberId === 'demo-agency' || input.recipients?.includes('demo-agency'),
    ).length;
    expect(totals['demo-agency'].indicators).toBe(expected);
    expect(expected).toBeLessThan(SEEDED.length);
    const foreignRed = indicatorsOf['demo-agency'].filter((i) => i.tlp === 'RED' && i.source.id !== 'demo-agency');
    expect(foreignRed.length).toBeGreaterThan(0);
  });

  it('shows anonymous callers the CLEAR indicators and nothing else', () => {
    const anonymous = indicatorsOf.anonymous;
    const clear = [...union(IDS.map((id) => indicatorsOf[id])).values()].filter((i) => i.tlp === 'CLEAR');
    expect(anonymous.length).toBeGreaterThan(0);
    expect(new Set(anonymous.map((i) => i.tlp))).toEqual(new Set(['CLEAR']));
    expect(anonymous.map((i) => i.id).sort()).toEqual(clear.map((i) => i.id).sort());
    expect(totals.anonymous.indicators).toBe(clear.length);
  });
});

describe('demo notices', () => {
  it('holds 12 notices across the four members\' views, RED and embargoed ones among them', () => {
    const seen = [...union(IDS.map((id) => noticesOf[id])).values()];
    expect(seen).toHaveLength(12);
    expect(seen.filter((n) => n.tlp === 'RED').length).toBeGreaterThanOrEqual(2);
    const now = Date.now();
    expect(seen.filter((n) => n.embargoUntil && Date.parse(n.embargoUntil) > now).length).toBeGreaterThanOrEqual(2);
  });

  it('shows a notice still under embargo to the lab and the agency but hides it from the TRUSTED ISAC', async () => {
    const embargoed = byTitle(noticesOf['demo-lab'], 'Vega-Agent 3 exceeds delegated permissions')!;
    expect(embargoed).toMatchObject({ tlp: 'AMBER', source: { id: 'demo-lab' } });
    expect(Date.parse(embargoed.embargoUntil!)).toBeGreaterThan(Date.now());
    expect(noticesOf['demo-agency'].map((n) => n.id)).toContain(embargoed.id);
    expect(noticesOf['demo-isac'].map((n) => n.id)).not.toContain(embargoed.id);
    const res = await t.gql('query ($id: ID!) { modelRiskNotice(id: $id) { id } node(id: $id) { id } }', { id: embargoed.id }, { token: tokens['demo-isac'] });
    expect(res.body.data).toEqual({ modelRiskNotice: null, node: null });
  });

  it('hides an embargoed RED notice from the TRUSTED ISAC although it is a named recipient, and shows it to the CORE lab', () => {
    const weights = byTitle(noticesOf['demo-lab'], 'Fine-tuned Kestrel-7B checkpoints exposed')!;
    expect(weights).toMatchObject({ tlp: 'RED', source: { id: 'demo-agency' } });
    expect(Date.parse(weights.embargoUntil!)).toBeGreaterThan(Date.now());
    expect(noticesOf['demo-isac'].map((n) => n.id)).not.toContain(weights.id);
  });

  it('shows the ISAC an AMBER notice whose embargo has ended', () => {
    const ended = byTitle(noticesOf['demo-isac'], 'Multi-turn role-play jailbreak')!;
    expect(ended).toMatchObject({ tlp: 'AMBER' });
    expect(Date.parse(ended.embargoUntil!)).toBeLessThan(Date.now());
  });

  it('shows a RED notice to its publisher and its recipient only', () => {
    const red = byTitle(noticesOf['demo-agency'], 'Threat actors using Nimbus-Coder')!;
    expect(red).toMatchObject({ tlp: 'RED', source: { id: 'demo-agency' } });
    const holders = IDS.filter((id) => noticesOf[id].some((n) => n.id === red.id));
    expect(holders.sort()).toEqual(['demo-agency', 'demo-lab']);
  });

  it('shows a DRAFT to its publisher only', () => {
    const draft = byTitle(noticesOf['demo-lab'], 'Universal adversarial suffix')!;
    expect(draft.status).toBe('DRAFT');
    expect(IDS.filter((id) => noticesOf[id].some((n) => n.id === draft.id))).toEqual(['demo-lab']);
  });

  it('gives each member a notice count that matches the rules: lab 12, agency 11, ISAC 7, enterprise 4, anonymous 2', () => {
    expect(Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v.notices]))).toEqual({
      'demo-lab': 12, 'demo-agency': 11, 'demo-isac': 7, 'demo-enterprise': 4, anonymous: 2,
    });
    expect(new Set(noticesOf.anonymous.map((n) => n.tlp))).toEqual(new Set(['CLEAR']));
  });
});

describe('the tier comes from the registry, never from the token', () => {
  it('keeps demo-enterprise at COMMUNITY with every role in its token, drops the role it may not hold, and hides AMBER records of others', async () => {
    const token = await t.token('demo-enterprise', ['reader', 'publisher', 'approver', 'member-admin', 'hub-admin']);
    const viewer = await t.gql('{ viewer { tier roles member { id } } }', {}, { token });
    expect(viewer.body.data.viewer.tier).toBe('COMMUNITY');
    expect(viewer.body.data.viewer.roles).not.toContain('hub-admin');

    const amber = await all<Ind>(INDICATORS, 'indicators', token, { tlp: ['AMBER', 'AMBER_STRICT'] });
    const ownAmber = SEEDED.filter((s) => s.memberId === 'demo-enterprise' && (s.input.tlp === 'AMBER' || s.input.tlp === 'AMBER_STRICT'));
    expect(amber.nodes.every((i) => i.source.id === 'demo-enterprise')).toBe(true);
    expect(amber.totalCount).toBe(ownAmber.length);

    const othersAmber = indicatorsOf['demo-agency'].find((i) => i.tlp === 'AMBER' && i.source.id === 'demo-agency')!;
    const amberNotice = byTitle(noticesOf['demo-agency'], 'Email triage assistants')!;
    const res = await t.gql(
      'query ($i: ID!, $n: ID!) { indicator(id: $i) { id } node(id: $i) { id } modelRiskNotice(id: $n) { id } }',
      { i: othersAmber.id, n: amberNotice.id },
      { token },
    );
    expect(res.body.data).toEqual({ indicator: null, node: null, modelRiskNotice: null });
  });
});
