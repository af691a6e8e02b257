/**
 * Communities (docs/communities.md): who creates and changes them, who sees what of them, and
 * TLP:RED records naming them, expanded to the community's members at read time over every
 * channel (lists and counts, by id, lookups, STIX, graphql-ws queries and live alerts).
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alertStream, disposeStreams } from './support/alert-stream.js';
import { startTestHub, type GqlResponse, type TestHub } from './support/hub-fixture.js';
import { MAX_COMMUNITIES, MAX_COMMUNITY_MEMBERS } from '../src/services/community-service.js';

const CREATE = 'mutation($input: CreateCommunityInput!) { createCommunity(input: $input) { id name description owner { id } members { id } updatedAt } }';
const ADD = 'mutation($c: ID!, $m: ID!) { addCommunityMember(communityId: $c, memberId: $m) { id name members { id } } }';
const REMOVE = 'mutation($c: ID!, $m: ID!) { removeCommunityMember(communityId: $c, memberId: $m) { id name members { id } } }';
const LIST = '{ communities { id name description owner { id } members { id } updatedAt } }';
const PUBLISH = 'mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { status indicator { id recipients } error { code message field } } } }';
const NOTICE = 'mutation($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id recipients } }';
const SEES = `query($id: ID!, $v: String!) {
  indicators(filter: { value: $v }) { totalCount edges { node { id recipients } } }
  indicator(id: $id) { id recipients }
  lookupIndicators(values: [$v]) { known }
  stixBundle(ids: [$id])
}`;

let t: TestHub;
const tok = {} as Record<'ownerAdmin' | 'ownerPub' | 'partner' | 'partnerAdmin' | 'outsiderAdmin' | 'outsiderPub' | 'hubAdmin', string>;
let keys = 0;

function data(res: GqlResponse) {
  expect(res.body.errors, res.text).toBeUndefined();
  return res.body.data;
}

const create = async (name: string, token = tok.ownerAdmin) => data(await t.gql(CREATE, { input: { name, description: `About ${name}` } }, { token })).createCommunity;

async function publishRed(value: string, recipients: string[], token = tok.ownerPub) {
  const res = await t.gql(PUBLISH, { input: { idempotencyKey: `c-${++keys}`, indicators: [{ value, tlp: 'RED', recipients, severity: 'HIGH', confidence: 80 }] } }, { token });
  return data(res).publishIndicators.results[0];
}

/** What `token` sees of an indicator: count and node in the list, by id, lookup, STIX. */
async function seen(token: string, id: string, value: string) {
  const d = data(await t.gql(SEES, { id, v: value }, { token }));
  return {
    count: d.indicators.totalCount as number,
    byId: d.indicator !== null,
    known: d.lookupIndicators[0].known as boolean,
    stix: (d.stixBundle.objects as any[]).some((o) => o.type === 'indicator'),
    recipients: d.indicator?.recipients ?? null,
  };
}
const SEEN = { count: 1, byId: true, known: true, stix: true, recipients: null };
const UNSEEN = { count: 0, byId: false, known: false, stix: false, recipients: null };

beforeAll(async () => {
  t = await startTestHub({ config: { alertHeartbeatMs: 100 } });
  t.member('c-owner', 'TRUSTED');
  t.member('c-partner', 'COMMUNITY');
  t.member('c-outsider', 'CORE');
  t.member('c-operator', 'CORE', { allowedRoles: ['reader', 'publisher', 'approver', 'member-admin', 'hub-admin'] });
  tok.ownerAdmin = await t.member('c-owner', 'TRUSTED').token(['reader', 'member-admin']);
  tok.ownerPub = await t.token('c-owner', ['reader', 'publisher']);
  tok.partner = await t.token('c-partner', ['reader', 'publisher']);
  tok.partnerAdmin = await t.token('c-partner', ['reader', 'member-admin']);
  tok.outsiderAdmin = await t.token('c-outsider', ['reader', 'member-admin', 'publisher']);
  tok.outsiderPub = await t.token('c-outsider', ['reader', 'publisher']);
  tok.hubAdmin = await t.token('c-operator', ['reader', 'hub-admin']);
});

afterEach(disposeStreams);

