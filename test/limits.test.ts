/**
 * Abuse limits (docs/limits.md), each exercised over HTTP and over graphql-ws against the real
 * server: document limits (depth, aliases, directives, tokens, cost, validation errors),
 * introspection, the per-member rate limit, the execution time limit, and the transport limits
 * (HTTP batching; WebSocket message size and operations per socket).
 */
import { getIntrospectionQuery, Lexer, Source, TokenKind } from 'graphql';
import type { Client } from 'graphql-ws';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type HubConfig } from '../src/config.js';
import type { IndicatorInput } from '../src/domain/types.js';
import { DOCUMENT_LIMITS } from '../src/http/limits.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

type Transport = 'http' | 'ws';

interface Answer {
  /** HTTP status; 0 over WebSocket. */
  status: number;
  headers?: Headers;
  data?: any;
  errors?: Array<{ message: string; extensions?: Record<string, any> }>;
  /** Everything the caller received, for "no trace of X" assertions. */
  text: string;
}

/** One operation over graphql-ws: a `next` result, or the errors of an `error` message. */
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

/** A graphql-ws client that connects at once and keeps its one socket; `closes` counts its closings. */
function socket(t: TestHub, token?: string): { client: Client; closes: () => number } {
  const client = t.wsClient(token, { lazy: false });
  let closes = 0;
  client.on('closed', () => void closes++);
  return { client, closes: () => closes };
}

/**
 * A caller on one transport: sends one operation as the given token (or anonymously). Over
 * graphql-ws each token keeps one socket; `socketsClosed` says whether any of them was closed.
 */
function caller(t: TestHub, transport: Transport) {
  const sockets = new Map<string, ReturnType<typeof socket>>();
  const ask = async (query: string, variables?: Record<string, unknown>, token?: string): Promise<Answer> => {
    if (transport === 'http') {
      const res = await t.gql(query, variables, { token });
      return { status: res.status, headers: res.headers, data: res.body.data ?? undefined, errors: res.body.errors, text: res.text };
    }
    const key = token ?? 'anonymous';
    if (!sockets.has(key)) sockets.set(key, socket(t, token));
    return overWs(sockets.get(key)!.client, query, variables);
  };
  return Object.assign(ask, { socketsClosed: () => [...sockets.values()].some((s) => s.closes() > 0) });
}

const codes = (answer: Answer) => (answer.errors ?? []).map((e) => e.extensions?.code);

/** `__type` lets a query nest as deep as we like: `{ __type { fields { type { ofType ... } } } }` is `depth` levels. */
function nested(depth: number): string {
  return `{ __type(name: "Query") { fields { type { ${'ofType { '.repeat(depth - 4)}name${' }'.repeat(depth - 4)} } } } }`;
}

function tokenCount(document: string): number {
  const lexer = new Lexer(new Source(document));
  let n = 0;
  while (lexer.advance().kind !== TokenKind.EOF) n++;
  return n;
}

/** Two lookups (at most 1,000 values each) making a document of `total` tokens: 26 plus one per value. */
function lookupOfTokens(total: number): string {
  const values = (n: number, p: string) => Array.from({ length: n }, (_, i) => `"${p}${i}"`).join(' ');
  const a = Math.min(1_000, total - 26);
  return `{ a: lookupIndicators(values: [${values(a, 'a')}]) { known } b: lookupIndicators(values: [${values(total - 26 - a, 'b')}]) { known } }`;
}

const ALL_FIELDS = 'id type value submittedValue tlp recipients severity confidence validFrom validUntil tags description sightingCount lastSeenAt revoked revokedReason createdAt updatedAt source { id name }';
const FULL_PAGE = `{ indicators(first: 500) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${ALL_FIELDS} } } } }`;

async function startHub(config: Partial<HubConfig> = {}): Promise<{ t: TestHub; member: string; other: string }> {
  const t = await startTestHub({ config: { anonymousReads: true, ...config } });
  const member = await t.member('lim-member', 'TRUSTED').token(['reader', 'publisher']);
  const other = await t.member('lim-other', 'COMMUNITY').token(['reader']);
  return { t, member, other };
}

