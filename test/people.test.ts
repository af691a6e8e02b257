/**
 * People, first-class (issue 11, item 2), end to end on a real hub: every credential resolves to
 * an ACTIVE person of its member, whose roles (capped by the member's allowedRoles, narrowed by
 * the credential) are the most it can do; roles beyond reader and publisher, and identities of
 * privileged people, need a second person who is neither the requester nor the grantee.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/domain/types.js';
import { startTestHub, type GqlResponse, type TestHub } from './support/hub-fixture.js';
import { alertStream } from './support/alert-stream.js';
import { registerIdentityProvider, removeIdentityProvider } from './support/identity-providers.js';

const VIEWER = '{ viewer { userId roles member { id } } }';
const PEOPLE = 'query($memberId: ID) { people(memberId: $memberId) { id member { id } displayName email roles status identities { issuer subject } } }';
const ADD = 'mutation($input: AddPersonInput!) { addPerson(input: $input) { id member { id } displayName email roles status identities { issuer subject } createdBy { userId } } }';
const GRANT = 'mutation($personId: ID!, $role: Role!) { requestRoleGrant(personId: $personId, role: $role, reason: "needs it") { id kind status target { kind id } change { role } } }';
const REVOKE = 'mutation($personId: ID!, $role: Role!) { revokeRole(personId: $personId, role: $role, reason: "no longer") { id roles } }';
const LINK = 'mutation($personId: ID!, $issuer: String!, $subject: String!) { linkIdentity(personId: $personId, issuer: $issuer, subject: $subject) { id identities { issuer subject } pendingApprovals { id kind change { identity { issuer subject } } } } }';
const REMOVE = 'mutation($personId: ID!) { removePerson(personId: $personId, reason: "left") { id status } }';
const PENDING = 'query($memberId: ID) { people(memberId: $memberId) { id pendingApprovals { id kind change { role } } } }';
const APPROVE = 'mutation($id: ID!) { approveRequest(id: $id) { id status } }';
const CREATE_KEY = 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id personId roles } } }';
const AUDIT = 'query($memberId: ID) { auditLog(filter: { memberId: $memberId }, first: 100) { edges { node { action actor { userId } target { kind id } details } } } }';
const LAB_ROLES: Role[] = ['reader', 'publisher', 'approver', 'member-admin'];

let t: TestHub;
const tok = {} as Record<'labAdmin' | 'labAdmin2' | 'labReader' | 'otherAdmin' | 'hubAdmin1' | 'hubAdmin2', string>;
let idp: { issuer: string; mint: (sub: string, roles?: string[]) => Promise<string> };

function data(res: GqlResponse) {
  expect(res.body.errors, res.text).toBeUndefined();
  return res.body.data;
}
const error = (res: GqlResponse) => res.body.errors?.[0] ?? { message: '', extensions: {} };

async function makeIdp(issuer: string) {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' }] });
  const mint = (sub: string, roles?: string[]) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(roles ? { roles } : {}).setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'JWT' }).setIssuer(issuer).setAudience('the-hub')
      .setSubject(sub).setIssuedAt(now).setExpirationTime(now + 600).sign(privateKey);
  };
  return { issuer, jwks, mint };
}

let added = 0;
/** Adds a person to pp-lab through the API (as its first member-admin); returns its id. */
async function addLabPerson(roles: Role[] = ['reader']): Promise<string> {
  const input = { memberId: 'pp-lab', id: `person-${++added}@pp-lab`, displayName: `Person ${added}`, email: `p${added}@lab.example`, roles };
  return data(await t.gql(ADD, { input }, { token: tok.labAdmin })).addPerson.id;
}

/** A real hub token for an existing person (no seeding: the person must already be there). */
const tokenOf = (memberId: string, userId: string, roles: Role[]) => t.hub.tokens.issue({ memberId, userId, roles, ttlMs: 600_000 });

