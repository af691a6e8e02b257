/**
 * Non-interference for the alert stream: everything a subscriber observes (event frames, cursors,
 * heartbeats, replays, refusals of `after`) is the same whether or not another member writes
 * records it may not see in between. For each tier the same script runs twice, each time on a
 * fresh hub: alone, and interleaved with hidden writes (RED indicators for someone else, TLPs
 * above the tier, a revocation and a sighting of a hidden indicator, a draft notice, an embargoed
 * notice, another member's community with a RED record shared with it and its roster changes, a
 * roster change of the community the viewer is in; model reviews of the writer's with findings,
 * invitations and a cancellation). Heartbeats are sent by the test (the timer is off), so both runs get them at the same
 * points of the script.
 *
 * Cursors carry the log position, sealed: their bytes differ between two hubs whatever happens,
 * so the frames are compared byte for byte with each cursor replaced by the order of its first
 * appearance (equal cursors stay equal, different ones different), and what an attacker can
 * compute from the cursors themselves (length, difference as numbers) is compared as is.
 */
import { describe, expect, it } from 'vitest';
import type { MemberTier, Tlp } from '../src/domain/types.js';
import { alertStream, alertsDocument, eventually, rawAlertSocket, type RawAlertSocket } from './support/alert-stream.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const SELECTION = 'cursor type indicator { value tlp } notice { title } review { id model { name } reviewers { id } } vulnerability { title proofOfConcept technicalDetails reporter { id } possibleDuplicates { id } disclosure { stage } }';
const QUERY = alertsDocument(SELECTION);
const PUBLISH_NOTICE = 'mutation($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }';
const REVOKE = 'mutation($id: ID!) { revokeIndicator(id: $id, reason: "false positive") { id } }';
const SIGHTING = 'mutation($id: ID!) { reportSighting(indicatorId: $id) { id } }';
const CREATE_COMMUNITY = 'mutation($input: CreateCommunityInput!) { createCommunity(input: $input) { id } }';
const ADD_TO_COMMUNITY = 'mutation($c: ID!, $m: ID!) { addCommunityMember(communityId: $c, memberId: $m) { id } }';
const REMOVE_FROM_COMMUNITY = 'mutation($c: ID!, $m: ID!) { removeCommunityMember(communityId: $c, memberId: $m) { id } }';
const SUBMIT_VULN = 'mutation($input: VulnerabilityInput!) { submitVulnerability(input: $input) { id } }';
const SCHEDULE_REVIEW = 'mutation($input: ModelReviewInput!) { scheduleModelReview(input: $input) { id } }';
const vulnInput = (title: string, extra: Record<string, unknown> = {}) => ({
  title, summary: 's', severity: 'HIGH', cwes: ['CWE-787'], affected: [{ vendorName: 'W', product: 'w', versions: '1' }],
  discovery: { method: 'HUMAN', humanValidated: true }, proofOfConcept: 'poc-ni', technicalDetails: 'details-ni', ...extra,
});
const PROBES = ['0', '1', '2', '3', '4', '5', '6', '8', '12', '999999'];

type Viewed = 'PUBLIC' | MemberTier;
/** TLPs a viewer of this tier may not see (RED always goes to someone else). */
const HIDDEN_TLPS: Record<Viewed, Tlp[]> = {
  PUBLIC: ['GREEN', 'AMBER', 'AMBER_STRICT', 'RED'],
  COMMUNITY: ['AMBER', 'AMBER_STRICT', 'RED'],
  TRUSTED: ['RED'],
  CORE: ['RED'],
};

interface Observed {
  /** Every frame the viewer's sockets received, in order, socket after socket. */
  frames: string[];
  /** The viewer's event and heartbeat cursors of the live socket, in arrival order. */
  liveCursors: string[];
}

async function framesOf(socket: RawAlertSocket, count: number, label: string): Promise<string[]> {
  await eventually(() => socket.frames.length >= count, label);
  return socket.frames;
}

