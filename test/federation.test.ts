/**
 * Federated identity: members' own identity providers, end to end. Real keys (jose), a real JWKS
 * server on 127.0.0.1, the real hub on port 0, HTTP and graphql-ws clients.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWK, type JWTPayload } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import type { Role } from '../src/domain/types.js';
import { startHub } from '../src/main.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';
import { registerIdentityProvider, removeIdentityProvider, REQUEST_REGISTRATION, REQUEST_REMOVAL } from './support/identity-providers.js';

const VIEWER = '{ viewer { anonymous tier roles userId member { id } } }';
const REQUEST = (input: Record<string, unknown>) => [REQUEST_REGISTRATION, { input, reason: 'our own IdP' }] as const;
const ALL_ROLES: Role[] = ['reader', 'publisher', 'approver', 'member-admin', 'hub-admin'];
const now = () => Math.floor(Date.now() / 1000);

/** A member's identity provider as the test runs it: its signing key and what it registered. */
interface Idp {
  issuer: string;
  kid: string;
  alg: 'EdDSA' | 'ES256';
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function makeIdp(issuer: string, alg: Idp['alg'], kid: string): Promise<Idp> {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true });
  return { issuer, kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const jwksOf = (...idps: Idp[]) => JSON.stringify({ keys: idps.map((i) => i.publicJwk) });

/** A token signed by `idp`: iss, aud, sub, iat, exp (10 min) and roles, overridable; `undefined` drops a claim. */
function idpToken(idp: Idp, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key: CryptoKey | Uint8Array = idp.privateKey) {
  const iat = (claims.iat as number | undefined) ?? now();
  const payload: Record<string, unknown> = { iss: idp.issuer, aud: 'the-hub', sub: 'alice', iat, exp: iat + 600, roles: ['reader'], ...claims };
  for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
  return new SignJWT(payload as JWTPayload).setProtectedHeader({ alg: idp.alg, kid: idp.kid, typ: 'JWT', ...header }).sign(key);
}

let t: TestHub;
let rootToken: string;
/** fed-a's provider: inline keys, EdDSA only. */
let idpA: Idp;
/** fed-b's provider: a JWKS URL, ES256, roles in a space-separated `scope` claim. */
let idpB: Idp;
/** fed-root's provider: inline keys; fed-root may hold hub-admin. */
let idpRoot: Idp;
let jwksServer: Server;
let jwksRequests = 0;

async function expectRejected(token: string, reason: RegExp): Promise<string> {
  const res = await t.gql(VIEWER, {}, { token });
  expect(res.status).toBe(401);
  expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(res.body.errors?.[0]?.message).toMatch(reason);
  expect(res.body.data ?? null).toBeNull();
  expect(res.text).not.toContain(token.split('.')[1] || token);
  return res.body.errors![0]!.message;
}

/** Registered through the two-person path: requested with `token`, approved by another person (a hub-admin). */
const registered = (token: string, input: Record<string, unknown>) => registerIdentityProvider(t, token, input);

beforeAll(async () => {
  // Many refused tokens from one address on purpose: lift the per-address limit (test/failed-logins.test.ts covers it).
  t = await startTestHub({ config: { idpAllowPrivateHosts: true, failedLoginLimitPerMinute: 1_000 } });
  [idpA, idpB, idpRoot] = await Promise.all([
    makeIdp('https://idp.fed-a.example', 'EdDSA', 'a-1'),
    makeIdp('https://login.fed-b.example/tenant-7', 'ES256', 'b-1'),
    makeIdp('https://idp.fed-root.example', 'EdDSA', 'root-1'),
  ]);
  jwksServer = createServer((req, res) => {
    jwksRequests++;
    if (req.url !== '/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(jwksOf(idpB));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));

  t.member('fed-a', 'TRUSTED', { allowedRoles: ['reader', 'publisher', 'member-admin'] });
  t.member('fed-b', 'COMMUNITY', { allowedRoles: ['reader', 'publisher'] });
  rootToken = await t.member('fed-root', 'CORE', { allowedRoles: ALL_ROLES }).token(['hub-admin', 'reader']);
  await registered(rootToken, { memberId: 'fed-a', issuer: idpA.issuer, jwks: jwksOf(idpA), allowedAlgorithms: ['EdDSA'] });
  await registered(rootToken, {
    memberId: 'fed-b',
    issuer: idpB.issuer,
    jwksUri: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`,
    rolesClaim: 'scope',
  });
  await registered(rootToken, { memberId: 'fed-root', issuer: idpRoot.issuer, jwks: jwksOf(idpRoot) });
  // Each provider's "alice" is linked to a person of its member holding every role: the tokens' claims and allowedRoles narrow them.
  for (const [member, idp] of [['fed-a', idpA], ['fed-b', idpB], ['fed-root', idpRoot]] as const) {
    await t.person(member, `alice@${member}`, ALL_ROLES, [{ issuer: idp.issuer, subject: 'alice' }]);
  }
});

afterAll(async () => {
  jwksServer?.closeAllConnections();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

describe('tokens from a member identity provider', () => {
  it('authenticates a token verified against inline keys as the registered member, with the tier from the registry', async () => {
    const res = await t.gql(VIEWER, {}, { token: await idpToken(idpA, { roles: ['reader', 'publisher'], tier: 'CORE' }) });
    expect(res.status).toBe(200);
    expect(res.body.data.viewer).toEqual({ anonymous: false, tier: 'TRUSTED', roles: ['reader', 'publisher'], userId: 'alice@fed-a', member: { id: 'fed-a' } });
  });

  it('authenticates a token verified against a JWKS URL, reading roles from a space-separated claim', async () => {
    const res = await t.gql(VIEWER, {}, { token: await idpToken(idpB, { scope: 'reader publisher', roles: undefined }) });
    expect(res.body.data?.viewer).toMatchObject({ tier: 'COMMUNITY', roles: ['reader', 'publisher'], member: { id: 'fed-b' } });
    expect(jwksRequests).toBeGreaterThan(0);
  });

  it('refuses tokens while the registered JWKS URL cannot be fetched', async () => {
    const unreachable = await makeIdp('https://idp.unreachable.example', 'ES256', 'u-1');
    const port = (jwksServer.address() as AddressInfo).port;
    await registered(rootToken, { memberId: 'fed-b', issuer: unreachable.issuer, jwksUri: `http://127.0.0.1:${port}/missing.json` });
    await expectRejected(await idpToken(unreachable), /key set could not be fetched/);
  });

  it('reads roles only from the registered claim', async () => {
    const res = await t.gql(VIEWER, {}, { token: await idpToken(idpB, { scope: 'reader', roles: ['reader', 'publisher'], 'hub:roles': ['publisher'] }) });
    expect(res.body.data?.viewer?.roles).toEqual(['reader']);
  });

  it('accepts an OAuth access token (typ at+jwt, RFC 9068)', async () => {
    const res = await t.gql(VIEWER, {}, { token: await idpToken(idpA, {}, { typ: 'at+jwt' }) });
    expect(res.body.data?.viewer?.member).toEqual({ id: 'fed-a' });
  });

  it('caps the roles by what the hub allows the member', async () => {
    const res = await t.gql(VIEWER, {}, { token: await idpToken(idpA, { roles: ['reader', 'approver', 'member-admin', 'publisher'] }) });
    expect(res.body.data?.viewer?.roles).toEqual(['reader', 'publisher', 'member-admin']);
  });

  it('never grants hub-admin through a member identity provider, even to a member allowed it', async () => {
    const federated = await t.gql(VIEWER, {}, { token: await idpToken(idpRoot, { roles: ['hub-admin', 'reader'] }) });
    expect(federated.body.data?.viewer).toMatchObject({ member: { id: 'fed-root' }, roles: ['reader'] });
    const hubSigned = await t.gql(VIEWER, {}, { token: rootToken });
    expect(hubSigned.body.data?.viewer?.roles).toContain('hub-admin');
  });

  it('ignores a member claim in the token: the registration names the member', async () => {
    const res = await t.gql(VIEWER, {}, { token: await idpToken(idpA, { 'hub:member': 'fed-root', member: 'fed-root', memberId: 'fed-root' }) });
    expect(res.body.data?.viewer?.member).toEqual({ id: 'fed-a' });
  });

  it("refuses a token signed by another member's provider key for this issuer", async () => {
    await expectRejected(await idpToken(idpA, {}, {}, idpRoot.privateKey), /signature does not verify against the keys registered for this issuer/);
    await expectRejected(await idpToken(idpA, {}, { kid: idpRoot.kid }, idpRoot.privateKey), /kid/);
  });
});

describe('rejected member identity provider tokens', () => {
  const cases: Array<{ name: string; token: () => Promise<string>; reason: RegExp }> = [
    {
      name: 'an unsigned token (alg: none)',
      token: async () => new UnsecuredJWT({ roles: ['reader'] }).setIssuer(idpA.issuer).setAudience('the-hub').setSubject('x').setIssuedAt().setExpirationTime('10m').encode(),
      reason: /unsigned \("alg": "none"/,
    },
    {
      name: "an HS256 token keyed with the provider's public key (key confusion)",
      token: () => idpToken({ ...idpA, alg: 'HS256' as Idp['alg'] }, {}, {}, new TextEncoder().encode(JSON.stringify(idpA.publicJwk))),
      reason: /algorithm is not allowed \(HS256; allowed: EdDSA\)/,
    },
    {
      name: 'an RS256 token',
      token: async () => idpToken({ ...idpA, alg: 'RS256' as Idp['alg'] }, {}, {}, (await generateKeyPair('RS256')).privateKey),
      reason: /algorithm is not allowed \(RS256; allowed: EdDSA\)/,
    },
    {
      name: "an ES256 token when the registration allows only EdDSA",
      token: async () => idpToken({ ...idpA, alg: 'ES256' }, {}, {}, (await generateKeyPair('ES256')).privateKey),
      reason: /algorithm is not allowed \(ES256; allowed: EdDSA\)/,
    },
    { name: "a provider's token claiming the hub as its issuer", token: () => idpToken(idpA, { iss: 'the-hub' }), reason: /does not verify against the hub's key/ },
    { name: 'a token with no issuer', token: () => idpToken(idpA, { iss: undefined }), reason: /no "iss" claim/ },
    { name: 'a token for another audience', token: () => idpToken(idpA, { aud: 'another-service' }), reason: /"aud" claim/ },
    { name: 'a token of another type', token: () => idpToken(idpA, {}, { typ: 'secevent+jwt' }), reason: /"typ" header must be JWT or at\+jwt/ },
    { name: 'an expired token', token: () => idpToken(idpA, { iat: now() - 600, exp: now() - 120 }), reason: /expired/ },
    { name: 'a token not valid yet', token: () => idpToken(idpA, { nbf: now() + 600 }), reason: /not valid yet/ },
    { name: 'a token naming a key the issuer did not register', token: () => idpToken(idpA, {}, { kid: 'rotated-away' }), reason: /no key registered for this issuer matches the token's key id/ },
    {
      name: 'a token whose payload was changed after signing',
      token: async () => {
        const [header, payload, signature] = (await idpToken(idpA)).split('.');
        const claims = { ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), roles: ['reader', 'member-admin'] };
        return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
      },
      reason: /signature does not verify against the keys registered for this issuer/,
    },
    { name: 'a token issued ten years ahead with exp = iat + 1h', token: () => idpToken(idpA, { iat: now() + 315_360_000, exp: now() + 315_363_600 }), reason: /issued in the future/ },
    { name: 'a token without iat', token: () => idpToken(idpA, { iat: undefined, exp: now() + 600 }), reason: /no "iat" claim/ },
    { name: 'a token living longer than the maximum lifetime', token: () => idpToken(idpA, { iat: now(), exp: now() + 25 * 3600 }), reason: /longer than the hub's maximum/ },
    { name: 'a token whose roles claim is neither an array nor a string', token: () => idpToken(idpA, { roles: { admin: true } }), reason: /"roles" claim must be an array of role names/ },
    { name: 'a token from an unregistered issuer', token: () => idpToken({ ...idpA, issuer: 'https://idp.stranger.example' }), reason: /issuer \("iss"\) is not registered/ },
  ];

  for (const c of cases) {
    it(`rejects ${c.name} with 401 UNAUTHENTICATED`, async () => {
      await expectRejected(await c.token(), c.reason);
    });
  }

  it('gives every rejection its own message', async () => {
    const messages = await Promise.all(cases.map(async (c) => expectRejected(await c.token(), c.reason)));
    expect(new Set(messages).size).toBe(cases.length);
  });
});

describe('registering identity providers', () => {
  let other: Idp;
  beforeAll(async () => {
    other = await makeIdp('https://idp.other.example', 'EdDSA', 'o-1');
  });

  const input = (memberId: string, extra: Record<string, unknown> = {}) => ({ memberId, issuer: `https://idp.${memberId}-${Math.random().toString(36).slice(2)}.example`, jwks: jwksOf(other), ...extra });

  it('lets a hub-admin register a provider for any member, with the defaults', async () => {
    const provider = await registered(rootToken, input('fed-b', { issuer: 'http://127.0.0.1:9/issuer' }));
    expect(provider).toMatchObject({ memberId: 'fed-b', audience: 'the-hub', jwksUri: null, hasInlineKeys: true, rolesClaim: 'roles', allowedAlgorithms: ['EdDSA', 'ES256'] });
  });

  it("lets a member-admin register a provider for its own member", async () => {
    const adminA = await t.token('fed-a', ['member-admin']);
    expect((await registered(adminA, input('fed-a'))).memberId).toBe('fed-a');
  });

  it("refuses a member-admin of another member, and a reader, with FORBIDDEN", async () => {
    const adminA = await t.token('fed-a', ['member-admin']);
    const reader = await t.token('fed-b', ['reader', 'publisher']);
    for (const [token, memberId] of [[adminA, 'fed-b'], [reader, 'fed-b']] as const) {
      const res = await t.gql(...REQUEST(input(memberId)), { token });
      expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const remove = await t.gql(REQUEST_REMOVAL, { memberId: 'fed-b', issuer: idpB.issuer, reason: 'not ours' }, { token: adminA });
    expect(remove.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses inline keys that carry a private key, naming the jwks field', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const res = await t.gql(...REQUEST(input('fed-b', { jwks: JSON.stringify({ keys: [await exportJWK(privateKey)] }) })), { token: rootToken });
    expect(res.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'jwks' });
    expect(res.body.errors?.[0]?.message).toMatch(/private key material \("d"\)/);
  });

  it('refuses an issuer another member already registered', async () => {
    const res = await t.gql(...REQUEST(input('fed-b', { issuer: idpA.issuer })), { token: rootToken });
    expect(res.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'issuer' });
    expect(res.body.errors?.[0]?.message).toMatch(/already registered by another member/);
  });

  it('refuses a non-https issuer, the hub as issuer, both or neither key sources, and a symmetric key', async () => {
    const refusals: Array<[Record<string, unknown>, string]> = [
      [{ issuer: 'http://idp.example' }, 'issuer'],
      [{ issuer: 'the-hub' }, 'issuer'],
      [{ jwksUri: 'https://idp.example/jwks' }, 'jwks'],
      [{ jwks: null }, 'jwksUri'],
      [{ jwks: JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }) }, 'jwks'],
      [{ jwks: '{"keys": [' }, 'jwks'],
    ];
    for (const [extra, field] of refusals) {
      const res = await t.gql(...REQUEST(input('fed-b', extra)), { token: rootToken });
      expect(res.body.errors?.[0]?.extensions, JSON.stringify(extra)).toEqual({ code: 'BAD_USER_INPUT', field });
    }
  });

  it("shows a member's providers only to a hub-admin and to that member's member-admin", async () => {
    const query = '{ members { id identityProviders { issuer } } }';
    const providersOf = async (token: string) =>
      Object.fromEntries(((await t.gql(query, {}, { token })).body.data.members as Array<{ id: string; identityProviders: unknown }>).map((m) => [m.id, m.identityProviders]));
    const asRoot = await providersOf(rootToken);
    expect(asRoot['fed-b']).toContainEqual({ issuer: idpB.issuer });
    const asAdminA = await providersOf(await t.token('fed-a', ['member-admin']));
    expect(asAdminA['fed-a']).toContainEqual({ issuer: idpA.issuer });
    expect(asAdminA['fed-b']).toBeNull();
    const asReaderA = await providersOf(await t.token('fed-a', ['reader']));
    expect(asReaderA['fed-a']).toBeNull();
  });

  it("makes a removed provider's tokens fail on the next request", async () => {
    const gone = await makeIdp('https://idp.going.example', 'EdDSA', 'g-1');
    await registered(rootToken, { memberId: 'fed-b', issuer: gone.issuer, jwks: jwksOf(gone) });
    await t.person('fed-b', 'alice@fed-b', ALL_ROLES, [{ issuer: gone.issuer, subject: 'alice' }]);
    const token = await idpToken(gone);
    expect((await t.gql(VIEWER, {}, { token })).body.data?.viewer?.member).toEqual({ id: 'fed-b' });
    await removeIdentityProvider(t, rootToken, 'fed-b', gone.issuer);
    await expectRejected(token, /not registered/);
  });

  it("makes replaced keys take effect on the next request", async () => {
    const adminA = await t.token('fed-a', ['member-admin']);
    const first = await makeIdp('https://idp.rotating.example', 'EdDSA', 'r-1');
    const second = await makeIdp(first.issuer, 'EdDSA', 'r-2');
    await registered(adminA, { memberId: 'fed-a', issuer: first.issuer, jwks: jwksOf(first) });
    await t.person('fed-a', 'alice@fed-a', ALL_ROLES, [{ issuer: first.issuer, subject: 'alice' }]);
    const oldToken = await idpToken(first);
    expect((await t.gql(VIEWER, {}, { token: oldToken })).body.data?.viewer?.member).toEqual({ id: 'fed-a' });
    await registered(adminA, { memberId: 'fed-a', issuer: first.issuer, jwks: jwksOf(second) });
    await expectRejected(oldToken, /kid/);
    expect((await t.gql(VIEWER, {}, { token: await idpToken(second) })).body.data?.viewer?.member).toEqual({ id: 'fed-a' });
  });
});

describe('member identity provider tokens over graphql-ws', () => {
  it('accepts a federated token in connection_init', async () => {
    const client = t.wsClient(await idpToken(idpA));
    let result: unknown;
    for await (const r of client.iterate({ query: VIEWER })) {
      result = r;
      break;
    }
    expect(result).toMatchObject({ data: { viewer: { member: { id: 'fed-a' }, tier: 'TRUSTED' } } });
  });

  it('closes the socket with 4401 for a bad federated token', async () => {
    const client: Client = t.wsClient(await idpToken(idpA, { iat: now() - 600, exp: now() - 120 }));
    const code = await new Promise<number>((resolve) => {
      client.on('closed', (event) => resolve((event as { code: number }).code));
      client.subscribe({ query: VIEWER }, { next: () => {}, error: () => {}, complete: () => {} });
    });
    expect(code).toBe(4401);
  });
});

describe('the rejection log', () => {
  it('logs every rejected token with its reason and claimed issuer, never the token', async () => {
    const lines: string[] = [];
    const config = parseConfig({ PORT: '0', HUB_DATA_DIR: mkdtempSync(join(tmpdir(), 'hub-fed-log-')) });
    const hub = await startHub(config, { logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }) });
    try {
      await hub.services.members.register({
        _id: 'log-a', name: 'log-a', kind: 'LAB', tier: 'TRUSTED', sector: 'testing', country: 'NL', allowedRoles: ['reader'], status: 'ACTIVE', createdAt: new Date(),
      });
      const admin = { kind: 'member', memberId: 'log-a', userId: 'test', roles: ['member-admin'], tier: 'TRUSTED' } as const;
      const request = await hub.services.approvals.requestIdentityProviderRegistration(admin, { memberId: 'log-a', issuer: idpA.issuer, jwks: jwksOf(idpA) }, 'ours');
      await hub.services.approvals.approve({ ...admin, userId: 'another-admin' }, request._id, null);
      const expired = await idpToken(idpA, { iat: now() - 600, exp: now() - 120 });
      const stranger = await idpToken({ ...idpA, issuer: 'https://idp.stranger.example' });
      for (const token of [expired, stranger]) {
        const res = await fetch(hub.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: VIEWER }) });
        expect(res.status).toBe(401);
      }
      const rejected = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'token rejected');
      expect(rejected).toEqual([
        expect.objectContaining({ level: 40, reason: 'the token has expired', issuer: idpA.issuer, claimedMember: 'log-a' }),
        expect.objectContaining({ level: 40, reason: expect.stringMatching(/not registered/), issuer: 'https://idp.stranger.example' }),
      ]);
      const all = lines.join('\n');
      for (const token of [expired, stranger]) for (const part of token.split('.')) expect(all).not.toContain(part);
    } finally {
      await hub.dispose();
    }
  });
});