beforeAll(async () => {
  // Short heartbeats: an alert stream counts as live from its first one.
  t = await startTestHub({ config: { alertHeartbeatMs: 100 } });
  t.member('pp-lab', 'TRUSTED', { allowedRoles: LAB_ROLES });
  t.member('pp-other', 'TRUSTED', { allowedRoles: LAB_ROLES });
  t.member('pp-ops', 'CORE', { allowedRoles: ['reader', 'member-admin', 'hub-admin'] });
  tok.labAdmin = await t.tokenAs('pp-lab', 'admin-1@pp-lab', ['reader', 'member-admin']);
  tok.labAdmin2 = await t.tokenAs('pp-lab', 'admin-2@pp-lab', ['reader', 'member-admin']);
  tok.labReader = await t.tokenAs('pp-lab', 'reader@pp-lab', ['reader']);
  tok.otherAdmin = await t.tokenAs('pp-other', 'admin@pp-other', ['reader', 'member-admin']);
  tok.hubAdmin1 = await t.tokenAs('pp-ops', 'root-1@pp-ops', ['reader', 'hub-admin']);
  tok.hubAdmin2 = await t.tokenAs('pp-ops', 'root-2@pp-ops', ['reader', 'hub-admin']);
  const made = await makeIdp('https://idp.pp-lab.example');
  // Registered by the two hub-admins: identities it vouches for count as them too, never as the lab's people.
  await registerIdentityProvider(t, tok.hubAdmin1, { memberId: 'pp-lab', issuer: made.issuer, jwks: made.jwks }, tok.hubAdmin2);
  idp = made;
});

describe('the people directory', () => {
  it('adds a reader or publisher with a normalised email, naming the field of every bad input', async () => {
    const input = { memberId: 'pp-lab', id: 'ann@pp-lab', displayName: ' Ann ', email: '  Ann@Lab.Example ', roles: ['reader', 'publisher'] };
    const ann = data(await t.gql(ADD, { input }, { token: tok.labAdmin })).addPerson;
    expect(ann).toEqual({
      id: 'ann@pp-lab', member: { id: 'pp-lab' }, displayName: 'Ann', email: 'ann@lab.example', roles: ['reader', 'publisher'], status: 'ACTIVE', identities: [], createdBy: { userId: 'admin-1@pp-lab' },
    });
    const refused = async (over: Record<string, unknown>, field: string) => {
      const res = await t.gql(ADD, { input: { ...input, id: `x-${field}@pp-lab`, ...over } }, { token: tok.labAdmin });
      expect(error(res).extensions, JSON.stringify(over)).toEqual({ code: 'BAD_USER_INPUT', field });
    };
    await refused({ roles: ['approver'] }, 'roles');
    await refused({ roles: ['reader', 'member-admin'] }, 'roles');
    await refused({ email: 'not-an-address' }, 'email');
    await refused({ displayName: '  ' }, 'displayName');
    await refused({ id: 'https://idp.example#ann' }, 'id');
    await refused({ id: 'ann@pp-lab' }, 'id');
    await refused({ roles: ['root'] }, 'input.roles[0]');
  });

  it('generates a person id when none is given', async () => {
    const input = { memberId: 'pp-lab', displayName: 'Anonymous Andy', email: 'andy@lab.example' };
    expect(data(await t.gql(ADD, { input }, { token: tok.labAdmin })).addPerson).toMatchObject({ id: expect.stringMatching(/^person--[0-9a-f-]{36}$/), roles: ['reader'] });
  });

  it("shows a member-admin its own member's people only, a hub-admin everyone's, and nobody else anyone", async () => {
    const own = data(await t.gql(PEOPLE, {}, { token: tok.labAdmin })).people;
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((p: any) => p.member.id === 'pp-lab')).toBe(true);
    expect(own.map((p: any) => p.id)).toContain('admin-2@pp-lab');
    expect(error(await t.gql(PEOPLE, { memberId: 'pp-other' }, { token: tok.labAdmin })).extensions?.code).toBe('FORBIDDEN');
    expect(error(await t.gql(PEOPLE, {}, { token: tok.labReader })).extensions?.code).toBe('FORBIDDEN');
    expect(error(await t.gql(PEOPLE, {})).extensions?.code).toBe('UNAUTHENTICATED');
    const all = data(await t.gql(PEOPLE, {}, { token: tok.hubAdmin1 })).people.map((p: any) => p.member.id);
    expect(new Set(all)).toEqual(new Set(['pp-lab', 'pp-other', 'pp-ops']));
    const other = data(await t.gql(PEOPLE, { memberId: 'pp-other' }, { token: tok.hubAdmin1 })).people;
    expect(other.map((p: any) => p.id)).toEqual(['admin@pp-other']);
  });

  it("refuses another member's admin: FORBIDDEN to add there, NOT_FOUND for its people as for people that do not exist", async () => {
    const input = { memberId: 'pp-lab', id: 'intruder@pp-lab', displayName: 'I', email: 'i@x.example' };
    expect(error(await t.gql(ADD, { input }, { token: tok.otherAdmin })).extensions?.code).toBe('FORBIDDEN');
    const mine = await addLabPerson();
    for (const personId of [mine, 'nobody@pp-lab']) {
      const res = await t.gql(REVOKE, { personId, role: 'reader' }, { token: tok.otherAdmin });
      expect(error(res).extensions).toEqual({ code: 'NOT_FOUND', field: 'personId' });
    }
  });
});

