/**
 * The stored warned flag (`IndicatorDoc.warnedBy`) and what reads it: `IndicatorFilter.excludeWarned`
 * and TAXII's `match[x_hub_warned]=false` answered by the store (full pages, counts that agree),
 * the recompute job after the lists change (a hub release: another fingerprint), resuming after a
 * crash, one instance at a time, and lists a viewer may not see never changing what it is served.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub-fixture.js';
import { alertStream, disposeStreams } from './support/alert-stream.js';
import { WarningListSet } from '../src/warninglists/warning-list-set.js';
import { loadVendoredLists } from '../src/warninglists/load-vendored-lists.js';
import type { WarningList } from '../src/warninglists/warning-list.js';
import { WarnedByComputer } from '../src/warninglists/warned-by-computer.js';
import { WARNED_BY_JOB, WarnedByRecompute, type WarnedByState } from '../src/services/warned-by-recompute.js';
import { createSqliteStore, sqliteStorePath } from '../src/store/sqlite/sqlite-store.js';
import type { Store } from '../src/store/ports.js';
import { withId } from '../src/domain/with-id.js';
import type { IndicatorDoc } from '../src/domain/types.js';

const TAXII = 'application/taxii+json;version=2.1';
const INDICATORS = '/taxii2/hub/collections/ddf9e498-e313-4c9f-a961-674ccefa2ab9';

const LIST = /* GraphQL */ `
  query List($filter: IndicatorFilter, $first: Int, $after: String) {
    indicators(filter: $filter, first: $first, after: $after) {
      totalCount
      edges { node { value } }
      pageInfo { hasNextPage endCursor }
    }
  }`;

/** Every value a viewer lists, page by page (pages of `first`), with the totalCount of the first page. */
async function listAll(t: TestHub, token: string, filter: Record<string, unknown>, first = 2): Promise<{ values: string[]; total: number; pageSizes: number[] }> {
  const values: string[] = [];
  const pageSizes: number[] = [];
  let after: string | null = null;
  let total = -1;
  for (let i = 0; i < 50; i++) {
    const res: any = await t.gql(LIST, { filter, first, after }, { token });
    expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
    const page: any = res.body.data.indicators;
    if (total < 0) total = page.totalCount;
    pageSizes.push(page.edges.length);
    values.push(...page.edges.map((e: any) => e.node.value));
    if (!page.pageInfo.hasNextPage) return { values, total, pageSizes };
    after = page.pageInfo.endCursor;
  }
  throw new Error('too many pages');
}

function taxii(t: TestHub) {
  const origin = t.url.replace(/\/graphql$/, '');
  return async (path: string, token: string) => {
    const res = await fetch(`${origin}${path}`, { headers: { accept: TAXII, authorization: `Bearer ${token}` } });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, text };
  };
}

/** A one-entry FALSE_POSITIVE list of domains, standing in for a vendored list of another hub release. */
function domainList(name: string, version: string, entries: string[]): WarningList {
  return { name, version, type: 'string', category: 'false_positive', indicatorTypes: ['DOMAIN'], entries };
}

