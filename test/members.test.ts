/**
 * The member lifecycle end to end (docs/members.md): registration as a two-person change,
 * suspension that refuses every credential at once and closes open sockets, reinstatement
 * (two-person at TRUSTED and above), offboarding that revokes API keys and identity providers and
 * leaves the member's records readable and attributed. Real hub, real tokens, the official
 * graphql-ws client.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/domain/types.js';
import { alertStream, disposeStreams } from './support/alert-stream.js';
import { startTestHub, type GqlResponse, type TestHub } from './support/hub-fixture.js';
import { personToken, registerIdentityProvider } from './support/identity-providers.js';

const MEMBER = 'id name kind tier sector country status statusReason statusChangedAt';
const REGISTER = `mutation($input: RegisterMemberInput!) { registerMember(input: $input) { ${MEMBER} } }`;
const SUSPEND = `mutation($id: ID!, $reason: String!) { suspendMember(id: $id, reason: $reason) { ${MEMBER} } }`;
const REINSTATE = `mutation($id: ID!, $reason: String!) { reinstateMember(id: $id, reason: $reason) { ${MEMBER} } }`;
const OFFBOARD = `mutation($id: ID!, $reason: String!) { offboardMember(id: $id, reason: $reason) { ${MEMBER} } }`;
const ONE = `query($id: ID!) { member(id: $id) { ${MEMBER} } }`;
const DIRECTORY = `{ members { ${MEMBER} } }`;
const APPROVE = 'mutation($id: ID!) { approveRequest(id: $id) { id kind status } }';
const REJECT = 'mutation($id: ID!, $reason: String!) { rejectRequest(id: $id, reason: $reason) { id status } }';
const PENDING_REQUESTS = '{ approvalRequests(status: PENDING, first: 100) { edges { node { id kind status target { id node { ... on Member { id status } } } change { status } } } } }';
const TIER = 'mutation($memberId: ID!, $tier: Tier!) { requestTierChange(memberId: $memberId, tier: $tier, reason: "raise") { id } }';
const AUDIT = 'query($memberId: ID) { auditLog(filter: { memberId: $memberId }, first: 100) { edges { node { action memberId summary details target { kind id } } } } }';
const CREATE_KEY = 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id } } }';
const KEYS = 'query($memberId: ID!) { apiKeys(memberId: $memberId) { id revokedAt } }';
const IDPS = 'query($id: ID!) { member(id: $id) { id identityProviders { issuer } } }';
const INDICATOR = 'query($id: ID!) { indicator(id: $id) { id value tlp source { id name status } } }';
const VIEWER = '{ viewer { member { id } } }';
const PEOPLE = 'query($memberId: ID) { people(memberId: $memberId) { id status roles identities { issuer subject } } }';
const ADD_PERSON = 'mutation($input: AddPersonInput!) { addPerson(input: $input) { id status } }';
const SUSPEND_PERSON = 'mutation($id: ID!) { suspendPerson(personId: $id, reason: "on leave") { id status } }';
const GRANT = 'mutation($personId: ID!, $role: Role!) { requestRoleGrant(personId: $personId, role: $role, reason: "runs the SIEM") { id } }';
const NO_PERSON = /no active person of its member stands behind it/;

let t: TestHub;
/** Two different persons holding hub-admin (of "hub-operators"), and one of them again with a second token. */
let alice: string;
let aliceAgain: string;
let bob: string;

/**
 * A token for the person `userId` of `memberId`, who is seeded first (an ACTIVE person with these
 * roles): so a refusal below is about the member's status, never about a missing person.
 */
const person = (memberId: string, userId: string, roles: Role[]) => t.tokenAs(memberId, userId, roles);

function data(res: GqlResponse) {
  expect(res.body.errors, res.text).toBeUndefined();
  return res.body.data;
}

function error(res: GqlResponse) {
  expect(res.body.errors, `expected an error: ${res.text}`).toBeDefined();
  return res.body.errors![0]!;
}

const input = (id: string, over: Record<string, unknown> = {}) => ({
  id, name: `${id} organisation`, kind: 'LAB', sector: 'research', country: 'DE', allowedRoles: ['reader', 'publisher', 'member-admin'], ...over,
});

