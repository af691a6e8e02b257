/**
 * Refused logins (issue 10, item 6): forged tokens naming a member are rate-limited per source
 * address and aggregated in the audit log (one entry per claimed member, reason and minute, with
 * a count), and what the caller wrote is kept only clipped and marked untrusted. The attacker
 * connects from 127.0.0.2, everyone else from 127.0.0.1: two real source addresses.
 */
import { request } from 'node:http';
import { generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const VIEWER = '{ viewer { member { id } } }';
const AUDIT = `{ auditLog(filter: { memberId: "fl-victim", action: [LOGIN_FAILED] }, first: 100) { totalCount edges { node { memberId actor { userId } summary details } } } }`;
const now = () => Math.floor(Date.now() / 1000);

let t: TestHub;
let forged: string;

/** POSTs a query to the hub from a chosen loopback source address. */
function postFrom(localAddress: string, token: string, query = VIEWER): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  const url = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ query }));
  });
}

/** GETs a path from a chosen loopback source address. */
function getFrom(localAddress: string, path: string, token: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  const url = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, localAddress, headers: { accept: 'application/taxii+json;version=2.1', authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  t = await startTestHub();
  await t.member('fl-victim', 'TRUSTED').token();
  // A token naming the member, signed by a key that is not the hub's, with an issuer full of attacker text.
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  forged = await new SignJWT({ 'hub:member': 'fl-victim', 'hub:roles': ['reader'] })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setIssuer('the-hub').setAudience('the-hub').setSubject(`ATTACKER-TEXT-${'x'.repeat(300)}`).setIssuedAt(now()).setExpirationTime(now() + 600)
    .sign(privateKey);
});

describe('refused credentials from one address', () => {
  it('are refused unread with 429 once the address sent 30 in a minute, a good token from it too, while other addresses are unaffected', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await postFrom('127.0.0.2', forged)).status);
    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(401));
    expect(statuses.slice(30)).toEqual(Array(30).fill(429));

    const good = await t.token('fl-victim', ['reader']);
    const blocked = await postFrom('127.0.0.2', good);
    expect(blocked.status).toBe(429);
    expect(blocked.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(blocked.body.errors[0].message).toMatch(/Too many refused credentials from your address: retry in \d+ s/);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);

    expect((await postFrom('127.0.0.1', good)).body.data.viewer.member).toEqual({ id: 'fl-victim' });

    // TAXII answers the blocked address 429 too, with Retry-After.
    const taxii = await getFrom('127.0.0.2', '/taxii2/', good);
    expect(taxii.status).toBe(429);
    expect(Number(taxii.headers['retry-after'])).toBeGreaterThan(0);
  });

  it("aggregate into one LOGIN_FAILED entry per claimed member, reason and minute, with the caller's text clipped and marked untrusted", async () => {
    const admin = await t.token('fl-victim', ['member-admin']);
    const res = await t.gql(AUDIT, {}, { token: admin });
    const entries = res.body.data.auditLog.edges.map((e: any) => e.node);
    // 30 refusals were read (the other 30 were refused unread): at most two entries, if a minute turned meanwhile.
    expect(entries.length).toBeGreaterThanOrEqual(1);
    expect(entries.length).toBeLessThanOrEqual(2);
    expect(entries.reduce((n: number, e: any) => n + e.details.count, 0)).toBe(30);
    for (const e of entries) {
      expect(e).toMatchObject({ memberId: 'fl-victim', actor: null });
      expect(e.details.reason).toBe("the signature does not verify against the hub's key");
      expect(e.details.untrusted).toEqual({ issuer: 'the-hub', claimedMember: 'fl-victim' });
      expect(JSON.stringify(e)).not.toContain('ATTACKER-TEXT');
      expect(e.details.lastAt >= e.details.firstAt).toBe(true);
    }
  });

  it('clips an issuer full of attacker text to 100 characters (and an ellipsis) under details.untrusted', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const issuer = `https://idp.${'a'.repeat(300)}.example`;
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' }).setIssuer(issuer).setAudience('the-hub').setSubject('s').setIssuedAt(now()).setExpirationTime(now() + 600).sign(privateKey);
    expect((await postFrom('127.0.0.3', token)).status).toBe(401);
    const root = await t.member('fl-root', 'CORE', { allowedRoles: ['reader', 'hub-admin'] }).token(['hub-admin']);
    const hubLevel = await t.gql('{ auditLog(filter: { action: [LOGIN_FAILED] }, first: 100) { edges { node { memberId details } } } }', {}, { token: root });
    const entry = hubLevel.body.data.auditLog.edges.map((e: any) => e.node).find((e: any) => e.details.untrusted?.issuer?.startsWith('https://idp.aaa'));
    expect(entry.memberId).toBeNull();
    expect(entry.details.untrusted.issuer).toBe(`${issuer.slice(0, 100)}…`);
  });

  it('does not echo an unregistered algorithm name, so caller text cannot make new reasons', async () => {
    const [header, payload, signature] = forged.split('.');
    const odd = Buffer.from(JSON.stringify({ alg: 'XYZ123', typ: 'JWT' })).toString('base64url');
    const res = await postFrom('127.0.0.4', [odd, payload, signature].join('.'));
    expect(header).toBeDefined();
    expect(res.body.errors[0].message).toBe('Invalid token: the signing algorithm is not allowed (unrecognised; allowed: EdDSA)');
  });
});
