/**
 * Resuming `alerts` with `after`: a disconnect in the middle of a burst, a replay racing new
 * events, cursors past the log's retention and cursors that are not cursors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { alertStream, alertsDocument, eventually, rawAlertSocket, sleep, type AlertStream } from './support/alert-stream.js';
import { startTestHub, type SeededMember, type TestHub } from './support/hub-fixture.js';

let t: TestHub;
let pub: SeededMember;
let community: string;

const TLPS = ['CLEAR', 'GREEN', 'AMBER', 'RED'] as const;
const COMMUNITY_SEES: ReadonlySet<string> = new Set(['CLEAR', 'GREEN']);

/** Publishes `count` indicators tagged `tag` in batches, TLPs in turn; returns [id, tlp] in log order. */
async function burst(tag: string, count: number, batch: number, onBatch?: (published: number) => void): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (let start = 0; start < count; start += batch) {
    const items = Array.from({ length: Math.min(batch, count - start) }, (_, k) => {
      const n = start + k;
      const tlp = TLPS[n % TLPS.length]!;
      return { value: `${n}.${tag}.resume.example`, tlp, tags: [tag], ...(tlp === 'RED' ? { recipients: ['rs-core'] } : {}) };
    });
    const results = await pub.publishes(items);
    for (const r of results) out.push([r.indicator.id, r.indicator.tlp]);
    onBatch?.(out.length);
  }
  return out;
}

const visibleToCommunity = (published: Array<[string, string]>) => published.filter(([, tlp]) => COMMUNITY_SEES.has(tlp)).map(([id]) => `INDICATOR ${id} PUBLISHED`);

/** Cursors are opaque: order is the events' own (checked by summary); each event has a cursor of its own. */
function expectDistinctEventCursors(...streams: AlertStream[]) {
  const cursors = streams.flatMap((s) => s.events.map((e) => e.cursor));
  expect(new Set(cursors).size).toBe(cursors.length);
}

beforeAll(async () => {
  // These tests open many sockets per member on purpose (connection_init's rate limit has its own tests).
  t = await startTestHub({ config: { alertHeartbeatMs: 20, wsMaxBufferedBytes: 16_384, wsConnectPerMinute: 0 } });
  pub = t.member('rs-pub', 'TRUSTED');
  t.member('rs-core', 'CORE');
  community = await t.member('rs-community', 'COMMUNITY').token(['reader']);
});

describe('a disconnect in the middle of a burst', () => {
  it('delivers every event the subscriber may see exactly once and in order across the disconnect and the resume', async () => {
    const filter = { tags: ['burst'] };
    const first = await alertStream(t, community, { filter });
    let disposing: Promise<void> | undefined;
    const publishing = burst('burst', 200, 20, () => {
      if (!disposing && first.events.length >= 30) disposing = first.dispose();
    });
    await first.until((s) => s.events.length >= 30, '30 events before the disconnect');
    disposing ??= first.dispose();
    await disposing;
    const published = await publishing;
    const expected = visibleToCommunity(published);
    expect(first.events.length).toBeLessThan(expected.length);

    const after = first.lastCursor()!;
    const second = await alertStream(t, community, { filter, after });
    await second.until((s) => s.events.length + first.events.length >= expected.length, 'the rest of the burst');
    expect([...first.summary, ...second.summary]).toEqual(expected);
    expectDistinctEventCursors(first, second);
    await second.dispose();
  });

  it('survives several disconnects in a row, each resumed from the last cursor received', async () => {
    const filter = { tags: ['hops'] };
    const streams: AlertStream[] = [await alertStream(t, community, { filter })];
    const publishing = burst('hops', 160, 10);
    let done = false;
    void publishing.then(() => (done = true));
    const received = () => streams.reduce((n, s) => n + s.events.length, 0);
    while (!done || received() < 80) {
      const current = streams.at(-1)!;
      await current.until((s) => s.events.length >= 15 || (done && received() >= 80), 'some events', 15_000);
      if (done && received() >= 80) break;
      await current.dispose();
      streams.push(await alertStream(t, community, { filter, after: current.lastCursor()! }));
    }
    const expected = visibleToCommunity(await publishing);
    expect(streams.length).toBeGreaterThan(2);
    expect(streams.flatMap((s) => s.summary)).toEqual(expected);
    expectDistinctEventCursors(...streams);
    await streams.at(-1)!.dispose();
  });
});

