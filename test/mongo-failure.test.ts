/**
 * The MongoDB adapter under failure: what no healthy server shows. Faults are injected at the wire
 * (test/support/mongo-fault-proxy.ts) in front of a fake server (connect checks: these always run)
 * or in front of MONGODB_URI (the rest: skipped when it is not set, e.g. run with the emulator,
 * `eval "$(../shared/mongo-emulator/start)"; MONGODB_URI=$MONGODB_URI npx vitest run test/mongo-failure.test.ts`).
 * docs/mongodb.md says which failures only a real replica set can show, and how to check them.
 */
import { randomUUID } from 'node:crypto';
import { Long, type Document } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectMongo, MongoUnavailableError, type MongoConnection } from '../src/store/mongo/mongo-connection.js';
import { startMongoFaultProxy, type FaultRule, type MongoFaultProxy } from './support/mongo-fault-proxy.js';

const uri = process.env.MONGODB_URI;
if (!uri) console.log('MongoDB under injected faults: SKIPPED (MONGODB_URI not set; the connect checks run without it)');

/** A `hello`/`ismaster` answer of a server that is a replica set primary (or not, or too old). */
function helloReply(over: Document = {}): Document {
  return {
    ismaster: true,
    isWritablePrimary: true,
    helloOk: true,
    setName: 'rs0',
    hosts: ['127.0.0.1:1'],
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: 1,
    minWireVersion: 0,
    maxWireVersion: 21,
    ok: 1,
    ...over,
  };
}

const isHandshake = (name: string) => name === 'ismaster' || name === 'isMaster' || name === 'hello';

