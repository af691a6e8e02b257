/**
 * Two-person changes end to end: requests to lift an embargo, lower a TLP, remove recipients or
 * change a tier; who may approve them; rejection, expiry and the optimistic re-check; and the
 * refusals that point publishers to the request mutations.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../src/domain/types.js';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { startTestHub, type GqlResponse, type TestHub } from './support/hub-fixture.js';
import { registerIdentityProvider } from './support/identity-providers.js';

const DAY = 86_400_000;
const inDays = (n: number) => new Date(Date.now() + n * DAY).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const REQUEST = 'id kind status reason target { kind id } change { embargoUntil tlp recipients tier } requestedBy { memberId userId } decidedBy { memberId userId } decidedAt decisionReason expiresAt';
const LIFT = `mutation($noticeId: ID!, $embargoUntil: DateTime, $reason: String!) { requestEmbargoLift(noticeId: $noticeId, embargoUntil: $embargoUntil, reason: $reason) { ${REQUEST} } }`;
const LOWER = `mutation($recordId: ID!, $tlp: TLP!, $reason: String!) { requestTlpChange(recordId: $recordId, tlp: $tlp, reason: $reason) { ${REQUEST} } }`;
const RECIPIENTS = `mutation($recordId: ID!, $recipients: [ID!]!, $reason: String!) { requestRecipientsChange(recordId: $recordId, recipients: $recipients, reason: $reason) { ${REQUEST} } }`;
const TIER = `mutation($memberId: ID!, $tier: Tier!, $reason: String!) { requestTierChange(memberId: $memberId, tier: $tier, reason: $reason) { ${REQUEST} } }`;
const APPROVE = `mutation($id: ID!, $reason: String) { approveRequest(id: $id, reason: $reason) { ${REQUEST} } }`;
const REJECT = `mutation($id: ID!, $reason: String!) { rejectRequest(id: $id, reason: $reason) { ${REQUEST} } }`;
const LIST = `query($status: ApprovalStatus, $first: Int) { approvalRequests(status: $status, first: $first) { totalCount edges { node { ${REQUEST} target { node { id } } } } } }`;
const NOTICE = `query($id: ID!) { modelRiskNotice(id: $id) { id tlp embargoUntil recipients } }`;
const PUBLISH_NOTICE = `mutation($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }`;
const UPDATE_NOTICE = `mutation($id: ID!, $input: ModelRiskNoticeUpdate!) { updateModelRiskNotice(id: $id, input: $input) { id tlp } }`;
const PUBLISH = `mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { index status indicator { id tlp recipients } error { code field message } } } }`;
const INDICATOR = `query($id: ID!) { indicator(id: $id) { id tlp } }`;
const VIEWER = '{ viewer { tier } }';

let t: TestHub;
const tok = {} as Record<
  'pub' | 'pubApprover' | 'approver' | 'reader' | 'otherApprover' | 'admin1' | 'admin2' | 'pubAsAdmin' | 'trusted' | 'community' | 'partner' | 'partner2',
  string
>;
let keys = 0;

/** A real token for a named person of a member. */
const person = (memberId: string, userId: string, roles: Role[]) => t.tokenAs(memberId, userId, roles, 3_600_000);

async function member(hub: TestHub, id: string, tier: 'COMMUNITY' | 'TRUSTED' | 'CORE', extra = {}) {
  await hub.member(id, tier, extra).token();
}

function data(res: GqlResponse) {
  expect(res.body.errors, res.text).toBeUndefined();
  return res.body.data;
}

function error(res: GqlResponse) {
  expect(res.body.errors, `expected an error: ${res.text}`).toBeDefined();
  return res.body.errors![0]!;
}

async function notice(overrides: Record<string, unknown> = {}, token = tok.pub) {
  const input = { title: 'Notice', summary: 'Summary', model: { name: 'Appr-Model', developer: 'Appr Lab' }, category: 'JAILBREAK', severity: 'HIGH', tlp: 'AMBER', status: 'PUBLISHED', ...overrides };
  return data(await t.gql(PUBLISH_NOTICE, { input }, { token })).publishModelRiskNotice.id as string;
}

