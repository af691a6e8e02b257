/**
 * HUB_WARNINGLIST_POLICY=hold end to end (docs/intel-quality.md, "At publish"; docs/approvals.md):
 * a real hub on port 0 with a controlled clock, real JWTs (and a member's own identity provider),
 * the official graphql-ws client for alerts, TAXII over HTTP. An item on a false-positive list is
 * HELD: nothing of it is stored or visible until another person approves its
 * PUBLISH_WARNED_INDICATOR request; then it is published as the member's, once.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertStream, disposeStreams, type AlertStream } from './support/alert-stream.js';
import { startTestHub, type GqlResponse, type TestHub } from './support/hub-fixture.js';
import { personToken, registerIdentityProvider } from './support/identity-providers.js';
import { tlpMarkingId } from '../src/stix/tlp-markings.js';
import { HUB_BIN } from './support/hub-bin.js';

const HELD_FIELDS = 'type value submittedValue tlp recipients severity confidence validFrom validUntil tags description warnings { list category match }';
const REQUEST = `id kind status reason requestedBy { memberId userId } decidedBy { userId } target { kind id node { id ... on Indicator { value } } } change { indicator { ${HELD_FIELDS} } }`;
const PUBLISH = `mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) {
  created updated rejected held replayed
  results { index status error { code field message } warnings { list category match } indicator { id value } approvalRequest { ${REQUEST} } } } }`;
const APPROVE = `mutation($id: ID!) { approveRequest(id: $id) { ${REQUEST} } }`;
const REJECT = `mutation($id: ID!, $reason: String!) { rejectRequest(id: $id, reason: $reason) { ${REQUEST} } }`;
const LIST = `{ approvalRequests(first: 50) { totalCount edges { node { ${REQUEST} } } } }`;
const INDICATOR_FIELDS = 'id type value tlp confidence score revoked source { id } warnings { list }';
const BY_VALUE = `query($v: String!) {
  indicators(filter: { value: $v }) { totalCount countUpTo(atMost: 5) { value exact } edges { node { ${INDICATOR_FIELDS} } } }
  lookupIndicators(values: [$v]) { known indicators { id } } }`;
const BY_ID = `query($id: ID!) { indicator(id: $id) { ${INDICATOR_FIELDS} } node(id: $id) { id } }`;
const AUDIT = `query($f: AuditLogFilter) { auditLog(filter: $f, first: 50) { edges { node { action memberId actor { userId } target { kind id } details } } } }`;
const TAXII = 'application/taxii+json;version=2.1';
const TAXII_COLLECTION = '/taxii2/hub/collections/ddf9e498-e313-4c9f-a961-674ccefa2ab9/';

let t: TestHub;
let clock = Date.now();
const tok = {} as Record<'pub' | 'pubApprover' | 'alice' | 'colleague' | 'labAdmin' | 'otherApprover' | 'trusted' | 'community' | 'recipient' | 'hubAdmin' | 'lowAdmin', string>;
let keys = 0;

const data = (res: GqlResponse) => {
  expect(res.body.errors, res.text).toBeUndefined();
  return res.body.data;
};
const errorOf = (res: GqlResponse) => {
  expect(res.body.errors, `expected an error: ${res.text}`).toBeDefined();
  return res.body.errors![0]!;
};
const item = (value: string, extra: Record<string, unknown> = {}) => ({ value, tlp: 'GREEN', severity: 'HIGH', confidence: 80, ...extra });

async function publish(items: Array<Record<string, unknown>>, token = tok.pub, key = `hold-${++keys}`) {
  return data(await t.gql(PUBLISH, { input: { idempotencyKey: key, indicators: items } }, { token })).publishIndicators;
}

/** What each viewer can find of a value: filters, counts, lookups, and the id the held item's claim will take. */
async function seenOf(token: string | undefined, value: string, id: string) {
  const byValue = data(await t.gql(BY_VALUE, { v: value }, { token }));
  const byId = data(await t.gql(BY_ID, { id }, { token }));
  return {
    total: byValue.indicators.totalCount,
    upTo: byValue.indicators.countUpTo.value,
    nodes: byValue.indicators.edges.map((e: any) => e.node.id),
    known: byValue.lookupIndicators[0].known,
    byId: byId.indicator?.id ?? null,
    node: byId.node?.id ?? null,
  };
}
const unseen = { total: 0, upTo: 0, nodes: [], known: false, byId: null, node: null };