const cursorOf = (frame: string): string | undefined => JSON.parse(frame).payload?.data?.alerts?.cursor;
const typeOf = (frame: string): string | undefined => JSON.parse(frame).payload?.data?.alerts?.type;

/** Runs the viewer's script; with `hidden`, another member writes what the viewer may not see in between. */
async function observe(tier: Viewed, hidden: boolean): Promise<Observed> {
  const t: TestHub = await startTestHub({ config: { alertHeartbeatMs: 0, anonymousReads: tier === 'PUBLIC', wsConnectPerMinute: 0 } });
  try {
    const pub = t.member('ni-pub', 'TRUSTED');
    const other = t.member('ni-other', 'CORE');
    t.member('ni-rcpt', 'TRUSTED');
    // Model reviews (issue 14) of the hidden writer's, scheduled before the viewer joins (a CORE
    // viewer would otherwise be a default reviewer), ni-rcpt invited; findings, invitations and a
    // cancellation follow below.
    const reviews: string[] = [];
    if (hidden) {
      const lab = await other.token(['reader', 'publisher', 'member-admin']);
      for (const name of ['Hidden-Model', 'Cancelled-Model']) {
        const input = { model: { name, developer: 'D' }, plannedDeploymentAt: new Date(Date.now() + 31 * 86_400_000).toISOString(), windowOpensAt: new Date(Date.now() - 1_000).toISOString(), reviewerIds: ['ni-rcpt'] };
        const res = await t.gql(SCHEDULE_REVIEW, { input }, { token: lab });
        expect(res.body.errors, res.text).toBeUndefined();
        reviews.push(res.body.data.scheduleModelReview.id);
      }
    }
    const viewer = tier === 'PUBLIC' ? undefined : await t.member('ni-viewer', tier).token(['reader']);
    const write = async (query: string, variables: Record<string, unknown>, token: string) => {
      const res = await t.gql(query, variables, { token });
      expect(res.body.errors, res.text).toBeUndefined();
      return res.body.data;
    };
    // A community of the publisher's that the viewer is in (both runs).
    const pubAdmin = await pub.token(['reader', 'member-admin']);
    const circle = (await write(CREATE_COMMUNITY, { input: { name: 'ni circle', description: '' } }, pubAdmin)).createCommunity.id;
    if (tier !== 'PUBLIC') await write(ADD_TO_COMMUNITY, { c: circle, m: 'ni-viewer' }, pubAdmin);
    // The hidden writer watches its own records: once it has heard of a write, the fan-out has dispatched it.
    const otherToken = await other.token(['reader', 'publisher']);
    const witness = await alertStream(t, otherToken, { heartbeats: false, ready: false, selection: 'cursor type indicator { id value } notice { title } vulnerability { title }' });
    await eventually(() => t.hub.alerts.stats().subscribers === 1, 'the witness to subscribe');
    const heard = (label: string, count = 1) =>
      witness.until((s) => s.events.filter((e) => (e.indicator?.value ?? e.notice?.title ?? e.vulnerability?.title) === label).length >= count, `the witness to hear of ${label}`);
    let n = 0;
    const hiddenIndicators = async () => {
      if (!hidden) return;
      const items = HIDDEN_TLPS[tier].map((tlp) => ({ value: `h${++n}.${tlp.toLowerCase().replace('_', '-')}.ni.example`, tlp, ...(tlp === 'RED' ? { recipients: ['ni-rcpt'] } : {}) }));
      const published = await other.publishes(items);
      for (const item of items) await heard(item.value);
      return published.map((r) => ({ id: r.indicator.id as string, value: r.indicator.value as string }));
    };
    const hiddenNotice = async (title: string, input: Record<string, unknown>) => {
      if (!hidden) return;
      const full = { title, summary: 's', model: { name: 'M', developer: 'D' }, category: 'JAILBREAK', severity: 'HIGH', tlp: 'CLEAR', status: 'PUBLISHED', ...input };
      const res = await t.gql(PUBLISH_NOTICE, { input: full }, { token: otherToken });
      expect(res.body.errors, res.text).toBeUndefined();
      await heard(title);
    };
    // Clearinghouse cases: moved through the store and announced as the workflow's steps are (UPDATED, its before).
    const moveCase = async (id: string, set: Record<string, unknown>) => {
      const [before] = await t.hub.store.vulnerabilities.find({ _id: id });
      const seq = await t.hub.store.sequences.next('vulnerabilities');
      const after = await t.hub.store.vulnerabilities.updateOne({ _id: id, seq: before!.seq }, { $set: { ...set, seq, updatedAt: new Date() } });
      await t.hub.services.events.record('VULNERABILITY', [{ type: 'UPDATED', doc: after!, before: before! }]);
    };
    const submitCase = async (token: string, title: string, extra: Record<string, unknown> = {}) => (await write(SUBMIT_VULN, { input: vulnInput(title, extra) }, token)).submitVulnerability.id as string;
    /** Cases at every stage the viewer's tier does not reach, and one naming it as a vendor still queued. */
    const hiddenCases = async () => {
      if (!hidden) return;
      await submitCase(otherToken, 'vh-received.ni');
      await heard('vh-received.ni');
      if (tier !== 'CORE') {
        const id = await submitCase(otherToken, 'vh-validated.ni');
        await moveCase(id, { status: 'VALIDATED' });
        await heard('vh-validated.ni', 2);
      }
      if (tier === 'PUBLIC' || tier === 'COMMUNITY') {
        const id = await submitCase(otherToken, 'vh-fixed.ni');
        await moveCase(id, { status: 'FIX_AVAILABLE' });
        await heard('vh-fixed.ni', 2);
      }
      if (tier !== 'PUBLIC') {
        const id = await submitCase(otherToken, 'vh-queued.ni', { affected: [{ vendorId: 'ni-viewer', vendorName: 'Viewer', product: 'v', versions: '1' }] });
        const [doc] = await t.hub.store.vulnerabilities.find({ _id: id });
        const vendorStatuses = doc!.vendorStatuses.map((v) => ({ ...v, queuedAt: new Date() }));
        await moveCase(id, tier === 'CORE' ? { vendorStatuses } : { status: 'VALIDATED', vendorStatuses });
        await heard('vh-queued.ni', 2);
      }
    };
    const beat = async (socket: RawAlertSocket, label: string) => {
      const before = socket.frames.length;
      await t.hub.alerts.heartbeat();
      await framesOf(socket, before + 1, label);
    };

    const live = await rawAlertSocket(t, viewer, QUERY, { heartbeats: true });
    await eventually(() => t.hub.alerts.stats().subscribers === 2, 'the viewer to subscribe');
    await beat(live, 'the first heartbeat');
    await pub.publishes([{ value: 'c1.ni.example' }]);
    await framesOf(live, 2, 'c1');
    const firstHidden = await hiddenIndicators();
    await beat(live, 'a heartbeat after hidden publications');
    await pub.publishes([{ value: 'c2.ni.example' }]);
    await framesOf(live, 4, 'c2');
    if (firstHidden) {
      const [target] = firstHidden;
      await t.gql(SIGHTING, { id: target!.id }, { token: otherToken });
      await t.gql(REVOKE, { id: target!.id }, { token: otherToken });
      await heard(target!.value, 3);
    }
    if (hidden) {
      // Another member's community, a RED record shared with it, its roster changed; and a roster
      // change of the community the viewer is in.
      const otherAdmin = await other.token(['reader', 'member-admin']);
      const theirs = (await write(CREATE_COMMUNITY, { input: { name: 'their circle', description: '' } }, otherAdmin)).createCommunity.id;
      await write(ADD_TO_COMMUNITY, { c: theirs, m: 'ni-rcpt' }, otherAdmin);
      await other.publishes([{ value: 'community.red.ni.example', tlp: 'RED', recipients: [theirs] }]);
      await heard('community.red.ni.example');
      await write(ADD_TO_COMMUNITY, { c: circle, m: 'ni-rcpt' }, pubAdmin);
      await write(REMOVE_FROM_COMMUNITY, { c: theirs, m: 'ni-rcpt' }, otherAdmin);
      await other.publishes([{ value: 'community.red.ni.example', tlp: 'RED', recipients: [theirs], confidence: 90 }]);
      await heard('community.red.ni.example', 2);
    }
    if (hidden) {
      // Findings under the hidden reviews (GREEN, and CLEAR under the one then cancelled), an
      // invitation of the viewer's publisher and its removal, a cancellation; then a hidden RED
      // record the witness hears after all of them.
      const reviewer = await t.token('ni-rcpt', ['reader', 'publisher']);
      const lab = await other.token(['reader', 'publisher', 'member-admin']);
      const finding = (title: string, tlp: string, reviewId: string) =>
        write(PUBLISH_NOTICE, { input: { title, summary: 's', model: { name: 'M', developer: 'D' }, category: 'JAILBREAK', severity: 'HIGH', tlp, status: 'PUBLISHED', reviewId } }, reviewer);
      await finding('finding.green.ni', 'GREEN', reviews[0]!);
      await finding('finding.clear.ni', 'CLEAR', reviews[0]!);
      await write(SUBMIT_VULN, { input: vulnInput('finding.case.ni', { reviewId: reviews[0] }) }, reviewer);
      await finding('finding.cancelled.ni', 'CLEAR', reviews[1]!);
      await write('mutation($id: ID!, $m: [ID!]!) { inviteReviewers(reviewId: $id, memberIds: $m) { id } }', { id: reviews[0], m: ['ni-pub'] }, lab);
      await write('mutation($id: ID!) { cancelModelReview(reviewId: $id, reason: "shelved") { id } }', { id: reviews[1] }, lab);
      await write('mutation($id: ID!, $m: [ID!]!) { removeReviewers(reviewId: $id, memberIds: $m) { id } }', { id: reviews[0], m: ['ni-pub'] }, lab);
      await other.publishes([{ value: 'after-reviews.red.ni.example', tlp: 'RED', recipients: ['ni-rcpt'] }]);
      await heard('after-reviews.red.ni.example');
    }
    await hiddenNotice('draft.ni', { status: 'DRAFT' });
    if (tier !== 'CORE') await hiddenNotice('embargoed.ni', { embargoUntil: new Date(Date.now() + 86_400_000).toISOString() });
    await beat(live, 'a heartbeat after hidden updates and notices');
    await hiddenIndicators();
    await pub.publishes([{ value: 'c3.ni.example' }]);
    await framesOf(live, 6, 'c3');
    await hiddenIndicators();
    await hiddenCases();
    await beat(live, 'the last heartbeat');
    // A case reaches the viewer when it is published: RELEASED (it saw nothing of it before).
    const publishedCase = await submitCase(await pub.token(['reader', 'publisher']), 'v-published.ni');
    await hiddenCases();
    await moveCase(publishedCase, { status: 'PUBLISHED', publishedAt: new Date() });
    await framesOf(live, 8, 'the published case');
    expect(JSON.parse(live.frames[7]!).payload.data.alerts).toMatchObject({ type: 'RELEASED', vulnerability: { title: 'v-published.ni', proofOfConcept: null, reporter: null, possibleDuplicates: [], disclosure: { stage: 'PUBLISHED' } } });
    const liveFrames = [...live.frames];
    live.terminate();
    await eventually(() => t.hub.alerts.stats().subscribers === 1, 'the live socket to go');

    // Resuming from each cursor the viewer was given replays the same.
    const resumed: string[] = [];
    const given = [...new Set(liveFrames.map(cursorOf))].filter((c): c is string => !!c);
    for (const after of given) {
      const socket = await rawAlertSocket(t, viewer, QUERY, { after, heartbeats: true });
      await eventually(() => t.hub.alerts.stats().subscribers === 2, 'the resumed socket to subscribe');
      const from = liveFrames.findIndex((f) => cursorOf(f) === after);
      await framesOf(socket, liveFrames.slice(from + 1).filter((f) => typeOf(f) !== 'HEARTBEAT').length, 'the replay');
      await beat(socket, 'the heartbeat after the replay');
      resumed.push(`after #${given.indexOf(after)}`, ...socket.frames);
      socket.terminate();
      await eventually(() => t.hub.alerts.stats().subscribers === 1, 'the resumed socket to go');
    }

    // Probing for the log's head or its retention: positions, and the hidden writer's own cursor.
    const probes: string[] = [];
    await other.publishes([{ value: 'w.ni.example' }]);
    await heard('w.ni.example');
    const foreign = witness.events.at(-1)!.cursor;
    for (const after of [...PROBES, foreign]) {
      // Refused at once, or accepted: then its first frame is the heartbeat the test asks for.
      const socket = await rawAlertSocket(t, viewer, QUERY, { after, heartbeats: true });
      for (let i = 0; i < 100 && socket.frames.length === 0; i++) {
        if (t.hub.alerts.stats().subscribers === 2) await t.hub.alerts.heartbeat();
        await new Promise((r) => setTimeout(r, 10));
      }
      const [answer] = await framesOf(socket, 1, `the answer to after ${after}`);
      probes.push(answer!.replace(foreign, '<foreign>'));
      socket.terminate();
      await eventually(() => t.hub.alerts.stats().subscribers === 1, 'the probe to go');
    }
    await witness.dispose();
    return { frames: [...liveFrames, ...resumed, ...probes], liveCursors: liveFrames.map(cursorOf).filter((c): c is string => !!c) };
  } finally {
    await t.dispose();
  }
}

