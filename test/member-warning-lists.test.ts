/**
 * Members' own warning lists (issue 16, item 4) through a real hub on port 0 with real tokens:
 * publishing, replacing and revoking; validation naming the bad entry; visibility by TLP, tier and
 * recipients; every list type matching; warnings at publish and at read per viewer; the policy
 * engaging only for a list the publisher may see; alerts' excludeWarned per subscriber; another
 * instance's change applying within seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub-fixture.js';
import { alertStream, disposeStreams } from './support/alert-stream.js';
import { createMemoryStore } from '../src/store/memory/memory-store.js';
import { MemberWarningLists } from '../src/warninglists/member-warning-lists.js';
import type { Viewer } from '../src/policy/policy.js';

const LIST_FIELDS = 'id name version type category indicatorTypes entryCount entries description owner { id } tlp recipients revoked';
const PUBLISH_LIST = `mutation ($input: WarningListInput!) { publishWarningList(input: $input) { ${LIST_FIELDS} } }`;
const REVOKE_LIST = `mutation ($id: ID!) { revokeWarningList(id: $id, reason: "no longer ours") { ${LIST_FIELDS} } }`;
const LISTS = `{ warningLists { id name owner { id } } }`;
const LIST = `query ($id: ID!) { warningList(id: $id) { ${LIST_FIELDS} } }`;
const PUBLISH = `mutation ($input: PublishIndicatorsInput!) {
  publishIndicators(input: $input) { created rejected results { status error { code field message } warnings { list listId version category match } indicator { id } } }
}`;
const WARNINGS = `query ($id: ID!) { indicator(id: $id) { value warnings { list listId version category match } } }`;

const egress = (extra: Record<string, unknown> = {}) => ({ name: 'egress', type: 'CIDR', entries: ['185.220.101.0/24', '185.220.102.9'], tlp: 'AMBER', description: 'our NAT', ...extra });
const item = (value: string, extra: Record<string, unknown> = {}) => ({ value, tlp: 'CLEAR', severity: 'HIGH', confidence: 80, ...extra });

let keys = 0;
async function publish(t: TestHub, token: string, values: Array<string | Record<string, unknown>>) {
  const res = await t.gql(PUBLISH, { input: { idempotencyKey: `k-${++keys}`, indicators: values.map((v) => (typeof v === 'string' ? item(v) : v)) } }, { token });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.publishIndicators;
}

describe('publishing, replacing and revoking a list', () => {
  let t: TestHub;
  let owner: string;
  let admin: string;
  let trusted: string;
  beforeAll(async () => {
    t = await startTestHub();
    owner = await t.member('wl-owner', 'TRUSTED').token(['publisher', 'reader']);
    admin = await t.token('wl-owner', ['member-admin']);
    trusted = await t.member('wl-other', 'TRUSTED').token(['publisher', 'reader']);
  });

  it('publishes a list (version 1), replaces its entries under the same name (version 2, same id), and audits both in the member\'s log', async () => {
    const first = await t.gql(PUBLISH_LIST, { input: egress() }, { token: owner });
    expect(first.body.errors).toBeUndefined();
    const list = first.body.data.publishWarningList;
    expect(list).toMatchObject({ name: 'egress', version: '1', type: 'CIDR', category: 'FALSE_POSITIVE', indicatorTypes: ['IPV4', 'IPV6', 'CIDR', 'URL'], entryCount: 2, tlp: 'AMBER', recipients: null, revoked: false, owner: { id: 'wl-owner' }, description: 'our NAT' });
    expect(list.id).toMatch(/^warning-list--[0-9a-f-]{36}$/);

    const second = await t.gql(PUBLISH_LIST, { input: egress({ entries: ['185.220.103.0/28'] }) }, { token: owner });
    expect(second.body.data.publishWarningList).toMatchObject({ id: list.id, version: '2', entries: ['185.220.103.0/28'], entryCount: 1 });
    const [hit] = (await publish(t, trusted, ['185.220.103.5', '185.220.101.7'])).results;
    expect(hit.warnings).toEqual([{ list: 'egress', listId: list.id, version: '2', category: 'FALSE_POSITIVE', match: '185.220.103.0/28' }]);

    const audit = await t.gql(`{ auditLog(first: 10) { edges { node { action memberId target { kind id } details } } } }`, {}, { token: admin });
    const entries = audit.body.data.auditLog.edges.map((e: any) => e.node).filter((n: any) => n.action.startsWith('WARNING_LIST'));
    expect(entries).toEqual([
      { action: 'WARNING_LIST_PUBLISHED', memberId: 'wl-owner', target: { kind: 'WARNING_LIST', id: list.id }, details: expect.objectContaining({ version: 2, entries: 1 }) },
      { action: 'WARNING_LIST_PUBLISHED', memberId: 'wl-owner', target: { kind: 'WARNING_LIST', id: list.id }, details: expect.objectContaining({ version: 1, entries: 2 }) },
    ]);
  });

  it('revokes a list: it stops matching at once, stays readable as revoked, and only its publisher may revoke it', async () => {
    const list = (await t.gql(PUBLISH_LIST, { input: egress({ name: 'to-revoke', entries: ['100.64.1.1'], tlp: 'GREEN' }) }, { token: owner })).body.data.publishWarningList;
    expect((await publish(t, trusted, ['100.64.1.1'])).results[0].warnings.map((w: any) => w.listId)).toContain(list.id);
    const refused = await t.gql(REVOKE_LIST, { id: list.id }, { token: trusted });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const revoked = await t.gql(REVOKE_LIST, { id: list.id }, { token: owner });
    expect(revoked.body.data.revokeWarningList).toMatchObject({ id: list.id, revoked: true });
    expect((await publish(t, trusted, [item('100.64.1.1', { confidence: 70 })])).results[0].warnings.map((w: any) => w.listId)).not.toContain(list.id);
    expect((await t.gql(LIST, { id: list.id }, { token: trusted })).body.data.warningList).toMatchObject({ revoked: true });
    const audit = await t.gql(`{ auditLog(first: 1) { edges { node { action target { id } } } } }`, {}, { token: admin });
    expect(audit.body.data.auditLog.edges[0].node).toEqual({ action: 'WARNING_LIST_REVOKED', target: { id: list.id } });
    // Republishing the name brings it back as a new version.
    const back = await t.gql(PUBLISH_LIST, { input: egress({ name: 'to-revoke', entries: ['100.64.1.1'], tlp: 'GREEN' }) }, { token: owner });
    expect(back.body.data.publishWarningList).toMatchObject({ id: list.id, version: '2', revoked: false });
  });

  it('needs the publisher role', async () => {
    const reader = await t.token('wl-other', ['reader']);
    const res = await t.gql(PUBLISH_LIST, { input: egress() }, { token: reader });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('validation', () => {
  let t: TestHub;
  let token: string;
  beforeAll(async () => {
    t = await startTestHub();
    token = await t.member('wl-val', 'TRUSTED').token(['publisher', 'reader']);
    await t.member('wl-partner', 'COMMUNITY').token();
  });

  const refusal = async (input: Record<string, unknown>) => {
    const res = await t.gql(PUBLISH_LIST, { input }, { token });
    expect(res.body.data?.publishWarningList ?? null).toBeNull();
    const e = res.body.errors?.[0];
    return { code: e?.extensions?.code, field: e?.extensions?.field, message: e?.message as string };
  };

  it.each([
    ['CIDR', ['198.51.100.0/24', '10.0.0.0/33'], 'input.entries.1', /prefix length/],
    ['CIDR', ['example.com'], 'input.entries.0', /not an IP address/],
    ['HOSTNAME', ['ok.example', 'not a host'], 'input.entries.1', /not a host name/],
    ['STRING', ['fine', '   '], 'input.entries.1', /empty/],
    ['SUBSTRING', ['x'.repeat(513)], 'input.entries.0', /longer than 512/],
    ['REGEX', ['^ok$', '(a)\\1'], 'input.entries.1', /linear time/],
    ['REGEX', ['/^ok$/i'], 'input.entries.0', /flags "i" are not allowed/],
    ['REGEX', ['[unclosed'], 'input.entries.0', /not a valid regular expression/],
  ])('refuses a bad %s entry, naming it (%j)', async (type, entries, field, message) => {
    const r = await refusal({ name: 'bad', type, entries, tlp: 'GREEN' });
    expect(r).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(r.message).toMatch(message);
  });

  it('refuses TLP and recipients exactly as for indicators, and the other caps with their field', async () => {
    expect(await refusal(egress({ tlp: 'RED' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.recipients', message: expect.stringMatching(/TLP:RED needs/) });
    expect(await refusal(egress({ tlp: 'GREEN', recipients: ['wl-partner'] }))).toMatchObject({ field: 'input.recipients', message: expect.stringMatching(/only to TLP:RED/) });
    expect(await refusal(egress({ tlp: 'RED', recipients: ['nobody'] }))).toMatchObject({ field: 'input.recipients', message: expect.stringMatching(/not a member of this hub/) });
    expect(await refusal(egress({ name: 'n'.repeat(65) }))).toMatchObject({ field: 'input.name' });
    expect(await refusal(egress({ entries: [] }))).toMatchObject({ field: 'input.entries' });
    expect(await refusal({ name: 'many', type: 'REGEX', entries: Array.from({ length: 101 }, (_, i) => `^p${i}$`), tlp: 'GREEN' })).toMatchObject({ field: 'input.entries', message: expect.stringMatching(/at most 100 patterns/) });
    expect(await refusal(egress({ indicatorTypes: ['MD5'] }))).toMatchObject({ field: 'input.indicatorTypes', message: expect.stringMatching(/cannot match MD5/) });
    expect(await refusal(egress({ description: 'd'.repeat(4_001) }))).toMatchObject({ field: 'input.description' });
    const ok = await t.gql(PUBLISH_LIST, { input: egress({ tlp: 'RED', recipients: ['wl-partner'] }) }, { token });
    expect(ok.body.data.publishWarningList).toMatchObject({ tlp: 'RED', recipients: ['wl-partner'] });
  });
});

describe('who sees a list: TLP by tier, RED by recipients, its publisher always', () => {
  let t: TestHub;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestHub({ config: { anonymousReads: true } });
    tokens.owner = await t.member('v-owner', 'COMMUNITY').token(['publisher', 'reader']);
    tokens.community = await t.member('v-community', 'COMMUNITY').token(['publisher', 'reader']);
    tokens.trusted = await t.member('v-trusted', 'TRUSTED').token(['publisher', 'reader']);
    tokens.recipient = await t.member('v-recipient', 'COMMUNITY').token(['publisher', 'reader']);
    for (const [name, tlp, recipients] of [['clear', 'CLEAR', null], ['green', 'GREEN', null], ['amber', 'AMBER', null], ['red', 'RED', ['v-recipient']]] as const) {
      const res = await t.gql(PUBLISH_LIST, { input: { name, type: 'STRING', entries: [`${name}.example`], tlp, ...(recipients ? { recipients } : {}) } }, { token: tokens.owner! });
      ids[name] = res.body.data.publishWarningList.id;
    }
  });

  const seen = async (token: string | undefined) => {
    const res = await t.gql(LISTS, {}, token ? { token } : {});
    return res.body.data.warningLists.filter((l: any) => !l.id.startsWith('misp:')).map((l: any) => l.name);
  };

  it('lists the vendored lists first (misp:<name>, no owner), then the members\' lists the viewer may see', async () => {
    const res = await t.gql(LISTS, {}, { token: tokens.trusted! });
    const lists = res.body.data.warningLists;
    expect(lists.slice(0, 20).every((l: any) => l.id.startsWith('misp:') && l.owner === null)).toBe(true);
    expect(lists[0]).toEqual({ id: 'misp:rfc1918', name: 'rfc1918', owner: null });
    expect(await seen(undefined)).toEqual(['clear']);
    expect(await seen(tokens.community)).toEqual(['clear', 'green']);
    expect(await seen(tokens.trusted)).toEqual(['clear', 'green', 'amber']);
    expect(await seen(tokens.recipient)).toEqual(['clear', 'green', 'red']);
    expect(await seen(tokens.owner)).toEqual(['clear', 'green', 'amber', 'red']);
  });

  it('answers warningList(id) null for a list the viewer may not see, as for one that does not exist; owner is gated at TRUSTED but for its own', async () => {
    const one = async (id: string, token: string) => (await t.gql(LIST, { id }, { token })).body;
    expect((await one(ids.amber!, tokens.community!)).data.warningList).toBeNull();
    expect((await one(ids.red!, tokens.trusted!)).data.warningList).toBeNull();
    expect((await one('warning-list--00000000-0000-4000-8000-000000000000', tokens.trusted!)).data.warningList).toBeNull();
    expect((await one('misp:nope', tokens.trusted!)).data.warningList).toBeNull();
    expect((await one(ids.red!, tokens.recipient!)).data.warningList).toMatchObject({ name: 'red', owner: null, recipients: null });
    expect((await one(ids.green!, tokens.trusted!)).data.warningList).toMatchObject({ owner: { id: 'v-owner' } });
    expect((await one(ids.red!, tokens.owner!)).data.warningList).toMatchObject({ owner: { id: 'v-owner' }, recipients: ['v-recipient'] });
    expect((await one('misp:rfc1918', tokens.community!)).data.warningList).toMatchObject({ type: 'CIDR', tlp: null, owner: null, revoked: false });
    // Revoking a hidden list answers as an absent one.
    const revokeHidden = await t.gql(REVOKE_LIST, { id: ids.red! }, { token: tokens.trusted! });
    const revokeAbsent = await t.gql(REVOKE_LIST, { id: ids.red!.replace(/.$/, ids.red!.endsWith('0') ? '1' : '0') }, { token: tokens.trusted! });
    expect(revokeHidden.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(revokeHidden.text.replace(ids.red!, 'X')).toBe(revokeAbsent.text.replace(/warning-list--[0-9a-f-]{36}/, 'X'));
  });

  it('warns at publish and at read exactly those who see the list', async () => {
    const warned = async (token: string, value: string) => (await publish(t, token, [value])).results[0];
    expect((await warned(tokens.community!, 'amber.example')).warnings).toEqual([]);
    const trustedResult = await warned(tokens.trusted!, 'amber.example');
    expect(trustedResult.warnings).toEqual([{ list: 'amber', listId: ids.amber, version: '1', category: 'FALSE_POSITIVE', match: 'amber.example' }]);
    expect((await warned(tokens.trusted!, 'red.example')).warnings).toEqual([]);
    const recipientResult = await warned(tokens.recipient!, 'red.example');
    expect(recipientResult.warnings.map((w: any) => w.listId)).toEqual([ids.red]);
    // At read: the trusted member's CLEAR indicator on amber.example warns TRUSTED readers only.
    const read = async (token: string, id: string) => (await t.gql(WARNINGS, { id }, { token })).body.data.indicator.warnings.map((w: any) => w.list);
    expect(await read(tokens.trusted!, trustedResult.indicator.id)).toEqual(['amber']);
    expect(await read(tokens.community!, trustedResult.indicator.id)).toEqual([]);
    expect(await read(tokens.owner!, trustedResult.indicator.id)).toEqual(['amber']);
    expect(await read(tokens.trusted!, recipientResult.indicator.id)).toEqual([]);
    expect(await read(tokens.recipient!, recipientResult.indicator.id)).toEqual(['red']);
  });
});

describe('every list type matches what it should', () => {
  let t: TestHub;
  let owner: string;
  let other: string;
  beforeAll(async () => {
    t = await startTestHub();
    owner = await t.member('types-owner', 'TRUSTED').token(['publisher', 'reader']);
    other = await t.member('types-other', 'TRUSTED').token(['publisher', 'reader']);
  });

  it.each([
    ['CIDR', ['198.51.100.0/24', '2001:db8:77::/48'], ['198.51.100.7', '2001:db8:77::1', 'http://198.51.100.8/x'], ['198.51.101.7', '2001:db8:78::1']],
    ['HOSTNAME', ['corp-egress.example'], ['corp-egress.example', 'a.b.corp-egress.example', 'https://www.corp-egress.example/p'], ['notcorp-egress.example', 'corp-egress.example.evil.net']],
    ['STRING', ['exact.example.org'], ['exact.example.org'], ['sub.exact.example.org', 'exact.example.co']],
    ['SUBSTRING', ['tracking-pixel'], ['https://cdn.example/tracking-pixel.gif', 'tracking-pixel.example'], ['https://cdn.example/pixel.gif']],
    ['REGEX', ['/^ops-[0-9]+@example\\.org$/'], ['ops-42@example.org'], ['ops-x@example.org', 'dev-42@example.org']],
  ])('%s', async (type, entries, hits, misses) => {
    const list = (await t.gql(PUBLISH_LIST, { input: { name: `t-${type}`, type, entries, tlp: 'GREEN', category: 'KNOWN' } }, { token: owner })).body.data.publishWarningList;
    const results = (await publish(t, other, [...hits, ...misses])).results;
    const mine = (r: any) => r.warnings.filter((w: any) => w.listId === list.id);
    hits.forEach((_, i) => expect(mine(results[i]), hits[i]).toEqual([expect.objectContaining({ list: `t-${type}`, category: 'KNOWN', match: expect.any(String) })]));
    misses.forEach((_, i) => expect(mine(results[hits.length + i]), misses[i]).toEqual([]));
  });
});

describe('a member\'s pattern cannot stall the hub', () => {
  it('runs a pattern that would backtrack exponentially in linear time', async () => {
    const t = await startTestHub();
    const owner = await t.member('redos-owner', 'TRUSTED').token(['publisher', 'reader']);
    const list = await t.gql(PUBLISH_LIST, { input: { name: 'redos', type: 'REGEX', entries: ['/^https?:\\/\\/x\\.example\\/(a+)+$/'], tlp: 'CLEAR' } }, { token: owner });
    expect(list.body.errors).toBeUndefined();
    // Backtracking, (a+)+$ over 40 a's and a final ! takes 2^40 steps; the linear engine answers at once.
    const started = performance.now();
    const res = await publish(t, owner, [`http://x.example/${'a'.repeat(40)}!`, `http://x.example/${'a'.repeat(40)}`]);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(res.results.map((r: any) => r.warnings.map((w: any) => w.list))).toEqual([[], ['redos']]);
  });
});

describe('HUB_WARNINGLIST_POLICY=reject engages only for a list the publisher may see', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ config: { warningListPolicy: 'reject' } });
  });

  it('refuses the TRUSTED publisher\'s item, stores the COMMUNITY publisher\'s as if the list did not exist; a KNOWN list only annotates', async () => {
    const owner = await t.member('rj-owner', 'TRUSTED').token(['publisher', 'reader']);
    const trusted = await t.member('rj-trusted', 'TRUSTED').token(['publisher', 'reader']);
    const community = await t.member('rj-community', 'COMMUNITY').token(['publisher', 'reader']);
    const list = (await t.gql(PUBLISH_LIST, { input: egress() }, { token: owner })).body.data.publishWarningList;
    await t.gql(PUBLISH_LIST, { input: { name: 'cdn', type: 'HOSTNAME', entries: ['cdn.example'], tlp: 'GREEN', category: 'KNOWN' } }, { token: owner });
    const refused = (await publish(t, trusted, ['185.220.101.7'])).results[0];
    expect(refused).toMatchObject({ status: 'REJECTED', indicator: null, error: { code: 'WARNING_LIST_MATCH', field: 'value' } });
    expect(refused.error.message).toContain('egress');
    expect(refused.warnings).toEqual([expect.objectContaining({ listId: list.id })]);
    const stored = (await publish(t, community, ['185.220.101.7', 'x.cdn.example'])).results;
    expect(stored[0]).toMatchObject({ status: 'CREATED', error: null, warnings: [] });
    expect(stored[1]).toMatchObject({ status: 'CREATED', warnings: [expect.objectContaining({ list: 'cdn', category: 'KNOWN' })] });
  });
});

describe('HUB_WARNINGLIST_POLICY=hold engages only for a list the publisher may see', () => {
  it('holds the TRUSTED publisher\'s item for approval and stores the COMMUNITY publisher\'s', async () => {
    const t = await startTestHub({ config: { warningListPolicy: 'hold' } });
    const owner = await t.member('hd-owner', 'TRUSTED').token(['publisher', 'reader']);
    const trusted = await t.member('hd-trusted', 'TRUSTED').token(['publisher', 'reader']);
    const community = await t.member('hd-community', 'COMMUNITY').token(['publisher', 'reader']);
    await t.gql(PUBLISH_LIST, { input: egress() }, { token: owner });
    const held = (await publish(t, trusted, ['185.220.101.7'])).results[0];
    expect(held).toMatchObject({ status: 'HELD', indicator: null, warnings: [expect.objectContaining({ list: 'egress' })] });
    const stored = (await publish(t, community, ['185.220.101.7'])).results[0];
    expect(stored).toMatchObject({ status: 'CREATED', warnings: [] });
  });
});

describe('AlertFilter.excludeWarned per subscriber', () => {
  afterAll(disposeStreams);

  it('drops an indicator on a member list for a subscriber who sees the list, and delivers it to one who does not', async () => {
    const t = await startTestHub({ config: { alertHeartbeatMs: 50 } });
    const owner = await t.member('al-owner', 'TRUSTED').token(['publisher', 'reader']);
    const trusted = await t.member('al-trusted', 'TRUSTED').token(['reader']);
    const community = await t.member('al-community', 'COMMUNITY').token(['reader']);
    await t.gql(PUBLISH_LIST, { input: egress() }, { token: owner });
    const seesList = await alertStream(t, trusted, { filter: { excludeWarned: true } });
    const blind = await alertStream(t, community, { filter: { excludeWarned: true } });
    const results = await publish(t, owner, ['185.220.101.7', 'clean.example']);
    const [listed, clean] = results.results.map((r: any) => r.indicator.id);
    await blind.until((s) => s.events.length === 2, 'both events');
    await seesList.until((s) => s.events.length >= 1, 'the clean event');
    await seesList.nextHeartbeats();
    expect(blind.summary).toEqual([`INDICATOR ${listed} PUBLISHED`, `INDICATOR ${clean} PUBLISHED`]);
    expect(seesList.summary).toEqual([`INDICATOR ${clean} PUBLISHED`]);
  });
});

describe('excludeWarned and the stored warnedBy weigh the member lists each viewer may see', () => {
  const LIST_VALUES = `query ($filter: IndicatorFilter) { indicators(filter: $filter, first: 50) { totalCount edges { node { value } } } }`;
  let t: TestHub;
  const tokens: Record<string, string> = {};
  let listId = '';
  const values = async (token: string, filter: Record<string, unknown> = { excludeWarned: true }) => {
    const res = await t.gql(LIST_VALUES, { filter }, { token });
    expect(res.body.errors).toBeUndefined();
    const page = res.body.data.indicators;
    const shown = page.edges.map((e: any) => e.node.value).sort();
    expect(page.totalCount).toBe(shown.length);
    return shown;
  };
  const taxiiValues = async (token: string) => {
    const res = await fetch(`${t.url.replace(/\/graphql$/, '')}/taxii2/hub/collections/ddf9e498-e313-4c9f-a961-674ccefa2ab9/objects/?match[type]=indicator&match[x_hub_warned]=false`, { headers: { accept: 'application/taxii+json;version=2.1', authorization: `Bearer ${token}` } });
    const body = await res.json();
    return (body.objects ?? []).map((o: any) => /'([^']+)'/.exec(o.pattern)?.[1]).sort();
  };
  const warnedBy = async (value: string) => (await t.hub.store.indicators.find({ value }))[0]?.warnedBy;

  beforeAll(async () => {
    t = await startTestHub();
    tokens.owner = await t.member('xw-owner', 'TRUSTED').token(['publisher', 'reader']);
    tokens.trusted = await t.member('xw-trusted', 'TRUSTED').token(['reader']);
    tokens.community = await t.member('xw-community', 'COMMUNITY').token(['reader']);
    tokens.pub = await t.member('xw-pub', 'CORE').token(['publisher', 'reader']);
    listId = (await t.gql(PUBLISH_LIST, { input: egress() }, { token: tokens.owner })).body.data.publishWarningList.id;
    await t.gql(PUBLISH_LIST, { input: { name: 'known', type: 'STRING', entries: ['185.220.99.2'], tlp: 'CLEAR', category: 'KNOWN' } }, { token: tokens.owner });
    await publish(t, tokens.pub!, ['185.220.101.7', '185.220.99.1', '185.220.99.2']);
  });

  it('stores the ids of every FALSE_POSITIVE member list a value matches (not KNOWN ones), whoever may see them', async () => {
    expect(await warnedBy('185.220.101.7')).toEqual([listId]);
    expect(await warnedBy('185.220.99.1')).toEqual([]);
    expect(await warnedBy('185.220.99.2')).toEqual([]);
  });

  it('leaves out, for a viewer who sees the list only, its matches: in queries, counts and TAXII', async () => {
    expect(await values(tokens.trusted!)).toEqual(['185.220.99.1', '185.220.99.2']);
    expect(await values(tokens.community!)).toEqual(['185.220.101.7', '185.220.99.1', '185.220.99.2']);
    expect(await values(tokens.trusted!, { excludeWarned: false })).toEqual(['185.220.101.7', '185.220.99.1', '185.220.99.2']);
    expect(await taxiiValues(tokens.trusted!)).toEqual(['185.220.99.1', '185.220.99.2']);
    expect(await taxiiValues(tokens.community!)).toEqual(['185.220.101.7', '185.220.99.1', '185.220.99.2']);
  });

  it('re-flags stored claims when a list is replaced and when it is revoked (the recompute job)', async () => {
    await t.gql(PUBLISH_LIST, { input: egress({ entries: ['185.220.99.0/24'] }) }, { token: tokens.owner! });
    await t.hub.maintenance.recomputeWarned();
    expect(await warnedBy('185.220.101.7')).toEqual([]);
    expect(await warnedBy('185.220.99.1')).toEqual([listId]);
    expect(await values(tokens.trusted!)).toEqual(['185.220.101.7']);
    await t.gql(REVOKE_LIST, { id: listId }, { token: tokens.owner! });
    await t.hub.maintenance.recomputeWarned();
    expect(await warnedBy('185.220.99.1')).toEqual([]);
    expect(await values(tokens.trusted!)).toEqual(['185.220.101.7', '185.220.99.1', '185.220.99.2']);
  });
});

describe('lists in force across instances', () => {
  it('applies this instance\'s change at once and another instance\'s within its refresh period', async () => {
    const store = createMemoryStore();
    const a = new MemberWarningLists({ lists: store.warningLists, refreshMs: 200 });
    const b = new MemberWarningLists({ lists: store.warningLists, refreshMs: 200 });
    const viewer: Viewer = { kind: 'member', memberId: 'm-x', userId: 'u', roles: ['reader'], tier: 'TRUSTED' };
    await Promise.all([a.fresh(), b.fresh()]);
    b.start((err) => { throw err; });
    const t = new Date();
    const doc = { _id: 'warning-list--1', source: 'm-a', name: 'n', type: 'cidr' as const, category: 'false_positive' as const, indicatorTypes: ['IPV4' as const], entries: ['192.0.2.0/24'], description: null, tlp: 'AMBER' as const, recipients: [], version: 1, revoked: false, revokedReason: null, createdAt: t, updatedAt: t, seq: 1 };
    await store.warningLists.insert(doc);
    a.applied(doc);
    expect(a.matches(viewer, 'IPV4', '192.0.2.1')).toHaveLength(1);
    expect(b.matches(viewer, 'IPV4', '192.0.2.1')).toHaveLength(0);
    // b's timer notices it within its period.
    await new Promise((r) => setTimeout(r, 300));
    expect(b.matches(viewer, 'IPV4', '192.0.2.1')).toEqual([expect.objectContaining({ listId: 'warning-list--1', match: '192.0.2.0/24' })]);
    // A revocation elsewhere: gone within the period too.
    await store.warningLists.replace({ ...doc, revoked: true, seq: 2 }, 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(b.matches(viewer, 'IPV4', '192.0.2.1')).toEqual([]);
    b.stop();
  });
});
