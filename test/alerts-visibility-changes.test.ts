/**
 * `alerts` when visibility changes under a live subscription: records released (embargo end,
 * TLP lowered, recipients added, draft published) or restricted; subscribers whose credentials
 * change (tier, suspension, expiry, identity provider) and slow consumers.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alertStream, alertsDocument, disposeStreams, eventually, rawAlertSocket, sleep, type AlertStream } from './support/alert-stream.js';
import { startTestHub, type GqlResponse, type TestHub } from './support/hub-fixture.js';
import type { MemberRepository } from '../src/store/ports.js';
import { registerIdentityProvider, removeIdentityProvider } from './support/identity-providers.js';

const PUBLISH_NOTICE = 'mutation($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }';
const UPDATE_NOTICE = 'mutation($id: ID!, $input: ModelRiskNoticeUpdate!) { updateModelRiskNotice(id: $id, input: $input) { id } }';
const STATUS = 'mutation($id: ID!, $status: NoticeStatus!) { changeModelRiskNoticeStatus(id: $id, status: $status) { id status } }';
const LOWER = 'mutation($recordId: ID!, $tlp: TLP!) { requestTlpChange(recordId: $recordId, tlp: $tlp, reason: "shareable now") { id } }';
const LIFT = 'mutation($noticeId: ID!) { requestEmbargoLift(noticeId: $noticeId, embargoUntil: null, reason: "patched") { id } }';
const APPROVE = 'mutation($id: ID!) { approveRequest(id: $id) { status } }';
const PUBLISH = 'mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { status indicator { id } error { code } } } }';

let t: TestHub;
const tok = {} as Record<'pub' | 'approver' | 'community' | 'trusted' | 'core' | 'partner', string>;
let keys = 0;

function data(res: GqlResponse) {
  expect(res.body.errors, res.text).toBeUndefined();
  return res.body.data;
}

async function notice(input: Record<string, unknown>): Promise<string> {
  const full = { title: 'VC notice', summary: 's', model: { name: 'M', developer: 'D' }, category: 'AUTONOMY', severity: 'HIGH', tlp: 'CLEAR', status: 'PUBLISHED', ...input };
  return data(await t.gql(PUBLISH_NOTICE, { input: full }, { token: tok.pub })).publishModelRiskNotice.id;
}

async function indicators(items: Array<Record<string, unknown>>, token = tok.pub): Promise<string[]> {
  const input = { idempotencyKey: `vc-${++keys}`, indicators: items.map((i) => ({ tlp: 'CLEAR', severity: 'MEDIUM', confidence: 50, ...i })) };
  const results = data(await t.gql(PUBLISH, { input }, { token })).publishIndicators.results as any[];
  for (const r of results) expect(r.status).not.toBe('REJECTED');
  return results.map((r) => r.indicator.id);
}

/** Publishes a CLEAR indicator and waits until every stream has it: all earlier events are in. */
async function sentinel(...streams: AlertStream[]): Promise<string> {
  const [id] = await indicators([{ value: `s${++keys}.sentinel.vc.example` }]);
  await Promise.all(streams.map((s) => s.until((x) => x.events.some((e) => e.indicator?.id === id), 'the sentinel')));
  return `INDICATOR ${id} PUBLISHED`;
}

/** The stream's events about one record. */
const about = (s: AlertStream, id: string) => s.events.filter((e) => (e.indicator ?? e.notice)?.id === id).map((e) => e.type);

beforeAll(async () => {
  t = await startTestHub({ config: { alertHeartbeatMs: 100, wsMaxBufferedBytes: 16_384, tokenMaxLifetimeMs: 30 * 86_400_000 } });
  const lab = t.member('vc-lab', 'CORE', { kind: 'LAB' });
  await lab.token();
  tok.pub = await t.tokenAs('vc-lab', 'pub@lab', ['reader', 'publisher'], 3_600_000);
  tok.approver = await t.tokenAs('vc-lab', 'approver@lab', ['reader', 'approver'], 3_600_000);
  tok.community = await t.member('vc-community', 'COMMUNITY').token(['reader']);
  tok.trusted = await t.member('vc-trusted', 'TRUSTED').token(['reader']);
  tok.core = await t.member('vc-core', 'CORE').token(['reader']);
  tok.partner = await t.member('vc-partner', 'COMMUNITY').token(['reader']);
});

afterEach(disposeStreams);

