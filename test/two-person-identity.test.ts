/**
 * Two people are two people (issue 10, item 4). Replays the reported attack: a member-admin
 * without approver registers an identity provider with a key pair of its own, mints a token with
 * `roles: [approver]` and approves its own `requestTlpChange`. Registering a provider is now a
 * two-person change, federated subjects are namespaced by their issuer, and an identity from a
 * provider counts as the persons who put that provider in place.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/domain/types.js';
import { federatedTokenRoles, isSamePerson, UNKNOWN_PERSON } from '../src/policy/policy.js';
import { startTestHub, type GqlResponse, type TestHub } from './support/hub-fixture.js';
import { APPROVE, personToken, REQUEST_REGISTRATION, REQUEST_REMOVAL } from './support/identity-providers.js';

const PUBLISH = `mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { indicator { id } error { code } } } }`;
const LOWER = `mutation($recordId: ID!) { requestTlpChange(recordId: $recordId, tlp: CLEAR, reason: "declassify") { id } }`;
const APPROVE_REQUEST = 'mutation($id: ID!) { approveRequest(id: $id) { id status } }';
const INDICATOR = 'query($id: ID!) { indicator(id: $id) { id tlp } }';
const VIEWER = '{ viewer { userId roles member { id } } }';
const AUDIT = `query($memberId: ID) { auditLog(filter: { memberId: $memberId }, first: 100) { edges { node { action actor { userId } target { kind id } details } } } }`;

let t: TestHub;
let keys = 0;

/** A real hub token for a named person of a member. */
const person = (memberId: string, userId: string, roles: Role[]) => t.tokenAs(memberId, userId, roles, 3_600_000);

/** Links `subject` of `issuer` to a person of victim holding `roles` (a provider's token names a person only through a link). */
const link = (issuer: string, subject: string, roles: Role[]) => t.person('victim', `${subject}.${new URL(issuer).hostname}`, roles, [{ issuer, subject }]);

function data(res: GqlResponse) {
  expect(res.body.errors, res.text).toBeUndefined();
  return res.body.data;
}

/** An identity provider the attacker runs: a fresh Ed25519 key pair and its public JWK Set. */
async function ownIdp(issuer: string) {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' }] });
  const mint = (sub: string, roles: string[]) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ roles }).setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'JWT' }).setIssuer(issuer).setAudience('the-hub')
      .setSubject(sub).setIssuedAt(now).setExpirationTime(now + 600).sign(privateKey);
  };
  return { issuer, jwks, mint };
}

async function amberIndicator(token: string): Promise<string> {
  const input = { idempotencyKey: `tpi-${++keys}`, indicators: [{ value: `amber-${keys}.tpi.example`, tlp: 'AMBER', severity: 'HIGH', confidence: 80 }] };
  return data(await t.gql(PUBLISH, { input }, { token })).publishIndicators.results[0].indicator.id;
}

beforeAll(async () => {
  t = await startTestHub({ config: { anonymousReads: true } });
  await t.member('victim', 'TRUSTED', { allowedRoles: ['reader', 'publisher', 'approver', 'member-admin'] }).token();
});

