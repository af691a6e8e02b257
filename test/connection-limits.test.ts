/**
 * Bounded connections over HTTP (docs/limits.md, "Connections"): callers are known before their
 * bodies are read, a request has a deadline to arrive, and one address holds a bounded number of
 * connections. The memory cases run the hub in its own process and measure its RSS.
 */
import net from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';
import { addressKey } from '../src/edge/connection-limits.js';
import { bigAnswerQuery } from './support/big-answer.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';
import { startHubProcess } from './support/hub-process.js';

const MB = 1024 * 1024;

/** A raw connection that sends `head` (and `body`, if given) and collects whatever comes back. */
function rawRequest(port: number, head: string, body?: Buffer | string) {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  let closed = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => (received += chunk));
  socket.on('error', () => {});
  const ended = new Promise<void>((resolve) => socket.on('close', () => ((closed = true), resolve())));
  socket.write(head);
  if (body !== undefined) socket.write(body);
  return {
    socket,
    ended,
    get received() {
      return received;
    },
    get closed() {
      return closed;
    },
    /** Resolves with the status line's code once a response head has arrived. */
    async status(timeoutMs = 3_000): Promise<number> {
      const until = Date.now() + timeoutMs;
      while (!/^HTTP\/1\.1 \d{3}/.test(received)) {
        if (Date.now() > until) throw new Error(`no response within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return Number(received.slice(9, 12));
    },
  };
}

const postHead = (length: number, headers: Record<string, string> = {}) =>
  `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

describe('connection limit settings', () => {
  it('default to 16,384 connections, 128 per address, 100 sockets per member, 30 s for a request to arrive, 60 connection_inits a minute', () => {
    expect(parseConfig({})).toMatchObject({ maxConnections: 16_384, maxConnectionsPerAddress: 128, wsMaxSocketsPerMember: 100, requestTimeoutMs: 30_000, wsMaxBufferedBytes: 1024 * 1024, wsConnectPerMinute: 60, wsConnectBurst: 20 });
    expect(parseConfig({ HUB_MAX_CONNECTIONS_PER_ADDRESS: '16', HUB_WS_MAX_SOCKETS_PER_MEMBER: '4', HUB_REQUEST_TIMEOUT: '5s', HUB_WS_CONNECT_RATE: '0' })).toMatchObject({
      maxConnectionsPerAddress: 16,
      wsMaxSocketsPerMember: 4,
      requestTimeoutMs: 5_000,
      wsConnectPerMinute: 0,
    });
  });

  it('refuses bad values by name', () => {
    try {
      parseConfig({ HUB_MAX_CONNECTIONS_PER_ADDRESS: '0', HUB_WS_MAX_SOCKETS_PER_MEMBER: 'many', HUB_REQUEST_TIMEOUT: '10m', HUB_WS_CONNECT_RATE: '-1' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const message = (err as Error).message;
      expect(message).toContain('HUB_MAX_CONNECTIONS_PER_ADDRESS must be at least 1');
      expect(message).toContain('HUB_WS_MAX_SOCKETS_PER_MEMBER must be a whole number');
      expect(message).toContain('HUB_REQUEST_TIMEOUT must be at most 300s');
      expect(message).toContain('HUB_WS_CONNECT_RATE must be at least 0');
    }
  });

  it('counts IPv4 addresses alone and IPv6 addresses by their /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:bbbb::2'));
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
  });
});

describe('callers are known before their bodies are read', () => {
  let t: TestHub;
  let token: string;
  beforeAll(async () => {
    t = await startTestHub({ config: { anonymousReads: false, rateLimitPerMinute: 1, rateLimitBurst: 2, requestTimeoutMs: 600 } });
    token = await t.member('body-member', 'TRUSTED').token(['reader']);
  });

  it('an anonymous POST is answered 401 before its body has arrived when anonymous reads are off', async () => {
    const r = rawRequest(t.hub.port, postHead(MB), '{"query":"{ viewer');
    expect(await r.status(400)).toBe(401);
    expect(r.received).toContain('UNAUTHENTICATED');
    r.socket.destroy();
  });

  it('a member whose rate limit is spent is answered 429 before its body has arrived', async () => {
    const ok = await t.gql('{ viewer { tier } }', undefined, { token });
    expect(ok.status).toBe(200);
    await t.gql('{ viewer { tier } }', undefined, { token }); // the burst's second token
    const r = rawRequest(t.hub.port, postHead(MB, { authorization: `Bearer ${token}` }), '{"query":"{ viewer');
    expect(await r.status(400)).toBe(429);
    expect(r.received).toContain('RATE_LIMITED');
    r.socket.destroy();
  });

  it('a request whose body takes longer than HUB_REQUEST_TIMEOUT to arrive is answered 408 and closed', async () => {
    const other = await t.member('slow-member', 'TRUSTED').token(['reader']);
    const started = Date.now();
    const r = rawRequest(t.hub.port, postHead(1_000, { authorization: `Bearer ${other}` }), '{"query":"{ viewer');
    expect(await r.status(3_000)).toBe(408);
    await r.ended;
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('headers that never finish are cut at the same deadline', async () => {
    const r = rawRequest(t.hub.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    expect(await r.status(3_000)).toBe(408);
    await r.ended;
  });
});

describe('connections per source address', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ config: { maxConnectionsPerAddress: 3 } });
  });

  it('one address may hold 3 connections; the 4th is answered 429 TOO_MANY_CONNECTIONS, WebSocket upgrades too', async () => {
    const held = [0, 1, 2].map(() => rawRequest(t.hub.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    for (const h of held) expect(await h.status()).toBe(200); // keep-alive: each stays open
    const fourth = rawRequest(t.hub.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await fourth.status()).toBe(429);
    expect(fourth.received).toContain('TOO_MANY_CONNECTIONS');
    await fourth.ended;

    const upgrade = await new Promise<number>((resolve) => {
      const ws = new WebSocket(t.wsUrl, 'graphql-transport-ws');
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!));
      ws.on('open', () => resolve(101));
      ws.on('error', () => {});
    });
    expect(upgrade).toBe(429);

    held[0]!.socket.destroy();
    await held[0]!.ended;
    await new Promise((r) => setTimeout(r, 50));
    const again = rawRequest(t.hub.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(await again.status()).toBe(200);
    for (const h of held) h.socket.destroy();
  });
});

describe('connections to the whole hub', () => {
  it('past HUB_MAX_CONNECTIONS the next connection is dropped unanswered, from any address', async () => {
    const t = await startTestHub({ config: { maxConnections: 2 } });
    const held = [0, 1].map(() => rawRequest(t.hub.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    for (const h of held) expect(await h.status()).toBe(200);
    const third = rawRequest(t.hub.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await third.ended;
    expect(third.received).toBe('');
    for (const h of held) h.socket.destroy();
  });
});

describe('memory stays bounded while bodies are held (hub in its own process)', () => {
  const opened: net.Socket[] = [];
  afterAll(() => {
    for (const s of opened) s.destroy();
  });

  /** Opens `n` connections, each sending a 1 MB request's headers and all its body but the last KB, and holding. */
  async function holdBodies(port: number, n: number) {
    const body = Buffer.alloc(MB - 1024, 0x20);
    const requests = Array.from({ length: n }, () => rawRequest(port, postHead(MB), body));
    for (const r of requests) opened.push(r.socket);
    // Wait until every body has been written to the hub's side (or the hub answered).
    const until = Date.now() + 15_000;
    while (requests.some((r) => r.socket.writableLength > 0 && !r.closed) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    return requests;
  }

  it('100 anonymous 1 MB bodies held open do not grow the hub when anonymous reads are off', async () => {
    const hub = await startHubProcess({ HUB_ANONYMOUS_READS: 'false' });
    try {
      const before = await hub.rss();
      const requests = await holdBodies(hub.port, 100);
      const grown = (await hub.rss()) - before;
      expect(grown, `hub RSS grew by ${(grown / MB).toFixed(1)} MB`).toBeLessThan(30 * MB);
      await Promise.all(requests.map((r) => r.status(10_000)));
      expect(requests.filter((r) => r.received.startsWith('HTTP/1.1 401')).length).toBe(100);
    } finally {
      await hub.stop();
    }
  }, 60_000);

  it('with anonymous reads on, held bodies are bounded by the connections one address may open', async () => {
    const hub = await startHubProcess({ HUB_ANONYMOUS_READS: 'true', HUB_MAX_CONNECTIONS_PER_ADDRESS: '10' });
    try {
      const before = await hub.rss();
      const requests = await holdBodies(hub.port, 100);
      const grown = (await hub.rss()) - before;
      expect(grown, `hub RSS grew by ${(grown / MB).toFixed(1)} MB`).toBeLessThan(40 * MB);
      const refused = () => requests.filter((r) => r.received.startsWith('HTTP/1.1 429')).length;
      for (const until = Date.now() + 10_000; refused() < 90 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
      expect(refused()).toBe(90);
    } finally {
      await hub.stop();
    }
  }, 60_000);

  /** A raw connection, never read, on which `requests` are written back to back (HTTP/1.1 pipelining). */
  function pipeline(port: number, requests: string) {
    const socket = net.connect(port, '127.0.0.1');
    opened.push(socket);
    socket.on('error', () => {});
    socket.pause();
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(requests);
    return {
      /** Starts reading; resolves with the answers' status lines read until the connection closed, or null if it stayed open. */
      async drain(waitMs: number): Promise<number | null> {
        let received = '';
        socket.setEncoding('latin1');
        socket.on('data', (chunk: string) => (received += chunk));
        socket.resume();
        const ended = await Promise.race([closed.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), waitMs))]);
        return ended ? received.split('HTTP/1.1 200').length - 1 : null;
      },
    };
  }

  it('a member pipelining 40 large answers on a connection it never reads leaves the hub holding about one', async () => {
    const hub = await startHubProcess({ HUB_REQUEST_TIMEOUT: '60s' });
    try {
      const token = await hub.token('pipeliner');
      const body = JSON.stringify({ query: bigAnswerQuery() });
      // One answer read and dropped first: the store's page cache (SQLite's, up to 64 MiB) then holds
      // what the answers read, so what grows below is what the hub holds for the unread answers.
      const warm = await fetch(hub.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
      expect(warm.status).toBe(200);
      const answerBytes = (await warm.arrayBuffer()).byteLength;
      const before = await hub.rss();
      pipeline(hub.port, `${postHead(Buffer.byteLength(body), { authorization: `Bearer ${token}` })}${body}`.repeat(40));
      await new Promise((r) => setTimeout(r, 4_000));
      const grown = (await hub.rss()) - before;
      // Relative to the answer's size, which grows with the schema (it is 15 introspections): holding all
      // 40 would be 40 answers and more; a bound of 12 leaves room for the runtime's own heap growth
      // (Node 22 grew by 31 MB here with 3.4 MB answers, Node 20 by 9 MB).
      expect(grown, `hub RSS grew by ${(grown / MB).toFixed(1)} MB for answers of ${(answerBytes / MB).toFixed(1)} MB`).toBeLessThan(12 * answerBytes);
    } finally {
      await hub.stop();
    }
  }, 60_000);

  it('an answer its client does not take for HUB_REQUEST_TIMEOUT drops the connection', async () => {
    const hub = await startHubProcess({ HUB_REQUEST_TIMEOUT: '2s' });
    try {
      const token = await hub.token('stalled-reader');
      const query = encodeURIComponent(bigAnswerQuery().replace(/\s+/g, ' '));
      const get = `GET /graphql?query=${query} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nApollo-Require-Preflight: true\r\n\r\n`;
      // How long one answer takes here and now: the hub may compute (and the kernel buffer) a few
      // answers before one stalls, so the client stays away for at least all 8 answers' time plus
      // two HUB_REQUEST_TIMEOUTs (at least 5 s), on a quiet machine or a loaded one.
      const started = performance.now();
      const one = await fetch(`${hub.url}?query=${query}`, { headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' } });
      expect(one.status).toBe(200);
      await one.arrayBuffer();
      const answerMs = performance.now() - started;
      const connection = pipeline(hub.port, get.repeat(8));
      await new Promise((r) => setTimeout(r, Math.min(40_000, Math.max(5_000, 8 * answerMs + 4_000))));
      // Kept open, the connection would now deliver all 8 answers.
      const answers = await connection.drain(8_000);
      expect(answers, 'the stalled connection was never closed').not.toBeNull();
      expect(answers).toBeLessThan(8);
    } finally {
      await hub.stop();
    }
  }, 60_000);
});
