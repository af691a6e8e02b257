/**
 * One edge for every transport: the same mistakes and abuses sent over HTTP and graphql-ws (and
 * TAXII where it applies) get the same `extensions.code`, message and `field`; unexpected
 * failures are masked, logged once with the request id and never close a socket with 4401; what
 * a client sends is never logged unclipped nor at error level; and no error message built from
 * client text can block the event loop.
 */
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Client } from 'graphql-ws';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HubConfig } from '../src/config.js';
import type { IndicatorInput } from '../src/domain/types.js';
import { codeOfClose, codeOfStatus, httpStatusOf } from '../src/edge/error-catalogue.js';
import type { RequestObserver } from '../src/edge/request-observer.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

/** What a caller learnt, on any transport: the first error, or how the socket was closed. */
interface Outcome {
  code: string;
  message: string;
  field?: string;
  /** HTTP status (HTTP and TAXII). */
  status?: number;
  /** graphql-ws close code, when the hub closed the socket instead of answering. */
  close?: number;
  /** Everything received, for size checks. */
  text: string;
}

/** A hub whose log lines are kept, parsed, for assertions. */
async function loggedHub(config: Partial<HubConfig>): Promise<{ t: TestHub; logs: Array<Record<string, any>> }> {
  const logs: Array<Record<string, any>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) logs.push({ ...JSON.parse(line), length: line.length });
      done();
    },
  });
  const t = await startTestHub({ config: { anonymousReads: true, ...config }, logger: pino({ level: 'debug' }, sink) });
  return { t, logs };
}

function firstError(body: any, text: string, extra: Partial<Outcome>): Outcome {
  const error = body?.errors?.[0];
  if (!error) return { code: 'OK', message: '', text, ...extra };
  return { code: error.extensions?.code, message: error.message, ...(error.extensions?.field ? { field: error.extensions.field } : {}), text, ...extra };
}

async function overHttp(t: TestHub, query: string, variables?: Record<string, unknown>, token?: string): Promise<Outcome> {
  const res = await t.gql(query, variables, { token });
  return firstError(res.body, res.text, { status: res.status });
}

/** One operation on a fresh socket (or on `client`): the first error or result, or the close the hub ended it with. */
function overWs(t: TestHub, query: string, variables?: Record<string, unknown>, token?: string, client: Client = t.wsClient(token)): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let result: Outcome | undefined;
    client.subscribe(
      { query, variables },
      {
        next: (r) => void (result ??= firstError(r, JSON.stringify(r), {})),
        error: (err) => {
          if (Array.isArray(err)) return resolve(firstError({ errors: err }, JSON.stringify(err), {}));
          const close = err as { code?: number; reason?: string };
          if (typeof close.code === 'number') return resolve({ code: codeOfClose(close.code) ?? String(close.code), message: close.reason ?? '', close: close.code, text: close.reason ?? '' });
          reject(err);
        },
        complete: () => (result ? resolve(result) : reject(new Error('completed without a result'))),
      },
    );
  });
}

