/**
 * The stored score bases (issue 16, item 2): every claim keeps `scoreBase` (tier weighed) and
 * `scoreBaseOpen` right after each publish, false-positive report and tier change, and a hub
 * fills or finishes them at start. A real hub on port 0, real tokens, the real mutations.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROLES, type IndicatorDoc } from '../src/domain/types.js';
import { parseConfig } from '../src/config.js';
import { startHub } from '../src/main.js';
import pino from 'pino';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

let t: TestHub;
let core: string;
let community: string;
let admin1: string;
let admin2: string;
const reporters: string[] = [];

const PUBLISH = /* GraphQL */ `
  mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { status indicator { id } error { code } } } }`;
const FP = /* GraphQL */ `mutation($id: ID!) { reportSighting(indicatorId: $id, kind: FALSE_POSITIVE) { id } }`;
const TIER = /* GraphQL */ `mutation($memberId: ID!, $tier: Tier!) { requestTierChange(memberId: $memberId, tier: $tier, reason: "track record") { id } }`;
const APPROVE = /* GraphQL */ `mutation($id: ID!) { approveRequest(id: $id) { status } }`;

let keys = 0;
async function publish(token: string, value: string, confidence: number): Promise<string> {
  const res = await t.gql(PUBLISH, { input: { idempotencyKey: `k${keys++}`, indicators: [{ value, tlp: 'GREEN', severity: 'HIGH', confidence }] } }, { token });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.publishIndicators.results[0].indicator.id;
}
async function stored(id: string): Promise<Pick<IndicatorDoc, 'scoreBase' | 'scoreBaseOpen'>> {
  const [doc] = await t.hub.store.indicators.find({ _id: id });
  return { scoreBase: doc!.scoreBase, scoreBaseOpen: doc!.scoreBaseOpen };
}

beforeAll(async () => {
  t = await startTestHub();
  core = await t.member('core-org', 'CORE').token(['publisher', 'reader']);
  community = await t.member('mover', 'COMMUNITY').token(['publisher', 'reader']);
  await t.member('ops', 'CORE', { kind: 'AGENCY', allowedRoles: [...ROLES] }).token(['reader']);
  admin1 = await t.tokenAs('ops', 'admin1@ops', ['hub-admin', 'reader']);
  admin2 = await t.tokenAs('ops', 'admin2@ops', ['hub-admin', 'reader']);
  for (const id of ['fp-a', 'fp-b']) reporters.push(await t.member(id, 'TRUSTED').token(['reader']));
});
afterAll(async () => t?.dispose());

describe('stored score bases', () => {
  it('a publish stores both bases: weighed by the publisher tier, and without it', async () => {
    expect(await stored(await publish(core, '203.0.113.1', 80))).toEqual({ scoreBase: 80, scoreBaseOpen: 80 });
    expect(await stored(await publish(community, '203.0.113.2', 80))).toEqual({ scoreBase: 60, scoreBaseOpen: 80 });
  });

  it('each distinct false-positive reporter halves both, the publisher own report does not, and a re-publication keeps the reports', async () => {
    const id = await publish(core, '203.0.113.3', 100);
    await t.gql(FP, { id }, { token: core });
    expect(await stored(id)).toEqual({ scoreBase: 100, scoreBaseOpen: 100 });
    expect((await t.gql(FP, { id }, { token: reporters[0] })).body.errors).toBeUndefined();
    expect(await stored(id)).toEqual({ scoreBase: 50, scoreBaseOpen: 50 });
    await t.gql(FP, { id }, { token: reporters[1] });
    expect(await stored(id)).toEqual({ scoreBase: 25, scoreBaseOpen: 25 });
    await publish(core, '203.0.113.3', 60);
    expect(await stored(id)).toEqual({ scoreBase: 15, scoreBaseOpen: 15 });
  });

  it("a tier change rewrites every claim of the member, and marks the member done", async () => {
    const ids: string[] = [];
    for (let i = 10; i < 15; i++) ids.push(await publish(community, `203.0.113.${i}`, 100));
    for (const id of ids) expect(await stored(id)).toEqual({ scoreBase: 75, scoreBaseOpen: 100 });
    const req = (await t.gql(TIER, { memberId: 'mover', tier: 'TRUSTED' }, { token: admin1 })).body.data.requestTierChange;
    expect((await t.gql(APPROVE, { id: req.id }, { token: admin2 })).body.data.approveRequest.status).toBe('APPROVED');
    await vi.waitFor(async () => {
      for (const id of ids) expect(await stored(id)).toEqual({ scoreBase: 90, scoreBaseOpen: 100 });
      expect((await t.hub.store.members.findByIds(['mover']))[0]!.scoreTier).toBe('TRUSTED');
    });
  });
});

describe('at start', () => {
  it('fills the bases of claims stored without them and finishes a tier rewrite cut short', async () => {
    const dataDir = t.dataDir;
    const config = parseConfig({ PORT: '0', HUB_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, { demo: false });
    const a = await publish(core, '203.0.113.40', 90);
    const b = await publish(community, '203.0.113.41', 90);
    // As an earlier hub left them: no bases on one claim; a tier changed with its rewrite cut short.
    await t.hub.store.indicators.updateOne({ _id: a }, { $unset: { scoreBase: '', scoreBaseOpen: '' } });
    await t.hub.store.members.update('mover', {}, { tier: 'CORE' });
    expect(await stored(a)).toEqual({ scoreBase: undefined, scoreBaseOpen: undefined });
    expect(await stored(b)).toEqual({ scoreBase: 81, scoreBaseOpen: 90 });
    await t.dispose();
    const hub = await startHub(config, { logger: pino({ level: 'silent' }) });
    try {
      const read = async (id: string) => (await hub.store.indicators.find({ _id: id }))[0]!;
      expect(await read(a)).toMatchObject({ scoreBase: 90, scoreBaseOpen: 90 });
      expect(await read(b)).toMatchObject({ scoreBase: 90, scoreBaseOpen: 90 });
      expect((await hub.store.members.findByIds(['mover']))[0]!.scoreTier).toBe('CORE');
    } finally {
      await hub.dispose();
    }
  });
});