describe.each(['http', 'ws'] as const)('document limits over %s', (transport) => {
  let ask: ReturnType<typeof caller>;
  let member: string;
  beforeAll(async () => {
    const hub = await startHub();
    ask = caller(hub.t, transport);
    member = hub.member;
  });

  const refused = async (answer: Promise<Answer>, code: string) => {
    const a = await answer;
    expect(codes(a)).toEqual([code]);
    expect(a.data).toBeUndefined();
    if (transport === 'http') expect(a.status).toBe(400);
    return a;
  };

  it(`answers a query exactly ${DOCUMENT_LIMITS.depth} levels deep`, async () => {
    const a = await ask(nested(10), {}, member);
    expect(a.errors).toBeUndefined();
    expect(a.data.__type.fields.length).toBeGreaterThan(0);
  });

  it('refuses a query 11 levels deep with QUERY_TOO_DEEP, and counts fragments as no level', async () => {
    const a = await refused(ask(nested(11), {}, member), 'QUERY_TOO_DEEP');
    expect(a.errors![0]!.message).toMatch(/depth limit of 10 exceeded, found 11/);
    const viaFragments = `query { ...Q } fragment Q on Query { ... on Query { ${nested(10).slice(1, -1)} } }`;
    expect((await ask(viaFragments, {}, member)).errors).toBeUndefined();
  });

  it('answers 15 aliases', async () => {
    const aliases = Array.from({ length: 15 }, (_, i) => `a${i}: __typename`).join(' ');
    expect((await ask(`{ ${aliases} }`, {}, member)).data.a14).toBe('Query');
  });

  it('refuses a 16th alias with TOO_MANY_ALIASES, aliases of __typename and inside fragments included', async () => {
    const aliases = Array.from({ length: 8 }, (_, i) => `t${i}: __typename`).join(' ');
    const inFragment = Array.from({ length: 8 }, (_, i) => `v${i}: viewer { tier }`).join(' ');
    const a = await refused(ask(`{ ${aliases} ...F } fragment F on Query { ${inFragment} }`, {}, member), 'TOO_MANY_ALIASES');
    expect(a.errors![0]!.message).toMatch(/Aliases limit of 15 exceeded, found 16/);
  });

  it('answers 20 directives and refuses a 21st with TOO_MANY_DIRECTIVES', async () => {
    const tiers = (n: number) => `{ viewer { ${'tier @include(if: true) '.repeat(n)} } }`;
    expect((await ask(tiers(20), {}, member)).data.viewer.tier).toBe('TRUSTED');
    const a = await refused(ask(tiers(21), {}, member), 'TOO_MANY_DIRECTIVES');
    expect(a.errors![0]!.message).toMatch(/Directives limit of 20 exceeded, found 21/);
  });

  it('answers a document of exactly 2,000 tokens', async () => {
    const document = lookupOfTokens(2_000);
    expect(tokenCount(document)).toBe(2_000);
    const a = await ask(document, {}, member);
    expect(a.errors).toBeUndefined();
    expect(a.data.b).toHaveLength(974);
  });

  it('refuses a document of 2,001 tokens with TOO_MANY_TOKENS', async () => {
    const document = lookupOfTokens(2_001);
    expect(tokenCount(document)).toBe(2_001);
    const a = await refused(ask(document, {}, member), 'TOO_MANY_TOKENS');
    expect(a.errors![0]!.message).toMatch(/more th(an|at) 2000 tokens/);
  });

  it('answers a full 500-item page with every field, and a 1,000-value lookup given as a variable asking what a SIEM needs', async () => {
    expect((await ask(FULL_PAGE, {}, member)).errors).toBeUndefined();
    const values = Array.from({ length: 1_000 }, (_, i) => `198.51.100.${i % 256}`);
    const lookup = await ask(`query($v: [String!]!) { lookupIndicators(values: $v) { input normalized type known indicators { id value tlp severity confidence } } }`, { v: values }, member);
    expect(lookup.errors).toBeUndefined();
    expect(lookup.data.lookupIndicators).toHaveLength(1_000);
  });

  it('answers four full pages in one query and refuses five with QUERY_TOO_COMPLEX: their answer could exceed the response budget', async () => {
    const page = FULL_PAGE.slice(1, -1);
    const pages = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `p${i}: ${page}`).join(' ')} }`;
    expect((await ask(pages(4), {}, member)).errors).toBeUndefined();
    const a = await refused(ask(pages(5), {}, member), 'QUERY_TOO_COMPLEX');
    expect(a.errors![0]!.message).toMatch(/over the response budget: the answer could hold 242,500 items, more than 200,000 items/);
  });

  it('weighs a page size given by a variable by its value, so a variable cannot hide the cost', async () => {
    const page = `indicators(first: $n) { edges { node { ${ALL_FIELDS} } } }`;
    const eight = Array.from({ length: 8 }, (_, i) => `p${i}: ${page}`).join(' ');
    await refused(ask(`query($n: Int) { ${eight} }`, { n: 500 }, member), 'QUERY_TOO_COMPLEX');
    expect((await ask(`query($n: Int) { ${eight} }`, { n: 1 }, member)).errors).toBeUndefined();
  });

  it('answers 200 unknown fields with at most 25 errors, the last saying the rest were left out, and no suggestions', async () => {
    const fields = Array.from({ length: 200 }, (_, i) => `indicatorz${i}`).join(' ');
    const a = await ask(`{ ${fields} }`, {}, member);
    expect(a.errors).toHaveLength(DOCUMENT_LIMITS.validationErrors);
    expect(codes(a).slice(0, 24).every((c) => c === 'GRAPHQL_VALIDATION_FAILED')).toBe(true);
    expect(codes(a)[24]).toBe('TOO_MANY_VALIDATION_ERRORS');
    expect(a.text).not.toMatch(/Did you mean/);
    if (transport === 'http') expect(a.status).toBe(400);
  });

  it('does not echo a 100,000-character field name back', async () => {
    const a = await ask(`{ ${'x'.repeat(100_000)} }`, {}, member);
    expect(codes(a)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(a.text.length).toBeLessThan(1_000);
  });
});

describe.each(['http', 'ws'] as const)('introspection over %s', (transport) => {
  let on: ReturnType<typeof caller>;
  let off: ReturnType<typeof caller>;
  let onMember: string;
  let offMember: string;
  beforeAll(async () => {
    const [a, b] = await Promise.all([startHub(), startHub({ introspection: false })]);
    [on, onMember, off, offMember] = [caller(a.t, transport), a.member, caller(b.t, transport), b.member];
  });

  it("answers GraphiQL's full introspection query for a member", async () => {
    const a = await on(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }), {}, onMember);
    expect(a.errors).toBeUndefined();
    expect(a.data.__schema.types.map((t: { name: string }) => t.name)).toContain('Indicator');
  });

  it('refuses a member a recursive introspection query, which the depth limit does not count', async () => {
    const a = await on('{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }', {}, onMember);
    expect(codes(a)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(a.errors![0]!.message).toMatch(/Maximum introspection depth exceeded/);
  });

  it('refuses introspection to an anonymous caller with UNAUTHENTICATED, naming nothing in the schema', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Indicator") { fields { name } } }']) {
      const a = await on(query);
      expect(codes(a)).toEqual(['UNAUTHENTICATED']);
      expect(a.data).toBeUndefined();
      expect(a.text).not.toMatch(/Indicator"|IndicatorType|ModelRiskNotice/);
      if (transport === 'http') expect(a.status).toBe(401);
    }
  });

  it('answers __typename to an anonymous caller: it is not introspection', async () => {
    expect((await on('{ __typename viewer { __typename anonymous } }')).data).toEqual({ __typename: 'Query', viewer: { __typename: 'Viewer', anonymous: true } });
  });

  it('refuses introspection to everyone with FORBIDDEN when the hub turns it off, and still answers __typename', async () => {
    for (const token of [offMember, undefined]) {
      const a = await off('{ __schema { queryType { name } } }', {}, token);
      expect(codes(a)).toEqual(['FORBIDDEN']);
      if (transport === 'http') expect(a.status).toBe(403);
    }
    expect((await off('{ __typename }', {}, offMember)).data).toEqual({ __typename: 'Query' });
  });
});

describe.each(['http', 'ws'] as const)('the per-member rate limit over %s', (transport) => {
  let hub: Awaited<ReturnType<typeof startHub>>;
  let ask: ReturnType<typeof caller>;
  beforeAll(async () => {
    // 60 a minute is one a second; a burst of 3.
    hub = await startHub({ rateLimitPerMinute: 60, rateLimitBurst: 3 });
    ask = caller(hub.t, transport);
  });

  it('refuses the request after the burst with RATE_LIMITED and how long to wait, then serves again after that', async () => {
    for (let i = 0; i < 3; i++) expect((await ask('{ viewer { tier } }', {}, hub.member)).errors).toBeUndefined();
    const refused = await ask('{ viewer { tier } }', {}, hub.member);
    expect(codes(refused)).toEqual(['RATE_LIMITED']);
    expect(refused.data).toBeUndefined();
    const retryAfter = refused.errors![0]!.extensions!.retryAfter;
    expect(retryAfter).toBe(1);
    if (transport === 'http') {
      expect(refused.status).toBe(429);
      expect(refused.headers!.get('retry-after')).toBe('1');
    }
    // A member's other buckets are not touched, and the same socket serves again once it may.
    expect((await ask('{ viewer { tier } }', {}, hub.other)).errors).toBeUndefined();
    await new Promise((r) => setTimeout(r, retryAfter * 1000 + 50));
    expect((await ask('{ viewer { tier } }', {}, hub.member)).data).toEqual({ viewer: { tier: 'TRUSTED' } });
    expect(ask.socketsClosed()).toBe(false);
  });

  it('limits anonymous callers by IP address', async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await ask('{ viewer { anonymous } }'));
    expect(answers.map((a) => codes(a)[0] ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED']);
  });
});

describe('the rate limit across transports', () => {
  it("draws HTTP requests and WebSocket operations from the same member's bucket", async () => {
    const { t, member } = await startHub({ rateLimitPerMinute: 1, rateLimitBurst: 3 });
    const http = caller(t, 'http');
    const ws = caller(t, 'ws');
    expect((await http('{ viewer { tier } }', {}, member)).errors).toBeUndefined();
    expect((await ws('{ viewer { tier } }', {}, member)).errors).toBeUndefined();
    expect((await http('{ viewer { tier } }', {}, member)).errors).toBeUndefined();
    expect(codes(await ws('{ viewer { tier } }', {}, member))).toEqual(['RATE_LIMITED']);
    expect((await http('{ viewer { tier } }', {}, member)).status).toBe(429);
  });
});

describe.each(['http', 'ws'] as const)('the execution time limit over %s', (transport) => {
  let hub: Awaited<ReturnType<typeof startHub>>;
  beforeAll(async () => {
    // A real, slow-enough operation: a 500-item page (500 sealed cursors and source look-ups)
    // takes well over 1 ms. Seeded through the service: a publish over GraphQL would time out too.
    hub = await startHub({ executionTimeoutMs: 1 });
    const viewer = { kind: 'member', memberId: 'lim-member', userId: 'seed@lim-member', roles: ['publisher'], tier: 'TRUSTED' } as const;
    const indicators = Array.from({ length: 500 }, (_, i): IndicatorInput => ({ value: `slow-${i}.example`, tlp: 'CLEAR', severity: 'LOW', confidence: 50 }));
    await hub.t.hub.services.indicators.publish(viewer, { idempotencyKey: 'lim-seed', indicators });
  });

  it('answers an operation that runs past the limit with one EXECUTION_TIMEOUT error and no data', async () => {
    const a = await caller(hub.t, transport)('{ indicators(first: 500) { edges { cursor node { id value source { name } } } } }', {}, hub.member);
    expect(a.errors).toEqual([{ message: 'The operation ran longer than the 1 ms execution limit', extensions: { code: 'EXECUTION_TIMEOUT' } }]);
    expect(a.data).toBeUndefined();
    if (transport === 'http') expect(a.status).toBe(503);
  });
});

describe('HTTP transport limits', () => {
  let t: TestHub;
  let member: string;
  beforeAll(async () => ({ t, member } = await startHub()));

  it('refuses a batch (a JSON array body) with 400 and runs none of it', async () => {
    const mutation = 'mutation { publishIndicators(input: { idempotencyKey: "batched", indicators: [{ value: "batched.example" }] }) { created } }';
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${member}` },
      body: JSON.stringify([{ query: mutation }, { query: '{ viewer { tier } }' }]),
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(body.errors[0].message).toMatch(/batching/i);
    const after = await t.gql('{ lookupIndicators(values: ["batched.example"]) { known } }', {}, { token: member });
    expect(after.body.data.lookupIndicators[0].known).toBe(false);
  });
});