describe('a replay that races new events', () => {
  it('replays from the cursor and continues live with no gap and no duplicate while events keep arriving', async () => {
    const filter = { tags: ['race'] };
    const marker = await alertStream(t, community, { filter });
    const start = marker.lastCursor()!;
    await marker.dispose();
    const before = await burst('race', 600, 200);

    const racing: Promise<Array<[string, string]>> = (async () => {
      const out: Array<[string, string]> = [];
      for (let i = 0; i < 6; i++) out.push(...(await burstFrom(600 + i * 30, 30)));
      return out;
    })();
    const resumed = await alertStream(t, community, { filter, after: start, ready: false });
    const during = await racing;
    const expected = visibleToCommunity([...before, ...during]);
    await resumed.until((s) => s.events.length >= expected.length, 'every event', 20_000);
    expect(resumed.summary).toEqual(expected);
    expect(new Set(resumed.summary).size).toBe(expected.length);
    expectDistinctEventCursors(resumed);
    await resumed.dispose();
  });

  it('keeps a subscriber whose replay stalled while large events arrived, and delivers all of them once it reads again', async () => {
    const filter = { tags: ['stall'] };
    const big = 'x'.repeat(4_000);
    const selection = `cursor type indicator { id ${Array.from({ length: 13 }, (_, i) => `d${i}: description`).join(' ')} }`;
    const publishBig = async (from: number, count: number) =>
      (await pub.publishes(Array.from({ length: count }, (_, k) => ({ value: `${from + k}.stall.resume.example`, tags: ['stall'], description: big })))).map(
        (r) => r.indicator.id as string,
      );
    const witness = await alertStream(t, community, { filter });
    const start = witness.lastCursor()!;
    const before = await publishBig(0, 150);

    const raw = await rawAlertSocket(t, community, alertsDocument(selection), { filter, after: start });
    raw.pause();
    await sleep(500);
    const during = await publishBig(150, 100);
    await witness.until((s) => s.events.length === 250, 'every event, live');
    raw.resume();

    const events = () => raw.payloads.map((p) => p.data?.alerts).filter((e) => e && e.type !== 'HEARTBEAT');
    const outcome = await Promise.race([raw.closed, eventually(() => events().length >= 250, 'all 250 events', 20_000).then(() => null)]);
    expect(outcome, `closed after ${events().length} events`).toBeNull();
    expect(events().map((e) => e!.indicator!.id)).toEqual([...before, ...during]);
    raw.terminate();
    await witness.dispose();
  });

  async function burstFrom(offset: number, count: number): Promise<Array<[string, string]>> {
    const items = Array.from({ length: count }, (_, k) => {
      const n = offset + k;
      const tlp = TLPS[n % TLPS.length]!;
      return { value: `${n}.race.resume.example`, tlp, tags: ['race'], ...(tlp === 'RED' ? { recipients: ['rs-core'] } : {}) };
    });
    return (await pub.publishes(items)).map((r) => [r.indicator.id, r.indicator.tlp] as [string, string]);
  }
});