async function indicators(items: Array<Record<string, unknown>>, token = tok.pub) {
  const input = { idempotencyKey: `appr-${++keys}`, indicators: items.map((i) => ({ severity: 'HIGH', confidence: 80, ...i })) };
  return data(await t.gql(PUBLISH, { input }, { token })).publishIndicators.results as any[];
}

const seenBy = async (token: string, id: string) => (await t.gql(NOTICE, { id }, { token })).body.data?.modelRiskNotice ?? null;
const indicatorSeenBy = async (token: string, id: string) => (await t.gql(INDICATOR, { id }, { token })).body.data?.indicator ?? null;

async function request(query: string, variables: Record<string, unknown>, token = tok.pub) {
  return data(await t.gql(query, { reason: 'needed for the response', ...variables }, { token })) as Record<string, any>;
}

beforeAll(async () => {
  t = await startTestHub();
  await member(t, 'lab', 'CORE', { kind: 'LAB' });
  await member(t, 'other', 'CORE');
  await member(t, 'ops', 'CORE', { allowedRoles: [...ROLES] });
  for (const [id, tier] of [['trusted', 'TRUSTED'], ['community', 'COMMUNITY'], ['partner', 'COMMUNITY'], ['partner2', 'TRUSTED']] as const) await member(t, id, tier);
  tok.pub = await person('lab', 'pub@lab', ['reader', 'publisher']);
  tok.pubApprover = await person('lab', 'pub@lab', ['reader', 'publisher', 'approver']);
  tok.approver = await person('lab', 'alice@lab', ['reader', 'approver']);
  tok.reader = await person('lab', 'bob@lab', ['reader', 'publisher']);
  tok.otherApprover = await person('other', 'carol@other', ['reader', 'approver']);
  tok.admin1 = await person('ops', 'admin1@ops', ['reader', 'hub-admin']);
  tok.admin2 = await person('ops', 'admin2@ops', ['reader', 'hub-admin']);
  // A person acts for its own member only: a token naming pub@lab for another member names nobody there.
  tok.pubAsAdmin = await t.hub.tokens.issue({ memberId: 'ops', userId: 'pub@lab', roles: ['reader', 'hub-admin'], ttlMs: 3_600_000 });
  for (const id of ['trusted', 'community', 'partner', 'partner2'] as const) tok[id] = await t.token(id, ['reader', 'publisher']);
});

