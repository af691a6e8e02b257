import { makeExecutableSchema } from '@graphql-tools/schema';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyMinTier } from '../src/graphql/min-tier.js';
import { loadTypeDefs } from '../src/schema.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

let t: TestHub;
const tokens: Record<string, string | undefined> = {};
let indicatorId: string;
let noticeId: string;

const INDICATOR = `query($id: ID!) { indicator(id: $id) { id value source { id } sourceSector sightings { reporter { id } count } } }`;
const NOTICE = `query($id: ID!) { modelRiskNotice(id: $id) { id title source { id } mitigations technicalDetails evaluationEvidence affectedDeployments } }`;

beforeAll(async () => {
  t = await startTestHub({ config: { anonymousReads: true } });
  const publisher = t.member('ft-pub', 'COMMUNITY', { sector: 'energy' });
  t.member('ft-community', 'COMMUNITY');
  t.member('ft-trusted', 'TRUSTED');
  t.member('ft-core', 'CORE');
  const [result] = await publisher.publishes([{ value: 'field-tier-test.example', tlp: 'CLEAR', description: 'clear one' }]);
  indicatorId = result.indicator.id;
  tokens.PUBLIC = undefined;
  tokens.COMMUNITY = await t.token('ft-community', ['reader']);
  tokens.TRUSTED = await t.token('ft-trusted', ['reader']);
  tokens.CORE = await t.token('ft-core', ['reader']);
  tokens.OWNER = await t.token('ft-pub', ['reader', 'publisher']);
  await t.gql(`mutation($id: ID!) { reportSighting(indicatorId: $id, count: 3) { id } }`, { id: indicatorId }, { token: tokens.CORE });
  const notice = await t.gql(
    `mutation($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }`,
    {
      input: {
        title: 'Field tier notice', summary: 's', model: { name: 'M', developer: 'D' }, category: 'JAILBREAK', severity: 'HIGH',
        tlp: 'CLEAR', status: 'PUBLISHED', mitigations: 'mit', technicalDetails: 'tech', evaluationEvidence: 'eval', affectedDeployments: ['dep'],
      },
    },
    { token: tokens.OWNER },
  );
  noticeId = notice.body.data.publishModelRiskNotice.id;
});

describe('indicator fields by tier', () => {
  it.each([
    ['PUBLIC', { source: null, sourceSector: null, sightings: null }, ['Indicator.source', 'Indicator.sightings', 'Indicator.sourceSector']],
    ['COMMUNITY', { source: null, sourceSector: 'energy', sightings: null }, ['Indicator.sightings', 'Indicator.source']],
    ['TRUSTED', { source: { id: 'ft-pub' }, sourceSector: 'energy', sightings: [{ reporter: { id: 'ft-core' }, count: 3 }] }, undefined],
    ['CORE', { source: { id: 'ft-pub' }, sourceSector: 'energy', sightings: [{ reporter: { id: 'ft-core' }, count: 3 }] }, undefined],
    ['OWNER', { source: { id: 'ft-pub' }, sourceSector: 'energy', sightings: [{ reporter: { id: 'ft-core' }, count: 3 }] }, undefined],
  ])('shows a %s viewer exactly the indicator fields of its tier, and names what it withheld', async (tier, fields, redacted) => {
    const res = await t.gql(INDICATOR, { id: indicatorId }, { token: tokens[tier] });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.indicator).toEqual({ id: indicatorId, value: 'field-tier-test.example', ...fields });
    expect(res.body.extensions?.redacted).toEqual(redacted && [...redacted].sort());
  });

  it('lists each withheld coordinate once, however many records it withheld it from', async () => {
    const res = await t.gql(`{ indicators(first: 50) { edges { node { source { id } a: source { name } } } } }`, {}, { token: tokens.COMMUNITY });
    expect(res.body.extensions?.redacted).toEqual(['Indicator.source']);
  });
});