describe('IndicatorFilter.excludeWarned and TAXII match[x_hub_warned] (vendored lists)', () => {
  let t: TestHub;
  let reader: string;
  const warned = ['8.8.8.8', '10.1.2.3', 'google.com', 'bit.ly'];
  const clean = ['45.133.1.20', 'evil-c2.example', 'http://evil-c2.example/payload', '91.92.109.5', 'phish.example.net'];

  beforeAll(async () => {
    t = await startTestHub();
    const pub = t.member('pub', 'TRUSTED');
    // Interleaved, so that a page filtered after reading would show holes.
    const values = clean.flatMap((c, i) => (warned[i] ? [warned[i]!, c] : [c]));
    await pub.publishes(values.map((value) => ({ value })));
    // A hidden warned and a hidden clean claim: a COMMUNITY reader's answers must not count them.
    await pub.publishes([{ value: '8.8.4.4', tlp: 'AMBER' }, { value: 'hidden-clean.example', tlp: 'AMBER' }]);
    await t.member('corp', 'COMMUNITY').token();
    reader = await t.token('corp');
  });
  afterAll(() => t.dispose());

  it('stores on each claim the false-positive lists its value matches, whoever may see them', async () => {
    const docs = await t.hub.store.indicators.find({ value: { $in: ['8.8.8.8', '10.1.2.3', 'evil-c2.example'] } });
    const byValue = new Map(docs.map((d) => [d.value, d.warnedBy]));
    expect(byValue.get('8.8.8.8')).toEqual(['misp:public-dns-v4']);
    expect(byValue.get('10.1.2.3')).toEqual(['misp:rfc1918', 'misp:rfc5735']);
    expect(byValue.get('evil-c2.example')).toEqual([]);
  });

  it('leaves out warned indicators in the store query: every page full, totalCount equal to what the pages hold', async () => {
    const all = await listAll(t, reader, {});
    expect(all.values.sort()).toEqual([...warned, ...clean].sort());
    const kept = await listAll(t, reader, { excludeWarned: true });
    expect(kept.values.sort()).toEqual([...clean].sort());
    expect(kept.total).toBe(clean.length);
    // Full pages until the last: no page of 2 shows 1 because a warned one was read and dropped.
    expect(kept.pageSizes).toEqual([2, 2, 1]);
    const no = await listAll(t, reader, { excludeWarned: false });
    expect(no.total).toBe(warned.length + clean.length);
  });

  it('combines with the other filters', async () => {
    const ips = await listAll(t, reader, { excludeWarned: true, type: ['IPV4'] });
    expect(ips.values.sort()).toEqual(['45.133.1.20', '91.92.109.5']);
    expect(ips.total).toBe(2);
  });

  it('TAXII objects and manifest leave warned indicators out with match[x_hub_warned]=false, through next, and say nothing of the flag', async () => {
    const get = taxii(t);
    const walk = async (first: string) => {
      const out: any[] = [];
      let res = await get(first, reader);
      for (;;) {
        expect(res.status, res.text).toBe(200);
        out.push(...(res.body.objects ?? []));
        expect(res.text).not.toMatch(/warnedBy|misp:/);
        if (!res.body.more) return out;
        res = await get(`${INDICATORS}/objects/?next=${encodeURIComponent(res.body.next)}`, reader);
      }
    };
    const everything = await walk(`${INDICATORS}/objects/?limit=2`);
    const kept = await walk(`${INDICATORS}/objects/?limit=2&match[x_hub_warned]=false`);
    const patterns = (objects: any[]) => objects.filter((o) => o.type === 'indicator').map((o) => o.pattern as string);
    expect(patterns(everything).some((p) => p.includes("'8.8.8.8'"))).toBe(true);
    expect(patterns(kept)).toHaveLength(clean.length);
    for (const w of warned) expect(patterns(kept).some((p) => p.includes(`'${w}'`))).toBe(false);
    const manifest = await get(`${INDICATORS}/manifest/?match[x_hub_warned]=false&limit=100`, reader);
    expect(manifest.status).toBe(200);
    expect(manifest.body.objects.map((o: any) => o.id).sort()).toEqual(kept.map((o) => o.id).sort());
  });

  it('TAXII refuses any other value with a 400 naming the parameter', async () => {
    const get = taxii(t);
    for (const bad of ['true', 'no', 'false,true', '']) {
      const res = await get(`${INDICATORS}/objects/?match[x_hub_warned]=${encodeURIComponent(bad)}`, reader);
      expect(res.status, bad).toBe(400);
      expect(res.body.http_status).toBe('400');
      expect(res.body.description).toContain('match[x_hub_warned]');
    }
  });

  it('a next token continues with the filter it was given: other filters are refused', async () => {
    const get = taxii(t);
    const first = await get(`${INDICATORS}/objects/?limit=2&match[x_hub_warned]=false`, reader);
    expect(first.body.more).toBe(true);
    const without = await get(`${INDICATORS}/objects/?next=${encodeURIComponent(first.body.next)}&match[type]=indicator`, reader);
    expect(without.status).toBe(400);
  });
});

