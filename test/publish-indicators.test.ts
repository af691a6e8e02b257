/**
 * publishIndicators end to end: per-item results, what gets stored, claims per member,
 * idempotency, batch limits and the publisher role. A real hub, real tokens, no mocks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const PUBLISH = /* GraphQL */ `
  mutation Publish($input: PublishIndicatorsInput!) {
    publishIndicators(input: $input) {
      created updated rejected replayed
      results {
        index status
        error { code message field }
        indicator { id type value submittedValue tlp recipients severity confidence validFrom validUntil tags createdAt updatedAt source { id } }
      }
    }
  }`;

const BY_VALUE = /* GraphQL */ `
  query ByValue($value: String!) {
    indicators(filter: { value: $value }, first: 50) {
      totalCount
      edges { node { id value submittedValue type severity updatedAt source { id } } }
    }
  }`;

const LOOKUP = /* GraphQL */ `
  query Lookup($values: [String!]!) { lookupIndicators(values: $values) { input known indicators { id } } }`;

let t: TestHub;
/** Publisher tokens (reader + publisher) by member id. */
const tokens: Record<string, string> = {};
let keySeq = 0;
const newKey = (label: string) => `${label}-${++keySeq}-${Date.now()}`;

const item = (value: string, extra: Record<string, unknown> = {}) => ({ value, tlp: 'CLEAR', severity: 'MEDIUM', confidence: 50, ...extra });

async function publish(member: string, indicators: unknown[], idempotencyKey = newKey(member)) {
  return t.gql(PUBLISH, { input: { idempotencyKey, indicators } }, { token: tokens[member] });
}

async function publishOk(member: string, indicators: unknown[], idempotencyKey?: string) {
  const res = await publish(member, indicators, idempotencyKey);
  expect(res.body.errors).toBeUndefined();
  return res.body.data.publishIndicators;
}

async function byValue(value: string, viewer = 'pi-viewer') {
  const res = await t.gql(BY_VALUE, { value }, { token: tokens[viewer] });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.indicators as { totalCount: number; edges: Array<{ node: any }> };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  // Anonymous reads on, so that an anonymous publish reaches the role check instead of the front door.
  t = await startTestHub({ config: { anonymousReads: true } });
  for (const [id, tier] of [['pi-alpha', 'TRUSTED'], ['pi-beta', 'TRUSTED'], ['pi-viewer', 'CORE']] as const) {
    tokens[id] = await t.member(id, tier).token(['reader', 'publisher']);
  }
  tokens['pi-reader'] = await t.member('pi-reader', 'TRUSTED').token(['reader']);
  tokens['pi-capped'] = await t.member('pi-capped', 'TRUSTED', { allowedRoles: ['reader'] }).token(['reader', 'publisher']);
});

