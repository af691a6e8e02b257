/**
 * Federation between real hubs (issue 15, docs/federation.md): several hubs in this process, each
 * on port 0 with its own SQLite store, pulling each other's `alerts` over graphql-ws with API keys
 * their peers issued. (test/federation.test.ts is about members' identity providers: issue 11.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { ROLES, type MemberTier, type Tlp } from '../src/domain/types.js';
import { startHub, type Hub } from '../src/main.js';
import { eventually, sleep } from './support/alert-stream.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const PUBLISH = `mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { status indicator { id value } error { code message } } } }`;
const PUBLISH_NOTICE = `mutation($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }`;
const CREATE_KEY = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }`;
const REGISTER_PEER = `mutation($input: PeerInput!) { registerPeer(input: $input) { id status shareOnward member { id kind tier status } pull { kinds minSeverity tags } } }`;
const APPROVE = 'mutation($id: ID!) { approveRequest(id: $id) { id kind status } }';
const PEERS = '{ peers { id url status lastReceivedAt lastEventAt lagSeconds received refused lastError member { id tier } } }';
const LOOKUP = `query($values: [String!]!) { lookupIndicators(values: $values) { input indicators { value tlp source { id } origin { hub id publisher hops tlp shareOnward receivedFrom } } } }`;
const NOTICES = `{ modelRiskNotices(first: 50) { edges { node { title tlp mitigations technicalDetails source { id } origin { hub hops publisher } } } } }`;

/** One hub of a federation: its id (HUB_ID), two hub-admins (two persons) and a TRUSTED publisher. */
interface FedHub {
  id: string;
  t: TestHub;
  admin1: string;
  admin2: string;
  pub: string;
}

let keyCounter = 0;

async function fedHub(id: string): Promise<FedHub> {
  const t = await startTestHub({ config: { hubId: id, wsConnectPerMinute: 0 } });
  return { id, t, ...(await actors(t)) };
}

async function actors(t: TestHub): Promise<Omit<FedHub, 'id' | 't'>> {
  await t.member('ops', 'CORE', { kind: 'AGENCY', allowedRoles: [...ROLES] }).token(['reader']);
  const admin1 = await t.tokenAs('ops', 'admin1@ops', ['hub-admin', 'member-admin', 'reader', 'publisher']);
  const admin2 = await t.tokenAs('ops', 'admin2@ops', ['hub-admin', 'reader']);
  const pub = await t.member('pub', 'TRUSTED').token(['publisher', 'reader']);
  return { admin1, admin2, pub };
}

function ok(res: { body: { data?: any; errors?: unknown[] } }): any {
  if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
  return res.body.data;
}

/** An API key's secret part (`hubk_<16 hex>_<secret>`). */
const secretOf = (key: string) => key.slice('hubk_'.length + 17);

/** The key `source` issues to the peer hub `pullerId` (its member there, kind HUB, seeded at `tier` when new). */
async function issueKey(source: FedHub, pullerId: string, tier: MemberTier): Promise<string> {
  const members = source.t.hub.services.members;
  if (!(await members.get(pullerId))) {
    await members.register({ _id: pullerId, name: `${pullerId} hub`, kind: 'HUB', tier, sector: 'federation', country: 'NL', allowedRoles: ['reader'], status: 'ACTIVE', createdAt: new Date() });
  }
  await source.t.person(pullerId, `peer@${pullerId}`, ['reader']);
  return ok(await source.t.gql(CREATE_KEY, { input: { memberId: pullerId, name: `peer ${++keyCounter}`, personId: `peer@${pullerId}` } }, { token: source.admin1 })).createApiKey.key;
}

/**
 * `puller` pulls `source`: `source` issues it a key (its member there at `sends`: what `source`
 * sends it), `puller` registers the peer (at `trusts`: its member there) and a second hub-admin approves.
 */
async function link(puller: FedHub, source: FedHub, sends: MemberTier, trusts: MemberTier, extra: Record<string, unknown> = { shareOnward: true }): Promise<string> {
  const credential = await issueKey(source, puller.id, sends);
  const subscribers = source.t.hub.alerts.stats().subscribers;
  const registered = ok(await puller.t.gql(REGISTER_PEER, { input: { id: source.id, name: `${source.id} hub`, country: 'NL', tier: trusts, url: source.t.url, credential, ...extra } }, { token: puller.admin1 }));
  expect(registered.registerPeer.status).toBe('PENDING');
  const [request] = await puller.t.hub.store.approvals.find({ kind: 'REGISTER_PEER', 'target.id': source.id, status: 'PENDING' });
  ok(await puller.t.gql(APPROVE, { id: request!._id }, { token: puller.admin2 }));
  await puller.t.hub.maintenance.pullPeers();
  // A peer without a cursor yet pulls live from its first subscription: publish once it is there.
  await eventually(() => source.t.hub.alerts.stats().subscribers > subscribers, `${puller.id} subscribed at ${source.id}`);
  return credential;
}