describe('claims received from peer hubs', () => {
  let t: TestHub;
  afterAll(() => t?.dispose());

  it('are flagged as they are stored (the path the peer puller stores through), and excludeWarned leaves them out', async () => {
    t = await startTestHub();
    await t.member('corp', 'COMMUNITY').token();
    const reader = await t.token('corp');
    const origin = (id: string) => ({ hub: 'hub-b', id, publisher: null, hops: 1, tlp: 'CLEAR' as const, shareOnward: false, receivedFrom: 'peer-hub', receivedAt: new Date(), version: 1 });
    const input = (value: string) => ({ value, tlp: 'CLEAR' as const, severity: 'MEDIUM' as const, confidence: 50 });
    const out = await t.hub.services.indicators.receive('peer-hub', [
      { input: input('9.9.9.9'), origin: origin('indicator--00000000-0000-4000-8000-00000000b001'), revoked: false },
      { input: input('peer-clean.example'), origin: origin('indicator--00000000-0000-4000-8000-00000000b002'), revoked: false },
    ]);
    expect(out.stored).toBe(2);
    const docs = new Map((await t.hub.store.indicators.find({ source: 'peer-hub' })).map((d) => [d.value, d.warnedBy]));
    expect(docs.get('9.9.9.9')).toEqual(['misp:public-dns-v4']);
    expect(docs.get('peer-clean.example')).toEqual([]);
    const kept = await listAll(t, reader, { excludeWarned: true });
    expect(kept.values).toEqual(['peer-clean.example']);
    expect(kept.total).toBe(1);
  });
});

