/**
 * The fan-out's observer (what metrics hear): each write of live events to a socket with each
 * event's lag, and each subscriber closed as a slow consumer.
 */
import { describe, expect, it } from 'vitest';
import { alertStream, alertsDocument, eventually, rawAlertSocket } from './support/alert-stream.js';
import { startTestHub } from './support/hub-fixture.js';

describe('the alert observer', () => {
  it('hears every live delivery with its lag and every slow-consumer close, and nothing of replays', async () => {
    const delivered: number[][] = [];
    let slow = 0;
    const t = await startTestHub({
      config: { alertHeartbeatMs: 50, wsMaxBufferedBytes: 16_384 },
      start: { alertObserver: { delivered: (lags) => delivered.push(lags), slowConsumerClosed: () => slow++ } },
    });
    const pub = t.member('ob-pub', 'TRUSTED');
    const token = await t.member('ob-reader', 'COMMUNITY').token(['reader']);

    const live = await alertStream(t, token);
    const started = Date.now();
    await pub.publishes([1, 2, 3].map((n) => ({ value: `${n}.live.ob.example` })));
    await live.until((s) => s.events.length === 3, 'three events');
    const lags = delivered.flat();
    expect(lags).toHaveLength(3);
    for (const lag of lags) expect(lag).toBeGreaterThanOrEqual(0);
    for (const lag of lags) expect(lag).toBeLessThanOrEqual((Date.now() - started) / 1000);

    const replayed = await alertStream(t, token, { after: live.events[0]!.cursor });
    await replayed.until((s) => s.events.length === 2, 'the replay');
    expect(delivered.flat()).toHaveLength(3);
    await replayed.dispose();
    await live.dispose();

    const big = 'x'.repeat(4_000);
    const raw = await rawAlertSocket(t, token, alertsDocument(`cursor type indicator { id ${Array.from({ length: 13 }, (_, i) => `d${i}: description`).join(' ')} }`), { heartbeats: true });
    await eventually(() => raw.payloads.length > 0, 'the first heartbeat');
    raw.pause();
    for (let batch = 0; batch < 8 && slow === 0; batch++) {
      await pub.publishes(Array.from({ length: 100 }, (_, k) => ({ value: `${batch}-${k}.slow.ob.example`, description: big })));
    }
    await eventually(() => slow === 1, 'the slow-consumer close', 15_000);
    raw.resume();
    expect((await raw.closed).code).toBe(4413);
    expect(slow).toBe(1);
  });
});
