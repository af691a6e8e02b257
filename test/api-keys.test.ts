/**
 * Members' API keys end to end: created by member-admins and shown once, used as Bearer, as the
 * password of HTTP Basic (on /graphql and TAXII) and over graphql-ws, expiring, revoked (the next
 * request fails and the sockets the key opened close with 4401), last use recorded, and refused
 * keys answered without telling an unknown id from a wrong secret.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { startHub } from '../src/main.js';
import type { Viewer } from '../src/policy/policy.js';
import { alertStream, sleep } from './support/alert-stream.js';
import { startTestHub, type GqlResponse, type TestHub } from './support/hub-fixture.js';

const CREATE = `mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { key apiKey { id name roles memberId createdAt createdBy { memberId userId } personId expiresAt lastUsedAt revokedAt } }
}`;
const LIST = 'query($memberId: ID!) { apiKeys(memberId: $memberId) { id name roles memberId createdAt expiresAt lastUsedAt revokedAt } }';
const REVOKE = 'mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }';
const VIEWER = '{ viewer { tier roles userId member { id } } }';
const AUDIT = `query($filter: AuditLogFilter) { auditLog(filter: $filter, first: 100) { edges { node { action actor { memberId userId } memberId target { kind id } summary details } } } }`;
const PUBLISH = `mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { status indicator { id } } } }`;
const TAXII = 'application/taxii+json;version=2.1';
const INDICATORS = '/taxii2/hub/collections/ddf9e498-e313-4c9f-a961-674ccefa2ab9/objects/';
const KEY_FORMAT = /^hubk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

let t: TestHub;
const tok = {} as Record<'adminIsac' | 'adminOther' | 'readerIsac' | 'root', string>;
let published = 0;

const data = (res: GqlResponse) => {
  expect(res.body.errors, res.text).toBeUndefined();
  return res.body.data;
};
const errorOf = (res: GqlResponse) => res.body.errors?.[0];
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const secretOf = (key: string) => KEY_FORMAT.exec(key)![2]!;
/** The same key with its secret's last character changed. */
const withWrongSecret = (key: string) => key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');

async function createKey(input: Record<string, unknown>, token = tok.adminIsac): Promise<{ key: string; apiKey: Record<string, any> }> {
  return data(await t.gql(CREATE, { input: { memberId: 'ak-isac', name: 'SIEM connector', ...input } }, { token })).createApiKey;
}

async function listKeys(memberId = 'ak-isac', token = tok.adminIsac): Promise<Array<Record<string, any>>> {
  return data(await t.gql(LIST, { memberId }, { token })).apiKeys;
}

/** A request to /graphql with exactly these headers (no token added). */
const viewerWith = (headers: Record<string, string>) => t.gql(VIEWER, {}, { headers });