describe('lifting an embargo', () => {
  it('shows an embargoed notice to a TRUSTED member once an approver of the same member approves the lift', async () => {
    const id = await notice({ embargoUntil: inDays(10) });
    expect(await seenBy(tok.trusted, id)).toBeNull();
    const req = (await request(LIFT, { noticeId: id, embargoUntil: null })).requestEmbargoLift;
    expect(req).toMatchObject({ kind: 'LIFT_EMBARGO', status: 'PENDING', target: { kind: 'MODEL_RISK_NOTICE', id }, change: { embargoUntil: null }, requestedBy: { memberId: 'lab', userId: 'pub@lab' } });
    expect(await seenBy(tok.trusted, id)).toBeNull();

    const approved = data(await t.gql(APPROVE, { id: req.id, reason: 'ok' }, { token: tok.approver })).approveRequest;
    expect(approved).toMatchObject({ status: 'APPROVED', decidedBy: { memberId: 'lab', userId: 'alice@lab' }, decisionReason: 'ok' });
    const seen = await seenBy(tok.trusted, id);
    expect(seen?.id).toBe(id);
    expect(new Date(seen.embargoUntil).getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('ends an embargo on its own at embargoUntil, with no request at all', async () => {
    const id = await notice({ embargoUntil: new Date(Date.now() + 1_200).toISOString() });
    expect(await seenBy(tok.trusted, id)).toBeNull();
    await sleep(1_400);
    expect((await seenBy(tok.trusted, id))?.id).toBe(id);
  });

  it('ends the embargo at the requested time, not at approval, when the request names one', async () => {
    const id = await notice({ embargoUntil: inDays(30) });
    const end = inDays(5);
    const req = (await request(LIFT, { noticeId: id, embargoUntil: end })).requestEmbargoLift;
    data(await t.gql(APPROVE, { id: req.id }, { token: tok.approver }));
    expect((await seenBy(tok.pub, id)).embargoUntil).toBe(end);
    expect(await seenBy(tok.trusted, id)).toBeNull();
  });
});

describe('lowering a TLP', () => {
  it('shows a notice to a COMMUNITY member after its TLP is lowered from AMBER to GREEN and approved', async () => {
    const id = await notice({ tlp: 'AMBER' });
    expect(await seenBy(tok.community, id)).toBeNull();
    const req = (await request(LOWER, { recordId: id, tlp: 'GREEN' })).requestTlpChange;
    expect(req).toMatchObject({ kind: 'LOWER_TLP', status: 'PENDING', change: { tlp: 'GREEN' } });
    expect(await seenBy(tok.community, id)).toBeNull();
    data(await t.gql(APPROVE, { id: req.id }, { token: tok.approver }));
    expect(await seenBy(tok.community, id)).toMatchObject({ id, tlp: 'GREEN' });
  });

  it('lowers an indicator from RED to AMBER when a hub-admin of another member approves, clearing its recipients', async () => {
    const [red] = await indicators([{ value: 'lower-red.appr.example', tlp: 'RED', recipients: ['partner'] }]);
    expect(await indicatorSeenBy(tok.trusted, red.indicator.id)).toBeNull();
    const req = (await request(LOWER, { recordId: red.indicator.id, tlp: 'AMBER' })).requestTlpChange;
    const approved = data(await t.gql(APPROVE, { id: req.id }, { token: tok.admin1 })).approveRequest;
    expect(approved.decidedBy).toEqual({ memberId: 'ops', userId: 'admin1@ops' });
    expect(await indicatorSeenBy(tok.trusted, red.indicator.id)).toEqual({ id: red.indicator.id, tlp: 'AMBER' });
    const own = await t.gql(`query($id: ID!) { indicator(id: $id) { recipients } }`, { id: red.indicator.id }, { token: tok.pub });
    expect(own.body.data.indicator.recipients).toEqual([]);
  });

  it.each([
    ['raising a TLP', LOWER, (ids: Ids) => ({ recordId: ids.amber, tlp: 'RED' }), 'tlp'],
    ['keeping the same TLP', LOWER, (ids: Ids) => ({ recordId: ids.amber, tlp: 'AMBER' }), 'tlp'],
    ['extending an embargo', LIFT, (ids: Ids) => ({ noticeId: ids.embargoed, embargoUntil: inDays(60) }), 'embargoUntil'],
    ['lifting an embargo the notice does not have', LIFT, (ids: Ids) => ({ noticeId: ids.amber, embargoUntil: null }), 'noticeId'],
    ['only adding recipients', RECIPIENTS, (ids: Ids) => ({ recordId: ids.red, recipients: ['partner', 'partner2'] }), 'recipients'],
    ['recipients of a record that is not RED', RECIPIENTS, (ids: Ids) => ({ recordId: ids.amber, recipients: ['partner'] }), 'recordId'],
    ['an empty reason', LOWER, (ids: Ids) => ({ recordId: ids.amber, tlp: 'GREEN', reason: '  ' }), 'reason'],
  ])('refuses a request for %s with BAD_USER_INPUT: that is a plain update, or nothing at all', async (_what, query, vars, field) => {
    const ids = await requestTargets();
    const res = await t.gql(query, { reason: 'why not', ...vars(ids) }, { token: tok.pub });
    expect(error(res).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });
});

type Ids = { amber: string; embargoed: string; red: string };
let targets: Ids | undefined;
async function requestTargets(): Promise<Ids> {
  targets ??= {
    amber: await notice({ tlp: 'AMBER' }),
    embargoed: await notice({ embargoUntil: inDays(10) }),
    red: await notice({ tlp: 'RED', recipients: ['partner'] }),
  };
  return targets;
}

describe('removing recipients', () => {
  it('takes a removed recipient off a RED notice on approval, and shows the new list only to the publishing member', async () => {
    const id = await notice({ tlp: 'RED', recipients: ['partner', 'partner2'] });
    expect((await seenBy(tok.partner2, id))?.id).toBe(id);
    const req = (await request(RECIPIENTS, { recordId: id, recipients: ['partner'] })).requestRecipientsChange;
    expect(req.change.recipients).toEqual(['partner']);
    const asAdmin = data(await t.gql(LIST, { status: 'PENDING' }, { token: tok.admin1 })).approvalRequests.edges.find((e: any) => e.node.id === req.id);
    expect(asAdmin.node.change.recipients).toBeNull();

    data(await t.gql(APPROVE, { id: req.id }, { token: tok.approver }));
    expect(await seenBy(tok.partner2, id)).toBeNull();
    expect((await seenBy(tok.partner, id))?.id).toBe(id);
    expect((await seenBy(tok.pub, id)).recipients).toEqual(['partner']);
  });
});

describe('who may approve', () => {
  it('refuses self-approval, even when the requester holds approver or acts as hub-admin for another member', async () => {
    const id = await notice({ tlp: 'AMBER' });
    const req = (await request(LOWER, { recordId: id, tlp: 'GREEN' }, tok.pubApprover)).requestTlpChange;
    for (const token of [tok.pubApprover, tok.pub]) {
      const res = await t.gql(APPROVE, { id: req.id }, { token });
      expect(error(res).extensions?.code).toBe('FORBIDDEN');
      expect(error(res).message).toMatch(/own request/);
    }
    expect(error(await t.gql(APPROVE, { id: req.id }, { token: tok.pubAsAdmin })).extensions?.code).toBe('UNAUTHENTICATED');
    expect((await seenBy(tok.pub, id)).tlp).toBe('AMBER');
    const listed = data(await t.gql(LIST, {}, { token: tok.pub })).approvalRequests.edges.find((e: any) => e.node.id === req.id);
    expect(listed.node.status).toBe('PENDING');
  });

  it('refuses an approver of another member with FORBIDDEN, answering exactly as for a request that does not exist', async () => {
    const id = await notice({ tlp: 'AMBER' });
    const req = (await request(LOWER, { recordId: id, tlp: 'GREEN' })).requestTlpChange;
    const foreign = await t.gql(APPROVE, { id: req.id }, { token: tok.otherApprover });
    const missing = 'approval--00000000-0000-4000-8000-000000000000';
    const absent = await t.gql(APPROVE, { id: missing }, { token: tok.otherApprover });
    expect(error(foreign).extensions?.code).toBe('FORBIDDEN');
    expect(foreign.text.replace(req.id, '<id>')).toBe(absent.text.replace(missing, '<id>'));
    expect(error(await t.gql(REJECT, { id: req.id, reason: 'no' }, { token: tok.otherApprover })).extensions?.code).toBe('FORBIDDEN');
    expect((await seenBy(tok.pub, id)).tlp).toBe('AMBER');
  });

  it('refuses a colleague of the same member who does not hold approver', async () => {
    const id = await notice({ tlp: 'AMBER' });
    const req = (await request(LOWER, { recordId: id, tlp: 'GREEN' })).requestTlpChange;
    expect(error(await t.gql(APPROVE, { id: req.id }, { token: tok.reader })).extensions?.code).toBe('FORBIDDEN');
    expect((await seenBy(tok.pub, id)).tlp).toBe('AMBER');
  });

  it("refuses an identity from an identity provider the requester registered, whatever its sub, and accepts a third person's", async () => {
    const pubAdmin = await person('lab', 'pub@lab', ['member-admin']);
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const issuer = 'https://idp.lab.example';
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'lab-1', alg: 'EdDSA', use: 'sig' }] });
    await registerIdentityProvider(t, pubAdmin, { memberId: 'lab', issuer, jwks }, tok.admin1);
    const minted = (sub: string) =>
      new SignJWT({ roles: ['reader', 'publisher', 'approver'] }).setProtectedHeader({ alg: 'EdDSA', kid: 'lab-1', typ: 'JWT' }).setIssuer(issuer).setAudience('the-hub')
        .setSubject(sub).setIssuedAt().setExpirationTime('10m').sign(privateKey);

    // Each subject is linked to a person of the lab (pub@lab's own, an approver's, a new approver's, dana's).
    for (const [person, sub] of [['pub@lab', 'pub@lab'], ['alice@lab', 'alice@lab'], ['someone-new@lab', 'someone-new'], ['dana@lab', 'dana']]) {
      await t.person('lab', person!, ['reader', 'publisher', 'approver'], [{ issuer, subject: sub! }]);
    }
    const id = await notice({ tlp: 'AMBER' });
    const req = (await request(LOWER, { recordId: id, tlp: 'GREEN' })).requestTlpChange;
    for (const sub of ['pub@lab', 'alice@lab', 'someone-new']) {
      const res = await t.gql(APPROVE, { id: req.id }, { token: await minted(sub) });
      expect(error(res).extensions?.code, sub).toBe('FORBIDDEN');
    }
    // The hub-admin who approved the provider counts as its identities too: they cannot approve its requests.
    const byIdp = (await request(LOWER, { recordId: await notice({ tlp: 'AMBER' }), tlp: 'GREEN' }, await minted('dana'))).requestTlpChange;
    expect(byIdp.requestedBy).toEqual({ memberId: 'lab', userId: 'dana@lab' });
    expect(error(await t.gql(APPROVE, { id: byIdp.id }, { token: tok.admin1 })).extensions?.code).toBe('FORBIDDEN');
    expect(error(await t.gql(APPROVE, { id: byIdp.id }, { token: tok.pub })).extensions?.code).toBe('FORBIDDEN');
    expect(data(await t.gql(APPROVE, { id: byIdp.id }, { token: tok.approver })).approveRequest.status).toBe('APPROVED');
    expect(data(await t.gql(APPROVE, { id: req.id }, { token: tok.approver })).approveRequest.status).toBe('APPROVED');
  });

  it('lets only the publishing member ask: FORBIDDEN for a member who can see the record, NOT_FOUND for one who cannot', async () => {
    const id = await notice({ tlp: 'AMBER' });
    expect(error(await t.gql(LOWER, { recordId: id, tlp: 'GREEN', reason: 'x' }, { token: tok.trusted })).extensions?.code).toBe('FORBIDDEN');
    expect(error(await t.gql(LOWER, { recordId: id, tlp: 'GREEN', reason: 'x' }, { token: tok.community })).extensions?.code).toBe('NOT_FOUND');
    expect(error(await t.gql(LOWER, { recordId: id, tlp: 'GREEN', reason: 'x' }, { token: tok.approver })).extensions?.code).toBe('FORBIDDEN');
  });
});

