/**
 * MISP as a peer, end to end: a member's MISP feed (`/misp/feed/manifest.json`, `<uuid>.json`,
 * `hashes.csv`) read with API keys, and `importMispEvent` into a second hub in the same process.
 *
 * What the feed's shape is checked against, and where each comes from:
 *  - MISP's own event JSON schema (PyMISP `pymisp/data/schema.json`, "Validator for misp events",
 *    vendored in test/vendor/misp-format/ with the four fields PyMISP's feed generator adds), with
 *    Ajv: every event file validates;
 *  - PyMISP `MISPEvent.to_feed` / `MISPAttribute._fields_for_feed` / `MISPTag._fields_for_feed`
 *    (pymisp/mispevent.py, abstract.py): the exact key sets of an event, an attribute and a tag;
 *    integers written as strings (`_int_to_str`), `to_ids`/`deleted`/`published` booleans;
 *  - PyMISP `MISPEvent.manifest`: a manifest entry's keys (Orgc, Tag, info, date, analysis,
 *    threat_level_id, timestamp), with integers as integers; MISP's Feed.php compares the
 *    manifest's `timestamp` with the stored event's to decide to fetch again;
 *  - PyMISP `pymisp/tools/feed.py` `feed_meta_generator`: `hashes.csv` is `<md5 of value>,<event uuid>` lines;
 *  - misp-rfc `misp-core-format/raw.md`: `date` is YYYY-MM-DD, timestamps are seconds as strings,
 *    `threat_level_id` 1-4, `analysis` 0-2, the category of each attribute type is one the RFC
 *    lists for it; misp-taxonomies `tlp`: the TLP tag names.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EXPORT_PUBLISHER } from '../src/advisories/export-context.js';
import { MispFeed } from '../src/misp/misp-feed.js';
import { hubOrgUuid } from '../src/misp/misp-ids.js';
import { buildSchema } from '../src/schema.js';
import { StixGates } from '../src/stix/stix-gates.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const DAY1 = Date.parse('2026-11-25T10:00:00.000Z');
const DAY2 = Date.parse('2026-11-26T09:00:00.200Z');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-5][0-9a-f]{3}-[089ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** MISP's schema.json, draft-04 read as Ajv 8 reads schemas, plus the fields PyMISP's feed generator writes beyond it (ORIGIN.md). */
function mispEventValidator() {
  const schema = JSON.parse(readFileSync(new URL('./vendor/misp-format/schema.json', import.meta.url), 'utf8'));
  delete schema.$schema;
  schema.$id = schema.id;
  delete schema.id;
  schema.defs.event.properties.extends_uuid = { type: 'string' };
  schema.defs.event.properties.protected = { type: 'boolean' };
  schema.defs.tag.properties.local = { type: 'boolean' };
  schema.defs.tag.properties.relationship_type = { type: 'string' };
  const ajv = new Ajv({ strict: false, allErrors: true });
  return ajv.compile(schema);
}

/** The exact key sets PyMISP's feed generator writes (`_fields_for_feed`, plus Orgc, Tag and Attribute on the event). */
const EVENT_KEYS = ['Attribute', 'Orgc', 'Tag', 'analysis', 'date', 'extends_uuid', 'info', 'protected', 'publish_timestamp', 'published', 'threat_level_id', 'timestamp', 'uuid'];
const ATTRIBUTE_KEYS = ['Tag', 'category', 'comment', 'deleted', 'disable_correlation', 'timestamp', 'to_ids', 'type', 'uuid', 'value'];
const TAG_KEYS = ['colour', 'local', 'name', 'relationship_type'];
const MANIFEST_KEYS = ['Orgc', 'Tag', 'analysis', 'date', 'info', 'threat_level_id', 'timestamp'];
/** misp-rfc's category-type table, for the types the hub writes. */
const RFC_CATEGORIES: Record<string, string[]> = {
  'ip-dst': ['Network activity', 'Payload delivery', 'External analysis'],
  domain: ['Network activity', 'Payload delivery', 'External analysis'],
  url: ['Network activity', 'Payload delivery', 'External analysis'],
  'email-src': ['Network activity', 'Payload delivery', 'Social network'],
  md5: ['Payload delivery', 'Artifacts dropped', 'Payload installation', 'External analysis'],
  sha1: ['Payload delivery', 'Artifacts dropped', 'Payload installation', 'External analysis'],
  sha256: ['Payload delivery', 'Artifacts dropped', 'Payload installation', 'External analysis'],
  sha512: ['Payload delivery', 'Artifacts dropped', 'Payload installation'],
};