describe('records that become visible', () => {
  it('releases a notice to a TRUSTED subscriber when its embargo ends, and tells a CORE subscriber nothing new', async () => {
    const trusted = await alertStream(t, tok.trusted, { selection: 'cursor type indicator { id } notice { id embargoUntil mitigations evaluationEvidence }' });
    const core = await alertStream(t, tok.core);
    const id = await notice({ tlp: 'AMBER', embargoUntil: new Date(Date.now() + 1_500).toISOString(), mitigations: 'm', evaluationEvidence: 'e' });
    await core.until((s) => about(s, id).length === 1, 'the embargoed notice');
    await sleep(1_600);
    await t.hub.maintenance.checkEmbargoes();
    await trusted.until((s) => about(s, id).length === 1, 'the release');
    const end = await sentinel(trusted, core);

    expect(trusted.summary).toEqual([`NOTICE ${id} RELEASED`, end]);
    expect(core.summary).toEqual([`NOTICE ${id} PUBLISHED`, end]);
    expect(trusted.events[0]!.notice).toMatchObject({ mitigations: 'm', evaluationEvidence: null });
    expect(Date.parse(trusted.events[0]!.notice!.embargoUntil)).toBeLessThanOrEqual(Date.now());
  });

  it('releases an ended embargo once, however many checks run at the same moment', async () => {
    const trusted = await alertStream(t, tok.trusted);
    const id = await notice({ embargoUntil: new Date(Date.now() + 1_000).toISOString() });
    await sleep(1_100);
    await Promise.all([t.hub.maintenance.checkEmbargoes(), t.hub.maintenance.checkEmbargoes(), t.hub.maintenance.checkEmbargoes()]);
    await sleep(1_100);
    await sentinel(trusted);
    expect(about(trusted, id)).toEqual(['RELEASED']);
  });

  it('releases a notice once when an approved request lifts its embargo, not again when the watcher runs', async () => {
    const trusted = await alertStream(t, tok.trusted);
    const id = await notice({ tlp: 'GREEN', embargoUntil: new Date(Date.now() + 10 * 86_400_000).toISOString() });
    const request = data(await t.gql(LIFT, { noticeId: id }, { token: tok.pub })).requestEmbargoLift;
    expect(data(await t.gql(APPROVE, { id: request.id }, { token: tok.approver })).approveRequest.status).toBe('APPROVED');
    await trusted.until((s) => about(s, id).length === 1, 'the release');
    await sleep(1_200);
    await t.hub.maintenance.checkEmbargoes();
    await sentinel(trusted);
    expect(about(trusted, id)).toEqual(['RELEASED']);
  });

  it('releases an AMBER indicator to a COMMUNITY subscriber when an approved request lowers it to GREEN', async () => {
    const community = await alertStream(t, tok.community, { selection: 'cursor type indicator { id tlp } notice { id }' });
    const trusted = await alertStream(t, tok.trusted);
    const [id] = await indicators([{ value: 'lowered.vc.example', tlp: 'AMBER' }]);
    const request = data(await t.gql(LOWER, { recordId: id, tlp: 'GREEN' }, { token: tok.pub })).requestTlpChange;
    await sentinel(community, trusted);
    expect(about(community, id!)).toEqual([]);
    data(await t.gql(APPROVE, { id: request.id }, { token: tok.approver }));
    await sentinel(community, trusted);

    expect(about(community, id!)).toEqual(['RELEASED']);
    expect(community.events.find((e) => e.indicator?.id === id)!.indicator!.tlp).toBe('GREEN');
    expect(about(trusted, id!)).toEqual(['PUBLISHED', 'UPDATED']);
  });

  it('releases a RED notice to a member when it is added as a recipient', async () => {
    const [community, partner, trusted] = [await alertStream(t, tok.community), await alertStream(t, tok.partner), await alertStream(t, tok.trusted)];
    const id = await notice({ tlp: 'RED', recipients: ['vc-partner'] });
    data(await t.gql(UPDATE_NOTICE, { id, input: { recipients: ['vc-partner', 'vc-community'] } }, { token: tok.pub }));
    await sentinel(community, partner, trusted);
    expect(about(community, id)).toEqual(['RELEASED']);
    expect(about(partner, id)).toEqual(['PUBLISHED', 'UPDATED']);
    expect(about(trusted, id)).toEqual([]);
  });

  it('releases a draft to the other members when it is published, having told them nothing of the draft', async () => {
    const community = await alertStream(t, tok.community);
    const owner = await alertStream(t, tok.pub);
    const id = await notice({ status: 'DRAFT' });
    await sentinel(community, owner);
    expect(about(community, id)).toEqual([]);
    expect(data(await t.gql(STATUS, { id, status: 'PUBLISHED' }, { token: tok.pub })).changeModelRiskNoticeStatus.status).toBe('PUBLISHED');
    await sentinel(community, owner);
    expect(about(community, id)).toEqual(['RELEASED']);
    expect(about(owner, id)).toEqual(['PUBLISHED', 'UPDATED']);
  });
});