describe('one person, two approvals (the reported attack)', () => {
  it('does not let a member-admin without approver register a provider alone, mint an approver and approve its own TLP change', async () => {
    const mallory = await person('victim', 'mallory', ['member-admin', 'publisher', 'reader']);
    const idp = await ownIdp('https://idp.mallory.example');

    const requested = await t.gql(REQUEST_REGISTRATION, { input: { memberId: 'victim', issuer: idp.issuer, jwks: idp.jwks }, reason: 'our IdP' }, { token: mallory });
    const requestId = data(requested).requestIdentityProviderRegistration.id;
    // Nothing is registered on one person's word: the provider's tokens are refused...
    const forged = await idp.mint('mallory', ['approver', 'publisher', 'reader']);
    expect((await t.gql(VIEWER, {}, { token: forged })).body.errors?.[0]?.message).toMatch(/issuer \("iss"\) is not registered/);
    // ...and the requester cannot approve its own request.
    expect((await t.gql(APPROVE, { id: requestId }, { token: mallory })).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const id = await amberIndicator(mallory);
    const lower = data(await t.gql(LOWER, { recordId: id }, { token: mallory })).requestTlpChange.id;
    const refused = await t.gql(APPROVE_REQUEST, { id: lower }, { token: forged });
    expect(refused.status).toBe(401);
    expect(data(await t.gql(INDICATOR, { id }, { token: mallory })).indicator.tlp).toBe('AMBER');
    expect(data(await t.gql(INDICATOR, { id })).indicator).toBeNull();
  });

  it('takes a provider\'s subject for a person only through a linked identity, so no provider can mint a hub user id', async () => {
    const idp = await ownIdp('https://idp.ns.example');
    const admin = await person('victim', 'ns-admin', ['member-admin']);
    const request = data(await t.gql(REQUEST_REGISTRATION, { input: { memberId: 'victim', issuer: idp.issuer, jwks: idp.jwks }, reason: 'ns' }, { token: admin }));
    data(await t.gql(APPROVE, { id: request.requestIdentityProviderRegistration.id }, { token: await personToken(t) }));

    // The subject names the hub person ns-admin, but no person has that identity linked: refused.
    const unlinked = await t.gql(VIEWER, {}, { token: await idp.mint('ns-admin', ['reader']) });
    expect(unlinked.status).toBe(401);
    expect(unlinked.body.errors?.[0]?.message).toMatch(/no active person of its member/);
    // Linked to another person, it is that person.
    await t.person('victim', 'ns-reader', ['reader'], [{ issuer: idp.issuer, subject: 'ns-admin' }]);
    const viewer = data(await t.gql(VIEWER, {}, { token: await idp.mint('ns-admin', ['reader']) })).viewer;
    expect(viewer).toEqual({ userId: 'ns-reader', roles: ['reader'], member: { id: 'victim' } });
    // A hub token cannot take that form either.
    await expect(person('victim', 'https://idp.ns.example#ns-admin', ['reader'])).rejects.toThrow(/reserved/);
  });

  it('counts an identity from a provider as the person who requested it and the person who approved it', async () => {
    const alice = await person('victim', 'alice', ['member-admin', 'publisher', 'reader']);
    const bob = await person('victim', 'bob', ['member-admin', 'reader']);
    const idp = await ownIdp('https://idp.alice.example');
    const request = data(await t.gql(REQUEST_REGISTRATION, { input: { memberId: 'victim', issuer: idp.issuer, jwks: idp.jwks }, reason: 'alice IdP' }, { token: alice }));
    data(await t.gql(APPROVE, { id: request.requestIdentityProviderRegistration.id }, { token: bob }));

    // Any subject, approver role: still alice (and bob), so neither's request can be approved with it.
    await link(idp.issuer, 'someone-else', ['approver', 'reader']);
    const asApprover = await idp.mint('someone-else', ['approver', 'reader']);
    const id = await amberIndicator(alice);
    const lower = data(await t.gql(LOWER, { recordId: id }, { token: alice })).requestTlpChange.id;
    const refused = await t.gql(APPROVE_REQUEST, { id: lower }, { token: asApprover });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(refused.body.errors?.[0]?.message).toMatch(/identity provider they requested or approved/);
    expect(data(await t.gql(INDICATOR, { id })).indicator).toBeNull();

    const bobs = await person('victim', 'bob', ['publisher', 'reader']);
    const bobsId = await amberIndicator(bobs);
    const bobsLower = data(await t.gql(LOWER, { recordId: bobsId }, { token: bobs })).requestTlpChange.id;
    expect((await t.gql(APPROVE_REQUEST, { id: bobsLower }, { token: asApprover })).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // A third person, with a hub token, may approve alice's request.
    const carol = await person('victim', 'carol', ['approver', 'reader']);
    expect(data(await t.gql(APPROVE_REQUEST, { id: lower }, { token: carol })).approveRequest.status).toBe('APPROVED');
    expect(data(await t.gql(INDICATOR, { id })).indicator).toEqual({ id, tlp: 'CLEAR' });
  });

  it("carries the registrants along a chain: a provider registered by a provider's identity counts as that provider's registrants too", async () => {
    const dave = await person('victim', 'dave', ['member-admin', 'publisher', 'reader']);
    const first = await ownIdp('https://idp.dave-1.example');
    const r1 = data(await t.gql(REQUEST_REGISTRATION, { input: { memberId: 'victim', issuer: first.issuer, jwks: first.jwks }, reason: 'one' }, { token: dave }));
    data(await t.gql(APPROVE, { id: r1.requestIdentityProviderRegistration.id }, { token: await personToken(t) }));
    const second = await ownIdp('https://idp.dave-2.example');
    await link(first.issuer, 'dave-admin', ['member-admin']);
    const viaFirst = await first.mint('dave-admin', ['member-admin']);
    const r2 = data(await t.gql(REQUEST_REGISTRATION, { input: { memberId: 'victim', issuer: second.issuer, jwks: second.jwks }, reason: 'two' }, { token: viaFirst }));
    data(await t.gql(APPROVE, { id: r2.requestIdentityProviderRegistration.id }, { token: await personToken(t, 'third-person@hub-operators') }));

    const id = await amberIndicator(dave);
    const lower = data(await t.gql(LOWER, { recordId: id }, { token: dave })).requestTlpChange.id;
    await link(second.issuer, 'anyone', ['approver', 'reader']);
    const refused = await t.gql(APPROVE_REQUEST, { id: lower }, { token: await second.mint('anyone', ['approver', 'reader']) });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('registering, replacing and removing identity providers', () => {
  it('refuses the old one-person mutations with APPROVAL_REQUIRED, naming the request mutation', async () => {
    const admin = await person('victim', 'old-client', ['member-admin']);
    const register = await t.gql('mutation { registerIdentityProvider(input: { memberId: "victim", issuer: "https://idp.old.example", jwksUri: "https://idp.old.example/jwks" }) { issuer } }', {}, { token: admin });
    expect(register.body.errors?.[0]?.extensions?.code).toBe('APPROVAL_REQUIRED');
    expect(register.body.errors?.[0]?.message).toMatch(/requestIdentityProviderRegistration/);
    const remove = await t.gql('mutation { removeIdentityProvider(memberId: "victim", issuer: "https://idp.old.example") }', {}, { token: admin });
    expect(remove.body.errors?.[0]?.extensions?.code).toBe('APPROVAL_REQUIRED');
    expect(remove.body.errors?.[0]?.message).toMatch(/requestIdentityProviderRemoval/);
  });

  it('lets another member-admin of the member approve, not an approver, and lists the request to the right people only', async () => {
    const erin = await person('victim', 'erin', ['member-admin']);
    const frank = await person('victim', 'frank', ['member-admin']);
    const approverOnly = await person('victim', 'grace', ['approver', 'reader']);
    const idp = await ownIdp('https://idp.erin.example');
    const id = data(await t.gql(REQUEST_REGISTRATION, { input: { memberId: 'victim', issuer: idp.issuer, jwks: idp.jwks }, reason: 'erin' }, { token: erin })).requestIdentityProviderRegistration.id;

    const list = '{ approvalRequests(status: PENDING, first: 100) { edges { node { id } } } }';
    const ids = async (token: string) => data(await t.gql(list, {}, { token })).approvalRequests.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(await ids(frank)).toContain(id);
    expect(await ids(approverOnly)).not.toContain(id);
    expect((await t.gql(APPROVE, { id }, { token: approverOnly })).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(data(await t.gql(APPROVE, { id }, { token: frank })).approveRequest.status).toBe('APPROVED');
    await link(idp.issuer, 'x', ['reader']);
    expect(data(await t.gql(VIEWER, {}, { token: await idp.mint('x', ['reader']) })).viewer.member).toEqual({ id: 'victim' });
  });

  it('audits the request, the approval and the registration, and applies a removal only once approved', async () => {
    const henry = await person('victim', 'henry', ['member-admin']);
    const idp = await ownIdp('https://idp.henry.example');
    const reg = data(await t.gql(REQUEST_REGISTRATION, { input: { memberId: 'victim', issuer: idp.issuer, jwks: idp.jwks }, reason: 'henry' }, { token: henry })).requestIdentityProviderRegistration.id;
    data(await t.gql(APPROVE, { id: reg }, { token: await personToken(t) }));
    await link(idp.issuer, 'h', ['reader']);
    const token = await idp.mint('h', ['reader']);

    const rem = data(await t.gql(REQUEST_REMOVAL, { memberId: 'victim', issuer: idp.issuer, reason: 'retire' }, { token: henry })).requestIdentityProviderRemoval.id;
    expect(data(await t.gql(VIEWER, {}, { token })).viewer.member).toEqual({ id: 'victim' });
    data(await t.gql(APPROVE, { id: rem }, { token: await personToken(t) }));
    expect((await t.gql(VIEWER, {}, { token })).body.errors?.[0]?.message).toMatch(/not registered/);

    const entries = data(await t.gql(AUDIT, { memberId: 'victim' }, { token: henry })).auditLog.edges.map((e: any) => e.node);
    const about = entries.filter((e: any) => e.details?.requestId === reg || e.details?.requestId === rem);
    expect(about.map((e: any) => e.action).sort()).toEqual(
      ['APPROVE', 'APPROVE', 'IDENTITY_PROVIDER_REGISTERED', 'IDENTITY_PROVIDER_REMOVED', 'REQUEST', 'REQUEST'],
    );
    const registered = about.find((e: any) => e.action === 'IDENTITY_PROVIDER_REGISTERED');
    expect(registered).toMatchObject({ actor: { userId: 'second-person@hub-operators' }, target: { kind: 'IDENTITY_PROVIDER', id: idp.issuer } });
    expect(registered.details.requestedBy).toEqual({ memberId: 'victim', userId: 'henry' });
  });

  it("shows who registered a provider to the member's member-admins", async () => {
    const ken = await person('victim', 'ken', ['member-admin']);
    const idp = await ownIdp('https://idp.ken.example');
    const reg = data(await t.gql(REQUEST_REGISTRATION, { input: { memberId: 'victim', issuer: idp.issuer, jwks: idp.jwks }, reason: 'ken' }, { token: ken })).requestIdentityProviderRegistration;
    expect(reg.change.identityProvider.issuer).toBe(idp.issuer);
    data(await t.gql(APPROVE, { id: reg.id }, { token: await personToken(t) }));
    const query = '{ members { id identityProviders { issuer registeredBy { requestId requestedBy { memberId userId } approvedBy { memberId userId } } } } }';
    const victim = data(await t.gql(query, {}, { token: ken })).members.find((m: { id: string }) => m.id === 'victim');
    expect(victim.identityProviders).toContainEqual({
      issuer: idp.issuer,
      registeredBy: { requestId: reg.id, requestedBy: { memberId: 'victim', userId: 'ken' }, approvedBy: { memberId: 'hub-operators', userId: 'second-person@hub-operators' } },
    });
  });

  it('refuses to apply a registration when the issuer changed since the request', async () => {
    const ivy = await person('victim', 'ivy', ['member-admin']);
    const idp = await ownIdp('https://idp.ivy.example');
    const ask = () => t.gql(REQUEST_REGISTRATION, { input: { memberId: 'victim', issuer: idp.issuer, jwks: idp.jwks }, reason: 'ivy' }, { token: ivy });
    const first = data(await ask()).requestIdentityProviderRegistration.id;
    const second = data(await ask()).requestIdentityProviderRegistration.id;
    data(await t.gql(APPROVE, { id: first }, { token: await personToken(t) }));
    const stale = await t.gql(APPROVE, { id: second }, { token: await personToken(t) });
    expect(stale.body.errors?.[0]?.extensions?.code).toBe('INVALID_TRANSITION');
  });
});

describe('the policy: who counts as whom', () => {
  const viewer = (userId: string, persons?: string[]) =>
    ({ kind: 'member', memberId: 'm', userId, roles: ['approver'], tier: 'TRUSTED', ...(persons ? { persons } : {}) }) as const;

  it('treats an identity whose provider has no recorded registrants as everyone, so it can approve nothing', () => {
    expect(isSamePerson(viewer('https://old.example#a', ['https://old.example#a', UNKNOWN_PERSON]), { userId: 'anyone' })).toBe(true);
    expect(isSamePerson(viewer('anyone'), { userId: 'https://old.example#a', persons: ['https://old.example#a', UNKNOWN_PERSON] })).toBe(true);
  });

  it('compares persons, not only user ids', () => {
    expect(isSamePerson(viewer('https://x.example#b', ['https://x.example#b', 'alice']), { userId: 'alice' })).toBe(true);
    expect(isSamePerson(viewer('carol'), { userId: 'https://x.example#b', persons: ['https://x.example#b', 'alice'] })).toBe(false);
    expect(isSamePerson(viewer('alice'), { userId: 'alice' })).toBe(true);
  });

  it('never lets a federated token carry hub-admin', () => {
    expect(federatedTokenRoles(['reader', 'hub-admin', 'member-admin'])).toEqual(['reader', 'member-admin']);
  });
});
