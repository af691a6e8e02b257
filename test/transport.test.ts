/**
 * The hub's transports: HTTP (health, 404, body limit, CSRF, GET rules, request ids, error
 * masking) and graphql-ws (same answers as HTTP, 4401 on a refused connection).
 */
import http from 'node:http';
import { connect } from 'node:net';
import type { Client } from 'graphql-ws';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

/** Demo mode: seeded data, anonymous reads on. */
let demo: TestHub;
/** Anonymous reads off. */
let closed: TestHub;
let memberToken: string;

const SNAPSHOT = /* GraphQL */ `
  query Snapshot {
    viewer { anonymous tier member { id } }
    indicators(first: 25, orderBy: { field: CONFIDENCE, direction: DESC }) {
      totalCount
      edges { node { id type value tlp severity confidence source { id name } } }
    }
  }`;

beforeAll(async () => {
  [demo, closed] = await Promise.all([startTestHub({ demo: true }), startTestHub({ config: { anonymousReads: false } })]);
  memberToken = await demo.member('tr-member', 'TRUSTED').token(['reader', 'publisher']);
  await demo.member('tr-member', 'TRUSTED').publishes([{ value: 'ws-and-http.tr.example', tlp: 'AMBER', confidence: 99 }]);
});

/** A raw HTTP exchange, for what fetch cannot send (odd request targets, chunked bodies). */
function raw(hub: TestHub, options: http.RequestOptions, write?: (req: http.ClientRequest) => void) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: hub.hub.port, ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    if (write) write(req);
    else req.end();
  });
}

/** The first result of one operation over graphql-ws. */
async function overWs(client: Client, query: string) {
  for await (const result of client.iterate({ query })) return result;
  throw new Error('no result');
}

/** Starts one operation and resolves with the close code the server ended the socket with. */
function closeCode(client: Client): Promise<{ code: number; results: number }> {
  return new Promise((resolve) => {
    let results = 0;
    client.on('closed', (event) => resolve({ code: (event as { code: number }).code, results }));
    client.subscribe({ query: '{ viewer { anonymous } }' }, { next: () => void results++, error: () => {}, complete: () => {} });
  });
}

