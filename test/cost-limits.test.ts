/**
 * Directive overloading and the response budget (docs/limits.md, "Lists and cost"), over HTTP and
 * graphql-ws against the real hub: one error for an overloaded document, caps on every list a
 * member writes, and refusal, before anything runs, of a query whose answer could exceed the budget.
 */
import type { Client } from 'graphql-ws';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub-fixture.js';
import { overWs, type Answer } from './support/ws-answer.js';


/** A caller on one transport; over graphql-ws one socket per token. */
function caller(t: TestHub, transport: 'http' | 'ws') {
  const sockets = new Map<string, Client>();
  return async (query: string, variables?: Record<string, unknown>, token?: string): Promise<Answer> => {
    if (transport === 'http') {
      const res = await t.gql(query, variables, { token });
      return { status: res.status, data: res.body.data ?? undefined, errors: res.body.errors, text: res.text };
    }
    const key = token ?? 'anonymous';
    if (!sockets.has(key)) sockets.set(key, t.wsClient(token, { lazy: false }));
    return overWs(sockets.get(key)!, query, variables);
  };
}

const codes = (answer: Answer) => (answer.errors ?? []).map((e) => e.extensions?.code);

describe.each(['http', 'ws'] as const)('directive overloading over %s', (transport) => {
  let ask: ReturnType<typeof caller>;
  let token: string;
  beforeAll(async () => {
    const t = await startTestHub();
    token = await t.member('dir-member', 'TRUSTED').token(['reader']);
    ask = caller(t, transport);
  });

  it("answers graphql-cop's ten copies of one unknown directive on one field with one error", async () => {
    const a = await ask('query cop { __typename @aa@aa@aa@aa@aa@aa@aa@aa@aa@aa }', undefined, token);
    expect(codes(a)).toEqual(['TOO_MANY_DIRECTIVES']);
    expect(a.errors![0]!.message).toMatch(/@aa.*more than once/);
    expect(a.data).toBeUndefined();
    if (transport === 'http') expect(a.status).toBe(400);
  });

  it('refuses the same known directive twice on one field with one error', async () => {
    const a = await ask('{ viewer { tier @include(if: true) @include(if: true) } }', undefined, token);
    expect(codes(a)).toEqual(['TOO_MANY_DIRECTIVES']);
  });

  it('refuses a document over the directive budget with one error, even when every directive is unknown', async () => {
    const fields = Array.from({ length: 30 }, (_, i) => `a${i % 10}: __typename @d${i}`).join(' ');
    const a = await ask(`{ ${fields} }`, undefined, token);
    expect(codes(a)).toEqual(['TOO_MANY_DIRECTIVES']);
    expect(a.errors![0]!.message).toMatch(/Directives limit of 20 exceeded, found 30/);
  });

  it('still answers different directives on one field, and repeats on different fields', async () => {
    const a = await ask('{ viewer { tier @include(if: true) @skip(if: false) anonymous @include(if: true) } }', undefined, token);
    expect(a.errors).toBeUndefined();
    expect(a.data.viewer.tier).toBe('TRUSTED');
  });
});