async function publish(h: FedHub, items: Array<{ value: string; tlp?: Tlp; recipients?: string[]; tags?: string[]; severity?: string }>): Promise<string[]> {
  const indicators = items.map((i) => ({ tlp: 'CLEAR', severity: 'MEDIUM', confidence: 60, ...i }));
  const results = ok(await h.t.gql(PUBLISH, { input: { idempotencyKey: `k-${++keyCounter}`, indicators } }, { token: h.pub })).publishIndicators.results;
  for (const r of results) if (r.status === 'REJECTED') throw new Error(JSON.stringify(r.error));
  return results.map((r: any) => r.indicator.id);
}

/** The claims a hub's store holds on a value (every source). */
const claims = (h: FedHub | { t: { hub: Hub } }, value: string) => h.t.hub.store.indicators.find({ value });

async function arrives(h: FedHub, value: string, label = value, timeoutMs = 15_000): Promise<void> {
  let found = false;
  const start = Date.now();
  while (!found) {
    found = (await claims(h, value)).some((c) => c.source !== 'pub');
    if (found) return;
    if (Date.now() - start > timeoutMs) throw new Error(`${label} never reached ${h.id}`);
    await sleep(20);
  }
}

describe('a chain A <-> B <-> C: each hop sees what a member of its tier sees, minus what never leaves', () => {
  let a: FedHub, b: FedHub, c: FedHub;
  /** B's key at A and C's key at B: the peers' own credentials, for reading as they do. */
  let bAtA: string, cAtB: string;
  beforeAll(async () => {
    [a, b, c] = await Promise.all([fedHub('hub-a'), fedHub('hub-b'), fedHub('hub-c')]);
    bAtA = await link(b, a, 'CORE', 'TRUSTED'); // B pulls A; A sends B what CORE sees (but embargoed notices)
    await link(a, b, 'TRUSTED', 'CORE'); // A pulls B (the same member both ways, at the tier it has)
    cAtB = await link(c, b, 'COMMUNITY', 'TRUSTED'); // C pulls B; B sends C what COMMUNITY sees
    await link(b, c, 'TRUSTED', 'COMMUNITY'); // B pulls C
  }, 60_000);

  it('registers a peer only with a second hub-admin, and shows it to hub-admins without its credential', async () => {
    const credential = await issueKey(a, 'hub-z', 'COMMUNITY');
    const res = await c.t.gql(REGISTER_PEER, { input: { id: 'hub-a2', name: 'another', country: 'NL', tier: 'COMMUNITY', url: a.t.url, credential } }, { token: c.pub });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const own = ok(await c.t.gql(REGISTER_PEER, { input: { id: 'hub-a2', name: 'another', country: 'NL', tier: 'COMMUNITY', url: a.t.url, credential } }, { token: c.admin1 }));
    expect(own.registerPeer).toMatchObject({ id: 'hub-a2', status: 'PENDING', shareOnward: false, member: { kind: 'HUB', tier: 'COMMUNITY', status: 'PENDING' } });
    const [request] = await c.t.hub.store.approvals.find({ kind: 'REGISTER_PEER', 'target.id': 'hub-a2' });
    const self = await c.t.gql(APPROVE, { id: request!._id }, { token: c.admin1 });
    expect(self.body.errors?.[0]?.extensions?.code).toBeDefined();
    const listed = await c.t.gql(PEERS, {}, { token: c.admin1 });
    expect(listed.text).not.toContain(credential);
    expect(listed.text).not.toContain(secretOf(credential));
    expect(ok(listed).peers.find((p: any) => p.id === 'hub-a2').status).toBe('PENDING');
    expect(ok(listed).peers.find((p: any) => p.id === 'hub-b').status).toBe('LIVE');
    const stored = JSON.stringify(await c.t.hub.store.members.findByIds(['hub-a2']));
    expect(stored).not.toContain(secretOf(credential));
    // Nor the audit log, nor the approval request, read or stored.
    const audit = await c.t.gql('{ auditLog(first: 500) { edges { node { action summary details target { id } } } } approvalRequests(first: 50) { edges { node { kind reason change { tier } } } } }', {}, { token: c.admin1 });
    expect(audit.body.errors, audit.text).toBeUndefined();
    expect(audit.text).toContain('REGISTER_PEER');
    expect(audit.text).not.toContain(secretOf(credential));
    expect(JSON.stringify([await c.t.hub.store.audit.find({}), await c.t.hub.store.approvals.find({})])).not.toContain(secretOf(credential));
    const badUrl = await c.t.gql(REGISTER_PEER, { input: { id: 'hub-x', name: 'x', country: 'NL', tier: 'COMMUNITY', url: 'ftp://x', credential } }, { token: c.admin1 });
    expect(badUrl.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.url' });
    expect((await c.t.gql(PEERS, {}, { token: c.pub })).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('sends CLEAR, GREEN and AMBER to a TRUSTED peer and CLEAR and GREEN onward to a COMMUNITY one, never RED or AMBER+STRICT, never back', async () => {
    const v = (tlp: string) => `${tlp.toLowerCase().replace('_', '-')}.chain.example`;
    await publish(a, [
      { value: v('CLEAR'), tlp: 'CLEAR' },
      { value: v('GREEN'), tlp: 'GREEN' },
      { value: v('AMBER'), tlp: 'AMBER' },
      { value: v('AMBER_STRICT'), tlp: 'AMBER_STRICT' },
      { value: v('RED'), tlp: 'RED', recipients: ['ops'] },
    ]);
    await publish(a, [{ value: 'sentinel.chain.example', tlp: 'GREEN' }]);
    await arrives(b, 'sentinel.chain.example');
    await arrives(c, 'sentinel.chain.example');
    const atB = async (value: string) => (await claims(b, value)).filter((d) => d.source === 'hub-a');
    const atC = async (value: string) => (await claims(c, value)).filter((d) => d.source === 'hub-b');
    for (const tlp of ['CLEAR', 'GREEN', 'AMBER'] as const) {
      const [got] = await atB(v(tlp));
      expect(got, tlp).toMatchObject({ tlp, origin: { hub: 'hub-a', hops: 1, tlp, shareOnward: true, receivedFrom: 'hub-a', publisher: 'pub' } });
    }
    expect(await atB(v('AMBER_STRICT'))).toEqual([]);
    expect(await atB(v('RED'))).toEqual([]);
    for (const tlp of ['CLEAR', 'GREEN'] as const) {
      const [got] = await atC(v(tlp));
      // B let C see neither the original publisher (gated TRUSTED) nor anything above COMMUNITY.
      expect(got, tlp).toMatchObject({ tlp, origin: { hub: 'hub-a', hops: 2, receivedFrom: 'hub-b', publisher: null } });
    }
    for (const tlp of ['AMBER', 'AMBER_STRICT', 'RED'] as const) expect(await atC(v(tlp)), tlp).toEqual([]);
    // The sending side decides (the receiving side's own refusal is a second line): the alerts sent
    // held nothing the receiver had to refuse, and the peers' keys read the same through queries.
    const refusedAt = async (h: FedHub, peer: string) => ok(await h.t.gql(PEERS, {}, { token: h.admin1 })).peers.find((p: any) => p.id === peer).refused;
    expect(await refusedAt(b, 'hub-a')).toBe(0);
    expect(await refusedAt(c, 'hub-b')).toBe(0);
    const all = ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED'].map(v);
    const read = async (h: FedHub, token: string) => ok(await h.t.gql(LOOKUP, { values: all }, { token })).lookupIndicators.flatMap((l: any) => l.indicators.map((i: any) => i.tlp));
    expect(await read(a, bAtA)).toEqual(['CLEAR', 'GREEN', 'AMBER']);
    expect(await read(b, cAtB)).toEqual(['CLEAR', 'GREEN']);
    // A pulls B: nothing of A's came back (B never sends a peer its own records, nor what originated there).
    await publish(b, [{ value: 'sentinel-b.chain.example', tlp: 'GREEN' }]);
    await arrives(a, 'sentinel-b.chain.example');
    for (const tlp of ['CLEAR', 'GREEN', 'AMBER'] as const) expect((await claims(a, v(tlp))).map((d) => d.source), tlp).toEqual(['pub']);
    // Provenance as readers see it: a CORE reader at C sees the origin; the publisher is what C was let see.
    const seen = ok(await c.t.gql(LOOKUP, { values: [v('GREEN')] }, { token: c.admin1 })).lookupIndicators[0].indicators;
    expect(seen).toEqual([{ value: v('GREEN'), tlp: 'GREEN', source: { id: 'hub-b' }, origin: { hub: 'hub-a', id: expect.stringMatching(/^indicator--/), publisher: null, hops: 2, tlp: 'GREEN', shareOnward: true, receivedFrom: 'hub-b' } }]);
  }, 30_000);

  it('shows a COMMUNITY reader a received record\'s provenance without the peer it came from, as its source is withheld', async () => {
    await publish(a, [{ value: 'provenance.chain.example', tlp: 'GREEN' }]);
    await arrives(c, 'provenance.chain.example');
    const reader = await c.t.member('c-community', 'COMMUNITY').token(['reader']);
    const res = await c.t.gql(LOOKUP, { values: ['provenance.chain.example'] }, { token: reader });
    const [seen] = ok(res).lookupIndicators[0].indicators;
    // `source` is gated at TRUSTED: the member a record came from (the peer hub B) is not for COMMUNITY.
    // The origin hub (A) is shown: every peer must read it, or a ring could not tell a record's origin.
    expect(seen).toEqual({ value: 'provenance.chain.example', tlp: 'GREEN', source: null, origin: { hub: 'hub-a', id: expect.stringMatching(/^indicator--/), publisher: null, hops: 2, tlp: 'GREEN', shareOnward: true, receivedFrom: null } });
    expect(res.text).not.toContain('hub-b');
  }, 30_000);

  it('answers a non-admin registering or managing a peer exactly as for an id that names nothing', async () => {
    const reader = await c.t.member('c-manager', 'CORE').token(['reader', 'member-admin']);
    for (const op of ['pausePeer', 'resumePeer', 'removePeer']) {
      const q = `mutation($id: ID!) { ${op}(id: $id) { id url status lastError } }`;
      const existing = await c.t.gql(q, { id: 'hub-b' }, { token: reader });
      const missing = await c.t.gql(q, { id: 'no-such-hub' }, { token: reader });
      expect(existing.body.errors?.[0]?.extensions?.code, op).toBe('FORBIDDEN');
      expect(existing.text.split('hub-b').join('X'), op).toBe(missing.text.split('no-such-hub').join('X'));
    }
    const register = (id: string) => c.t.gql(REGISTER_PEER, { input: { id, name: 'x', country: 'NL', tier: 'COMMUNITY', url: b.t.url, credential: `hubk_0123456789abcdef_${'A'.repeat(43)}` } }, { token: reader });
    const [taken, free] = [await register('hub-b'), await register('no-such-hub')];
    expect(taken.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(taken.text.split('hub-b').join('X')).toBe(free.text.split('no-such-hub').join('X'));
    // Nor does peers, nor the peer's member, tell its settings: no field of Member carries them.
    const member = await c.t.gql(`query($id: ID!) { member(id: $id) { id kind tier status } }`, { id: 'hub-b' }, { token: reader });
    expect(member.text).not.toContain(b.t.url);
  });

  it('withholds a field gated at TRUSTED from a COMMUNITY peer, and embargoed notices from every peer', async () => {
    const notice = (title: string, extra: Record<string, unknown> = {}) => ({
      title, summary: 'a summary', model: { name: 'm', developer: 'lab' }, category: 'JAILBREAK', severity: 'HIGH', tlp: 'GREEN', status: 'PUBLISHED',
      mitigations: 'patch the system prompt', technicalDetails: 'the details', ...extra,
    });
    ok(await a.t.gql(PUBLISH_NOTICE, { input: notice('embargoed', { embargoUntil: new Date(Date.now() + 3_600_000).toISOString() }) }, { token: a.pub }));
    ok(await a.t.gql(PUBLISH_NOTICE, { input: notice('gated') }, { token: a.pub }));
    ok(await a.t.gql(PUBLISH_NOTICE, { input: notice('strict', { tlp: 'AMBER_STRICT' }) }, { token: a.pub }));
    await publish(a, [{ value: 'sentinel-n.chain.example', tlp: 'GREEN' }]);
    await arrives(c, 'sentinel-n.chain.example');
    const titles = async (h: FedHub) => ok(await h.t.gql(NOTICES, {}, { token: h.admin1 })).modelRiskNotices.edges.map((e: any) => e.node);
    const atB = await titles(b);
    const atC = await titles(c);
    expect(atB.map((n: any) => n.title)).toEqual(['gated']);
    expect(atC.map((n: any) => n.title)).toEqual(['gated']);
    expect(atB[0]).toMatchObject({ mitigations: 'patch the system prompt', technicalDetails: 'the details', source: { id: 'hub-a' }, origin: { hub: 'hub-a', hops: 1, publisher: 'pub' } });
    // C is COMMUNITY at B: B's TRUSTED-gated fields never reached it, though C's own reader is CORE.
    expect(atC[0]).toMatchObject({ mitigations: null, technicalDetails: null, source: { id: 'hub-b' }, origin: { hub: 'hub-a', hops: 2, publisher: null } });
    // What C's key reads at B: the notice, its TRUSTED fields withheld; nothing embargoed or AMBER+STRICT.
    const asC = ok(await b.t.gql(NOTICES, {}, { token: cAtB })).modelRiskNotices.edges.map((e: any) => e.node);
    expect(asC).toEqual([expect.objectContaining({ title: 'gated', mitigations: null, technicalDetails: null })]);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([a, b, c].map((h) => h?.t.dispose()));
  });
});

describe('the peer channel: a peer of each tier sees what a member of that tier sees, minus what never leaves', () => {
  it('answers a HUB member exactly the records of an ordinary member of its tier, less RED, AMBER+STRICT and embargoed ones', async () => {
    const h = await fedHub('matrix');
    const tiers = ['COMMUNITY', 'TRUSTED', 'CORE'] as const;
    const tokens: Record<string, string> = {};
    for (const tier of tiers) {
      tokens[`m-${tier}`] = await h.t.member(`m-${tier.toLowerCase()}`, tier).token(['reader']);
      tokens[`p-${tier}`] = await h.t.member(`p-${tier.toLowerCase()}`, tier, { kind: 'HUB', allowedRoles: ['reader'] }).token(['reader']);
    }
    const everyone = tiers.flatMap((t) => [`m-${t.toLowerCase()}`, `p-${t.toLowerCase()}`]);
    await publish(h, (['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED'] as const).map((tlp) => ({ value: `${tlp.toLowerCase().replace('_', '-')}.matrix.example`, tlp, tags: ['matrix'], ...(tlp === 'RED' ? { recipients: everyone } : {}) })));
    const notice = (title: string, tlp: string, extra: Record<string, unknown> = {}) =>
      h.t.gql(PUBLISH_NOTICE, { input: { title, summary: 's', model: { name: 'm', developer: 'd' }, category: 'JAILBREAK', severity: 'HIGH', tlp, status: 'PUBLISHED', mitigations: 'mit', evaluationEvidence: 'ev', ...extra } }, { token: h.pub });
    for (const tlp of ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT']) ok(await notice(`n-${tlp}`, tlp));
    ok(await notice('n-RED', 'RED', { recipients: everyone }));
    ok(await notice('n-embargoed', 'GREEN', { embargoUntil: new Date(Date.now() + 3_600_000).toISOString() }));
    const QUERY = `{ indicators(first: 50, filter: { tags: ["matrix"] }, orderBy: { field: CREATED_AT, direction: ASC }) { totalCount edges { node { value tlp source { id } } } }
      modelRiskNotices(first: 50) { totalCount edges { node { title mitigations evaluationEvidence } } } }`;
    const neverLeaves = (v: string) => /^(amber-strict|red)\./.test(v) || /^n-(AMBER_STRICT|RED|embargoed)$/.test(v);
    for (const tier of tiers) {
      const member = ok(await h.t.gql(QUERY, {}, { token: tokens[`m-${tier}`] }));
      const peer = ok(await h.t.gql(QUERY, {}, { token: tokens[`p-${tier}`] }));
      const expectedIndicators = member.indicators.edges.filter((e: any) => !neverLeaves(e.node.value));
      const expectedNotices = member.modelRiskNotices.edges.filter((e: any) => !neverLeaves(e.node.title));
      expect(peer.indicators.edges, tier).toEqual(expectedIndicators);
      expect(peer.indicators.totalCount, tier).toBe(expectedIndicators.length);
      expect(peer.modelRiskNotices.edges, tier).toEqual(expectedNotices);
      expect(peer.modelRiskNotices.totalCount, tier).toBe(expectedNotices.length);
      // The member did see what the peer may not (the seed is really there), but for CLEAR-only tiers.
      if (tier !== 'COMMUNITY') expect(member.indicators.edges.length, tier).toBeGreaterThan(expectedIndicators.length);
    }
    await h.t.dispose();
  }, 30_000);
});

describe('a ring A -> B -> C -> A', () => {
  it('carries a record round the ring once: never back to its origin, never twice anywhere', async () => {
    const [a, b, c] = await Promise.all([fedHub('ring-a'), fedHub('ring-b'), fedHub('ring-c')]);
    await link(b, a, 'TRUSTED', 'TRUSTED');
    await link(c, b, 'TRUSTED', 'TRUSTED');
    const aAtC = await link(a, c, 'TRUSTED', 'TRUSTED');
    await publish(a, [{ value: 'x.ring.example', tlp: 'GREEN' }]);
    await arrives(c, 'x.ring.example');
    // The way back: C publishes after; once it reached B through A, anything A's record would do has happened.
    await publish(c, [{ value: 'y.ring.example', tlp: 'GREEN' }]);
    await arrives(a, 'y.ring.example');
    await arrives(b, 'y.ring.example');
    await publish(a, [{ value: 'z.ring.example', tlp: 'GREEN' }]);
    await arrives(c, 'z.ring.example');
    expect((await claims(a, 'x.ring.example')).map((d) => d.source)).toEqual(['pub']);
    expect((await claims(b, 'x.ring.example')).map((d) => [d.source, d.origin?.hops])).toEqual([['ring-a', 1]]);
    expect((await claims(c, 'x.ring.example')).map((d) => [d.source, d.origin?.hops])).toEqual([['ring-b', 2]]);
    expect((await claims(b, 'y.ring.example')).map((d) => [d.source, d.origin?.hub, d.origin?.hops])).toEqual([['ring-a', 'ring-c', 2]]);
    expect((await claims(c, 'y.ring.example')).map((d) => d.source)).toEqual(['pub']);
    // The sending side's rule, on another channel than alerts: A's own key at C does not find x there.
    const asA = ok(await c.t.gql(LOOKUP, { values: ['x.ring.example', 'y.ring.example'] }, { token: aAtC })).lookupIndicators;
    expect(asA.map((l: any) => l.indicators.length)).toEqual([0, 1]);
    // Each hub logged one PUBLISHED event for x and none after: no echo, no amplification.
    for (const h of [b, c]) {
      const [claim] = (await claims(h, 'x.ring.example'));
      const events = (await h.t.hub.store.events.readAfter(0, 10_000)).filter((e) => e.recordId === claim!._id);
      expect(events.map((e) => e.type), h.id).toEqual(['PUBLISHED']);
    }
    await Promise.all([a, b, c].map((h) => h.t.dispose()));
  }, 60_000);

  it('stops at HUB_MAX_HOPS: a record received with that many hops is not shared onward', async () => {
    const hubs: FedHub[] = [];
    for (const id of ['hop-a', 'hop-b', 'hop-c']) {
      const t = await startTestHub({ config: { hubId: id, wsConnectPerMinute: 0, maxHops: 1 } });
      hubs.push({ id, t, ...(await actors(t)) });
    }
    const [a, b, c] = hubs as [FedHub, FedHub, FedHub];
    await link(b, a, 'TRUSTED', 'TRUSTED');
    await link(c, b, 'TRUSTED', 'TRUSTED');
    await publish(a, [{ value: 'far.hops.example', tlp: 'GREEN' }]);
    await arrives(b, 'far.hops.example');
    await publish(b, [{ value: 'near.hops.example', tlp: 'GREEN' }]);
    await arrives(c, 'near.hops.example');
    expect(await claims(c, 'far.hops.example')).toEqual([]);
    await Promise.all(hubs.map((h) => h.t.dispose()));
  }, 60_000);
});

describe('a puller restarted mid-burst, and a peer whose tier is lowered', () => {
  let p: FedHub;
  let q: { id: string; hub: Hub; dataDir: string; t: { hub: Hub } };
  const startQ = async (dataDir: string) => {
    const config = parseConfig({ PORT: '0', HUB_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, { demo: false, hubId: 'hub-q', wsConnectPerMinute: 0 });
    const hub = await startHub(config, { logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
    return { id: 'hub-q', hub, dataDir, t: { hub } };
  };

  beforeAll(async () => {
    p = await fedHub('hub-p');
    q = await startQ(mkdtempSync(join(tmpdir(), 'hub-q-')));
    const credential = await issueKey(p, 'hub-q', 'TRUSTED');
    // Q's two hub-admins and the peer, through Q's services (the GraphQL path is tested above).
    const members = q.hub.services.members;
    await members.register({ _id: 'ops', name: 'ops', kind: 'AGENCY', tier: 'CORE', sector: 's', country: 'NL', allowedRoles: [...ROLES], status: 'ACTIVE', createdAt: new Date() });
    const admin = (userId: string) => ({ kind: 'member' as const, memberId: 'ops', userId, roles: ['hub-admin' as const], tier: 'CORE' as const });
    await q.hub.services.people.seed({ id: 'admin1@ops', memberId: 'ops', roles: ['hub-admin'] });
    await q.hub.services.people.seed({ id: 'admin2@ops', memberId: 'ops', roles: ['hub-admin'] });
    await q.hub.services.peers.register(admin('admin1@ops'), { id: 'hub-p', name: 'P', country: 'NL', tier: 'TRUSTED', url: p.t.url, credential, shareOnward: false });
    const [request] = await q.hub.store.approvals.find({ kind: 'REGISTER_PEER', 'target.id': 'hub-p' });
    await q.hub.services.approvals.approve(admin('admin2@ops'), request!._id, null);
    await q.hub.maintenance.pullPeers();
    await eventually(() => p.t.hub.alerts.stats().subscribers > 0, 'hub-q subscribed at hub-p');
  }, 60_000);

  afterAll(async () => {
    await q?.hub.dispose();
    await p?.t.dispose();
  });

  it('resumes from its stored cursor: every record once, in order, nothing lost or duplicated', async () => {
    const values: string[] = [];
    let restarted: Promise<void> | null = null;
    for (let batch = 0; batch < 10; batch++) {
      const items = Array.from({ length: 20 }, (_, k) => ({ value: `${batch * 20 + k}.burst.example`, tlp: (k % 5 === 4 ? 'RED' : 'GREEN') as Tlp, ...(k % 5 === 4 ? { recipients: ['ops'] } : {}) }));
      await publish(p, items);
      values.push(...items.filter((i) => i.tlp !== 'RED').map((i) => i.value));
      if (batch === 3) {
        // Mid-burst: stop Q while records are on their way, keep publishing, start it again on its store.
        await arrives(q as never, '0.burst.example');
        const dataDir = q.dataDir;
        restarted = (async () => {
          await q.hub.dispose();
          await sleep(200);
          q = await startQ(dataDir);
        })();
      }
    }
    await restarted;
    const received = async () => (await q.hub.store.indicators.find({ source: 'hub-p' })).filter((d) => d.value.endsWith('.burst.example'));
    const start = Date.now();
    while ((await received()).length < values.length) {
      if (Date.now() - start > 30_000) throw new Error(`only ${(await received()).length} of ${values.length} arrived`);
      await sleep(50);
    }
    await sleep(300);
    const docs = await received();
    expect(docs.length).toBe(values.length);
    // Exactly once and in order: one PUBLISHED event per record, in publishing order, no UPDATED.
    const byId = new Map(docs.map((d) => [d._id, d.value]));
    const events = (await q.hub.store.events.readAfter(0, 100_000)).filter((e) => byId.has(e.recordId));
    expect(events.map((e) => e.type).filter((t) => t !== 'PUBLISHED')).toEqual([]);
    expect(events.map((e) => byId.get(e.recordId))).toEqual(values);
    const peers = await q.hub.services.peers.list({ kind: 'member', memberId: 'ops', userId: 'admin1@ops', roles: ['hub-admin'], tier: 'CORE' });
    expect(peers[0]).toMatchObject({ id: 'hub-p', status: 'LIVE', lastError: null });
    expect(peers[0]!.lagSeconds).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('stops sending a peer what its lowered tier may no longer see', async () => {
    await publish(p, [{ value: 'amber-before.tier.example', tlp: 'AMBER' }]);
    await arrives(q as never, 'amber-before.tier.example');
    const request = ok(await p.t.gql('mutation { requestTierChange(memberId: "hub-q", tier: COMMUNITY, reason: "less trust") { id } }', {}, { token: p.admin1 })).requestTierChange;
    ok(await p.t.gql(APPROVE, { id: request.id }, { token: p.admin2 }));
    await publish(p, [{ value: 'amber-after.tier.example', tlp: 'AMBER' }, { value: 'green-after.tier.example', tlp: 'GREEN' }]);
    await arrives(q as never, 'green-after.tier.example');
    expect((await q.hub.store.indicators.find({ value: 'amber-after.tier.example' })).length).toBe(0);
    // Received records are not shared onward from Q (shareOnward false), and none was RED.
    const all = await q.hub.store.indicators.find({ source: 'hub-p' });
    expect(all.every((d) => d.origin?.shareOnward === false && d.tlp !== 'RED')).toBe(true);
  }, 30_000);
  it('pauses (nothing pulled, the cursor kept), resumes from the cursor, and removes a peer for good', async () => {
    const hubAdmin = { kind: 'member' as const, memberId: 'ops', userId: 'admin1@ops', roles: ['hub-admin' as const], tier: 'CORE' as const };
    expect((await q.hub.services.peers.pause(hubAdmin, 'hub-p')).status).toBe('PAUSED');
    await q.hub.maintenance.pullPeers();
    await eventually(() => p.t.hub.alerts.stats().subscribers === 0, 'the paused puller gone');
    await publish(p, [{ value: 'while-paused.pause.example', tlp: 'GREEN' }]);
    await sleep(300);
    expect(await q.hub.store.indicators.find({ value: 'while-paused.pause.example' })).toEqual([]);
    expect((await q.hub.services.peers.resume(hubAdmin, 'hub-p')).status).not.toBe('PAUSED');
    await q.hub.maintenance.pullPeers();
    await arrives(q as never, 'while-paused.pause.example');
    const removed = await q.hub.services.peers.remove(hubAdmin, 'hub-p');
    expect(removed).toMatchObject({ status: 'REMOVED', member: { status: 'OFFBOARDED' } });
    const [member] = await q.hub.store.members.findByIds(['hub-p']);
    expect(member!.peer!.credential).toBeNull();
    await q.hub.maintenance.pullPeers();
    await eventually(() => p.t.hub.alerts.stats().subscribers === 0, 'the removed puller gone');
    const actions = (await q.hub.store.audit.find({}, { sort: [['seq', 1]] })).map((e: { action: string }) => e.action).filter((a: string) => a.startsWith('PEER_'));
    expect(actions).toEqual(['PEER_REGISTERED', 'PEER_PAUSED', 'PEER_RESUMED', 'PEER_REMOVED']);
  }, 30_000);

});

describe('removing or pausing a peer while its puller stores a cursor', () => {
  it('keeps the peer removed and its credential wiped, or paused, whichever write lands last', async () => {
    const t = await startTestHub({ config: { hubId: 'race', wsConnectPerMinute: 0 } });
    await t.hub.services.members.register({ _id: 'ops', name: 'ops', kind: 'AGENCY', tier: 'CORE', sector: 's', country: 'NL', allowedRoles: [...ROLES], status: 'ACTIVE', createdAt: new Date() });
    await t.hub.services.people.seed({ id: 'admin1@ops', memberId: 'ops', roles: ['hub-admin'] });
    await t.hub.services.people.seed({ id: 'admin2@ops', memberId: 'ops', roles: ['hub-admin'] });
    const admin = (userId: string) => ({ kind: 'member' as const, memberId: 'ops', userId, roles: ['hub-admin' as const], tier: 'CORE' as const });
    const survived: number[] = [];
    const unpaused: number[] = [];
    // Every interleaving of the two (the cursor save started k microtask turns after the removal).
    for (let k = 0; k < 40; k++) {
      const id = `peer-${k}`;
      // A peer on a closed port: never pulled here; the cursor save plays its puller.
      await t.hub.services.peers.register(admin('admin1@ops'), { id, name: 'P', country: 'NL', tier: 'TRUSTED', url: 'http://127.0.0.1:9/graphql', credential: `hubk_0123456789abcdef_${'A'.repeat(43)}` });
      const [request] = await t.hub.store.approvals.find({ kind: 'REGISTER_PEER', 'target.id': id });
      await t.hub.services.approvals.approve(admin('admin2@ops'), request!._id, null);
      const save = async () => {
        for (let i = 0; i < k; i++) await Promise.resolve();
        await t.hub.services.peers.saveCursor(id, 'a-cursor', null, new Date());
      };
      await Promise.all([t.hub.services.peers.remove(admin('admin1@ops'), id), save()]);
      const [member] = await t.hub.store.members.findByIds([id]);
      if (member!.peer!.credential !== null || member!.peer!.removedAt === null) survived.push(k);
      // And a pause, on another peer: never undone by a save that read it unpaused.
      const other = `paused-${k}`;
      await t.hub.services.peers.register(admin('admin1@ops'), { id: other, name: 'P', country: 'NL', tier: 'TRUSTED', url: 'http://127.0.0.1:9/graphql', credential: `hubk_0123456789abcdef_${'A'.repeat(43)}` });
      const [second] = await t.hub.store.approvals.find({ kind: 'REGISTER_PEER', 'target.id': other });
      await t.hub.services.approvals.approve(admin('admin2@ops'), second!._id, null);
      const saveOther = async () => {
        for (let i = 0; i < k; i++) await Promise.resolve();
        await t.hub.services.peers.saveCursor(other, 'a-cursor', null, new Date());
      };
      await Promise.all([t.hub.services.peers.pause(admin('admin1@ops'), other), saveOther()]);
      const [paused] = await t.hub.store.members.findByIds([other]);
      if (!paused!.peer!.paused) unpaused.push(k);
    }
    expect(survived, 'interleavings after which the sealed credential came back').toEqual([]);
    expect(unpaused, 'interleavings after which the pause was undone').toEqual([]);
    await t.dispose();
  }, 60_000);
});