async function overTaxii(t: TestHub, token?: string): Promise<Outcome> {
  const res = await fetch(`http://127.0.0.1:${t.hub.port}/taxii2/`, {
    headers: { accept: 'application/taxii+json;version=2.1', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  const text = await res.text();
  const body = JSON.parse(text);
  return { code: codeOfStatus(res.status), message: res.status === 200 ? '' : body.description, status: res.status, text };
}

type HubName = 'open' | 'closed' | 'limited' | 'slow' | 'nointro';

interface Row {
  name: string;
  hub: HubName;
  query: string;
  variables?: Record<string, unknown>;
  /** Who asks: a member (a fresh one per transport where buckets matter), anonymous, or a member whose registry row breaks authentication or the read path. */
  as: 'member' | 'anonymous' | 'fresh-member' | 'broken-auth' | 'broken-read';
  /** Requests to send before the one asserted (same caller, same transport), e.g. to spend a bucket. */
  before?: number;
  code: string;
  message: string | RegExp;
  field?: string;
  /** The graphql-ws close code, when the socket must close instead of answering. */
  close?: number;
  /** The HTTP status; default the catalogue's for `code`. */
  status?: number;
  /** Whether TAXII admits the same caller the same way (admission rows). */
  taxii?: boolean;
}

const nested = (depth: number) => `{ __type(name: "Query") { fields { type { ${'ofType { '.repeat(depth - 4)}name${' }'.repeat(depth - 4)} } } } }`;
const tokens = (n: number) => `{ a: lookupIndicators(values: [${Array.from({ length: Math.min(1_000, n - 26) }, (_, i) => `"a${i}"`).join(' ')}]) { known } b: lookupIndicators(values: [${Array.from({ length: n - 26 - Math.min(1_000, n - 26) }, (_, i) => `"b${i}"`).join(' ')}]) { known } }`;
const FULL_PAGE = '{ totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id type value submittedValue tlp recipients severity confidence validFrom validUntil tags description sightingCount lastSeenAt revoked revokedReason createdAt updatedAt source { id name } } } }';

const ROWS: Row[] = [
  { name: 'an unknown field', hub: 'open', as: 'member', query: '{ indicatorz }', code: 'GRAPHQL_VALIDATION_FAILED', message: 'Cannot query field "indicatorz" on type "Query".' },
  {
    name: 'a bad enum value',
    hub: 'open',
    as: 'member',
    query: '{ indicators(first: 1, orderBy: { field: NEWEST }) { totalCount } }',
    code: 'GRAPHQL_VALIDATION_FAILED',
    message: 'Value "NEWEST" does not exist in "IndicatorOrderField" enum.',
  },
  {
    name: 'a variable failing coercion',
    hub: 'open',
    as: 'member',
    query: 'query($order: IndicatorOrder) { indicators(first: 1, orderBy: $order) { totalCount } }',
    variables: { order: { field: 'NEWEST' } },
    code: 'BAD_USER_INPUT',
    message: /^Variable "\$order" got invalid value "NEWEST" at "order\.field"; Value "NEWEST" does not exist in "IndicatorOrderField" enum\.$/,
    field: 'order.field',
  },
  {
    name: 'a missing required variable',
    hub: 'open',
    as: 'member',
    query: 'query($v: [String!]!) { lookupIndicators(values: $v) { known } }',
    code: 'BAD_USER_INPUT',
    message: 'Variable "$v" of required type "[String!]!" was not provided.',
    field: 'v',
  },
  { name: 'a query too deep', hub: 'open', as: 'member', query: nested(11), code: 'QUERY_TOO_DEEP', message: /depth/i },
  { name: 'too many aliases', hub: 'open', as: 'member', query: `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: __typename`).join(' ')} }`, code: 'TOO_MANY_ALIASES', message: /alias/i },
  {
    name: 'one directive repeated on a field',
    hub: 'open',
    as: 'member',
    query: `{ __typename ${'@include(if: true) '.repeat(10)}}`,
    code: 'TOO_MANY_DIRECTIVES',
    message: 'The directive "@include" is used more than once in one place (once per field, fragment or operation)',
  },
  {
    name: 'directives over the budget',
    hub: 'open',
    as: 'member',
    query: `{ ${'... @include(if: true) { __typename } '.repeat(21)}}`,
    code: 'TOO_MANY_DIRECTIVES',
    message: /directive/i,
  },
  {
    name: 'a query too costly',
    hub: 'open',
    as: 'member',
    query: `{ ${Array.from({ length: 7 }, (_, i) => `p${i}: indicators(first: 500) ${FULL_PAGE}`).join(' ')} }`,
    code: 'QUERY_TOO_COMPLEX',
    message: /cost/i,
  },
  {
    name: 'an answer over the response budget, sized by a variable',
    hub: 'open',
    as: 'member',
    query: `query($n: Int) { ${Array.from({ length: 5 }, (_, i) => `p${i}: indicators(first: $n) ${FULL_PAGE}`).join(' ')} }`,
    variables: { n: 500 },
    code: 'QUERY_TOO_COMPLEX',
    message: /response budget/,
  },
  { name: 'too many tokens', hub: 'open', as: 'member', query: tokens(2_001), code: 'TOO_MANY_TOKENS', message: /tokens/ },
  {
    name: 'a page over the largest',
    hub: 'open',
    as: 'member',
    query: '{ indicators(first: 501) { totalCount } }',
    code: 'BAD_USER_INPUT',
    message: 'first must be between 0 and 500',
    field: 'first',
    status: 200,
  },
  { name: 'an empty rate-limit bucket', hub: 'limited', as: 'fresh-member', before: 1, query: '{ viewer { tier } }', code: 'RATE_LIMITED', message: /^Too many requests: retry in \d+ s$/, taxii: true },
  {
    name: 'an operation past the deadline',
    hub: 'slow',
    as: 'member',
    query: '{ indicators(first: 500) { edges { cursor node { id value source { name } } } } }',
    code: 'EXECUTION_TIMEOUT',
    message: 'The operation ran longer than the 1 ms execution limit',
  },
  {
    name: 'an anonymous caller where anonymous reads are off',
    hub: 'closed',
    as: 'anonymous',
    query: '{ viewer { tier } }',
    code: 'UNAUTHENTICATED',
    message: 'Anonymous reads are disabled on this hub: send Authorization: Bearer <token>',
    close: 4401,
    taxii: true,
  },
  {
    name: 'introspection by an anonymous caller',
    hub: 'open',
    as: 'anonymous',
    query: '{ __schema { queryType { name } } }',
    code: 'UNAUTHENTICATED',
    message: 'Introspection needs a token: send Authorization: Bearer <token>',
  },
  {
    name: 'introspection on a hub that turned it off',
    hub: 'nointro',
    as: 'member',
    query: '{ __schema { queryType { name } } }',
    code: 'FORBIDDEN',
    message: 'Introspection is turned off on this hub',
  },
  {
    // A registry row the hub cannot read makes authentication itself fail, as a store outage does.
    name: 'a failure while authenticating',
    hub: 'open',
    as: 'broken-auth',
    query: '{ viewer { tier } }',
    code: 'INTERNAL_SERVER_ERROR',
    message: 'Unexpected error',
    close: 4500,
    taxii: true,
  },
  { name: 'a failure while reading', hub: 'open', as: 'broken-read', query: '{ indicators(first: 1) { totalCount } }', code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error', status: 200 },
];

describe('the same mistakes over HTTP, graphql-ws and TAXII', () => {
  const hubs = {} as Record<HubName, { t: TestHub; logs: Array<Record<string, any>> }>;
  let members = 0;

  beforeAll(async () => {
    const [open, closed, limited, slow, nointro] = await Promise.all([
      loggedHub({}),
      loggedHub({ anonymousReads: false }),
      loggedHub({ rateLimitPerMinute: 1, rateLimitBurst: 1 }),
      loggedHub({ executionTimeoutMs: 1 }),
      loggedHub({ introspection: false }),
    ]);
    Object.assign(hubs, { open, closed, limited, slow, nointro });
    const viewer = { kind: 'member', memberId: 'seed', userId: 'seed@seed', roles: ['publisher'], tier: 'TRUSTED' } as const;
    const indicators = Array.from({ length: 500 }, (_, i): IndicatorInput => ({ value: `slow-${i}.example`, tlp: 'CLEAR', severity: 'LOW', confidence: 50 }));
    await slow.t.hub.services.indicators.publish(viewer, { idempotencyKey: 'parity-seed', indicators });
  });

  /** A token for the row's caller on `hub`. */
  async function tokenFor(row: Row, t: TestHub): Promise<string | undefined> {
    const id = `parity-${++members}`;
    switch (row.as) {
      case 'anonymous':
        return undefined;
      case 'broken-auth':
        return t.member(id, 'TRUSTED', { allowedRoles: null as never }).token(['reader']);
      case 'broken-read':
        return t.member(id, 'GOLD' as never).token(['reader']);
      default:
        return t.member(id, 'TRUSTED').token(['reader']);
    }
  }

  it.each(ROWS)('answers $name with $code on every transport', async (row) => {
    const { t, logs } = hubs[row.hub];
    const logged = logs.length;
    const outcomes: Record<string, Outcome> = {};
    for (const transport of ['http', 'graphql-ws', 'taxii'] as const) {
      if (transport === 'taxii' && !row.taxii) continue;
      const token = await tokenFor(row, t);
      // One socket per caller, as a client keeps it (a socket's connection_init has a bucket of its own).
      const socket = transport === 'graphql-ws' ? t.wsClient(token, { lazyCloseTimeout: 5_000 }) : undefined;
      const send = () => (transport === 'http' ? overHttp(t, row.query, row.variables, token) : transport === 'graphql-ws' ? overWs(t, row.query, row.variables, token, socket) : overTaxii(t, token));
      for (let i = 0; i < (row.before ?? 0); i++) expect((await send()).code).toBe('OK');
      outcomes[transport] = await send();
    }
    for (const [transport, outcome] of Object.entries(outcomes)) {
      expect(outcome.code, transport).toBe(row.code);
      expect(outcome.message, transport).toMatch(row.message instanceof RegExp ? row.message : new RegExp(`^${row.message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
      if (transport !== 'taxii') expect(outcome.field, transport).toBe(row.field);
      if (transport !== 'graphql-ws') expect(outcome.status, transport).toBe(row.status ?? httpStatusOf(row.code));
      if (transport === 'graphql-ws') expect(outcome.close, transport).toBe(row.close);
      expect(outcome.text.length, transport).toBeLessThan(2_000);
    }
    // GraphQL's two transports say exactly the same thing.
    const { http, 'graphql-ws': ws } = outcomes;
    expect({ code: ws!.code, message: ws!.message, field: ws!.field }).toEqual({ code: http!.code, message: http!.message, field: http!.field });

    const lines = logs.slice(logged);
    const errors = lines.filter((l) => l.level >= 50);
    if (row.code === 'INTERNAL_SERVER_ERROR') {
      // Logged once per failed request, with its request id.
      expect(errors).toHaveLength(Object.keys(outcomes).length);
      for (const e of errors) expect(e.requestId).toEqual(expect.any(String));
      expect(new Set(errors.map((e) => e.requestId)).size).toBe(errors.length);
    } else expect(errors, JSON.stringify(errors).slice(0, 500)).toEqual([]);
    for (const line of lines) expect(line.length).toBeLessThan(4_000);
  });
});

