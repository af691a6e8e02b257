import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSecrets, type HubSecrets } from '../src/auth/key-store.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const VIEWER = '{ viewer { anonymous tier roles userId member { id } } }';
const now = () => Math.floor(Date.now() / 1000);

let t: TestHub;
let secrets: HubSecrets;

beforeAll(async () => {
  t = await startTestHub();
  secrets = await loadSecrets(t.dataDir);
  t.member('auth-core', 'CORE');
  t.member('auth-community', 'COMMUNITY', { allowedRoles: ['reader'] });
  t.member('auth-suspended', 'TRUSTED', { status: 'SUSPENDED' });
  await t.member('auth-trusted', 'TRUSTED').token();
  // hubSigned's subjects: one person per member, holding every role (tokens' claims and members' allowedRoles cap them).
  for (const member of ['auth-core', 'auth-community']) await t.person(member, `tester@${member}`, ['reader', 'publisher', 'approver', 'member-admin', 'hub-admin']);
});

/** A token signed with the hub's own key, with any claims and header the test wants. */
function hubSigned(claims: JWTPayload, header: Record<string, unknown> = {}) {
  const base = { 'hub:member': 'auth-core', 'hub:roles': ['reader'], ...claims };
  return new SignJWT(base)
    .setProtectedHeader({ alg: 'EdDSA', kid: secrets.kid, typ: 'JWT', ...header })
    .setIssuer((claims.iss as string) ?? 'the-hub')
    .setAudience((claims.aud as string) ?? 'the-hub')
    .setSubject(`tester@${String(base['hub:member'])}`)
    .setIssuedAt((claims.iat as number) ?? now())
    .setExpirationTime((claims.exp as number) ?? now() + 600)
    .sign(secrets.signingKey);
}

async function expectRejected(token: string, reason: RegExp) {
  const res = await t.gql(VIEWER, {}, { token });
  expect(res.status).toBe(401);
  expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(res.body.errors?.[0]?.message).toMatch(reason);
  expect(res.body.data ?? null).toBeNull();
}

describe('hub tokens', () => {
  it('accepts a token minted by the hub and takes the tier from the registry', async () => {
    const res = await t.gql(VIEWER, {}, { token: await t.token('auth-trusted', ['reader', 'publisher']) });
    expect(res.status).toBe(200);
    expect(res.body.data.viewer).toEqual({ anonymous: false, tier: 'TRUSTED', roles: ['reader', 'publisher'], userId: 'test@auth-trusted', member: { id: 'auth-trusted' } });
  });

  it('applies a tier change in the registry to a token issued before it', async () => {
    const member = t.member('auth-mover', 'COMMUNITY');
    const token = await member.token(['reader']);
    expect((await t.gql(VIEWER, {}, { token })).body.data.viewer.tier).toBe('COMMUNITY');
    t.member('auth-mover', 'CORE');
    await new Promise((r) => setTimeout(r, 10));
    expect((await t.gql(VIEWER, {}, { token })).body.data.viewer.tier).toBe('CORE');
  });

  it('ignores a tier claim in the token', async () => {
    const token = await hubSigned({ 'hub:member': 'auth-community', tier: 'CORE', 'hub:tier': 'CORE' });
    expect((await t.gql(VIEWER, {}, { token })).body.data.viewer.tier).toBe('COMMUNITY');
  });

  it('caps the roles in a token by what the hub allows the member', async () => {
    const token = await hubSigned({ 'hub:member': 'auth-community', 'hub:roles': ['reader', 'publisher', 'hub-admin'] });
    expect((await t.gql(VIEWER, {}, { token })).body.data.viewer.roles).toEqual(['reader']);
  });

  it('refuses callers without a token when anonymous reads are off', async () => {
    const res = await t.gql(VIEWER);
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an Authorization header that is not a Bearer token', async () => {
    const res = await t.gql(VIEWER, {}, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]?.message).toMatch(/Bearer/);
  });
});

