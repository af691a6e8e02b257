/**
 * Non-interference for the alert stream: everything a COMMUNITY subscriber observes (event
 * frames, cursors, heartbeats, replays, refusals of `after`) is the same whether or not another
 * member publishes records it may not see in between. The same script runs twice, each time on a
 * fresh hub, alone and interleaved with hidden RED and AMBER publications; heartbeats are sent
 * by the test (the timer is off), so both runs get them at the same points of the script.
 *
 * Cursors carry the log position, sealed: their bytes differ between two hubs whatever happens,
 * so the frames are compared byte for byte with each cursor replaced by the order of its first
 * appearance (equal cursors stay equal, different ones different), and what an attacker can
 * compute from the cursors themselves (length, difference as numbers) is compared as is.
 */
import { describe, expect, it } from 'vitest';
import { alertStream, alertsDocument, eventually, rawAlertSocket, type RawAlertSocket } from './support/alert-stream.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';
import type { Tlp } from '../src/domain/types.js';

const SELECTION = 'cursor type indicator { value tlp } notice { title }';
const QUERY = alertsDocument(SELECTION);

interface Observed {
  /** Every frame the viewer's sockets received, in order, socket after socket. */
  frames: string[];
  /** The viewer's event and heartbeat cursors of the live socket, in arrival order. */
  liveCursors: string[];
}

/** Frames received so far on `socket`, once at least `count` arrived. */
async function framesOf(socket: RawAlertSocket, count: number, label: string): Promise<string[]> {
  await eventually(() => socket.frames.length >= count, label);
  return socket.frames;
}

const cursorOf = (frame: string): string | undefined => JSON.parse(frame).payload?.data?.alerts?.cursor;

/** Runs the viewer's script; with `hidden`, another member publishes what the viewer may not see in between. */
async function observe(hidden: boolean): Promise<Observed> {
  const t: TestHub = await startTestHub({ config: { alertHeartbeatMs: 0 } });
  try {
    const pub = t.member('ni-pub', 'TRUSTED');
    const other = t.member('ni-other', 'CORE');
    const viewer = await t.member('ni-viewer', 'COMMUNITY').token(['reader']);
    const witnessToken = await t.member('ni-witness', 'TRUSTED').token(['reader']);
    const witness = await alertStream(t, witnessToken, { heartbeats: false, ready: false, selection: 'cursor type indicator { value }' });
    const witnessed = (value: string) => witness.until((s) => s.events.some((e) => e.indicator?.value === value), `the witness to get ${value}`);
    await eventually(() => t.hub.alerts.stats().subscribers === 1, 'the witness to subscribe');
    const publishHidden = async (items: Array<{ value: string; tlp: Tlp; recipients?: string[] }>) => {
      if (!hidden) return;
      await other.publishes(items);
      for (const item of items) await witnessed(item.value);
    };
    const beat = async (socket: RawAlertSocket, label: string) => {
      const before = socket.frames.length;
      await t.hub.alerts.heartbeat();
      await framesOf(socket, before + 1, label);
    };

    const live = await rawAlertSocket(t, viewer, QUERY, { heartbeats: true });
    await eventually(() => t.hub.alerts.stats().subscribers === 2, 'the viewer to subscribe');
    await beat(live, 'the first heartbeat');
    await pub.publishes([{ value: 'g1.ni.example', tlp: 'GREEN' }]);
    await framesOf(live, 2, 'g1');
    await publishHidden([
      { value: 'r1.ni.example', tlp: 'RED', recipients: ['ni-witness'] },
      { value: 'r2.ni.example', tlp: 'RED', recipients: ['ni-witness'] },
      { value: 'r3.ni.example', tlp: 'RED', recipients: ['ni-witness'] },
    ]);
    await beat(live, 'a heartbeat after hidden REDs');
    await pub.publishes([{ value: 'g2.ni.example', tlp: 'GREEN' }]);
    await framesOf(live, 4, 'g2');
    await publishHidden([{ value: 'a1.ni.example', tlp: 'AMBER' }]);
    await beat(live, 'a heartbeat after a hidden AMBER');
    await publishHidden([{ value: 'a2.ni.example', tlp: 'AMBER' }]);
    await pub.publishes([{ value: 'c1.ni.example', tlp: 'CLEAR' }]);
    await framesOf(live, 6, 'c1');
    await publishHidden([{ value: 'a3.ni.example', tlp: 'AMBER' }, { value: 'r4.ni.example', tlp: 'RED', recipients: ['ni-witness'] }]);
    await beat(live, 'the last heartbeat');
    const liveFrames = [...live.frames];
    live.terminate();
    await eventually(() => t.hub.alerts.stats().subscribers === 1, 'the live socket to go');

    // Resuming from each cursor the viewer was given replays the same.
    const resumed: string[] = [];
    const given = [...new Set(liveFrames.map(cursorOf))].filter((c): c is string => !!c);
    for (const after of given) {
      const socket = await rawAlertSocket(t, viewer, QUERY, { after, heartbeats: true });
      await eventually(() => t.hub.alerts.stats().subscribers === 2, 'the resumed socket to subscribe');
      const from = liveFrames.findIndex((f) => cursorOf(f) === after);
      const replayed = liveFrames.slice(from + 1).filter((f) => JSON.parse(f).payload.data.alerts.type !== 'HEARTBEAT').length;
      await framesOf(socket, replayed, 'the replay');
      await beat(socket, 'the heartbeat after the replay');
      resumed.push(`after #${given.indexOf(after)}`, ...socket.frames);
      socket.terminate();
      await eventually(() => t.hub.alerts.stats().subscribers === 1, 'the resumed socket to go');
    }

    // Probing for the log's head or its retention: positions, another member's cursor.
    const probes: string[] = [];
    await pub.publishes([{ value: 'w.ni.example', tlp: 'GREEN' }]);
    await witnessed('w.ni.example');
    const foreign = witness.events.at(-1)!.cursor;
    for (const after of ['0', '1', '2', '3', '4', '5', '6', '8', '12', '999999', foreign]) {
      // Refused at once, or accepted: then its first frame is the heartbeat the test asks for.
      const socket = await rawAlertSocket(t, viewer, QUERY, { after, heartbeats: true });
      for (let i = 0; i < 100 && socket.frames.length === 0; i++) {
        if (t.hub.alerts.stats().subscribers === 2) await t.hub.alerts.heartbeat();
        await new Promise((r) => setTimeout(r, 10));
      }
      const [answer] = await framesOf(socket, 1, `the answer to after ${after}`);
      probes.push(answer!.replace(foreign, '<foreign>'));
      socket.terminate();
      await eventually(() => t.hub.alerts.stats().subscribers === 1, 'the probe to go');
    }
    await witness.dispose();
    return { frames: [...liveFrames, ...resumed, ...probes], liveCursors: liveFrames.map(cursorOf).filter((c): c is string => !!c) };
  } finally {
    await t.dispose();
  }
}