const NOTICE = /* GraphQL */ `mutation ($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }`;
const UPDATE_NOTICE = /* GraphQL */ `mutation ($id: ID!, $input: ModelRiskNoticeUpdate!) { updateModelRiskNotice(id: $id, input: $input) { id } }`;
const notice = (overrides: Record<string, unknown> = {}) => ({
  title: 'Jailbreak on Test-Model',
  summary: 'A multi-turn jailbreak.',
  model: { name: 'Test-Model', developer: 'Test Lab' },
  category: 'JAILBREAK',
  severity: 'HIGH',
  tlp: 'GREEN',
  status: 'PUBLISHED',
  ...overrides,
});
const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('caps on the lists a member writes', () => {
  let t: TestHub;
  let lab: string;
  let related: string[];
  beforeAll(async () => {
    t = await startTestHub();
    const seeded = t.member('cap-lab', 'TRUSTED');
    lab = await seeded.token(['reader', 'publisher']);
    const published = await seeded.publishes(Array.from({ length: 101 }, (_, i) => ({ value: `198.51.${Math.floor(i / 200)}.${i % 200}` })));
    related = published.map((r) => r.indicator.id);
  });

  const refusal = async (query: string, variables: Record<string, unknown>) => {
    const res = await t.gql(query, variables, { token: lab });
    expect(res.body.errors).toHaveLength(1);
    return res.body.errors![0]!;
  };

  it('refuses a notice linking more than 100 indicators, naming the field and the cap', async () => {
    const error = await refusal(NOTICE, { input: notice({ relatedIndicatorIds: related }) });
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.relatedIndicatorIds' });
    expect(error.message).toMatch(/at most 100/);
    const ok = await t.gql(NOTICE, { input: notice({ relatedIndicatorIds: related.slice(0, 100) }) }, { token: lab });
    expect(ok.body.errors).toBeUndefined();
    const grown = await refusal(UPDATE_NOTICE, { id: ok.body.data.publishModelRiskNotice.id, input: { relatedIndicatorIds: related } });
    expect(grown.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.relatedIndicatorIds' });
  });

  it('refuses more than 20 affected deployments, or one longer than 200 characters', async () => {
    expect((await refusal(NOTICE, { input: notice({ affectedDeployments: ids(21, 'deployment') }) })).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.affectedDeployments',
    });
    expect((await refusal(NOTICE, { input: notice({ affectedDeployments: ['x'.repeat(201)] }) })).extensions?.field).toBe('input.affectedDeployments');
  });

  it('refuses more than 20 ATLAS techniques and more than 50 recipients on a notice', async () => {
    const atlas = Array.from({ length: 21 }, (_, i) => `AML.T${String(i).padStart(4, '0')}`);
    expect((await refusal(NOTICE, { input: notice({ atlasTechniques: atlas }) })).extensions?.field).toBe('input.atlasTechniques');
    const red = notice({ tlp: 'RED', recipients: ids(51, 'member') });
    expect((await refusal(NOTICE, { input: red })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.recipients' });
  });

  it('refuses a model name longer than 200 characters', async () => {
    const error = await refusal(NOTICE, { input: notice({ model: { name: 'm'.repeat(201), developer: 'Test Lab' } }) });
    expect(error.extensions?.field).toBe('input.model');
  });

  it('rejects, per item, an indicator shared with more than 50 recipients, and stores the others', async () => {
    const res = await t.gql(
      `mutation ($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { status error { code field message } } } }`,
      {
        input: {
          idempotencyKey: 'cap-recipients',
          indicators: [
            { value: '203.0.113.9', tlp: 'RED', recipients: ids(51, 'member'), severity: 'LOW', confidence: 10 },
            { value: '203.0.113.10', tlp: 'CLEAR', severity: 'LOW', confidence: 10 },
          ],
        },
      },
      { token: lab },
    );
    const [tooMany, fine] = res.body.data.publishIndicators.results;
    expect(tooMany).toMatchObject({ status: 'REJECTED', error: { code: 'TOO_MANY', field: 'recipients' } });
    expect(tooMany.error.message).toMatch(/at most 50/);
    expect(fine.status).toBe('CREATED');
  });
});

const INDICATOR_FIELDS = 'id type value submittedValue tlp severity confidence validFrom validUntil tags description sightingCount lastSeenAt revoked revokedReason createdAt updatedAt';

describe.each(['http', 'ws'] as const)('the response budget over %s', (transport) => {
  let t: TestHub;
  let ask: ReturnType<typeof caller>;
  let community: string;
  beforeAll(async () => {
    t = await startTestHub();
    community = await t.member('budget-community', 'COMMUNITY').token(['reader']);
    ask = caller(t, transport);
  });

  it('refuses, before it runs, notices with their related indicators in full: lists are weighed by their caps', async () => {
    const query = `{ modelRiskNotices(first: 100) { edges { node { id relatedIndicators { ${INDICATOR_FIELDS} } } } } }`;
    const a = await ask(query, undefined, community);
    expect(codes(a)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(a.errors![0]!.message).toMatch(/over the response budget: .* more than (200,000 items|64,000,000 characters)/);
    expect(a.data).toBeUndefined();
    if (transport === 'http') expect(a.status).toBe(400);
  });

  it('weighs a page size given by a variable by its value', async () => {
    const page = `indicators(first: $n) { edges { node { ${INDICATOR_FIELDS} recipients } } }`;
    const two = `query($n: Int) { a: ${page} b: ${page} c: ${page} d: ${page} e: ${page} f: ${page} }`;
    expect(codes(await ask(two, { n: 500 }, community))).toEqual(['QUERY_TOO_COMPLEX']);
    expect((await ask(two, { n: 10 }, community)).errors).toBeUndefined();
  });

  it('weighs a lookup by its number of values and each value by its claims cap', async () => {
    const lookup = `query($v: [String!]!) { lookupIndicators(values: $v) { input known indicators { ${INDICATOR_FIELDS} } } }`;
    const values = (n: number) => Array.from({ length: n }, (_, i) => `198.51.100.${i % 256}`);
    expect(codes(await ask(lookup, { v: values(1_000) }, community))).toEqual(['QUERY_TOO_COMPLEX']);
    expect((await ask(lookup, { v: values(100) }, community)).errors).toBeUndefined();
  });

  it('keeps a verdict per number of values, never per contents: a longer list of the same document is weighed again', async () => {
    // Verdicts are kept per document and shape of the variables (query-cost.ts): lengths are part of the shape.
    const lookup = `query($few: [String!]!) { lookupIndicators(values: $few) { input known indicators { ${INDICATOR_FIELDS} } } }`;
    const values = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}.${i % 256}`);
    expect((await ask(lookup, { few: values(100, '198.51.100') }, community)).errors).toBeUndefined();
    expect((await ask(lookup, { few: values(100, '203.0.113') }, community)).errors).toBeUndefined();
    expect(codes(await ask(lookup, { few: values(1_000, '198.51.100') }, community))).toEqual(['QUERY_TOO_COMPLEX']);
  });

  it('keeps no verdict from variables that failed coercion: the same number of good values is still refused', async () => {
    const lookup = `query($bad: [String!]!) { lookupIndicators(values: $bad) { input known indicators { ${INDICATOR_FIELDS} } } }`;
    const values = Array.from({ length: 1_000 }, (_, i) => `198.51.100.${i % 256}`);
    const a = await ask(lookup, { bad: [...values.slice(1), 7] }, community);
    expect(codes(a)).toEqual(['BAD_USER_INPUT']);
    expect(a.errors![0]!.extensions?.field).toBe('bad[999]');
    expect(codes(await ask(lookup, { bad: values }, community))).toEqual(['QUERY_TOO_COMPLEX']);
  });

  it('lets a variable that fails coercion through to its usual BAD_USER_INPUT', async () => {
    const a = await ask('query($n: Int) { indicators(first: $n) { totalCount } }', { n: 'many' }, community);
    expect(codes(a)).toEqual([transport === 'http' ? 'BAD_USER_INPUT' : expect.any(String)]);
  });
});

describe('the abuse the response budget stops (issue 9)', () => {
  it('refuses the many-aliased notices-with-related-indicators query that answered megabytes with 200', async () => {
    const t = await startTestHub();
    const lab = t.member('abuse-lab', 'TRUSTED');
    const labToken = await lab.token(['reader', 'publisher']);
    const community = await t.member('abuse-community', 'COMMUNITY').token(['reader']);
    // 100 indicators with long values and descriptions (well within every cap), linked by 3 notices.
    const published = await lab.publishes(
      Array.from({ length: 100 }, (_, i) => ({ value: `http://example.com/${'a'.repeat(1_900)}/${i}`, description: 'd'.repeat(4_000) })),
    );
    const related = published.map((r) => r.indicator.id);
    for (let i = 0; i < 3; i++) {
      const res = await t.gql(NOTICE, { input: notice({ relatedIndicatorIds: related }) }, { token: labToken });
      expect(res.body.errors).toBeUndefined();
    }
    // 3 KB of query; without the budget it answered about 15 x 3 x 100 x 8 KB = 36 MB.
    const page = `modelRiskNotices(first: 50) { edges { node { id relatedIndicators { value submittedValue description } } } }`;
    const query = `{ ${Array.from({ length: 15 }, (_, i) => `n${i}: ${page}`).join(' ')} }`;
    expect(query.length).toBeLessThan(3_000);
    const started = Date.now();
    const res = await t.gql(query, undefined, { token: community });
    expect(res.status).toBe(400);
    expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(res.text.length).toBeLessThan(1_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    // A page of three of the same is within the budget (2.4 million characters at most) and answered.
    const one = await t.gql(`{ ${page.replace('first: 50', 'first: 3')} }`, undefined, { token: community });
    expect(one.body.errors).toBeUndefined();
    expect(one.body.data.modelRiskNotices.edges).toHaveLength(3);
  });
});

describe('lists capped where they are read', () => {
  it('serves the newest 100 sightings of an indicator, sightingCount counting them all', async () => {
    const t = await startTestHub();
    const lab = t.member('sight-lab', 'TRUSTED');
    const token = await lab.token(['reader', 'publisher']);
    const [{ indicator }] = await lab.publishes([{ value: '192.0.2.77' }]);
    const report = `mutation ($id: ID!, $at: DateTime) { reportSighting(indicatorId: $id, seenAt: $at) { id } }`;
    for (let i = 0; i < 101; i++) await t.gql(report, { id: indicator.id, at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() }, { token });
    const res = await t.gql(`query ($id: ID!) { indicator(id: $id) { sightingCount sightings { seenAt } } }`, { id: indicator.id }, { token });
    expect(res.body.data.indicator.sightingCount).toBe(101);
    expect(res.body.data.indicator.sightings).toHaveLength(100);
  });

  it('serves at most 20 claims per looked-up value, and still says the value is known', async () => {
    const t = await startTestHub();
    for (let i = 0; i < 21; i++) await t.member(`claim-${i}`, 'TRUSTED').publishes([{ value: '192.0.2.88' }]);
    const reader = await t.member('claim-reader', 'TRUSTED').token(['reader']);
    const res = await t.gql(`{ lookupIndicators(values: ["192.0.2.88"]) { known indicators { id } } }`, undefined, { token: reader });
    expect(res.body.data.lookupIndicators[0].known).toBe(true);
    expect(res.body.data.lookupIndicators[0].indicators).toHaveLength(20);
  });
});

describe('the size table', () => {
  it('refuses to start with a list field the cost analysis does not know', async () => {
    const { buildSchema: fromSdl } = await import('graphql');
    const { assertEveryListSized } = await import('../src/http/field-sizes.js');
    expect(() => assertEveryListSized(fromSdl('type Query { things: [String!]! }'))).toThrow(/Query\.things/);
  });
});