describe('per-item results', () => {
  it('answers every item with its index and status, and names the field and reason of each rejection', async () => {
    const payload = await publishOk('pi-alpha', [
      item('198.51.100.7'),
      item('not a value!!'),
      item('typed-wrong.example', { type: 'IPV4' }),
      item('red-no-recipients.example', { tlp: 'RED' }),
      item('amber-with-recipients.example', { tlp: 'AMBER', recipients: ['pi-beta'] }),
      item('red-stranger.example', { tlp: 'RED', recipients: ['pi-nobody-by-that-name'] }),
      item('too-confident.example', { confidence: 101 }),
      item('backwards.example', { validFrom: '2025-01-02T00:00:00Z', validUntil: '2025-01-01T00:00:00Z' }),
      item('zero-length.example', { validFrom: '2025-01-02T00:00:00Z', validUntil: '2025-01-02T00:00:00Z' }),
      item('red-ok.example', { tlp: 'RED', recipients: ['pi-beta'] }),
    ]);
    const r = payload.results;
    expect(r.map((x: any) => x.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(r.map((x: any) => x.status)).toEqual([
      'CREATED', 'REJECTED', 'REJECTED', 'REJECTED', 'REJECTED', 'REJECTED', 'REJECTED', 'REJECTED', 'REJECTED', 'CREATED',
    ]);
    expect(r.map((x: any) => x.error && [x.error.code, x.error.field])).toEqual([
      null,
      ['INVALID_VALUE', 'value'],
      ['TYPE_MISMATCH', 'value'],
      ['RECIPIENTS_REQUIRED', 'recipients'],
      ['RECIPIENTS_NOT_ALLOWED', 'recipients'],
      ['UNKNOWN_RECIPIENT', 'recipients'],
      ['OUT_OF_RANGE', 'confidence'],
      ['INVALID_RANGE', 'validUntil'],
      ['INVALID_RANGE', 'validUntil'],
      null,
    ]);
    for (const rejected of r.filter((x: any) => x.status === 'REJECTED')) {
      expect(rejected.indicator).toBeNull();
      expect(rejected.error.message.length).toBeGreaterThan(5);
    }
    expect(r[2].error.message).toMatch(/DOMAIN/);
    expect(r[5].error.message).toContain('pi-nobody-by-that-name');
    expect({ created: payload.created, updated: payload.updated, rejected: payload.rejected, replayed: payload.replayed })
      .toEqual({ created: 2, updated: 0, rejected: 8, replayed: false });
    expect(r[0].indicator).toMatchObject({ type: 'IPV4', value: '198.51.100.7', tlp: 'CLEAR', source: { id: 'pi-alpha' } });
    expect(r[9].indicator).toMatchObject({ value: 'red-ok.example', tlp: 'RED', recipients: ['pi-beta'] });
  });

  it('stores the valid items of a batch even when others are rejected', async () => {
    const payload = await publishOk('pi-alpha', [
      item('kept-one.pi.example'),
      item('999.1.1.1'),
      item('kept-two.pi.example', { tlp: 'GREEN', severity: 'HIGH' }),
      item('dropped.pi.example', { confidence: -1 }),
    ]);
    expect(payload.results.map((x: any) => x.status)).toEqual(['CREATED', 'REJECTED', 'CREATED', 'REJECTED']);
    const res = await t.gql(LOOKUP, { values: ['kept-one.pi.example', '999.1.1.1', 'kept-two.pi.example', 'dropped.pi.example'] }, { token: tokens['pi-viewer'] });
    expect(res.body.data.lookupIndicators.map((a: any) => a.known)).toEqual([true, false, true, false]);
    expect(res.body.data.lookupIndicators[2].indicators).toEqual([{ id: payload.results[2].indicator.id }]);
  });
});

describe('normalisation', () => {
  it('stores defanged values normalised, keeps what was submitted, and infers the type', async () => {
    const submitted = ['hxxps://Evil[.]Example/Path?q=1#frag', 'Phish-Ops[@]Mail[.]Example', '192.0.2[.]44', 'AB'.repeat(32)];
    const payload = await publishOk('pi-alpha', submitted.map((v) => item(v)));
    const ids = payload.results.map((x: any) => x.indicator.id);
    const res = await t.gql(
      `query($a: ID!, $b: ID!, $c: ID!, $d: ID!) {
         a: indicator(id: $a) { ...F } b: indicator(id: $b) { ...F } c: indicator(id: $c) { ...F } d: indicator(id: $d) { ...F }
       }
       fragment F on Indicator { type value submittedValue }`,
      { a: ids[0], b: ids[1], c: ids[2], d: ids[3] },
      { token: tokens['pi-viewer'] },
    );
    expect(res.body.errors).toBeUndefined();
    expect(Object.values(res.body.data)).toEqual([
      { type: 'URL', value: 'https://evil.example/Path?q=1', submittedValue: submitted[0] },
      { type: 'EMAIL', value: 'Phish-Ops@mail.example', submittedValue: submitted[1] },
      { type: 'IPV4', value: '192.0.2.44', submittedValue: submitted[2] },
      { type: 'SHA256', value: 'ab'.repeat(32), submittedValue: submitted[3] },
    ]);
  });
});

describe('claims', () => {
  it('updates the publisher\'s own claim when it publishes the same value again', async () => {
    const first = await publishOk('pi-alpha', [item('again.pi.example', { severity: 'LOW' })]);
    const created = first.results[0].indicator;
    expect((await byValue('again.pi.example')).totalCount).toBe(1);
    await sleep(5);
    // The defanged spelling is the same value once normalised.
    const second = await publishOk('pi-alpha', [item('again[.]pi[.]example', { severity: 'CRITICAL' })]);
    expect(second.results[0].status).toBe('UPDATED');
    expect(second.updated).toBe(1);
    expect(second.results[0].indicator.id).toBe(created.id);
    const after = await byValue('again.pi.example');
    expect(after.totalCount).toBe(1);
    expect(after.edges).toHaveLength(1);
    expect(after.edges[0]!.node).toMatchObject({ id: created.id, severity: 'CRITICAL', submittedValue: 'again[.]pi[.]example' });
    expect(new Date(after.edges[0]!.node.updatedAt).getTime()).toBeGreaterThan(new Date(created.updatedAt).getTime());
  });

  it('keeps the same value from another member as a second claim', async () => {
    const a = await publishOk('pi-alpha', [item('shared.pi.example')]);
    const b = await publishOk('pi-beta', [item('shared.pi.example', { tlp: 'GREEN' })]);
    expect(b.results[0].status).toBe('CREATED');
    expect(b.results[0].indicator.id).not.toBe(a.results[0].indicator.id);
    const seen = await byValue('shared.pi.example');
    expect(seen.totalCount).toBe(2);
    expect(seen.edges.map((e) => e.node.source.id).sort()).toEqual(['pi-alpha', 'pi-beta']);
  });

  it('answers a value named twice in one batch with the claim as the whole batch left it, for both items', async () => {
    const res = await publishOk('pi-alpha', [item('twice.pi.example', { severity: 'LOW', tags: ['a'] }), item('twice[.]pi[.]example', { severity: 'HIGH', tags: ['b'] })]);
    expect(res.results.map((r: { status: string }) => r.status)).toEqual(['CREATED', 'UPDATED']);
    const [first, second] = res.results.map((r: { indicator: unknown }) => r.indicator);
    expect(first).toEqual(second);
    expect(first).toMatchObject({ severity: 'HIGH', tags: ['b'], submittedValue: 'twice[.]pi[.]example' });
  });

  it('reads the indicators once per publish (the publisher\'s own claims), not back after writing them', async () => {
    t.hub.storeCalls.reset();
    const res = await publishOk('pi-alpha', [item('read-once-1.pi.example'), item('read-once-2.pi.example', { tlp: 'GREEN' })]);
    expect(res.created).toBe(2);
    expect(res.results[1].indicator).toMatchObject({ value: 'read-once-2.pi.example', tlp: 'GREEN', source: { id: 'pi-alpha' } });
    expect(t.hub.storeCalls.calls.get('indicators.find')).toBe(1);
  });
});

describe('idempotency', () => {
  it('answers a replayed request with the first answer and stores nothing new', async () => {
    const key = newKey('replay');
    const batch = [item('replay-one.pi.example'), item('bad value here'), item('replay-two.pi.example', { tlp: 'AMBER' })];
    const first = await publishOk('pi-alpha', batch, key);
    expect(first.replayed).toBe(false);
    const before = await byValue('replay-one.pi.example');
    await sleep(10);
    const again = await publishOk('pi-alpha', batch, key);
    expect(again.replayed).toBe(true);
    expect(again.results.map((x: any) => [x.index, x.status, x.indicator?.id ?? null, x.error?.code ?? null])).toEqual(
      first.results.map((x: any) => [x.index, x.status, x.indicator?.id ?? null, x.error?.code ?? null]),
    );
    expect([again.created, again.updated, again.rejected]).toEqual([2, 0, 1]);
    const after = await byValue('replay-one.pi.example');
    expect(after.totalCount).toBe(1);
    expect(after.edges[0]!.node.updatedAt).toBe(before.edges[0]!.node.updatedAt);
    expect(again.results[2].indicator.updatedAt).toBe(first.results[2].indicator.updatedAt);
  });

  it('refuses the same key with a different batch, and stores nothing from it', async () => {
    const key = newKey('conflict');
    await publishOk('pi-alpha', [item('conflict-one.pi.example')], key);
    const res = await publish('pi-alpha', [item('conflict-two.pi.example')], key);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(res.body.data ?? null).toBeNull();
    expect((await byValue('conflict-two.pi.example')).totalCount).toBe(0);
  });

  it('treats the same key from another member as a new request', async () => {
    const key = newKey('shared-key');
    const batch = [item('same-key.pi.example')];
    const a = await publishOk('pi-alpha', batch, key);
    const b = await publishOk('pi-beta', batch, key);
    expect(b.replayed).toBe(false);
    expect(b.results[0].status).toBe('CREATED');
    expect(b.results[0].indicator.source.id).toBe('pi-beta');
    expect(b.results[0].indicator.id).not.toBe(a.results[0].indicator.id);
    expect((await byValue('same-key.pi.example')).totalCount).toBe(2);
  });
});

describe('batch limits', () => {
  const ipv4 = (prefix: string, i: number) => `${prefix}.${i >> 8}.${i & 255}`;
  const COUNT_TAG = /* GraphQL */ `query($tag: String!) { indicators(filter: { tags: [$tag] }, first: 0) { totalCount } }`;

  it('refuses an empty batch', async () => {
    const res = await publish('pi-alpha', []);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.extensions?.field).toBe('input.indicators');
  });

  it('refuses a batch of 5,001 items as a whole, naming input.indicators', async () => {
    const items = Array.from({ length: 5_001 }, (_, i) => item(ipv4('10.2', i), { tags: ['limit-5001'] }));
    const res = await publish('pi-alpha', items);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.extensions?.field).toBe('input.indicators');
    const count = await t.gql(COUNT_TAG, { tag: 'limit-5001' }, { token: tokens['pi-alpha'] });
    expect(count.body.data.indicators.totalCount).toBe(0);
  });

  it('accepts a batch of exactly 5,000 items', async () => {
    const items = Array.from({ length: 5_000 }, (_, i) => item(ipv4('10.1', i), { tags: ['limit-5000'] }));
    // Every field of 5,000 indicators could exceed the response budget (docs/limits.md): a big batch asks for less.
    const res = await t.gql(
      `mutation ($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { created updated rejected results { index status indicator { value } } } }`,
      { input: { idempotencyKey: newKey('pi-alpha'), indicators: items } },
      { token: tokens['pi-alpha'] },
    );
    expect(res.body.errors).toBeUndefined();
    const payload = res.body.data.publishIndicators;
    expect([payload.created, payload.updated, payload.rejected]).toEqual([5_000, 0, 0]);
    expect(payload.results[4_999]).toMatchObject({ index: 4_999, status: 'CREATED', indicator: { value: '10.1.19.135' } });
    const count = await t.gql(COUNT_TAG, { tag: 'limit-5000' }, { token: tokens['pi-viewer'] });
    expect(count.body.data.indicators.totalCount).toBe(5_000);
  });
});

describe('who may publish', () => {
  it('refuses a token without the publisher role with FORBIDDEN', async () => {
    const res = await t.gql(PUBLISH, { input: { idempotencyKey: newKey('reader'), indicators: [item('reader-only.pi.example')] } }, { token: tokens['pi-reader'] });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await byValue('reader-only.pi.example')).totalCount).toBe(0);
  });

  it('refuses a publisher role the hub does not allow the member, whatever the token says', async () => {
    const res = await t.gql(PUBLISH, { input: { idempotencyKey: newKey('capped'), indicators: [item('capped.pi.example')] } }, { token: tokens['pi-capped'] });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await byValue('capped.pi.example')).totalCount).toBe(0);
  });

  it('refuses an anonymous caller with UNAUTHENTICATED', async () => {
    const res = await t.gql(PUBLISH, { input: { idempotencyKey: newKey('anon'), indicators: [item('anonymous.pi.example')] } });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.body.data ?? null).toBeNull();
    expect((await byValue('anonymous.pi.example')).totalCount).toBe(0);
  });
});
