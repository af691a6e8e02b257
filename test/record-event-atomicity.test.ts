/**
 * A record write and its alert event commit together, on every path that writes a record and
 * announces it (revoke, sighting, notice update and status change, approvals applied): a failure
 * between the two (the event-log append fails, as a crash there would leave it) never keeps the
 * change and loses its event. After each injected failure: the record changed if and only if its
 * event is in the log, exactly once (on MongoDB once the outbox sweep ran), and an approval is
 * APPROVED if and only if its change was applied.
 *
 * Faults are real, not mocks: on SQLite (the default store) a trigger, created by a second
 * connection to the hub's file, aborts every insert into `events`; on MongoDB (MONGODB_URI, e.g. the
 * emulator; skipped without it) the fault proxy fails the first command of the event-log append's
 * transaction (the emulator does not roll back, so a later command would leave half an append).
 * The in-process store (HUB_STORE=memory) has no fault to inject: its append cannot fail, and a
 * crash loses everything it holds anyway.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type GqlResponse, type TestHub } from './support/hub-fixture.js';
import { startMongoFaultProxy, type MongoFaultProxy } from './support/mongo-fault-proxy.js';

const uri = process.env.MONGODB_URI;
if (!uri) console.log('record and event atomicity on MongoDB: SKIPPED (MONGODB_URI not set; see docs/mongodb.md to run it)');

const PUBLISH = `mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { status indicator { id } error { message } } } }`;
const PUBLISH_NOTICE = `mutation($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }`;
const REVOKE = `mutation($id: ID!) { revokeIndicator(id: $id, reason: "false positive") { id } }`;
const SIGHTING = `mutation($id: ID!) { reportSighting(indicatorId: $id, count: 3) { id } }`;
const UPDATE_NOTICE = `mutation($id: ID!) { updateModelRiskNotice(id: $id, input: { title: "Retitled" }) { id } }`;
const NOTICE_STATUS = `mutation($id: ID!) { changeModelRiskNoticeStatus(id: $id, status: UNDER_REVIEW) { id } }`;
const LOWER = `mutation($id: ID!) { requestTlpChange(recordId: $id, tlp: GREEN, reason: "widely seen now") { id } }`;
const RECIPIENTS = `mutation($id: ID!, $recipients: [ID!]!) { requestRecipientsChange(recordId: $id, recipients: $recipients, reason: "left the project") { id } }`;
const LIFT = `mutation($id: ID!) { requestEmbargoLift(noticeId: $id, embargoUntil: null, reason: "patched") { id } }`;
const APPROVE = `mutation($id: ID!) { approveRequest(id: $id, reason: "ok") { id } }`;

/** How a fault is put between a record write and its event-log append on one store. */
interface FaultedStore {
  name: string;
  start(): Promise<TestHub>;
  /** From now on, every event-log append fails. */
  inject(t: TestHub): Promise<void>;
  /** Appends work again; anything a store keeps for a failed append is appended now. */
  heal(t: TestHub): Promise<void>;
  close(): Promise<void>;
}

const sqlite = (): FaultedStore => {
  const opened: Database.Database[] = [];
  const fileOf = (t: TestHub) => {
    const db = new Database(join(t.dataDir, 'hub.db'));
    opened.push(db);
    return db;
  };
  return {
    name: 'SQLite',
    start: () => startTestHub(),
    async inject(t) {
      fileOf(t).exec(`CREATE TRIGGER injected_fault BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'injected: the process died here'); END`);
    },
    async heal(t) {
      fileOf(t).exec('DROP TRIGGER IF EXISTS injected_fault');
    },
    async close() {
      for (const db of opened) db.close();
    },
  };
};

