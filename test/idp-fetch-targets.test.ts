import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuardedFetch, type Resolve } from '../src/auth/guarded-fetch.js';
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
    // Issue 10, item 7: forms that used to pass.
    'https://localhost.:8443/jwks.json',
    'https://localhost../jwks.json',
    'https://api.localhost./jwks.json',
    'https://[::127.0.0.1]/jwks.json',
    'https://[::ffff:127.0.0.1]/jwks.json',
    'https://[::ffff:10.0.0.1]/jwks.json',
    'https://[64:ff9b::a9fe:a9fe]/jwks.json',
    'https://2130706433/jwks.json',
    'https://0x7f.1/jwks.json',
    'https://017700000001/jwks.json',
    'https://127.1/jwks.json',
    'https://0/jwks.json',
    'https://[::]/jwks.json',
    'https://100.64.0.1/jwks.json',
  ])('refuses %s by default, so a member-admin cannot aim the hub at internal services', async (jwksUri) => {
    const res = await t.gql(REGISTER, { input: { memberId: 'ssrf-org', issuer: `https://idp-${Math.random()}.example`, jwksUri } }, { token: admin });
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'jwksUri' });
  });

  it('accepts a public https JWKS URL', async () => {
    const res = await t.gql(REGISTER, { input: { memberId: 'ssrf-org', issuer: 'https://idp.ssrf-org.example', jwksUri: 'https://idp.ssrf-org.example/.well-known/jwks.json' } }, { token: admin });
    expect(res.body.data?.requestIdentityProviderRegistration.change.identityProvider).toEqual({ issuer: 'https://idp.ssrf-org.example', jwksUri: 'https://idp.ssrf-org.example/.well-known/jwks.json' });
  });
});

describe('fetching a JWKS URL: the address actually connected to', () => {
  let hits = 0;
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  /** DNS that answered a public address when the URL was registered and now answers 127.0.0.1 (rebinding). */
  const rebound: Resolve = (_host, _options, callback) => callback(null, [{ address: '127.0.0.1', family: 4 }]);

  it('refuses a name that resolves to a loopback address at fetch time, without connecting', async () => {
    const fetchJwks = createGuardedFetch({ resolve: rebound });
    await expect(fetchJwks(`https://idp.rebinding.example:${port}/jwks.json`, {})).rejects.toThrow(/resolves to a loopback, private or otherwise non-public address/);
    expect(hits).toBe(0);
  });

  it('refuses a name when any of its addresses is private', async () => {
    const mixed: Resolve = (_host, _options, callback) => callback(null, [{ address: '93.184.215.14', family: 4 }, { address: '::ffff:10.0.0.1', family: 6 }]);
    await expect(createGuardedFetch({ resolve: mixed })(`https://idp.mixed.example:${port}/jwks.json`, {})).rejects.toThrow(/non-public/);
    expect(hits).toBe(0);
  });

  it('refuses private IP literals and plain http at fetch time too', async () => {
    const fetchJwks = createGuardedFetch();
    await expect(fetchJwks(`https://[::127.0.0.1]:${port}/jwks.json`, {})).rejects.toThrow(/not a public address/);
    await expect(fetchJwks(`https://localhost.:${port}/jwks.json`, {})).rejects.toThrow(/not a public address/);
    await expect(fetchJwks(`http://idp.example:${port}/jwks.json`, {})).rejects.toThrow(/only https/);
    expect(hits).toBe(0);
  });

  it('never follows a redirect, even where private hosts are allowed', async () => {
    const fetchJwks = createGuardedFetch({ allowPrivateHosts: true });
    await expect(fetchJwks(`http://127.0.0.1:${port}/jwks.json`, {})).rejects.toThrow(/redirect \(302\); redirects are not followed/);
    expect(hits).toBe(1);
  });
});
