/**
 * A hub started in demo mode: the four demo members, their indicators and notices, and the
 * same visibility rules as anywhere else (anonymous reads are on in demo mode).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { demoIndicators } from '../src/demo/demo-data.js';
import { DEMO_CLOSED_REVIEW, DEMO_FINDINGS, DEMO_OPEN_REVIEW } from '../src/demo/demo-reviews.js';
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
  it('holds 17 notices across the four members\' views (5 of them model reviews\' findings), RED and embargoed ones among them', () => {
    const seen = [...union(IDS.map((id) => noticesOf[id])).values()];
    expect(seen).toHaveLength(17);
    expect(seen.filter((n) => (Object.values(DEMO_FINDINGS) as string[]).includes(n.id))).toHaveLength(5);
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

  it('gives each member a notice count that matches the rules: lab 17, agency 16, ISAC 11, enterprise 5, anonymous 2 (12, 11, 7, 4, 2 without the reviews\' findings)', () => {
    expect(Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v.notices]))).toEqual({
      'demo-lab': 17, 'demo-agency': 16, 'demo-isac': 11, 'demo-enterprise': 5, anonymous: 2,
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

describe('the demo clearinghouse: three AI-found flaws at three stages', () => {
  const VIEW = /* GraphQL */ `
    query ($id: ID!) {
      vulnerability(id: $id) {
        id title status exploited proofOfConcept technicalDetails credits { name type }
        discovery { method model { name } }
        vendorStatuses { vendor { id } status fixedIn }
        embargo { state endsAt } duplicateOf { id } possibleDuplicates { id } reporter { id }
        relatedNotices { id category }
        disclosure { stage nextStage nextStageAt }
      }
    }`;
  const LIST = '{ vulnerabilities(first: 50) { totalCount edges { node { id title } } } }';
  type Viewer = 'lab' | 'coordinator' | 'vendorA' | 'vendorB' | 'agency' | 'isac' | 'enterprise' | 'anonymous';
  const viewers: Record<Viewer, string | undefined> = {} as never;
  const ids = {} as Record<'exploited' | 'duplicate' | 'published', string>;

  beforeAll(async () => {
    viewers.lab = tokens['demo-lab'];
    viewers.coordinator = await t.tokenAs('demo-agency', 'coordinator@demo-agency', ['reader', 'coordinator']);
    viewers.vendorA = await t.token('demo-vendor-a', ['reader', 'publisher']);
    viewers.vendorB = await t.token('demo-vendor-b', ['reader', 'publisher']);
    viewers.agency = tokens['demo-agency'];
    viewers.isac = tokens['demo-isac'];
    viewers.enterprise = tokens['demo-enterprise'];
    viewers.anonymous = undefined;
    const res = await t.gql(LIST, {}, { token: viewers.coordinator });
    expect(res.body.errors, res.text).toBeUndefined();
    const byTitle = (s: string) => res.body.data.vulnerabilities.edges.find((e: any) => e.node.title.startsWith(s)).node.id as string;
    ids.exploited = byTitle('Authentication bypass in gatewayd');
    ids.duplicate = byTitle('gatewayd accepts edited session tickets');
    ids.published = byTitle('Heap overflow in imgparse');
  });

  const view = async (who: Viewer, id: string) => {
    const res = await t.gql(VIEW, { id }, { token: viewers[who] });
    expect(res.body.errors, res.text).toBeUndefined();
    return res.body.data.vulnerability;
  };

  it('lists the two vendors as members of kind VENDOR', async () => {
    const res = await t.gql('{ members { id kind tier } }', {}, { token: tokens['demo-isac'] });
    expect(res.body.data.members).toEqual(expect.arrayContaining([
      { id: 'demo-vendor-a', kind: 'VENDOR', tier: 'COMMUNITY' },
      { id: 'demo-vendor-b', kind: 'VENDOR', tier: 'COMMUNITY' },
    ]));
  });

  it('gives each viewer the cases its stage allows: counts lab 3, coordinator 3, vendor-a 2, vendor-b 1, CORE agency 2, TRUSTED 1, COMMUNITY 1, anonymous 1', async () => {
    const counts: Record<string, number> = {};
    const seen: Record<string, string[]> = {};
    for (const who of Object.keys(viewers) as Viewer[]) {
      const res = await t.gql(LIST, {}, { token: viewers[who] });
      expect(res.body.errors, res.text).toBeUndefined();
      counts[who] = res.body.data.vulnerabilities.totalCount;
      seen[who] = res.body.data.vulnerabilities.edges.map((e: any) => e.node.id).sort();
    }
    expect(counts).toEqual({ lab: 3, coordinator: 3, vendorA: 2, vendorB: 1, agency: 2, isac: 1, enterprise: 1, anonymous: 1 });
    expect(seen.vendorA).toEqual([ids.exploited, ids.published].sort());
    expect(seen.agency).toEqual([ids.exploited, ids.published].sort());
    for (const who of ['vendorB', 'isac', 'enterprise', 'anonymous']) expect(seen[who], who).toEqual([ids.published]);
  });

  it('holds the exploited case under an ACTIVE embargo the notified vendor accepted: everything to it, the advisory fields to CORE', async () => {
    const vendor = await view('vendorA', ids.exploited);
    expect(vendor).toMatchObject({
      status: 'VALIDATED', exploited: true, embargo: { state: 'ACTIVE' }, reporter: { id: 'demo-lab' },
      proofOfConcept: expect.stringMatching(/^DEMO PROOF OF CONCEPT \(gatewayd\)/),
      vendorStatuses: [{ vendor: { id: 'demo-vendor-a' }, status: 'AFFECTED', fixedIn: null }],
      discovery: { method: 'AI_MODEL', model: { name: 'Orion-4' } },
      disclosure: { stage: 'VALIDATED', nextStage: 'PUBLISHED' },
    });
    // Publication waits for the embargo's end (the 7-day deadline of an exploited flaw is earlier).
    expect(vendor.disclosure.nextStageAt).toBe(vendor.embargo.endsAt);
    expect(Date.parse(vendor.embargo.endsAt)).toBeGreaterThan(Date.now() + 20 * 86_400_000);
    expect(await view('agency', ids.exploited)).toMatchObject({ proofOfConcept: null, technicalDetails: null, credits: [], reporter: null, vendorStatuses: [] });
    for (const who of ['vendorB', 'isac', 'enterprise', 'anonymous'] as const) expect(await view(who, ids.exploited), who).toBeNull();
  });

  it('closed the duplicate for its reporter and coordinators only, flagged to coordinators as a possible duplicate', async () => {
    expect(await view('lab', ids.duplicate)).toMatchObject({ status: 'CLOSED', duplicateOf: { id: ids.exploited }, possibleDuplicates: [] });
    expect(await view('coordinator', ids.duplicate)).toMatchObject({ status: 'CLOSED', possibleDuplicates: [{ id: ids.exploited }] });
    for (const who of ['vendorA', 'vendorB', 'agency', 'isac', 'enterprise', 'anonymous'] as const) expect(await view(who, ids.duplicate), who).toBeNull();
  });

  it('published the fixed case to everyone with its credits and the related notice, the proof of concept withheld but from its parties', async () => {
    const anonymous = await view('anonymous', ids.published);
    expect(anonymous).toMatchObject({
      status: 'PUBLISHED', proofOfConcept: null, technicalDetails: expect.stringContaining('decode_palette'),
      credits: [{ name: 'Demo Frontier AI Lab Orion-4 4.0-rc1', type: 'TOOL' }, { name: 'A. Moreau, Demo Frontier AI Lab', type: 'FINDER' }],
      vendorStatuses: [], reporter: null,
      disclosure: { stage: 'PUBLISHED', nextStage: 'PROOF_OF_CONCEPT_RELEASED' },
    });
    expect(Date.parse(anonymous.disclosure.nextStageAt) - Date.now()).toBeGreaterThan(44 * 86_400_000);
    for (const who of ['agency', 'isac', 'enterprise'] as const) {
      expect(await view(who, ids.published), who).toMatchObject({ proofOfConcept: null, vendorStatuses: [{ vendor: { id: 'demo-vendor-b' }, status: 'FIXED', fixedIn: '3.2.1' }] });
    }
    for (const who of ['lab', 'coordinator', 'vendorB'] as const) {
      expect((await view(who, ids.published)).proofOfConcept, who).toMatch(/^DEMO PROOF OF CONCEPT \(imgparse\)/);
    }
    expect((await view('lab', ids.published)).relatedNotices).toEqual([{ id: expect.any(String), category: 'AI_FOUND_VULNERABILITY' }]);
  });

  it('exports the published case to anonymous callers valid against the official schemas, the model credited once as TOOL', async () => {
    const { csafErrors, osvErrors, cveRecordErrors } = await import('./support/advisory-validator.js');
    const res = await t.gql('query ($id: ID!) { vulnerability(id: $id) { csaf osv cveRecord } }', { id: ids.published });
    expect(res.body.errors, res.text).toBeUndefined();
    const { csaf, osv, cveRecord } = res.body.data.vulnerability;
    expect([...csafErrors(csaf), ...osvErrors(osv), ...cveRecordErrors(cveRecord)]).toEqual([]);
    expect(osv.credits).toEqual([
      { name: 'Demo Frontier AI Lab Orion-4 4.0-rc1', type: 'TOOL' },
      { name: 'A. Moreau, Demo Frontier AI Lab', type: 'FINDER' },
    ]);
    expect(res.text).not.toContain('DEMO PROOF OF CONCEPT');
  });

  it("went through the services: each step audited with its actor, a coordinator's in the hub-level log (not its member's), and an alert event per step", async () => {
    const actions = ['VULNERABILITY_VALIDATED', 'EMBARGO_PROPOSED', 'VULNERABILITY_DUPLICATE', 'VULNERABILITY_PUBLISHED'] as const;
    const stored = await t.hub.store.audit.find({ action: { $in: [...actions] } });
    expect(stored.map((a) => `${a.action} ${a.target?.id} ${a.actor?.memberId} ${a.memberId}`).sort()).toEqual([
      `EMBARGO_PROPOSED ${ids.exploited} demo-agency null`,
      `VULNERABILITY_DUPLICATE ${ids.duplicate} demo-agency null`,
      `VULNERABILITY_PUBLISHED ${ids.published} demo-agency null`,
      `VULNERABILITY_VALIDATED ${ids.exploited} demo-agency null`,
      `VULNERABILITY_VALIDATED ${ids.published} demo-agency null`,
    ].sort());
    // demo-agency's member-admin may not see the duplicate (never validated): its log names none of these steps.
    const admin = await t.tokenAs('demo-agency', 'audit@demo-agency', ['reader', 'member-admin']);
    const res = await t.gql('{ auditLog(first: 200, filter: { action: [VULNERABILITY_VALIDATED, EMBARGO_PROPOSED, VULNERABILITY_DUPLICATE, VULNERABILITY_PUBLISHED] }) { totalCount } }', {}, { token: admin });
    expect(res.body.errors, res.text).toBeUndefined();
    expect(res.body.data.auditLog.totalCount).toBe(0);
    const events = (await t.hub.store.events.readAfter(0, 100_000)).filter((e) => e.kind === 'VULNERABILITY');
    expect(events.filter((e) => e.recordId === ids.published).length).toBeGreaterThanOrEqual(5);
  });

  it('serves the published case in the TAXII vulnerabilities collection to anonymous callers, never the embargoed one', async () => {
    const origin = t.url.replace(/\/graphql$/, '');
    const res = await fetch(`${origin}/taxii2/hub/collections/62b4e6f9-25cd-475b-92a1-5cfd3c0577d7/objects/`, { headers: { accept: 'application/taxii+json;version=2.1' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { objects: Array<{ id: string }> };
    expect(body.objects.map((o) => o.id)).toEqual([ids.published]);
  });
});

describe('the demo\'s model reviews: Orion-5 open, Orion-4 closed with its findings released', () => {
  const REVIEW = /* GraphQL */ `
    query ($id: ID!) {
      modelReview(id: $id) {
        id status model { name version } lab { id } reviewers { id } plannedDeploymentAt windowOpensAt summaryPublic
        findings { ... on ModelRiskNotice { id tlp source { id } } }
        summary { total highestSeverity }
      }
    }`;
  const LIST = '{ modelReviews(first: 10) { totalCount edges { node { id } } } }';
  const view = async (who: DemoId | 'anonymous', id: string) => {
    const res = await t.gql(REVIEW, { id }, { token: who === 'anonymous' ? undefined : tokens[who] });
    expect(res.body.errors, res.text).toBeUndefined();
    return res.body.data.modelReview;
  };

  it('lists the open review to the lab and its reviewers only, the closed one to every member and, its summary public, to anonymous callers', async () => {
    const seen: Record<string, string[]> = {};
    for (const who of [...IDS, 'anonymous'] as const) {
      const res = await t.gql(LIST, {}, { token: who === 'anonymous' ? undefined : tokens[who] });
      expect(res.body.errors, res.text).toBeUndefined();
      seen[who] = res.body.data.modelReviews.edges.map((e: any) => e.node.id).sort();
    }
    expect(seen).toEqual({
      'demo-lab': [DEMO_OPEN_REVIEW, DEMO_CLOSED_REVIEW].sort(),
      'demo-agency': [DEMO_OPEN_REVIEW, DEMO_CLOSED_REVIEW].sort(),
      'demo-isac': [DEMO_OPEN_REVIEW, DEMO_CLOSED_REVIEW].sort(),
      'demo-enterprise': [DEMO_CLOSED_REVIEW],
      anonymous: [DEMO_CLOSED_REVIEW],
    });
  });

  it('holds Orion-5 OPEN by demo-lab: demo-agency reviewing by default (CORE), demo-isac invited (TRUSTED), three findings GREEN, AMBER, RED', async () => {
    const lab = await view('demo-lab', DEMO_OPEN_REVIEW);
    expect(lab).toMatchObject({ status: 'OPEN', model: { name: 'Orion-5' }, lab: { id: 'demo-lab' }, summaryPublic: false, summary: { total: 3, highestSeverity: 'CRITICAL' } });
    expect(lab.reviewers.map((m: any) => m.id).sort()).toEqual(['demo-agency', 'demo-isac']);
    expect(Date.parse(lab.windowOpensAt)).toBeLessThan(Date.now());
    expect(Date.parse(lab.plannedDeploymentAt)).toBeGreaterThan(Date.now());
    expect(lab.findings.map((f: any) => `${f.tlp} ${f.source.id}`).sort()).toEqual(['AMBER demo-isac', 'GREEN demo-agency', 'RED demo-agency']);
    // The TRUSTED reviewer: not a recipient of the RED finding, and no summary before the close.
    const isac = await view('demo-isac', DEMO_OPEN_REVIEW);
    expect(isac.findings.map((f: any) => f.id).sort()).toEqual([DEMO_FINDINGS.openGreen, DEMO_FINDINGS.openAmber].sort());
    expect(isac.summary).toBeNull();
    for (const who of ['demo-enterprise', 'anonymous'] as const) expect(await view(who, DEMO_OPEN_REVIEW), who).toBeNull();
    // Its findings are nowhere else: not even the GREEN one reaches the COMMUNITY member.
    expect(noticesOf['demo-enterprise'].map((n) => n.id)).not.toContain(DEMO_FINDINGS.openGreen);
  });

  it('holds Orion-4 CLOSED: its findings released by their TLP (GREEN to COMMUNITY, AMBER to TRUSTED), reviewers hidden from others, the summary public', async () => {
    const enterprise = await view('demo-enterprise', DEMO_CLOSED_REVIEW);
    expect(enterprise).toMatchObject({ status: 'CLOSED', model: { name: 'Orion-4' }, reviewers: null, summaryPublic: true, summary: { total: 2, highestSeverity: 'MEDIUM' } });
    expect(enterprise.findings.map((f: any) => f.id)).toEqual([DEMO_FINDINGS.closedGreen]);
    expect((await view('demo-isac', DEMO_CLOSED_REVIEW)).findings.map((f: any) => f.id).sort()).toEqual([DEMO_FINDINGS.closedGreen, DEMO_FINDINGS.closedAmber].sort());
    const anonymous = await view('anonymous', DEMO_CLOSED_REVIEW);
    expect(anonymous).toMatchObject({ status: 'CLOSED', summary: { total: 2 }, findings: [] });
    // The close was announced, as the ReviewWatcher does: REVIEW_CLOSED in the event log, MODEL_REVIEW_CLOSED in the audit log.
    const events = (await t.hub.store.events.readAfter(0, 100_000)).filter((e) => e.recordId === DEMO_CLOSED_REVIEW);
    expect(events.map((e) => e.type)).toContain('REVIEW_CLOSED');
    expect((await t.hub.store.audit.find({ action: 'MODEL_REVIEW_CLOSED' })).map((a) => a.target?.id)).toEqual([DEMO_CLOSED_REVIEW]);
  });

  it('serves the closed review and its GREEN finding to the COMMUNITY member over TAXII, nothing of the open one', async () => {
    const origin = t.url.replace(/\/graphql$/, '');
    const res = await fetch(`${origin}/taxii2/hub/collections/model-risk-notices/objects/`, { headers: { accept: 'application/taxii+json;version=2.1', authorization: `Bearer ${tokens['demo-enterprise']}` } });
    const ids = ((await res.json()) as { objects: Array<{ id: string }> }).objects.map((o) => o.id);
    expect(ids).toEqual(expect.arrayContaining([DEMO_CLOSED_REVIEW, DEMO_FINDINGS.closedGreen]));
    for (const hidden of [DEMO_OPEN_REVIEW, DEMO_FINDINGS.openGreen, DEMO_FINDINGS.openAmber, DEMO_FINDINGS.openRed, DEMO_FINDINGS.closedAmber]) expect(ids).not.toContain(hidden);
  });
});