interface FeedResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

type Attribute = { uuid: string; type: string; value: string; category: string; to_ids: boolean; deleted: boolean; timestamp: string; comment: string; Tag: Array<{ name: string }> };

const SHA256 = 'a'.repeat(63) + 'b';
const MD5 = 'b1946ac92492d2347c6235b4d2611184';

describe('MISP feed and importMispEvent', () => {
  let a: TestHub;
  let b: TestHub;
  let now = DAY1;
  const finished: Array<{ transport: string; code: string }> = [];
  const key = {} as Record<'corp' | 'isac' | 'pubOnly', string>;
  const validate = mispEventValidator();

  const feedOf = (t: TestHub) => async (path: string, auth?: string, init: RequestInit = {}): Promise<FeedResponse> => {
    const res = await fetch(`${t.url.replace(/\/graphql$/, '')}/misp/feed/${path}`, { ...init, headers: { accept: 'application/json', ...(auth ? { authorization: auth } : {}), ...(init.headers as Record<string, string>) } });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  let feed: ReturnType<typeof feedOf>;
  const bearer = (k: string) => `Bearer ${k}`;

  /** The whole feed of a key: manifest, every event, hashes.csv. */
  async function wholeFeed(k: string) {
    const manifest = await feed('manifest.json', bearer(k));
    expect(manifest.status, manifest.text).toBe(200);
    const events: Record<string, any> = {};
    for (const uuid of Object.keys(manifest.json)) {
      const res = await feed(`${uuid}.json`, bearer(k));
      expect(res.status, res.text).toBe(200);
      events[uuid] = res.json.Event;
    }
    const hashes = await feed('hashes.csv', bearer(k));
    expect(hashes.status).toBe(200);
    const text = [manifest.text, ...Object.values(events).map((e) => JSON.stringify(e)), hashes.text].join('\n');
    const attributes: Attribute[] = Object.values(events).flatMap((e) => e.Attribute);
    return { manifest: manifest.json as Record<string, any>, events, hashes: hashes.text, text, attributes };
  }

  const createKey = async (memberId: string, roles: string[]) => {
    const admin = await a.token(memberId, ['member-admin', 'reader', 'publisher']);
    const res = await a.gql('mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }', { input: { memberId, name: 'MISP', roles } }, { token: admin });
    expect(res.body.errors, JSON.stringify(res.body)).toBeUndefined();
    return res.body.data.createApiKey.key as string;
  };

  beforeAll(async () => {
    a = await startTestHub({
      config: { anonymousReads: true, exportPublisher: { ...DEFAULT_EXPORT_PUBLISHER, name: 'Hub A', namespace: 'https://hub-a.example' } },
      observer: { requestFinished: (e) => finished.push({ transport: e.transport, code: e.code }), rateLimited: () => {} },
      start: { clock: () => now },
    });
    b = await startTestHub({ config: { exportPublisher: { ...DEFAULT_EXPORT_PUBLISHER, name: 'Hub B', namespace: 'https://hub-b.example' } } });
    feed = feedOf(a);
    const pub = a.member('pub', 'TRUSTED');
    const corp = a.member('corp', 'COMMUNITY');
    a.member('isac', 'TRUSTED');
    await pub.publishes([
      { value: '198.51.100.1', tlp: 'CLEAR', severity: 'HIGH', confidence: 80, tags: ['phishing', 'c2'], description: 'Login page host' },
      { value: 'evil.example', tlp: 'GREEN', severity: 'LOW', confidence: 30 },
    ]);
    now = DAY2;
    const day2 = await pub.publishes([
      { value: 'hxxp://login-verify[.]example/reset', tlp: 'AMBER', severity: 'CRITICAL', confidence: 95 },
      { value: SHA256, tlp: 'AMBER_STRICT' },
      { value: 'attacker@evil.example', tlp: 'RED', recipients: ['corp'] },
      { value: MD5, tlp: 'GREEN' },
      { value: '203.0.113.0/24', type: 'CIDR', tlp: 'CLEAR' },
      { value: 'phish@evil.example', tlp: 'GREEN' },
      { value: '2001:db8::1', tlp: 'GREEN' },
    ]);
    const revoked = day2[3].indicator.id;
    const revoke = await a.gql('mutation ($id: ID!) { revokeIndicator(id: $id, reason: "false positive") { revoked } }', { id: revoked }, { token: await pub.token(['publisher']) });
    expect(revoke.body.errors).toBeUndefined();
    await corp.publishes([{ value: 'corp-own.example', tlp: 'GREEN', tags: ['own'] }]);
    now += 10_000;
    key.corp = await createKey('corp', ['reader']);
    key.isac = await createKey('isac', ['reader']);
    key.pubOnly = await createKey('pub', ['publisher']);
  });

  it('serves manifest.json, <uuid>.json and hashes.csv in MISP\'s own shapes', async () => {
    const { manifest, events, hashes, attributes } = await wholeFeed(key.isac);
    const uuids = Object.keys(manifest);
    expect(uuids).toHaveLength(2); // one event per UTC day of first publication
    const hubOrg = { name: 'Hub A', uuid: expect.stringMatching(UUID) };
    for (const uuid of uuids) {
      expect(uuid).toMatch(UUID);
      const entry = manifest[uuid];
      expect(Object.keys(entry).sort()).toEqual(MANIFEST_KEYS);
      expect(entry).toMatchObject({ Orgc: hubOrg, analysis: 2, date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
      expect(Number.isInteger(entry.timestamp) && Number.isInteger(entry.threat_level_id)).toBe(true);

      const event = events[uuid];
      const valid = validate({ Event: event });
      expect(valid, JSON.stringify(validate.errors)).toBe(true);
      expect(Object.keys(event).sort()).toEqual(EVENT_KEYS);
      expect(event).toMatchObject({ uuid, published: true, analysis: '2', date: entry.date, info: entry.info, Orgc: entry.Orgc, extends_uuid: '' });
      // The manifest and the event agree: MISP fetches again only when the manifest's timestamp grows.
      expect(event.timestamp).toBe(String(entry.timestamp));
      expect(event.publish_timestamp).toBe(event.timestamp);
      expect(event.threat_level_id).toBe(String(entry.threat_level_id));
      expect(event.Tag).toEqual(entry.Tag);
      // The day is the uuid's first 32 bits (the feed finds an event from its uuid alone).
      expect(parseInt(uuid.slice(0, 8), 16) * 86_400_000).toBe(Date.parse(`${event.date}T00:00:00Z`));
      // The event's timestamp is its newest attribute's.
      expect(event.timestamp).toBe(String(Math.max(...event.Attribute.map((x: Attribute) => Number(x.timestamp)))));
      for (const attribute of event.Attribute as Attribute[]) {
        expect(Object.keys(attribute).sort()).toEqual(ATTRIBUTE_KEYS);
        expect(attribute.uuid).toMatch(UUID);
        expect(RFC_CATEGORIES[attribute.type], attribute.type).toContain(attribute.category);
        expect(attribute.timestamp).toMatch(/^\d+$/);
        for (const t of attribute.Tag) expect(Object.keys(t).sort()).toEqual(TAG_KEYS);
      }
    }
    const [day1, day2] = uuids.map((u) => events[u]).sort((x, y) => x.date.localeCompare(y.date));
    expect([day1.date, day2.date]).toEqual(['2026-11-25', '2026-11-26']);
    expect(day1.Tag.map((t: { name: string }) => t.name)).toEqual(['tlp:green']); // the strictest TLP of the day
    expect(day2.Tag).toEqual([{ colour: '#FFC000', local: false, name: 'tlp:amber', relationship_type: '' }]);
    expect([day1.threat_level_id, day2.threat_level_id]).toEqual(['1', '1']); // HIGH; CRITICAL

    // Attribute types by indicator type, TLP and the hub's tags on each.
    const byValue = new Map(attributes.map((x) => [x.value, x]));
    const names = (value: string) => byValue.get(value)!.Tag.map((t) => t.name);
    expect([...byValue.entries()].map(([v, x]) => `${x.type} ${v}`).sort()).toEqual(
      [
        'ip-dst 198.51.100.1',
        'domain evil.example',
        'url http://login-verify.example/reset',
        `md5 ${MD5}`,
        'ip-dst 203.0.113.0/24',
        'email-src phish@evil.example',
        'ip-dst 2001:db8::1',
        'domain corp-own.example',
      ].sort(),
    );
    expect(names('198.51.100.1')).toEqual(['tlp:clear', 'hub:severity="high"', 'hub:confidence="80"', 'hub:source="pub"', 'phishing', 'c2']);
    expect(byValue.get('198.51.100.1')).toMatchObject({ comment: 'Login page host', to_ids: true, deleted: false });
    expect(names('http://login-verify.example/reset')[0]).toBe('tlp:amber');
    expect(byValue.get(MD5)).toMatchObject({ to_ids: false, deleted: true }); // revoked

    // hashes.csv: the MD5 of each live attribute's value and its event's uuid.
    const lines = hashes.trim().split('\n');
    const expected = Object.values(events).flatMap((e: any) =>
      (e.Attribute as Attribute[]).filter((x) => !x.deleted).map((x) => `${createHash('md5').update(x.value).digest('hex')},${e.uuid}`),
    );
    expect(lines.sort()).toEqual(expected.sort());
    expect(hashes.endsWith('\n')).toBe(true);
  });

  it('gives each key exactly what its member may see: no AMBER below TRUSTED, never RED or AMBER+STRICT, no publisher where the source is withheld', async () => {
    const corp = await wholeFeed(key.corp);
    expect(corp.attributes.map((x) => x.value).sort()).toEqual(['198.51.100.1', '2001:db8::1', '203.0.113.0/24', MD5, 'corp-own.example', 'evil.example', 'phish@evil.example'].sort());
    // Nothing of what it may not see, anywhere in the feed: not the AMBER url, the AMBER+STRICT
    // hash, nor the TLP:RED address (corp is its named recipient: RED still never leaves in a feed).
    for (const hidden of ['login-verify', SHA256, 'attacker@evil.example', 'tlp:amber', 'tlp:red', 'hub:source']) expect(corp.text.replace('hub:source=\\"corp\\"', ''), hidden).not.toContain(hidden);
    const sourceTags = (attributes: Attribute[]) => attributes.flatMap((x) => x.Tag.map((t) => t.name)).filter((n) => n.startsWith('hub:source'));
    expect(sourceTags(corp.attributes)).toEqual(['hub:source="corp"']);
    expect(Object.values(corp.events).map((e) => e.threat_level_id).sort()).toEqual(['1', '2']); // the CRITICAL one is not corp's to see
    // Its own indicator shows its publisher (a member always sees its own records whole).
    expect(corp.attributes.find((x) => x.value === 'corp-own.example')!.Tag.map((t) => t.name)).toContain('hub:source="corp"');

    const isac = await wholeFeed(key.isac);
    expect(isac.attributes.map((x) => x.value)).toContain('http://login-verify.example/reset');
    for (const hidden of [SHA256, 'attacker@evil.example', 'tlp:red', 'amber+strict']) expect(isac.text, hidden).not.toContain(hidden);
    expect(new Set(sourceTags(isac.attributes))).toEqual(new Set(['hub:source="pub"', 'hub:source="corp"']));

    // Per member: event and attribute uuids differ (MISP instances that sync must not see one uuid for two events).
    expect(Object.keys(corp.manifest).some((u) => u in isac.manifest)).toBe(false);
    expect(corp.attributes.some((x) => isac.attributes.some((y) => y.uuid === x.uuid))).toBe(false);
    // And stable: the same key reads the same uuids again.
    expect(Object.keys((await wholeFeed(key.corp)).manifest)).toEqual(Object.keys(corp.manifest));
  });

  it('changes nothing a member receives, byte for byte, when records it may not see are written', async () => {
    const before = await wholeFeed(key.corp);
    const isacBefore = await wholeFeed(key.isac);
    now += 5_000;
    const pub = a.member('pub', 'TRUSTED');
    // Same day as corp's visible indicators, newer, more severe: none of it may move corp's timestamps, tags or threat levels.
    await pub.publishes([
      { value: 'hidden-amber.example', tlp: 'AMBER', severity: 'CRITICAL', confidence: 99 },
      { value: 'hidden-strict.example', tlp: 'AMBER_STRICT', severity: 'CRITICAL' },
      { value: 'hidden-red.example', tlp: 'RED', recipients: ['isac'], severity: 'CRITICAL' },
    ]);
    now += 5_000;
    const after = await wholeFeed(key.corp);
    expect(after.text).toBe(before.text);
    // The check can fail: a member that sees the AMBER one gets it, and its event's timestamp grows.
    const isacAfter = await wholeFeed(key.isac);
    expect(isacAfter.attributes.map((x) => x.value)).toContain('hidden-amber.example');
    expect(isacAfter.text).not.toBe(isacBefore.text);
  });

  it('refuses anonymous callers and bad keys (401 with a challenge), others\' events (404), and anything but GET', async () => {
    const before = finished.length;
    const anonymous = await feed('manifest.json');
    expect(anonymous.status).toBe(401); // even with anonymous reads on: a feed is a member's
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
    expect(anonymous.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const invalid = await feed('manifest.json', 'Bearer hubk_nothing_here');
    expect(invalid.status).toBe(401);
    expect(invalid.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect((await feed('hashes.csv', `${bearer(key.corp)}x`)).status).toBe(401);
    // A key without the reader role reads nothing.
    expect((await feed('manifest.json', bearer(key.pubOnly))).json.errors[0].extensions.code).toBe('FORBIDDEN');

    const [isacEvent] = Object.keys((await feed('manifest.json', bearer(key.isac))).json);
    const othersEvent = await feed(`${isacEvent}.json`, bearer(key.corp));
    expect(othersEvent.status).toBe(404);
    expect(othersEvent.json.errors[0].extensions.code).toBe('NOT_FOUND');
    expect((await feed('00000000-0000-5000-8000-000000000000.json', bearer(key.corp))).status).toBe(404);
    expect((await feed('nothing.json', bearer(key.corp))).status).toBe(404);
    const post = await feed('manifest.json', bearer(key.corp), { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    // A feed URL entered with a trailing slash: MISP asks for `/misp/feed//manifest.json`.
    expect((await feed('/manifest.json', bearer(key.corp))).json).toEqual((await feed('manifest.json', bearer(key.corp))).json);
    const head = await feed('manifest.json', bearer(key.corp), { method: 'HEAD' });
    expect([head.status, head.text, head.headers.get('cache-control')]).toEqual([200, '', 'no-store']);
    // Every request went through the edge and its metrics, as transport `misp`.
    const seen = finished.slice(before).filter((e) => e.transport === 'misp').map((e) => e.code);
    expect(seen).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'FORBIDDEN', 'OK', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'BAD_REQUEST', 'OK', 'OK', 'OK']);
  });

  it('streams an event and hashes.csv a page at a time: pages of 2 give the same files as one page', async () => {
    const served = await wholeFeed(key.isac);
    const paged = new MispFeed({ indicators: a.hub.store.indicators, gates: StixGates.of(buildSchema()), org: { name: 'Hub A', uuid: hubOrgUuid('https://hub-a.example') }, now: () => now, pageSize: 2 });
    const isac = { kind: 'member', memberId: 'isac', userId: 'test@isac', roles: ['reader'], tier: 'TRUSTED' } as const;
    const text = async (chunks: AsyncIterable<string> | null) => {
      let out = '';
      for await (const chunk of chunks!) out += chunk;
      return out;
    };
    expect(await paged.manifest(isac)).toEqual(served.manifest);
    for (const [uuid, event] of Object.entries(served.events)) {
      expect(event.Attribute.length).toBeGreaterThanOrEqual(2); // 2 fill one page exactly, 6 take three
      expect(JSON.parse(await text(await paged.event(isac, uuid)))).toEqual({ Event: event });
    }
    expect(await text(paged.hashes(isac))).toBe(served.hashes);
    expect(await paged.event(isac, Object.keys(served.manifest)[0]!.replace(/^.{8}/, '00000001'))).toBeNull();
  });

  it('draws from the member\'s rate-limit bucket: 429 with Retry-After when it is empty', async () => {
    const limited = await startTestHub({ config: { rateLimitPerMinute: 1, rateLimitBurst: 2 } });
    limited.member('m', 'COMMUNITY');
    const admin = await limited.token('m', ['member-admin', 'reader']);
    const created = await limited.gql('mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }', { input: { memberId: 'm', name: 'MISP' } }, { token: admin });
    const k: string = created.body.data.createApiKey.key;
    const get = feedOf(limited);
    // The burst of 2 less the createApiKey request: one feed request passes, the next is refused.
    const statuses: number[] = [];
    let last: FeedResponse | undefined;
    for (let i = 0; i < 2; i++) statuses.push((last = await get('manifest.json', bearer(k))).status);
    expect(statuses).toEqual([200, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.json.errors[0].extensions.code).toBe('RATE_LIMITED');
    await limited.dispose();
  });

  it('makes timestamps grow for a write in the same second as a fetch (MISP fetches again only on a greater timestamp)', async () => {
    const pub = await a.token('pub', ['publisher', 'reader']);
    const republish = async (confidence: number, idempotencyKey: string) => {
      const res = await a.gql('mutation ($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { updated } }', {
        input: { idempotencyKey, indicators: [{ value: '2001:db8::1', tlp: 'GREEN', severity: 'MEDIUM', confidence }] },
      }, { token: pub });
      expect(res.body.data.publishIndicators.updated).toBe(1);
    };
    const day2 = async () => {
      const { manifest, attributes } = await wholeFeed(key.isac);
      const [uuid] = Object.entries(manifest).find(([, e]) => e.date === '2026-11-26')!;
      return { timestamp: manifest[uuid].timestamp as number, attribute: attributes.find((x) => x.value === '2001:db8::1')! };
    };
    now = Math.floor(now / 1000) * 1000 + 100 + 60_000;
    await republish(61, 'ts-1');
    const first = await day2();
    now += 300; // the same second
    await republish(62, 'ts-2');
    const sameSecond = await day2();
    // Still the second before: the write's own second has not ended, so a fetch now may not claim it.
    expect(sameSecond.timestamp).toBe(first.timestamp);
    now += 1_000;
    const later = await day2();
    expect(later.timestamp).toBeGreaterThan(sameSecond.timestamp);
    expect(Number(later.attribute.timestamp)).toBeGreaterThan(Number(first.attribute.timestamp));
    expect(later.attribute.Tag.map((t) => t.name)).toContain('hub:confidence="62"');
  });

  it('applies the peer rules to a peer hub\'s key: a HUB member\'s feed never echoes its own claims back', async () => {
    const peer = a.member('peerhub', 'TRUSTED', { kind: 'HUB' });
    await peer.publishes([{ value: 'peer-own.example', tlp: 'GREEN' }]);
    now += 2_000;
    const peerKey = await createKey('peerhub', ['reader']);
    const values = (await wholeFeed(peerKey)).attributes.map((x) => x.value);
    expect(values).toContain('http://login-verify.example/reset');
    expect(values).not.toContain('peer-own.example');
    // Another member sees the peer's record as any other.
    expect((await wholeFeed(key.isac)).attributes.map((x) => x.value)).toContain('peer-own.example');
  });

  describe('importMispEvent', () => {
    let importer: string;
    const IMPORT = `mutation ($event: JSON!) { importMispEvent(event: $event) {
      eventUuid created updated rejected skipped replayed
      results { index uuid type status error { code field message } indicator { value type tlp severity confidence tags description } }
    } }`;
    const importEvent = async (event: unknown, token = importer) => b.gql(IMPORT, { event }, { token });
    const mine = async () => {
      const res = await b.gql('{ indicators(first: 100, filter: { source: ["mispb"] }) { totalCount edges { node { value type tlp severity confidence tags description } } } }', {}, { token: importer });
      expect(res.body.errors).toBeUndefined();
      return res.body.data.indicators as { totalCount: number; edges: Array<{ node: any }> };
    };
    const attribute = (uuid: string, type: string, value: string, extra: Record<string, unknown> = {}) => ({ uuid, type, category: 'Network activity', value, to_ids: true, distribution: '5', ...extra });
    const EVENT = {
      Event: {
        uuid: '5f1c0a7e-1111-4aaa-8bbb-000000000001',
        info: 'Phishing wave',
        distribution: '1',
        threat_level_id: '1',
        analysis: '2',
        Tag: [{ name: 'type:OSINT' }],
        Attribute: [
          attribute('00000000-0000-4000-8000-000000000001', 'ip-src', '192.0.2.10', { comment: 'C2' }),
          attribute('00000000-0000-4000-8000-000000000002', 'domain', 'bad.example', { Tag: [{ name: 'tlp:white' }] }),
          attribute('00000000-0000-4000-8000-000000000003', 'url', 'https://bad.example/login', { Tag: [{ name: 'tlp:amber' }] }),
          attribute('00000000-0000-4000-8000-000000000004', 'email-dst', 'victim@corp.example', { Tag: [{ name: 'tlp:amber+strict' }] }),
          attribute('00000000-0000-4000-8000-000000000005', 'filename|sha256', `dropper.exe|${SHA256}`),
          attribute('00000000-0000-4000-8000-000000000006', 'ip-dst|port', '192.0.2.11|443'),
          attribute('00000000-0000-4000-8000-000000000007', 'text', 'free text'),
          attribute('00000000-0000-4000-8000-000000000008', 'domain', 'context.example', { to_ids: false }),
          attribute('00000000-0000-4000-8000-000000000009', 'domain', 'gone.example', { deleted: true }),
          attribute('00000000-0000-4000-8000-00000000000a', 'domain', 'private.example', { distribution: '0' }),
          attribute('00000000-0000-4000-8000-00000000000b', 'domain', 'red.example', { Tag: [{ name: 'tlp:red' }] }),
          attribute('00000000-0000-4000-8000-00000000000c', 'ip-dst', 'not-an-ip.example'),
          attribute('00000000-0000-4000-8000-00000000000d', 'hostname', 'BAD.example'),
        ],
        Object: [{ name: 'file', Attribute: [attribute('00000000-0000-4000-8000-00000000000e', 'sha1', 'aa39a3ee5e6b4b0d3255bfef95601890afd80709')] }],
      },
    };

    beforeAll(async () => {
      b.member('mispb', 'TRUSTED');
      importer = await b.token('mispb', ['publisher', 'reader']);
    });

    it('maps attribute types, TLP tags and distribution to indicators, and says why each other attribute was skipped', async () => {
      const res = await importEvent(EVENT);
      expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
      const out = res.body.data.importMispEvent;
      expect(out).toMatchObject({ eventUuid: EVENT.Event.uuid, created: 7, updated: 0, rejected: 2, skipped: 5, replayed: false });
      const by = (i: number) => out.results[i];
      expect(by(0)).toMatchObject({ status: 'CREATED', uuid: '00000000-0000-4000-8000-000000000001', type: 'ip-src', indicator: { value: '192.0.2.10', type: 'IPV4', tlp: 'GREEN', severity: 'HIGH', confidence: 50, tags: ['type:osint'], description: 'C2' } });
      // tlp:white on an event shared with "this community only" (1): never wider than GREEN.
      expect(by(1).indicator).toMatchObject({ type: 'DOMAIN', tlp: 'GREEN' });
      expect(by(2).indicator).toMatchObject({ type: 'URL', tlp: 'AMBER' });
      expect(by(3).indicator).toMatchObject({ type: 'EMAIL', tlp: 'AMBER_STRICT' });
      expect(by(4).indicator).toMatchObject({ type: 'SHA256', value: SHA256 });
      expect(by(5).indicator).toMatchObject({ type: 'IPV4', value: '192.0.2.11' });
      expect(by(6)).toMatchObject({ status: 'SKIPPED', error: { code: 'UNSUPPORTED_TYPE', field: 'type' } });
      expect(by(7)).toMatchObject({ status: 'SKIPPED', error: { code: 'NOT_FOR_DETECTION', field: 'to_ids' } });
      expect(by(8)).toMatchObject({ status: 'SKIPPED', error: { code: 'DELETED' } });
      expect(by(9)).toMatchObject({ status: 'SKIPPED', error: { code: 'ORGANISATION_ONLY', field: 'distribution' } });
      expect(by(10)).toMatchObject({ status: 'REJECTED', error: { code: 'RECIPIENTS_REQUIRED' } });
      expect(by(11)).toMatchObject({ status: 'REJECTED', error: { code: 'TYPE_MISMATCH', field: 'value' } });
      // The same domain as attribute 2 once normalised: one claim, skipped as a duplicate.
      expect(by(12)).toMatchObject({ status: 'SKIPPED', error: { code: 'DUPLICATE' } });
      expect(by(13)).toMatchObject({ status: 'CREATED', type: 'sha1', indicator: { type: 'SHA1' } });
      expect((await mine()).totalCount).toBe(7);
    });

    it('refuses "your organisation only" and sharing-group events, non-events, and callers without the publisher role', async () => {
      for (const distribution of ['0', 0, '4']) {
        const res = await importEvent({ Event: { ...EVENT.Event, distribution } });
        expect(res.body.errors?.[0]?.extensions, String(distribution)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'event.Event.distribution' });
      }
      expect((await importEvent({ Event: { ...EVENT.Event, distribution: '0' } })).body.errors![0]!.message).toContain('your organisation only');
      expect((await importEvent({ ...EVENT.Event, uuid: 'nope' })).body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'event.uuid' });
      expect((await importEvent([1, 2])).body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'event' });
      const reader = await b.token('mispb', ['reader']);
      expect((await importEvent(EVENT, reader)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await b.gql(IMPORT, { event: EVENT })).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect((await mine()).totalCount).toBe(7);
    });

    it('is idempotent: the same event again is a replay, a changed one updates the same claims and adds only what is new', async () => {
      const again = (await importEvent(EVENT)).body.data.importMispEvent;
      expect(again).toMatchObject({ replayed: true, created: 7, skipped: 5, rejected: 2 });
      expect((await mine()).totalCount).toBe(7);
      const grown = { Event: { ...EVENT.Event, Attribute: [...EVENT.Event.Attribute, attribute('00000000-0000-4000-8000-0000000000ff', 'domain', 'new.example')] } };
      const changed = (await importEvent(grown)).body.data.importMispEvent;
      expect(changed).toMatchObject({ replayed: false, created: 1, updated: 7 });
      expect((await mine()).totalCount).toBe(8);
    });

    it('round trip: a member\'s feed from hub A imported into hub B arrives with the same TLP, severity, confidence, tags and comment', async () => {
      const { events } = await wholeFeed(key.isac);
      const seen = new Set((await mine()).edges.map((e) => e.node.value));
      for (const event of Object.values(events)) {
        const res = await importEvent({ Event: event });
        expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
        const out = res.body.data.importMispEvent;
        expect(out.rejected).toBe(0);
        // Only the revoked indicator (a deleted attribute) stays behind.
        expect(out.results.filter((r: any) => r.status === 'SKIPPED').map((r: any) => r.error.code)).toEqual(event.date === '2026-11-26' ? ['DELETED'] : []);
      }
      const arrived = (await mine()).edges.map((e) => e.node).filter((n) => !seen.has(n.value));
      const fromA = await a.gql('{ indicators(first: 100, filter: { revoked: false }) { edges { node { value type tlp severity confidence tags description } } } }', {}, { token: await a.token('isac', ['reader']) });
      const served = fromA.body.data.indicators.edges.map((e: any) => e.node).filter((n: any) => n.tlp !== 'AMBER_STRICT' && n.tlp !== 'RED');
      const byValue = (x: any, y: any) => String(x.value).localeCompare(String(y.value));
      expect(arrived.sort(byValue)).toEqual(served.sort(byValue));
      expect(arrived.find((n) => n.value === 'http://login-verify.example/reset')).toMatchObject({ tlp: 'AMBER', severity: 'CRITICAL', confidence: 95 });
    });
  });
});
