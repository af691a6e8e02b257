/**
 * Indicator scores that decay, computed when read (issue 16): a real hub on port 0 with a
 * controlled clock, real tokens, the real mutations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const DAY = 86_400_000;
// Forward from the real time: the alert log is trimmed by the real clock.
let clock = Date.now();
let t: TestHub;
let core: string;
let trusted: string;
let reader: string;

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
});