async function taxiiObjects(token: string): Promise<string> {
  // A TAXII read serves versions dated before its millisecond: the controlled clock moves on first.
  clock += 5;
  const res = await fetch(`${t.url.replace(/\/graphql$/, '')}${TAXII_COLLECTION}objects/`, { headers: { Accept: TAXII, Authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return res.text();
}

async function auditOf(token: string) {
  return data(await t.gql(AUDIT, { f: { memberId: 'lab' } }, { token })).auditLog.edges.map((e: any) => e.node);
}

beforeAll(async () => {
  t = await startTestHub({ config: { warningListPolicy: 'hold', alertHeartbeatMs: 50, anonymousReads: true }, start: { clock: () => clock } });
  t.member('lab', 'TRUSTED');
  t.member('other', 'CORE');
  t.member('trusted', 'TRUSTED');
  t.member('community', 'COMMUNITY');
  t.member('recipient', 'COMMUNITY');
  t.member('low-ops', 'COMMUNITY', { allowedRoles: ['reader', 'hub-admin'] });
  tok.pub = await t.tokenAs('lab', 'pub@lab', ['reader', 'publisher']);
  tok.alice = await t.tokenAs('lab', 'alice@lab', ['reader', 'approver']);
  tok.colleague = await t.tokenAs('lab', 'carol@lab', ['reader', 'publisher']);
  tok.labAdmin = await t.tokenAs('lab', 'admin@lab', ['reader', 'member-admin']);
  tok.otherApprover = await t.tokenAs('other', 'olga@other', ['reader', 'approver']);
  tok.trusted = await t.token('trusted', ['reader']);
  tok.community = await t.token('community', ['reader']);
  tok.recipient = await t.token('recipient', ['reader']);
  tok.hubAdmin = await personToken(t);
  tok.lowAdmin = await t.tokenAs('low-ops', 'lee@low-ops', ['reader', 'hub-admin']);
});

afterAll(disposeStreams);

describe('publishIndicators under HUB_WARNINGLIST_POLICY=hold', () => {
  let held: any;
  let streams: Record<'trusted' | 'pub', AlertStream>;

  it('holds an item on a false-positive list (HELD, its warnings, a PUBLISH_WARNED_INDICATOR request holding the item) and stores the rest of the batch', async () => {
    streams = { trusted: await alertStream(t, tok.trusted), pub: await alertStream(t, tok.pub) };
    const answer = await publish([
      item('8[.]8[.]8[.]8', { tlp: 'AMBER', tags: [' DNS ', 'dns'], description: 'resolver seen in the lure', validUntil: '2027-01-01T00:00:00.000Z' }),
      item('evil-c2.example.net'),
      item('not a value'),
    ]);
    expect([answer.created, answer.updated, answer.rejected, answer.held, answer.replayed]).toEqual([1, 0, 1, 1, false]);
    const [first, clean, invalid] = answer.results;
    expect(first).toMatchObject({ index: 0, status: 'HELD', indicator: null, error: null, warnings: [{ list: 'public-dns-v4', category: 'FALSE_POSITIVE', match: '8.8.8.8' }] });
    expect(clean).toMatchObject({ status: 'CREATED', approvalRequest: null, warnings: [] });
    expect(invalid).toMatchObject({ status: 'REJECTED', approvalRequest: null });
    held = first.approvalRequest;
    expect(held).toMatchObject({
      kind: 'PUBLISH_WARNED_INDICATOR',
      status: 'PENDING',
      requestedBy: { memberId: 'lab', userId: 'pub@lab' },
      decidedBy: null,
      target: { kind: 'INDICATOR', node: null },
      change: {
        indicator: {
          type: 'IPV4', value: '8.8.8.8', submittedValue: '8[.]8[.]8[.]8', tlp: 'AMBER', recipients: null, severity: 'HIGH', confidence: 80,
          validFrom: new Date(clock).toISOString(), validUntil: '2027-01-01T00:00:00.000Z', tags: ['dns'], description: 'resolver seen in the lure',
          warnings: [{ list: 'public-dns-v4', category: 'FALSE_POSITIVE', match: '8.8.8.8' }],
        },
      },
    });
    expect(held.target.id).toMatch(/^indicator--/);
    // The reason says why, never the value, its TLP nor its lists.
    expect(held.reason).not.toMatch(/8\.8|AMBER|public-dns/);
  });

  it('stores nothing of it: no viewer finds it by value, count, lookup, id, TAXII or alert, not even its publisher', async () => {
    for (const token of [tok.pub, tok.alice, tok.trusted, tok.community, tok.hubAdmin, undefined]) {
      expect(await seenOf(token, '8.8.8.8', held.target.id)).toEqual(unseen);
    }
    for (const token of [tok.pub, tok.trusted]) {
      const objects = await taxiiObjects(token);
      expect(objects).toContain('evil-c2.example.net');
      expect(objects).not.toContain('8.8.8.8');
    }
    await Promise.all([streams.trusted.nextHeartbeats(), streams.pub.nextHeartbeats()]);
    for (const s of Object.values(streams)) expect(s.events.map((e) => e.type)).toEqual(['PUBLISHED']);
    expect(streams.trusted.events[0]!.indicator!.id).not.toBe(held.target.id);
  });

  it('is listed for the publisher, its member\'s approvers and hub-admins only, with the item shown to those who could see the indicator', async () => {
    const listed = async (token: string) => data(await t.gql(LIST, {}, { token })).approvalRequests.edges.map((e: any) => e.node).filter((n: any) => n.id === held.id);
    for (const token of [tok.pub, tok.alice, tok.hubAdmin]) expect((await listed(token))[0].change.indicator.value).toBe('8.8.8.8');
    for (const token of [tok.colleague, tok.otherApprover, tok.trusted]) expect(await listed(token)).toEqual([]);
    // A hub-admin below TRUSTED decides requests but may not see a TLP:AMBER item: the request without it.
    const [low] = await listed(tok.lowAdmin);
    expect(low).toMatchObject({ id: held.id, kind: 'PUBLISH_WARNED_INDICATOR', change: { indicator: null } });
    expect(JSON.stringify(low)).not.toContain('8.8.8.8');
  });

  it('is never decided by its publisher, even holding approver or through an identity it controls, nor by anyone without the right', async () => {
    tok.pubApprover = await t.tokenAs('lab', 'pub@lab', ['reader', 'publisher', 'approver']);
    expect(errorOf(await t.gql(APPROVE, { id: held.id }, { token: tok.pubApprover })).extensions?.code).toBe('FORBIDDEN');
    // pub@lab registers the lab's identity provider (another person approves the registration):
    // every identity it vouches for counts as pub@lab too, whatever its subject.
    const pubAsAdmin = await t.tokenAs('lab', 'pub@lab', ['reader', 'publisher', 'member-admin']);
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const issuer = 'https://idp.lab.example';
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'lab-1', alg: 'EdDSA', use: 'sig' }] });
    await registerIdentityProvider(t, pubAsAdmin, { memberId: 'lab', issuer, jwks });
    await t.person('lab', 'mallory@lab', ['reader', 'approver'], [{ issuer, subject: 'mallory' }]);
    const minted = await new SignJWT({ roles: ['reader', 'approver'] }).setProtectedHeader({ alg: 'EdDSA', kid: 'lab-1', typ: 'JWT' }).setIssuer(issuer).setAudience('the-hub')
      .setSubject('mallory').setIssuedAt(Math.floor(clock / 1000)).setExpirationTime(Math.floor(clock / 1000) + 600).sign(privateKey);
    expect(data(await t.gql('{ viewer { userId } }', {}, { token: minted })).viewer.userId).toBe('mallory@lab');
    expect(errorOf(await t.gql(APPROVE, { id: held.id }, { token: minted })).extensions?.code).toBe('FORBIDDEN');
    for (const token of [tok.colleague, tok.otherApprover, tok.trusted]) expect(errorOf(await t.gql(APPROVE, { id: held.id }, { token })).extensions?.code).toBe('FORBIDDEN');
    expect(await seenOf(tok.pub, '8.8.8.8', held.target.id)).toEqual(unseen);
  });

  it('answers a replayed idempotency key with the same HELD result and request, opening no second one', async () => {
    const before = data(await t.gql(LIST, {}, { token: tok.hubAdmin })).approvalRequests.totalCount;
    const key = `hold-replay-${randomUUID()}`;
    const items = [item('8.8.4.4', { tlp: 'AMBER' })];
    const first = await publish(items, tok.pub, key);
    const again = await publish(items, tok.pub, key);
    expect(again.replayed).toBe(true);
    expect(again.held).toBe(1);
    expect(again.results[0]).toMatchObject({ status: 'HELD', indicator: null, warnings: first.results[0].warnings });
    expect(again.results[0].approvalRequest.id).toBe(first.results[0].approvalRequest.id);
    expect(data(await t.gql(LIST, {}, { token: tok.hubAdmin })).approvalRequests.totalCount).toBe(before + 1);
    // Replayed by a colleague of the member who may not list the request: the same result, the request not shown.
    const byColleague = await publish(items, tok.colleague, key);
    expect(byColleague.results[0]).toMatchObject({ status: 'HELD', approvalRequest: null });
    await t.gql(REJECT, { id: first.results[0].approvalRequest.id, reason: 'cleanup' }, { token: tok.pub });
  });

  it('answers the same item published again under another key with its open request; another item, claim state or person opens its own', async () => {
    const before = data(await t.gql(LIST, {}, { token: tok.hubAdmin })).approvalRequests.totalCount;
    const items = [item('8.8.4.4', { tlp: 'AMBER' })];
    const first = (await publish(items)).results[0].approvalRequest;
    const again = await publish(items);
    expect(again.replayed).toBe(false);
    expect(again.results[0]).toMatchObject({ status: 'HELD', approvalRequest: { id: first.id, status: 'PENDING' } });
    expect(data(await t.gql(LIST, {}, { token: tok.hubAdmin })).approvalRequests.totalCount).toBe(before + 1);
    // Changed (confidence 81), or the same item from another person of the member: new requests.
    const changed = (await publish([item('8.8.4.4', { tlp: 'AMBER', confidence: 81 })])).results[0].approvalRequest;
    expect(changed.id).not.toBe(first.id);
    const byColleague = (await publish(items, tok.colleague)).results[0].approvalRequest;
    expect(byColleague.id).not.toBe(first.id);
    const pending = async () =>
      data(await t.gql(LIST, {}, { token: tok.hubAdmin })).approvalRequests.edges.map((e: any) => e.node).filter((r: any) => r.status === 'PENDING' && r.change.indicator?.value === '8.8.4.4');
    expect((await pending()).map((r: any) => `${r.requestedBy.userId} ${r.change.indicator.confidence}`).sort()).toEqual(['carol@lab 80', 'pub@lab 80', 'pub@lab 81']);
    expect(data(await t.gql(LIST, {}, { token: tok.hubAdmin })).approvalRequests.totalCount).toBe(before + 3);
    // Once decided, the item held again opens a new request.
    await t.gql(REJECT, { id: first.id, reason: 'cleanup' }, { token: tok.pub });
    const fresh = (await publish(items)).results[0].approvalRequest;
    expect(fresh.id).not.toBe(first.id);
    for (const r of await pending()) await t.gql(REJECT, { id: r.id, reason: 'cleanup' }, { token: tok.hubAdmin });
    expect(await pending()).toEqual([]);
  });

  it('publishes the item as the member once another person approves: visible as the indicator is, with its warnings, a PUBLISHED alert and a PUBLISH audit entry; once only', async () => {
    const approved = data(await t.gql(APPROVE, { id: held.id }, { token: tok.alice })).approveRequest;
    expect(approved).toMatchObject({ status: 'APPROVED', decidedBy: { userId: 'alice@lab' }, target: { id: held.target.id, node: { id: held.target.id, value: '8.8.8.8' } } });
    const stored = data(await t.gql(BY_ID, { id: held.target.id }, { token: tok.trusted })).indicator;
    // Scored as any claim of the member: confidence 80 from a TRUSTED publisher, just published.
    expect(stored).toMatchObject({ type: 'IPV4', value: '8.8.8.8', tlp: 'AMBER', confidence: 80, score: 72, revoked: false, source: { id: 'lab' }, warnings: [{ list: 'public-dns-v4' }] });
    expect(await seenOf(tok.community, '8.8.8.8', held.target.id)).toEqual(unseen);
    expect(await seenOf(tok.trusted, '8.8.8.8', held.target.id)).toMatchObject({ total: 1, known: true, byId: held.target.id });
    // Flagged as any warned claim: excludeWarned leaves it out.
    const unwarned = data(await t.gql('{ indicators(filter: { value: "8.8.8.8", excludeWarned: true }) { totalCount } }', {}, { token: tok.trusted }));
    expect(unwarned.indicators.totalCount).toBe(0);
    await streams.trusted.until((s) => s.events.length === 2, 'the PUBLISHED event of the approved item');
    expect(streams.trusted.summary[1]).toBe(`INDICATOR ${held.target.id} PUBLISHED`);

    expect(errorOf(await t.gql(APPROVE, { id: held.id }, { token: tok.hubAdmin })).extensions?.code).toBe('INVALID_TRANSITION');
    expect((await seenOf(tok.pub, '8.8.8.8', held.target.id)).total).toBe(1);
    await streams.trusted.nextHeartbeats();
    expect(streams.trusted.events).toHaveLength(2);

    const entries = await auditOf(tok.labAdmin);
    const about = entries.filter((e: any) => e.target?.id === held.id || e.target?.id === held.target.id);
    expect(about.map((e: any) => e.action)).toEqual(['PUBLISH', 'APPROVE', 'REQUEST']);
    expect(about[0]).toMatchObject({ memberId: 'lab', actor: { userId: 'alice@lab' }, target: { kind: 'INDICATOR', id: held.target.id } });
    expect(about[0].details).toMatchObject({ requestId: held.id, kind: 'PUBLISH_WARNED_INDICATOR', created: [held.target.id], updated: [], by: 'APPROVAL', requestedBy: { userId: 'pub@lab' } });
    expect(about[2].details).toMatchObject({ existingClaim: null });
    // Ids and enum values only: not the value, its TLP nor its lists.
    expect(JSON.stringify(entries)).not.toMatch(/8\.8\.8\.8|public-dns|resolver seen/);
  });
});

