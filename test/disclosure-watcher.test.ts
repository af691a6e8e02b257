/**
 * The clearinghouse's clocks on a controlled clock: a real hub (its store, services and
 * disclosure watcher), cases written to its store, steps taken through the workflow service as
 * real viewers. The deadline (90 days, 7 when exploited), the escalation at 30 days, the pacing
 * queue, the automatic publication at max(deadline, embargo end), the proof of concept's release,
 * and who hears of each step (the policy's alert verdict on the recorded events).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { EventDoc } from '../src/domain/events.js';
import type { MemberTier, Role } from '../src/domain/types.js';
import type { NewVulnerabilityDoc, VulnerabilityDoc } from '../src/domain/vulnerability.js';
import { NO_EMBARGO } from '../src/domain/embargo-machine.js';
import { offsetOfId } from '../src/taxii/date-added.js';
import { alertVerdict, type Viewer } from '../src/policy/policy.js';
import { vulnerabilityFacts } from '../src/domain/events.js';
import { FilterMatcher } from '../src/store/filter-matcher.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 2, 8);
let now = T0;
/** Each test starts its own days apart, so that one test's notifications never fill another's pacing window. */
let base = T0;
const at = (days: number) => new Date(base + days * DAY);
function fresh(): void {
  base += 400 * DAY;
  now = base;
}

let t: TestHub;
const viewer = (memberId: string, tier: MemberTier, roles: Role[] = ['reader', 'publisher']): Viewer => ({ kind: 'member', memberId, userId: `u@${memberId}`, roles, tier });
const coordinator = viewer('cert', 'CORE', ['reader', 'coordinator']);
const coordinator2 = { ...viewer('csirt', 'CORE', ['reader', 'coordinator']), userId: 'other@csirt' } as Viewer;
const acme = viewer('acme', 'COMMUNITY');
const globex = viewer('globex', 'COMMUNITY');

beforeAll(async () => {
  t = await startTestHub({ config: { disclosureClocks: { deadlineMs: 90 * DAY, exploitedDeadlineMs: 7 * DAY, ackEscalationMs: 30 * DAY, vendorPace: 2 } }, start: { clock: () => now } });
  for (const [id, tier] of [['lab', 'TRUSTED'], ['cert', 'CORE'], ['csirt', 'CORE'], ['acme', 'COMMUNITY'], ['globex', 'COMMUNITY']] as const) {
    await t.hub.services.members.register({ _id: id, name: `${id} org`, kind: 'ENTERPRISE', tier, sector: 's', country: 'NL', allowedRoles: ['reader', 'publisher', 'coordinator'], status: 'ACTIVE', createdAt: new Date() });
  }
});
afterAll(() => t?.dispose());

let counter = 0;
async function newCase(over: Partial<NewVulnerabilityDoc> = {}, vendors = ['acme', 'globex']): Promise<string> {
  const id = `vulnerability--${randomUUID()}`;
  const created = new Date(now);
  const doc: NewVulnerabilityDoc = {
    _id: id, title: `case ${++counter}`, summary: 's', severity: 'HIGH', severityRank: 3, cvss: null, cwes: ['CWE-122'], cveId: null,
    affected: vendors.map((v) => ({ vendorId: v, vendorName: v, product: `p${counter}`, versions: '*', purl: null, cpe: null })),
    discovery: { method: 'AI_MODEL', model: { name: 'Orion-4', developer: 'lab', version: null }, humanValidated: true },
    credits: [], proofOfConcept: 'poc', technicalDetails: 'td', suggestedFix: null, exploited: false, relatedNoticeIds: [],
    source: 'lab', reportedBy: { memberId: 'lab', userId: 'rita' }, participants: [], status: 'RECEIVED', validation: null,
    vendorStatuses: vendors.map((v) => ({ vendorId: v, status: 'UNKNOWN', notifiedAt: null, queuedAt: null, acknowledgedAt: null, escalatedAt: null, fixedIn: null, note: null, updatedAt: created })),
    embargo: NO_EMBARGO, deadlineAt: null, publishedAt: null, duplicateOf: null, possibleDuplicateIds: [],
    createdAt: created, updatedAt: created, dateAddedOffset: offsetOfId(id), seq: await t.hub.store.sequences.next('vulnerabilities'),
    ...over,
  };
  await t.hub.store.vulnerabilities.insert(doc);
  return id;
}
const get = async (id: string): Promise<VulnerabilityDoc> => (await t.hub.store.vulnerabilities.find({ _id: id }))[0]!;
const wf = () => t.hub.services.vulnerabilityWorkflow;
const check = () => t.hub.maintenance.checkDisclosures();