describe('client text in error messages', () => {
  let hub: Awaited<ReturnType<typeof loggedHub>>;
  let token: string;
  beforeAll(async () => {
    hub = await loggedHub({});
    token = await hub.t.member('spaces', 'TRUSTED').token(['reader']);
  });

  const spaces = ' '.repeat(100_000);
  const cases = [
    { name: 'a string literal', query: `{ indicators(first: 1, orderBy: { field: "${spaces}" }) { totalCount } }`, variables: undefined, code: 'GRAPHQL_VALIDATION_FAILED' },
    { name: 'a variable', query: 'query($o: IndicatorOrder) { indicators(first: 1, orderBy: $o) { totalCount } }', variables: { o: { field: spaces } }, code: 'BAD_USER_INPUT' },
  ];

  describe.each(['http', 'graphql-ws'] as const)('over %s', (transport) => {
    it.each(cases)('answers 100 KB of spaces in $name at once, clipped, without blocking the event loop', async ({ query, variables, code }) => {
      const logged = hub.logs.length;
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const outcome = transport === 'http' ? await overHttp(hub.t, query, variables, token) : await overWs(hub.t, query, variables, token);
      delay.disable();
      expect(outcome.code).toBe(code);
      expect(outcome.text.length).toBeLessThan(2_000);
      expect(delay.max / 1e6).toBeLessThan(1_000);
      const lines = hub.logs.slice(logged);
      expect(lines.filter((l) => l.level >= 50)).toEqual([]);
      for (const line of lines) expect(line.length).toBeLessThan(4_000);
    });
  });
});