describe('whose cursor it is', () => {
  it("resumes with another person's fresh token of the same member, and after the member's tier changed", async () => {
    const filter = { tags: ['whose'] };
    t.member('rs-whose', 'COMMUNITY');
    const alice = await t.tokenAs('rs-whose', 'alice@whose', ['reader'], 600_000);
    const first = await alertStream(t, alice, { filter });
    const [g1] = await pub.publishes([{ value: 'g1.whose.resume.example', tlp: 'GREEN', tags: ['whose'] }]);
    await first.until((s) => s.events.length === 1, 'g1');
    const cursor = first.lastCursor()!;
    await first.dispose();

    const [g2] = await pub.publishes([{ value: 'g2.whose.resume.example', tlp: 'GREEN', tags: ['whose'] }]);
    const bob = await t.tokenAs('rs-whose', 'bob@whose', ['reader'], 600_000);
    const second = await alertStream(t, bob, { filter, after: cursor });
    await second.until((s) => s.events.length === 1, 'g2');
    expect(second.summary).toEqual([`INDICATOR ${g2.indicator.id} PUBLISHED`]);
    await second.dispose();

    t.member('rs-whose', 'TRUSTED');
    const [amber] = await pub.publishes([{ value: 'a.whose.resume.example', tlp: 'AMBER', tags: ['whose'] }]);
    const third = await alertStream(t, alice, { filter, after: cursor });
    await third.until((s) => s.events.length === 2, 'g2 and the AMBER one, with the new tier');
    expect(third.summary).toEqual([`INDICATOR ${g2.indicator.id} PUBLISHED`, `INDICATOR ${amber.indicator.id} PUBLISHED`]);
    expect(third.summary).not.toContain(`INDICATOR ${g1.indicator.id} PUBLISHED`);
    await third.dispose();
  });

  it("refuses another member's cursor with BAD_USER_INPUT", async () => {
    const mine = await alertStream(t, community, { filter: { tags: ['not-yours'] } });
    await pub.publishes([{ value: 'x.not-yours.resume.example', tlp: 'GREEN', tags: ['not-yours'] }]);
    await mine.until((s) => s.events.length === 1, 'the event');
    const other = await t.member('rs-other', 'COMMUNITY').token(['reader']);
    const theirs = await alertStream(t, other, { after: mine.lastCursor()!, ready: false });
    expect(await theirs.failed).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'after' }) })]);
    expect(theirs.messages).toEqual([]);
    await theirs.dispose();
    await mine.dispose();
  });
});

describe('cursors the hub cannot resume from', () => {
  it.each([
    ['a word', 'abc'],
    ['a negative number', '-1'],
    ['a fraction', '1.5'],
    ['an empty string', ''],
    ['a query cursor', 'eyJ2IjoxfQ'],
    ['a log position', '1'],
    ['a position beyond the log', '999999999'],
  ])(
    'refuses %s as after with BAD_USER_INPUT and keeps the socket open',
    async (_what, after) => {
      const s = await alertStream(t, community, { after, ready: false });
      const errors = await s.failed;
      expect(errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'after' }) })]);
      expect(s.messages).toEqual([]);
      const again = await alertStream(t, community);
      await again.dispose();
      await s.dispose();
    },
  );

  it('refuses a cursor older than the retention with CURSOR_EXPIRED, and resumes across trimmed events from a heartbeat that kept its place', async () => {
    // A retention of 1 s (not less): the heartbeat's cursor must still be inside it when the test
    // resumes from it, after three refused resumes, on a loaded machine too.
    const short = await startTestHub({ config: { eventRetentionMs: 1_000, alertHeartbeatMs: 50 } });
    try {
      const publisher = short.member('rs-short', 'COMMUNITY');
      const token = await publisher.token(['reader']);
      const live = await alertStream(short, token);
      const old = await publisher.publishes([1, 2, 3].map((n) => ({ value: `${n}.old.resume.example` })));
      await live.until((s) => s.events.length === 3, 'three old events');
      const [c1, c2, c3] = live.events.map((e) => e.cursor);
      await new Promise((r) => setTimeout(r, 1_100));
      await live.nextHeartbeats(1);
      const kept = live.messages.at(-1)!.event;
      expect(kept.type).toBe('HEARTBEAT');
      const [fresh] = await publisher.publishes([{ value: 'fresh.resume.example' }]);
      await live.until((s) => s.events.length === 4, 'the fresh event');
      // The hub's own trimmer (every second here) may have been first: what counts is that the old events are gone.
      await short.hub.maintenance.trimEvents();
      expect((await short.hub.services.events.bounds()).trimmedThrough).toBeGreaterThanOrEqual(3);

      for (const after of [c1!, c2!, c3!]) {
        const expired = await alertStream(short, token, { after, ready: false });
        expect(await expired.failed).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'CURSOR_EXPIRED', field: 'after' }) })]);
        expect(expired.messages).toEqual([]);
        await expired.dispose();
      }
      const resumed = await alertStream(short, token, { after: kept.cursor });
      expect(resumed.summary).toEqual([`INDICATOR ${fresh.indicator.id} PUBLISHED`]);
      expect(old.map((r) => r.indicator.id)).not.toContain(resumed.events[0]!.indicator!.id);
    } finally {
      await short.dispose();
    }
  });
});