describe('a large batch', () => {
  it('holds 1,000 items in one publish within the execution limit (HUB_EXECUTION_TIMEOUT, 10 s: the requests and audit entries commit together)', async () => {
    const before = data(await t.gql(LIST, {}, { token: tok.hubAdmin })).approvalRequests.totalCount;
    const items = Array.from({ length: 1_000 }, (_, i) => item(`10.77.${Math.floor(i / 250)}.${(i % 250) + 1}`));
    const res = await t.gql('mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { created held } }', { input: { idempotencyKey: `hold-big-${randomUUID()}`, indicators: items } }, { token: tok.pub });
    expect(data(res).publishIndicators).toEqual({ created: 0, held: 1_000 });
    expect(data(await t.gql(LIST, {}, { token: tok.hubAdmin })).approvalRequests.totalCount).toBe(before + 1_000);
  }, 30_000);
});

describe('rejection, expiry and what the member did meanwhile', () => {
  it('stores nothing when the request is rejected or withdrawn', async () => {
    const a = (await publish([item('10.1.2.3')])).results[0].approvalRequest;
    const b = (await publish([item('10.1.2.4')])).results[0].approvalRequest;
    expect(data(await t.gql(REJECT, { id: a.id, reason: 'a lab address' }, { token: tok.alice })).rejectRequest.status).toBe('REJECTED');
    expect(data(await t.gql(REJECT, { id: b.id, reason: 'my mistake' }, { token: tok.pub })).rejectRequest.status).toBe('REJECTED');
    for (const [value, r] of [['10.1.2.3', a], ['10.1.2.4', b]]) {
      expect(errorOf(await t.gql(APPROVE, { id: r.id }, { token: tok.alice })).extensions?.code).toBe('INVALID_TRANSITION');
      expect(await seenOf(tok.pub, value, r.target.id)).toEqual(unseen);
    }
  });

  it('refuses an item approved after a later one of the same value was published, or after the member revoked the claim; a sighting in between does not block', async () => {
    const older = (await publish([item('1.1.1.1', { confidence: 40 })])).results[0].approvalRequest;
    const newer = (await publish([item('1.1.1.1', { confidence: 90 })])).results[0].approvalRequest;
    const stored = data(await t.gql(APPROVE, { id: newer.id }, { token: tok.alice })).approveRequest.target.id;
    const late = await t.gql(APPROVE, { id: older.id }, { token: tok.alice });
    expect(errorOf(late)).toMatchObject({ extensions: { code: 'INVALID_TRANSITION', field: 'id' } });
    expect(errorOf(late).message).toMatch(/published or revoked the same value/);
    expect(data(await t.gql(BY_ID, { id: stored }, { token: tok.pub })).indicator.confidence).toBe(90);
    expect(data(await t.gql(LIST, {}, { token: tok.alice })).approvalRequests.edges.find((e: any) => e.node.id === older.id).node.status).toBe('PENDING');

    // Publishing it again holds a re-publication of the existing claim, whose id the request names.
    const republish = (await publish([item('1.1.1.1', { confidence: 70 })])).results[0].approvalRequest;
    expect(republish.target.id).toBe(stored);
    await t.gql('mutation($id: ID!) { reportSighting(indicatorId: $id, count: 3) { id } }', { id: stored }, { token: tok.trusted });
    expect(data(await t.gql(APPROVE, { id: republish.id }, { token: tok.alice })).approveRequest.status).toBe('APPROVED');
    expect(data(await t.gql(BY_ID, { id: stored }, { token: tok.pub })).indicator.confidence).toBe(70);

    const afterRevoke = (await publish([item('1.1.1.1', { confidence: 60 })])).results[0].approvalRequest;
    data(await t.gql('mutation($id: ID!) { revokeIndicator(id: $id, reason: "not ours") { id } }', { id: stored }, { token: tok.pub }));
    expect(errorOf(await t.gql(APPROVE, { id: afterRevoke.id }, { token: tok.alice })).extensions?.code).toBe('INVALID_TRANSITION');
    expect(data(await t.gql(BY_ID, { id: stored }, { token: tok.pub })).indicator).toMatchObject({ revoked: true, confidence: 70 });
  });

  it('refuses a held re-publication that would lower the TLP of the member\'s own claim, as any such re-publication (APPROVAL_REQUIRED)', async () => {
    const first = (await publish([item('9.9.9.9', { tlp: 'AMBER' })])).results[0].approvalRequest;
    data(await t.gql(APPROVE, { id: first.id }, { token: tok.alice }));
    const lower = await publish([item('9.9.9.9', { tlp: 'GREEN' })]);
    expect(lower.results[0]).toMatchObject({ status: 'REJECTED', approvalRequest: null, error: { code: 'APPROVAL_REQUIRED', field: 'tlp' } });
  });

  it('stores nothing once the request expired (HUB_APPROVAL_TTL), and it can no longer be approved', async () => {
    const r = (await publish([item('192.168.7.7')])).results[0].approvalRequest;
    clock += 73 * 3_600_000;
    const alice = await t.tokenAs('lab', 'alice@lab', ['reader', 'approver']);
    const pub = await t.tokenAs('lab', 'pub@lab', ['reader', 'publisher']);
    expect(data(await t.gql(LIST, {}, { token: alice })).approvalRequests.edges.find((e: any) => e.node.id === r.id).node.status).toBe('EXPIRED');
    expect(errorOf(await t.gql(APPROVE, { id: r.id }, { token: alice })).extensions?.code).toBe('INVALID_TRANSITION');
    expect(await seenOf(pub, '192.168.7.7', r.target.id)).toEqual(unseen);
    for (const k of Object.keys(tok) as Array<keyof typeof tok>) delete tok[k];
    Object.assign(tok, {
      pub, alice,
      trusted: await t.token('trusted', ['reader']),
      community: await t.token('community', ['reader']),
      recipient: await t.token('recipient', ['reader']),
      hubAdmin: await personToken(t),
      lowAdmin: await t.tokenAs('low-ops', 'lee@low-ops', ['reader', 'hub-admin']),
    });
  });
});