describe('rejection, expiry and the re-check', () => {
  it('changes nothing when a request is rejected, and a rejected request cannot be approved afterwards', async () => {
    const id = await notice({ tlp: 'AMBER' });
    const req = (await request(LOWER, { recordId: id, tlp: 'CLEAR' })).requestTlpChange;
    const rejected = data(await t.gql(REJECT, { id: req.id, reason: 'too early' }, { token: tok.approver })).rejectRequest;
    expect(rejected).toMatchObject({ status: 'REJECTED', decisionReason: 'too early', decidedBy: { userId: 'alice@lab' } });
    expect((await seenBy(tok.pub, id)).tlp).toBe('AMBER');
    expect(await seenBy(tok.community, id)).toBeNull();
    const late = await t.gql(APPROVE, { id: req.id }, { token: tok.admin1 });
    expect(error(late).extensions?.code).toBe('INVALID_TRANSITION');
    expect((await seenBy(tok.pub, id)).tlp).toBe('AMBER');
  });

  it('lets the requester withdraw a request by rejecting it', async () => {
    const id = await notice({ tlp: 'AMBER' });
    const req = (await request(LOWER, { recordId: id, tlp: 'GREEN' })).requestTlpChange;
    expect(data(await t.gql(REJECT, { id: req.id, reason: 'withdrawn' }, { token: tok.pub })).rejectRequest.status).toBe('REJECTED');
  });

  it('refuses to apply a change when the record moved on since the request, and leaves the request pending', async () => {
    const id = await notice({ tlp: 'AMBER' });
    const req = (await request(LOWER, { recordId: id, tlp: 'GREEN' })).requestTlpChange;
    data(await t.gql(UPDATE_NOTICE, { id, input: { tlp: 'AMBER_STRICT' } }, { token: tok.pub }));
    const res = await t.gql(APPROVE, { id: req.id }, { token: tok.approver });
    expect(error(res).extensions?.code).toBe('INVALID_TRANSITION');
    expect((await seenBy(tok.pub, id)).tlp).toBe('AMBER_STRICT');
    const pending = data(await t.gql(LIST, { status: 'PENDING' }, { token: tok.pub })).approvalRequests.edges.map((e: any) => e.node.id);
    expect(pending).toContain(req.id);
  });

  it('refuses to approve an expired request and lists it as EXPIRED', async () => {
    const short = await startTestHub({ config: { approvalTtlMs: 300 } });
    await member(short, 'lab', 'CORE');
    const pub = await short.tokenAs('lab', 'pub@lab', ['publisher', 'reader'], 600_000);
    const approver = await short.tokenAs('lab', 'alice@lab', ['approver', 'reader'], 600_000);
    const input = { title: 'T', summary: 'S', model: { name: 'M', developer: 'D' }, category: 'OTHER', severity: 'LOW', tlp: 'AMBER', status: 'PUBLISHED' };
    const id = data(await short.gql(PUBLISH_NOTICE, { input }, { token: pub })).publishModelRiskNotice.id;
    const req = data(await short.gql(LOWER, { recordId: id, tlp: 'GREEN', reason: 'r' }, { token: pub })).requestTlpChange;
    await sleep(400);
    const res = await short.gql(APPROVE, { id: req.id }, { token: approver });
    expect(error(res).extensions?.code).toBe('INVALID_TRANSITION');
    expect(error(res).message).toMatch(/expired/);
    expect(data(await short.gql(NOTICE, { id }, { token: pub })).modelRiskNotice.tlp).toBe('AMBER');
    const list = async (status: string) => data(await short.gql(LIST, { status }, { token: approver })).approvalRequests.edges.map((e: any) => e.node);
    expect((await list('EXPIRED')).map((r: any) => [r.id, r.status])).toEqual([[req.id, 'EXPIRED']]);
    expect(await list('PENDING')).toEqual([]);
    await short.dispose();
  });
});

