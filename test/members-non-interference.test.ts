/**
 * Non-interference for the member lifecycle: what a member (not a hub-admin) observes must not
 * depend on registrations nobody approved (pending, rejected, withdrawn) nor on the reasons
 * hub-admins give. The same workload runs on two fresh hubs with the same controlled clock and
 * deterministic ids, once alone and once with the hidden lifecycle writes interleaved; every
 * answer the observer gets must be byte-identical (docs/members.md, "What other members see").
 */
import { describe, expect, it } from 'vitest';
import type { Role } from '../src/domain/types.js';
import { firstDifference, RunHub, T0 } from './support/non-interference.js';

const MEMBER = 'id name kind tier sector country status statusReason statusChangedAt';
const REGISTER = `mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }`;
const SUSPEND = 'mutation($id: ID!, $reason: String!) { suspendMember(id: $id, reason: $reason) { id } }';
const OFFBOARD = 'mutation($id: ID!, $reason: String!) { offboardMember(id: $id, reason: $reason) { id } }';
const REJECT = 'mutation($id: ID!, $reason: String!) { rejectRequest(id: $id, reason: $reason) { id } }';
const PENDING = '{ approvalRequests(status: PENDING, first: 100) { edges { node { id kind target { id } } } } }';
const DIRECTORY = `{ members { ${MEMBER} } }`;
const ONE = `query($id: ID!) { member(id: $id) { ${MEMBER} } }`;
const PUBLISH = `mutation ($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { index status error { code message field } indicator { id recipients } } } }`;
const AUDIT = `{ auditLog(first: 100) { totalCount edges { node { id seq at action actor { memberId userId } memberId target { kind id } summary details } } } }`;
const APPROVALS = `{ approvalRequests(first: 100) { totalCount edges { node { id kind status } } } }`;
const TAXII_REFERENCE = '/taxii2/hub/collections/df6684fb-ab9f-41a4-b5fe-5bc9622c0568/objects/';

async function run(hidden: boolean): Promise<string[]> {
  const r = await RunHub.start();
  r.at(1);
  await r.hub.services.members.register({
    _id: 'ops', name: 'ops organisation', kind: 'HUB', tier: 'CORE', sector: 'testing', country: 'NL',
    allowedRoles: ['reader', 'hub-admin'], status: 'ACTIVE', createdAt: new Date(T0),
  });
  await r.register('watcher', 'TRUSTED');
  await r.register('flaky', 'COMMUNITY');
  const alice = await r.token('ops', ['hub-admin', 'reader'] as Role[], 'alice@ops');
  const bob = await r.token('ops', ['hub-admin', 'reader'] as Role[], 'bob@ops');
  const watcher = await r.token('watcher', ['reader', 'publisher', 'member-admin'] as Role[]);
  const input = (id: string) => ({ id, name: `${id} organisation`, kind: 'LAB', sector: 'research', country: 'DE', allowedRoles: ['reader'] });

  // Hidden: a registration left pending, one rejected (and made again), one withdrawn (offboarded
  // while pending), with people of their own.
  r.at(2);
  if (hidden) {
    await r.write(REGISTER, { input: input('secret-lab') }, alice);
    await r.write(REGISTER, { input: input('rejected-lab') }, alice);
    await r.write(REGISTER, { input: input('withdrawn-lab') }, alice);
    // People of the hidden registrations (seeded: the API adds none to a PENDING member), removed
    // when their registration is made again or withdrawn: none of it may show.
    await r.token('rejected-lab', ['reader'], 'x@rejected-lab');
    await r.token('withdrawn-lab', ['reader'], 'x@withdrawn-lab');
    const open = (await r.write(PENDING, {}, bob)).approvalRequests.edges.map((e: any) => e.node);
    await r.write(REJECT, { id: open.find((n: any) => n.target.id === 'rejected-lab').id, reason: 'SECRET-MARKER-reject' }, bob);
    await r.write(OFFBOARD, { id: 'withdrawn-lab', reason: 'SECRET-MARKER-withdrawn' }, bob);
    await r.write(REGISTER, { input: input('rejected-lab') }, alice);
  }
  // Visible: a suspension, whose reason differs between the runs (the reason is the hub-admins').
  r.at(3);
  await r.write(SUSPEND, { id: 'flaky', reason: hidden ? 'SECRET-MARKER-incident at flaky' : 'routine' }, alice);

  r.at(4);
  await r.gql('directory', DIRECTORY, {}, watcher);
  for (const id of ['secret-lab', 'rejected-lab', 'withdrawn-lab', 'never-registered', 'flaky']) await r.gql(`member ${id}`, ONE, { id }, watcher);
  for (const recipient of ['secret-lab', 'rejected-lab', 'withdrawn-lab', 'never-registered']) {
    r.at(5);
    const input = { idempotencyKey: `red-${recipient}`, indicators: [{ value: `red.${recipient}.example`, tlp: 'RED', recipients: [recipient], severity: 'HIGH', confidence: 50 }] };
    await r.gql(`publish RED to ${recipient}`, PUBLISH, { input: input }, watcher);
  }
  r.at(6);
  await r.gql('audit', AUDIT, {}, watcher);
  await r.gql('approvals', APPROVALS, {}, watcher);
  await r.taxii('taxii reference', TAXII_REFERENCE, watcher);
  const transcript = [...r.transcript];
  await r.dispose();
  return transcript;
}

describe('member lifecycle non-interference', () => {
  it('shows a member nothing of registrations nobody approved, nor of the reasons hub-admins give', async () => {
    const alone = await run(false);
    const interleaved = await run(true);
    expect(alone.length).toBeGreaterThan(10);
    expect(interleaved.join('\n')).not.toContain('SECRET-MARKER');
    expect(firstDifference(alone, interleaved)).toBeNull();
  });
});