describe('a held TLP:RED item', () => {
  it('shows nothing of itself to a hub-admin it is not shared with, who may reject it but not approve it; the recipients see it once approved', async () => {
    const answer = await publish([item('10.9.8.7', { tlp: 'RED', recipients: ['recipient'], description: 'red-secret-note' })]);
    const r = answer.results[0].approvalRequest;
    expect(r.change.indicator).toMatchObject({ value: '10.9.8.7', recipients: ['recipient'] });
    const asHubAdmin = data(await t.gql(LIST, {}, { token: tok.hubAdmin })).approvalRequests.edges.map((e: any) => e.node).find((n: any) => n.id === r.id);
    expect(asHubAdmin).toMatchObject({ kind: 'PUBLISH_WARNED_INDICATOR', change: { indicator: null }, target: { node: null } });
    expect(JSON.stringify(asHubAdmin)).not.toMatch(/10\.9\.8\.7|red-secret-note|RED|rfc1918/);
    expect(errorOf(await t.gql(APPROVE, { id: r.id }, { token: tok.hubAdmin })).extensions?.code).toBe('FORBIDDEN');
    const approved = data(await t.gql(APPROVE, { id: r.id }, { token: tok.alice })).approveRequest;
    for (const token of [tok.hubAdmin, tok.trusted]) expect(await seenOf(token, '10.9.8.7', approved.target.id)).toEqual(unseen);
    expect(await seenOf(tok.recipient, '10.9.8.7', approved.target.id)).toMatchObject({ total: 1, byId: approved.target.id });

    const other = (await publish([item('10.9.8.6', { tlp: 'RED', recipients: ['recipient'] })])).results[0].approvalRequest;
    expect(data(await t.gql(REJECT, { id: other.id, reason: 'queue cleanup' }, { token: tok.hubAdmin })).rejectRequest.status).toBe('REJECTED');
  });
});