const mongodb = (): FaultedStore => {
  let proxy: MongoFaultProxy;
  const database = `hub_atomic_${Date.now()}_${randomUUID().slice(0, 8)}`;
  return {
    name: 'MongoDB',
    async start() {
      proxy = await startMongoFaultProxy(uri!);
      const url = new URL(proxy.uri);
      url.pathname = `/${database}`;
      return startTestHub({ config: { mongodbUri: url.toString(), instanceId: 'atomic' } });
    },
    async inject() {
      // The append's first command: the outbox delete, or the position counter where there is no outbox.
      proxy.rules.push({
        respond: (c) =>
          (c.name === 'delete' && c.body.delete === 'eventOutbox') || (c.name === 'findAndModify' && c.body.findAndModify === 'counters' && c.body.query?._id === 'eventLog')
            ? { ok: 0, code: 8000, codeName: 'Injected', errmsg: 'injected: the process died here' }
            : undefined,
      });
    },
    async heal(t) {
      proxy.rules.length = 0;
      // What the hub's sweep does a minute later (at once here: grace 0).
      const log = t.hub.store.events as { appendPending?: (graceMs: number) => Promise<number> };
      await log.appendPending?.(0);
    },
    async close() {
      const client = new MongoClient(uri!);
      try {
        await client.db(database).dropDatabase();
      } finally {
        await client.close();
      }
      await proxy?.close();
    },
  };
};

const stores = [sqlite, ...(uri ? [mongodb] : [])];

