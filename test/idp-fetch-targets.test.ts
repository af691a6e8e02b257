import { beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const REGISTER = `mutation($input: IdentityProviderInput!) { requestIdentityProviderRegistration(input: $input, reason: "our IdP") { change { identityProvider { issuer jwksUri } } } }`;

let t: TestHub;
let admin: string;

beforeAll(async () => {
  t = await startTestHub();
  t.member('ssrf-org', 'TRUSTED', { allowedRoles: ['reader', 'member-admin'] });
  admin = await t.token('ssrf-org', ['member-admin']);
});

describe('JWKS URLs the hub will fetch', () => {
  it.each([
    'http://127.0.0.1:8080/jwks.json',
    'https://localhost/jwks.json',
    'https://10.0.0.5/jwks.json',
    'https://192.168.1.10/jwks.json',
    'https://169.254.169.254/latest/meta-data',
    'https://[::1]/jwks.json',
    'https://[fd00::1]/jwks.json',
    'http://idp.example/jwks.json',
  ])('refuses %s by default, so a member-admin cannot aim the hub at internal services', async (jwksUri) => {
    const res = await t.gql(REGISTER, { input: { memberId: 'ssrf-org', issuer: `https://idp-${Math.random()}.example`, jwksUri } }, { token: admin });
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'jwksUri' });
  });

  it('accepts a public https JWKS URL', async () => {
    const res = await t.gql(REGISTER, { input: { memberId: 'ssrf-org', issuer: 'https://idp.ssrf-org.example', jwksUri: 'https://idp.ssrf-org.example/.well-known/jwks.json' } }, { token: admin });
    expect(res.body.data?.requestIdentityProviderRegistration.change.identityProvider).toEqual({ issuer: 'https://idp.ssrf-org.example', jwksUri: 'https://idp.ssrf-org.example/.well-known/jwks.json' });
  });
});