describe('tier changes', () => {
  it('need a hub-admin to ask and a different hub-admin to approve, and apply to the member next request', async () => {
    await member(t, 'mover', 'COMMUNITY');
    const moverAdmin = await person('mover', 'boss@mover', ['reader', 'approver', 'member-admin']);
    const moverToken = await person('mover', 'user@mover', ['reader']);
    const [amber] = await indicators([{ value: 'tier-change.appr.example', tlp: 'AMBER' }]);
    expect(data(await t.gql(VIEWER, {}, { token: moverToken })).viewer.tier).toBe('COMMUNITY');
    expect(await indicatorSeenBy(moverToken, amber.indicator.id)).toBeNull();

    for (const token of [tok.pub, moverAdmin]) {
      expect(error(await t.gql(TIER, { memberId: 'mover', tier: 'TRUSTED', reason: 'r' }, { token })).extensions?.code).toBe('FORBIDDEN');
    }
    const req = (await request(TIER, { memberId: 'mover', tier: 'TRUSTED' }, tok.admin1)).requestTierChange;
    expect(req).toMatchObject({ kind: 'CHANGE_TIER', target: { kind: 'MEMBER', id: 'mover' }, change: { tier: 'TRUSTED' } });

    expect(error(await t.gql(APPROVE, { id: req.id }, { token: tok.admin1 })).extensions?.code).toBe('FORBIDDEN');
    expect(error(await t.gql(APPROVE, { id: req.id }, { token: moverAdmin })).extensions?.code).toBe('FORBIDDEN');
    expect(data(await t.gql(VIEWER, {}, { token: moverToken })).viewer.tier).toBe('COMMUNITY');

    expect(data(await t.gql(APPROVE, { id: req.id }, { token: tok.admin2 })).approveRequest.status).toBe('APPROVED');
    expect(data(await t.gql(VIEWER, {}, { token: moverToken })).viewer.tier).toBe('TRUSTED');
    expect((await indicatorSeenBy(moverToken, amber.indicator.id))?.id).toBe(amber.indicator.id);
  });

  it('refuses a tier change to the tier the member already has, or to PUBLIC, with BAD_USER_INPUT', async () => {
    for (const tier of ['CORE', 'PUBLIC']) {
      expect(error(await t.gql(TIER, { memberId: 'lab', tier, reason: 'r' }, { token: tok.admin1 })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'tier' });
    }
  });
});

