/**
 * Directive overloading and the response budget (docs/limits.md, "Lists and cost"), over HTTP and
 * graphql-ws against the real hub: one error for an overloaded document, caps on every list a
 * member writes, and refusal, before anything runs, of a query whose answer could exceed the budget.
 */
import type { Client } from 'graphql-ws';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

interface Answer {
  /** HTTP status; 0 over WebSocket. */
  status: number;
  data?: any;
  errors?: Array<{ message: string; extensions?: Record<string, any> }>;
  text: string;
}

function overWs(client: Client, query: string, variables?: Record<string, unknown>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answer: Answer | undefined;
    client.subscribe(
      { query, variables },
      {
        next: (result) => void (answer = { status: 0, data: result.data ?? undefined, errors: result.errors as Answer['errors'], text: JSON.stringify(result) }),
        error: (err) => (Array.isArray(err) ? resolve({ status: 0, errors: err, text: JSON.stringify(err) }) : reject(err)),
        complete: () => (answer ? resolve(answer) : reject(new Error('completed without a result'))),
      },
    );
  });
}

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