describe('notice fields by tier', () => {
  const all = { source: { id: 'ft-pub' }, mitigations: 'mit', technicalDetails: 'tech', evaluationEvidence: 'eval', affectedDeployments: ['dep'] };
  it.each([
    ['PUBLIC', { source: null, mitigations: null, technicalDetails: null, evaluationEvidence: null, affectedDeployments: null }],
    ['COMMUNITY', { source: null, mitigations: null, technicalDetails: null, evaluationEvidence: null, affectedDeployments: null }],
    ['TRUSTED', { source: { id: 'ft-pub' }, mitigations: 'mit', technicalDetails: 'tech', evaluationEvidence: null, affectedDeployments: null }],
    ['CORE', all],
    ['OWNER', all],
  ])('shows a %s viewer exactly the notice fields of its tier', async (tier, fields) => {
    const res = await t.gql(NOTICE, { id: noticeId }, { token: tokens[tier] });
    expect(res.body.data.modelRiskNotice).toEqual({ id: noticeId, title: 'Field tier notice', ...fields });
    for (const [name, value] of Object.entries(fields)) {
      if (value === null) expect(res.body.extensions?.redacted).toContain(`ModelRiskNotice.${name}`);
    }
  });
});

describe('filters and ordering on gated fields', () => {
  it.each([
    ['COMMUNITY', '{ indicators(filter: { source: ["ft-community"] }) { totalCount } }'],
    ['COMMUNITY', '{ indicators(orderBy: { field: SOURCE, direction: ASC }) { totalCount } }'],
    ['COMMUNITY', '{ modelRiskNotices(filter: { source: ["ft-pub"] }) { totalCount } }'],
    ['PUBLIC', '{ indicators(filter: { sourceSector: ["energy"] }) { totalCount } }'],
  ])('refuses a %s viewer with FORBIDDEN, even on its own records: %s', async (tier, query) => {
    const res = await t.gql(query, {}, { token: tokens[tier] });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(res.body.data).toBeNull();
  });

  it('refuses the publisher too when it is below the tier: the answer cannot depend on the data', async () => {
    const res = await t.gql('{ indicators(filter: { source: ["ft-pub"] }) { totalCount } }', {}, { token: tokens.OWNER });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('lets a TRUSTED viewer filter and sort by source and a COMMUNITY viewer filter by sector', async () => {
    const bySource = await t.gql('{ indicators(filter: { source: ["ft-pub"] }, orderBy: { field: SOURCE, direction: ASC }) { totalCount edges { node { id } } } }', {}, { token: tokens.TRUSTED });
    expect(bySource.body.data.indicators.totalCount).toBe(1);
    const bySector = await t.gql('{ indicators(filter: { sourceSector: ["energy"] }) { edges { node { id } } } }', {}, { token: tokens.COMMUNITY });
    expect(bySector.body.data.indicators.edges).toEqual([{ node: { id: indicatorId } }]);
  });

  it('refuses the same gated filter when it arrives in variables', async () => {
    const res = await t.gql('query($f: IndicatorFilter) { indicators(filter: $f) { totalCount } }', { f: { source: ['ft-pub'] } }, { token: tokens.COMMUNITY });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('over graphql-ws', () => {
  it('withholds the same fields and reports them in extensions.redacted', async () => {
    const client = t.wsClient(tokens.COMMUNITY);
    const result = await new Promise<any>((resolve, reject) => {
      client.subscribe({ query: INDICATOR, variables: { id: indicatorId } }, { next: resolve, error: reject, complete: () => {} });
    });
    expect(result.data.indicator.source).toBeNull();
    expect(result.data.indicator.sourceSector).toBe('energy');
    expect(result.extensions.redacted).toEqual(['Indicator.sightings', 'Indicator.source']);
  });
});

describe('the schema check', () => {
  it('refuses at startup a gated field that is non-null', () => {
    const typeDefs = [...loadTypeDefs(), 'extend type Query { leaky: String! @minTier(tier: CORE) }'];
    expect(() => applyMinTier(makeExecutableSchema({ typeDefs }))).toThrow(/Query\.leaky is gated by @minTier but non-null/);
  });
});