/** The open request of this kind about this member, as hub-admin `token` lists it. */
async function openRequest(kind: string, memberId: string, token = bob) {
  const edges = data(await t.gql(PENDING_REQUESTS, {}, { token })).approvalRequests.edges as Array<{ node: any }>;
  const found = edges.map((e) => e.node).find((n) => n.kind === kind && n.target.id === memberId);
  expect(found, `an open ${kind} request for ${memberId}`).toBeDefined();
  return found;
}

/** A member registered and approved through the API, with a token for one of its people. */
async function activeMember(id: string, roles: Role[] = ['reader', 'publisher']) {
  data(await t.gql(REGISTER, { input: input(id) }, { token: alice }));
  data(await t.gql(APPROVE, { id: (await openRequest('REGISTER_MEMBER', id)).id }, { token: bob }));
  return person(id, `someone@${id}`, roles);
}

/** Each person of the member and its status, as hub-admin bob lists them. */
async function peopleOf(memberId: string): Promise<Record<string, string>> {
  const people = data(await t.gql(PEOPLE, { memberId }, { token: bob })).people as Array<{ id: string; status: string }>;
  return Object.fromEntries(people.map((p) => [p.id, p.status]));
}

const newPerson = (memberId: string, id: string) => ({ memberId, id, displayName: id, email: `${id.replace('@', '.')}@example.org`, roles: ['reader'] });

async function auditActions(memberId: string) {
  return (data(await t.gql(AUDIT, { memberId }, { token: bob })).auditLog.edges as Array<{ node: any }>).map((e) => e.node);
}

beforeAll(async () => {
  // Refusals are what this file checks: many of them, from one address, within a minute.
  t = await startTestHub({ config: { alertHeartbeatMs: 100, failedLoginLimitPerMinute: 1_000 } });
  alice = await personToken(t, 'alice@hub-operators', ['hub-admin', 'reader']);
  aliceAgain = await personToken(t, 'alice@hub-operators', ['hub-admin', 'reader', 'approver']);
  bob = await personToken(t, 'bob@hub-operators', ['hub-admin', 'reader']);
  await t.member('bystander', 'TRUSTED', { allowedRoles: ['reader', 'publisher', 'approver', 'member-admin'] }).token();
});

afterAll(async () => {
  await disposeStreams();
});