describe('credentials resolve to an active person of their member', () => {
  it('caps a token by its person\'s roles, and narrows by its role claim', async () => {
    const reader = await addLabPerson(['reader']);
    expect(data(await t.gql(VIEWER, {}, { token: await tokenOf('pp-lab', reader, ['reader', 'publisher', 'approver']) })).viewer)
      .toEqual({ userId: reader, roles: ['reader'], member: { id: 'pp-lab' } });
    const both = await addLabPerson(['reader', 'publisher']);
    expect(data(await t.gql(VIEWER, {}, { token: await tokenOf('pp-lab', both, ['reader']) })).viewer.roles).toEqual(['reader']);
  });

  it('refuses a token for no person, for another member\'s person and for a removed person, with one message', async () => {
    const gone = await addLabPerson(['reader']);
    const goneToken = await tokenOf('pp-lab', gone, ['reader']);
    expect(data(await t.gql(VIEWER, {}, { token: goneToken })).viewer.userId).toBe(gone);
    expect(data(await t.gql(REMOVE, { personId: gone }, { token: tok.labAdmin })).removePerson.status).toBe('REMOVED');
    const messages = [];
    for (const token of [goneToken, await tokenOf('pp-lab', 'nobody-at-all', ['reader']), await tokenOf('pp-other', 'admin-1@pp-lab', ['reader'])]) {
      const res = await t.gql(VIEWER, {}, { token });
      expect(res.status).toBe(401);
      expect(error(res).extensions?.code).toBe('UNAUTHENTICATED');
      messages.push(error(res).message);
    }
    expect(new Set(messages)).toEqual(new Set(['Invalid token: no active person of its member stands behind it']));
  });

  it('refuses an unlinked identity of a member identity provider, and accepts it once linked to a reader, as that person', async () => {
    const token = await idp.mint('fresh-face', ['reader', 'publisher']);
    const refused = await t.gql(VIEWER, {}, { token });
    expect(refused.status).toBe(401);
    expect(error(refused).message).toBe('Invalid token: no active person of its member stands behind it');
    const person = await addLabPerson(['reader']);
    const linked = data(await t.gql(LINK, { personId: person, issuer: idp.issuer, subject: 'fresh-face' }, { token: tok.labAdmin })).linkIdentity;
    expect(linked).toEqual({ id: person, identities: [{ issuer: idp.issuer, subject: 'fresh-face' }], pendingApprovals: [] });
    expect(data(await t.gql(VIEWER, {}, { token })).viewer).toEqual({ userId: person, roles: ['reader'], member: { id: 'pp-lab' } });
  });

  it('links only identities of the person\'s own member\'s providers, each to one person', async () => {
    const a = await addLabPerson(['reader']);
    const b = await addLabPerson(['reader']);
    data(await t.gql(LINK, { personId: a, issuer: idp.issuer, subject: 'shared' }, { token: tok.labAdmin }));
    expect(error(await t.gql(LINK, { personId: b, issuer: idp.issuer, subject: 'shared' }, { token: tok.labAdmin })).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'subject' });
    expect(error(await t.gql(LINK, { personId: b, issuer: 'https://idp.elsewhere.example', subject: 'x' }, { token: tok.labAdmin })).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'issuer' });
  });

  it("never names another member's person when an issuer moved between members and its subject is still linked there", async () => {
    const moved = await makeIdp('https://idp.moved.example');
    await registerIdentityProvider(t, tok.hubAdmin1, { memberId: 'pp-other', issuer: moved.issuer, jwks: moved.jwks }, tok.hubAdmin2);
    await t.person('pp-other', 'secret-holder@pp-other', ['reader'], [{ issuer: moved.issuer, subject: 'z' }]);
    await removeIdentityProvider(t, tok.hubAdmin1, 'pp-other', moved.issuer, tok.hubAdmin2);
    await registerIdentityProvider(t, tok.hubAdmin1, { memberId: 'pp-lab', issuer: moved.issuer, jwks: moved.jwks }, tok.hubAdmin2);
    const refused = await t.gql(LINK, { personId: await addLabPerson(['reader']), issuer: moved.issuer, subject: 'z' }, { token: tok.labAdmin });
    expect(error(refused).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'subject' });
    expect(refused.text).not.toMatch(/secret-holder|pp-other/);
  });

  it('refuses every credential of a removed person at once, its identities included, and never re-provisions them', async () => {
    const person = await addLabPerson(['reader']);
    data(await t.gql(LINK, { personId: person, issuer: idp.issuer, subject: 'leaver' }, { token: tok.labAdmin }));
    const federated = await idp.mint('leaver');
    expect(data(await t.gql(VIEWER, {}, { token: federated })).viewer.userId).toBe(person);
    data(await t.gql(REMOVE, { personId: person }, { token: tok.labAdmin2 }));
    expect((await t.gql(VIEWER, {}, { token: federated })).status).toBe(401);
    expect(error(await t.gql(REMOVE, { personId: 'admin-1@pp-lab' }, { token: tok.labAdmin })).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'personId' });
  });
});