/** What each viewer is told of the events recorded about `id` since `after`. */
async function heard(id: string, after: number, viewers: Record<string, Viewer | null>) {
  const events: EventDoc[] = (await t.hub.store.events.readAfter(after, 1000)).filter((e) => e.recordId === id);
  const current = vulnerabilityFacts(await get(id));
  const matcher = new FilterMatcher();
  const test = (f: Record<string, unknown>, facts: object) => matcher.matches(f, facts);
  return Object.fromEntries(Object.entries(viewers).map(([name, v]) => [name, events.map((e) => alertVerdict(v ?? { kind: 'anonymous', tier: 'PUBLIC' }, e, current, new Date(now), test))]));
}
const latest = async () => (await t.hub.store.events.bounds()).latest;

describe('the deadline', () => {
  it('is 90 days from the first notification, 7 when exploited; the hub publishes by itself at it', async () => {
    fresh();
    const plain = await newCase();
    const exploited = await newCase({ exploited: true });
    await wf().validate(coordinator, plain, 'VALIDATED', 'ok');
    await wf().validate(coordinator, exploited, 'VALIDATED', 'ok');
    expect((await get(plain)).deadlineAt).toEqual(at(90));
    expect((await get(exploited)).deadlineAt).toEqual(at(7));
    now = at(7).getTime() - 1;
    await check();
    expect((await get(exploited)).status).toBe('VALIDATED');
    now = at(7).getTime();
    const before = await latest();
    await check();
    expect(await get(exploited)).toMatchObject({ status: 'PUBLISHED', publishedAt: at(7) });
    // Everyone it newly reaches hears RELEASED; the parties, who saw it, UPDATED.
    expect(await heard(exploited, before, { anonymous: null, coordinator, acme, core: viewer('x', 'CORE') })).toEqual({
      anonymous: ['RELEASED'], coordinator: ['UPDATED'], acme: ['UPDATED'], core: ['UPDATED'],
    });
    const audit = await t.hub.store.audit.find({ 'target.id': exploited, action: 'VULNERABILITY_PUBLISHED' });
    expect(audit.map((a) => [a.actor, a.details.by])).toEqual([[null, 'SCHEDULE']]);
    now = at(90).getTime();
    await check();
    expect((await get(plain)).status).toBe('PUBLISHED');
  });
});

describe('the escalation', () => {
  it('tells coordinators, and only them, of a vendor that did not acknowledge within 30 days', async () => {
    fresh();
    const id = await newCase();
    await wf().validate(coordinator, id, 'VALIDATED', 'ok');
    now = at(3).getTime();
    await wf().acknowledge(globex, id, 'globex');
    now = at(30).getTime() - 1;
    await check();
    expect((await get(id)).vendorStatuses.map((v) => v.escalatedAt)).toEqual([null, null]);
    now = at(30).getTime();
    const before = await latest();
    await check();
    expect((await get(id)).vendorStatuses.map((v) => v.escalatedAt)).toEqual([at(30), null]);
    expect(await heard(id, before, { coordinator, acme, reporter: viewer('lab', 'TRUSTED'), core: viewer('x', 'CORE') })).toEqual({
      coordinator: ['UPDATED'], acme: [null], reporter: [null], core: [null],
    });
    now = at(40).getTime();
    await check();
    expect((await get(id)).vendorStatuses[0]!.escalatedAt).toEqual(at(30)); // once
  });
});