/** Replaces each cursor by `#n`, n the order of its first appearance. */
function relabel(frames: string[]): string[] {
  const labels = new Map<string, string>();
  return frames.map((f) => f.replace(/"cursor":"([^"]*)"/g, (_m, c: string) => `"cursor":"#${labels.get(c) ?? (labels.set(c, String(labels.size)), labels.get(c))}"`));
}

describe.each<Viewed>(['PUBLIC', 'COMMUNITY', 'TRUSTED', 'CORE'])('what a %s subscriber observes of the alert stream', (tier) => {
  let alone: Observed;
  let interleaved: Observed;

  it('is the same, frame for frame, whether or not hidden records are written in between', async () => {
    alone = await observe(tier, false);
    interleaved = await observe(tier, true);
    expect(relabel(interleaved.frames)).toEqual(relabel(alone.frames));
  }, 60_000);

  it('gives cursors whose gaps do not count hidden events', () => {
    const gaps = (cursors: string[]) => cursors.slice(1).map((c, i) => Number(c) - Number(cursors[i]));
    expect(gaps(interleaved.liveCursors)).toEqual(gaps(alone.liveCursors));
    expect(interleaved.liveCursors.map((c) => c.length)).toEqual(alone.liveCursors.map((c) => c.length));
  });

  it('gives heartbeats that repeat the cursor of the last event sent rather than move on hidden events', () => {
    const frames = interleaved.frames.slice(0, 7).map((f) => JSON.parse(f).payload.data.alerts as { type: string; cursor: string });
    expect(frames.map((f) => f.type)).toEqual(['HEARTBEAT', 'PUBLISHED', 'HEARTBEAT', 'PUBLISHED', 'HEARTBEAT', 'PUBLISHED', 'HEARTBEAT']);
    expect(frames[2]!.cursor).toBe(frames[1]!.cursor);
    expect(frames[4]!.cursor).toBe(frames[3]!.cursor);
    expect(frames[6]!.cursor).toBe(frames[5]!.cursor);
  });

  it('refuses every after it was not given with one BAD_USER_INPUT message, whatever the position', () => {
    const probes = interleaved.frames.slice(-(PROBES.length + 1)).map((f) => JSON.parse(f));
    expect(new Set(probes.map((p) => JSON.stringify(p.payload))).size).toBe(1);
    expect(probes[0]).toMatchObject({ type: 'error', payload: [{ extensions: { code: 'BAD_USER_INPUT', field: 'after' } }] });
  });
});