async function taxii(path: string, headers: Record<string, string>) {
  const res = await fetch(`${t.url.replace(/\/graphql$/, '')}${path}`, { headers: { accept: TAXII, ...headers } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null, text };
}

/** How the socket closed, or null if it was still open after `ms`. */
const closedWithin = <T>(closed: Promise<T>, ms: number) => Promise.race([closed, sleep(ms).then(() => null)]);

async function expectRefused(headers: Record<string, string>): Promise<string> {
  const res = await viewerWith(headers);
  expect(res.status, res.text).toBe(401);
  expect(errorOf(res)?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(res.body.data ?? null).toBeNull();
  return errorOf(res)!.message;
}

beforeAll(async () => {
  t = await startTestHub({ config: { alertHeartbeatMs: 100 } });
  tok.adminIsac = await t.member('ak-isac', 'TRUSTED', { kind: 'ISAC' }).token(['member-admin']);
  tok.readerIsac = await t.token('ak-isac', ['reader', 'publisher']);
  tok.adminOther = await t.member('ak-other', 'COMMUNITY', { allowedRoles: ['reader', 'member-admin'] }).token(['member-admin']);
  tok.root = await t.member('ak-root', 'CORE', { allowedRoles: ['reader', 'publisher', 'member-admin', 'hub-admin'] }).token(['hub-admin']);
});

describe('creating and listing keys', () => {
  it('shows the key once: the listing never carries it, and the store keeps only the hash of its secret', async () => {
    const { key, apiKey } = await createKey({ name: 'Sentinel TAXII connector' });
    const [, id, secret] = KEY_FORMAT.exec(key) ?? [];
    expect(id, key).toBeDefined();
    expect(apiKey).toMatchObject({ id, name: 'Sentinel TAXII connector', roles: ['reader'], memberId: 'ak-isac', expiresAt: null, lastUsedAt: null, revokedAt: null });
    expect(apiKey.createdBy).toEqual({ memberId: 'ak-isac', userId: 'test@ak-isac' });

    const listing = await t.gql(LIST, { memberId: 'ak-isac' }, { token: tok.adminIsac });
    expect(data(listing).apiKeys.map((k: { id: string }) => k.id)).toContain(id);
    expect(listing.text).not.toContain(secret);

    const root: Viewer = { kind: 'member', memberId: 'ak-root', userId: 'root', roles: ['hub-admin'], tier: 'CORE' };
    const stored = (await t.hub.services.apiKeys.list(root, 'ak-isac')).find((k) => k._id === id)!;
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored.secretHash).toBe(createHash('sha256').update(secret!).digest('hex'));
  });

  it('gives every key its own id and secret', async () => {
    const [a, b] = await Promise.all([createKey({}), createKey({})]);
    expect(a.apiKey.id).not.toBe(b.apiKey.id);
    expect(secretOf(a.key)).not.toBe(secretOf(b.key));
  });

  it('audits creation and revocation by key id, roles and expiry, with no key material and no name', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const { key, apiKey } = await createKey({ name: 'audited-name-4711', roles: ['reader', 'publisher'], expiresAt });
    data(await t.gql(REVOKE, { id: apiKey.id }, { token: tok.adminIsac }));
    const res = await t.gql(AUDIT, { filter: { action: ['API_KEY_CREATED', 'API_KEY_REVOKED'] } }, { token: tok.adminIsac });
    const entries = data(res).auditLog.edges.map((e: any) => e.node).filter((e: any) => e.target?.id === apiKey.id);
    expect(entries).toEqual([
      expect.objectContaining({ action: 'API_KEY_REVOKED', actor: { memberId: 'ak-isac', userId: 'test@ak-isac' }, memberId: 'ak-isac', target: { kind: 'API_KEY', id: apiKey.id } }),
      expect.objectContaining({ action: 'API_KEY_CREATED', memberId: 'ak-isac', details: { roles: ['reader', 'publisher'], expiresAt } }),
    ]);
    expect(res.text).not.toContain(secretOf(key));
    expect(res.text).not.toContain('audited-name-4711');
  });

  it('refuses an expiry that is not in the future, and a missing member, naming the field', async () => {
    const past = await t.gql(CREATE, { input: { memberId: 'ak-isac', name: 'late', expiresAt: new Date(Date.now() - 1_000).toISOString() } }, { token: tok.adminIsac });
    expect(errorOf(past)?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'expiresAt' });
    const nobody = await t.gql(CREATE, { input: { memberId: 'ak-nobody', name: 'x' } }, { token: tok.root });
    expect(errorOf(nobody)?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'memberId' });
    const blank = await t.gql(CREATE, { input: { memberId: 'ak-isac', name: '   ' } }, { token: tok.adminIsac });
    expect(errorOf(blank)?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'name' });
  });
});

