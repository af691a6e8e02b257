/**
 * Bounded graphql-ws sockets (docs/limits.md, "Connections"): what the hub queues for one socket,
 * keep-alive messages, sockets per member and `connection_init` under the rate limit. The ping
 * flood runs the hub in its own process and measures its RSS.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigAnswerQuery } from './support/big-answer.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';
import { startHubProcess } from './support/hub-process.js';

const MB = 1024 * 1024;
const sockets = new Set<WebSocket>();
afterAll(() => {
  for (const s of sockets) s.terminate();
});

/** A raw graphql-transport-ws socket: what it received, how it closed, and a way to stop reading. */
async function rawSocket(url: string) {
  const ws = new WebSocket(url, 'graphql-transport-ws');
  sockets.add(ws);
  const messages: any[] = [];
  let closed: { code: number; reason: string } | null = null;
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  ws.on('error', () => {});
  const ended = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve((closed = { code, reason: String(reason) }))),
  );
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  const raw = (ws as unknown as { _socket: import('node:net').Socket })._socket;
  return {
    ws,
    messages,
    ended,
    get closed() {
      return closed;
    },
    send: (message: unknown) => ws.send(JSON.stringify(message)),
    /** Stops reading: what the hub sends piles up in the kernel, then in the hub. */
    stopReading: () => raw.pause(),
    resumeReading: () => raw.resume(),
    async waitFor(predicate: (m: any) => boolean, timeoutMs = 3_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find(predicate);
        if (found) return found;
        if (closed || Date.now() > until) throw new Error(`not received (closed: ${JSON.stringify(closed)})`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async init(token?: string) {
      ws.send(JSON.stringify({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} }));
      return this.waitFor((m) => m.type === 'connection_ack');
    },
  };
}

describe('keep-alive messages', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });

  it('a ping before connection_init is answered without echoing a large payload; a small one is echoed', async () => {
    const s = await rawSocket(t.wsUrl);
    s.send({ type: 'ping', payload: { big: 'x'.repeat(5_000) } });
    s.send({ type: 'ping', payload: { n: 1 } });
    await s.waitFor((m) => m.type === 'pong' && m.payload?.n === 1);
    const pongs = s.messages.filter((m) => m.type === 'pong');
    expect(pongs).toEqual([{ type: 'pong' }, { type: 'pong', payload: { n: 1 } }]);
  });

  it('more than 30 pings in 10 s close the socket with 4429', async () => {
    const s = await rawSocket(t.wsUrl);
    for (let i = 0; i < 31; i++) s.send({ type: 'ping' });
    const close = await s.ended;
    expect(close.code).toBe(4429);
    expect(s.messages.filter((m) => m.type === 'pong')).toHaveLength(30);
  });

  it('a ping spelled with \\u escapes is still a ping', async () => {
    const s = await rawSocket(t.wsUrl);
    s.ws.send(`{"type":"\\u0070ing","payload":{"big":"${'y'.repeat(5_000)}"}}`);
    await s.waitFor((m) => m.type === 'pong');
    expect(s.messages).toEqual([{ type: 'pong' }]);
  });
});

describe('what the hub queues for one socket', () => {
  let t: TestHub;
  let token: string;
  beforeAll(async () => {
    t = await startTestHub({ config: { wsMaxBufferedBytes: 16_384, metricsPort: 0 } });
    token = await t.member('slow-reader', 'TRUSTED').token(['reader']);
  });

  it('a socket that stops reading is closed with 4413 once more than HUB_WS_MAX_BUFFER waits for it, for query results too', async () => {
    const s = await rawSocket(t.wsUrl);
    await s.init(token);
    s.stopReading();
    const query = bigAnswerQuery();
    for (let i = 0; i < 12; i++) s.send({ id: String(i), type: 'subscribe', payload: { query } });
    await new Promise((r) => setTimeout(r, 3_000));
    s.resumeReading();
    const close = await Promise.race([s.ended, new Promise<null>((r) => setTimeout(() => r(null), 5_000))]);
    expect(close, 'the socket was never closed').not.toBeNull();
    // The close frame waits behind what the socket did not read; if the hub had to cut the connection first, 1006.
    expect([4413, 1006]).toContain(close!.code);
    expect(s.messages.filter((m) => m.type === 'complete').length).toBeLessThan(12);
    // Counted as a slow consumer, as an alert subscriber closed for its queue is.
    const scrape = await (await fetch(t.hub.metrics!.url)).text();
    expect(scrape).toMatch(/^hub_slow_consumer_closes_total 1$/m);
  }, 20_000);
});

describe('sockets per member and connection_init', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ config: { wsMaxSocketsPerMember: 2, wsConnectPerMinute: 1, wsConnectBurst: 4 } });
  });

  it('a member may hold 2 sockets; the 3rd is closed with 4429 TOO_MANY_SOCKETS and a freed place is taken again', async () => {
    const token = await t.member('many-sockets', 'TRUSTED').token(['reader']);
    const first = await rawSocket(t.wsUrl);
    await first.init(token);
    const second = await rawSocket(t.wsUrl);
    await second.init(token);
    const third = await rawSocket(t.wsUrl);
    third.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
    const close = await third.ended;
    expect(close.code).toBe(4429);
    expect(close.reason).toContain('TOO_MANY_SOCKETS');
    expect(third.messages).toEqual([]);
    // Another member is not affected.
    const other = await rawSocket(t.wsUrl);
    await other.init(await t.member('other-member', 'TRUSTED').token(['reader']));
    first.ws.close();
    await first.ended;
    await new Promise((r) => setTimeout(r, 50));
    const fourth = await rawSocket(t.wsUrl);
    await fourth.init(token);
  });

  it('connection_init has its own rate-limit bucket per caller (HUB_WS_CONNECT_RATE): over it, the socket is closed with 4429', async () => {
    const token = await t.member('init-flood', 'TRUSTED').token(['reader']);
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = await rawSocket(t.wsUrl);
      s.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
      await Promise.race([s.waitFor((m) => m.type === 'connection_ack').catch(() => {}), s.ended]);
      if (s.closed) codes.push(s.closed.code);
      s.ws.close();
      await s.ended;
    }
    expect(codes).toEqual([4429]);
  });
});

describe('memory stays bounded under a ping flood (hub in its own process)', () => {
  it('an anonymous socket that floods 256 KB pings before connection_init and never reads leaves the hub bounded', async () => {
    const hub = await startHubProcess();
    try {
      const before = await hub.rss();
      const s = await rawSocket(hub.wsUrl);
      s.stopReading();
      const ping = JSON.stringify({ type: 'ping', payload: { junk: 'z'.repeat(256 * 1024) } });
      for (let i = 0; i < 300; i++) {
        if (s.ws.readyState !== WebSocket.OPEN) break;
        s.ws.send(ping);
        if (i % 20 === 19) await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 1_500));
      const grown = (await hub.rss()) - before;
      expect(grown, `hub RSS grew by ${(grown / MB).toFixed(1)} MB`).toBeLessThan(30 * MB);
      s.resumeReading();
      const close = await Promise.race([s.ended, new Promise<null>((r) => setTimeout(() => r(null), 5_000))]);
      expect(close?.code).toBe(4429);
    } finally {
      await hub.stop();
    }
  }, 60_000);
});
