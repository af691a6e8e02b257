/**
 * Two real hubs on one MongoDB database (MONGODB_URI; skipped when it is not set, as on a fresh
 * clone): an alert published through one reaches a subscriber of the other, and two `--demo`
 * instances starting together seed the demo data once. `.ci/run` runs it against the emulator
 * in ../shared/mongo-emulator when that exists.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { alertStream, disposeStreams } from './support/alert-stream.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const uri = process.env.MONGODB_URI;

/** MONGODB_URI with its database replaced by `database` (a fresh one per test). */
function withDatabase(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

/** A logger whose messages the test reads. */
function capturingLogger() {
  const messages: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) messages.push((JSON.parse(line) as { msg: string }).msg);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), messages };
}

if (!uri) console.log('two hubs on MongoDB: SKIPPED (MONGODB_URI not set; see docs/mongodb.md to run it)');

describe.skipIf(!uri)('two hubs on one MongoDB database', () => {
  const databases: string[] = [];
  const hubs: TestHub[] = [];
  const fresh = () => {
    const name = `hub_two_${Date.now()}_${randomUUID().slice(0, 8)}`;
    databases.push(name);
    return withDatabase(uri!, name);
  };
  afterAll(async () => {
    await disposeStreams();
    await Promise.all(hubs.map((h) => h.dispose()));
    const client = new MongoClient(uri!);
    try {
      for (const name of databases) await client.db(name).dropDatabase();
    } finally {
      await client.close();
    }
  });

  it("delivers an alert published through one hub to a subscriber of the other, exactly once", async () => {
    const mongodbUri = fresh();
    const [a, b] = await Promise.all(
      ['hub-a', 'hub-b'].map((instanceId) => startTestHub({ config: { mongodbUri, instanceId, alertHeartbeatMs: 200 } })),
    );
    hubs.push(a!, b!);
    const publisher = a!.member('m-pub', 'TRUSTED');
    await publisher.token();
    const reader = b!.member('m-read', 'TRUSTED');
    const stream = await alertStream(b!, await reader.token(['reader']));
    await publisher.publishes([{ value: '198.51.100.77', type: 'IPV4' }]);
    await stream.until((s) => s.events.length >= 1, 'the alert from the other hub', 15_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(stream.events.map((e) => e.type)).toEqual(['PUBLISHED']);
  }, 90_000);

  it('seeds the demo data once when two --demo hubs start together on an empty database', async () => {
    const mongodbUri = fresh();
    const logs = [capturingLogger(), capturingLogger()];
    const started = await Promise.all(
      logs.map((l, i) => startTestHub({ demo: true, logger: l.logger, config: { mongodbUri, instanceId: `demo-${i}`, alertHeartbeatMs: 1_000 } })),
    );
    hubs.push(...started);
    const seeded = logs.flatMap((l) => l.messages.filter((m) => m === 'demo data seeded'));
    expect(seeded).toHaveLength(1);
    // And the database holds one seeding's worth: every notice title once.
    const client = new MongoClient(uri!);
    try {
      const titles = (await client.db(new URL(mongodbUri).pathname.slice(1)).collection('notices').find({}, { projection: { title: 1 } }).toArray()).map((d) => d.title);
      expect(titles.length).toBeGreaterThan(0);
      expect(new Set(titles).size).toBe(titles.length);
    } finally {
      await client.close();
    }
    // Seeding is about 200 store calls: 10 s on the emulator on a quiet machine, several times that on a busy one.
  }, 180_000);
});
