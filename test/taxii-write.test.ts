/**
 * TAXII 2.1 write end to end (docs/taxii.md, "Writing: add objects"): a real hub on port 0, real
 * API keys and tokens, requests shaped exactly as the Python taxii2-client (oasis-open/cti-taxii-client,
 * taxii2client/v21) sends them:
 * - `Collection.add_objects(envelope)`: `POST <collection url>objects/` with exactly the headers
 *   `Accept: application/taxii+json;version=2.1` and `Content-Type: application/taxii+json;version=2.1`
 *   (its `_HTTPConnection.post` adds no User-Agent of its own: requests' default), the body
 *   `json.dumps(envelope, ensure_ascii=False).encode("utf-8")` (separators `", "` and `": "`),
 *   credentials as HTTP Basic (user, password) from the session;
 * - then `Status(url=urljoin(collection url, "../../status/<id>"))`: the status URL WITHOUT a trailing
 *   slash, polled by `Status.refresh` as `GET` with `Accept: application/taxii+json;version=2.1` and
 *   `User-Agent: taxii2-client/<version>`; `ApiRoot.get_status(id)` uses `<api root>status/<id>/`;
 * - the client refuses a response whose Content-Type does not hold every token of its Accept, and a
 *   status whose counts disagree (`_validate_status`): both are checked here as it checks them.
 * - `Collection._verify_can_write` reads `can_write` from the collection resource before posting.
 */
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { startHub } from '../src/main.js';
import { parseIndicatorPattern } from '../src/stix/parse-indicator-pattern.js';
import { tlpMarkingId } from '../src/stix/tlp-markings.js';
import { HUB_EXTENSION_ID } from '../src/stix/stix-ids.js';
import { TAXII_STATUS_RETENTION_MS } from '../src/domain/taxii-write.js';
import { MAX_TAXII_OBJECTS } from '../src/taxii/taxii-writer.js';
import { startTestHub, type GqlResponse, type TestHub } from './support/hub-fixture.js';

const TAXII = 'application/taxii+json;version=2.1';
const COLLECTION = 'ddf9e498-e313-4c9f-a961-674ccefa2ab9';
const NOTICES = 'fc6234ba-1d08-4c68-92c5-2765ca3f6581';
const collectionUrl = (id = COLLECTION) => `/taxii2/hub/collections/${id}/`;

let t: TestHub;
let origin: string;
let clock = Date.parse('2026-11-01T12:00:00.000Z');
const keys = {} as Record<'alphaPub' | 'alphaReader' | 'betaPub' | 'gammaPub', string>;
const tokens = {} as Record<'alpha' | 'beta' | 'gamma' | 'alphaAdmin', string>;