describe('the recompute job', () => {
  const v1 = [domainList('test-benign', '1', ['was-benign.example'])];
  const v2 = [domainList('test-benign', '2', ['now-benign.example']), domainList('test-new', '1', ['also-benign.example'])];

  it('rewrites warnedBy at start when the stored fingerprint differs (a release changed the lists), and excludeWarned follows', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hub-warned-'));
    const first = await startTestHub({ config: { dataDir }, start: { warningLists: new WarningListSet(v1) } });
    await first.member('pub', 'TRUSTED').publishes(['was-benign.example', 'now-benign.example', 'also-benign.example', 'plain.example'].map((value) => ({ value })));
    await first.hub.maintenance.recomputeWarned();
    const token = await first.token('pub');
    expect((await listAll(first, token, { excludeWarned: true })).values.sort()).toEqual(['also-benign.example', 'now-benign.example', 'plain.example']);
    const before = (await first.hub.services.warnedByJob.state())!;
    expect(before.scans).toEqual([]);
    const [published] = await first.hub.store.indicators.find({ value: 'now-benign.example' });
    expect(published!.warnedBy).toEqual([]);
    await first.dispose();

    // The next release: another version of one list, a new list. The hub notices at start.
    const second = await startTestHub({ config: { dataDir }, start: { warningLists: new WarningListSet(v2) } });
    await second.hub.maintenance.recomputeWarned();
    const after = (await second.hub.services.warnedByJob.state())!;
    expect(after.fingerprint).not.toBe(before.fingerprint);
    expect(after.fingerprint).toBe(new WarnedByComputer(new WarningListSet(v2)).vendored.fingerprint);
    expect(after.scans).toEqual([]);
    const token2 = await second.token('pub');
    const kept = await listAll(second, token2, { excludeWarned: true });
    expect(kept.values.sort()).toEqual(['plain.example', 'was-benign.example']);
    expect(kept.total).toBe(2);
    // Not a new version: the claim's seq and updatedAt are what the publish left.
    const [rewritten] = await second.hub.store.indicators.find({ value: 'now-benign.example' });
    expect(rewritten).toEqual({ ...published, warnedBy: ['misp:test-benign'] });
    await second.dispose();
  });

  it('fills warnedBy at start on a store written before it existed (no stored fingerprint): the backfill', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hub-warned-old-'));
    const old = createSqliteStore(sqliteStorePath(dataDir));
    const at = new Date('2026-06-01T00:00:00Z');
    const claim = (n: number, type: IndicatorDoc['type'], value: string) => {
      const { _id, dateAddedOffset } = withId(`indicator--00000000-0000-4000-8000-00000000c00${n}`);
      return {
        key: { source: 'old-pub', type, value },
        onInsert: { _id, dateAddedOffset, createdAt: at, sightingCount: 0, lastSeenAt: null },
        set: { submittedValue: value, tlp: 'CLEAR' as const, recipients: [], severity: 'MEDIUM' as const, severityRank: 2, confidence: 50, validFrom: at, validUntil: null, tags: [], description: null, revoked: false, revokedReason: null, updatedAt: at, seq: n },
      };
    };
    await old.indicators.upsertClaims([claim(1, 'IPV4', '8.8.8.8'), claim(2, 'DOMAIN', 'old-clean.example'), claim(3, 'DOMAIN', 'google.com')]);
    expect((await old.indicators.find({})).every((d) => d.warnedBy === undefined)).toBe(true);
    await old.close();

    const t = await startTestHub({ config: { dataDir } });
    try {
      await t.hub.maintenance.recomputeWarned();
      const docs = new Map((await t.hub.store.indicators.find({})).map((d) => [d.value, d.warnedBy]));
      // A claim on no list is left as it is (no field reads as no list): the backfill writes only the warned.
      expect(Object.fromEntries(docs)).toStrictEqual({ '8.8.8.8': ['misp:public-dns-v4'], 'old-clean.example': undefined, 'google.com': ['misp:cisco_top1000'] });
      await t.member('corp', 'COMMUNITY').token();
      const kept = await listAll(t, await t.token('corp'), { excludeWarned: true });
      expect(kept).toEqual({ values: ['old-clean.example'], total: 1, pageSizes: [1] });
      expect((await t.hub.services.warnedByJob.state())!.scans).toEqual([]);
    } finally {
      await t.dispose();
    }
  });

  describe('on a store left by a crash', () => {
    let store: Store;
    let dataDir: string;
    const computer = new WarnedByComputer(new WarningListSet(v2));
    const job = (holder: string, leaseMs = 60_000) =>
      new WarnedByRecompute({ indicators: store.indicators, jobs: store.jobStates, leases: store.leases, holder, computer, batchSize: 2, leaseMs, onError: (err) => { throw err; } });

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'hub-warned-crash-'));
      // Claims published under the v1 lists (through a real hub), then the hub stops.
      const hub = await startTestHub({ config: { dataDir }, start: { warningLists: new WarningListSet(v1) } });
      await hub.member('pub', 'TRUSTED').publishes(['a-now-benign.example', 'now-benign.example', 'b.example', 'also-benign.example', 'c.example', 'sub.also-benign.example'].map((value) => ({ value })));
      await hub.member('pub', 'TRUSTED').publishes([{ value: 'was-benign.example' }]);
      await hub.hub.maintenance.recomputeWarned();
      await hub.dispose();
      store = createSqliteStore(sqliteStorePath(dataDir));
    });
    afterAll(() => store.close());

    it('resumes a scan where the crashed instance saved it, one instance at a time, and ends agreeing with the lists', async () => {
      const crashed = job('crashed', 200);
      // One batch, then the instance is gone (no stop, no cleanup): its progress is in the store.
      await crashed.tick(1);
      const saved = (await store.jobStates.get(WARNED_BY_JOB))!.state as WarnedByState;
      expect(saved.scans).toHaveLength(1);
      const [done1, done2] = await store.indicators.find({}, { sort: [['seq', 1]], limit: 2 });
      expect(saved.scans[0]!.afterSeq).toBe(done2!.seq);
      expect(done1!.value).toBe('a-now-benign.example');
      expect(done2!.warnedBy).toEqual(['misp:test-benign']);

      // While the lease lives, another instance does nothing.
      const next = job('next');
      expect(await next.tick()).toBe(0);
      expect(((await store.jobStates.get(WARNED_BY_JOB))!.state as WarnedByState).scans[0]!.afterSeq).toBe(done2!.seq);

      // Mark a claim the crashed instance already did: a resumed scan leaves it alone, a restarted one would not.
      await store.indicators.updateOne({ _id: done1!._id, seq: done1!.seq }, { $set: { warnedBy: ['marker'] } });
      await new Promise((r) => setTimeout(r, 250));
      await next.runAll();
      const docs = new Map((await store.indicators.find({})).map((d) => [d.value, d.warnedBy]));
      expect(docs.get('a-now-benign.example')).toEqual(['marker']);
      expect(docs.get('also-benign.example')).toEqual(['misp:test-new']);
      expect(docs.get('sub.also-benign.example')).toEqual([]);
      expect(docs.get('was-benign.example')).toEqual([]);
      expect(docs.get('c.example')).toEqual([]);
      const end = (await next.state())!;
      expect(end).toEqual({ fingerprint: computer.vendored.fingerprint, types: ['DOMAIN'], scans: [] });
      // Done twice writes nothing.
      expect(await next.runAll()).toBe(0);
    });

    it('re-scans the types of a list that changed (listChanged), and a request while a scan runs restarts it', async () => {
      const extra = new WarningListSet([domainList('member-list', '1', ['c.example'])]);
      computer.setList('warning-list--00000000-0000-4000-8000-000000000001', extra);
      try {
        const running = job('next');
        await running.listChanged('warning-list--00000000-0000-4000-8000-000000000001', ['DOMAIN']);
        await running.tick(1);
        // Queued again mid-scan: the saved progress belongs to the old request, which is replaced.
        await running.listChanged('warning-list--00000000-0000-4000-8000-000000000001', ['DOMAIN']);
        expect((await running.state())!.scans[0]!.afterSeq).toBeNull();
        await running.runAll();
        const [doc] = await store.indicators.find({ value: 'c.example' });
        expect(doc!.warnedBy).toEqual(['warning-list--00000000-0000-4000-8000-000000000001']);
        expect((await running.state())!.scans).toEqual([]);
      } finally {
        computer.removeList('warning-list--00000000-0000-4000-8000-000000000001');
      }
    });
  });
});