describe('using a key', () => {
  it('authenticates a key sent as Bearer on /graphql as its member, with the reader role only by default', async () => {
    const { key, apiKey } = await createKey({});
    const viewer = data(await viewerWith({ authorization: `Bearer ${key}` })).viewer;
    // A key acts as its person (here its creator), and is audited as them with the key's id.
    expect(viewer).toEqual({ tier: 'TRUSTED', roles: ['reader'], userId: 'test@ak-isac', member: { id: 'ak-isac' } });
    expect(apiKey.personId).toBe('test@ak-isac');
    const input = { idempotencyKey: `ak-${++published}`, indicators: [{ value: 'read-only.ak.example', tlp: 'GREEN', severity: 'LOW', confidence: 10 }] };
    const publish = await t.gql(PUBLISH, { input }, { headers: { authorization: `Bearer ${key}` } });
    expect(errorOf(publish)?.extensions?.code).toBe('FORBIDDEN');
  });

  it('lets a key with the publisher role publish, acting as the key', async () => {
    const { key, apiKey } = await createKey({ roles: ['reader', 'publisher'] });
    const input = { idempotencyKey: `ak-${++published}`, indicators: [{ value: 'publisher-key.ak.example', tlp: 'GREEN', severity: 'LOW', confidence: 10 }] };
    const results = data(await t.gql(PUBLISH, { input }, { headers: { authorization: `Bearer ${key}` } })).publishIndicators.results;
    expect(results).toEqual([expect.objectContaining({ status: 'CREATED' })]);
    const audit = data(await t.gql(AUDIT, { filter: { action: ['PUBLISH'] } }, { token: tok.adminIsac })).auditLog.edges.map((e: any) => e.node);
    expect(audit.some((e: any) => e.actor?.userId === 'test@ak-isac' && e.details?.apiKeyId === apiKey.id)).toBe(true);
  });

  it('authenticates a key sent as the Basic password on /graphql, whatever the user name, and as the user name with an empty password', async () => {
    const { key } = await createKey({});
    for (const headers of [basic('sentinel', key), basic('ak-isac', key), basic('', key), basic(key, '')]) {
      const res = await viewerWith(headers);
      expect(res.body.data?.viewer?.member, res.text).toEqual({ id: 'ak-isac' });
    }
  });

  it('serves TAXII to a key sent as the Basic password, with what its member may see', async () => {
    const input = { idempotencyKey: `ak-${++published}`, indicators: [{ value: 'amber.ak.example', tlp: 'AMBER', severity: 'HIGH', confidence: 80 }] };
    const [created] = data(await t.gql(PUBLISH, { input }, { token: await t.token('ak-root', ['publisher']) })).publishIndicators.results;
    const { key } = await createKey({ name: 'Sentinel' });
    const discovery = await taxii('/taxii2/', basic('sentinel', key));
    expect(discovery.status, discovery.text).toBe(200);
    const objects = await taxii(`${INDICATORS}?limit=1000`, basic('sentinel', key));
    expect(objects.status, objects.text).toBe(200);
    expect(objects.body.objects.map((o: { id: string }) => o.id)).toContain(created.indicator.id);
    const otherKey = (await createKey({ memberId: 'ak-other' }, tok.adminOther)).key;
    const community = await taxii(`${INDICATORS}?limit=1000`, basic('x', otherKey));
    expect(community.status).toBe(200);
    expect((community.body.objects ?? []).map((o: { id: string }) => o.id)).not.toContain(created.indicator.id);
  });

  it('answers TAXII requests with a wrong key or a Basic password that is not a key 401, challenging for Basic', async () => {
    const { key } = await createKey({});
    for (const headers of [basic('sentinel', withWrongSecret(key)), basic('sentinel', 'hunter2'), { authorization: `Bearer ${withWrongSecret(key)}` }]) {
      const res = await taxii('/taxii2/', headers);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ title: 'Unauthorized', http_status: '401' });
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="the hub", Bearer realm="the hub"');
      expect(res.text).not.toContain(secretOf(key).slice(0, -1));
    }
  });

  it('accepts a key in graphql-ws connection_init', async () => {
    const { key, apiKey } = await createKey({});
    let result: any;
    for await (const r of t.wsClient(key).iterate({ query: VIEWER })) {
      result = r;
      break;
    }
    expect(result?.data?.viewer).toEqual({ tier: 'TRUSTED', roles: ['reader'], userId: 'test@ak-isac', member: { id: 'ak-isac' } });
  });

  it('refuses a key once it has expired, and closes the socket it opened with 4401', async () => {
    const { key } = await createKey({ expiresAt: new Date(Date.now() + 1_500).toISOString() });
    expect(data(await viewerWith({ authorization: `Bearer ${key}` })).viewer.member).toEqual({ id: 'ak-isac' });
    const stream = await alertStream(t, key);
    expect((await closedWithin(stream.closed, 5_000))?.code).toBe(4401);
    expect(await expectRefused({ authorization: `Bearer ${key}` })).toBe('Invalid API key: the key has expired');
  });

  it('records the last use, writing it at most once a minute', async () => {
    const { key, apiKey } = await createKey({});
    const before = Date.now();
    data(await viewerWith({ authorization: `Bearer ${key}` }));
    const first = (await listKeys()).find((k) => k.id === apiKey.id)!.lastUsedAt;
    expect(first).not.toBeNull();
    expect(Date.parse(first)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(first)).toBeLessThanOrEqual(Date.now());
    await sleep(20);
    data(await viewerWith(basic('again', key)));
    expect((await listKeys()).find((k) => k.id === apiKey.id)!.lastUsedAt).toBe(first);
  });

  it("caps a key's roles by what the hub allows its member now", async () => {
    const admin = await t.member('ak-shrinking', 'COMMUNITY', { allowedRoles: ['reader', 'publisher', 'member-admin'] }).token(['member-admin', 'reader', 'publisher']);
    const { key } = await createKey({ memberId: 'ak-shrinking', roles: ['reader', 'publisher'] }, admin);
    expect(data(await viewerWith({ authorization: `Bearer ${key}` })).viewer.roles).toEqual(['reader', 'publisher']);
    await t.hub.services.members.register({ ...(await t.hub.services.members.get('ak-shrinking'))!, allowedRoles: ['reader'] });
    expect(data(await viewerWith({ authorization: `Bearer ${key}` })).viewer.roles).toEqual(['reader']);
  });
});