describe("a subscription's variables", () => {
  it('are refused before it subscribes, clipped, naming the field, and logged below error level', async () => {
    // Queries' and mutations' variables are coerced when they execute; a subscription's arguments
    // are read before, so the pipeline's prepare coerces them (src/edge/pipeline.ts).
    const { t, logs } = await loggedHub({});
    const token = await t.member('subscriber-vars', 'TRUSTED').token(['reader']);
    const logged = logs.length;
    const client = t.wsClient(token);
    const outcome = await new Promise<Outcome | 'subscribed'>((resolve, reject) => {
      const stop = client.subscribe(
        { query: 'subscription($f: AlertFilter) { alerts(filter: $f) { cursor } }', variables: { f: { minSeverity: 'x'.repeat(100_000) } } },
        {
          next: () => {},
          error: (err) => (Array.isArray(err) ? resolve(firstError({ errors: err }, JSON.stringify(err), {})) : reject(err)),
          complete: () => {},
        },
      );
      setTimeout(() => {
        stop();
        resolve('subscribed');
      }, 2_000);
    });
    expect(outcome).not.toBe('subscribed');
    const refused = outcome as Outcome;
    expect(refused.code).toBe('BAD_USER_INPUT');
    expect(refused.field).toBe('f.minSeverity');
    expect(refused.text.length).toBeLessThan(2_000);
    expect(refused.text).not.toMatch(/Did you mean/);
    expect(logs.slice(logged).filter((l) => l.level >= 50)).toEqual([]);
  });
});

