/**
 * TAXII 2.1 read side end to end: discovery, collections, content negotiation, auth, what each
 * tier sees, and paging walks (with `next`, with `next` and the filters repeated, with
 * `added_after` alone) that neither skip nor repeat an object while publishes land between pages.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { memberIdentityId } from '../src/stix/stix-ids.js';
import { MemoryCollection } from '../src/store/memory/memory-collection.js';
import { formatDateAdded, offsetOfId } from '../src/taxii/date-added.js';
import { StoreSource } from '../src/taxii/object-source.js';
import { readPage } from '../src/taxii/pager.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';
import { stixProblems } from './support/stix-validator.js';

const TAXII = 'application/taxii+json;version=2.1';
const IDS = { indicators: 'ddf9e498-e313-4c9f-a961-674ccefa2ab9', notices: 'fc6234ba-1d08-4c68-92c5-2765ca3f6581', reference: 'df6684fb-ab9f-41a4-b5fe-5bc9622c0568', vulnerabilities: '62b4e6f9-25cd-475b-92a1-5cfd3c0577d7' };
const objectsPath = (collection: string) => `/taxii2/hub/collections/${collection}/objects/`;

interface TaxiiResponse {
  status: number;
  headers: Headers;
  body: any;
}

function client(t: TestHub) {
  const origin = t.url.replace(/\/graphql$/, '');
  return async (path: string, options: { token?: string; headers?: Record<string, string>; method?: string } = {}): Promise<TaxiiResponse> => {
    const res = await fetch(`${origin}${path}`, {
      method: options.method ?? 'GET',
      headers: { accept: TAXII, ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };
}

type Get = ReturnType<typeof client>;
type Stix = { id: string; type: string; modified?: string; created?: string; [k: string]: any };
const versionOf = (o: Stix) => `${o.id}@${o.modified ?? o.created}`;

/** Every object of a collection, following `next` to the end. */
async function walk(get: Get, collection: string, token?: string, query = 'limit=2'): Promise<Stix[]> {
  const out: Stix[] = [];
  let res = await get(`${objectsPath(collection)}?${query}`, { token });
  for (;;) {
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    out.push(...(res.body.objects ?? []));
    if (!res.body.more) return out;
    res = await get(`${objectsPath(collection)}?next=${encodeURIComponent(res.body.next)}`, { token });
  }
}