describe('revoking a key', () => {
  it('refuses the key from the next request and closes its sockets with 4401, leaving the member\'s other keys connected', async () => {
    const doomed = await createKey({ name: 'doomed' });
    const kept = await createKey({ name: 'kept' });
    expect(data(await viewerWith({ authorization: `Bearer ${doomed.key}` })).viewer.member).toEqual({ id: 'ak-isac' });
    const doomedStream = await alertStream(t, doomed.key);
    const keptStream = await alertStream(t, kept.key);

    const revoked = data(await t.gql(REVOKE, { id: doomed.apiKey.id }, { token: tok.adminIsac })).revokeApiKey;
    expect(revoked.revokedAt).not.toBeNull();
    expect(await expectRefused({ authorization: `Bearer ${doomed.key}` })).toBe('Invalid API key: the key has been revoked');
    expect(await expectRefused(basic('sentinel', doomed.key))).toBe('Invalid API key: the key has been revoked');
    expect((await closedWithin(doomedStream.closed, 5_000))?.code).toBe(4401);

    expect(await Promise.race([keptStream.closed.then(() => 'closed'), sleep(300).then(() => 'open')])).toBe('open');
    expect(data(await viewerWith({ authorization: `Bearer ${kept.key}` })).viewer.member).toEqual({ id: 'ak-isac' });
  });

  it('returns a revoked key unchanged when it is revoked again, and lists it as revoked', async () => {
    const { apiKey } = await createKey({});
    const first = data(await t.gql(REVOKE, { id: apiKey.id }, { token: tok.adminIsac })).revokeApiKey;
    await sleep(5);
    const second = data(await t.gql(REVOKE, { id: apiKey.id }, { token: tok.root })).revokeApiKey;
    expect(second).toEqual(first);
    expect((await listKeys()).find((k) => k.id === apiKey.id)?.revokedAt).toBe(first.revokedAt);
  });

  it('answers NOT_FOUND for a key id that does not exist', async () => {
    for (const id of ['0123456789abcdef', 'not-a-key-id']) {
      expect(errorOf(await t.gql(REVOKE, { id }, { token: tok.adminIsac }))?.extensions?.code).toBe('NOT_FOUND');
    }
  });
});

