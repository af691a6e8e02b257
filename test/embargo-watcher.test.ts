/** The embargo watcher with several instances on one store: only the lease holder announces. */
import { describe, expect, it } from 'vitest';
import type { NoticeDoc } from '../src/domain/types.js';
import type { EventRecorder } from '../src/services/event-recorder.js';
import { EmbargoWatcher } from '../src/services/embargo-watcher.js';
import { createMemoryStore } from '../src/store/memory/memory-store.js';

const T0 = Date.UTC(2025, 0, 1);
const at = (s: number) => new Date(T0 + s * 1_000);

function setup() {
  const store = createMemoryStore();
  const released: string[] = [];
  const events = { embargoEnded: async (n: NoticeDoc) => void released.push(n._id) } as unknown as EventRecorder;
  const watcher = (holder: string) => new EmbargoWatcher({ notices: store.notices, events, leases: store.leases, holder, onError: () => {}, leaseMs: 30_000, everyMs: 1_000, now: at(0) });
  const embargoed = (id: string, endsAt: Date) =>
    store.notices.insert({ _id: id, embargoUntil: endsAt, updatedAt: at(0) } as unknown as NoticeDoc);
  return { released, watcher, embargoed };
}

describe('the embargo watcher on several instances', () => {
  it('announces an embargo ending on its own once, from the instance holding the lease', async () => {
    const { released, watcher, embargoed } = setup();
    const [a, b] = [watcher('a'), watcher('b')];
    await embargoed('notice--1', at(5));
    expect(await a.check(at(1))).toBe(0);
    expect(await b.check(at(6))).toBe(0);
    expect(await a.check(at(6))).toBe(1);
    expect(await b.check(at(7))).toBe(0);
    expect(released).toEqual(['notice--1']);
  });

  it('takes over when the holder stops, and announces what ended meanwhile', async () => {
    const { released, watcher, embargoed } = setup();
    const [a, b] = [watcher('a'), watcher('b')];
    await embargoed('notice--1', at(5));
    await embargoed('notice--2', at(20));
    expect(await a.check(at(10))).toBe(1); // a stops after this check
    expect(await b.check(at(11))).toBe(0); // refused: a's lease runs to 40 s
    expect(await b.check(at(40))).toBe(0);
    expect(await b.check(at(41))).toBe(1); // a's lease expired: b checks from 10 s on
    expect(released).toEqual(['notice--1', 'notice--2']);
  });
});