describe('records that stop being visible', () => {
  it('sends a COMMUNITY subscriber nothing more about an indicator once its publisher raises it from GREEN to AMBER, live or replayed', async () => {
    const community = await alertStream(t, tok.community);
    const start = community.lastCursor()!;
    const trusted = await alertStream(t, tok.trusted);
    const [id] = await indicators([{ value: 'raised.vc.example', tlp: 'GREEN' }]);
    await community.until((s) => about(s, id!).length === 1, 'the GREEN publication');
    await indicators([{ value: 'raised.vc.example', tlp: 'AMBER' }]);
    data(await t.gql('mutation($id: ID!) { reportSighting(indicatorId: $id) { id } }', { id }, { token: tok.trusted }));
    data(await t.gql('mutation($id: ID!) { revokeIndicator(id: $id, reason: "done") { id } }', { id }, { token: tok.pub }));
    await sentinel(community, trusted);

    expect(about(community, id!)).toEqual(['PUBLISHED']);
    expect(about(trusted, id!)).toEqual(['PUBLISHED', 'UPDATED', 'SIGHTED', 'REVOKED']);
    const replay = await alertStream(t, tok.community, { after: start });
    expect(about(replay, id!)).toEqual([]);
    expect(replay.events.length).toBeGreaterThan(0);
  });
});

describe('subscribers whose credentials change', () => {
  it('closes the socket with 4403 when the member tier is lowered, and a reconnect sees only what the new tier allows', async () => {
    const mover = t.member('vc-mover', 'TRUSTED');
    const token = await mover.token(['reader']);
    const before = await alertStream(t, token);
    t.member('vc-mover', 'COMMUNITY');
    expect((await before.closed).code).toBe(4403);

    const after = await alertStream(t, token);
    const [amber, green] = await indicators([{ value: 'amber.mover.vc.example', tlp: 'AMBER' }, { value: 'green.mover.vc.example', tlp: 'GREEN' }]);
    await sentinel(after);
    expect(about(after, amber!)).toEqual([]);
    expect(about(after, green!)).toEqual(['PUBLISHED']);
  });

  it('judges and shapes each alert with the tier in the registry now, before anything closes the socket', async () => {
    const quiet = t.member('vc-quiet-change', 'TRUSTED');
    const s = await alertStream(t, await quiet.token(['reader']), { selection: 'cursor type indicator { id source { id } }' });
    // Another instance lowered the tier and its notice has not reached this one: nothing closes the socket.
    const registry = (t.hub.services.members as unknown as { members: MemberRepository }).members;
    await registry.put({ ...(await t.hub.services.members.get('vc-quiet-change'))!, tier: 'COMMUNITY' });
    const [amber, green] = await indicators([{ value: 'amber.quiet.vc.example', tlp: 'AMBER' }, { value: 'green.quiet.vc.example', tlp: 'GREEN' }]);
    await sentinel(s);
    expect(about(s, amber!)).toEqual([]);
    expect(about(s, green!)).toEqual(['PUBLISHED']);
    const delivered = s.messages.find((m) => m.event.indicator?.id === green)!;
    expect(delivered.event.indicator!.source).toBeNull();
    expect(delivered.extensions?.redacted).toEqual(['Indicator.source']);
    expect(await Promise.race([s.closed.then(() => 'closed'), sleep(200).then(() => 'open')])).toBe('open');
  });

  it('keeps the socket open when a member is re-registered with the same tier', async () => {
    const steady = t.member('vc-steady', 'TRUSTED');
    const s = await alertStream(t, await steady.token(['reader']));
    t.member('vc-steady', 'TRUSTED');
    const [amber] = await indicators([{ value: 'amber.steady.vc.example', tlp: 'AMBER' }]);
    await sentinel(s);
    expect(about(s, amber!)).toEqual(['PUBLISHED']);
    expect(await Promise.race([s.closed.then(() => 'closed'), sleep(200).then(() => 'open')])).toBe('open');
  });

  it('closes the socket with 4403 when a role its stream depends on is withdrawn from the member', async () => {
    const admins = t.member('vc-admins', 'TRUSTED', { allowedRoles: ['reader', 'member-admin'] });
    await admins.token();
    const token = await t.tokenAs('vc-admins', 'boss@admins', ['reader', 'member-admin'], 600_000);
    const s = await alertStream(t, token, { selection: 'cursor type indicator { id source { id identityProviders { issuer } } }' });
    t.member('vc-admins', 'TRUSTED', { allowedRoles: ['reader'] });
    expect((await s.closed).code).toBe(4403);
  });

  it('closes the socket with 4401 when the member is suspended', async () => {
    const s = await alertStream(t, await t.member('vc-suspended', 'TRUSTED').token(['reader']));
    t.member('vc-suspended', 'TRUSTED', { status: 'SUSPENDED' });
    expect((await s.closed).code).toBe(4401);
  });

  it('closes the socket with 4401 when the token expires', async () => {
    await t.member('vc-expiring', 'COMMUNITY').token();
    const token = await t.tokenAs('vc-expiring', 'short@expiring', ['reader'], 1_500);
    const opened = Date.now();
    const s = await alertStream(t, token);
    const [id] = await indicators([{ value: 'before-expiry.vc.example' }]);
    await s.until((x) => about(x, id!).length === 1, 'an event before expiry');
    expect((await s.closed).code).toBe(4401);
    expect(Date.now() - opened).toBeGreaterThanOrEqual(900);
  });

  it('keeps a subscriber whose token lives longer than a timer can count (25 days) connected', async () => {
    await t.member('vc-long', 'COMMUNITY').token();
    const token = await t.tokenAs('vc-long', 'long@long', ['reader'], 25 * 86_400_000);
    const s = await alertStream(t, token, { ready: false });
    await sleep(300);
    const [id] = await indicators([{ value: 'long-token.vc.example' }]);
    await s.until((x) => about(x, id!).length === 1, 'the event');
  });

  it('closes the socket with 4401 when the identity provider that issued its token is removed', async () => {
    const admin = await t.tokenAs('vc-fed', 'admin@fed', ['reader', 'member-admin'], 600_000);
    await t.member('vc-fed', 'TRUSTED').token();
    const issuer = 'https://idp.vc-fed.example';
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'fed-1', alg: 'EdDSA', use: 'sig' }] });
    await registerIdentityProvider(t, admin, { memberId: 'vc-fed', issuer, jwks });
    await t.person('vc-fed', 'alice@fed', ['reader'], [{ issuer, subject: 'alice' }]);
    const now = Math.floor(Date.now() / 1000);
    const federated = await new SignJWT({ roles: ['reader'] })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'fed-1', typ: 'JWT' })
      .setIssuer(issuer).setAudience('the-hub').setSubject('alice').setIssuedAt(now).setExpirationTime(now + 600)
      .sign(privateKey);
    const s = await alertStream(t, federated);
    await removeIdentityProvider(t, admin, 'vc-fed', issuer);
    expect((await s.closed).code).toBe(4401);
  });
});