describe('who may manage keys', () => {
  it("lets a member-admin create, list and revoke its own member's keys, and a hub-admin any member's", async () => {
    for (const token of [tok.adminIsac, tok.root]) {
      // A hub-admin of another member names the person of ak-isac the key acts as.
      const { apiKey } = await createKey(token === tok.root ? { personId: 'test@ak-isac' } : {}, token);
      expect((await listKeys('ak-isac', token)).map((k) => k.id)).toContain(apiKey.id);
      expect(data(await t.gql(REVOKE, { id: apiKey.id }, { token })).revokeApiKey.id).toBe(apiKey.id);
    }
  });

  it("refuses another member's admin and a reader with FORBIDDEN, for creating, listing and revoking", async () => {
    const { apiKey } = await createKey({});
    for (const token of [tok.adminOther, tok.readerIsac]) {
      const create = await t.gql(CREATE, { input: { memberId: 'ak-isac', name: 'intruder' } }, { token });
      expect(errorOf(create)?.extensions?.code).toBe('FORBIDDEN');
      expect(errorOf(await t.gql(LIST, { memberId: 'ak-isac' }, { token }))?.extensions?.code).toBe('FORBIDDEN');
      expect(errorOf(await t.gql(REVOKE, { id: apiKey.id }, { token }))?.extensions?.code).toBe('FORBIDDEN');
    }
    expect((await listKeys()).find((k) => k.id === apiKey.id)?.revokedAt).toBeNull();
  });

  it('refuses a request authenticated by a key to manage keys, whatever roles the key holds', async () => {
    const { key } = await createKey({ roles: ['reader', 'publisher'] });
    const res = await t.gql(CREATE, { input: { memberId: 'ak-isac', name: 'offspring' } }, { headers: { authorization: `Bearer ${key}` } });
    expect(errorOf(res)?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses roles a key may not hold: hub-admin, member-admin, approver, roles the member is not allowed and unknown roles', async () => {
    const refusals: Array<[string, string[], string]> = [
      [tok.root, ['reader', 'hub-admin'], 'ak-root'],
      [tok.adminIsac, ['member-admin'], 'ak-isac'],
      [tok.adminIsac, ['reader', 'approver'], 'ak-isac'],
      [tok.adminOther, ['reader', 'publisher'], 'ak-other'],
      [tok.adminIsac, ['reader', 'superuser'], 'ak-isac'],
      [tok.adminIsac, [], 'ak-isac'],
    ];
    for (const [token, roles, memberId] of refusals) {
      const res = await t.gql(CREATE, { input: { memberId, name: 'too strong', roles } }, { token });
      expect(errorOf(res)?.extensions, JSON.stringify(roles)).toEqual({ code: 'BAD_USER_INPUT', field: 'roles' });
    }
    expect(errorOf(await t.gql(CREATE, { input: { memberId: 'ak-root', name: 'x', roles: ['hub-admin'] } }, { token: tok.root }))?.message).toMatch(/cannot hold hub-admin/);
  });
});

describe('refused keys', () => {
  it('answers an unknown key id and a wrong secret with the same 401 message', async () => {
    const { key } = await createKey({});
    const unknownId = `hubk_${'0'.repeat(16)}_${secretOf(key)}`;
    const messages = new Set<string>();
    for (const presented of [withWrongSecret(key), unknownId]) {
      messages.add(await expectRefused({ authorization: `Bearer ${presented}` }));
      messages.add(await expectRefused(basic('sentinel', presented)));
    }
    expect([...messages]).toEqual(['Invalid API key: the key is not recognised']);
    expect(data(await viewerWith({ authorization: `Bearer ${key}` })).viewer.member).toEqual({ id: 'ak-isac' });
  });

  it('refuses malformed keys and Basic credentials that are not a key with 401', async () => {
    const { key } = await createKey({});
    const malformed = ['hubk_', 'hubk_0123_abc', `${key}x`, key.slice(0, -1), key.replace(/^hubk_([0-9a-f]{16})/, (_, id: string) => `hubk_${id.toUpperCase().replace(/[0-9]/g, 'F')}`)];
    for (const presented of malformed) {
      expect(await expectRefused({ authorization: `Bearer ${presented}` }), presented).toMatch(/^Invalid API key: the key is malformed/);
    }
    expect(await expectRefused(basic('ak-isac', 'password'))).toMatch(/^Invalid credentials: Basic authentication takes an API key/);
    expect(await expectRefused({ authorization: 'Basic %%%' })).toMatch(/^Invalid credentials: the Authorization header must be/);
    expect(await expectRefused({ authorization: `Token ${key}` })).toMatch(/^Invalid credentials/);
  });

  it('logs refused keys with their id and member, never their secret', async () => {
    const lines: string[] = [];
    const config = parseConfig({ PORT: '0', HUB_DATA_DIR: mkdtempSync(join(tmpdir(), 'hub-apikey-log-')) });
    const hub = await startHub(config, { logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }) });
    try {
      await hub.services.members.register({
        _id: 'log-m', name: 'log-m', kind: 'LAB', tier: 'TRUSTED', sector: 'testing', country: 'NL', allowedRoles: ['reader', 'member-admin'], status: 'ACTIVE', createdAt: new Date(),
      });
      const admin: Viewer = { kind: 'member', memberId: 'log-m', userId: 'admin@log-m', roles: ['member-admin'], tier: 'TRUSTED' };
      await hub.services.people.seed({ id: 'admin@log-m', memberId: 'log-m', roles: ['reader', 'member-admin'] });
      const { key, apiKey } = await hub.services.apiKeys.create(admin, { memberId: 'log-m', name: 'logged' });
      const revoked = await hub.services.apiKeys.create(admin, { memberId: 'log-m', name: 'revoked' });
      await hub.services.apiKeys.revoke(admin, revoked.apiKey._id);
      const ask = (authorization: string) =>
        fetch(hub.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ query: VIEWER }) });
      expect((await ask(`Bearer ${withWrongSecret(key)}`)).status).toBe(401);
      expect((await ask(`Basic ${Buffer.from(`sentinel:${revoked.key}`).toString('base64')}`)).status).toBe(401);
      const rejected = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'token rejected');
      expect(rejected).toEqual([
        expect.objectContaining({ level: 40, reason: 'the key is not recognised', apiKeyId: apiKey._id, claimedMember: 'log-m' }),
        expect.objectContaining({ level: 40, reason: 'the key has been revoked', apiKeyId: revoked.apiKey._id, claimedMember: 'log-m' }),
      ]);
      const all = lines.join('\n');
      for (const k of [key, revoked.key]) expect(all).not.toContain(secretOf(k).slice(0, 20));
    } finally {
      await hub.dispose();
    }
  });
});