describe('HTTP front', () => {
  it('answers GET /healthz with 200 and a JSON status', async () => {
    const res = await fetch(new URL('/healthz', demo.url));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('answers an unknown path with 404', async () => {
    const res = await fetch(new URL('/graphql-but-not-quite', demo.url));
    expect(res.status).toBe(404);
    expect((await fetch(new URL('/', demo.url))).status).toBe(404);
  });

  it('answers a request target it cannot parse with 400 and keeps serving', async () => {
    const res = await raw(demo, { method: 'GET', path: '//' });
    expect(res.status).toBe(400);
    expect((await fetch(new URL('/healthz', demo.url))).status).toBe(200);
  });

  it('echoes a well-formed x-request-id and replaces a malformed one', async () => {
    const given = await demo.gql('{ viewer { anonymous } }', {}, { headers: { 'x-request-id': 'trace-42.abc_DEF' } });
    expect(given.headers.get('x-request-id')).toBe('trace-42.abc_DEF');
    const health = await fetch(new URL('/healthz', demo.url), { headers: { 'x-request-id': 'probe-1' } });
    expect(health.headers.get('x-request-id')).toBe('probe-1');
    const bad = await demo.gql('{ viewer { anonymous } }', {}, { headers: { 'x-request-id': 'has spaces<script>' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('request body limit', () => {
  const big = () => JSON.stringify({ query: '{ viewer { anonymous } }', variables: { pad: 'x'.repeat(1024 * 1024) } });

  it('refuses a body over 1 MB with 413', async () => {
    const res = await fetch(demo.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big() });
    expect(res.status).toBe(413);
    expect((await res.json()).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a chunked body over 1 MB with 413 too, rather than dropping the connection', async () => {
    const body = Buffer.from(big());
    const res = await raw(demo, { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (req) => {
      for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.subarray(i, i + 64 * 1024));
      req.end();
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await fetch(new URL('/healthz', demo.url))).status).toBe(200);
  });

  it('refuses an anonymous request with 401 before reading its body when anonymous reads are off', async () => {
    // Headers announcing 900 KB, and no body at all: the answer must not wait for it.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(closed.hub.port, '127.0.0.1', () =>
        socket.write('POST /graphql HTTP/1.1\r\nhost: hub\r\ncontent-type: application/json\r\ncontent-length: 900000\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk;
        if (text.includes('\r\n\r\n') && text.includes('}')) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
      setTimeout(() => (socket.destroy(), resolve(text)), 2_000);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
    expect(answer).toContain('"code":"UNAUTHENTICATED"');
  });

  it('accepts a body just under 1 MB', async () => {
    const pad = 'x'.repeat(1000 * 1000);
    const res = await demo.gql('query($v: [String!]!) { lookupIndicators(values: $v) { known normalized } }', { v: [pad] });
    expect(res.status).toBe(200);
    expect(res.body.data.lookupIndicators).toEqual([{ known: false, normalized: null }]);
  });
});

describe('GET and CSRF rules', () => {
  const getUrl = (hub: TestHub, query: string) => `${hub.url}?query=${encodeURIComponent(query)}`;

  it('runs a GET query that carries a preflight header', async () => {
    const res = await fetch(getUrl(demo, '{ viewer { anonymous } }'), { headers: { 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(200);
    expect((await res.json()).data.viewer.anonymous).toBe(true);
  });

  it('blocks a GET query with neither a JSON content type nor a preflight header (CSRF)', async () => {
    const res = await fetch(getUrl(demo, '{ viewer { anonymous } }'), { headers: { authorization: `Bearer ${memberToken}` } });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.data ?? null).toBeNull();
    expect(body.errors[0].message).toMatch(/CSRF/);
  });

  it('blocks a simple text/plain POST (CSRF)', async () => {
    const res = await fetch(demo.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: '{ viewer { anonymous } }' }) });
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0].message).toMatch(/CSRF/);
  });

  it('refuses a mutation sent with GET and does not run it', async () => {
    const [rec] = await demo.member('tr-member', 'TRUSTED').publishes([{ value: 'get-revoke.tr.example' }]);
    const mutation = `mutation { revokeIndicator(id: "${rec.indicator.id}", reason: "via GET") { id revoked } }`;
    const res = await fetch(getUrl(demo, mutation), { headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${memberToken}` } });
    expect(res.status).toBe(405);
    expect((await res.json()).errors[0].message).toMatch(/mutation/);
    const after = await demo.gql(`query($id: ID!) { indicator(id: $id) { revoked } }`, { id: rec.indicator.id }, { token: memberToken });
    expect(after.body.data.indicator.revoked).toBe(false);
  });
});

describe('graphql-ws', () => {
  it('answers a query over WebSocket exactly as over HTTP for the same member', async () => {
    const viaHttp = await demo.gql(SNAPSHOT, {}, { token: memberToken });
    expect(viaHttp.body.errors).toBeUndefined();
    expect(viaHttp.body.data.viewer).toEqual({ anonymous: false, tier: 'TRUSTED', member: { id: 'tr-member' } });
    expect(viaHttp.body.data.indicators.edges.map((e: any) => e.node.value)).toContain('ws-and-http.tr.example');
    const viaWs = await overWs(demo.wsClient(memberToken), SNAPSHOT);
    expect(viaWs.errors).toBeUndefined();
    expect(viaWs.data).toEqual(viaHttp.body.data);
  });

  it('answers an anonymous WebSocket query in demo mode as HTTP does, without member-only records', async () => {
    const viaHttp = await demo.gql(SNAPSHOT);
    const viaWs = await overWs(demo.wsClient(), SNAPSHOT);
    expect(viaWs.data).toEqual(viaHttp.body.data);
    const data = viaWs.data as any;
    expect(data.viewer.anonymous).toBe(true);
    expect(data.indicators.edges.length).toBeGreaterThan(0);
    expect(data.indicators.edges.every((e: any) => e.node.tlp === 'CLEAR')).toBe(true);
  });

  it('closes the socket with 4401 when connection_init carries a bad token', async () => {
    const { code, results } = await closeCode(demo.wsClient('not-a-real-token'));
    expect(code).toBe(4401);
    expect(results).toBe(0);
  });

  it('closes an anonymous socket with 4401 when anonymous reads are off, but serves a member', async () => {
    const { code, results } = await closeCode(closed.wsClient());
    expect(code).toBe(4401);
    expect(results).toBe(0);
    await closed.member('tr-closed', 'COMMUNITY').token();
    const ok = await overWs(closed.wsClient(await closed.token('tr-closed', ['reader'])), '{ viewer { anonymous tier } }');
    expect(ok.data).toEqual({ viewer: { anonymous: false, tier: 'COMMUNITY' } });
  });
});

describe('internal errors', () => {
  // No mocks: a registry row the hub cannot make sense of (an unknown tier) makes the read path
  // throw a plain TypeError deep inside the policy code, an error no one wrote for callers.
  it('answers an unexpected internal failure with "Unexpected error" and no internal detail, over HTTP and WebSocket', async () => {
    const token = await closed.member('tr-broken', 'GOLD' as never).token(['reader']);
    const query = '{ indicators(first: 1) { totalCount } }';
    const viaHttp = await closed.gql(query, {}, { token });
    expect(viaHttp.body.errors).toHaveLength(1);
    expect(viaHttp.body.errors![0]).toEqual({ message: 'Unexpected error', extensions: { code: 'INTERNAL_SERVER_ERROR' }, path: ['indicators'] });
    const viaWs = await overWs(closed.wsClient(token), query);
    expect(viaWs.errors).toEqual([{ message: 'Unexpected error', extensions: { code: 'INTERNAL_SERVER_ERROR' }, path: ['indicators'] }]);
    for (const text of [viaHttp.text, JSON.stringify(viaWs)]) {
      expect(text).not.toMatch(/TypeError|iterable|stack|\.ts:|GOLD/);
    }
  });
});