/** Python's `json.dumps(obj, ensure_ascii=False)`: `", "` and `": "` separators, non-ASCII as is. */
function pythonJsonDumps(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (value && typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${pythonJsonDumps(v)}`).join(', ')}}`;
  return JSON.stringify(value);
}

const basic = (key: string) => `Basic ${Buffer.from(`taxii2-client:${key}`).toString('base64')}`;

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function request(path: string, init: RequestInit): Promise<Answer> {
  const res = await fetch(`${origin}${path}`, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

/** `Collection.add_objects(envelope, wait_for_completion=False)` as taxii2-client sends it. */
function addObjects(key: string | null, envelope: unknown, options: { collection?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return request(`${collectionUrl(options.collection)}objects/`, {
    method: 'POST',
    headers: { Accept: TAXII, 'Content-Type': TAXII, ...(key ? { Authorization: basic(key) } : {}), ...options.headers },
    body: options.body ?? Buffer.from(pythonJsonDumps(envelope), 'utf8'),
  });
}

/** `Status.refresh()` on the URL add_objects built: `urljoin(collection url, "../../status/<id>")`, no trailing slash. */
function pollStatus(key: string, id: string): Promise<Answer> {
  const url = new URL(`../../status/${id}`, `${origin}${collectionUrl()}`);
  return request(url.pathname, { headers: { Accept: TAXII, 'User-Agent': 'taxii2-client/2.3.0', Authorization: basic(key) } });
}

/** What taxii2-client's `valid_content_type` and `Status._validate_status` require of a status answer. */
function expectClientAccepts(answer: Answer): void {
  const tokensOf = (s: string) => s.replace(/ /g, '').split(';');
  const contentType = tokensOf(answer.headers.get('content-type') ?? '');
  expect(contentType[0]).toBe('application/taxii+json');
  for (const token of tokensOf(TAXII)) expect(contentType).toContain(token);
  const s = answer.body;
  for (const field of ['id', 'status', 'total_count', 'success_count', 'failure_count', 'pending_count']) expect(s[field], field).toBeDefined();
  if (s.successes) expect(s.successes).toHaveLength(s.success_count);
  if (s.failures) expect(s.failures).toHaveLength(s.failure_count);
  if (s.pendings) expect(s.pendings).toHaveLength(s.pending_count);
  expect(s.success_count + s.failure_count + s.pending_count).toBe(s.total_count);
}

const stixId = (type: 'indicator' | 'sighting') => `${type}--${randomUUID()}`;

function indicator(value: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: stixId('indicator'),
    created: '2026-10-01T00:00:00.000Z',
    modified: '2026-10-01T00:00:00.000Z',
    name: value,
    pattern: `[ipv4-addr:value = '${value}']`,
    pattern_type: 'stix',
    valid_from: '2026-10-01T00:00:00Z',
    object_marking_refs: [tlpMarkingId('GREEN')],
    ...extra,
  };
}

function sighting(ref: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'sighting', spec_version: '2.1', id: stixId('sighting'), created: '2026-10-02T00:00:00.000Z', modified: '2026-10-02T00:00:00.000Z', sighting_of_ref: ref, count: 1, ...extra };
}

const data = (res: GqlResponse) => {
  expect(res.body.errors, res.text).toBeUndefined();
  return res.body.data;
};

const FIELDS = 'id type value submittedValue tlp recipients severity confidence validFrom validUntil tags description sightingCount lastSeenAt revoked revokedReason createdAt updatedAt';

async function indicatorsOf(token: string, value: string): Promise<any[]> {
  return data(await t.gql(`query($v: String) { indicators(filter: { value: $v }) { edges { node { ${FIELDS} source { id } } } } }`, { v: value }, { token })).indicators.edges.map((e: any) => e.node);
}

async function added(key: string, objects: unknown[]): Promise<any> {
  const answer = await addObjects(key, { objects });
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  expectClientAccepts(answer);
  return answer.body;
}

beforeAll(async () => {
  t = await startTestHub({ start: { clock: () => clock } });
  origin = t.url.replace(/\/graphql$/, '');
  t.member('alpha', 'TRUSTED');
  t.member('beta', 'TRUSTED');
  t.member('gamma', 'TRUSTED');
  await t.member('delta', 'COMMUNITY').token();
  const key = async (member: string, roles: string[]) => {
    const admin = await t.tokenAs(member, `admin@${member}`, ['reader', 'publisher', 'member-admin']);
    return data(await t.gql('mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }', { input: { memberId: member, name: 'TAXII push', roles } }, { token: admin })).createApiKey.key as string;
  };
  keys.alphaPub = await key('alpha', ['reader', 'publisher']);
  keys.alphaReader = await key('alpha', ['reader']);
  keys.betaPub = await key('beta', ['reader', 'publisher']);
  keys.gammaPub = await key('gamma', ['reader', 'publisher']);
  tokens.alpha = await t.token('alpha', ['reader', 'publisher']);
  tokens.beta = await t.token('beta', ['reader', 'publisher']);
  tokens.gamma = await t.token('gamma', ['reader', 'publisher']);
  tokens.alphaAdmin = await t.tokenAs('alpha', 'admin@alpha', ['reader', 'publisher', 'member-admin']);
});

describe('can_write', () => {
  it('is true on the indicators collection for a credential with publisher, false for a reader-only key and on every other collection', async () => {
    const collections = (key: string) => request('/taxii2/hub/collections/', { headers: { Accept: TAXII, Authorization: basic(key) } });
    const writer = (await collections(keys.alphaPub)).body.collections;
    const reader = (await collections(keys.alphaReader)).body.collections;
    expect(writer.map((c: any) => [c.alias, c.can_write])).toEqual([['indicators', true], ['model-risk-notices', false], ['reference', false], ['vulnerabilities', false]]);
    expect(reader.every((c: any) => c.can_write === false && c.can_read === true)).toBe(true);
    const one = await request(collectionUrl(), { headers: { Accept: TAXII, Authorization: basic(keys.alphaPub) } });
    expect(one.body).toMatchObject({ id: COLLECTION, can_read: true, can_write: true });
  });

  it('refuses a reader-only key with 403 and the TAXII error body, writing nothing', async () => {
    const answer = await addObjects(keys.alphaReader, { objects: [indicator('192.0.2.250')] });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('content-type')).toBe(TAXII);
    expect(answer.body).toEqual({ title: 'Forbidden', description: expect.stringMatching(/can_write is false.*publisher role/), http_status: '403' });
    expect(await indicatorsOf(tokens.alpha, '192.0.2.250')).toEqual([]);
  });

  it('refuses a POST to a collection other than indicators with 403, and a POST without credentials with 401 and the challenges', async () => {
    const notices = await addObjects(keys.alphaPub, { objects: [indicator('192.0.2.251')] }, { collection: NOTICES });
    expect(notices.status).toBe(403);
    expect(notices.body.description).toMatch(/model-risk-notices collection/);
    const anonymous = await addObjects(null, { objects: [indicator('192.0.2.251')] });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  });
});

describe('add objects, then poll the status', () => {
  it('answers 202 with a complete status resource, which the client polls at the URL it builds (no trailing slash) and at get_status\'s', async () => {
    const obj = indicator('192.0.2.1', { labels: ['C2', 'botnet'], confidence: 80, description: 'A C2 server.' });
    const answer = await addObjects(keys.alphaPub, { objects: [obj] });
    expect(answer.status).toBe(202);
    expectClientAccepts(answer);
    const status = answer.body;
    expect(status).toMatchObject({ status: 'complete', total_count: 1, success_count: 1, failure_count: 0, pending_count: 0 });
    expect(status.successes).toEqual([{ id: obj.id, version: obj.modified, message: expect.stringMatching(/^created indicator--/) }]);
    expect(new Date(status.request_timestamp).getTime()).toBe(clock);

    const polled = await pollStatus(keys.alphaPub, status.id);
    expect(polled.status).toBe(200);
    expectClientAccepts(polled);
    expect(polled.body).toEqual(status);
    const viaApiRoot = await request(`/taxii2/hub/status/${status.id}/`, { headers: { Accept: TAXII, Authorization: basic(keys.alphaPub) } });
    expect(viaApiRoot.body).toEqual(status);
    // The same member through another credential (its token) reads it too.
    const byToken = await request(`/taxii2/hub/status/${status.id}/`, { headers: { Accept: TAXII, Authorization: `Bearer ${tokens.alpha}` } });
    expect(byToken.body).toEqual(status);
  });

  it('stores each object exactly as publishIndicators would: the same indicator through GraphQL, and the same audit entry', async () => {
    const obj = indicator('192.0.2.2', {
      pattern: "[domain-name:value = 'Evil.Example.COM']",
      labels: ['Phishing', 'phishing', ' kit '],
      confidence: 65,
      valid_from: '2026-10-05T08:00:00.123456Z',
      valid_until: '2027-01-01T00:00:00Z',
      description: 'Lure domain.',
      object_marking_refs: [tlpMarkingId('AMBER')],
      extensions: { [HUB_EXTENSION_ID]: { extension_type: 'property-extension', severity: 'high' } },
    });
    const status = await added(keys.alphaPub, [obj]);
    expect(status.success_count).toBe(1);
    const viaGraphql = data(await t.gql(
      `mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { status indicator { id } } } }`,
      { input: { idempotencyKey: 'same-as-taxii', indicators: [{ value: 'Evil.Example.COM', type: 'DOMAIN', tlp: 'AMBER', severity: 'HIGH', confidence: 65, validFrom: '2026-10-05T08:00:00.123Z', validUntil: '2027-01-01T00:00:00.000Z', tags: ['Phishing', 'phishing', ' kit '], description: 'Lure domain.' }] } },
      { token: tokens.gamma },
    )).publishIndicators.results[0];
    expect(viaGraphql.status).toBe('CREATED');
    const [ours] = await indicatorsOf(tokens.alpha, 'evil.example.com').then((l) => l.filter((i) => i.source.id === 'alpha'));
    const [theirs] = await indicatorsOf(tokens.gamma, 'evil.example.com').then((l) => l.filter((i) => i.source.id === 'gamma'));
    const comparable = ({ id: _id, source: _source, ...rest }: any) => rest;
    expect(comparable(ours)).toEqual(comparable(theirs));
    expect(ours).toMatchObject({ value: 'evil.example.com', type: 'DOMAIN', tlp: 'AMBER', severity: 'HIGH', confidence: 65, tags: ['phishing', 'kit'] });
    expect(status.successes[0].message).toBe(`created ${ours.id}`);

    const audit = data(await t.gql('query { auditLog(filter: { memberId: "alpha", action: [PUBLISH] }, first: 50) { edges { node { action actor { memberId } details } } } }', {}, { token: tokens.alphaAdmin }));
    const details = audit.auditLog.edges.map((e: any) => e.node.details);
    expect(details).toContainEqual({ apiKeyId: expect.any(String), created: [ours.id], updated: [], rejected: [] });
  });

  it('reports partial failures with a reason per object, and stores the objects that succeed', async () => {
    const good = indicator('192.0.2.3');
    const objects = [
      good,
      indicator('192.0.2.4', { pattern: "[ipv4-addr:value = '192.0.2.4'] OR [ipv4-addr:value = '192.0.2.5']" }),
      indicator('192.0.2.6', { pattern: "[process:name = 'evil.exe']" }),
      indicator('192.0.2.7', { object_marking_refs: [] }),
      indicator('192.0.2.8', { object_marking_refs: [tlpMarkingId('RED')] }),
      indicator('not-an-ip', {}),
      indicator('192.0.2.9', { confidence: 101 }),
      indicator('192.0.2.10', { pattern_type: 'sigma' }),
      { type: 'malware', spec_version: '2.1', id: `malware--${randomUUID()}`, created: '2026-10-01T00:00:00Z', modified: '2026-10-01T00:00:00Z', name: 'x', is_family: false },
      indicator('192.0.2.11', { id: 'indicator--not-a-uuid' }),
      sighting(`indicator--${randomUUID()}`),
    ];
    const status = await added(keys.alphaPub, objects);
    expect(status).toMatchObject({ total_count: 11, success_count: 1, failure_count: 10, pending_count: 0 });
    expect(status.successes.map((s: any) => s.id)).toEqual([good.id]);
    const reasons = Object.fromEntries(status.failures.map((f: any) => [f.id, f.message]));
    expect(reasons[objects[1]!.id as string]).toMatch(/only a single comparison/);
    expect(reasons[objects[2]!.id as string]).toMatch(/process:name is not one the hub stores/);
    expect(reasons[objects[3]!.id as string]).toMatch(/names no TLP marking-definition/);
    expect(reasons[objects[4]!.id as string]).toMatch(/^RECIPIENTS_REQUIRED \(recipients\): TLP:RED needs/);
    expect(reasons[objects[5]!.id as string]).toMatch(/^INVALID_IPV4|\(value\)/);
    expect(reasons[objects[6]!.id as string]).toMatch(/^OUT_OF_RANGE \(confidence\)/);
    expect(reasons[objects[7]!.id as string]).toMatch(/pattern_type "sigma" is not supported/);
    expect(reasons[objects[8]!.id as string]).toMatch(/type "malware" is not accepted/);
    expect(reasons['indicator--not-a-uuid']).toMatch(/id must be indicator--<uuid>/);
    expect(reasons[objects[10]!.id as string]).toMatch(/^sighting_of_ref: no indicator indicator--.* that you may see$/);
    for (const f of status.failures) expect(f.version).toBe(objects.find((o) => o.id === f.id)!.modified);
    expect(await indicatorsOf(tokens.alpha, '192.0.2.3')).toHaveLength(1);
    for (const value of ['192.0.2.4', '192.0.2.7', '192.0.2.8', '192.0.2.9']) expect(await indicatorsOf(tokens.alpha, value), value).toEqual([]);
  });

  it('accepts TLP:RED with recipients from the hub extension, and takes the most restrictive TLP named (TLP 1.0 ids too)', async () => {
    const red = indicator('192.0.2.20', { object_marking_refs: [tlpMarkingId('RED')], extensions: { [HUB_EXTENSION_ID]: { extension_type: 'property-extension', recipients: ['beta'] } } });
    const mixed = indicator('192.0.2.21', { object_marking_refs: ['marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da', tlpMarkingId('AMBER'), 'marking-definition--00000000-0000-4000-8000-000000000000'] });
    const status = await added(keys.alphaPub, [red, mixed]);
    expect(status.success_count).toBe(2);
    expect((await indicatorsOf(tokens.alpha, '192.0.2.20'))[0]).toMatchObject({ tlp: 'RED', recipients: ['beta'] });
    expect((await indicatorsOf(tokens.beta, '192.0.2.20'))[0]).toMatchObject({ tlp: 'RED' });
    expect((await indicatorsOf(tokens.gamma, '192.0.2.20'))).toEqual([]);
    expect((await indicatorsOf(tokens.alpha, '192.0.2.21'))[0]).toMatchObject({ tlp: 'AMBER' });
  });
});

describe('versions', () => {
  it('re-posting the same version is a success without a write; a newer version updates; an older one is not applied', async () => {
    const v1 = indicator('192.0.2.30', { confidence: 40 });
    await added(keys.alphaPub, [v1]);
    const [first] = await indicatorsOf(tokens.alpha, '192.0.2.30');
    const events = await t.hub.store.events.bounds();

    clock += 1_000;
    const again = await added(keys.alphaPub, [v1]);
    expect(again.successes).toEqual([{ id: v1.id, version: v1.modified, message: 'unchanged: this version is already stored' }]);
    expect((await indicatorsOf(tokens.alpha, '192.0.2.30'))[0]).toEqual(first);
    expect((await t.hub.store.events.bounds()).latest).toBe(events.latest);

    const v2 = { ...v1, modified: '2026-10-03T00:00:00.000Z', confidence: 90 };
    const newer = await added(keys.alphaPub, [v2]);
    expect(newer.successes[0]).toEqual({ id: v1.id, version: v2.modified, message: `updated ${first.id}` });
    const [updated] = await indicatorsOf(tokens.alpha, '192.0.2.30');
    expect(updated).toMatchObject({ id: first.id, confidence: 90 });
    expect(updated.updatedAt).not.toBe(first.updatedAt);

    // In one envelope: v1, and v2 written with a finer fraction (the same instant, so the same version).
    const older = await added(keys.alphaPub, [v1, { ...v2, modified: '2026-10-03T00:00:00.000000Z' }]);
    expect(older.successes.map((s: any) => s.message)).toEqual(['not applied: a newer version of this object is in the same envelope', 'unchanged: this version is already stored']);
    // An exact duplicate in one envelope is not an error (TAXII 2.1 §5.4): it shares the outcome of the one applied.
    const v3 = { ...v1, modified: '2026-10-04T00:00:00.000Z', confidence: 95 };
    const twice = await added(keys.alphaPub, [v3, v3]);
    expect(twice.successes).toEqual([{ id: v1.id, version: v3.modified, message: `updated ${first.id}` }, { id: v1.id, version: v3.modified, message: `updated ${first.id}` }]);
    const badTwice = await added(keys.alphaPub, [{ ...v3, modified: '2026-10-05T00:00:00.000Z', confidence: 500 }, { ...v3, modified: '2026-10-05T00:00:00.000Z', confidence: 500 }]);
    expect(badTwice.failure_count).toBe(2);
    expect((await indicatorsOf(tokens.alpha, '192.0.2.30'))[0].confidence).toBe(95);
    const stale = await added(keys.alphaPub, [v1]);
    expect(stale.successes[0].message).toBe('not applied: a newer version of this object is stored');
    expect((await indicatorsOf(tokens.alpha, '192.0.2.30'))[0].confidence).toBe(95);
  });

  it('overlapping posts of one envelope (a client retrying) write each object once', async () => {
    const objects = Array.from({ length: 200 }, (_, i) => indicator(`198.18.0.${i}`));
    const before = (await t.hub.store.events.bounds()).latest;
    const answers = await Promise.all([added(keys.alphaPub, objects), added(keys.alphaPub, objects), added(keys.alphaPub, objects)]);
    const messages = answers.map((a) => a.successes[0].message).sort();
    expect(messages).toEqual([expect.stringMatching(/^created /), 'unchanged: this version is already stored', 'unchanged: this version is already stored']);
    expect((await t.hub.store.events.bounds()).latest).toBe(before + 200);
  });

  it('a newer version marked revoked revokes the claim, audited as revokeIndicator is', async () => {
    const v1 = indicator('192.0.2.31');
    await added(keys.alphaPub, [v1]);
    const status = await added(keys.alphaPub, [{ ...v1, modified: '2026-10-04T00:00:00Z', revoked: true }]);
    const [doc] = await indicatorsOf(tokens.alpha, '192.0.2.31');
    expect(status.successes[0].message).toBe(`revoked ${doc.id}`);
    expect(doc).toMatchObject({ revoked: true, revokedReason: expect.stringMatching(/revoked through TAXII/) });
    const unknown = await added(keys.alphaPub, [indicator('192.0.2.32', { revoked: true })]);
    expect(unknown.failures[0].message).toMatch(/nothing to revoke/);
  });

  it('sightings: of an object posted earlier or a hub id, counted once per version, a newer version adding only the difference', async () => {
    const ind = indicator('192.0.2.40');
    const s1 = sighting(ind.id as string, { count: 2, last_seen: '2026-10-20T00:00:00Z' });
    const first = await added(keys.alphaPub, [ind, s1]);
    expect(first.success_count).toBe(2);
    const [doc] = await indicatorsOf(tokens.alpha, '192.0.2.40');
    expect(doc).toMatchObject({ sightingCount: 2, lastSeenAt: '2026-10-20T00:00:00.000Z' });
    expect((await added(keys.alphaPub, [s1])).successes[0].message).toBe('unchanged: this version is already stored');
    await added(keys.alphaPub, [{ ...s1, modified: '2026-10-21T00:00:00Z', count: 5 }]);
    expect((await indicatorsOf(tokens.alpha, '192.0.2.40'))[0].sightingCount).toBe(5);
    // Another member sights it by the id the hub shows (alpha's TLP:GREEN indicator is visible to beta).
    const byHubId = await added(keys.betaPub, [sighting(doc.id)]);
    expect(byHubId.successes[0].message).toBe(`sighting of ${doc.id} recorded (1 added)`);
    expect((await indicatorsOf(tokens.alpha, '192.0.2.40'))[0].sightingCount).toBe(6);
  });
});

describe('status resources', () => {
  it('are shown only to the member that made them: another member and an unknown id get the same 404', async () => {
    const status = await added(keys.alphaPub, [indicator('192.0.2.50')]);
    const unknownId = randomUUID();
    const other = await pollStatus(keys.betaPub, status.id);
    const unknown = await pollStatus(keys.betaPub, unknownId);
    expect(other.status).toBe(404);
    expect(other.headers.get('content-type')).toBe(TAXII);
    expect(other.body).toEqual({ ...unknown.body, description: unknown.body.description.replace(unknownId, status.id) });
    expect(other.body).toEqual({ title: 'Not found', description: `No status ${status.id}`, http_status: '404' });
    const anonymous = await request(`/taxii2/hub/status/${status.id}/`, { headers: { Accept: TAXII } });
    expect(anonymous.status).toBe(401);
  });

  it('survive a restart of the hub on the same data directory (SQLite, the default store)', async () => {
    const t2 = await startTestHub();
    t2.member('solo', 'TRUSTED');
    const admin = await t2.tokenAs('solo', 'admin@solo', ['reader', 'publisher', 'member-admin']);
    const key = (await t2.gql('mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }', { input: { memberId: 'solo', name: 'push', roles: ['reader', 'publisher'] } }, { token: admin })).body.data.createApiKey.key as string;
    const post = await fetch(`${t2.url.replace(/\/graphql$/, '')}${collectionUrl()}objects/`, {
      method: 'POST',
      headers: { Accept: TAXII, 'Content-Type': TAXII, Authorization: basic(key) },
      body: pythonJsonDumps({ objects: [indicator('192.0.2.52')] }),
    });
    const status = await post.json();
    expect(post.status).toBe(202);
    await t2.dispose();
    const again = await startHub(parseConfig({ PORT: '0', HUB_DATA_DIR: t2.dataDir, LOG_LEVEL: 'silent' }, { demo: false }), { logger: pino({ level: 'silent' }) });
    try {
      const polled = await fetch(`${again.url.replace(/\/graphql$/, '')}/taxii2/hub/status/${status.id}/`, { headers: { Accept: TAXII, Authorization: basic(key) } });
      expect(polled.status).toBe(200);
      expect(await polled.json()).toEqual(status);
    } finally {
      await again.dispose();
    }
  });

  it(`are kept ${TAXII_STATUS_RETENTION_MS / 86_400_000} days, then answered as unknown`, async () => {
    const status = await added(keys.alphaPub, [indicator('192.0.2.51')]);
    clock += TAXII_STATUS_RETENTION_MS;
    expect((await pollStatus(keys.alphaPub, status.id)).status).toBe(200);
    clock += 1;
    expect((await pollStatus(keys.alphaPub, status.id)).status).toBe(404);
    expect(await t.hub.store.taxiiStatuses.get(status.id, new Date(clock - 1))).not.toBeNull();
  });
});

describe('non-interference', () => {
  it('an object duplicating another member\'s hidden indicator is reported exactly as a fresh one, and so is a sighting of a hidden indicator', async () => {
    // gamma holds 192.0.2.60 as TLP:RED for beta only: hidden from alpha.
    const hidden = data(await t.gql(
      `mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { indicator { id } } } }`,
      { input: { idempotencyKey: 'hidden', indicators: [{ value: '192.0.2.60', tlp: 'RED', recipients: ['beta'], severity: 'HIGH', confidence: 90 }] } },
      { token: tokens.gamma },
    )).publishIndicators.results[0].indicator.id as string;
    const dup = indicator('192.0.2.60');
    const fresh = indicator('192.0.2.61');
    const missing = `indicator--${randomUUID()}`;
    const status = await added(keys.alphaPub, [dup, fresh, sighting(hidden), sighting(missing)]);
    const shape = (s: any) => ({ ...s, id: 'ID', message: s.message.replace(/indicator--[0-9a-f-]{36}/g, 'X') });
    expect(shape(status.successes[0])).toEqual({ ...shape(status.successes[1]), version: dup.modified });
    expect(status.successes[0].message).toMatch(/^created /);
    expect(shape(status.failures[0])).toEqual(shape(status.failures[1]));
    // And the hidden claim is untouched: its sightings and its content.
    const [stillHidden] = await indicatorsOf(tokens.gamma, '192.0.2.60').then((l) => l.filter((i) => i.id === hidden));
    expect(stillHidden).toMatchObject({ tlp: 'RED', sightingCount: 0, confidence: 90 });
  });
});

describe('non-interference, two runs', () => {
  /**
   * The same writer workload on two hubs: one where another member holds hidden records on the
   * same values and has posted the very same STIX ids (newer versions even), one where it has
   * not. What the writer observes (statuses, its own indicators through GraphQL) must be the same
   * byte for byte, once the ids the hub makes at random are masked.
   */
  async function run(hiddenRef: string | null): Promise<{ observed: string; hiddenId: string | null }> {
    const h = await startTestHub({ start: { clock: () => Date.parse('2026-11-01T12:00:00.000Z') } });
    try {
      const keyOf = async (member: string, tier: 'COMMUNITY' | 'TRUSTED' = 'TRUSTED') => {
        h.member(member, tier);
        const admin = await h.tokenAs(member, `admin@${member}`, ['reader', 'publisher', 'member-admin']);
        return (await h.gql('mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }', { input: { memberId: member, name: 'push', roles: ['reader', 'publisher'] } }, { token: admin })).body.data.createApiKey.key as string;
      };
      // A COMMUNITY writer: TLP:AMBER and above, and RED for others, are hidden from it.
      const writer = await keyOf('writer', 'COMMUNITY');
      const other = await keyOf('other');
      await keyOf('friend');
      const post = async (key: string, objects: unknown[]) => {
        const res = await fetch(`${h.url.replace(/\/graphql$/, '')}${collectionUrl()}objects/`, { method: 'POST', headers: { Accept: TAXII, 'Content-Type': TAXII, Authorization: basic(key) }, body: pythonJsonDumps({ objects }) });
        return { status: res.status, body: await res.json() };
      };
      const ids = { a: 'indicator--0f8e7a3c-5b1d-4c2e-9f6a-1b2c3d4e5f60', b: 'indicator--1f8e7a3c-5b1d-4c2e-9f6a-1b2c3d4e5f61', c: 'indicator--2f8e7a3c-5b1d-4c2e-9f6a-1b2c3d4e5f62' };
      const ind = (id: string, value: string, modified = '2026-10-01T00:00:00.000Z', extra: Record<string, unknown> = {}) => indicator(value, { id, modified, ...extra });
      let hiddenId: string | null = null;
      if (hiddenRef === null) {
        // The other member: the same values, hidden from the writer (RED to a friend, AMBER), and the writer's STIX ids, newer.
        const red = { extensions: { [HUB_EXTENSION_ID]: { extension_type: 'property-extension', recipients: ['friend'] } }, object_marking_refs: [tlpMarkingId('RED')] };
        const hidden = await post(other, [ind(ids.a, '192.0.2.80', '2026-12-01T00:00:00.000Z', red), ind(ids.b, '192.0.2.81', '2026-12-01T00:00:00.000Z', { object_marking_refs: [tlpMarkingId('AMBER')] })]);
        expect(hidden.body.success_count).toBe(2);
        hiddenId = (hidden.body.successes[0].message as string).replace('created ', '');
      }
      const ref = hiddenRef ?? hiddenId!;
      const statuses = [
        await post(writer, [ind(ids.a, '192.0.2.80'), ind(ids.b, '192.0.2.81'), ind(ids.c, '192.0.2.82'), sighting(ref, { id: 'sighting--3f8e7a3c-5b1d-4c2e-9f6a-1b2c3d4e5f63' })]),
        await post(writer, [ind(ids.a, '192.0.2.80'), ind(ids.b, '192.0.2.81', '2026-10-02T00:00:00.000Z', { confidence: 99 })]),
      ];
      const token = await h.token('writer', ['reader']);
      const view = (await h.gql(`{ indicators(first: 50) { totalCount edges { node { ${FIELDS} } } } }`, {}, { token })).body;
      // By value: the records share one instant, and the list breaks that tie by the hub's random ids.
      const own = { ...view, data: { indicators: { ...view.data.indicators, edges: [...view.data.indicators.edges].sort((x: any, y: any) => (x.node.value < y.node.value ? -1 : 1)) } } };
      const mask = (text: string) => text.replace(/(indicator|sighting)--[0-9a-f-]{36}/g, '$1--X').replace(/"id":"[0-9a-f-]{36}"/g, '"id":"S"');
      return { observed: mask(JSON.stringify({ statuses, own })), hiddenId };
    } finally {
      await h.dispose();
    }
  }

  it("leaves the writer the same statuses and the same view with and without another member's hidden records and STIX ids", async () => {
    const withHidden = await run(null);
    const without = await run(withHidden.hiddenId);
    expect(withHidden.observed).toContain('created indicator--X');
    expect(without.observed).toBe(withHidden.observed);
  });
});

describe('limits and malformed requests', () => {
  it(`refuses more than ${MAX_TAXII_OBJECTS} objects, and a body over max_content_length, with 413 and the TAXII error body`, async () => {
    const many = await addObjects(keys.alphaPub, { objects: Array.from({ length: MAX_TAXII_OBJECTS + 1 }, (_, i) => ({ type: 'indicator', id: `indicator--${i}` })) });
    expect(many.status).toBe(413);
    expect(many.body).toEqual({ title: 'Payload too large', description: expect.stringMatching(/at most 1000 objects/), http_status: '413' });
    const root = await request('/taxii2/hub/', { headers: { Accept: TAXII, Authorization: basic(keys.alphaPub) } });
    const big = await addObjects(keys.alphaPub, null, { body: pythonJsonDumps({ objects: [indicator('192.0.2.70', { description: 'x'.repeat(root.body.max_content_length) })] }) });
    expect(big.status).toBe(413);
    expect(big.body.description).toMatch(/max_content_length/);
    expect(await indicatorsOf(tokens.alpha, '192.0.2.70')).toEqual([]);
  });

  it('answers 415 for another Content-Type, 400 for a body that is not JSON, 422 for JSON that is not an envelope, 406 for a non-TAXII Accept', async () => {
    expect((await addObjects(keys.alphaPub, { objects: [indicator('192.0.2.71')] }, { headers: { 'Content-Type': 'application/json' } })).status).toBe(415);
    expect((await addObjects(keys.alphaPub, null, { body: '{"objects": [' })).body).toEqual({ title: 'Bad request', description: 'The body is not JSON', http_status: '400' });
    const notEnvelope = await addObjects(keys.alphaPub, [indicator('192.0.2.72')]);
    expect(notEnvelope.status).toBe(422);
    expect((await addObjects(keys.alphaPub, { objects: [] })).status).toBe(422);
    expect((await addObjects(keys.alphaPub, { objects: [indicator('192.0.2.73')] }, { headers: { Accept: 'application/json' } })).status).toBe(406);
    // The connection survives a refused body: the next request on the same keep-alive agent works.
    expect((await addObjects(keys.alphaPub, { objects: [indicator('192.0.2.74')] })).status).toBe(202);
  });
});

describe('STIX patterns the hub reads back', () => {
  it('reads the single comparisons the hub writes, hashes spelled as tools spell them, escapes undone; refuses the rest with the reason', () => {
    expect(parseIndicatorPattern("[ipv4-addr:value = '198.51.100.0/24']")).toEqual({ ok: true, type: 'CIDR', value: '198.51.100.0/24' });
    expect(parseIndicatorPattern("[ipv6-addr:value = '2001:db8::1']")).toEqual({ ok: true, type: 'IPV6', value: '2001:db8::1' });
    expect(parseIndicatorPattern("[url:value = 'http://x.example/it\\'s\\\\']")).toEqual({ ok: true, type: 'URL', value: "http://x.example/it's\\" });
    expect(parseIndicatorPattern("[email-addr:value = 'a@b.example']")).toMatchObject({ type: 'EMAIL' });
    for (const [path, type] of [["'SHA-256'", 'SHA256'], ['MD5', 'MD5'], ['"SHA-1"', 'SHA1'], ["'SHA-512'", 'SHA512'], ["'sha256'", 'SHA256']] as const) {
      expect(parseIndicatorPattern(`[file:hashes.${path} = 'ab']`), path).toEqual({ ok: true, type, value: 'ab' });
    }
    expect(parseIndicatorPattern("[file:hashes.'SSDEEP' = 'x']")).toMatchObject({ ok: false, reason: expect.stringMatching(/file:hashes.'SSDEEP' is not one the hub stores/) });
    expect(parseIndicatorPattern("[domain-name:value = 'a.example'] WITHIN 300 SECONDS")).toMatchObject({ ok: false });
    expect(parseIndicatorPattern("[domain-name:value = 'a.example' AND domain-name:value = 'b.example']")).toMatchObject({ ok: false });
    expect(parseIndicatorPattern("[domain-name:value != 'a.example']")).toMatchObject({ ok: false });
  });
});
