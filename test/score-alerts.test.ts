/**
 * `AlertFilter.minScore` and `excludeDecayed` (issue 16): judged per event, for the subscriber,
 * at send time (live and in a replay), only for indicators; other kinds of record pass. A real
 * hub on port 0 with a controlled clock, the official graphql-ws client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../src/domain/types.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';
import { alertStream, disposeStreams } from './support/alert-stream.js';

const DAY = 86_400_000;
let clock = Date.now();
let t: TestHub;
const tok: Record<string, string> = {};
let keys = 0;

const PUBLISH = /* GraphQL */ `
  mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { indicator { id } } } }`;
const NOTICE = /* GraphQL */ `mutation($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }`;
const SET_MODEL = /* GraphQL */ `
  mutation($type: IndicatorType!, $input: DecayModelInput!) { setDecayModel(type: $type, input: $input) { type } }`;

async function publish(who: string, value: string, confidence: number): Promise<string> {
  const res = await t.gql(PUBLISH, { input: { idempotencyKey: `k${keys++}`, indicators: [{ value, confidence, tlp: 'GREEN', severity: 'HIGH' }] } }, { token: tok[who] });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.publishIndicators.results[0].indicator.id;
}

beforeAll(async () => {
  t = await startTestHub({ config: { alertHeartbeatMs: 50 }, start: { clock: () => clock } });
  tok.core = await t.member('core-org', 'CORE').token(['publisher', 'reader']);
  tok.comm = await t.member('comm-org', 'COMMUNITY').token(['publisher', 'reader']);
  tok.trusted = await t.member('trusted-sub', 'TRUSTED').token(['reader']);
  tok.community = await t.member('community-sub', 'COMMUNITY').token(['reader']);
  await t.member('ops', 'CORE', { kind: 'AGENCY', allowedRoles: [...ROLES] }).token(['reader']);
  tok.admin = await t.tokenAs('ops', 'admin@ops', ['hub-admin', 'reader']);
});
afterAll(async () => {
  await disposeStreams();
  await t?.dispose();
});

describe('AlertFilter.minScore and excludeDecayed', () => {
  it('refuses a minScore outside 0 to 100, naming filter.minScore', async () => {
    const stream = await alertStream(t, tok.trusted, { filter: { minScore: 101 }, ready: false });
    const errors = await stream.failed;
    expect(errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.minScore' });
  });

  it('drops indicators scoring below minScore as each subscriber reads them, live and in a replay, judged at send time; other records pass', async () => {
    const all = await alertStream(t, tok.trusted);
    const communityAll = await alertStream(t, tok.community); // a cursor is its member's own: the community replay starts from one of these
    const trusted80 = await alertStream(t, tok.trusted, { filter: { minScore: 80 } });
    const community80 = await alertStream(t, tok.community, { filter: { minScore: 80 } });
    const fresh = await alertStream(t, tok.trusted, { filter: { excludeDecayed: true } });
    const commHigh = await publish('comm', '192.0.2.1', 100); // TRUSTED reads 75, COMMUNITY 100
    const coreHigh = await publish('core', '192.0.2.2', 90);
    const coreLow = await publish('core', '192.0.2.3', 25); // decayed from the start (threshold 30)
    const notice = (await t.gql(NOTICE, { input: { title: 'n', summary: 's', model: { name: 'M', developer: 'D' }, category: 'JAILBREAK', severity: 'HIGH', tlp: 'CLEAR', status: 'PUBLISHED' } }, { token: tok.core })).body.data.publishModelRiskNotice.id;
    await all.until((s) => s.events.length === 4, 'all four events');
    await communityAll.until((s) => s.events.length === 4, 'all four events');
    await Promise.all([trusted80.nextHeartbeats(), community80.nextHeartbeats(), fresh.nextHeartbeats()]);
    expect(trusted80.summary).toEqual([`INDICATOR ${coreHigh} PUBLISHED`, `NOTICE ${notice} PUBLISHED`]);
    expect(community80.summary).toEqual([`INDICATOR ${commHigh} PUBLISHED`, `INDICATOR ${coreHigh} PUBLISHED`, `NOTICE ${notice} PUBLISHED`]);
    expect(fresh.summary).toEqual([`INDICATOR ${commHigh} PUBLISHED`, `INDICATOR ${coreHigh} PUBLISHED`, `NOTICE ${notice} PUBLISHED`]);
    expect(coreLow).toBeDefined();

    // A replay judges each event when it is sent: a shorter lifetime now leaves the addresses below 80.
    expect((await t.gql(SET_MODEL, { type: 'IPV4', input: { lifetimeDays: 1, speed: 1, threshold: 30 } }, { token: tok.admin })).body.errors).toBeUndefined();
    clock += DAY / 2; // 90 * (1 - 0.5) = 45
    const replay = await alertStream(t, tok.community, { filter: { minScore: 80 }, after: communityAll.events[0]!.cursor });
    const replayFresh = await alertStream(t, tok.trusted, { filter: { excludeDecayed: true }, after: all.events[0]!.cursor });
    await Promise.all([replay.nextHeartbeats(), replayFresh.nextHeartbeats()]);
    expect(replay.summary).toEqual([`NOTICE ${notice} PUBLISHED`]);
    expect(replayFresh.summary).toEqual([`INDICATOR ${coreHigh} PUBLISHED`, `NOTICE ${notice} PUBLISHED`]); // after the first event: 45 passes, 25 was decayed already

    // Live: a sighting of a decayed address is not sent to excludeDecayed; after it resets the clock it is.
    const SIGHT = `mutation($id: ID!, $seenAt: DateTime) { reportSighting(indicatorId: $id, seenAt: $seenAt) { id } }`;
    clock += DAY;
    await t.gql(SIGHT, { id: coreHigh, seenAt: new Date(clock - DAY).toISOString() }, { token: tok.trusted }); // clock restarts a day ago: 0
    await t.gql(SIGHT, { id: coreLow }, { token: tok.trusted }); // 25: still decayed
    await t.gql(SIGHT, { id: commHigh }, { token: tok.trusted }); // 75 for this subscriber
    await all.until((s) => s.events.length === 7, 'three sightings');
    await fresh.nextHeartbeats();
    expect(fresh.summary.slice(3)).toEqual([`INDICATOR ${commHigh} SIGHTED`]);
    await t.gql(SET_MODEL, { type: 'IPV4', input: { lifetimeDays: 28, speed: 0.5, threshold: 30 } }, { token: tok.admin });
  });
});