describe('TAXII writes and MISP imports go through the same hold', () => {
  const origin = () => t.url.replace(/\/graphql$/, '');
  const stixIndicator = (value: string) => ({
    type: 'indicator', spec_version: '2.1', id: `indicator--${randomUUID()}`, created: '2026-10-01T00:00:00.000Z', modified: '2026-10-01T00:00:00.000Z',
    pattern: `[ipv4-addr:value = '${value}']`, pattern_type: 'stix', valid_from: '2026-10-01T00:00:00Z', object_marking_refs: [tlpMarkingId('GREEN')],
  });
  const post = async (objects: unknown[]) => {
    const res = await fetch(`${origin()}${TAXII_COLLECTION}objects/`, { method: 'POST', headers: { Accept: TAXII, 'Content-Type': TAXII, Authorization: `Bearer ${tok.pub}` }, body: JSON.stringify({ objects }) });
    expect(res.status).toBe(202);
    return res.json() as Promise<any>;
  };
  const poll = async (id: string, token = tok.pub) => {
    const res = await fetch(`${origin()}/taxii2/hub/status/${id}/`, { headers: { Accept: TAXII, Authorization: `Bearer ${token}` } });
    return { status: res.status, body: res.status === 200 ? ((await res.json()) as any) : null };
  };
  const requestIn = (message: string) => /approval--[0-9a-f-]{36}/.exec(message)![0];

  it('answers a held object as pending (TAXII 2.1 status "pending"), then as a success once approved or a failure once rejected, when polled', async () => {
    const [approvedObj, rejectedObj, clean] = [stixIndicator('208.67.222.222'), stixIndicator('208.67.220.220'), stixIndicator('185.220.101.77')];
    const status = await post([approvedObj, rejectedObj, clean]);
    expect(status).toMatchObject({ status: 'pending', total_count: 3, success_count: 1, failure_count: 0, pending_count: 2 });
    expect(status.pendings.map((p: any) => p.id)).toEqual([approvedObj.id, rejectedObj.id]);
    for (const p of status.pendings) {
      expect(Object.keys(p).sort()).toEqual(['id', 'message', 'version']);
      expect(p.message).toMatch(/held for a second person's approval/);
    }
    expect(await taxiiObjects(tok.trusted)).not.toMatch(/208\.67\.22/);
    expect(await poll(status.id)).toMatchObject({ status: 200, body: { status: 'pending', pending_count: 2 } });
    // A client's retry of the same version answers the same request: no second one.
    const retry = await post([approvedObj]);
    expect(retry).toMatchObject({ status: 'pending', pending_count: 1, pendings: [{ id: approvedObj.id, message: status.pendings[0].message }] });

    const toApprove = requestIn(status.pendings[0].message);
    const stored = data(await t.gql(APPROVE, { id: toApprove }, { token: tok.alice })).approveRequest.target.id;
    data(await t.gql(REJECT, { id: requestIn(status.pendings[1].message), reason: 'a resolver' }, { token: tok.alice }));
    const polled = (await poll(status.id)).body;
    expect(polled).toMatchObject({ status: 'complete', total_count: 3, success_count: 2, failure_count: 1, pending_count: 0 });
    expect(polled.successes).toContainEqual({ id: approvedObj.id, version: approvedObj.modified, message: `stored as ${stored} once a second person approved ${toApprove}` });
    expect(polled.failures).toEqual([{ id: rejectedObj.id, version: rejectedObj.modified, message: expect.stringMatching(/was rejected/) }]);
    expect(await taxiiObjects(tok.trusted)).toContain('208.67.222.222');
    // Both retries now tell what became of their request; posting again: the approved version is
    // stored (unchanged), the rejected one is held anew, under a new request.
    expect((await poll(retry.id)).body).toMatchObject({ status: 'complete', success_count: 1 });
    const again = await post([approvedObj, rejectedObj]);
    expect(again).toMatchObject({ status: 'pending', success_count: 1, pending_count: 1, successes: [{ id: approvedObj.id, message: 'unchanged: this version is already stored' }] });
    expect(requestIn(again.pendings[0].message)).not.toBe(requestIn(status.pendings[1].message));
    // The status stays its poster's member's: another member's credential gets the unknown id's 404.
    expect((await poll(status.id, tok.trusted)).status).toBe(404);
  });

  it('imports a MISP attribute on a false-positive list as HELD, with its request, and the rest as usual', async () => {
    const IMPORT = `mutation($event: JSON!) { importMispEvent(event: $event) { created held skipped replayed results { status indicator { id } approvalRequest { id kind change { indicator { value tlp } } } } } }`;
    const attribute = (uuid: string, value: string) => ({ uuid, type: 'ip-dst', category: 'Network activity', value, to_ids: true, distribution: '5' });
    const event = {
      Event: {
        uuid: '5f1c0a7e-2222-4aaa-8bbb-000000000001', info: 'resolver noise', distribution: '1', threat_level_id: '2', analysis: '2',
        Attribute: [attribute('00000000-0000-4000-8000-0000000000a1', '149.112.112.112'), attribute('00000000-0000-4000-8000-0000000000a2', '185.220.101.78')],
      },
    };
    const out = data(await t.gql(IMPORT, { event }, { token: tok.pub })).importMispEvent;
    expect(out).toMatchObject({ created: 1, held: 1, replayed: false });
    expect(out.results[0]).toMatchObject({ status: 'HELD', indicator: null, approvalRequest: { kind: 'PUBLISH_WARNED_INDICATOR', change: { indicator: { value: '149.112.112.112', tlp: 'GREEN' } } } });
    expect(out.results[1]).toMatchObject({ status: 'CREATED', approvalRequest: null });
    const again = data(await t.gql(IMPORT, { event }, { token: tok.pub })).importMispEvent;
    expect(again).toMatchObject({ held: 1, replayed: true });
    expect(again.results[0].approvalRequest.id).toBe(out.results[0].approvalRequest.id);
    expect(await seenOf(tok.pub, '149.112.112.112', 'indicator--00000000-0000-4000-8000-000000000000')).toMatchObject({ total: 0, known: false });
  });
});

describe('the operator CLI', () => {
  it('lists a held item\'s request by its kind and decides it under the same rules, on the store the hub serves', async () => {
    const r = (await publish([item('64.6.64.6')])).results[0].approvalRequest;
    const cli = (...args: string[]) => spawnSync(process.execPath, [...HUB_BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HUB_DATA_DIR: t.dataDir, LOG_LEVEL: 'warn' }, timeout: 60_000 });
    const listed = cli('approval', 'list', '--as', 'alice@lab', '--status', 'PENDING');
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`${r.id}  PENDING  PUBLISH_WARNED_INDICATOR  INDICATOR:${r.target.id}  requested by pub@lab`);
    // The CLI prints ids and enum values, never a record's content.
    expect(listed.stdout).not.toContain('64.6.64.6');
    const self = cli('approval', 'approve', r.id, '--as', 'pub@lab');
    expect(self.status).toBe(1);
    expect(self.stderr).toContain('FORBIDDEN');
    const approved = cli('approval', 'approve', r.id, '--as', 'alice@lab');
    expect(approved.status, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`${r.id}  APPROVED  PUBLISH_WARNED_INDICATOR`);
    expect((await seenOf(tok.trusted, '64.6.64.6', r.target.id)).byId).toBe(r.target.id);
  }, 120_000);
});