describe('lists a viewer may not see', () => {
  let t: TestHub;
  const HIDDEN = 'warning-list--00000000-0000-4000-8000-0000000000aa';

  beforeAll(async () => {
    t = await startTestHub();
    await t.member('pub', 'TRUSTED').publishes(['c2-one.example', 'c2-two.example', 'c2-three.example', '8.8.8.8'].map((value) => ({ value })));
  });
  afterAll(() => t.dispose());

  it('a list flagged on claims but applying to no viewer (until the policy says it reaches one) changes no page and no count', async () => {
    await t.member('corp', 'COMMUNITY').token();
    const reader = await t.token('corp');
    const before = await listAll(t, reader, { excludeWarned: true });
    const stream = await t.gql(LIST, { filter: { excludeWarned: true }, first: 10 }, { token: reader });
    // The member list flags a claim every viewer sees; it is stored, never shown, and applies to no one here.
    t.hub.services.warnedBy.setList(HIDDEN, new WarningListSet([domainList('their-egress', '1', ['c2-two.example'])]));
    await t.hub.services.warnedByJob.listChanged(HIDDEN, ['DOMAIN']);
    await t.hub.maintenance.recomputeWarned();
    const [doc] = await t.hub.store.indicators.find({ value: 'c2-two.example' });
    expect(doc!.warnedBy).toEqual([HIDDEN]);
    const after = await listAll(t, reader, { excludeWarned: true });
    expect(after).toEqual(before);
    expect((await t.gql(LIST, { filter: { excludeWarned: true }, first: 10 }, { token: reader })).text).toBe(stream.text);
    expect(before.values).toContain('c2-two.example');
    expect(before.values).not.toContain('8.8.8.8');
    // Its id appears in no answer (the flag is stored, never served).
    const tx = await taxii(t)(`${INDICATORS}/objects/?match[x_hub_warned]=false`, reader);
    expect(tx.text).not.toContain(HIDDEN);
    expect(t.hub.services.warnedBy.warnedFor({ kind: 'member', memberId: 'corp', userId: 'u', roles: ['reader'], tier: 'COMMUNITY' }, { type: 'DOMAIN', value: 'c2-two.example' })).toBe(false);
  });

  it('nor what an alert subscriber with excludeWarned receives, live (judged per event)', async () => {
    const hub = await startTestHub({ config: { alertHeartbeatMs: 50 } });
    try {
      const pub = hub.member('pub', 'TRUSTED');
      await hub.member('corp', 'COMMUNITY').token();
      const stream = await alertStream(hub, await hub.token('corp'), { filter: { excludeWarned: true } });
      const all = await alertStream(hub, await hub.token('corp'));
      hub.hub.services.warnedBy.setList(HIDDEN, new WarningListSet([domainList('their-egress', '1', ['their-egress.example'])]));
      const results = await pub.publishes([{ value: 'their-egress.example' }, { value: '8.8.8.8' }, { value: 'c2-four.example' }]);
      const [egress, , c2] = results.map((r: any) => r.indicator.id);
      await all.until((s) => s.events.length === 3, 'all three events');
      await stream.nextHeartbeats();
      expect(stream.summary).toEqual([`INDICATOR ${egress} PUBLISHED`, `INDICATOR ${c2} PUBLISHED`]);
    } finally {
      await disposeStreams();
      await hub.dispose();
    }
  });

  it('the vendored lists apply to every viewer, anonymous callers included', () => {
    const computer = new WarnedByComputer(new WarningListSet(loadVendoredLists()));
    expect(computer.idsFor({ kind: 'anonymous', tier: 'PUBLIC' })).toEqual(computer.vendoredIds);
    expect(computer.vendoredIds).toContain('misp:public-dns-v4');
    expect(computer.vendoredIds).not.toContain('misp:sinkholes');
  });
});
