/**
 * Indicator scores that decay, computed when read (issue 16): a real hub on port 0 with a
 * controlled clock, real tokens, the real mutations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../src/domain/types.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const DAY = 86_400_000;
// Forward from the real time: the alert log is trimmed by the real clock.
let clock = Date.now();
let t: TestHub;
let core: string;
let trusted: string;
let reader: string;
let admin: string;
let coreAdmin: string;
const readers: string[] = [];

const SCORE = /* GraphQL */ `query($id: ID!) { indicator(id: $id) { score decayed } }`;
const PUBLISH = /* GraphQL */ `
  mutation($input: PublishIndicatorsInput!) {
    publishIndicators(input: $input) { results { status indicator { id score decayed } error { code field } } }
  }`;
const SIGHT = /* GraphQL */ `
  mutation($id: ID!, $seenAt: DateTime) { reportSighting(indicatorId: $id, seenAt: $seenAt) { id score decayed } }`;

let keys = 0;
async function publish(token: string, value: string, confidence = 100) {
  const res = await t.gql(PUBLISH, { input: { idempotencyKey: `k${keys++}`, indicators: [{ value, tlp: 'GREEN', severity: 'HIGH', confidence }] } }, { token });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.publishIndicators.results[0].indicator as { id: string; score: number; decayed: boolean };
}
async function score(id: string, token = reader) {
  const res = await t.gql(SCORE, { id }, { token });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.indicator as { score: number; decayed: boolean };
}

beforeAll(async () => {
  t = await startTestHub({ start: { clock: () => clock } });
  core = await t.member('core-org', 'CORE').token(['publisher', 'reader']);
  trusted = await t.member('trusted-org', 'TRUSTED').token(['publisher', 'reader']);
  reader = await t.member('reader-org', 'TRUSTED').token(['reader']);
  await t.member('ops', 'CORE', { kind: 'AGENCY', allowedRoles: [...ROLES] }).token(['reader']);
  admin = await t.tokenAs('ops', 'admin@ops', ['hub-admin', 'reader']);
  coreAdmin = await t.tokenAs('core-org', 'admin@core-org', ['member-admin', 'reader']);
  for (const id of ['fp-1', 'fp-2', 'fp-3', 'fp-4']) readers.push(await t.member(id, 'COMMUNITY').token(['reader']));
});
afterAll(async () => t?.dispose());