describe('rejected tokens', () => {
  it('rejects an unsigned token (alg: none)', async () => {
    const token = new UnsecuredJWT({ 'hub:member': 'auth-core', 'hub:roles': ['reader'] })
      .setIssuer('the-hub').setAudience('the-hub').setSubject('x').setIssuedAt().setExpirationTime('10m').encode();
    await expectRejected(token, /algorithm|malformed/);
  });

  it('rejects an HS256 token keyed with the hub public key (key confusion)', async () => {
    const publicJwk = await exportJWK(secrets.verifyKey);
    const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
    const token = await new SignJWT({ 'hub:member': 'auth-core', 'hub:roles': ['hub-admin'] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('the-hub').setAudience('the-hub').setSubject('x').setIssuedAt().setExpirationTime('10m')
      .sign(secret);
    await expectRejected(token, /algorithm is not allowed/);
  });

  it('rejects an RS256 token', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({ 'hub:member': 'auth-core' })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer('the-hub').setAudience('the-hub').setSubject('x').setIssuedAt().setExpirationTime('10m')
      .sign(privateKey);
    await expectRejected(token, /algorithm is not allowed/);
  });

  it('rejects a token signed by another Ed25519 key', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const token = await new SignJWT({ 'hub:member': 'auth-core' })
      .setProtectedHeader({ alg: 'EdDSA', kid: secrets.kid, typ: 'JWT' })
      .setIssuer('the-hub').setAudience('the-hub').setSubject('x').setIssuedAt().setExpirationTime('10m')
      .sign(privateKey);
    await expectRejected(token, /signature/);
  });

  it('rejects a token whose payload was changed after signing', async () => {
    const token = await hubSigned({ 'hub:member': 'auth-community' });
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    claims['hub:member'] = 'auth-core';
    const forged = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
    await expectRejected(forged, /signature/);
  });

  it('rejects an expired token, but accepts one within the 60 s clock tolerance', async () => {
    await expectRejected(await hubSigned({ iat: now() - 600, exp: now() - 120 }), /expired/);
    const res = await t.gql(VIEWER, {}, { token: await hubSigned({ iat: now() - 600, exp: now() - 30 }) });
    expect(res.body.data?.viewer?.member?.id).toBe('auth-core');
  });

  it('rejects a token that is not valid yet', async () => {
    await expectRejected(await hubSigned({ nbf: now() + 600 }), /not valid yet/);
  });

  it('rejects a wrong issuer, a wrong audience and a wrong typ', async () => {
    await expectRejected(await hubSigned({ iss: 'someone-else' }), /"iss"/);
    await expectRejected(await hubSigned({ aud: 'another-service' }), /"aud"/);
    await expectRejected(await hubSigned({}, { typ: 'at+jwt' }), /"typ"/);
  });

  it('rejects a token that lives longer than the maximum lifetime', async () => {
    await expectRejected(await hubSigned({ iat: now(), exp: now() + 25 * 3600 }), /maximum/);
  });

  it('rejects tokens for unknown and suspended members', async () => {
    await expectRejected(await hubSigned({ 'hub:member': 'nobody-here' }), /does not know/);
    await expectRejected(await hubSigned({ 'hub:member': 'auth-suspended' }), /suspended/);
  });

  it('never echoes the token in an error', async () => {
    const token = await hubSigned({ iss: 'someone-else' });
    const res = await t.gql(VIEWER, {}, { token });
    expect(res.text).not.toContain(token.split('.')[1]);
    expect(res.text).not.toContain(createHash('sha256').update(token).digest('hex'));
  });
});

describe('token times (issue 10, item 5)', () => {
  const TEN_YEARS = 10 * 365 * 86_400;
  /** Signed by the hub's key with exactly these claims: nothing is added, so a claim can be left out. */
  const raw = (claims: JWTPayload) =>
    new SignJWT({ iss: 'the-hub', aud: 'the-hub', sub: 'tester@auth-core', 'hub:member': 'auth-core', 'hub:roles': ['reader'], ...claims })
      .setProtectedHeader({ alg: 'EdDSA', kid: secrets.kid, typ: 'JWT' })
      .sign(secrets.signingKey);

  it('refuses a token issued ten years ahead with exp = iat + 1h, naming the future iat', async () => {
    const iat = now() + TEN_YEARS;
    await expectRejected(await raw({ iat, exp: iat + 3600 }), /issued in the future \("iat" is later than now\)/);
  });

  it('accepts an iat within the clock tolerance', async () => {
    const res = await t.gql(VIEWER, {}, { token: await raw({ iat: now() + 30, exp: now() + 600 }) });
    expect(res.body.data?.viewer?.member).toEqual({ id: 'auth-core' });
  });

  it('refuses a token without iat as such, not as issued in the future', async () => {
    await expectRejected(await raw({ exp: now() + 600 }), /^Invalid token: the token has no "iat" claim$/);
  });

  it('refuses a token without exp or sub, each by its name', async () => {
    await expectRejected(await raw({ iat: now() }), /^Invalid token: the token has no "exp" claim$/);
    await expectRejected(await raw({ iat: now(), exp: now() + 600, sub: undefined }), /^Invalid token: the token has no "sub" claim$/);
  });

  it('refuses a hub token whose subject has the form of a federated identity', async () => {
    await expectRejected(await raw({ iat: now(), exp: now() + 600, sub: 'https://idp.example#alice' }), /federated subject/);
  });
});