describe('slow consumers', () => {
  it('disconnects a subscriber that stops reading with 4413, and it resumes from its last cursor without loss', async () => {
    await eventually(() => t.hub.alerts.stats().subscribers === 0, 'the subscribers of earlier tests to go');
    const big = 'x'.repeat(4_000);
    const selection = `cursor type indicator { id ${Array.from({ length: 13 }, (_, i) => `d${i}: description`).join(' ')} }`;
    const filter = { tags: ['slow'] };
    const raw = await rawAlertSocket(t, tok.community, alertsDocument(selection), { filter, heartbeats: true });
    await eventually(() => raw.payloads.length > 0, 'the first heartbeat');
    raw.pause();

    const published: string[] = [];
    for (let batch = 0; batch < 8 && t.hub.alerts.stats().subscribers > 0; batch++) {
      published.push(...(await indicators(Array.from({ length: 100 }, (_, k) => ({ value: `${batch}-${k}.slow.vc.example`, tags: ['slow'], description: big })))));
    }
    await eventually(() => t.hub.alerts.stats().subscribers === 0, 'the slow subscriber to be dropped', 15_000);
    raw.resume();
    const closed = await Promise.race([raw.closed, sleep(10_000).then(() => null)]);
    expect(closed?.code).toBe(4413);

    const got = raw.payloads.map((p) => p.data!.alerts).filter((e) => e.type !== 'HEARTBEAT');
    expect(got.length).toBeLessThan(published.length);
    const last = raw.payloads.at(-1)!.data!.alerts.cursor;
    const resumed = await alertStream(t, tok.community, { filter, after: last, selection: 'cursor type indicator { id }' });
    await resumed.until((s) => s.events.length >= published.length - got.length, 'the rest', 20_000);
    expect([...got.map((e) => e.indicator!.id), ...resumed.events.map((e) => e.indicator!.id)]).toEqual(published);
    expect(got.every((e) => e.indicator!.d0 === big)).toBe(true);
    await resumed.dispose();
    await eventually(() => t.hub.alerts.stats().subscribers === 0, 'no subscriber left behind');
  });
});