describe('suspending a person', () => {
  it('closes their open subscription with 4401 and refuses them until reinstated, with the roles they held', async () => {
    const person = await addLabPerson(['reader', 'publisher']);
    const token = await tokenOf('pp-lab', person, ['reader', 'publisher']);
    const stream = await alertStream(t, token);
    const SUSPEND = 'mutation($personId: ID!) { suspendPerson(personId: $personId, reason: "on leave") { id status } }';
    const REINSTATE = 'mutation($personId: ID!) { reinstatePerson(personId: $personId, reason: "back") { id status roles } }';
    expect(data(await t.gql(SUSPEND, { personId: person }, { token: tok.labAdmin })).suspendPerson.status).toBe('SUSPENDED');
    expect((await stream.closed).code).toBe(4401);
    expect((await t.gql(VIEWER, {}, { token })).status).toBe(401);
    expect(error(await t.gql(SUSPEND, { personId: 'admin-1@pp-lab' }, { token: tok.labAdmin })).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'personId' });
    expect(data(await t.gql(REINSTATE, { personId: person }, { token: tok.labAdmin2 })).reinstatePerson).toEqual({ id: person, status: 'ACTIVE', roles: ['reader', 'publisher'] });
    expect(data(await t.gql(VIEWER, {}, { token })).viewer.roles).toEqual(['reader', 'publisher']);
    const entries = data(await t.gql(AUDIT, { memberId: 'pp-lab' }, { token: tok.labAdmin })).auditLog.edges.map((e: any) => e.node);
    expect(entries.filter((e: any) => e.target?.id === person).map((e: any) => e.action)).toEqual(['PERSON_REINSTATED', 'PERSON_SUSPENDED', 'PERSON_ADDED']);
  });
});

describe('API keys act as their person', () => {
  it('caps a key by its person\'s current roles: a role revoked from the person is gone from the key at once, and a removed person\'s key is refused', async () => {
    const holder = await t.tokenAs('pp-lab', 'keyholder@pp-lab', ['reader', 'publisher', 'member-admin']);
    const created = data(await t.gql(CREATE_KEY, { input: { memberId: 'pp-lab', name: 'siem', roles: ['reader', 'publisher'] } }, { token: holder })).createApiKey;
    expect(created.apiKey).toMatchObject({ personId: 'keyholder@pp-lab', roles: ['reader', 'publisher'] });
    const asKey = { authorization: `Bearer ${created.key}` };
    expect(data(await t.gql(VIEWER, {}, { headers: asKey })).viewer).toEqual({ userId: 'keyholder@pp-lab', roles: ['reader', 'publisher'], member: { id: 'pp-lab' } });

    expect(data(await t.gql(REVOKE, { personId: 'keyholder@pp-lab', role: 'publisher' }, { token: tok.labAdmin })).revokeRole.roles).toEqual(['reader', 'member-admin']);
    expect(data(await t.gql(VIEWER, {}, { headers: asKey })).viewer.roles).toEqual(['reader']);

    data(await t.gql(REMOVE, { personId: 'keyholder@pp-lab' }, { token: tok.labAdmin }));
    const refused = await t.gql(VIEWER, {}, { headers: asKey });
    expect(refused.status).toBe(401);
    expect(error(refused).message).toBe('Invalid API key: no active person of its member stands behind it');
  });

  it('makes a hub-admin of another member name the person a key acts as', async () => {
    const res = await t.gql(CREATE_KEY, { input: { memberId: 'pp-lab', name: 'by root' } }, { token: tok.hubAdmin1 });
    expect(error(res).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'personId' });
    const reader = await addLabPerson(['reader']);
    const named = data(await t.gql(CREATE_KEY, { input: { memberId: 'pp-lab', name: 'by root', personId: reader } }, { token: tok.hubAdmin1 })).createApiKey;
    expect(named.apiKey.personId).toBe(reader);
    const other = await t.gql(CREATE_KEY, { input: { memberId: 'pp-lab', name: 'by root', personId: 'admin@pp-other' } }, { token: tok.hubAdmin1 });
    expect(error(other).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'personId' });
  });
});