describe('WebSocket transport limits', () => {
  let t: TestHub;
  let member: string;
  beforeAll(async () => ({ t, member } = await startHub({ wsMaxOperations: 2 })));

  it('closes the socket with 1009 on a message over 1 MB', async () => {
    const client = t.wsClient(member);
    const closed = new Promise<number>((resolve) => client.on('closed', (event) => resolve((event as { code: number }).code)));
    const outcome = overWs(client, '{ viewer { tier } }', { pad: 'x'.repeat(1024 * 1024) }).catch(() => 'refused');
    expect(await closed).toBe(1009);
    expect(await outcome).toBe('refused');
  });

  it('answers a message just under 1 MB', async () => {
    const a = await overWs(t.wsClient(member), 'query($v: [String!]!) { lookupIndicators(values: $v) { known normalized } }', { v: ['x'.repeat(1000 * 1000)] });
    expect(a.data).toEqual({ lookupIndicators: [{ known: false, normalized: null }] });
  });

  it('refuses operations past the per-socket cap with TOO_MANY_OPERATIONS and keeps the socket open', async () => {
    const { client, closes } = socket(t, member);
    await overWs(client, '{ __typename }'); // connected and acknowledged
    // Sent in one tick, the four subscribe messages arrive together: two run, two are refused.
    const answers = await Promise.all(Array.from({ length: 4 }, () => overWs(client, '{ viewer { tier } }')));
    expect(answers.map((a) => codes(a)[0] ?? 'ok').sort()).toEqual(['TOO_MANY_OPERATIONS', 'TOO_MANY_OPERATIONS', 'ok', 'ok']);
    expect((await overWs(client, '{ viewer { tier } }')).data).toEqual({ viewer: { tier: 'TRUSTED' } });
    expect(closes()).toBe(0);
  });
});