describe('registerMember', () => {
  it('registers a PENDING member at COMMUNITY whose credentials do not work until a different hub-admin approves', async () => {
    const registered = data(await t.gql(REGISTER, { input: input('acme-lab', { kind: 'HUB', reason: 'peer hub of the EU federation' }) }, { token: alice })).registerMember;
    expect(registered).toMatchObject({ id: 'acme-lab', kind: 'HUB', tier: 'COMMUNITY', status: 'PENDING', statusReason: 'peer hub of the EU federation' });

    const acme = await person('acme-lab', 'carol@acme-lab', ['reader']);
    const refused = await t.gql(VIEWER, {}, { token: acme });
    expect(refused.status).toBe(401);
    expect(error(refused).message).toMatch(/registration is not approved/);

    const request = await openRequest('REGISTER_MEMBER', 'acme-lab');
    expect(request).toMatchObject({ status: 'PENDING', change: { status: 'ACTIVE' }, target: { node: { id: 'acme-lab', status: 'PENDING' } } });
    // The same person, with a second token (other roles), is still the requester.
    expect(error(await t.gql(APPROVE, { id: request.id }, { token: aliceAgain })).extensions?.code).toBe('FORBIDDEN');
    expect(error(await t.gql(APPROVE, { id: request.id }, { token: alice })).extensions?.code).toBe('FORBIDDEN');
    // An approver (not hub-admin) of another member may not decide a registration.
    const approver = await person('bystander', 'dave@bystander', ['approver', 'reader']);
    expect(error(await t.gql(APPROVE, { id: request.id }, { token: approver })).extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(VIEWER, {}, { token: acme })).status).toBe(401);
    // Nobody adds people to a registration nobody approved yet.
    expect(error(await t.gql(ADD_PERSON, { input: newPerson('acme-lab', 'early@acme-lab') }, { token: alice })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberId' });

    expect(data(await t.gql(APPROVE, { id: request.id }, { token: bob })).approveRequest.status).toBe('APPROVED');
    expect(data(await t.gql(VIEWER, {}, { token: acme })).viewer.member.id).toBe('acme-lab');
    expect(data(await t.gql(ONE, { id: 'acme-lab' }, { token: bob })).member).toMatchObject({ status: 'ACTIVE', tier: 'COMMUNITY' });
    const entries = await auditActions('acme-lab');
    expect(entries.find((e) => e.action === 'MEMBER_REGISTERED')).toMatchObject({ memberId: 'acme-lab', target: { kind: 'MEMBER', id: 'acme-lab' } });
  });

  it('shows a PENDING member to hub-admins only: for anyone else it does not exist', async () => {
    data(await t.gql(REGISTER, { input: input('hidden-lab') }, { token: alice }));
    const reader = await person('bystander', 'erin@bystander', ['reader', 'publisher']);
    expect(data(await t.gql(ONE, { id: 'hidden-lab' }, { token: reader })).member).toBeNull();
    expect(data(await t.gql(DIRECTORY, {}, { token: reader })).members.map((m: any) => m.id)).not.toContain('hidden-lab');
    expect(data(await t.gql(DIRECTORY, {}, { token: bob })).members.find((m: any) => m.id === 'hidden-lab')).toMatchObject({ status: 'PENDING' });
    // Naming it as a recipient answers exactly as an id nobody registered.
    const publish = (recipient: string) =>
      t.gql('mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { status error { code field message } } } }', {
        input: { idempotencyKey: `pending-${recipient}`, indicators: [{ value: `red-${recipient}.example`, tlp: 'RED', recipients: [recipient], severity: 'HIGH', confidence: 50 }] },
      }, { token: reader });
    const pending = data(await publish('hidden-lab')).publishIndicators.results[0];
    const unknown = data(await publish('never-registered')).publishIndicators.results[0];
    expect(pending.status).toBe('REJECTED');
    expect(pending.error.message.replace('hidden-lab', 'X')).toBe(unknown.error.message.replace('never-registered', 'X'));
    // And adding it to a community answers as for an unknown id.
    const admin = await person('bystander', 'erin-admin@bystander', ['member-admin', 'reader']);
    const community = data(await t.gql('mutation { createCommunity(input: { name: "pending test", description: "x" }) { id } }', {}, { token: admin })).createCommunity.id;
    const add = async (memberId: string) => error(await t.gql('mutation($c: ID!, $m: ID!) { addCommunityMember(communityId: $c, memberId: $m) { id } }', { c: community, m: memberId }, { token: admin }));
    expect(await add('hidden-lab')).toEqual(await add('never-registered'));
  });

  it('lets a rejected registration be made again, refuses one still open, and never reuses the id of a member that was', async () => {
    data(await t.gql(REGISTER, { input: input('retry-lab', { country: 'FR' }) }, { token: alice }));
    const again = error(await t.gql(REGISTER, { input: input('retry-lab') }, { token: bob }));
    expect(again.extensions).toMatchObject({ code: 'INVALID_TRANSITION', field: 'input.id' });
    const first = await openRequest('REGISTER_MEMBER', 'retry-lab');
    // A person of the pending registration (seeded by the hub: the API adds none to it) and a key acting as them.
    const early = await person('retry-lab', 'x@retry-lab', ['reader']);
    const earlyKey = data(await t.gql(CREATE_KEY, { input: { memberId: 'retry-lab', name: 'made too early', personId: 'x@retry-lab' } }, { token: bob })).createApiKey;
    data(await t.gql(REJECT, { id: first.id, reason: 'wrong country' }, { token: bob }));
    expect(error(await t.gql(VIEWER, {}, { token: early })).message).toMatch(/registration is not approved/);

    expect(data(await t.gql(REGISTER, { input: input('retry-lab', { country: 'NL' }) }, { token: alice })).registerMember).toMatchObject({ status: 'PENDING', country: 'NL' });
    const second = await openRequest('REGISTER_MEMBER', 'retry-lab');
    expect(second.id).not.toBe(first.id);
    // The rejected request stays rejected: it cannot be approved after all.
    expect(error(await t.gql(APPROVE, { id: first.id }, { token: bob })).extensions?.code).toBe('INVALID_TRANSITION');
    data(await t.gql(APPROVE, { id: second.id }, { token: bob }));
    expect(data(await t.gql(ONE, { id: 'retry-lab' }, { token: bob })).member).toMatchObject({ status: 'ACTIVE', country: 'NL' });
    // What the rejected registration collected did not carry over: its keys, its people.
    expect((await t.gql(VIEWER, {}, { token: earlyKey.key })).status).toBe(401);
    expect(data(await t.gql(KEYS, { memberId: 'retry-lab' }, { token: bob })).apiKeys).toEqual([{ id: earlyKey.apiKey.id, revokedAt: expect.any(String) }]);
    expect(error(await t.gql(VIEWER, {}, { token: early })).message).toMatch(NO_PERSON);
    expect(await peopleOf('retry-lab')).toEqual({ 'x@retry-lab': 'REMOVED' });

    const taken = error(await t.gql(REGISTER, { input: input('retry-lab') }, { token: alice }));
    expect(taken.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.id' });
    expect(taken.message).toMatch(/never reused/);
  });

  it('refuses bad input naming the field, and anyone but a hub-admin', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ id: 'Bad Id' }, 'input.id'],
      [{ id: '-dash' }, 'input.id'],
      [{ name: '  ' }, 'input.name'],
      [{ sector: 'x'.repeat(65) }, 'input.sector'],
      [{ country: 'nl' }, 'input.country'],
      [{ country: 'QQ' }, 'input.country'],
      [{ allowedRoles: [] }, 'input.allowedRoles'],
      [{ allowedRoles: ['reader', 'root'] }, 'input.allowedRoles'],
    ];
    for (const [over, field] of cases) {
      const refused = error(await t.gql(REGISTER, { input: input('valid-id', over) }, { token: alice }));
      expect(refused.extensions, JSON.stringify(over)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const admin = await person('bystander', 'frank@bystander', ['member-admin', 'approver', 'reader']);
    expect(error(await t.gql(REGISTER, { input: input('valid-id') }, { token: admin })).extensions?.code).toBe('FORBIDDEN');
    expect(error(await t.gql(REGISTER, { input: input('valid-id') })).extensions?.code).toBe('UNAUTHENTICATED');
    expect(data(await t.gql(ONE, { id: 'valid-id' }, { token: bob })).member).toBeNull();
  });
});