describe('creating a community', () => {
  it('makes one owned by the member-admin\'s member, with that member as its first member, and audits it', async () => {
    const c = await create('Owner circle');
    expect(c).toMatchObject({ name: 'Owner circle', description: 'About Owner circle', owner: { id: 'c-owner' }, members: [{ id: 'c-owner' }] });
    expect(c.id).toMatch(/^community--[0-9a-f-]{36}$/);
    const audit = data(await t.gql('{ auditLog(first: 5, filter: { action: [COMMUNITY_CREATED] }) { edges { node { action memberId target { kind id } details } } } }', {}, { token: tok.ownerAdmin }));
    expect(audit.auditLog.edges.map((e: any) => e.node)).toContainEqual({ action: 'COMMUNITY_CREATED', memberId: 'c-owner', target: { kind: 'COMMUNITY', id: c.id }, details: {} });
  });

  it('needs member-admin or hub-admin, and a token', async () => {
    const asPublisher = await t.gql(CREATE, { input: { name: 'x', description: '' } }, { token: tok.ownerPub });
    expect(asPublisher.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await t.gql(CREATE, { input: { name: 'x', description: '' } });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const byHubAdmin = await create('Operator circle', tok.hubAdmin);
    expect(byHubAdmin.owner).toEqual({ id: 'c-operator' });
  });

  it('refuses an empty or overlong name and an overlong description, naming the field', async () => {
    for (const [input, field] of [
      [{ name: '  ', description: '' }, 'input.name'],
      [{ name: 'x'.repeat(101), description: '' }, 'input.name'],
      [{ name: 'ok', description: 'd'.repeat(1_001) }, 'input.description'],
    ] as const) {
      const res = await t.gql(CREATE, { input }, { token: tok.ownerAdmin });
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
  });
});

describe('rosters', () => {
  it('lets its administrators add and remove members, audited in the owner\'s log', async () => {
    const c = await create('Roster circle');
    expect(data(await t.gql(ADD, { c: c.id, m: 'c-partner' }, { token: tok.ownerAdmin })).addCommunityMember.members).toEqual([{ id: 'c-owner' }, { id: 'c-partner' }]);
    // Adding again changes nothing (and audits nothing).
    expect(data(await t.gql(ADD, { c: c.id, m: 'c-partner' }, { token: tok.ownerAdmin })).addCommunityMember.members).toHaveLength(2);
    expect(data(await t.gql(ADD, { c: c.id, m: 'c-outsider' }, { token: tok.hubAdmin })).addCommunityMember.members).toHaveLength(3);
    expect(data(await t.gql(REMOVE, { c: c.id, m: 'c-outsider' }, { token: tok.ownerAdmin })).removeCommunityMember.members).toEqual([{ id: 'c-owner' }, { id: 'c-partner' }]);
    const audit = data(await t.gql('{ auditLog(first: 100) { edges { node { action memberId actor { memberId } target { id } details } } } }', {}, { token: tok.ownerAdmin }));
    const about = audit.auditLog.edges.map((e: any) => e.node).filter((n: any) => n.target?.id === c.id);
    expect(about.map((n: any) => [n.action, n.memberId, n.actor.memberId, n.details.memberId ?? null])).toEqual([
      ['COMMUNITY_MEMBER_REMOVED', 'c-owner', 'c-owner', 'c-outsider'],
      ['COMMUNITY_MEMBER_ADDED', 'c-owner', 'c-operator', 'c-outsider'],
      ['COMMUNITY_MEMBER_ADDED', 'c-owner', 'c-owner', 'c-partner'],
      ['COMMUNITY_CREATED', 'c-owner', 'c-owner', null],
    ]);
  });

  it('shows a member the communities it belongs to (id, name, description), never the owner or who else is in them', async () => {
    const c = await create(`Shown ${randomUUID().slice(0, 6)}`);
    data(await t.gql(ADD, { c: c.id, m: 'c-partner' }, { token: tok.ownerAdmin }));
    for (const token of [tok.partner, tok.partnerAdmin]) {
      const mine = data(await t.gql(LIST, {}, { token })).communities;
      expect(mine).toContainEqual({ id: c.id, name: c.name, description: c.description, owner: null, members: null, updatedAt: null });
    }
    const ownerView = data(await t.gql(LIST, {}, { token: tok.ownerAdmin })).communities.find((x: any) => x.id === c.id);
    expect(ownerView.members).toEqual([{ id: 'c-owner' }, { id: 'c-partner' }]);
    const hubView = data(await t.gql(LIST, {}, { token: tok.hubAdmin })).communities.find((x: any) => x.id === c.id);
    expect(hubView.owner).toEqual({ id: 'c-owner' });
    expect(data(await t.gql(LIST, {}, { token: tok.outsiderAdmin })).communities.find((x: any) => x.id === c.id)).toBeUndefined();
    expect((await t.gql(LIST, {})).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('hands a member that does not administer a community only its id, name and description from the service too (the CLI prints what it gets)', async () => {
    const c = await create(`Service ${randomUUID().slice(0, 6)}`);
    data(await t.gql(ADD, { c: c.id, m: 'c-partner' }, { token: tok.ownerAdmin }));
    const partner = { kind: 'member', memberId: 'c-partner', userId: 'test@c-partner', roles: ['reader', 'member-admin'], tier: 'COMMUNITY' } as const;
    const listed = (await t.hub.services.communities.list(partner)).find((x) => x._id === c.id);
    expect(listed).toEqual({ _id: c.id, name: c.name, description: c.description });
    const owner = { kind: 'member', memberId: 'c-owner', userId: 'test@c-owner', roles: ['reader', 'member-admin'], tier: 'TRUSTED' } as const;
    expect((await t.hub.services.communities.list(owner)).find((x) => x._id === c.id)).toMatchObject({ ownerMemberId: 'c-owner', members: ['c-owner', 'c-partner'] });
  });

  it('answers a viewer that neither belongs to nor administers a community exactly as for an id that does not exist', async () => {
    const c = await create('Secret circle');
    const missing = `community--${randomUUID()}`;
    for (const mutation of [ADD, REMOVE]) {
      for (const token of [tok.outsiderAdmin, tok.outsiderPub]) {
        const hidden = await t.gql(mutation, { c: c.id, m: 'c-outsider' }, { token });
        const absent = await t.gql(mutation, { c: missing, m: 'c-outsider' }, { token });
        expect(hidden.body.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND', field: 'communityId' });
        expect(hidden.text).toBe(absent.text);
      }
    }
    const malformed = await t.gql(ADD, { c: 'not-a-community', m: 'c-outsider' }, { token: tok.outsiderAdmin });
    expect(malformed.text).toBe((await t.gql(ADD, { c: missing, m: 'c-outsider' }, { token: tok.outsiderAdmin })).text);
  });

  it('refuses a member of the community that does not administer it with FORBIDDEN, and an unknown member id with BAD_USER_INPUT', async () => {
    const c = await create('Refusals circle');
    data(await t.gql(ADD, { c: c.id, m: 'c-partner' }, { token: tok.ownerAdmin }));
    const byMember = await t.gql(ADD, { c: c.id, m: 'c-outsider' }, { token: tok.partnerAdmin });
    expect(byMember.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const unknown = await t.gql(ADD, { c: c.id, m: 'no-such-member' }, { token: tok.ownerAdmin });
    expect(unknown.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'memberId' });
  });
});

describe('TLP:RED records naming a community', () => {
  it('are seen by its members as they are now: joining grants, leaving revokes, on every read channel', async () => {
    const c = await create('Sharing circle');
    const value = `red-${randomUUID().slice(0, 8)}.community.example`;
    const published = await publishRed(value, [c.id]);
    expect(published.status).toBe('CREATED');
    const id = published.indicator.id;
    expect(published.indicator.recipients).toEqual([c.id]);

    expect(await seen(tok.partner, id, value)).toEqual(UNSEEN);
    data(await t.gql(ADD, { c: c.id, m: 'c-partner' }, { token: tok.ownerAdmin }));
    // A recipient sees the record, never who it names (canSeeRecipients).
    expect(await seen(tok.partner, id, value)).toEqual(SEEN);
    expect(await seen(tok.outsiderPub, id, value)).toEqual(UNSEEN);
    data(await t.gql(REMOVE, { c: c.id, m: 'c-partner' }, { token: tok.ownerAdmin }));
    expect(await seen(tok.partner, id, value)).toEqual(UNSEEN);
  });

  it('applies to notices as to indicators', async () => {
    const c = await create('Notice circle');
    const notice = data(await t.gql(NOTICE, {
      input: { title: 'Community notice', summary: 's', model: { name: 'M', developer: 'D' }, category: 'JAILBREAK', severity: 'HIGH', tlp: 'RED', recipients: [c.id], status: 'PUBLISHED' },
    }, { token: tok.ownerPub })).publishModelRiskNotice;
    const read = async (token: string) => data(await t.gql('query($id: ID!) { modelRiskNotice(id: $id) { id recipients } }', { id: notice.id }, { token })).modelRiskNotice;
    expect(await read(tok.partner)).toBeNull();
    data(await t.gql(ADD, { c: c.id, m: 'c-partner' }, { token: tok.ownerAdmin }));
    expect(await read(tok.partner)).toEqual({ id: notice.id, recipients: null });
    expect(await read(tok.ownerPub)).toEqual({ id: notice.id, recipients: [c.id] });
  });

  it('may name only communities the publisher\'s member belongs to or owns; any other is refused as an unknown member is', async () => {
    const c = await create('Closed circle');
    const missing = `community--${randomUUID()}`;
    const swap = (text: string, from: string) => text.split(from).join('X');
    // Indicators: the per-item refusal.
    const hidden = await publishRed('closed.community.example', [c.id], tok.outsiderPub);
    const absent = await publishRed('closed.community.example', [missing], tok.outsiderPub);
    const noMember = await publishRed('closed.community.example', ['no-such-member'], tok.outsiderPub);
    expect(hidden.error).toMatchObject({ code: 'UNKNOWN_RECIPIENT', field: 'recipients' });
    expect(swap(JSON.stringify(hidden), c.id)).toBe(swap(JSON.stringify(absent), missing));
    expect(swap(JSON.stringify(hidden), c.id)).toBe(swap(JSON.stringify(noMember), 'no-such-member'));
    // Notices: BAD_USER_INPUT on input.recipients.
    const noticeWith = (recipients: string[]) =>
      t.gql(NOTICE, { input: { title: 'n', summary: 's', model: { name: 'M', developer: 'D' }, category: 'JAILBREAK', severity: 'HIGH', tlp: 'RED', recipients, status: 'PUBLISHED' } }, { token: tok.outsiderPub });
    const hiddenNotice = await noticeWith([c.id]);
    expect(hiddenNotice.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.recipients' });
    expect(swap(hiddenNotice.text, c.id)).toBe(swap((await noticeWith([missing])).text, missing));
    // Once its member is in the community, it may name it.
    data(await t.gql(ADD, { c: c.id, m: 'c-outsider' }, { token: tok.ownerAdmin }));
    expect((await publishRed('closed.community.example', [c.id], tok.outsiderPub)).status).toBe('CREATED');
  });

  it('checks a recipients change request the same way', async () => {
    const c = await create('Request circle');
    const other = await create('Other circle', tok.hubAdmin);
    const published = await publishRed(`req-${randomUUID().slice(0, 8)}.example`, ['c-partner', 'c-outsider'], tok.ownerPub);
    const ask = (recipients: string[]) =>
      t.gql('mutation($id: ID!, $r: [ID!]!) { requestRecipientsChange(recordId: $id, recipients: $r, reason: "narrow") { id change { recipients } } }', { id: published.indicator.id, r: recipients }, { token: tok.ownerPub });
    const refused = await ask([other.id]);
    expect(refused.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'recipients' });
    expect(refused.text.split(other.id).join('X')).toBe((await ask([`community--${randomUUID()}`])).text.replace(/community--[0-9a-f-]{36}/, 'X'));
    expect(data(await ask([c.id])).requestRecipientsChange.change.recipients).toEqual([c.id]);
  });

  it('reach a live subscriber, and a query on its open socket, from the moment its member joins, and stop when it leaves', async () => {
    const c = await create('Live circle');
    const id = (await publishRed(`live-${randomUUID().slice(0, 8)}.example`, [c.id])).indicator.id as string;
    const stream = await alertStream(t, tok.partner);
    const query = (): Promise<any> =>
      new Promise((resolve, reject) => stream.client.subscribe({ query: 'query($id: ID!) { indicator(id: $id) { id } }', variables: { id } }, { next: resolve, error: reject, complete: () => {} }));
    const republish = async (confidence: number) => {
      const value = data(await t.gql('query($id: ID!) { indicator(id: $id) { value } }', { id }, { token: tok.ownerPub })).indicator.value;
      const res = await t.gql(PUBLISH, { input: { idempotencyKey: `c-${++keys}`, indicators: [{ value, tlp: 'RED', recipients: [c.id], severity: 'HIGH', confidence }] } }, { token: tok.ownerPub });
      expect(data(res).publishIndicators.results[0].status).toBe('UPDATED');
    };
    expect((await query()).data.indicator).toBeNull();
    await republish(10);
    data(await t.gql(ADD, { c: c.id, m: 'c-partner' }, { token: tok.ownerAdmin }));
    await republish(20);
    await stream.until((s) => s.events.some((e) => e.indicator?.id === id), 'the update after joining');
    expect(stream.events.filter((e) => e.indicator?.id === id).map((e) => e.type)).toEqual(['UPDATED']);
    await expect.poll(async () => (await query()).data.indicator).toEqual({ id });

    data(await t.gql(REMOVE, { c: c.id, m: 'c-partner' }, { token: tok.ownerAdmin }));
    await republish(30);
    // A CLEAR sentinel after it: once it arrives, the update after leaving was judged (and withheld).
    const clear = { value: `s-${randomUUID().slice(0, 6)}.sentinel.example`, tlp: 'CLEAR', severity: 'LOW', confidence: 1 };
    const sentinel = data(await t.gql(PUBLISH, { input: { idempotencyKey: `c-${++keys}`, indicators: [clear] } }, { token: tok.ownerPub })).publishIndicators.results[0].indicator.id as string;
    await stream.until((s) => s.events.some((e) => e.indicator?.id === sentinel), 'the sentinel');
    expect(stream.events.filter((e) => e.indicator?.id === id).map((e) => e.type)).toEqual(['UPDATED']);
    await expect.poll(async () => (await query()).data.indicator).toBeNull();
  });
});

// On a hub of its own, in memory: hundreds of service writes between two requests would outlast
// the HTTP keep-alive on a durable store under load (the next request then meets a closed socket).
describe('caps', () => {
  const hubAdmin = { kind: 'member', memberId: 'c-operator', userId: 'ops@c-operator', roles: ['reader', 'hub-admin'], tier: 'CORE' } as const;
  let h: TestHub;
  let ownerAdmin: string;
  let operator: string;
  beforeAll(async () => {
    h = await startTestHub({ config: { store: 'memory' } });
    h.member('c-owner', 'TRUSTED');
    h.member('c-partner', 'COMMUNITY');
    h.member('c-operator', 'CORE', { allowedRoles: ['reader', 'publisher', 'approver', 'member-admin', 'hub-admin'] });
    ownerAdmin = await h.member('c-owner', 'TRUSTED').token(['reader', 'member-admin']);
    operator = await h.token('c-operator', ['reader', 'hub-admin']);
  });

  it('refuses a member beyond a community\'s cap with BAD_USER_INPUT naming memberId', async () => {
    const c = data(await h.gql(CREATE, { input: { name: 'Full circle', description: '' } }, { token: ownerAdmin })).createCommunity;
    for (let i = 1; i < MAX_COMMUNITY_MEMBERS; i++) {
      const id = `c-cap-${i}`;
      await h.hub.services.members.register({ _id: id, name: id, kind: 'ENTERPRISE', tier: 'COMMUNITY', sector: 'testing', country: 'NL', allowedRoles: ['reader'], suspended: false, createdAt: new Date() } as any);
      await h.hub.services.communities.addMember(hubAdmin, c.id, id);
    }
    const full = await h.gql(ADD, { c: c.id, m: 'c-partner' }, { token: ownerAdmin });
    expect(full.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'memberId' });
    expect(full.body.errors?.[0]?.message).toContain(String(MAX_COMMUNITY_MEMBERS));
    // Removing one makes room again.
    data(await h.gql(REMOVE, { c: c.id, m: 'c-cap-1' }, { token: ownerAdmin }));
    expect(data(await h.gql(ADD, { c: c.id, m: 'c-partner' }, { token: ownerAdmin })).addCommunityMember.members).toHaveLength(MAX_COMMUNITY_MEMBERS);
  }, 60_000);

  it('refuses a community beyond the hub\'s cap with BAD_USER_INPUT', async () => {
    const existing = (await h.hub.services.communities.list(hubAdmin)).length;
    for (let i = existing; i < MAX_COMMUNITIES; i++) await h.hub.services.communities.create(hubAdmin, { name: `cap ${i}`, description: '' });
    const res = await h.gql(CREATE, { input: { name: 'one too many', description: '' } }, { token: ownerAdmin });
    expect(res.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input' });
    // The largest answer, a hub-admin's list with every roster and the member fields an operator
    // reads, stays within the response budget.
    const rich = '{ communities { id name description owner { id name } members { id name kind sector country tier status } updatedAt } }';
    expect(data(await h.gql(rich, {}, { token: operator })).communities).toHaveLength(MAX_COMMUNITIES);
  }, 60_000);
});