describe.each(stores.map((make) => [make().name, make] as const))('%s: a record write and its event, with the append failing in between', (_name, make) => {
  const store = make();
  let t: TestHub;
  let pub: string;
  let approver: string;
  let keys = 0;

  const data = (res: GqlResponse) => {
    expect(res.body.errors, res.text).toBeUndefined();
    return res.body.data;
  };
  const indicator = async (tlp: string) => {
    const input = { idempotencyKey: `atomic-${++keys}`, indicators: [{ value: `atomic-${keys}.example`, type: 'DOMAIN', tlp, severity: 'HIGH', confidence: 80 }] };
    return data(await t.gql(PUBLISH, { input }, { token: pub })).publishIndicators.results[0].indicator.id as string;
  };
  const notice = async (extra: Record<string, unknown> = {}) => {
    const input = { title: 'Notice', summary: 'Summary', model: { name: 'M', developer: 'D' }, category: 'JAILBREAK', severity: 'HIGH', tlp: 'AMBER', status: 'PUBLISHED', ...extra };
    return data(await t.gql(PUBLISH_NOTICE, { input }, { token: pub })).publishModelRiskNotice.id as string;
  };
  const request = async (query: string, variables: Record<string, unknown>) => {
    const res = data(await t.gql(query, variables, { token: pub }));
    return (Object.values(res)[0] as { id: string }).id;
  };

  /**
   * Runs `mutation` with every append failing, then heals the store and checks: the change is
   * kept if and only if its one `type` event is in the log.
   */
  async function failingBetween(record: string | (() => Promise<string | undefined>), type: string, mutation: () => Promise<GqlResponse>, changed: () => Promise<boolean>) {
    const { latest } = await t.hub.store.events.bounds();
    await store.inject(t);
    let res: GqlResponse;
    try {
      res = await mutation();
    } finally {
      await store.heal(t);
    }
    expect(res.body.errors?.[0]?.message ?? '', 'the injected fault fired').not.toBe('');
    // A new record is looked up after the fact (its id is in no answer); absent, no event of the type may be there.
    const recordId = typeof record === 'string' ? record : await record();
    const events = (await t.hub.store.events.readAfter(latest, 10_000)).filter((e) => e.type === type && (recordId === undefined || e.recordId === recordId));
    const kept = await changed();
    expect({ changeKept: kept, events: events.length }).toEqual({ changeKept: kept, events: kept ? 1 : 0 });
    return kept;
  }

  const indicatorDoc = async (id: string) => (await t.hub.store.indicators.find({ _id: id }))[0]!;
  const noticeDoc = async (id: string) => (await t.hub.store.notices.find({ _id: id }))[0]!;
  const approvalStatus = async (id: string) => (await t.hub.store.approvals.find({ _id: id }))[0]!.status;

  beforeAll(async () => {
    t = await store.start();
    const m = t.member('atomic-pub', 'CORE');
    await m.token();
    t.member('atomic-rcpt', 'TRUSTED');
    await t.member('atomic-rcpt-2', 'TRUSTED').token();
    pub = await t.tokenAs('atomic-pub', 'alice@atomic-pub', ['reader', 'publisher']);
    approver = await t.tokenAs('atomic-pub', 'bob@atomic-pub', ['reader', 'approver']);
  }, 60_000);
  afterAll(async () => {
    await t?.dispose();
    await store.close();
  });

  it('publishIndicators: a new claim is kept only with its PUBLISHED event', async () => {
    const value = `atomic-new-${++keys}.example`;
    const input = { idempotencyKey: `atomic-${keys}`, indicators: [{ value, type: 'DOMAIN', tlp: 'GREEN', severity: 'HIGH', confidence: 80 }] };
    const id = async () => (await t.hub.store.indicators.find({ value }))[0]?._id;
    await failingBetween(id, 'PUBLISHED', () => t.gql(PUBLISH, { input }, { token: pub }), async () => (await id()) !== undefined);
  });

  it('publishModelRiskNotice: a new notice is kept only with its PUBLISHED event', async () => {
    const title = `Atomic ${randomUUID()}`;
    const input = { title, summary: 'Summary', model: { name: 'M', developer: 'D' }, category: 'JAILBREAK', severity: 'HIGH', tlp: 'AMBER', status: 'PUBLISHED' };
    const id = async () => (await t.hub.store.notices.find({ source: 'atomic-pub' })).find((n) => n.title === title)?._id;
    await failingBetween(id, 'PUBLISHED', () => t.gql(PUBLISH_NOTICE, { input }, { token: pub }), async () => (await id()) !== undefined);
  });

  it('revokeIndicator: the revocation is kept only with its REVOKED event', async () => {
    const id = await indicator('GREEN');
    await failingBetween(id, 'REVOKED', () => t.gql(REVOKE, { id }, { token: pub }), async () => (await indicatorDoc(id)).revoked);
  });

  it('reportSighting: the sighting is kept only with its SIGHTED event', async () => {
    const id = await indicator('GREEN');
    await failingBetween(id, 'SIGHTED', () => t.gql(SIGHTING, { id }, { token: pub }), async () => {
      const count = (await indicatorDoc(id)).sightingCount;
      const sightings = await t.hub.store.sightings.findByIndicators([id]);
      expect(sightings.length > 0, 'the sighting record goes with the count').toBe(count > 0);
      return count > 0;
    });
  });

  it('updateModelRiskNotice: the update is kept only with its UPDATED event', async () => {
    const id = await notice();
    await failingBetween(id, 'UPDATED', () => t.gql(UPDATE_NOTICE, { id }, { token: pub }), async () => (await noticeDoc(id)).title === 'Retitled');
  });

  it('changeModelRiskNoticeStatus: the new status is kept only with its UPDATED event', async () => {
    const id = await notice({ status: 'DRAFT' });
    await failingBetween(id, 'UPDATED', () => t.gql(NOTICE_STATUS, { id }, { token: pub }), async () => (await noticeDoc(id)).status === 'UNDER_REVIEW');
  });

  it('an approved LOWER_TLP: the lower TLP and the approval are kept only with the UPDATED event', async () => {
    const id = await indicator('AMBER');
    const req = await request(LOWER, { id });
    const kept = await failingBetween(id, 'UPDATED', () => t.gql(APPROVE, { id: req }, { token: approver }), async () => (await indicatorDoc(id)).tlp === 'GREEN');
    expect(await approvalStatus(req)).toBe(kept ? 'APPROVED' : 'PENDING');
  });

  it('an approved REMOVE_RECIPIENTS: the shorter list and the approval are kept only with the UPDATED event', async () => {
    const id = await notice({ tlp: 'RED', recipients: ['atomic-rcpt', 'atomic-rcpt-2'] });
    const req = await request(RECIPIENTS, { id, recipients: ['atomic-rcpt'] });
    const kept = await failingBetween(id, 'UPDATED', () => t.gql(APPROVE, { id: req }, { token: approver }), async () => (await noticeDoc(id)).recipients.length === 1);
    expect(await approvalStatus(req)).toBe(kept ? 'APPROVED' : 'PENDING');
  });

  it('an approved LIFT_EMBARGO: the lifted embargo and the approval are kept only with the UPDATED event', async () => {
    const id = await notice({ embargoUntil: new Date(Date.now() + 7 * 86_400_000).toISOString() });
    const req = await request(LIFT, { id });
    const kept = await failingBetween(id, 'UPDATED', () => t.gql(APPROVE, { id: req }, { token: approver }), async () => (await noticeDoc(id)).embargoUntil!.getTime() <= Date.now());
    expect(await approvalStatus(req)).toBe(kept ? 'APPROVED' : 'PENDING');
  });
});