describe('the request observer', () => {
  it('hears how every request ended, on every transport, and each refusal by the rate limit', async () => {
    const finished: Array<{ transport: string; operationType: string; code: string }> = [];
    const limited: string[] = [];
    const observer: RequestObserver = {
      requestFinished: ({ transport, operationType, code, durationSeconds }) => {
        expect(durationSeconds).toBeGreaterThanOrEqual(0);
        finished.push({ transport, operationType, code });
      },
      rateLimited: (transport) => void limited.push(transport),
    };
    const t = await startTestHub({ config: { anonymousReads: true, rateLimitPerMinute: 1, rateLimitBurst: 2 }, observer });
    const token = await t.member('observed', 'TRUSTED').token(['reader']);
    expect((await overHttp(t, '{ viewer { tier } }', {}, token)).code).toBe('OK');
    expect((await overHttp(t, '{ indicatorz }', {}, token)).code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await overWs(t, 'mutation { __typename }', {}, token)).code).toBe('RATE_LIMITED');
    expect((await overTaxii(t, token)).code).toBe('RATE_LIMITED');
    expect((await overTaxii(t, 'not-a-token')).code).toBe('UNAUTHENTICATED');
    expect(finished).toEqual([
      { transport: 'http', operationType: 'query', code: 'OK' },
      { transport: 'http', operationType: 'unknown', code: 'GRAPHQL_VALIDATION_FAILED' },
      { transport: 'graphql-ws', operationType: 'unknown', code: 'RATE_LIMITED' },
      { transport: 'taxii', operationType: 'query', code: 'RATE_LIMITED' },
      { transport: 'taxii', operationType: 'query', code: 'UNAUTHENTICATED' },
    ]);
    expect(limited).toEqual(['graphql-ws', 'taxii']);
  });

  it('hears a subscription end when its client completes it', async () => {
    const finished: Array<{ transport: string; operationType: string; code: string }> = [];
    const observer: RequestObserver = { requestFinished: ({ transport, operationType, code }) => void finished.push({ transport, operationType, code }), rateLimited: () => {} };
    const t = await startTestHub({ config: { anonymousReads: true }, observer });
    const client = t.wsClient(await t.member('subscriber', 'TRUSTED').token(['reader']));
    const stop = client.subscribe({ query: 'subscription { alerts { cursor type } }' }, { next: () => {}, error: () => {}, complete: () => {} });
    for (let i = 0; i < 50 && t.hub.alerts.stats().subscribers === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(finished).toEqual([]);
    stop();
    for (let i = 0; i < 50 && finished.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(finished).toEqual([{ transport: 'graphql-ws', operationType: 'subscription', code: 'OK' }]);
  });
});

describe('what the log holds', () => {
  it('logs a client that hangs up halfway through its request body below error level', async () => {
    const { t, logs } = await loggedHub({});
    const logged = logs.length;
    await new Promise<void>((resolve) => {
      const socket = connect(t.hub.port, '127.0.0.1', () => {
        socket.write('POST /graphql HTTP/1.1\r\nhost: hub\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"query":');
        setTimeout(() => socket.destroy(), 50);
      });
      socket.on('close', () => resolve());
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(logs.slice(logged).filter((l) => l.level >= 50)).toEqual([]);
  });
});

describe('a live graphql-ws connection re-checked after its member changed', () => {
  it('closes with 4500, not 4401, when the re-check fails unexpectedly, and logs it once', async () => {
    const { t, logs } = await loggedHub({});
    const member = t.member('rechecked', 'TRUSTED');
    const client = t.wsClient(await member.token(['reader']), { lazy: false, onNonLazyError: () => {} });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => client.on('closed', (e) => resolve(e as { code: number; reason: string })));
    expect((await overWsOn(client, '{ viewer { tier } }')).code).toBe('OK');
    const logged = logs.length;
    // The registry row becomes one the hub cannot read: the re-check throws, as with the store down.
    await t.hub.services.members.register({ ...(await t.hub.services.members.get('rechecked'))!, allowedRoles: null as never });
    expect(await closed).toMatchObject({ code: 4500, reason: 'Unexpected error' });
    const errors = logs.slice(logged).filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.requestId).toEqual(expect.any(String));
  });
});

/** One operation on an open client. */
function overWsOn(client: Client, query: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let result: Outcome | undefined;
    client.subscribe(
      { query },
      {
        next: (r) => void (result ??= firstError(r, JSON.stringify(r), {})),
        error: reject,
        complete: () => (result ? resolve(result) : reject(new Error('completed without a result'))),
      },
    );
  });
}