describe('listing requests', () => {
  it('shows the requests a viewer made or may decide, and nothing of them to anyone else', async () => {
    const id = await notice({ tlp: 'AMBER' });
    const req = (await request(LOWER, { recordId: id, tlp: 'GREEN' })).requestTlpChange;
    const ids = async (token: string) => data(await t.gql(LIST, { first: 500 }, { token })).approvalRequests.edges.map((e: any) => e.node.id);
    expect(await ids(tok.pub)).toContain(req.id);
    expect(await ids(tok.approver)).toContain(req.id);
    expect(await ids(tok.admin1)).toContain(req.id);
    expect(await ids(tok.reader)).not.toContain(req.id);
    expect(await ids(tok.otherApprover)).not.toContain(req.id);
    expect(error(await t.gql(LIST, {})).extensions?.code).toBe('UNAUTHENTICATED');
    const own = data(await t.gql(LIST, { first: 500 }, { token: tok.approver })).approvalRequests.edges.find((e: any) => e.node.id === req.id);
    expect(own.node.target.node).toEqual({ id });
  });
});

describe('refusals that point to the request mutations', () => {
  it('rejects re-publishing an own indicator with a lower TLP as APPROVAL_REQUIRED on tlp, while the rest of the batch is stored', async () => {
    const [first] = await indicators([{ value: 'republish-lower.appr.example', tlp: 'AMBER' }]);
    const results = await indicators([
      { value: 'republish-lower.appr.example', tlp: 'GREEN' },
      { value: 'republish-fresh.appr.example', tlp: 'CLEAR' },
    ]);
    expect(results[0]).toMatchObject({ status: 'REJECTED', indicator: null, error: { code: 'APPROVAL_REQUIRED', field: 'tlp' } });
    expect(results[0].error.message).toContain(`requestTlpChange(recordId: "${first.indicator.id}"`);
    expect(results[1]).toMatchObject({ status: 'CREATED', indicator: { tlp: 'CLEAR' } });
    expect((await indicatorSeenBy(tok.pub, first.indicator.id)).tlp).toBe('AMBER');
    expect(await indicatorSeenBy(tok.community, first.indicator.id)).toBeNull();
  });

  it('rejects re-publishing a RED indicator with fewer recipients as APPROVAL_REQUIRED on recipients, and takes added recipients as a plain update', async () => {
    await indicators([{ value: 'republish-red.appr.example', tlp: 'RED', recipients: ['partner', 'partner2'] }]);
    const [fewer] = await indicators([{ value: 'republish-red.appr.example', tlp: 'RED', recipients: ['partner'] }]);
    expect(fewer).toMatchObject({ status: 'REJECTED', error: { code: 'APPROVAL_REQUIRED', field: 'recipients' } });
    expect(fewer.error.message).toContain('requestRecipientsChange');
    const [more] = await indicators([{ value: 'republish-red.appr.example', tlp: 'RED', recipients: ['partner', 'partner2', 'trusted'] }]);
    expect(more).toMatchObject({ status: 'UPDATED', indicator: { recipients: ['partner', 'partner2', 'trusted'] } });
  });

  it.each([
    ['lowering the TLP', { tlp: 'GREEN' }, {}, 'requestTlpChange'],
    ['removing a recipient', { recipients: ['partner'] }, { tlp: 'RED', recipients: ['partner', 'partner2'] }, 'requestRecipientsChange'],
    ['ending the embargo early', { embargoUntil: null }, { embargoUntil: inDays(9) }, 'requestEmbargoLift'],
  ])('names the request mutation when a notice update is refused for %s', async (_what, patch, start, mutation) => {
    const id = await notice({ tlp: 'AMBER', ...start });
    const res = await t.gql(UPDATE_NOTICE, { id, input: patch }, { token: tok.pub });
    expect(error(res).extensions?.code).toBe('APPROVAL_REQUIRED');
    expect(error(res).message).toContain(mutation);
  });
});
