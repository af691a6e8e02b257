/**
 * The durable embedded store under `kill -9` (issue 12 §1): a hub process on a SQLite file takes a
 * stream of batch publishes and two-person TLP approvals, is killed mid-stream, and is started
 * again on the same HUB_DATA_DIR. Every acknowledged item is there exactly once, the event log has
 * no gap, and alert cursors issued before the crash resume exactly once (official graphql-ws client).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore, sqliteStorePath } from '../src/store/sqlite/sqlite-store.js';
import { startHubProcess, type HubProcess } from './support/hub-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'hub-crash-'));
const clients: Client[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  rmSync(dataDir, { recursive: true, force: true });
});

const PUBLISH = `mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { status indicator { id value } } } }`;
const LOWER = `mutation($recordId: ID!, $tlp: TLP!, $reason: String!) { requestTlpChange(recordId: $recordId, tlp: $tlp, reason: $reason) { id status } }`;
const APPROVE = `mutation($id: ID!) { approveRequest(id: $id) { id status } }`;
const LOOKUP = `query($v: [String!]!) { lookupIndicators(values: $v) { input indicators { id tlp source { id } } } }`;
const ALERTS = `subscription($after: String) { alerts(after: $after) { cursor type indicator { id } } }`;

interface Alert {
  cursor: string;
  type: string;
  indicator: { id: string } | null;
}

async function gql(hub: HubProcess, token: string, query: string, variables: Record<string, unknown>): Promise<Record<string, any>> {
  const res = await fetch(hub.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: Record<string, any>; errors?: Array<{ message: string }> };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data!;
}

/** Subscribes; `seen` fills as alerts arrive. */
function subscribe(hub: HubProcess, token: string, after: string | null, seen: Alert[]): Client {
  const client = createClient({ url: hub.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  clients.push(client);
  client.subscribe<{ alerts: Alert }>({ query: ALERTS, variables: { after } }, { next: (r) => r.data && seen.push(r.data.alerts), error: () => {}, complete: () => {} });
  return client;
}

/** Waits until `seen` stops growing for `quietMs` (and has at least `min`). */
async function settle(seen: unknown[], min: number, quietMs = 1_500, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    if (seen.length !== last) {
      last = seen.length;
      since = Date.now();
    } else if (seen.length >= min && Date.now() - since >= quietMs) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('SQLite store: kill -9 mid-stream', () => {
  it('keeps every acknowledged publish and approval exactly once, a gapless log, and pre-crash cursors that resume exactly once', async () => {
    // The stream spends more than the default per-member rate; the buckets are kept in the store too.
    const env = { HUB_STORE: 'sqlite', HUB_DATA_DIR: dataDir, HUB_RATE_LIMIT: '1000000', HUB_RATE_LIMIT_BURST: '1000000' };
    let hub = await startHubProcess(env);
    const publisher = await hub.token('m-pub', { roles: ['reader', 'publisher'], userId: 'alice@m-pub' });
    const approver = await hub.token('m-pub', { roles: ['reader', 'approver'], userId: 'bob@m-pub' });
    const reader = await hub.token('m-reader', { roles: ['reader'] });

    const live: Alert[] = [];
    subscribe(hub, reader, null, live);
    await new Promise((r) => setTimeout(r, 300));

    // The stream: batches of 50 AMBER indicators, and for every batch a request to lower one to
    // GREEN that a second person approves. Acknowledged = the hub answered.
    const acked = new Map<string, string>(); // value -> indicator id
    const approved: string[] = []; // indicator ids whose lowering was approved (acknowledged)
    let stop = false;
    const stream = (async () => {
      for (let b = 0; !stop; b++) {
        const indicators = Array.from({ length: 50 }, (_, k) => ({ value: `crash-${b}-${k}.example`, type: 'DOMAIN', tlp: 'AMBER', severity: 'HIGH', confidence: 80 }));
        try {
          const data = await gql(hub, publisher, PUBLISH, { input: { idempotencyKey: `crash-${b}`, indicators } });
          const results = data.publishIndicators.results as Array<{ status: string; indicator: { id: string; value: string } }>;
          for (const r of results) acked.set(r.indicator.value, r.indicator.id);
          const target = results[0]!.indicator.id;
          const request = (await gql(hub, publisher, LOWER, { recordId: target, tlp: 'GREEN', reason: 'crash test' })).requestTlpChange;
          const decided = (await gql(hub, approver, APPROVE, { id: request.id })).approveRequest;
          if (decided.status === 'APPROVED') approved.push(target);
        } catch {
          return; // the process is gone: whatever was not answered is not acknowledged
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 2_500));
    await hub.kill();
    stop = true;
    await stream;
    const cursorsBeforeCrash = live.slice();
    expect(acked.size).toBeGreaterThan(100);
    expect(approved.length).toBeGreaterThan(1);
    expect(cursorsBeforeCrash.length).toBeGreaterThan(10);

    // The log on disk: positions 1..latest, none missing; each indicator PUBLISHED at most once.
    const file = createSqliteStore(sqliteStorePath(dataDir));
    try {
      const { latest, trimmedThrough } = await file.events.bounds();
      expect(trimmedThrough).toBe(0);
      const events = await file.events.readAfter(0, latest + 10);
      expect(events.map((e) => e._id)).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
      const published = events.filter((e) => e.type === 'PUBLISHED').map((e) => e.recordId);
      expect(new Set(published).size).toBe(published.length);
      for (const id of acked.values()) expect(published).toContain(id);
    } finally {
      await file.close();
    }

    hub = await startHubProcess(env);
    // Every acknowledged value: exactly one indicator, with the acknowledged id.
    const values = [...acked.keys()];
    for (let i = 0; i < values.length; i += 1_000) {
      const answers = (await gql(hub, publisher, LOOKUP, { v: values.slice(i, i + 1_000) })).lookupIndicators as Array<{ input: string; indicators: Array<{ id: string; tlp: string }> }>;
      for (const a of answers) {
        expect(a.indicators.map((x) => x.id), a.input).toEqual([acked.get(a.input)]);
      }
    }
    // Every acknowledged approval took effect.
    for (const id of approved) {
      expect((await gql(hub, publisher, 'query($id: ID!) { indicator(id: $id) { tlp } }', { id })).indicator.tlp, id).toBe('GREEN');
    }

    // Cursors from before the crash: a replay from the first and from a later one agree, each
    // event once, starting with what was delivered live before the crash.
    const fromFirst: Alert[] = [];
    subscribe(hub, reader, cursorsBeforeCrash[0]!.cursor, fromFirst);
    await settle(fromFirst, cursorsBeforeCrash.length - 1);
    const k = Math.floor(cursorsBeforeCrash.length / 2);
    const fromMiddle: Alert[] = [];
    subscribe(hub, reader, cursorsBeforeCrash[k]!.cursor, fromMiddle);
    await settle(fromMiddle, fromFirst.length - k);
    const key = (a: Alert) => `${a.type}:${a.indicator?.id}`;
    expect(fromFirst.slice(0, cursorsBeforeCrash.length - 1).map(key)).toEqual(cursorsBeforeCrash.slice(1).map(key));
    expect(fromMiddle.map(key)).toEqual(fromFirst.slice(k).map(key));
    const publishedSeen = fromFirst.filter((a) => a.type === 'PUBLISHED').map((a) => a.indicator!.id);
    expect(new Set(publishedSeen).size).toBe(publishedSeen.length);
    const firstPublished = cursorsBeforeCrash.find((a) => a.type === 'PUBLISHED')!.indicator!.id;
    for (const id of acked.values()) if (id !== firstPublished) expect(publishedSeen).toContain(id);
    await hub.stop();
  }, 120_000);
});