describe('two people for every role grant', () => {
  it('grants approver once another member-admin approves; neither the requester nor the grantee may', async () => {
    const grantee = await t.tokenAs('pp-lab', 'grantee@pp-lab', ['reader', 'member-admin']);
    const req = data(await t.gql(GRANT, { personId: 'grantee@pp-lab', role: 'approver' }, { token: tok.labAdmin })).requestRoleGrant;
    expect(req).toMatchObject({ kind: 'GRANT_ROLE', status: 'PENDING', target: { kind: 'PERSON', id: 'grantee@pp-lab' }, change: { role: 'approver' } });
    // Seen by the person's administrators while it waits.
    const listed = data(await t.gql(PENDING, { memberId: 'pp-lab' }, { token: tok.labAdmin2 })).people.find((p: any) => p.id === 'grantee@pp-lab');
    expect(listed.pendingApprovals).toEqual([{ id: req.id, kind: 'GRANT_ROLE', change: { role: 'approver' } }]);

    expect(error(await t.gql(APPROVE, { id: req.id }, { token: tok.labAdmin })).message).toMatch(/own request/);
    expect(error(await t.gql(APPROVE, { id: req.id }, { token: grantee })).message).toMatch(/change to their own roles/);
    expect(error(await t.gql(APPROVE, { id: req.id }, { token: tok.labReader })).extensions?.code).toBe('FORBIDDEN');
    expect(error(await t.gql(APPROVE, { id: req.id }, { token: tok.otherAdmin })).extensions?.code).toBe('FORBIDDEN');
    expect(data(await t.gql(VIEWER, {}, { token: await tokenOf('pp-lab', 'grantee@pp-lab', ['approver']) })).viewer.roles).toEqual([]);

    expect(data(await t.gql(APPROVE, { id: req.id }, { token: tok.labAdmin2 })).approveRequest.status).toBe('APPROVED');
    expect(data(await t.gql(VIEWER, {}, { token: await tokenOf('pp-lab', 'grantee@pp-lab', ['approver']) })).viewer.roles).toEqual(['approver']);
    const entries = data(await t.gql(AUDIT, { memberId: 'pp-lab' }, { token: tok.labAdmin })).auditLog.edges.map((e: any) => e.node);
    expect(entries.find((e: any) => e.action === 'ROLE_GRANTED' && e.target.id === 'grantee@pp-lab')).toMatchObject({ actor: { userId: 'admin-2@pp-lab' }, details: { role: 'approver', requestId: req.id } });
  });

  it('refuses self-approval through a second identity of the requester', async () => {
    // admin-1 gets an identity of the lab's provider: admin-1 is privileged, so that link is itself two-person.
    const link = data(await t.gql(LINK, { personId: 'admin-1@pp-lab', issuer: idp.issuer, subject: 'admin-one' }, { token: tok.labAdmin2 })).linkIdentity;
    expect(link.identities).toEqual([]);
    expect(link.pendingApprovals).toMatchObject([{ kind: 'LINK_IDENTITY', change: { identity: { issuer: idp.issuer, subject: 'admin-one' } } }]);
    const linkRequest = link.pendingApprovals[0].id;
    expect((await t.gql(VIEWER, {}, { token: await idp.mint('admin-one') })).status).toBe(401);
    expect(error(await t.gql(APPROVE, { id: linkRequest }, { token: tok.labAdmin })).message).toMatch(/change to their own roles or identities/);
    expect(data(await t.gql(APPROVE, { id: linkRequest }, { token: await t.tokenAs('pp-lab', 'admin-3@pp-lab', ['reader', 'member-admin']) })).approveRequest.status).toBe('APPROVED');
    const secondIdentity = await idp.mint('admin-one');
    expect(data(await t.gql(VIEWER, {}, { token: secondIdentity })).viewer).toMatchObject({ userId: 'admin-1@pp-lab', roles: ['reader', 'member-admin'] });

    const target = await addLabPerson(['reader']);
    const req = data(await t.gql(GRANT, { personId: target, role: 'approver' }, { token: tok.labAdmin })).requestRoleGrant;
    const res = await t.gql(APPROVE, { id: req.id }, { token: secondIdentity });
    expect(error(res).extensions?.code).toBe('FORBIDDEN');
    expect(error(res).message).toMatch(/own request/);
  });

  it('keeps hub-admin to hub-admins: asked and decided by hub-admins only, and refuses roles the member is not allowed', async () => {
    await t.tokenAs('pp-ops', 'ops-admin@pp-ops', ['reader', 'member-admin']);
    await t.tokenAs('pp-ops', 'candidate@pp-ops', ['reader']);
    expect(error(await t.gql(GRANT, { personId: 'candidate@pp-ops', role: 'hub-admin' }, { token: await tokenOf('pp-ops', 'ops-admin@pp-ops', ['member-admin']) })).extensions?.code).toBe('FORBIDDEN');
    const req = data(await t.gql(GRANT, { personId: 'candidate@pp-ops', role: 'hub-admin' }, { token: tok.hubAdmin1 })).requestRoleGrant;
    const byMemberAdmin = await t.gql(APPROVE, { id: req.id }, { token: await tokenOf('pp-ops', 'ops-admin@pp-ops', ['member-admin']) });
    expect(error(byMemberAdmin).extensions?.code).toBe('FORBIDDEN');
    expect(data(await t.gql(APPROVE, { id: req.id }, { token: tok.hubAdmin2 })).approveRequest.status).toBe('APPROVED');
    expect(data(await t.gql(VIEWER, {}, { token: await tokenOf('pp-ops', 'candidate@pp-ops', ['hub-admin']) })).viewer.roles).toEqual(['hub-admin']);

    expect(error(await t.gql(GRANT, { personId: 'admin-2@pp-lab', role: 'hub-admin' }, { token: tok.hubAdmin1 })).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'role' });
    expect(error(await t.gql(GRANT, { personId: 'admin-2@pp-lab', role: 'member-admin' }, { token: tok.labAdmin })).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'role' });
  });

  it('applies a grant only if the person is still as the request found it', async () => {
    const person = await addLabPerson(['reader']);
    const req = data(await t.gql(GRANT, { personId: person, role: 'publisher' }, { token: tok.labAdmin })).requestRoleGrant;
    data(await t.gql(REMOVE, { personId: person }, { token: tok.labAdmin }));
    expect(error(await t.gql(APPROVE, { id: req.id }, { token: tok.labAdmin2 })).extensions?.code).toBe('INVALID_TRANSITION');
  });
});