describe('connecting to MongoDB: each failure said as what it is', () => {
  const proxies: MongoFaultProxy[] = [];
  const fake = async (rules: FaultRule[]) => {
    const proxy = await startMongoFaultProxy(null, rules);
    proxies.push(proxy);
    return proxy;
  };
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  it('names a server too old for the driver as too old, not as unreachable', async () => {
    const proxy = await fake([{ respond: (c) => (isHandshake(c.name) ? helloReply({ maxWireVersion: 6 }) : undefined) }]);
    const err = await connectMongo(proxy.uri, { serverSelectionTimeoutMS: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoUnavailableError);
    expect((err as Error).message).toMatch(/is too old for the hub .*wire version 6.*needs MongoDB 4\.4 or later/);
    expect((err as Error).message).not.toContain('cannot reach');
  });

  it('names a server without the `hello` command as such, not as unreachable', async () => {
    const proxy = await fake([
      {
        respond: (c) =>
          c.name === 'hello'
            ? { ok: 0, code: 59, codeName: 'CommandNotFound', errmsg: "no such command: 'hello'" }
            : isHandshake(c.name)
              ? helloReply({ helloOk: false })
              : c.name === 'ping' || c.name === 'endSessions'
                ? { ok: 1 }
                : undefined,
      },
    ]);
    const err = await connectMongo(proxy.uri, { serverSelectionTimeoutMS: 2_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoUnavailableError);
    expect((err as Error).message).toMatch(/answered but does not know the `hello` command/);
    expect((err as Error).message).not.toContain('cannot reach');
  });

  it('keeps the short selection timeout for the start-up check only: the client it hands out waits the driver default for a primary', async () => {
    const proxy = await fake([{ respond: (c) => (isHandshake(c.name) ? helloReply() : c.name === 'ping' || c.name === 'endSessions' ? { ok: 1 } : undefined) }]);
    const connection = await connectMongo(proxy.uri, { serverSelectionTimeoutMS: 500 });
    try {
      // 30 s: an election (about 12 s) delays writes instead of failing them.
      expect(connection.client.options.serverSelectionTimeoutMS).toBe(30_000);
    } finally {
      await connection.client.close();
    }
  });
});

/** Whether a command runs inside a multi-document transaction (`autocommit: false`). */
const inTransaction = (body: Document) => body.autocommit === false;

describe.skipIf(!uri)('MongoDB under injected faults (MONGODB_URI)', () => {
  const database = `hub_failure_${Date.now()}_${randomUUID().slice(0, 8)}`;
  let proxy: MongoFaultProxy;
  let connection: MongoConnection;

  beforeAll(async () => {
    proxy = await startMongoFaultProxy(uri!);
    const { ensureIndexes } = await import('../src/store/mongo/mongo-indexes.js');
    connection = await connectMongo(proxy.uri, { database });
    await ensureIndexes(connection.db);
  });
  afterAll(async () => {
    await connection?.db.dropDatabase().catch(() => undefined);
    await connection?.client.close();
    await proxy?.close();
  });
  afterEach(() => {
    proxy.rules.length = 0;
    vi.useRealTimers();
  });

  const store = async (options: { appendBudgetMs?: number } = {}) => {
    const { createMongoStore } = await import('../src/store/mongo/mongo-store.js');
    return createMongoStore(connection.client, connection.db, { onClose: async () => {}, ...options });
  };
  const event = (n: number) => ({
    type: 'PUBLISHED' as const,
    kind: 'INDICATOR' as const,
    recordId: `indicator--${n}`,
    occurredAt: new Date(),
    before: null,
    after: { source: 'm-a', tlp: 'CLEAR' as const, recipients: [] },
  });

  it('retries an event-log append whose transaction hit a transient error (as withTransaction does)', async () => {
    const s = await store();
    let injected = 0;
    proxy.rules.push({
      respond: (c) => {
        if (c.name !== 'insert' || !inTransaction(c.body) || injected > 0) return undefined;
        injected++;
        return { ok: 0, code: 112, codeName: 'WriteConflict', errmsg: 'injected write conflict', errorLabels: ['TransientTransactionError'] };
      },
    });
    const [appended] = await s.events.append([event(1)]);
    expect(injected).toBe(1);
    expect((await s.events.readAfter(appended!._id - 1, 1))[0]?.recordId).toBe('indicator--1');
  });

  it('fails an append whose commit cannot reach a majority with a clear error, within the bound, instead of hanging', async () => {
    const s = await store({ appendBudgetMs: 2_000 });
    const commits: Document[] = [];
    proxy.rules.push({
      rewrite: (c) =>
        c.name === 'commitTransaction'
          ? { ok: 1, writeConcernError: { code: 64, codeName: 'WriteConcernFailed', errmsg: 'waiting for replication timed out', errInfo: { wtimeout: true } } }
          : undefined,
    });
    proxy.rules.unshift({ respond: (c) => void (c.name === 'commitTransaction' && commits.push(c.body)) });
    const started = Date.now();
    const err = await s.events.append([event(2)]).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/event log: the append was not acknowledged by a majority of the replica set within 10s/);
    expect(Date.now() - started).toBeLessThan(10_000);
    // The commit asks for a majority with its own timeout: a transaction ignores the collection's.
    expect(commits[0]?.writeConcern).toMatchObject({ w: 'majority', wtimeout: 10_000 });
  }, 30_000);

  it('lets no instance with a fast clock take a live lease, refill a bucket early or take over a running request', async () => {
    const s = await store();
    expect(await s.leases.acquire('fast-clock-job', 'a', 60_000)).toBe(true);
    const bucket = { capacity: 1, refillPerMs: 1 / 60_000 };
    expect((await s.rateLimits.take('member:fast', new Date(), bucket)).ok).toBe(true);
    const owner = { _id: 'm-a:fast', requestHash: 'h1', response: null, owner: 'first', createdAt: new Date(), expiresAt: new Date(Date.now() + 86_400_000) };
    expect(await s.idempotency.reserve(owner)).toBeNull();
    // Another instance whose clock runs ten minutes ahead (past the lease, the refill and the reservation lease).
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 10 * 60_000 });
    expect(await s.leases.acquire('fast-clock-job', 'b', 60_000)).toBe(false);
    expect((await s.rateLimits.take('member:fast', new Date(), bucket)).ok).toBe(false);
    const later = { ...owner, owner: 'second', requestHash: 'h2', createdAt: new Date(), expiresAt: new Date(Date.now() + 86_400_000) };
    expect(await s.idempotency.reserve(later)).toMatchObject({ owner: 'first', requestHash: 'h1' });
  });

  it('commits n concurrent appends in few transactions, not O(n^2) attempts against the position counter', async () => {
    const s = await store();
    // MongoDB's first-writer-wins on the counter document: while one transaction has written it
    // and not committed, another transaction's write of it fails with a transient WriteConflict.
    const holders = new Map<string, string>();
    const txnOf = (body: Document) => `${(body.lsid?.id as { toString(enc: string): string } | undefined)?.toString('hex')}:${String(body.txnNumber as Long)}`;
    let attempts = 0;
    let commits = 0;
    proxy.rules.push({
      respond: (c) => {
        if (c.name === 'findAndModify' && c.body.findAndModify === 'counters' && inTransaction(c.body)) {
          attempts++;
          const txn = txnOf(c.body);
          const holder = holders.get('eventLog');
          if (holder && holder !== txn) return { ok: 0, code: 112, codeName: 'WriteConflict', errmsg: 'injected write conflict', errorLabels: ['TransientTransactionError'] };
          holders.set('eventLog', txn);
        }
        if ((c.name === 'commitTransaction' || c.name === 'abortTransaction') && holders.get('eventLog') === txnOf(c.body)) {
          holders.delete('eventLog');
          if (c.name === 'commitTransaction') commits++;
        }
        return undefined;
      },
    });
    const n = 30;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => s.events.append([event(100 + i)])));
    const positions = results.flat().map((e) => e._id).sort((a, b) => a - b);
    expect(new Set(positions).size).toBe(n);
    expect(positions.at(-1)! - positions[0]!).toBe(n - 1);
    console.log(`event log: ${n} concurrent appends took ${attempts} counter attempts in ${commits} commits`);
    expect(attempts).toBeLessThanOrEqual(2 * n);
  }, 120_000);

  it('waits out an election (no primary for 2 s) inside an append: a server selection error is retried, not fatal', async () => {
    // A client that gives up selecting a server after 300 ms (a value in the URI wins), so that
    // the 2 s without a primary surface as MongoServerSelectionErrors inside the transaction.
    const impatient = await connectMongo(`${proxy.uri}&serverSelectionTimeoutMS=300&heartbeatFrequencyMS=500`, { database });
    try {
      const { createMongoStore } = await import('../src/store/mongo/mongo-store.js');
      const s = createMongoStore(impatient.client, impatient.db, { onClose: async () => {} });
      await s.events.bounds(); // connected and pooled before the election
      const downUntil = Date.now() + 2_000;
      let refused = 0;
      proxy.rules.push({
        respond: (c) => {
          if (Date.now() >= downUntil) return undefined;
          // Every member is stepping down or electing: handshakes and heartbeats fail, as do the writes.
          if (isHandshake(c.name)) return { ok: 0, code: 91, codeName: 'ShutdownInProgress', errmsg: 'injected: electing a primary' };
          if (c.name === 'findAndModify' || c.name === 'insert' || c.name === 'commitTransaction') {
            refused++;
            return { ok: 0, code: 10107, codeName: 'NotWritablePrimary', errmsg: 'injected: not primary', ...(inTransaction(c.body) ? { errorLabels: ['TransientTransactionError'] } : {}) };
          }
          return undefined;
        },
      });
      const started = Date.now();
      const [appended] = await s.events.append([event(900)]);
      expect(refused, 'the election was seen').toBeGreaterThan(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
      expect((await s.events.readAfter(appended!._id - 1, 5)).filter((e) => e.recordId === 'indicator--900')).toHaveLength(1);
    } finally {
      proxy.rules.length = 0;
      await impatient.client.close();
    }
  }, 30_000);

  /** The reply of the next getMore on `events` becomes "cursor ended" (id 0), with `batch` in it. */
  const endNextEventsGetMore = (batch: (reply: Document) => Document[]) => {
    let done = false;
    proxy.rules.push({
      rewrite: (c, reply) => {
        if (done || c.name !== 'getMore' || c.body.collection !== 'events' || !reply.cursor) return undefined;
        done = true;
        return { ...reply, cursor: { ...reply.cursor, id: Long.fromNumber(0), nextBatch: batch(reply) } };
      },
    });
    return () => done;
  };

  for (const [how, batch] of [
    ['ends its cursor without an error', () => []],
    ['invalidates it (events dropped or renamed)', (reply: Document) => [{ _id: reply.cursor.postBatchResumeToken ?? { _data: '00' }, operationType: 'invalidate', clusterTime: reply.operationTime }]],
  ] as const) {
    it(`reopens the change stream when the server ${how}, so other instances' events keep arriving`, async () => {
      const { pino } = await import('pino');
      const { MongoEventBus } = await import('../src/store/mongo/mongo-event-bus.js');
      const { createMongoStore } = await import('../src/store/mongo/mongo-store.js');
      const logger = pino({ level: 'silent' });
      const other = await connectMongo(uri!, { database });
      const storeA = await store();
      const storeB = createMongoStore(other.client, other.db, { onClose: async () => {} });
      const busA = await MongoEventBus.start({ db: connection.db, log: storeA.events, logger, instanceName: `a-${how}`, reopenMs: 100 });
      const busB = await MongoEventBus.start({ db: other.db, log: storeB.events, logger, instanceName: `b-${how}` });
      const seen: string[] = [];
      busA.onEvents((events) => seen.push(...events.map((e) => e.recordId)));
      try {
        const ended = endNextEventsGetMore(batch);
        const deadline = Date.now() + 10_000;
        while (!ended() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(ended()).toBe(true);
        // Well after the stream ended (and longer than any one poll): B's events must still reach A.
        await new Promise((r) => setTimeout(r, 1_500));
        for (let i = 0; i < 3; i++) busB.publish(await storeB.events.append([{ ...event(0), recordId: `indicator--after-end-${i}` }]));
        const until = Date.now() + 8_000;
        while (seen.filter((id) => id.startsWith('indicator--after-end-')).length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
        expect(seen.filter((id) => id.startsWith('indicator--after-end-'))).toEqual(['indicator--after-end-0', 'indicator--after-end-1', 'indicator--after-end-2']);
      } finally {
        await busA.close();
        await busB.close();
        await other.client.close();
      }
    }, 40_000);
  }

  describe('a record write and its event', () => {
    const claim = (value: string) => ({
      key: { source: 'm-a', type: 'IPV4' as const, value },
      onInsert: { _id: `indicator--${value}`, createdAt: new Date() },
      set: { tlp: 'CLEAR' as const, recipients: [], seq: 1, updatedAt: new Date() },
    });
    const publishOf = (s: Awaited<ReturnType<typeof store>>, value: string) =>
      s.events.appendWith(async () => {
        const [written] = await s.indicators.upsertClaims([claim(value)]);
        return { value: written, events: [{ ...event(0), recordId: written!.id }] };
      });
    const eventsFor = async (s: Awaited<ReturnType<typeof store>>, recordId: string) =>
      (await s.events.readAfter(0, 10_000)).filter((e) => e.recordId === recordId).map((e) => e.type);

    it('commit together: the event is in the log and nothing is left pending', async () => {
      const s = await store();
      const { value, events } = await publishOf(s, '203.0.113.1');
      expect(events.map((e) => e.recordId)).toEqual([value!.id]);
      expect(await eventsFor(s, value!.id)).toEqual(['PUBLISHED']);
      expect(await connection.db.collection('eventOutbox').countDocuments({})).toBe(0);
    });

    it('keep the PUBLISHED event of a record whose log append never happened (a crash in between), and append it exactly once', async () => {
      const s = await store();
      const other = await store();
      // The process "dies" between the record commit and the log append: that append's
      // transaction fails (at its first command: the emulator does not roll back, MongoDB would).
      proxy.rules.push({ respond: (c) => (c.name === 'delete' && c.body.delete === 'eventOutbox' ? { ok: 0, code: 8000, codeName: 'Injected', errmsg: 'injected: the process died here' } : undefined) });
      await expect(publishOf(s, '203.0.113.2')).rejects.toThrow(/the process died here/);
      proxy.rules.length = 0;
      expect(await s.indicators.find({ _id: 'indicator--203.0.113.2' })).toHaveLength(1);
      expect(await eventsFor(s, 'indicator--203.0.113.2')).toEqual([]);
      // Too recent for the sweep (it may still be on its way), then found by two instances at once.
      expect(await s.events.appendPending()).toBe(0);
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 5 * 60_000 });
      const swept = await Promise.all([s.events.appendPending(), other.events.appendPending()]);
      expect(swept[0] + swept[1]).toBe(1);
      expect(await eventsFor(s, 'indicator--203.0.113.2')).toEqual(['PUBLISHED']);
      expect(await s.events.appendPending()).toBe(0);
    });
  });
});
