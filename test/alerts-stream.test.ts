/**
 * `Subscription.alerts` over graphql-ws, live: who receives which events and which fields, every
 * event type, every filter, who may connect, and heartbeats. Resuming is in alerts-resume, changes
 * of visibility in alerts-visibility-changes.
 */
import { exportJWK, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { alertStream, describeEvent, type AlertStream } from './support/alert-stream.js';
import { startTestHub, type SeededMember, type TestHub } from './support/hub-fixture.js';
import type { MemberRepository } from '../src/store/ports.js';
import { registerIdentityProvider } from './support/identity-providers.js';

const INDICATOR_FIELDS = 'id value tlp sightingCount sourceSector source { id } sightings { count reporter { id } }';
const NOTICE_FIELDS = 'id title tlp recipients mitigations technicalDetails evaluationEvidence affectedDeployments source { id }';
const FULL = `cursor type occurredAt indicator { ${INDICATOR_FIELDS} } notice { ${NOTICE_FIELDS} }`;
const PUBLISH_NOTICE = 'mutation($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }';

let t: TestHub;
let pub: SeededMember;
type Who = 'PUBLIC' | 'COMMUNITY' | 'TRUSTED' | 'CORE' | 'RECIPIENT' | 'OWNER';
const tok = {} as Record<Who, string | undefined>;

async function notice(input: Record<string, unknown>, token = tok.OWNER): Promise<string> {
  const full = {
    title: 'Alert notice', summary: 's', model: { name: 'M', developer: 'D' }, category: 'JAILBREAK', severity: 'HIGH', tlp: 'CLEAR', status: 'PUBLISHED',
    mitigations: 'mit', technicalDetails: 'tech', evaluationEvidence: 'eval', affectedDeployments: ['dep'], ...input,
  };
  const res = await t.gql(PUBLISH_NOTICE, { input: full }, { token });
  expect(res.body.errors, res.text).toBeUndefined();
  return res.body.data.publishModelRiskNotice.id;
}

async function indicator(item: Record<string, unknown> & { value: string }): Promise<string> {
  const [result] = await pub.publishes([item]);
  expect(result.status, JSON.stringify(result)).not.toBe('REJECTED');
  return result.indicator.id;
}

/** Publishes a CLEAR indicator every stream can see and waits until all of them have it. */
async function sentinel(streams: AlertStream[], label: string): Promise<string> {
  const id = await indicator({ value: `${label}.sentinel.as.example` });
  await Promise.all(streams.map((s) => s.until((x) => x.events.some((e) => e.indicator?.id === id), `sentinel ${label}`)));
  return id;
}

beforeAll(async () => {
  t = await startTestHub({ config: { anonymousReads: true, alertHeartbeatMs: 100, wsConnectPerMinute: 0 } });
  pub = t.member('as-pub', 'CORE', { sector: 'energy', kind: 'LAB' });
  t.member('as-community', 'COMMUNITY');
  t.member('as-trusted', 'TRUSTED');
  t.member('as-core', 'CORE');
  t.member('as-rcpt', 'COMMUNITY');
  tok.PUBLIC = undefined;
  tok.COMMUNITY = await t.member('as-community', 'COMMUNITY').token(['reader']);
  tok.TRUSTED = await t.member('as-trusted', 'TRUSTED').token(['reader']);
  tok.CORE = await t.member('as-core', 'CORE').token(['reader']);
  tok.RECIPIENT = await t.member('as-rcpt', 'COMMUNITY').token(['reader']);
  tok.OWNER = await pub.token(['reader', 'publisher']);
});

describe('who receives what', () => {
  const ids: Record<string, string> = {};
  const streams = {} as Record<Who, AlertStream>;
  const WHO: Who[] = ['PUBLIC', 'COMMUNITY', 'TRUSTED', 'CORE', 'RECIPIENT', 'OWNER'];

  beforeAll(async () => {
    for (const who of WHO) streams[who] = await alertStream(t, tok[who], { selection: FULL });
    const published = await pub.publishes(
      (['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED'] as const).map((tlp) => ({
        value: `${tlp.toLowerCase().replace('_', '-')}.matrix.as.example`,
        tlp,
        ...(tlp === 'RED' ? { recipients: ['as-rcpt'] } : {}),
      })),
    );
    for (const r of published) ids[`i.${r.indicator.tlp}`] = r.indicator.id;
    for (const tlp of ['CLEAR', 'GREEN', 'AMBER']) ids[`n.${tlp}`] = await notice({ title: `matrix ${tlp}`, tlp });
    ids['n.RED'] = await notice({ title: 'matrix RED', tlp: 'RED', recipients: ['as-rcpt'] });
    ids['n.EMBARGOED'] = await notice({ title: 'matrix embargoed', embargoUntil: new Date(Date.now() + 86_400_000).toISOString() });
    ids['n.DRAFT'] = await notice({ title: 'matrix draft', status: 'DRAFT' });
    ids.sentinel = await sentinel(Object.values(streams), 'matrix');
  });

  const sees: Record<Who, string[]> = {
    PUBLIC: ['i.CLEAR', 'n.CLEAR'],
    COMMUNITY: ['i.CLEAR', 'i.GREEN', 'n.CLEAR', 'n.GREEN'],
    TRUSTED: ['i.CLEAR', 'i.GREEN', 'i.AMBER', 'i.AMBER_STRICT', 'n.CLEAR', 'n.GREEN', 'n.AMBER'],
    CORE: ['i.CLEAR', 'i.GREEN', 'i.AMBER', 'i.AMBER_STRICT', 'n.CLEAR', 'n.GREEN', 'n.AMBER', 'n.EMBARGOED'],
    RECIPIENT: ['i.CLEAR', 'i.GREEN', 'i.RED', 'n.CLEAR', 'n.GREEN', 'n.RED'],
    OWNER: ['i.CLEAR', 'i.GREEN', 'i.AMBER', 'i.AMBER_STRICT', 'i.RED', 'n.CLEAR', 'n.GREEN', 'n.AMBER', 'n.RED', 'n.EMBARGOED', 'n.DRAFT'],
  };

  it.each(WHO)('sends a %s subscriber a PUBLISHED event for exactly the records its tier allows, in publishing order', (who) => {
    const order = ['i.CLEAR', 'i.GREEN', 'i.AMBER', 'i.AMBER_STRICT', 'i.RED', 'n.CLEAR', 'n.GREEN', 'n.AMBER', 'n.RED', 'n.EMBARGOED', 'n.DRAFT'];
    const expected = [...order.filter((k) => sees[who].includes(k)), 'sentinel'].map(
      (k) => `${k.startsWith('n.') ? 'NOTICE' : 'INDICATOR'} ${ids[k]} PUBLISHED`,
    );
    expect(streams[who].summary).toEqual(expected);
    const cursors = streams[who].events.map((e) => e.cursor);
    expect(new Set(cursors).size).toBe(cursors.length);
  });

  it.each(WHO)('shapes and redacts each record for a %s subscriber exactly as a query with its token would', async (who) => {
    for (const message of streams[who].messages.filter((m) => m.event.type !== 'HEARTBEAT')) {
      const { indicator: i, notice: n } = message.event;
      const query = i
        ? `query($id: ID!) { record: indicator(id: $id) { ${INDICATOR_FIELDS} } }`
        : `query($id: ID!) { record: modelRiskNotice(id: $id) { ${NOTICE_FIELDS} } }`;
      const res = await t.gql(query, { id: (i ?? n)!.id }, { token: tok[who] });
      expect(i ?? n).toEqual(res.body.data.record);
      expect(i ? n : i).toBeNull();
      expect(message.extensions?.redacted).toEqual(res.body.extensions?.redacted);
    }
  });

  it('withholds the source, sector and sightings of an indicator from a PUBLIC subscriber and names them in extensions.redacted', () => {
    const m = streams.PUBLIC.messages.find((x) => x.event.indicator?.id === ids['i.CLEAR'])!;
    expect(m.event.indicator).toMatchObject({ tlp: 'CLEAR', source: null, sourceSector: null, sightings: null });
    expect(m.extensions?.redacted).toEqual(['Indicator.sightings', 'Indicator.source', 'Indicator.sourceSector']);
  });

  it('shows a TRUSTED subscriber the source and mitigations of a notice but not its CORE fields', () => {
    const m = streams.TRUSTED.messages.find((x) => x.event.notice?.id === ids['n.AMBER'])!;
    expect(m.event.notice).toMatchObject({ source: { id: 'as-pub' }, mitigations: 'mit', technicalDetails: 'tech', evaluationEvidence: null, affectedDeployments: null });
    expect(m.extensions?.redacted).toEqual(['ModelRiskNotice.affectedDeployments', 'ModelRiskNotice.evaluationEvidence']);
  });

  it('shows a CORE subscriber every field, with nothing redacted', () => {
    const m = streams.CORE.messages.find((x) => x.event.notice?.id === ids['n.EMBARGOED'])!;
    expect(m.event.notice).toMatchObject({ source: { id: 'as-pub' }, evaluationEvidence: 'eval', affectedDeployments: ['dep'], recipients: null });
    expect(m.extensions?.redacted).toBeUndefined();
  });

  it('gives a COMMUNITY recipient of a RED record the fields of its tier, not those of the publisher', () => {
    const m = streams.RECIPIENT.messages.find((x) => x.event.indicator?.id === ids['i.RED'])!;
    expect(m.event.indicator).toMatchObject({ tlp: 'RED', source: null, sourceSector: 'energy', sightings: null });
    expect(streams.RECIPIENT.events.find((e) => e.notice?.id === ids['n.RED'])!.notice).toMatchObject({ recipients: null, mitigations: null });
  });
});

describe('event types', () => {
  it('tells a subscriber of a publication, an update, a sighting and a revocation of an indicator, and of a notice update, in order', async () => {
    const s = await alertStream(t, tok.TRUSTED, { selection: 'cursor type occurredAt indicator { id severity sightingCount revoked } notice { id title }' });
    const id = await indicator({ value: 'types.as.example', tlp: 'GREEN', severity: 'LOW' });
    await indicator({ value: 'types.as.example', tlp: 'GREEN', severity: 'HIGH' });
    const sighted = await t.gql('mutation($id: ID!) { reportSighting(indicatorId: $id, count: 2) { id } }', { id }, { token: tok.TRUSTED });
    expect(sighted.body.errors).toBeUndefined();
    const revoked = await t.gql('mutation($id: ID!) { revokeIndicator(id: $id, reason: "false positive") { id } }', { id }, { token: tok.OWNER });
    expect(revoked.body.errors).toBeUndefined();
    const nid = await notice({ title: 'types v1', tlp: 'GREEN' });
    const updated = await t.gql('mutation($id: ID!) { updateModelRiskNotice(id: $id, input: { title: "types v2" }) { id } }', { id: nid }, { token: tok.OWNER });
    expect(updated.body.errors).toBeUndefined();
    await s.until((x) => x.events.length >= 6, 'six events');

    expect(s.summary).toEqual([
      `INDICATOR ${id} PUBLISHED`,
      `INDICATOR ${id} UPDATED`,
      `INDICATOR ${id} SIGHTED`,
      `INDICATOR ${id} REVOKED`,
      `NOTICE ${nid} PUBLISHED`,
      `NOTICE ${nid} UPDATED`,
    ]);
    const [, , sighting, revocation, , noticeUpdate] = s.events;
    expect(sighting!.indicator!.sightingCount).toBeGreaterThanOrEqual(2);
    expect(revocation!.indicator).toMatchObject({ revoked: true, sightingCount: 2 });
    expect(noticeUpdate!.notice!.title).toBe('types v2');
    for (const e of s.events) {
      expect(e.cursor).toMatch(/^[A-Za-z0-9_-]{58}$/);
      expect(Number.isNaN(Date.parse(e.occurredAt!))).toBe(false);
    }
    expect(new Set(s.events.map((e) => e.cursor)).size).toBe(6);
    await s.dispose();
  });
});

describe('filters', () => {
  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ['kinds INDICATOR', { kinds: ['INDICATOR'] }, ['dom', 'ip', 'url', 'ip SIGHTED']],
    ['kinds MODEL_RISK_NOTICE', { kinds: ['MODEL_RISK_NOTICE'] }, ['jailbreak', 'injection']],
    ['indicatorTypes', { indicatorTypes: ['IPV4', 'URL'] }, ['ip', 'url', 'ip SIGHTED']],
    ['minSeverity', { minSeverity: 'HIGH' }, ['ip', 'url', 'injection', 'ip SIGHTED']],
    ['minConfidence', { minConfidence: 60 }, ['ip', 'url', 'ip SIGHTED']],
    ['tags', { tags: ['phishing', 'no-such-tag'] }, ['dom', 'url']],
    ['noticeCategories', { noticeCategories: ['PROMPT_INJECTION'] }, ['injection']],
    ['types', { types: ['SIGHTED'] }, ['ip SIGHTED']],
    ['kinds with an indicator criterion', { kinds: ['INDICATOR', 'MODEL_RISK_NOTICE'], minSeverity: 'CRITICAL', minConfidence: 50 }, ['url', 'injection']],
  ];
  const ids: Record<string, string> = {};
  const streams: AlertStream[] = [];

  beforeAll(async () => {
    const all = await alertStream(t, tok.TRUSTED);
    for (const [, filter] of cases) streams.push(await alertStream(t, tok.TRUSTED, { filter }));
    const published = await pub.publishes([
      { value: 'filter-dom.as.example', type: 'DOMAIN', severity: 'LOW', confidence: 20, tags: ['phishing'] },
      { value: '203.0.113.7', type: 'IPV4', severity: 'HIGH', confidence: 90, tags: ['botnet'] },
      { value: 'https://filter-url.as.example/x', type: 'URL', severity: 'CRITICAL', confidence: 60, tags: ['Phishing', 'c2'] },
    ]);
    published.forEach((r, i) => (ids[['dom', 'ip', 'url'][i]!] = r.indicator.id));
    ids.jailbreak = await notice({ title: 'filter jailbreak', category: 'JAILBREAK', severity: 'MEDIUM' });
    ids.injection = await notice({ title: 'filter injection', category: 'PROMPT_INJECTION', severity: 'CRITICAL' });
    await t.gql('mutation($id: ID!) { reportSighting(indicatorId: $id) { id } }', { id: ids.ip }, { token: tok.TRUSTED });
    await all.until((s) => s.events.length === 6, 'all six events');
    await Promise.all(streams.map((s) => s.nextHeartbeats()));
    await all.dispose();
  });

  it.each(cases.map((c, i) => [c[0], i] as const))('narrows the stream by %s', (_name, i) => {
    const expected = cases[i]![2].map((name) => {
      const [key, type = 'PUBLISHED'] = name.split(' ');
      return `${['jailbreak', 'injection'].includes(key!) ? 'NOTICE' : 'INDICATOR'} ${ids[key!]} ${type}`;
    });
    expect(streams[i]!.summary).toEqual(expected);
  });

  it('keeps sending heartbeats to a subscriber whose filter names only other event types', () => {
    const typesOnly = streams[cases.findIndex((c) => c[0] === 'types')]!;
    expect(typesOnly.heartbeats.length).toBeGreaterThan(0);
    expect(typesOnly.heartbeats.every((h) => h.indicator === null && h.notice === null)).toBe(true);
  });
});