describe('just-in-time people (HUB_JIT_PEOPLE=true)', () => {
  it('makes an unlinked identity a reader-only person, once, audited as such', async () => {
    const jit = await startTestHub({ config: { jitPeople: true } });
    jit.member('jit-lab', 'TRUSTED', { allowedRoles: LAB_ROLES });
    const admin = await jit.tokenAs('jit-lab', 'admin@jit-lab', ['reader', 'member-admin']);
    const made = await makeIdp('https://idp.jit.example');
    await registerIdentityProvider(jit, admin, { memberId: 'jit-lab', issuer: made.issuer, jwks: made.jwks });
    const token = await made.mint('newcomer', ['reader', 'publisher', 'approver']);
    const first = data(await jit.gql(VIEWER, {}, { token })).viewer;
    expect(first).toEqual({ userId: expect.stringMatching(/^person--/), roles: ['reader'], member: { id: 'jit-lab' } });
    expect(data(await jit.gql(VIEWER, {}, { token: await made.mint('newcomer') })).viewer.userId).toBe(first.userId);
    const people = data(await jit.gql(PEOPLE, {}, { token: admin })).people;
    expect(people.find((p: any) => p.id === first.userId)).toMatchObject({ roles: ['reader'], identities: [{ issuer: made.issuer, subject: 'newcomer' }] });
    const entries = data(await jit.gql(AUDIT, { memberId: 'jit-lab' }, { token: admin })).auditLog.edges.map((e: any) => e.node);
    expect(entries.filter((e: any) => e.action === 'PERSON_ADDED' && e.target.id === first.userId)).toEqual([
      expect.objectContaining({ actor: null, details: expect.objectContaining({ jit: true, roles: ['reader'] }) }),
    ]);
    // A removed person's identity stays theirs: refused, not provisioned anew.
    data(await jit.gql(REMOVE, { personId: first.userId }, { token: admin }));
    expect((await jit.gql(VIEWER, {}, { token })).status).toBe(401);
  });
});