describe('the pacing queue', () => {
  it('notifies at most HUB_VENDOR_PACE cases a rolling week to a vendor; the rest wait and go out in order as the window frees', async () => {
    fresh();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await newCase({}, ['paced']));
    await t.hub.services.members.register({ _id: 'paced', name: 'paced org', kind: 'VENDOR', tier: 'COMMUNITY', sector: 's', country: 'NL', allowedRoles: ['reader', 'publisher'], status: 'ACTIVE', createdAt: new Date() });
    for (let i = 0; i < 4; i++) {
      now = base + i * 60_000;
      await wf().validate(coordinator, ids[i]!, 'VALIDATED', 'ok');
    }
    const state = async () => Promise.all(ids.map(async (id) => (await get(id)).vendorStatuses[0]!.notifiedAt?.getTime() ?? null));
    expect(await state()).toEqual([base, base + 60_000, null, null]);
    expect((await get(ids[2]!)).vendorStatuses[0]!.queuedAt).toEqual(new Date(base + 120_000));
    expect((await get(ids[2]!)).deadlineAt).toBeNull(); // its clock starts with the notification
    now = base + 7 * DAY - 1;
    await check();
    expect(await state()).toEqual([base, base + 60_000, null, null]);
    now = base + 7 * DAY;
    const before = await latest();
    await check();
    expect(await state()).toEqual([base, base + 60_000, now, null]);
    expect((await get(ids[2]!)).deadlineAt).toEqual(new Date(now + 90 * DAY));
    expect(await heard(ids[2]!, before, { paced: viewer('paced', 'COMMUNITY'), core: viewer('x', 'CORE') })).toEqual({ paced: ['RELEASED'], core: [null] });
    now = base + 7 * DAY + 60_000;
    await check();
    expect((await state())[3]).toBe(now);
  });
});

describe('embargoes on the clock', () => {
  it('an ACTIVE embargo past the deadline holds the publication back, then EXITED and PUBLISHED at its end', async () => {
    fresh();
    const id = await newCase({ exploited: true }, ['acme']);
    await wf().validate(coordinator, id, 'VALIDATED', 'ok');
    await wf().proposeEmbargo(coordinator, id, at(20), 'patch train');
    await wf().acceptEmbargo(acme, id);
    expect((await get(id)).embargo).toMatchObject({ state: 'ACTIVE', endsAt: at(20) });
    now = at(10).getTime();
    await check();
    expect((await get(id)).status).toBe('VALIDATED');
    now = at(20).getTime();
    await check();
    expect(await get(id)).toMatchObject({ status: 'PUBLISHED', embargo: { state: 'EXITED', endsAt: at(20) } });
  });

  it('a proposal nobody accepted lapses at its end', async () => {
    fresh();
    const id = await newCase({}, ['acme', 'globex']);
    await wf().validate(coordinator, id, 'VALIDATED', 'ok');
    await wf().proposeEmbargo(coordinator, id, at(5), 'x');
    await wf().acceptEmbargo(acme, id);
    now = at(5).getTime();
    await check();
    expect((await get(id)).embargo.state).toBe('NONE');
  });
});

describe('the proof of concept', () => {
  it('reaches everyone who sees the case HUB_POC_DELAY after publication: RELEASED to those without a tie, nothing to the parties', async () => {
    fresh();
    const id = await newCase({}, ['acme']);
    await wf().validate(coordinator, id, 'VALIDATED', 'ok');
    await wf().setVendorStatus(acme, id, 'acme', 'FIXED', '2.0', null);
    await wf().publish(coordinator2, id);
    now = at(45).getTime() - 1;
    await check();
    now = at(45).getTime();
    const before = await latest();
    await check();
    expect(await heard(id, before, { anonymous: null, community: viewer('x', 'COMMUNITY'), acme, coordinator })).toEqual({
      anonymous: ['RELEASED'], community: ['RELEASED'], acme: [null], coordinator: [null],
    });
    now = at(46).getTime();
    const again = await latest();
    await check();
    expect((await t.hub.store.events.readAfter(again, 100)).filter((e) => e.recordId === id)).toEqual([]); // once
  });
});

describe('steps of the parties stay with the parties', () => {
  it('an acknowledgement, a vendor position and an embargo step tell CORE nothing, and do not move updatedAt', async () => {
    fresh();
    const id = await newCase();
    await wf().validate(coordinator, id, 'VALIDATED', 'ok');
    const updated = (await get(id)).updatedAt;
    const before = await latest();
    now = at(1).getTime();
    await wf().acknowledge(acme, id, 'acme');
    await wf().setVendorStatus(acme, id, 'acme', 'AFFECTED', null, 'working on it');
    await wf().proposeEmbargo(coordinator, id, at(20), 'x');
    expect((await get(id)).updatedAt).toEqual(updated);
    expect(await heard(id, before, { core: viewer('x', 'CORE'), acme, globex, reporter: viewer('lab', 'TRUSTED') })).toEqual({
      core: [null, null, null], acme: ['UPDATED', 'UPDATED', 'UPDATED'], globex: ['UPDATED', 'UPDATED', 'UPDATED'], reporter: ['UPDATED', 'UPDATED', 'UPDATED'],
    });
  });
});