describe('who may subscribe', () => {
  it('closes the socket with 4401 for a token the hub did not sign, before any event', async () => {
    const s = await alertStream(t, 'not-a-real-token', { ready: false });
    expect((await s.closed).code).toBe(4401);
    expect(s.messages).toEqual([]);
  });

  it('closes an anonymous subscriber with 4401 when anonymous reads are off, and serves a member there', async () => {
    const closed = await startTestHub({ config: { anonymousReads: false, alertHeartbeatMs: 100 } });
    try {
      const anonymous = await alertStream(closed, undefined, { ready: false });
      expect((await anonymous.closed).code).toBe(4401);
      expect(anonymous.messages).toEqual([]);
      const publisher = closed.member('as-closed', 'COMMUNITY');
      const member = await alertStream(closed, await publisher.token(['reader']));
      const [r] = await publisher.publishes([{ value: 'closed-hub.as.example' }]);
      await member.until((s) => s.events.some((e) => e.indicator?.id === r.indicator.id), 'the CLEAR indicator');
    } finally {
      await closed.dispose();
    }
  });
});

describe('heartbeats', () => {
  it('repeat the place of a subscriber whose filter matches nothing, and resuming after one neither repeats nor skips', async () => {
    const filter = { tags: ['hb-match'] };
    const recorder = await alertStream(t, tok.COMMUNITY);
    const quiet = await alertStream(t, tok.COMMUNITY, { filter });
    const m0 = await indicator({ value: 'm0.hb.as.example', tags: ['hb-match'] });
    await quiet.until((s) => s.events.length === 1, 'm0');
    const others = await pub.publishes([1, 2, 3].map((n) => ({ value: `other-${n}.hb.as.example`, tags: ['hb-other'] })));
    await recorder.until((s) => s.events.some((e) => e.indicator?.id === others[2].indicator.id), 'the last other');
    await quiet.nextHeartbeats();

    expect(quiet.summary).toEqual([`INDICATOR ${m0} PUBLISHED`]);
    const beat = quiet.messages.at(-1)!.event;
    expect(beat).toMatchObject({ type: 'HEARTBEAT', indicator: null, notice: null });
    expect(beat.cursor).toMatch(/^[A-Za-z0-9_-]{58}$/);
    await quiet.dispose();

    const m1 = await indicator({ value: 'm1.hb.as.example', tags: ['hb-match'] });
    await indicator({ value: 'other-4.hb.as.example', tags: ['hb-other'] });
    const resumed = await alertStream(t, tok.COMMUNITY, { filter, after: beat.cursor });
    const m2 = await indicator({ value: 'm2.hb.as.example', tags: ['hb-match'] });
    await resumed.until((s) => s.events.length >= 2, 'm1 and m2');
    expect(resumed.summary).toEqual([`INDICATOR ${m1} PUBLISHED`, `INDICATOR ${m2} PUBLISHED`]);
    await recorder.dispose();
    await resumed.dispose();
  });

  it('are not sent unless the subscriber asks for them', async () => {
    const asked = await alertStream(t, tok.COMMUNITY);
    const silent = await alertStream(t, tok.COMMUNITY, { heartbeats: false, ready: false });
    await asked.nextHeartbeats(3);
    const id = await indicator({ value: 'no-hb.as.example' });
    await silent.until((s) => s.events.some((e) => e.indicator?.id === id), 'the event');
    expect(silent.heartbeats).toEqual([]);
    expect(silent.summary).toEqual([`INDICATOR ${id} PUBLISHED`]);
    await asked.dispose();
    await silent.dispose();
  });
});