describe('TAXII 2.1 server', () => {
  let t: TestHub;
  let get: Get;
  const tok = {} as Record<'pub' | 'corp' | 'isac' | 'agency' | 'partner', string>;
  const ind = {} as Record<'clear' | 'green' | 'amber' | 'strict' | 'red', string>;
  const notice = {} as Record<'green' | 'amber' | 'red' | 'embargoed', string>;
  let sighting: string;

  const publishNotice = async (input: Record<string, unknown>) => {
    const res = await t.gql(`mutation ($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }`, {
      input: { title: 'A jailbreak', summary: 'Multi-turn.', model: { name: 'M', developer: 'D' }, category: 'JAILBREAK', severity: 'HIGH', status: 'PUBLISHED', mitigations: 'Filter.', ...input },
    }, { token: tok.pub });
    expect(res.body.errors, JSON.stringify(res.body)).toBeUndefined();
    return res.body.data.publishModelRiskNotice.id as string;
  };

  beforeAll(async () => {
    t = await startTestHub({ config: { anonymousReads: true } });
    get = client(t);
    const pub = t.member('pub', 'TRUSTED');
    const members = { corp: t.member('corp', 'COMMUNITY'), isac: t.member('isac', 'TRUSTED'), agency: t.member('agency', 'CORE'), partner: t.member('partner', 'COMMUNITY') };
    tok.pub = await pub.token();
    for (const [name, m] of Object.entries(members)) tok[name as keyof typeof members] = await m.token(['reader']);
    const results = await pub.publishes([
      { value: '198.51.100.1', tlp: 'CLEAR' },
      { value: '198.51.100.2', tlp: 'GREEN' },
      { value: '198.51.100.3', tlp: 'AMBER' },
      { value: '198.51.100.4', tlp: 'AMBER_STRICT' },
      { value: '198.51.100.5', tlp: 'RED', recipients: ['partner'] },
    ]);
    [ind.clear, ind.green, ind.amber, ind.strict, ind.red] = results.map((r) => r.indicator.id);
    const sighted = await t.gql(`mutation ($id: ID!) { reportSighting(indicatorId: $id) { sightings { id } } }`, { id: ind.green }, { token: tok.isac });
    sighting = sighted.body.data.reportSighting.sightings[0].id;
    notice.green = await publishNotice({ tlp: 'GREEN', relatedIndicatorIds: [ind.green, ind.strict] });
    notice.amber = await publishNotice({ tlp: 'AMBER' });
    notice.red = await publishNotice({ tlp: 'RED', recipients: ['partner'] });
    notice.embargoed = await publishNotice({ tlp: 'GREEN', embargoUntil: new Date(Date.now() + 3_600_000).toISOString() });
  });

  it('answers discovery, the API root and the collections, as taxii+json', async () => {
    const discovery = await get('/taxii2/', { token: tok.corp });
    expect(discovery.status).toBe(200);
    expect(discovery.headers.get('content-type')).toBe(TAXII);
    expect(discovery.body.api_roots).toEqual([`${t.url.replace(/\/graphql$/, '')}/taxii2/hub/`]);
    const root = await get('/taxii2/hub/', { token: tok.corp });
    expect(root.body.versions).toEqual([TAXII]);
    const collections = await get('/taxii2/hub/collections/', { token: tok.corp });
    expect(collections.body.collections.map((c: any) => [c.id, c.can_read, c.can_write])).toEqual([
      [IDS.indicators, true, false],
      [IDS.notices, true, false],
      [IDS.reference, true, false],
      [IDS.vulnerabilities, true, false],
    ]);
    const one = await get(`/taxii2/hub/collections/${IDS.notices}/`);
    expect(one.body).toMatchObject({ id: IDS.notices, can_read: true, can_write: false, media_types: ['application/stix+json;version=2.1'] });
  });

  it('accepts taxii+json 2.1, taxii+json without a version and */*, and refuses anything else with 406', async () => {
    for (const accept of ['application/taxii+json;version=2.1', 'application/taxii+json', '*/*', 'text/html, application/taxii+json; version="2.1"']) {
      expect((await get('/taxii2/', { headers: { accept } })).status, accept).toBe(200);
    }
    for (const accept of ['application/json', 'application/taxii+json;version=2.0', 'application/taxii+json;q=0', 'text/html']) {
      const res = await get('/taxii2/', { headers: { accept } });
      expect(res.status, accept).toBe(406);
      expect(res.headers.get('content-type')).toBe(TAXII);
      expect(res.body).toMatchObject({ title: 'Not acceptable', http_status: '406' });
    }
  });

  it('answers errors as TAXII error messages: unknown paths and collections 404, a reader\'s POST and any DELETE 403, other methods 405', async () => {
    expect((await get('/taxii2/hub/nothing/')).body).toMatchObject({ title: 'Not found', http_status: '404' });
    expect((await get('/taxii2/hub/collections/no-such-collection/objects/')).status).toBe(404);
    // Writes: a reader's POST is refused (adding objects, by publishers: test/taxii-write.test.ts); DELETE by anyone.
    expect((await get(objectsPath(IDS.indicators), { method: 'POST', token: tok.corp })).body).toMatchObject({ http_status: '403' });
    expect((await get(`${objectsPath(IDS.indicators)}indicator--00000000-0000-4000-8000-000000000000/`, { method: 'DELETE', token: tok.pub })).body).toMatchObject({ http_status: '403' });
    expect((await get(objectsPath(IDS.indicators), { method: 'PUT', token: tok.pub })).status).toBe(405);
    expect((await get(`${objectsPath(IDS.indicators)}?limit=0`)).body).toMatchObject({ title: 'Bad request', http_status: '400' });
    expect((await get(`${objectsPath(IDS.indicators)}?added_after=yesterday`)).status).toBe(400);
  });

  it('authenticates Bearer tokens and refuses a bad one with 401 and a challenge', async () => {
    const bad = await get('/taxii2/', { headers: { authorization: 'Bearer not-a-token' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('Bearer');
    expect(bad.body).toMatchObject({ title: 'Unauthorized', http_status: '401' });
    const basicWithoutApiKeys = await get('/taxii2/', { headers: { authorization: `Basic ${Buffer.from('corp:secret').toString('base64')}` } });
    expect(basicWithoutApiKeys.status).toBe(401);
  });

  it('authenticates Basic auth with an API key as the password, and challenges for Basic on a wrong one', async () => {
    const admin = await t.token('isac', ['member-admin']);
    const created = await t.gql('mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }', { input: { memberId: 'isac', name: 'Sentinel' } }, { token: admin });
    const key: string = created.body.data.createApiKey.key;
    const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`sentinel:${password}`).toString('base64')}` });
    const ids = (await get(`${objectsPath(IDS.indicators)}?limit=1000`, { headers: basic(key) })).body.objects.map((o: Stix) => o.id);
    expect(ids).toContain(ind.amber);
    expect(ids).not.toContain(ind.strict);
    const wrong = await get('/taxii2/', { headers: basic(`${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`) });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  });

  it('shows each tier exactly its indicators, never TLP:RED or TLP:AMBER+STRICT, and sightings from TRUSTED up', async () => {
    const ids = async (token?: string) => (await walk(get, IDS.indicators, token)).map((o) => o.id).sort();
    const sorted = (...xs: string[]) => xs.sort();
    expect(await ids()).toEqual(sorted(ind.clear));
    expect(await ids(tok.corp)).toEqual(sorted(ind.clear, ind.green));
    expect(await ids(tok.partner)).toEqual(sorted(ind.clear, ind.green));
    expect(await ids(tok.isac)).toEqual(sorted(ind.clear, ind.green, ind.amber, sighting));
    expect(await ids(tok.agency)).toEqual(sorted(ind.clear, ind.green, ind.amber, sighting));
    expect(await ids(tok.pub)).toEqual(sorted(ind.clear, ind.green, ind.amber, sighting));
  });

  it('shows each tier exactly its notices, embargoed ones to CORE only, redacted as in GraphQL', async () => {
    const objects = async (token?: string) => walk(get, IDS.notices, token);
    const ids = async (token?: string) => (await objects(token)).map((o) => o.id).sort();
    expect(await ids()).toEqual([]);
    expect(await ids(tok.corp)).toEqual([notice.green]);
    expect(await ids(tok.partner)).toEqual([notice.green]);
    expect(await ids(tok.isac)).toEqual([notice.green, notice.amber].sort());
    expect(await ids(tok.agency)).toEqual([notice.green, notice.amber, notice.embargoed].sort());
    const [community] = await objects(tok.corp);
    expect('created_by_ref' in community!).toBe(false);
    expect('mitigations' in community!).toBe(false);
    expect(community!.related_indicator_refs).toEqual([ind.green]);
    const trusted = (await objects(tok.isac)).find((o) => o.id === notice.green)!;
    expect(trusted).toMatchObject({ created_by_ref: memberIdentityId('pub'), mitigations: 'Filter.' });
  });

  it('serves the markings, the hub identity and extension-definition to all, and member identities where the source is visible', async () => {
    const ids = async (token?: string) => (await walk(get, IDS.reference, token, 'limit=3')).filter((o) => o.type === 'identity').map((o) => o.id);
    const anonymous = await walk(get, IDS.reference);
    expect(anonymous.filter((o) => o.type === 'marking-definition')).toHaveLength(5);
    expect(anonymous.filter((o) => o.type === 'extension-definition')).toHaveLength(1);
    expect(await ids()).toHaveLength(1);
    expect(await ids(tok.corp)).toContain(memberIdentityId('corp'));
    expect(await ids(tok.corp)).not.toContain(memberIdentityId('pub'));
    expect(await ids(tok.isac)).toEqual(expect.arrayContaining(['pub', 'corp', 'isac', 'agency', 'partner'].map(memberIdentityId)));
  });

  it('serves only objects that validate against the OASIS schemas and pass the hub checks', async () => {
    for (const collection of Object.values(IDS)) {
      for (const o of await walk(get, collection, tok.agency, 'limit=50')) expect(stixProblems(o as any), o.id).toEqual([]);
    }
  });

  it('serves one object, its versions and the manifest, with date_added headers; a hidden object is a 404 like a missing one', async () => {
    const one = await get(`${objectsPath(IDS.indicators)}${ind.green}/`, { token: tok.corp });
    expect(one.body.objects.map((o: Stix) => o.id)).toEqual([ind.green]);
    const versions = await get(`${objectsPath(IDS.indicators)}${ind.green}/versions/`, { token: tok.corp });
    expect(versions.body).toEqual({ more: false, versions: [one.body.objects[0].modified] });
    expect(versions.headers.get('x-taxii-date-added-first')).toMatch(/\.\d{6}Z$/);
    const hidden = await get(`${objectsPath(IDS.indicators)}${ind.red}/`, { token: tok.partner });
    const missing = await get(`${objectsPath(IDS.indicators)}indicator--00000000-0000-4000-8000-000000000000/`, { token: tok.partner });
    expect([hidden.status, hidden.body.title]).toEqual([404, 'Not found']);
    expect([missing.status, missing.body.title]).toEqual([404, 'Not found']);
    const manifest = await get(`/taxii2/hub/collections/${IDS.indicators}/manifest/?limit=50`, { token: tok.isac });
    const records = manifest.body.objects;
    expect(records.map((r: any) => r.id).sort()).toEqual([ind.clear, ind.green, ind.amber, sighting].sort());
    expect(manifest.headers.get('x-taxii-date-added-first')).toBe(records[0].date_added);
    expect(manifest.headers.get('x-taxii-date-added-last')).toBe(records[records.length - 1].date_added);
    expect(records[0]).toMatchObject({ media_type: 'application/stix+json;version=2.1' });
  });

  it('filters by match[id], match[type], match[version], match[spec_version] and a strictly-after added_after', async () => {
    const q = async (query: string) => ((await get(`${objectsPath(IDS.indicators)}?${query}`, { token: tok.isac })).body.objects ?? []).map((o: Stix) => o.id);
    expect(await q(`match[id]=${ind.amber}`)).toEqual([ind.amber]);
    expect(await q('match[type]=sighting')).toEqual([sighting]);
    expect(await q('match[spec_version]=2.0')).toEqual([]);
    expect((await q('match[spec_version]=2.1')).length).toBe(4);
    const amber = (await get(`${objectsPath(IDS.indicators)}${ind.amber}/`, { token: tok.isac })).body.objects[0];
    expect(await q(`match[version]=${amber.modified}&match[id]=${ind.amber},${sighting}`)).toEqual([ind.amber]);
    expect(await q('match[version]=2020-01-01T00:00:00.000Z')).toEqual([]);
    const manifest = (await get(`/taxii2/hub/collections/${IDS.indicators}/manifest/`, { token: tok.isac })).body.objects;
    const after = await q(`added_after=${manifest[1].date_added}`);
    expect(after).toEqual(manifest.slice(2).map((r: any) => r.id));
  });

  it('refuses a next token minted for another caller, for other filters, or made up', async () => {
    const first = await get(`${objectsPath(IDS.indicators)}?limit=1&match[type]=indicator`, { token: tok.isac });
    expect(first.body.more).toBe(true);
    const next = encodeURIComponent(first.body.next);
    expect((await get(`${objectsPath(IDS.indicators)}?next=${next}`, { token: tok.agency })).status).toBe(400);
    expect((await get(`${objectsPath(IDS.notices)}?next=${next}`, { token: tok.isac })).status).toBe(400);
    expect((await get(`${objectsPath(IDS.indicators)}?next=${next}&match[type]=sighting`, { token: tok.isac })).status).toBe(400);
    expect((await get(`${objectsPath(IDS.indicators)}?next=made-up`, { token: tok.isac })).status).toBe(400);
    expect((await get(`${objectsPath(IDS.indicators)}?next=${next}&match[type]=indicator`, { token: tok.isac })).status).toBe(200);
  });

  it('dates a notice released from embargo by the embargo end, so added_after pollers below CORE receive it', async () => {
    const soon = await publishNotice({ tlp: 'GREEN', embargoUntil: new Date(Date.now() + 1_200).toISOString() });
    const before = await get(objectsPath(IDS.notices), { token: tok.isac });
    expect(before.body.objects.map((o: Stix) => o.id)).not.toContain(soon);
    await new Promise((r) => setTimeout(r, 1_400));
    const after = await get(`${objectsPath(IDS.notices)}?added_after=${before.headers.get('x-taxii-date-added-last')}`, { token: tok.isac });
    expect(after.body.objects.map((o: Stix) => o.id)).toEqual([soon]);
  });

  it('shows a COMMUNITY member the sightings of its own indicators, and no others', async () => {
    const [own] = await t.member('corp', 'COMMUNITY').publishes([{ value: 'corp-own.example', tlp: 'GREEN' }]);
    const res = await t.gql(`mutation ($id: ID!) { reportSighting(indicatorId: $id) { sightings { id } } }`, { id: own.indicator.id }, { token: tok.isac });
    const ownSighting = res.body.data.reportSighting.sightings[0].id;
    const objects = await walk(get, IDS.indicators, tok.corp);
    expect(objects.filter((o) => o.type === 'sighting').map((o) => o.id)).toEqual([ownSighting]);
    expect(objects.find((o) => o.id === own.indicator.id)!.created_by_ref).toBe(memberIdentityId('corp'));
    expect(objects.find((o) => o.id === ind.green)!.created_by_ref).toBeUndefined();
  });
});

describe('TAXII date_added and paging answers carry nothing of hidden writes', () => {
  let t: TestHub;
  let get: Get;
  let pub: ReturnType<TestHub['member']>;
  let corp: string;

  beforeAll(async () => {
    t = await startTestHub({ config: { rateLimitPerMinute: 0 } });
    get = client(t);
    pub = t.member('pub', 'TRUSTED');
    t.member('partner', 'COMMUNITY');
    corp = await t.member('corp', 'COMMUNITY').token(['reader', 'publisher']);
  });

  it('dates each object by its own id and version alone, so a COMMUNITY reader cannot count the hidden items of a batch', async () => {
    const results = await pub.publishes([
      { value: 'batch-a.example', tlp: 'GREEN' },
      { value: 'batch-b.example', tlp: 'RED', recipients: ['partner'] },
      { value: 'batch-c.example', tlp: 'AMBER' },
      { value: 'batch-d.example', tlp: 'AMBER_STRICT' },
      { value: 'batch-e.example', tlp: 'GREEN' },
    ]);
    const visible = [results[0].indicator.id, results[4].indicator.id];
    const manifest = await get(`/taxii2/hub/collections/${IDS.indicators}/manifest/?limit=50`, { token: corp });
    const records = manifest.body.objects.filter((r: any) => visible.includes(r.id));
    expect(records).toHaveLength(2);
    for (const r of records) {
      // The microseconds are a function of the object's id: no write counter shared with hidden records.
      expect(r.date_added).toBe(formatDateAdded({ t: Date.parse(r.version), u: offsetOfId(r.id) }));
    }
  });

  it('draws no write sequence number for a sighting on an id the caller cannot see', async () => {
    const [red] = await pub.publishes([{ value: 'red-only.example', tlp: 'RED', recipients: ['partner'] }]);
    t.hub.storeCalls.reset();
    const res = await t.gql(`mutation ($id: ID!) { reportSighting(indicatorId: $id) { id } }`, { id: red.indicator.id }, { token: corp });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(t.hub.storeCalls.calls.get('sequences.next') ?? 0).toBe(0);
  });

});

describe('TAXII paging', () => {
  let t: TestHub;
  let get: Get;
  let reader: string;
  let publisher: ReturnType<TestHub['member']>;
  let counter = 0;

  beforeAll(async () => {
    t = await startTestHub({ config: { rateLimitPerMinute: 0 } });
    get = client(t);
    publisher = t.member('bulk', 'TRUSTED');
    reader = await t.member('reader', 'TRUSTED').token(['reader']);
    // One batch of 1,200 shares a millisecond: more versions than the microsecond offsets can tell apart.
    await publisher.publishes(Array.from({ length: 1_200 }, (_, i) => ({ value: `10.${Math.floor(i / 250)}.${i % 250}.1`, tlp: 'GREEN' as const })));
    for (let i = 0; i < 20; i++) await publisher.publishes([{ value: `batch${i}.example`, tlp: 'GREEN' }]);
  });

  /** Publishes between pages: new indicators, re-publishes of existing ones (new versions), a revocation. */
  async function interfere(page: number): Promise<void> {
    if (page % 5 === 1) await publisher.publishes([{ value: `new${++counter}.example`, tlp: 'GREEN' }, { value: `new${++counter}.example`, tlp: 'AMBER' }]);
    if (page % 7 === 3) await publisher.publishes([{ value: `10.0.${page % 250}.1`, tlp: 'GREEN', confidence: 60 + (page % 30) }]);
    if (page === 4) await publisher.publishes([{ value: 'batch3.example', tlp: 'AMBER', confidence: 99 }]);
  }

  /** The collection as it is now: every object's current version. */
  async function current(): Promise<Map<string, string>> {
    return new Map((await walk(get, IDS.indicators, reader, 'limit=1000')).map((o) => [o.id, versionOf(o)]));
  }

  function assertNoGapNoRepeat(seen: Stix[], now: Map<string, string>): void {
    const versions = seen.map(versionOf);
    expect(new Set(versions).size, 'an object version was served twice').toBe(versions.length);
    const missing = [...now.values()].filter((v) => !versions.includes(v));
    expect(missing, 'current versions never served').toEqual([]);
  }

  it('walks the whole collection with next alone, while publishes land between pages', async () => {
    const seen: Stix[] = [];
    let res = await get(`${objectsPath(IDS.indicators)}?limit=9`, { token: reader });
    for (let page = 1; ; page++) {
      seen.push(...(res.body.objects ?? []));
      if (!res.body.more) break;
      await interfere(page);
      res = await get(`${objectsPath(IDS.indicators)}?next=${encodeURIComponent(res.body.next)}`, { token: reader });
    }
    assertNoGapNoRepeat(seen, await current());
  });

  it('walks with next and the original filters repeated on every request', async () => {
    const query = 'limit=11&match[type]=indicator&match[spec_version]=2.1';
    const seen: Stix[] = [];
    let res = await get(`${objectsPath(IDS.indicators)}?${query}`, { token: reader });
    for (let page = 1; ; page++) {
      seen.push(...(res.body.objects ?? []));
      if (!res.body.more) break;
      await interfere(page);
      res = await get(`${objectsPath(IDS.indicators)}?${query}&next=${encodeURIComponent(res.body.next)}`, { token: reader });
    }
    assertNoGapNoRepeat(seen, await current());
  });

  it('polls with added_after alone, from X-TAXII-Date-Added-Last, neither skipping nor repeating within shared milliseconds', async () => {
    const seen: Stix[] = [];
    let res = await get(`${objectsPath(IDS.indicators)}?limit=9`, { token: reader });
    for (let page = 1; ; page++) {
      const objects: Stix[] = res.body.objects ?? [];
      if (objects.length === 0) break;
      seen.push(...objects);
      if (page < 60) await interfere(page);
      const last = res.headers.get('x-taxii-date-added-last');
      expect(last).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
      res = await get(`${objectsPath(IDS.indicators)}?limit=9&added_after=${last}`, { token: reader });
    }
    assertNoGapNoRepeat(seen, await current());
  });

  it('shows revocations and updates to pollers as new versions at the end', async () => {
    const last = (await get(`${objectsPath(IDS.indicators)}?limit=1000`, { token: reader })).headers.get('x-taxii-date-added-last');
    const [target] = await publisher.publishes([{ value: 'revoke-me.example', tlp: 'GREEN' }]);
    const token = await publisher.token();
    await t.gql(`mutation ($id: ID!) { revokeIndicator(id: $id, reason: "benign") { id } }`, { id: target.indicator.id }, { token });
    const res = await get(`${objectsPath(IDS.indicators)}?added_after=${last}&limit=1000`, { token: reader });
    const revoked = res.body.objects.find((o: Stix) => o.id === target.indicator.id);
    expect(revoked).toMatchObject({ revoked: true });
    expect(res.body.objects.filter((o: Stix) => o.id === target.indicator.id)).toHaveLength(1);
  });

  it('caps limit at 1,000, and spreads a batch that shares one millisecond over many date_added values, each from its own id', async () => {
    const first = await get(`/taxii2/hub/collections/${IDS.indicators}/manifest/?limit=5000`, { token: reader });
    expect(first.body.objects.length).toBeLessThanOrEqual(1_000);
    expect(first.body.more).toBe(true);
    const rest = await get(`/taxii2/hub/collections/${IDS.indicators}/manifest/?next=${encodeURIComponent(first.body.next)}`, { token: reader });
    const byMillisecond = new Map<string, string[]>();
    for (const r of [...first.body.objects, ...rest.body.objects]) {
      const ms = r.date_added.slice(0, 23);
      byMillisecond.set(ms, [...(byMillisecond.get(ms) ?? []), r.date_added]);
    }
    const batch = [...byMillisecond.values()].sort((a, b) => b.length - a.length)[0]!;
    expect(batch.length).toBeGreaterThan(1_000);
    // 1,200 ids hashed onto 1,000 microseconds: about 700 distinct values (1,000 × (1 − e^−1.2)).
    expect(new Set(batch).size).toBeGreaterThan(600);
  });
});

describe('TAXII pages over sources that read hidden documents', () => {
  type Doc = { _id: string; at: Date; hidden: boolean };
  const source = (docs: Doc[]) => {
    const repo = new MemoryCollection<Doc & { dateAddedOffset: number }>(['_id']);
    for (const d of docs) repo.put({ ...d, dateAddedOffset: offsetOfId(d._id) });
    return new StoreSource<Doc & { dateAddedOffset: number }>({
      repo: { find: async (filter, options) => repo.find(filter, options) },
      scope: {},
      timeField: 'at',
      // As the sightings source does: a document the viewer may not see is dropped after the read.
      toObjects: async (found) => found.map((d) => (d.hidden ? null : { type: 'x-test', id: d._id, spec_version: '2.1', created: d.at.toISOString() })),
    });
  };
  /** Two ids whose objects share a microsecond offset, so a page of limit 1 cannot split them. */
  function collidingIds(): [string, string] {
    const seen = new Map<number, string>();
    for (let i = 0; ; i++) {
      const id = `x-test--${i}`;
      const other = seen.get(offsetOfId(id));
      if (other) return [other, id];
      seen.set(offsetOfId(id), id);
    }
  }

  it('answer more and entries alike whether or not only hidden documents follow', async () => {
    const [a, b] = collidingIds();
    const visible: Doc[] = [a, b].map((id) => ({ _id: id, at: new Date(1_000), hidden: false }));
    const hidden: Doc[] = Array.from({ length: 5 }, (_, i) => ({ _id: `x-test--hidden-${i}`, at: new Date(2_000), hidden: true }));
    const alone = await readPage([source(visible)], null, 10_000, 1);
    const beside = await readPage([source([...visible, ...hidden])], null, 10_000, 1);
    expect(alone.entries.map((e) => e.object.id)).toEqual([a, b].sort());
    expect(alone.more).toBe(false);
    expect(beside).toEqual(alone);
  });
});