describe('suspendMember', () => {
  it('refuses every credential of the member at once and closes its open subscription', async () => {
    const token = await activeMember('susp-lab', ['reader', 'publisher', 'member-admin']);
    const { key } = data(await t.gql(CREATE_KEY, { input: { memberId: 'susp-lab', name: 'SIEM' } }, { token })).createApiKey;
    const idp = await ownIdp('https://idp.susp-lab.example');
    await registerIdentityProvider(t, token, { memberId: 'susp-lab', issuer: idp.issuer, jwks: idp.jwks });
    // The IdP's subject acts as the person it is linked to.
    await t.person('susp-lab', 'user-1@susp-lab', ['reader'], [{ issuer: idp.issuer, subject: 'user-1' }]);
    const federated = await idp.mint('user-1', ['reader']);
    // A person the member suspended on its own, before the member was suspended.
    const onLeave = await person('susp-lab', 'on-leave@susp-lab', ['reader']);
    expect(data(await t.gql(SUSPEND_PERSON, { id: 'on-leave@susp-lab' }, { token })).suspendPerson.status).toBe('SUSPENDED');
    for (const credential of [token, key, federated]) expect((await t.gql(VIEWER, {}, { token: credential })).status).toBe(200);
    // A role grant asked for while the member was ACTIVE, decided after it was suspended.
    const grant = data(await t.gql(GRANT, { personId: 'user-1@susp-lab', role: 'member-admin' }, { token })).requestRoleGrant;
    const streams = [];
    for (const credential of [token, key, federated]) streams.push(await alertStream(t, credential));

    const suspended = data(await t.gql(SUSPEND, { id: 'susp-lab', reason: 'compromised SIEM host' }, { token: alice })).suspendMember;
    expect(suspended).toMatchObject({ status: 'SUSPENDED', statusReason: 'compromised SIEM host' });
    for (const stream of streams) expect((await stream.closed).code).toBe(4401);
    // Every credential of every person of the member, ACTIVE persons included, is refused for the member's status.
    for (const credential of [token, key, federated, onLeave]) {
      const refused = await t.gql(VIEWER, {}, { token: credential });
      expect(refused.status).toBe(401);
      expect(error(refused).message).toMatch(/the member is suspended/);
    }
    // A new socket is refused too, whichever credential opens it.
    for (const credential of [token, key, federated]) {
      const again = await alertStream(t, credential, { ready: false });
      expect((await again.closed).code).toBe(4401);
    }
    // The persons keep their own standing: suspending the member changes none of them.
    expect(await peopleOf('susp-lab')).toEqual({ 'someone@susp-lab': 'ACTIVE', 'user-1@susp-lab': 'ACTIVE', 'on-leave@susp-lab': 'SUSPENDED' });
    // And a suspended member takes no new people nor roles, not even through a request approved now.
    expect(error(await t.gql(ADD_PERSON, { input: newPerson('susp-lab', 'new@susp-lab') }, { token: bob })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberId' });
    expect(error(await t.gql(GRANT, { personId: 'user-1@susp-lab', role: 'publisher' }, { token: bob })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberId' });
    expect(error(await t.gql(APPROVE, { id: grant.id }, { token: bob })).extensions?.code).toBe('INVALID_TRANSITION');
    const roles = data(await t.gql(PEOPLE, { memberId: 'susp-lab' }, { token: bob })).people.find((p: any) => p.id === 'user-1@susp-lab').roles;
    expect(roles).toEqual(['reader']);

    const entries = await auditActions('susp-lab');
    const entry = entries.find((e) => e.action === 'MEMBER_SUSPENDED');
    expect(entry).toMatchObject({ memberId: 'susp-lab', target: { kind: 'MEMBER', id: 'susp-lab' }, details: { status: { from: 'ACTIVE', to: 'SUSPENDED' } } });
    // The free-text reason stays on the member (hub-admins), never in the log.
    expect(JSON.stringify(entries)).not.toContain('compromised SIEM host');
  });

  it('shows other members the status but not the reason, and refuses a tier change while suspended', async () => {
    const reader = await person('bystander', 'gina@bystander', ['reader']);
    expect(data(await t.gql(ONE, { id: 'susp-lab' }, { token: reader })).member).toMatchObject({ status: 'SUSPENDED', statusReason: null, statusChangedAt: null });
    expect(data(await t.gql(ONE, { id: 'susp-lab' }, { token: bob })).member.statusChangedAt).not.toBeNull();
    const refused = error(await t.gql(TIER, { memberId: 'susp-lab', tier: 'TRUSTED' }, { token: alice }));
    expect(refused.extensions).toMatchObject({ code: 'INVALID_TRANSITION', field: 'memberId' });
  });

  it('refuses a hub-admin its own member, anyone but a hub-admin, a member not ACTIVE and an unknown id', async () => {
    expect(error(await t.gql(SUSPEND, { id: 'hub-operators', reason: 'oops' }, { token: alice })).extensions?.code).toBe('FORBIDDEN');
    const admin = await person('bystander', 'hank@bystander', ['member-admin', 'approver', 'reader']);
    expect(error(await t.gql(SUSPEND, { id: 'acme-lab', reason: 'x' }, { token: admin })).extensions?.code).toBe('FORBIDDEN');
    expect(error(await t.gql(SUSPEND, { id: 'susp-lab', reason: 'again' }, { token: alice })).extensions).toMatchObject({ code: 'INVALID_TRANSITION', field: 'id' });
    expect(error(await t.gql(SUSPEND, { id: 'nobody-here', reason: 'x' }, { token: alice })).extensions).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    expect(error(await t.gql(SUSPEND, { id: 'acme-lab', reason: '  ' }, { token: alice })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
  });
});

describe('reinstateMember', () => {
  it('reinstates a member below TRUSTED at once', async () => {
    const token = await person('susp-lab', 'someone@susp-lab', ['reader']);
    const onLeave = await t.hub.tokens.issue({ memberId: 'susp-lab', userId: 'on-leave@susp-lab', roles: ['reader'], ttlMs: 3_600_000 });
    const reinstated = data(await t.gql(REINSTATE, { id: 'susp-lab', reason: 'host rebuilt' }, { token: alice })).reinstateMember;
    expect(reinstated).toMatchObject({ status: 'ACTIVE', tier: 'COMMUNITY' });
    expect((await t.gql(VIEWER, {}, { token })).status).toBe(200);
    // Reinstating the member gives back what each person held, no more: the suspended person stays suspended.
    expect(error(await t.gql(VIEWER, {}, { token: onLeave })).message).toMatch(NO_PERSON);
    expect(await peopleOf('susp-lab')).toEqual({ 'someone@susp-lab': 'ACTIVE', 'user-1@susp-lab': 'ACTIVE', 'on-leave@susp-lab': 'SUSPENDED' });
    expect((await auditActions('susp-lab')).map((e) => e.action)).toContain('MEMBER_REINSTATED');
  });

  it('takes a second hub-admin (another person) to reinstate a member at TRUSTED or above', async () => {
    const token = await activeMember('trusted-lab');
    data(await t.gql(APPROVE, { id: data(await t.gql(TIER, { memberId: 'trusted-lab', tier: 'TRUSTED' }, { token: alice })).requestTierChange.id }, { token: bob }));
    data(await t.gql(SUSPEND, { id: 'trusted-lab', reason: 'audit finding' }, { token: alice }));

    const asked = data(await t.gql(REINSTATE, { id: 'trusted-lab', reason: 'finding closed' }, { token: alice })).reinstateMember;
    expect(asked).toMatchObject({ status: 'SUSPENDED', tier: 'TRUSTED' });
    expect((await t.gql(VIEWER, {}, { token })).status).toBe(401);
    const request = await openRequest('REINSTATE_MEMBER', 'trusted-lab');
    expect(error(await t.gql(APPROVE, { id: request.id }, { token: aliceAgain })).extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(VIEWER, {}, { token })).status).toBe(401);

    expect(data(await t.gql(APPROVE, { id: request.id }, { token: bob })).approveRequest.status).toBe('APPROVED');
    expect((await t.gql(VIEWER, {}, { token })).status).toBe(200);
    expect(data(await t.gql(ONE, { id: 'trusted-lab' }, { token: bob })).member).toMatchObject({ status: 'ACTIVE', tier: 'TRUSTED' });
    const entry = (await auditActions('trusted-lab')).find((e) => e.action === 'MEMBER_REINSTATED');
    expect(entry).toMatchObject({ details: { status: { from: 'SUSPENDED', to: 'ACTIVE' } } });
  });

  it('applies an approved reinstatement only while the member is still suspended at that tier', async () => {
    await activeMember('raced-lab');
    data(await t.gql(APPROVE, { id: data(await t.gql(TIER, { memberId: 'raced-lab', tier: 'CORE' }, { token: alice })).requestTierChange.id }, { token: bob }));
    data(await t.gql(SUSPEND, { id: 'raced-lab', reason: 'x' }, { token: alice }));
    data(await t.gql(REINSTATE, { id: 'raced-lab', reason: 'y' }, { token: alice }));
    const request = await openRequest('REINSTATE_MEMBER', 'raced-lab');
    data(await t.gql(OFFBOARD, { id: 'raced-lab', reason: 'z' }, { token: alice }));
    expect(error(await t.gql(APPROVE, { id: request.id }, { token: bob })).extensions?.code).toBe('INVALID_TRANSITION');
    expect(data(await t.gql(ONE, { id: 'raced-lab' }, { token: bob })).member.status).toBe('OFFBOARDED');
  });

  it('applies an approved tier change only while the member is ACTIVE (compare-and-set on tier and status)', async () => {
    await activeMember('tier-raced-lab');
    const request = data(await t.gql(TIER, { memberId: 'tier-raced-lab', tier: 'TRUSTED' }, { token: alice })).requestTierChange;
    data(await t.gql(SUSPEND, { id: 'tier-raced-lab', reason: 'x' }, { token: alice }));
    expect(error(await t.gql(APPROVE, { id: request.id }, { token: bob })).extensions?.code).toBe('INVALID_TRANSITION');
    expect(data(await t.gql(ONE, { id: 'tier-raced-lab' }, { token: bob })).member).toMatchObject({ status: 'SUSPENDED', tier: 'COMMUNITY' });
  });
});

describe('offboardMember', () => {
  it('is final, revokes every API key and removes every identity provider, and leaves its records readable and attributed', async () => {
    const token = await activeMember('gone-lab', ['reader', 'publisher', 'member-admin']);
    const keys = [];
    for (const name of ['SIEM', 'SOAR']) keys.push(data(await t.gql(CREATE_KEY, { input: { memberId: 'gone-lab', name } }, { token })).createApiKey);
    // A key a hub-admin made for another person of the member, acting as that person.
    await t.person('gone-lab', 'siem-owner@gone-lab', ['reader']);
    const named = data(await t.gql(CREATE_KEY, { input: { memberId: 'gone-lab', name: 'named', personId: 'siem-owner@gone-lab' } }, { token: bob })).createApiKey;
    keys.push(named);
    const idp = await ownIdp('https://idp.gone-lab.example');
    await registerIdentityProvider(t, token, { memberId: 'gone-lab', issuer: idp.issuer, jwks: idp.jwks });
    await t.person('gone-lab', 'u@gone-lab', ['reader'], [{ issuer: idp.issuer, subject: 'u' }]);
    const federated = await idp.mint('u', ['reader']);
    for (const credential of [token, named.key, federated]) expect((await t.gql(VIEWER, {}, { token: credential })).status).toBe(200);
    const stream = await alertStream(t, named.key);
    const published = data(await t.gql('mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { indicator { id } } } }', {
      input: { idempotencyKey: 'gone-1', indicators: [{ value: 'c2.gone-lab.example', tlp: 'GREEN', severity: 'HIGH', confidence: 80 }] },
    }, { token })).publishIndicators.results[0].indicator.id;

    const offboarded = data(await t.gql(OFFBOARD, { id: 'gone-lab', reason: 'left the federation' }, { token: alice })).offboardMember;
    expect(offboarded).toMatchObject({ status: 'OFFBOARDED', statusReason: 'left the federation' });
    expect((await stream.closed).code).toBe(4401);
    for (const credential of [token, ...keys.map((k) => k.key), federated]) expect((await t.gql(VIEWER, {}, { token: credential })).status).toBe(401);
    expect(error(await t.gql(VIEWER, {}, { token })).message).toMatch(/the member was offboarded/);
    expect((await alertStream(t, token, { ready: false }).then((s) => s.closed)).code).toBe(4401);
    const revoked = data(await t.gql(KEYS, { memberId: 'gone-lab' }, { token: bob })).apiKeys;
    expect(revoked).toHaveLength(3);
    expect(revoked.every((k: any) => k.revokedAt !== null)).toBe(true);
    // Every person of the member is removed for good, and the identities of its (removed) provider are released.
    expect(await peopleOf('gone-lab')).toEqual({ 'someone@gone-lab': 'REMOVED', 'siem-owner@gone-lab': 'REMOVED', 'u@gone-lab': 'REMOVED' });
    const people = data(await t.gql(PEOPLE, { memberId: 'gone-lab' }, { token: bob })).people;
    expect(people.find((p: any) => p.id === 'u@gone-lab').identities).toEqual([]);
    expect(error(await t.gql(ADD_PERSON, { input: newPerson('gone-lab', 'late@gone-lab') }, { token: bob })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberId' });
    expect(data(await t.gql(IDPS, { id: 'gone-lab' }, { token: bob })).member.identityProviders).toEqual([]);
    // Its records stay, with their markings, attributed to it.
    const reader = await person('bystander', 'ivy@bystander', ['reader']);
    expect(data(await t.gql(INDICATOR, { id: published }, { token: reader })).indicator).toMatchObject({
      id: published, value: 'c2.gone-lab.example', tlp: 'GREEN', source: { id: 'gone-lab', name: 'gone-lab organisation', status: 'OFFBOARDED' },
    });

    expect(error(await t.gql(REINSTATE, { id: 'gone-lab', reason: 'back' }, { token: alice })).extensions?.code).toBe('INVALID_TRANSITION');
    expect(error(await t.gql(OFFBOARD, { id: 'gone-lab', reason: 'again' }, { token: alice })).extensions?.code).toBe('INVALID_TRANSITION');
    expect(error(await t.gql(REGISTER, { input: input('gone-lab') }, { token: alice })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.id' });
    expect(error(await t.gql(CREATE_KEY, { input: { memberId: 'gone-lab', name: 'new' } }, { token: bob })).extensions?.code).toBe('INVALID_TRANSITION');

    const entries = await auditActions('gone-lab');
    expect(entries.find((e) => e.action === 'MEMBER_OFFBOARDED')).toMatchObject({
      details: {
        status: { from: 'ACTIVE', to: 'OFFBOARDED' },
        revokedApiKeys: expect.arrayContaining(keys.map((k) => k.apiKey.id)),
        removedIdentityProviders: [idp.issuer],
        removedPersons: ['siem-owner@gone-lab', 'someone@gone-lab', 'u@gone-lab'],
      },
    });
    expect(entries.filter((e) => e.action === 'API_KEY_REVOKED')).toHaveLength(3);
    const removals = entries.filter((e) => e.action === 'PERSON_REMOVED');
    expect(removals.map((e) => e.target.id).sort()).toEqual(['siem-owner@gone-lab', 'someone@gone-lab', 'u@gone-lab']);
    expect(removals.find((e) => e.target.id === 'u@gone-lab').details).toMatchObject({ member: 'offboarded', releasedIdentities: [{ issuer: idp.issuer, subject: 'u' }] });

    // The issuer, once another member registers it, speaks for that member's people only: its
    // subjects are linked afresh, and nothing names the removed person.
    const heir = await activeMember('heir-lab', ['reader', 'publisher', 'member-admin']);
    await registerIdentityProvider(t, heir, { memberId: 'heir-lab', issuer: idp.issuer, jwks: idp.jwks });
    expect((await t.gql(VIEWER, {}, { token: federated })).status).toBe(401);
    data(await t.gql(ADD_PERSON, { input: newPerson('heir-lab', 'u@heir-lab') }, { token: heir }));
    const linked = await t.gql('mutation($p: ID!, $i: String!) { linkIdentity(personId: $p, issuer: $i, subject: "u") { id identities { subject } } }', { p: 'u@heir-lab', i: idp.issuer }, { token: heir });
    expect(linked.text).not.toContain('gone-lab');
    expect(data(linked).linkIdentity.identities).toEqual([{ subject: 'u' }]);
    expect(data(await t.gql(VIEWER, {}, { token: federated })).viewer.member.id).toBe('heir-lab');
  });

  it('withdraws a PENDING registration for good', async () => {
    data(await t.gql(REGISTER, { input: input('withdrawn-lab') }, { token: alice }));
    const request = await openRequest('REGISTER_MEMBER', 'withdrawn-lab');
    const withdrawn = await person('withdrawn-lab', 'x@withdrawn-lab', ['reader']);
    data(await t.gql(OFFBOARD, { id: 'withdrawn-lab', reason: 'not joining' }, { token: bob }));
    expect(error(await t.gql(APPROVE, { id: request.id }, { token: bob })).extensions?.code).toBe('INVALID_TRANSITION');
    expect((await t.gql(VIEWER, {}, { token: withdrawn })).status).toBe(401);
    expect(await peopleOf('withdrawn-lab')).toEqual({ 'x@withdrawn-lab': 'REMOVED' });
    // It never was part of the hub: to members it stays as an id nobody registered.
    const reader = await person('bystander', 'jo@bystander', ['reader']);
    expect(data(await t.gql(ONE, { id: 'withdrawn-lab' }, { token: reader })).member).toBeNull();
    expect(data(await t.gql(ONE, { id: 'withdrawn-lab' }, { token: bob })).member.status).toBe('OFFBOARDED');
  });
});

/** An identity provider of our own: a fresh Ed25519 key pair and its inline JWK Set. */
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