describe('limit settings', () => {
  it('reads the limits from the environment, with generous defaults', () => {
    const defaults = parseConfig({});
    expect(defaults).toMatchObject({ introspection: true, rateLimitPerMinute: 600, rateLimitBurst: 300, executionTimeoutMs: 10_000, wsMaxOperations: 50 });
    const set = parseConfig({ HUB_INTROSPECTION: 'false', HUB_RATE_LIMIT: '0', HUB_RATE_LIMIT_BURST: '5', HUB_EXECUTION_TIMEOUT: '500ms', HUB_WS_MAX_OPERATIONS: '3' });
    expect(set).toMatchObject({ introspection: false, rateLimitPerMinute: 0, rateLimitBurst: 5, executionTimeoutMs: 500, wsMaxOperations: 3 });
  });

  it('refuses a bad limit setting with a message naming it', () => {
    expect(() => parseConfig({ HUB_RATE_LIMIT: '-1', HUB_WS_MAX_OPERATIONS: 'many', HUB_EXECUTION_TIMEOUT: 'soon' })).toThrow(
      /HUB_RATE_LIMIT: HUB_RATE_LIMIT must be at least 0[\s\S]*HUB_EXECUTION_TIMEOUT[\s\S]*HUB_WS_MAX_OPERATIONS must be a whole number/,
    );
  });
});