describe('one event, many subscribers', () => {
  it('delivers the same bytes to identical subscribers and their own shape to a different selection', async () => {
    const a = await alertStream(t, tok.COMMUNITY, { selection: 'cursor type indicator { id value }' });
    const b = await alertStream(t, tok.COMMUNITY, { selection: 'cursor type indicator { id value }' });
    const c = await alertStream(t, tok.COMMUNITY, { selection: 'cursor type indicator { id tlp sourceSector }' });
    const id = await indicator({ value: 'shared.as.example', tlp: 'GREEN' });
    await Promise.all([a, b, c].map((s) => s.until((x) => x.events.length === 1, 'one event')));
    expect(a.events).toEqual(b.events);
    expect(a.events[0]!.indicator).toEqual({ id, value: 'shared.as.example' });
    expect(c.events[0]!.indicator).toEqual({ id, tlp: 'GREEN', sourceSector: 'energy' });
    expect(describeEvent(c.events[0]!)).toBe(`INDICATOR ${id} PUBLISHED`);
  });
});

describe('subscribers of one member with different roles', () => {
  it('does not send a reader the identity providers rendered for a hub-admin of its member', async () => {
    const ops = t.member('as-ops', 'CORE', { allowedRoles: ['reader', 'publisher', 'member-admin', 'hub-admin'] });
    const admin = await t.tokenAs('as-ops', 'admin@ops', ['reader', 'hub-admin'], 600_000);
    const reader = await t.tokenAs('as-ops', 'reader@ops', ['reader'], 600_000);
    await ops.token();
    const { publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' }] });
    await registerIdentityProvider(t, admin, { memberId: 'as-pub', issuer: 'https://idp.as-pub.example', jwks });

    const selection = 'cursor type indicator { id source { id identityProviders { issuer } } }';
    const asAdmin = await alertStream(t, admin, { selection });
    const asReader = await alertStream(t, reader, { selection });
    const id = await indicator({ value: 'roles.as.example' });
    await Promise.all([asAdmin, asReader].map((s) => s.until((x) => x.events.length === 1, 'the indicator')));

    expect(asAdmin.events[0]!.indicator).toEqual({ id, source: { id: 'as-pub', identityProviders: [{ issuer: 'https://idp.as-pub.example' }] } });
    expect(asReader.events[0]!.indicator).toEqual({ id, source: { id: 'as-pub', identityProviders: null } });
    const query = await t.gql('query($id: ID!) { indicator(id: $id) { id source { id identityProviders { issuer } } } }', { id }, { token: reader });
    expect(asReader.events[0]!.indicator).toEqual(query.body.data.indicator);
  });

  it('renders with the roles the registry allows its member now, before anything closes the socket', async () => {
    const ops = t.member('as-ops2', 'CORE', { allowedRoles: ['reader', 'hub-admin'] });
    await ops.token(['reader']);
    const admin = await t.tokenAs('as-ops2', 'admin@ops2', ['reader', 'hub-admin'], 600_000);
    const { publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k2', alg: 'EdDSA', use: 'sig' }] });
    await registerIdentityProvider(t, admin, { memberId: 'as-pub', issuer: 'https://idp2.as-pub.example', jwks });
    const s = await alertStream(t, admin, { selection: 'cursor type indicator { id source { id identityProviders { issuer } } }' });
    const before = await indicator({ value: 'roles-before.as.example' });
    await s.until((x) => x.events.length === 1, 'the first indicator');
    expect(s.events[0]!.indicator!.source.identityProviders).not.toBeNull();

    // Another instance withdrew hub-admin from the member and its notice has not reached this one.
    const registry = (t.hub.services.members as unknown as { members: MemberRepository }).members;
    await registry.put({ ...(await t.hub.services.members.get('as-ops2'))!, allowedRoles: ['reader'] });
    const after = await indicator({ value: 'roles-after.as.example' });
    await s.until((x) => x.events.length === 2, 'the second indicator');
    expect(s.events.map((e) => e.indicator!.id)).toEqual([before, after]);
    expect(s.events[1]!.indicator).toEqual({ id: after, source: { id: 'as-pub', identityProviders: null } });
  });
});