describe('indicator scores that decay', () => {
  it('an IP address decays over weeks, with its base from confidence and the publisher tier', async () => {
    const ip = await publish(core, '198.51.100.7');
    expect(ip).toMatchObject({ score: 100, decayed: false });
    expect((await publish(trusted, '198.51.100.8', 100)).score).toBe(90);
    clock += 14 * DAY; // IPV4: 28 days, speed 0.5 -> 100 * (1 - (14/28)^2)
    expect(await score(ip.id)).toEqual({ score: 75, decayed: false });
    clock += 11 * DAY; // 100 * (1 - (25/28)^2) = 20.3, below the threshold of 30
    expect(await score(ip.id)).toEqual({ score: 20, decayed: true });
    clock += 10 * DAY;
    expect(await score(ip.id)).toEqual({ score: 0, decayed: true });
  });

  it('re-publication of the same claim resets the clock', async () => {
    const ip = await publish(core, '198.51.100.20');
    clock += 25 * DAY;
    expect((await score(ip.id)).decayed).toBe(true);
    const again = await publish(core, '198.51.100.20');
    expect(again).toMatchObject({ id: ip.id, score: 100, decayed: false });
    expect(await score(ip.id)).toEqual({ score: 100, decayed: false });
  });

  it('a true-positive sighting resets the clock, from when it was seen', async () => {
    const ip = await publish(core, '198.51.100.30');
    clock += 20 * DAY; // 100 * (1 - (20/28)^2) = 48.98
    expect((await score(ip.id)).score).toBe(48);
    const seenAt = new Date(clock - 14 * DAY).toISOString(); // seen 14 days ago: the clock restarts there
    const res = await t.gql(SIGHT, { id: ip.id, seenAt }, { token: reader });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.reportSighting).toMatchObject({ score: 75, decayed: false });
    // an older sighting does not move the clock back
    await t.gql(SIGHT, { id: ip.id, seenAt: new Date(clock - 19 * DAY).toISOString() }, { token: reader });
    expect((await score(ip.id)).score).toBe(75);
    await t.gql(SIGHT, { id: ip.id }, { token: reader });
    expect(await score(ip.id)).toEqual({ score: 100, decayed: false });
  });

  it('a domain decays over months and a file hash over years', async () => {
    const domain = await publish(core, 'decay-test.example');
    const hash = await publish(core, 'a'.repeat(64));
    clock += 60 * DAY;
    expect((await score(domain.id)).decayed).toBe(false);
    expect((await score(hash.id)).score).toBe(99); // 100 * (1 - (60/730)^(1/0.3)) = 99.98
    clock += 200 * DAY;
    expect((await score(domain.id)).decayed).toBe(true);
    expect((await score(hash.id)).decayed).toBe(false);
  });

  it('lists the decay model of every indicator type', async () => {
    const res = await t.gql(`{ decayModels { type lifetimeDays speed threshold } }`, {}, { token: reader });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.decayModels).toHaveLength(10);
    expect(res.body.data.decayModels).toContainEqual({ type: 'IPV4', lifetimeDays: 28, speed: 0.5, threshold: 30 });
  });

  it('a model change applies to existing indicators at once, by a hub-admin only, audited', async () => {
    const ip = await publish(core, '198.51.100.40');
    clock += 14 * DAY;
    expect((await score(ip.id)).score).toBe(75);
    const SET = `mutation($type: IndicatorType!, $input: DecayModelInput!) { setDecayModel(type: $type, input: $input) { type lifetimeDays speed threshold } }`;
    const refused = await t.gql(SET, { type: 'IPV4', input: { lifetimeDays: 56, speed: 1, threshold: 30 } }, { token: core });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const bad = await t.gql(SET, { type: 'IPV4', input: { lifetimeDays: 56, speed: 0, threshold: 30 } }, { token: admin });
    expect(bad.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.speed' });
    const set = await t.gql(SET, { type: 'IPV4', input: { lifetimeDays: 56, speed: 1, threshold: 30 } }, { token: admin });
    expect(set.body.errors).toBeUndefined();
    expect(set.body.data.setDecayModel).toEqual({ type: 'IPV4', lifetimeDays: 56, speed: 1, threshold: 30 });
    expect(await score(ip.id)).toEqual({ score: 75, decayed: false }); // 100 * (1 - 14/56), linear now
    clock += 7 * DAY;
    expect((await score(ip.id)).score).toBe(62); // 100 * (1 - 21/56) = 62.5
    const models = await t.gql(`{ decayModels { type lifetimeDays } }`, {}, { token: reader });
    expect(models.body.data.decayModels).toContainEqual({ type: 'IPV4', lifetimeDays: 56 });
    const log = await t.gql(`{ auditLog(filter: { action: [DECAY_MODEL_SET] }) { edges { node { actor { userId } details } } } }`, {}, { token: admin });
    expect(log.body.data.auditLog.edges.map((e: any) => e.node)).toEqual([{ actor: { userId: 'admin@ops' }, details: { type: 'IPV4', lifetimeDays: 56, speed: 1, threshold: 30 } }]);
    // back to the default, for the tests after this one
    await t.gql(SET, { type: 'IPV4', input: { lifetimeDays: 28, speed: 0.5, threshold: 30 } }, { token: admin });
  });

  it("an analyst's override sticks, without decaying, until the next re-publication; only the publisher's people set it", async () => {
    const ip = await publish(core, '198.51.100.50');
    const OVERRIDE = `mutation($id: ID!, $score: Int!, $reason: String!) { overrideScore(indicatorId: $id, score: $score, reason: $reason) { score decayed } }`;
    const other = await t.gql(OVERRIDE, { id: ip.id, score: 10, reason: 'mine' }, { token: trusted });
    expect(other.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const bad = await t.gql(OVERRIDE, { id: ip.id, score: 101, reason: 'x' }, { token: core });
    expect(bad.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'score' });
    const set = await t.gql(OVERRIDE, { id: ip.id, score: 85, reason: 'still active C2, confirmed by our IR team' }, { token: core });
    expect(set.body.errors).toBeUndefined();
    expect(set.body.data.overrideScore).toEqual({ score: 85, decayed: false });
    clock += 60 * DAY; // the model would have it at 0 by now
    expect(await score(ip.id)).toEqual({ score: 85, decayed: false });
    // a true-positive sighting restarts the clock but does not end the analyst's decision
    await t.gql(SIGHT, { id: ip.id }, { token: reader });
    expect((await score(ip.id)).score).toBe(85);
    await publish(core, '198.51.100.50');
    expect(await score(ip.id)).toEqual({ score: 100, decayed: false });
    const log = await t.gql(`{ auditLog(filter: { action: [SCORE_OVERRIDDEN] }) { edges { node { memberId target { id } details } } } }`, {}, { token: coreAdmin });
    expect(log.body.data.auditLog.edges.map((e: any) => e.node)).toEqual([{ memberId: 'core-org', target: { id: ip.id }, details: { score: 85, reason: 'still active C2, confirmed by our IR team' } }]);
  });

  it("false positives lower the score per distinct member, and at HUB_FP_ALERT_MEMBERS the publisher's log says so without naming them", async () => {
    const ip = await publish(core, '198.51.100.60');
    const FP = `mutation($id: ID!) { reportSighting(indicatorId: $id, kind: FALSE_POSITIVE) { score sightingCount sightings { kind } } }`;
    const first = await t.gql(FP, { id: ip.id }, { token: readers[0] });
    expect(first.body.errors).toBeUndefined();
    expect((await score(ip.id)).score).toBe(50);
    await t.gql(FP, { id: ip.id }, { token: readers[0] }); // the same member again: no further effect
    expect((await score(ip.id)).score).toBe(50);
    await t.gql(FP, { id: ip.id }, { token: core }); // the publisher's own doubt does not count
    expect((await score(ip.id)).score).toBe(50);
    await t.gql(FP, { id: ip.id }, { token: readers[1] });
    expect(await score(ip.id)).toEqual({ score: 25, decayed: true });
    const FP_LOG = `{ auditLog(filter: { action: [FALSE_POSITIVES_REPORTED] }) { edges { node { memberId actor { memberId } target { id } summary details } } } }`;
    expect((await t.gql(FP_LOG, {}, { token: coreAdmin })).body.data.auditLog.edges).toEqual([]);
    const third = await t.gql(FP, { id: ip.id }, { token: readers[2] });
    expect(third.body.data.reportSighting.sightingCount).toBe(0); // false positives are not sightings of harm
    expect((await score(ip.id)).score).toBe(12);
    await t.gql(FP, { id: ip.id }, { token: readers[3] }); // past the alert level: no second entry
    const res = await t.gql(FP_LOG, {}, { token: coreAdmin });
    expect(res.body.data.auditLog.edges.map((e: any) => e.node)).toEqual([
      { memberId: 'core-org', actor: null, target: { id: ip.id }, summary: `3 members reported indicator ${ip.id} as a false positive`, details: { reporters: 3 } },
    ]);
    expect(res.text).not.toMatch(/fp-[1-4]/);
    const kinds = await t.gql(`query($id: ID!) { indicator(id: $id) { sightings { kind } } }`, { id: ip.id }, { token: reader });
    expect(kinds.body.data.indicator.sightings.filter((s: any) => s.kind === 'FALSE_POSITIVE')).toHaveLength(6);
  });

  it('STIX and TAXII show the score as confidence, valid_until when it crosses the threshold, and mark decayed indicators', async () => {
    const ip = await publish(core, '198.51.100.70');
    const early = await t.gql(PUBLISH, { input: { idempotencyKey: `k${keys++}`, indicators: [{ value: '198.51.100.71', tlp: 'GREEN', severity: 'HIGH', confidence: 100, validUntil: new Date(clock + 2 * DAY).toISOString() }] } }, { token: core });
    const earlyId = early.body.data.publishIndicators.results[0].indicator.id;
    const publishedAt = clock;
    const STIX = `query($id: ID!) { indicator(id: $id) { stix } }`;
    const stixOf = async (id: string) => (await t.gql(STIX, { id }, { token: reader })).body.data.indicator.stix;
    const ext = 'extension-definition--7cdd1d6a-f974-4d04-9e13-f89165bef55f';
    // IPV4 default: 100 * (1 - (t/28d)^2) < 30 from t = 28d * sqrt(0.7) = 23.43 days
    const crossing = Date.parse((await stixOf(ip.id)).valid_until);
    expect(crossing - publishedAt).toBeGreaterThan(23.4 * DAY);
    expect(crossing - publishedAt).toBeLessThan(23.5 * DAY);
    expect(await stixOf(ip.id)).toMatchObject({ confidence: 100, extensions: { [ext]: { publisher_confidence: 100 } } });
    // the publisher's own validUntil, when earlier, is kept
    expect(Date.parse((await stixOf(earlyId)).valid_until)).toBe(publishedAt + 2 * DAY);
    clock += 14 * DAY;
    expect(await stixOf(ip.id)).toMatchObject({ confidence: 75 });
    expect((await stixOf(ip.id)).extensions[ext].decayed).toBeUndefined();
    clock += 10 * DAY; // 100 * (1 - (24/28)^2) = 26.5
    const decayed = await stixOf(ip.id);
    expect(decayed).toMatchObject({ confidence: 26, labels: ['decayed'], extensions: { [ext]: { decayed: true, publisher_confidence: 100 } } });
    const taxii = await fetch(`${t.url.replace(/\/graphql$/, '')}/taxii2/hub/collections/indicators/objects/?match[id]=${ip.id}`, {
      headers: { accept: 'application/taxii+json;version=2.1', authorization: `Bearer ${reader}` },
    });
    expect(taxii.status).toBe(200);
    const [object] = (await taxii.json()).objects;
    expect(object).toMatchObject({ id: ip.id, confidence: 26, labels: ['decayed'], valid_until: decayed.valid_until });
  });

  it("the score never tells a viewer who may not see the publisher anything about the publisher's tier", async () => {
    const community = await t.member('community-org', 'COMMUNITY').token(['reader', 'publisher']);
    const fromTrusted = await publish(trusted, '198.51.100.80', 80);
    const fromCore = await publish(core, '198.51.100.81', 80);
    // A TRUSTED viewer sees the source, and the tier-weighted base (0.9 for TRUSTED)...
    expect((await score(fromTrusted.id, reader)).score).toBe(72);
    expect((await score(fromCore.id, reader)).score).toBe(80);
    // ...a COMMUNITY viewer does not: both scores come from the confidence alone.
    expect((await score(fromTrusted.id, community)).score).toBe(80);
    expect((await score(fromCore.id, community)).score).toBe(80);
    const STIX = `query($id: ID!) { indicator(id: $id) { stix } }`;
    expect((await t.gql(STIX, { id: fromTrusted.id }, { token: community })).body.data.indicator.stix.confidence).toBe(80);
    expect((await t.gql(STIX, { id: fromTrusted.id }, { token: reader })).body.data.indicator.stix.confidence).toBe(72);
    // One base per viewer, its own indicators included: a COMMUNITY publisher reads its own
    // claim without its tier (0.75), as its score filters do; a TRUSTED viewer reads it weighed.
    const own = await publish(community, '198.51.100.82', 80);
    expect(own.score).toBe(80);
    expect((await score(own.id, community)).score).toBe(80);
    expect((await t.gql(STIX, { id: own.id }, { token: community })).body.data.indicator.stix.confidence).toBe(80);
    expect((await score(own.id, reader)).score).toBe(60);
  });
});