/** Replaces each cursor by `#n`, n the order of its first appearance. */
function relabel(frames: string[]): string[] {
  const labels = new Map<string, string>();
  return frames.map((f) => f.replace(/"cursor":"([^"]*)"/g, (_m, c: string) => `"cursor":"#${labels.get(c) ?? (labels.set(c, String(labels.size)), labels.get(c))}"`));
}

describe('what a COMMUNITY subscriber observes of the alert stream', () => {
  let alone: Observed;
  let interleaved: Observed;

  it('is the same, frame for frame, whether or not hidden RED and AMBER items are published in between', async () => {
    alone = await observe(false);
    interleaved = await observe(true);
    expect(relabel(interleaved.frames)).toEqual(relabel(alone.frames));
  }, 60_000);

  it('gives cursors whose gaps do not count hidden events', () => {
    const gaps = (cursors: string[]) => cursors.slice(1).map((c, i) => Number(c) - Number(cursors[i]));
    expect(gaps(interleaved.liveCursors)).toEqual(gaps(alone.liveCursors));
    expect(interleaved.liveCursors.map((c) => c.length)).toEqual(alone.liveCursors.map((c) => c.length));
  });

  it('gives heartbeats that repeat the cursor of the last event sent rather than move on hidden events', () => {
    const liveFrames = (o: Observed) => o.frames.slice(0, 7).map((f) => JSON.parse(f).payload.data.alerts as { type: string; cursor: string });
    const frames = liveFrames(interleaved);
    expect(frames.map((f) => f.type)).toEqual(['HEARTBEAT', 'PUBLISHED', 'HEARTBEAT', 'PUBLISHED', 'HEARTBEAT', 'PUBLISHED', 'HEARTBEAT']);
    expect(frames[2]!.cursor).toBe(frames[1]!.cursor);
    expect(frames[4]!.cursor).toBe(frames[3]!.cursor);
    expect(frames[6]!.cursor).toBe(frames[5]!.cursor);
  });

  it('refuses every after it was not given with one BAD_USER_INPUT message, whatever the position', () => {
    const probes = interleaved.frames.slice(-11).map((f) => JSON.parse(f));
    expect(new Set(probes.map((p) => JSON.stringify(p.payload))).size).toBe(1);
    expect(probes[0]).toMatchObject({ type: 'error', payload: [{ extensions: { code: 'BAD_USER_INPUT', field: 'after' } }] });
  });
});
