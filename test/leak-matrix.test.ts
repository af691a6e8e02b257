/**
 * The leak matrix: every tier x every channel through which data leaves the hub. Secrets carry
 * unique markers; a viewer must never receive a marker it may not see, and where an answer
 * could differ between "hidden" and "absent" the two answers must be byte-identical.
 */
import { createHash, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { alertStream, type AlertStream } from './support/alert-stream.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';
import { PEER_ALERTS } from '../src/federation/peer-puller.js';

type Viewer = 'PUBLIC' | 'COMMUNITY' | 'TRUSTED' | 'CORE';
const VIEWERS: Viewer[] = ['PUBLIC', 'COMMUNITY', 'TRUSTED', 'CORE'];
const RANK: Record<Viewer, number> = { PUBLIC: 0, COMMUNITY: 1, TRUSTED: 2, CORE: 3 };

const m = (label: string) => `mk${label.toLowerCase()}${randomUUID().slice(0, 8)}`;
/** Each secret: its marker and the lowest tier allowed to see it (null: no viewer in the matrix). */
const SECRETS = {
  greenValue: { marker: m('GREENVAL'), minTier: 'COMMUNITY' as Viewer | null },
  amberValue: { marker: m('AMBERVAL'), minTier: 'TRUSTED' as Viewer | null },
  amberDescription: { marker: m('AMBERDESC'), minTier: 'TRUSTED' as Viewer | null },
  redValue: { marker: m('REDVAL'), minTier: null as Viewer | null },
  redDescription: { marker: m('REDDESC'), minTier: null as Viewer | null },
  /** On a RED record whose value every viewer then publishes itself (the dedup channel). */
  dedupDescription: { marker: m('DEDUP'), minTier: null as Viewer | null },
  embargoTitle: { marker: m('EMBARGO'), minTier: 'CORE' as Viewer | null },
  draftTitle: { marker: m('DRAFT'), minTier: null as Viewer | null },
  redNoticeTitle: { marker: m('REDNOTICE'), minTier: null as Viewer | null },
  technicalDetails: { marker: m('TECH'), minTier: 'TRUSTED' as Viewer | null },
  evaluationEvidence: { marker: m('EVAL'), minTier: 'CORE' as Viewer | null },
  publisherId: { marker: m('PUBLISHER'), minTier: 'TRUSTED' as Viewer | null },
  publisherSector: { marker: m('SECTOR'), minTier: 'COMMUNITY' as Viewer | null },
  reporterId: { marker: m('REPORTER'), minTier: 'TRUSTED' as Viewer | null },
  /** A community none of the matrix's viewers is in: its name, description, roster and a RED record naming it. */
  communityName: { marker: m('CIRCLE'), minTier: null as Viewer | null },
  communityDescription: { marker: m('CIRCLEDESC'), minTier: null as Viewer | null },
  rosterMember: { marker: m('ROSTER'), minTier: null as Viewer | null },
  communityRedValue: { marker: m('CIRCLERED'), minTier: null as Viewer | null },
  /** A person of the roster member (name, email): its own administrators' and hub-admins' only, never the community's. */
  rosterPersonName: { marker: m('ROSTERNAME'), minTier: null as Viewer | null },
  rosterPersonEmail: { marker: m('ROSTERMAIL'), minTier: null as Viewer | null },
  /** A person of the publisher (its id, name and email), with a pending role grant: for its own administrators only. */
  personId: { marker: m('PERSONID'), minTier: null as Viewer | null },
  personName: { marker: m('PERSONNAME'), minTier: null as Viewer | null },
  personEmail: { marker: m('PERSONMAIL'), minTier: null as Viewer | null },
  /**
   * Clearinghouse cases at every stage (issue 13), reported by a member whose id is a marker, with
   * an affected vendor member whose id is one too. A case's fields widen with its stage: CORE
   * from VALIDATED, TRUSTED from FIX_AVAILABLE, everyone from PUBLISHED; proofs of concept,
   * validation reasons, vendor notes and embargo reasons never reach a viewer tied to no case.
   */
  vulnReporter: { marker: m('VULNLAB'), minTier: null as Viewer | null },
  vulnReporterPerson: { marker: m('VULNPERSON'), minTier: null as Viewer | null },
  vulnVendor: { marker: m('VULNVENDOR'), minTier: 'COMMUNITY' as Viewer | null },
  vulnReceivedTitle: { marker: m('VULNRECEIVED'), minTier: null as Viewer | null },
  vulnInvalidTitle: { marker: m('VULNINVALID'), minTier: null as Viewer | null },
  vulnValidatedTitle: { marker: m('VULNVALIDATED'), minTier: 'CORE' as Viewer | null },
  vulnValidatedDetails: { marker: m('VULNVALDETAILS'), minTier: null as Viewer | null },
  vulnFixTitle: { marker: m('VULNFIX'), minTier: 'TRUSTED' as Viewer | null },
  vulnFixDetails: { marker: m('VULNFIXDETAILS'), minTier: 'TRUSTED' as Viewer | null },
  vulnHiddenCredit: { marker: m('VULNHIDDENCREDIT'), minTier: null as Viewer | null },
  vulnPublishedTitle: { marker: m('VULNPUBLISHED'), minTier: 'PUBLIC' as Viewer | null },
  vulnPublishedCredit: { marker: m('VULNCREDIT'), minTier: 'PUBLIC' as Viewer | null },
  vulnPoc: { marker: m('VULNPOC'), minTier: null as Viewer | null },
  vulnReleasedPoc: { marker: m('VULNRELEASEDPOC'), minTier: 'PUBLIC' as Viewer | null },
  vulnReason: { marker: m('VULNREASON'), minTier: null as Viewer | null },
  vulnNote: { marker: m('VULNNOTE'), minTier: null as Viewer | null },
  vulnEmbargoReason: { marker: m('VULNEMBARGO'), minTier: null as Viewer | null },
};
const hiddenFrom = (viewer: Viewer) =>
  Object.entries(SECRETS).filter(([, s]) => s.minTier === null || RANK[viewer] < RANK[s.minTier]);

let t: TestHub;
const tokens: Partial<Record<Viewer, string>> = {};
const ids = {} as Record<'clear' | 'green' | 'amber' | 'red' | 'dedup' | 'embargoed' | 'draft' | 'redNotice' | 'open' | 'community' | 'communityRed', string>;
/** The clearinghouse cases, by stage. */
const cases = {} as Record<'received' | 'invalid' | 'validated' | 'fix' | 'published' | 'released', string>;
/** Who sees each case, by the lowest tier (null: no tier viewer of the matrix). */
const CASE_MIN_TIER: Record<keyof typeof cases, Viewer | null> = { received: null, invalid: null, validated: 'CORE', fix: 'TRUSTED', published: 'PUBLIC', released: 'PUBLIC' };
const HIDDEN_CVE = 'CVE-2031-77777';
const HIDDEN_CWE = 'CWE-99991';
const HIDDEN_PRODUCT = 'leak hidden product';
let coordinatorToken: string;
let vulnReporterToken: string;
const ALL_VULNERABILITY_FIELDS = `id title summary severity cvss { version vector baseScore } cwes cveId affected { vendor { id name } vendorName product versions purl cpe }
  discovery { method model { name developer version } humanValidated } credits { name type } proofOfConcept technicalDetails suggestedFix exploited
  relatedNotices { id title } status validation { verdict reason at } vendorStatuses { vendor { id name } status notifiedAt queuedAt acknowledgedAt fixedIn note }
  embargo { state endsAt } disclosure { stage nextStage nextStageAt deadlineAt } duplicateOf { id title } possibleDuplicates { id title } tlp reporter { id name }
  publishedAt createdAt updatedAt`;
let publisherAdmin: string;
const publisherId = SECRETS.publisherId.marker;
const DEDUP_VALUE = 'leak-dedup-target.example';
const reporterId = SECRETS.reporterId.marker;

const ALL_INDICATOR_FIELDS = 'id type value submittedValue tlp recipients severity confidence validFrom validUntil tags description sightingCount lastSeenAt revoked revokedReason createdAt updatedAt source { id name sector } sourceSector sightings { id reporter { id name } count }';
// Related indicators leave out `sightings` (the same resolver is probed through `indicators`), and
// the pages are sized to the seeded records: a notice page of related indicators with their
// sightings could exceed the response budget (docs/limits.md, "Lists and cost").
const RELATED_INDICATOR_FIELDS = ALL_INDICATOR_FIELDS.replace(' sightings { id reporter { id name } count }', '');
const ALL_NOTICE_FIELDS = `id title summary model { name developer version } category severity tlp recipients status embargoUntil atlasTechniques owaspLlm mitigations technicalDetails evaluationEvidence affectedDeployments relatedIndicators { ${RELATED_INDICATOR_FIELDS} } source { id name } createdAt updatedAt`;
const CONNECTIONS = `{
  indicators(first: 50) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${ALL_INDICATOR_FIELDS} } } }
  modelRiskNotices(first: 10) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${ALL_NOTICE_FIELDS} } } }
  vulnerabilities(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title summary proofOfConcept technicalDetails suggestedFix credits { name } reporter { id } affected { vendor { id } } vendorStatuses { vendor { id } note } validation { reason } possibleDuplicates { id } } } }
}`;

function assertNoMarkers(viewer: Viewer, text: string) {
  for (const [name, secret] of hiddenFrom(viewer)) {
    expect(text.includes(secret.marker), `${viewer} received the ${name} marker`).toBe(false);
  }
}

/** What the review part of the matrix selects of an alert. */
const REVIEW_ALERT_SELECTION = 'cursor type occurredAt notice { id title tlp review { id } } vulnerability { id title } review { id description status reviewers { id } summary { total } }';

const swap = (text: string, from: string[], to: string) => from.reduce((acc, f) => acc.split(f).join(to), text);

async function publishNotice(token: string, input: Record<string, unknown>) {
  const res = await t.gql(`mutation($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }`, {
    input: { summary: 'summary', model: { name: 'Leak-Model', developer: 'Leak Lab' }, category: 'JAILBREAK', severity: 'HIGH', tlp: 'CLEAR', status: 'PUBLISHED', ...input },
  }, { token });
  if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
  return res.body.data.publishModelRiskNotice.id as string;
}

/**
 * The peer channel (issue 15): for each tier, a member of kind HUB (a peer hub) and an ordinary
 * member of that tier tied to no record (the reference), each listening to `alerts` with the
 * selection the peer puller uses from before anything is published. Both are named recipients of
 * a RED indicator and a RED notice: the reference sees them, the peer never.
 */
const PEER_TIERS = ['COMMUNITY', 'TRUSTED', 'CORE'] as const;
type PeerTier = (typeof PEER_TIERS)[number];
const peerTokens = {} as Record<PeerTier, { peer: string; ref: string }>;
const peerStreams = {} as Record<PeerTier, { peer: AlertStream; ref: AlertStream }>;
const peerIds = {} as Record<'redIndicator' | 'redNotice', string>;
/** Indicators received from peers (values), and their ids here. */
const RECEIVED = { onward: 'leak-recv-onward.example', local: 'leak-recv-local.example', atLimit: 'leak-recv-far.example', ring: 'leak-recv-ring.example', fromPeer: 'leak-recv-frompeer.example' };
const receivedIds = {} as Record<keyof typeof RECEIVED, string>;
let receivedNoticeId: string | undefined;
/** The puller's selection of an alert (src/federation/peer-puller.ts), and the cases a peer could hear of. */
const PEER_ALERT_SELECTION = `${/heartbeats: true\) \{([\s\S]*)\}\s*\}\s*$/.exec(PEER_ALERTS)![1]} vulnerability { id title technicalDetails proofOfConcept }`;

beforeAll(async () => {
  t = await startTestHub({ config: { anonymousReads: true, alertHeartbeatMs: 100 } });
  for (const tier of PEER_TIERS) {
    const lower = tier.toLowerCase();
    peerTokens[tier] = {
      peer: await t.member(`leak-peer-${lower}`, tier, { kind: 'HUB', allowedRoles: ['reader'] }).token(['reader']),
      ref: await t.member(`leak-ref-${lower}`, tier).token(['reader']),
    };
    peerStreams[tier] = {
      peer: await alertStream(t, peerTokens[tier].peer, { selection: PEER_ALERT_SELECTION }),
      ref: await alertStream(t, peerTokens[tier].ref, { selection: PEER_ALERT_SELECTION }),
    };
  }
  const publisher = t.member(publisherId, 'TRUSTED', { sector: SECRETS.publisherSector.marker, name: `Org ${publisherId}` });
  t.member('leak-recipient', 'COMMUNITY');
  t.member(reporterId, 'CORE', { name: `Org ${reporterId}` });
  for (const v of ['COMMUNITY', 'TRUSTED', 'CORE'] as const) t.member(`leak-${v.toLowerCase()}`, v);
  for (const v of ['COMMUNITY', 'TRUSTED', 'CORE'] as const) tokens[v] = await t.token(`leak-${v.toLowerCase()}`, ['reader', 'publisher']);
  const owner = await publisher.token(['reader', 'publisher']);

  const results = await publisher.publishes([
    { value: 'leak-clear.example', tlp: 'CLEAR', description: 'public one' },
    { value: `${SECRETS.greenValue.marker}.example`, tlp: 'GREEN' },
    { value: `${SECRETS.amberValue.marker}.example`, tlp: 'AMBER', description: SECRETS.amberDescription.marker },
    { value: `${SECRETS.redValue.marker}.example`, tlp: 'RED', recipients: ['leak-recipient'], description: SECRETS.redDescription.marker },
    { value: DEDUP_VALUE, tlp: 'RED', recipients: ['leak-recipient'], description: SECRETS.dedupDescription.marker, tags: ['dedup-secret'] },
  ]);
  [ids.clear, ids.green, ids.amber, ids.red, ids.dedup] = results.map((r: any) => r.indicator.id);
  const peersAndRefs = PEER_TIERS.flatMap((tier) => [`leak-peer-${tier.toLowerCase()}`, `leak-ref-${tier.toLowerCase()}`]);
  [peerIds.redIndicator] = (await publisher.publishes([{ value: 'leak-peer-red.example', tlp: 'RED', recipients: peersAndRefs }])).map((r: any) => r.indicator.id);
  const reporter = await t.token(reporterId, ['reader']);
  await t.gql(`mutation($id: ID!) { reportSighting(indicatorId: $id, count: 2) { id } }`, { id: ids.clear }, { token: reporter });

  ids.embargoed = await publishNotice(owner, { title: SECRETS.embargoTitle.marker, embargoUntil: new Date(Date.now() + 86_400_000).toISOString() });
  ids.draft = await publishNotice(owner, { title: SECRETS.draftTitle.marker, status: 'DRAFT' });
  ids.redNotice = await publishNotice(owner, { title: SECRETS.redNoticeTitle.marker, tlp: 'RED', recipients: ['leak-recipient'] });
  peerIds.redNotice = await publishNotice(owner, { title: 'leak peer red notice', tlp: 'RED', recipients: peersAndRefs });
  // Records received from a peer hub, stored as the puller stores them (IndicatorService.receive):
  // one shareable onward, one not ("this community only"), one at the hop limit, one whose origin
  // is the TRUSTED peer (a ring through a third hub), one received from the COMMUNITY peer itself.
  t.member('leak-upstream', 'TRUSTED', { kind: 'HUB', allowedRoles: ['reader'] });
  const received = (value: string, origin: { hub: string; hops: number; shareOnward: boolean }) => ({
    input: { value, type: 'DOMAIN' as const, tlp: 'GREEN' as const, severity: 'MEDIUM' as const, confidence: 50, validFrom: new Date(), validUntil: null, tags: [], description: null },
    origin: { ...origin, id: `indicator--${randomUUID()}`, publisher: null, tlp: 'GREEN' as const, receivedFrom: 'leak-upstream', receivedAt: new Date(), version: Date.now() },
    revoked: false,
  });
  await t.hub.services.indicators.receive('leak-upstream', [
    received(RECEIVED.onward, { hub: 'far-hub', hops: 1, shareOnward: true }),
    received(RECEIVED.local, { hub: 'far-hub', hops: 1, shareOnward: false }),
    received(RECEIVED.atLimit, { hub: 'far-hub', hops: 3, shareOnward: true }),
    received(RECEIVED.ring, { hub: 'leak-peer-trusted', hops: 2, shareOnward: true }),
  ]);
  await t.hub.services.indicators.receive('leak-peer-community', [received(RECEIVED.fromPeer, { hub: 'leak-peer-community', hops: 1, shareOnward: true })]);
  // A notice received "this community only": it never leaves for a peer either.
  await t.hub.services.notices.receive('leak-upstream', {
    input: { title: 'leak received local notice', summary: 's', model: { name: 'M', developer: 'D' }, category: 'JAILBREAK', severity: 'HIGH', tlp: 'GREEN', embargoUntil: null, atlasTechniques: [], owaspLlm: [], mitigations: null, technicalDetails: null, evaluationEvidence: null, affectedDeployments: [] } as never,
    status: 'PUBLISHED',
    origin: { hub: 'far-hub', id: `x-model-risk-notice--${randomUUID()}`, publisher: null, hops: 1, tlp: 'GREEN', shareOnward: false, receivedFrom: 'leak-upstream', receivedAt: new Date(), version: Date.now() },
  });
  [receivedNoticeId] = (await t.hub.store.notices.find({ source: 'leak-upstream' })).map((d) => d._id);
  if (!receivedNoticeId) throw new Error('the received notice was not stored');
  for (const [name, value] of Object.entries(RECEIVED)) {
    const [doc] = await t.hub.store.indicators.find({ value });
    if (!doc) throw new Error(`${value} was not stored`);
    receivedIds[name as keyof typeof RECEIVED] = doc._id;
  }
  // A community of the publisher's, with leak-recipient and a member whose id is a marker; a RED
  // record naming it. No viewer of the matrix is in it.
  t.member(SECRETS.rosterMember.marker, 'COMMUNITY');
  publisherAdmin = await t.token(publisherId, ['reader', 'member-admin']);
  const circle = await t.gql(`mutation($input: CreateCommunityInput!) { createCommunity(input: $input) { id } }`, {
    input: { name: SECRETS.communityName.marker, description: SECRETS.communityDescription.marker },
  }, { token: publisherAdmin });
  ids.community = circle.body.data.createCommunity.id;
  for (const memberId of ['leak-recipient', SECRETS.rosterMember.marker]) {
    const added = await t.gql(`mutation($c: ID!, $m: ID!) { addCommunityMember(communityId: $c, memberId: $m) { id } }`, { c: ids.community, m: memberId }, { token: publisherAdmin });
    if (added.body.errors) throw new Error(JSON.stringify(added.body.errors));
  }
  const rosterAdmin = await t.tokenAs(SECRETS.rosterMember.marker, 'admin@roster', ['reader', 'member-admin']);
  const rosterPerson = { memberId: SECRETS.rosterMember.marker, displayName: SECRETS.rosterPersonName.marker, email: `${SECRETS.rosterPersonEmail.marker}@example.org` };
  const seeded = await t.gql('mutation($input: AddPersonInput!) { addPerson(input: $input) { id } }', { input: rosterPerson }, { token: rosterAdmin });
  if (seeded.body.errors) throw new Error(JSON.stringify(seeded.body.errors));
  [ids.communityRed] = (await publisher.publishes([{ value: `${SECRETS.communityRedValue.marker}.example`, tlp: 'RED', recipients: [ids.community] }])).map((r: any) => r.indicator.id);

  ids.open = await publishNotice(owner, {
    title: 'open notice', technicalDetails: SECRETS.technicalDetails.marker, evaluationEvidence: SECRETS.evaluationEvidence.marker,
    relatedIndicatorIds: [ids.clear, ids.green, ids.amber, ids.red],
  });

  const person = { memberId: publisherId, id: SECRETS.personId.marker, displayName: SECRETS.personName.marker, email: `${SECRETS.personEmail.marker}@example.org` };
  const added = await t.gql('mutation($input: AddPersonInput!) { addPerson(input: $input) { id } }', { input: person }, { token: publisherAdmin });
  if (added.body.errors) throw new Error(JSON.stringify(added.body.errors));
  await t.gql('mutation($id: ID!) { requestRoleGrant(personId: $id, role: "approver", reason: "r") { id } }', { id: person.id }, { token: publisherAdmin });

  // The clearinghouse: one case per stage, moved there through the store as the workflow would.
  const V = SECRETS;
  t.member(V.vulnReporter.marker, 'COMMUNITY', { name: `Org ${V.vulnReporter.marker}` });
  t.member(V.vulnVendor.marker, 'COMMUNITY', { kind: 'VENDOR', name: `Vendor ${V.vulnVendor.marker}` });
  t.member('leak-cert', 'COMMUNITY', { allowedRoles: ['reader', 'coordinator'] });
  coordinatorToken = await t.tokenAs('leak-cert', 'coordinator@leak-cert', ['reader', 'coordinator']);
  vulnReporterToken = await t.tokenAs(V.vulnReporter.marker, V.vulnReporterPerson.marker, ['reader', 'publisher']);
  const submitCase = async (over: Record<string, unknown>) => {
    const res = await t.gql(`mutation($input: VulnerabilityInput!) { submitVulnerability(input: $input) { id } }`, {
      input: {
        summary: 'a flaw', severity: 'HIGH', cvss: { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }, cwes: ['CWE-787'],
        affected: [{ vendorId: V.vulnVendor.marker, vendorName: 'Leak Vendor', product: 'leak widget', versions: '< 2' }],
        discovery: { method: 'AI_MODEL', model: { name: 'Leak-Finder', developer: 'Leak Lab' }, humanValidated: true },
        proofOfConcept: V.vulnPoc.marker, ...over,
      },
    }, { token: vulnReporterToken });
    if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
    return res.body.data.submitVulnerability.id as string;
  };
  const move = async (id: string, set: Record<string, unknown>) => {
    const [doc] = await t.hub.store.vulnerabilities.find({ _id: id });
    const seq = await t.hub.store.sequences.next('vulnerabilities');
    const at = new Date();
    const vendorStatuses = doc!.vendorStatuses.map((s) => ({ ...s, notifiedAt: at, note: V.vulnNote.marker }));
    const validation = { verdict: 'VALIDATED', reason: V.vulnReason.marker, by: { memberId: 'leak-cert', userId: 'coordinator@leak-cert' }, at };
    const embargo = { state: 'ACTIVE', endsAt: new Date(Date.now() + 86_400_000), proposedBy: { memberId: 'leak-cert', userId: 'coordinator@leak-cert' }, reason: V.vulnEmbargoReason.marker, acceptedBy: [V.vulnVendor.marker] };
    const updated = await t.hub.store.vulnerabilities.updateOne({ _id: id, seq: doc!.seq }, { $set: { vendorStatuses, validation, embargo, seq, updatedAt: at, ...set } });
    if (!updated) throw new Error(`could not move ${id}`);
  };
  cases.received = await submitCase({ title: V.vulnReceivedTitle.marker, cveId: HIDDEN_CVE, cwes: [HIDDEN_CWE], affected: [{ vendorName: 'Hidden Vendor', product: HIDDEN_PRODUCT, versions: '1' }] });
  cases.invalid = await submitCase({ title: V.vulnInvalidTitle.marker });
  await t.hub.store.vulnerabilities.updateOne({ _id: cases.invalid }, { $set: { status: 'INVALID', seq: await t.hub.store.sequences.next('vulnerabilities'), validation: { verdict: 'INVALID', reason: V.vulnReason.marker, by: { memberId: 'leak-cert', userId: 'c' }, at: new Date() } } });
  cases.validated = await submitCase({ title: V.vulnValidatedTitle.marker, technicalDetails: V.vulnValidatedDetails.marker, suggestedFix: V.vulnValidatedDetails.marker, credits: [{ name: V.vulnHiddenCredit.marker, type: 'FINDER' }] });
  await move(cases.validated, { status: 'VALIDATED' });
  cases.fix = await submitCase({ title: V.vulnFixTitle.marker, technicalDetails: V.vulnFixDetails.marker, credits: [{ name: V.vulnHiddenCredit.marker, type: 'TOOL' }] });
  await move(cases.fix, { status: 'FIX_AVAILABLE' });
  cases.published = await submitCase({ title: V.vulnPublishedTitle.marker, credits: [{ name: V.vulnPublishedCredit.marker, type: 'TOOL' }] });
  await move(cases.published, { status: 'PUBLISHED', publishedAt: new Date(), possibleDuplicateIds: [cases.received, cases.validated], duplicateOf: cases.received });
  cases.released = await submitCase({ title: V.vulnPublishedTitle.marker, proofOfConcept: V.vulnReleasedPoc.marker });
  await move(cases.released, { status: 'PUBLISHED', publishedAt: new Date(Date.now() - 46 * 86_400_000) });
});

/** One channel: what a viewer sends, and the checks beyond "no marker it may not see". */
interface Channel {
  name: string;
  run(viewer: Viewer, token: string | undefined): Promise<string>;
}

const gqlText = async (query: string, variables: Record<string, unknown>, token?: string) => (await t.gql(query, variables, { token })).text;
const missingId = (prefix: string) => `${prefix}--${randomUUID()}`;

const PEOPLE_FIELDS = 'id member { id } displayName email roles status identities { issuer subject } pendingApprovals { id target { id } } createdBy { userId }';

const CHANNELS: Channel[] = [
  {
    name: 'clearinghouse cases: lists, counts, cursors, lookups by id, filters, duplicates and errors',
    async run(v, token) {
      const texts: string[] = [];
      const hiddenCases = Object.entries(cases).filter(([stage]) => { const min = CASE_MIN_TIER[stage as keyof typeof cases]; return min === null || RANK[v] < RANK[min]; }).map(([, id]) => id);
      const visibleCount = Object.keys(cases).length - hiddenCases.length;
      const list = await t.gql(`{ vulnerabilities(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${ALL_VULNERABILITY_FIELDS} } } } }`, {}, { token });
      expect(list.body.errors, list.text).toBeUndefined();
      expect(list.body.data.vulnerabilities.totalCount).toBe(visibleCount);
      texts.push(list.text);
      // Page by page: the same cases, and no page knows of a hidden one.
      const first = await t.gql(`{ vulnerabilities(first: 1) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }`, {}, { token });
      if (visibleCount > 0) {
        const next = await t.gql(`query($a: String) { vulnerabilities(first: 50, after: $a) { totalCount edges { node { id } } } }`, { a: first.body.data.vulnerabilities.pageInfo.endCursor }, { token });
        expect(next.body.data.vulnerabilities.edges).toHaveLength(visibleCount - 1);
        texts.push(next.text);
      }
      expect(first.body.data.vulnerabilities.pageInfo.hasNextPage).toBe(visibleCount > 1);
      // By id: a hidden case answers byte for byte as a missing one.
      for (const id of Object.values(cases)) {
        for (const query of [`query($id: ID!) { vulnerability(id: $id) { ${ALL_VULNERABILITY_FIELDS} } }`, `query($id: ID!) { node(id: $id) { id ... on Vulnerability { title proofOfConcept } } }`]) {
          const answer = await gqlText(query, { id }, token);
          if (hiddenCases.includes(id)) expect(answer).toBe(await gqlText(query, { id: missingId('vulnerability') }, token));
          texts.push(answer);
        }
      }
      // Filters on a hidden case's values answer like filters on values no case has.
      const q = `query($f: VulnerabilityFilter) { vulnerabilities(filter: $f) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }`;
      for (const [hidden, absent] of [[{ cveId: HIDDEN_CVE }, { cveId: 'CVE-2031-11111' }], [{ cwe: HIDDEN_CWE }, { cwe: 'CWE-99990' }], [{ product: HIDDEN_PRODUCT }, { product: 'no such product' }], [{ status: ['RECEIVED', 'INVALID'] }, { status: ['CLOSED'] }]] as const) {
        const answer = await gqlText(q, { f: hidden }, token);
        expect(answer).toBe(await gqlText(q, { f: absent }, token));
        texts.push(answer);
      }
      // Nobody tied to no case learns of possible duplicates, nor of a hidden original.
      for (const id of hiddenCases) expect(texts.join('\n'), `${v} learned of hidden case ${id}`).not.toContain(id);
      const published = await t.gql(`query($id: ID!) { vulnerability(id: $id) { possibleDuplicates { id } duplicateOf { id } } }`, { id: cases.published }, { token });
      expect(published.body.data.vulnerability).toEqual({ possibleDuplicates: [], duplicateOf: null });
      if (token) {
        // Submitting what a hidden case holds (its product and CWE: a possible duplicate) answers as a fresh report.
        const submit = (product: string, cwe: string) => t.gql(`mutation($input: VulnerabilityInput!) { submitVulnerability(input: $input) { ${ALL_VULNERABILITY_FIELDS} } }`, {
          input: { title: 'mine', summary: 's', severity: 'LOW', cwes: [cwe], affected: [{ vendorName: 'Hidden Vendor', product, versions: '1' }], discovery: { method: 'HUMAN', humanValidated: true } },
        }, { token });
        const dup = await submit(HIDDEN_PRODUCT, HIDDEN_CWE);
        const fresh = await submit('fresh product', 'CWE-99992');
        const norm = (r: any) => JSON.stringify({ ...r.body.data.submitVulnerability, id: 'X', createdAt: 'X', updatedAt: 'X', cwes: [], affected: [] });
        expect(norm(dup)).toBe(norm(fresh));
        texts.push(dup.text);
      }
      return texts.join('\n');
    },
  },
  {
    name: "the people directory, as the viewer and as its member's member-admin",
    async run(v, token) {
      const texts = [await gqlText(`{ people { ${PEOPLE_FIELDS} } }`, {}, token)];
      if (v !== 'PUBLIC') {
        const admin = await t.tokenAs(`leak-${v.toLowerCase()}`, `admin@leak-${v.toLowerCase()}`, ['reader', 'member-admin']);
        texts.push(await gqlText(`{ people { ${PEOPLE_FIELDS} } }`, {}, admin));
        // Another member's directory, a person of it and one that does not exist: refused alike.
        const other = await gqlText(`query($m: ID) { people(memberId: $m) { id } }`, { m: publisherId }, admin);
        expect(other.split(publisherId).join('X')).toBe(await gqlText(`query($m: ID) { people(memberId: $m) { id } }`, { m: 'no-such-member' }, admin).then((a) => a.split('no-such-member').join('X')));
        const revoke = (id: string) => gqlText('mutation($id: ID!) { revokeRole(personId: $id, role: "reader", reason: "r") { id } }', { id }, admin);
        expect((await revoke(SECRETS.personId.marker)).split(SECRETS.personId.marker).join('X')).toBe((await revoke('nobody-here')).split('nobody-here').join('X'));
        texts.push(other, await gqlText(`{ approvalRequests(first: 50) { edges { node { id target { id } change { role } } } } }`, {}, admin));
      }
      return texts.join('\n');
    },
  },
  {
    name: 'connections with totalCount, pageInfo and cursors',
    run: (_v, token) => gqlText(CONNECTIONS, {}, token),
  },
  {
    name: 'filters on hidden values answer like filters on absent values',
    async run(_v, token) {
      const q = `query($v: String!) { indicators(filter: { value: $v }) { totalCount countUpTo(atMost: 1) { value exact } pageInfo { hasNextPage endCursor } edges { node { id } } } }`;
      const texts = [];
      for (const secret of [SECRETS.greenValue, SECRETS.amberValue, SECRETS.redValue]) {
        const hidden = await gqlText(q, { v: `${secret.marker}.example` }, token);
        const absent = await gqlText(q, { v: 'never-published.example' }, token);
        if (!hidden.includes(secret.marker) && !hidden.includes('"totalCount":1')) expect(hidden).toBe(absent);
        texts.push(hidden);
      }
      // A hidden tag (on a RED record) counted with a cap of 1: as a tag nobody used.
      const tagged = `query($t: [String!]) { indicators(filter: { tags: $t }, first: 1) { totalCount countUpTo(atMost: 1) { value exact } } }`;
      const hiddenTag = await gqlText(tagged, { t: ['dedup-secret'] }, token);
      expect(hiddenTag).toBe(await gqlText(tagged, { t: ['never-used-tag'] }, token));
      texts.push(hiddenTag);
      return texts.join('\n');
    },
  },
  {
    name: 'filters and ordering on gated fields',
    async run(v, token) {
      const texts = [];
      for (const [query, minTier] of [
        [`{ indicators(filter: { source: ["${publisherId}"] }) { totalCount } }`, 'TRUSTED'],
        [`{ indicators(filter: { sourceSector: ["${SECRETS.publisherSector.marker}"] }) { totalCount } }`, 'COMMUNITY'],
        [`{ indicators(orderBy: { field: SOURCE, direction: ASC }) { edges { node { id } } } }`, 'TRUSTED'],
        [`{ modelRiskNotices(filter: { source: ["${publisherId}"] }) { totalCount } }`, 'TRUSTED'],
      ] as const) {
        const res = await t.gql(query, {}, { token });
        if (RANK[v] < RANK[minTier]) {
          expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
          expect(res.body.data).toBeNull();
        }
        texts.push(res.text.split(publisherId).join('').split(SECRETS.publisherSector.marker).join(''));
      }
      return texts.join('\n');
    },
  },
  {
    name: 'lookups of hidden values answer like lookups of absent values',
    async run(_v, token) {
      const q = `query($values: [String!]!) { lookupIndicators(values: $values) { input normalized type known indicators { ${ALL_INDICATOR_FIELDS} } } }`;
      const texts = [];
      for (const secret of [SECRETS.greenValue, SECRETS.amberValue, SECRETS.redValue]) {
        const value = `${secret.marker}.example`;
        const hidden = await gqlText(q, { values: [value] }, token);
        const absent = await gqlText(q, { values: ['never-published.example'] }, token);
        if (!hidden.includes('"known":true')) expect(swap(hidden, [value], 'X')).toBe(swap(absent, ['never-published.example'], 'X'));
        texts.push(hidden.split(value).join(''));
      }
      return texts.join('\n');
    },
  },
  {
    name: 'fetch by id (indicator, modelRiskNotice, node) answers like a missing id',
    async run(_v, token) {
      const texts = [];
      for (const [id, query] of [
        [ids.amber, `query($id: ID!) { indicator(id: $id) { ${ALL_INDICATOR_FIELDS} } }`],
        [ids.red, `query($id: ID!) { node(id: $id) { id ... on Indicator { ${ALL_INDICATOR_FIELDS} } } }`],
        [ids.embargoed, `query($id: ID!) { modelRiskNotice(id: $id) { ${ALL_NOTICE_FIELDS} } }`],
        [ids.draft, `query($id: ID!) { node(id: $id) { id ... on ModelRiskNotice { title } } }`],
        [ids.redNotice, `query($id: ID!) { modelRiskNotice(id: $id) { title } }`],
      ] as const) {
        const hidden = await gqlText(query, { id }, token);
        const absent = await gqlText(query, { id: missingId(id.split('--')[0]!) }, token);
        if (hidden.includes('"data":{"indicator":null') || hidden.includes(':null}}')) expect(hidden).toBe(absent);
        texts.push(hidden);
      }
      return texts.join('\n');
    },
  },
  {
    name: 'related-record lists',
    run: (_v, token) => gqlText(`query($id: ID!) { modelRiskNotice(id: $id) { ${ALL_NOTICE_FIELDS} } }`, { id: ids.open }, token),
  },
  {
    name: 'publishing a value that exists in a record the publisher cannot see',
    async run(v, token) {
      if (!token) return '';
      const value = DEDUP_VALUE;
      const res = await t.gql(`mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { created updated rejected results { status error { code message } indicator { ${ALL_INDICATOR_FIELDS} } } } }`, {
        input: { idempotencyKey: `dup-${v}-${randomUUID()}`, indicators: [{ value, tlp: 'AMBER', severity: 'LOW', confidence: 10 }] },
      }, { token });
      expect(res.body.data.publishIndicators.results[0].status).toBe('CREATED');
      expect(res.body.data.publishIndicators.updated).toBe(0);
      expect(res.text).not.toContain('dedup-secret');
      expect(res.body.data.publishIndicators.results[0].indicator.id).not.toBe(ids.dedup);
      return res.text;
    },
  },
  {
    name: 'errors on hidden ids answer like errors on missing ids',
    async run(_v, token) {
      if (!token) return '';
      const texts = [];
      for (const [id, mutation] of [
        [ids.red, `mutation($id: ID!) { revokeIndicator(id: $id, reason: "r") { id } }`],
        [ids.red, `mutation($id: ID!) { reportSighting(indicatorId: $id) { id } }`],
        [ids.embargoed, `mutation($id: ID!) { changeModelRiskNoticeStatus(id: $id, status: RETRACTED) { id } }`],
      ] as const) {
        const hidden = await gqlText(mutation, { id }, token);
        const missing = missingId(id.split('--')[0]!);
        const absent = await gqlText(mutation, { id: missing }, token);
        if (hidden.includes('NOT_FOUND')) expect(swap(hidden, [id], 'X')).toBe(swap(absent, [missing], 'X'));
        texts.push(hidden);
      }
      return texts.join('\n');
    },
  },
  {
    name: 'no "Did you mean" in validation and variable errors',
    async run(_v, token) {
      const texts = [
        await gqlText('{ indicators { edges { node { sourc descripton } } } }', {}, token),
        await gqlText('query($f: IndicatorFilter) { indicators(filter: $f) { totalCount } }', { f: { tlp: ['AMBR'], sourc: ['x'] } }, token),
        await gqlText('query($o: IndicatorOrder) { indicators(orderBy: $o) { totalCount } }', { o: { field: 'SOURC', direction: 'ASC' } }, token),
        await gqlText('{ indicatorz(first: 1) { totalCount } }', {}, token),
      ];
      for (const text of texts) {
        expect(text).toContain('"errors"');
        expect(text).not.toMatch(/did you mean/i);
      }
      return texts.join('\n');
    },
  },
  {
    name: 'aliases, fragments, inline fragments and variables',
    run: (_v, token) => gqlText(`
      query($first: Int!) {
        a: indicators(first: $first) { edges { node { ...F x: source { n: name } } } }
        b: modelRiskNotices(first: $first) { edges { node { ... on ModelRiskNotice { t: technicalDetails e: evaluationEvidence title } } } }
      }
      fragment F on Indicator { v: value d: description s: sightings { r: reporter { id } } sector: sourceSector }`, { first: 100 }, token),
  },
  {
    name: 'batched requests',
    async run(_v, token) {
      const res = await fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify([{ query: CONNECTIONS }, { query: '{ indicators { totalCount } }' }]),
      });
      expect(res.status).toBe(400);
      return res.text();
    },
  },
  {
    name: 'cursors minted for another viewer',
    async run(_v, token) {
      const core = await t.gql('{ indicators(first: 1) { edges { cursor } } }', {}, { token: tokens.CORE });
      const cursor = core.body.data.indicators.edges[0].cursor;
      const res = await t.gql(`query($after: String) { indicators(first: 50, after: $after) { edges { node { ${ALL_INDICATOR_FIELDS} } } } }`, { after: cursor }, { token });
      if (token !== tokens.CORE) expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      return res.text;
    },
  },
  {
    name: 'the audit log, read as the viewer member\'s admin',
    async run(v, _token) {
      const q = `query($f: AuditLogFilter) { auditLog(filter: $f, first: 500) { totalCount edges { node { id action memberId actor { memberId userId } target { kind id } summary details } } } }`;
      if (v === 'PUBLIC') {
        const res = await t.gql(q, {});
        expect(res.body.errors?.[0]?.extensions?.code).toMatch(/UNAUTHENTICATED|FORBIDDEN/);
        return res.text;
      }
      const admin = await t.token(`leak-${v.toLowerCase()}`, ['reader', 'member-admin']);
      const own = await t.gql(q, {}, { token: admin });
      const foreign = await t.gql(q, { f: { memberId: publisherId } }, { token: admin });
      expect(own.body.data.auditLog.totalCount).toBeGreaterThan(0);
      expect(foreign.body.data.auditLog).toEqual({ totalCount: 0, edges: [] });
      const hiddenIds = [ids.amber, ids.red, ids.dedup, ids.embargoed, ids.draft, ids.redNotice].filter((id) => {
        if (id === ids.amber) return RANK[v] < RANK.TRUSTED;
        if (id === ids.embargoed) return v !== 'CORE';
        return true;
      });
      for (const id of hiddenIds) expect(own.text).not.toContain(id);
      return own.text + foreign.text.split(publisherId).join('');
    },
  },
  {
    name: 'communities, their rosters, and changes to one the viewer is not in',
    async run(v, token) {
      const list = await t.gql('{ communities { id name description owner { id } members { id } updatedAt } }', {}, { token });
      if (v === 'PUBLIC') {
        expect(list.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
        return list.text;
      }
      expect(list.body.data.communities).toEqual([]);
      const texts = [list.text];
      const admin = await t.token(`leak-${v.toLowerCase()}`, ['reader', 'member-admin', 'publisher']);
      const missing = missingId('community');
      for (const mutation of [
        `mutation($c: ID!, $m: ID!) { addCommunityMember(communityId: $c, memberId: $m) { id name members { id } } }`,
        `mutation($c: ID!, $m: ID!) { removeCommunityMember(communityId: $c, memberId: $m) { id name members { id } } }`,
      ]) {
        for (const who of [token!, admin]) {
          const hidden = await gqlText(mutation, { c: ids.community, m: 'leak-recipient' }, who);
          const absent = await gqlText(mutation, { c: missing, m: 'leak-recipient' }, who);
          expect(hidden).toContain('NOT_FOUND');
          expect(hidden).toBe(absent);
          texts.push(hidden);
        }
      }
      // Naming the community as a recipient is refused exactly as naming an id that does not exist.
      const publish = (recipient: string) =>
        gqlText(`mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { status error { code message field } } } }`, {
          input: { idempotencyKey: `name-${v}-${randomUUID()}`, indicators: [{ value: 'named-community.example', tlp: 'RED', recipients: [recipient], severity: 'LOW', confidence: 1 }] },
        }, token);
      const named = await publish(ids.community);
      expect(swap(named, [ids.community], 'X')).toBe(swap(await publish(missing), [missing], 'X'));
      texts.push(named.split(ids.community).join(''));
      return texts.join('\n');
    },
  },
  {
    name: 'graphql-ws',
    async run(_v, token) {
      const client = t.wsClient(token);
      const result = await new Promise<unknown>((resolve, reject) => {
        client.subscribe({ query: CONNECTIONS }, { next: resolve, error: reject, complete: () => {} });
      });
      const invalid = await new Promise<unknown>((resolve) => {
        client.subscribe({ query: '{ indicators { edges { node { sourc } } } }' }, { next: resolve, error: resolve, complete: () => {} });
      });
      const badVariables = await new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: 'query($f: IndicatorFilter) { indicators(filter: $f) { totalCount } }', variables: { f: { tlp: ['AMBR'], sourc: ['x'] } } },
          { next: resolve, error: resolve, complete: () => {} },
        );
      });
      for (const answer of [invalid, badVariables]) {
        expect(JSON.stringify(answer)).toContain('message');
        expect(JSON.stringify(answer)).not.toMatch(/did you mean/i);
      }
      return JSON.stringify(result) + JSON.stringify(invalid) + JSON.stringify(badVariables);
    },
  },
];

describe.each(VIEWERS)('a %s viewer', (viewer) => {
  it.each(CHANNELS.map((c) => [c.name, c] as const))('learns nothing hidden through %s', async (_name, channel) => {
    const text = await channel.run(viewer, tokens[viewer]);
    assertNoMarkers(viewer, text);
  });
});

describe('the matrix can fail', () => {
  it('shows each secret to the viewers entitled to it, so the markers are really in the data', async () => {
    const publisherToken = await t.token(publisherId, ['reader']);
    const seenByPublisher = await gqlText(CONNECTIONS, {}, publisherToken);
    for (const [name, secret] of Object.entries(SECRETS)) {
      if (['reporterId', 'communityName', 'communityDescription', 'rosterMember'].includes(name) || name.startsWith('person') || name.startsWith('rosterPerson') || name.startsWith('vuln')) continue;
      expect(seenByPublisher, `the publisher should see ${name}`).toContain(secret.marker);
    }
    const seenByCore = await gqlText(CONNECTIONS, {}, tokens.CORE);
    for (const secret of [SECRETS.embargoTitle, SECRETS.evaluationEvidence, SECRETS.reporterId, SECRETS.amberDescription]) {
      expect(seenByCore).toContain(secret.marker);
    }
    const directory = await gqlText(`{ people { ${PEOPLE_FIELDS} } }`, {}, publisherAdmin);
    for (const secret of [SECRETS.personId, SECRETS.personName, SECRETS.personEmail]) expect(directory).toContain(secret.marker);
    const recipientToken = await t.token('leak-recipient', ['reader']);
    const recipient = await gqlText(CONNECTIONS, {}, recipientToken);
    expect(recipient).toContain(SECRETS.redValue.marker);
    expect(recipient).toContain(SECRETS.redNoticeTitle.marker);
    // The community: its members see it and its RED record; its administrators its roster.
    expect(recipient).toContain(SECRETS.communityRedValue.marker);
    const listed = await gqlText('{ communities { name description members { id } } }', {}, recipientToken);
    expect(listed).toContain(SECRETS.communityName.marker);
    expect(listed).toContain(SECRETS.communityDescription.marker);
    expect(listed).not.toContain(SECRETS.rosterMember.marker);
    expect(await gqlText('{ communities { members { id } } }', {}, publisherAdmin)).toContain(SECRETS.rosterMember.marker);
  });
});

describe('the clearinghouse part of the matrix can fail', () => {
  it('shows every case marker to a coordinator and the reporter, and the vendor its cases', async () => {
    const query = `{ vulnerabilities(first: 50) { totalCount edges { node { ${ALL_VULNERABILITY_FIELDS} } } } }`;
    const coordinator = await gqlText(query, {}, coordinatorToken);
    const reporter = await gqlText(query, {}, vulnReporterToken);
    // The embargo's reason and the reporting person are in no GraphQL field (they reach exports through the policy's redaction).
    for (const [name, secret] of Object.entries(SECRETS).filter(([n]) => n.startsWith('vuln') && n !== 'vulnReporterPerson' && n !== 'vulnEmbargoReason')) {
      expect(coordinator, `a coordinator should see ${name}`).toContain(secret.marker);
      expect(reporter, `the reporter should see ${name}`).toContain(secret.marker);
    }
    expect(coordinator).toContain(cases.received);
    const vendor = await gqlText(query, {}, await t.token(SECRETS.vulnVendor.marker, ['reader']));
    for (const secret of [SECRETS.vulnPoc, SECRETS.vulnValidatedDetails, SECRETS.vulnNote, SECRETS.vulnReporter]) expect(vendor).toContain(secret.marker);
  });
});

describe('the peer channel: a peer hub of each tier receives what a member of that tier sees, minus what never leaves', () => {
  /** What never leaves for a peer of any tier, of what some reference member sees: RED with the peer a recipient, an embargoed notice (CORE), cases not yet PUBLISHED. */
  const neverLeaves = (tier: PeerTier) => new Set([
    peerIds.redIndicator, peerIds.redNotice, ids.embargoed, cases.received, cases.invalid, cases.validated, cases.fix,
    // Received: not shareable onward, at the hop limit, back to where it originated or came from.
    receivedIds.local, receivedIds.atLimit, receivedNoticeId!, ...(tier === 'TRUSTED' ? [receivedIds.ring] : []), ...(tier === 'COMMUNITY' ? [receivedIds.fromPeer] : []),
  ]);
  const neverValues = (tier: PeerTier) => [RECEIVED.local, RECEIVED.atLimit, ...(tier === 'TRUSTED' ? [RECEIVED.ring] : []), ...(tier === 'COMMUNITY' ? [RECEIVED.fromPeer] : [])];
  /** One query per connection: together they are over the response budget. */
  const PEER_QUERIES = {
    indicators: `{ indicators(first: 50) { totalCount edges { node { ${ALL_INDICATOR_FIELDS} origin { hub id publisher hops tlp shareOnward } } } } }`,
    modelRiskNotices: `{ modelRiskNotices(first: 20) { totalCount edges { node { ${ALL_NOTICE_FIELDS} origin { hub id publisher hops tlp shareOnward } } } } }`,
    vulnerabilities: `{ vulnerabilities(first: 50) { totalCount edges { node { ${ALL_VULNERABILITY_FIELDS} } } } }`,
  };
  const origin = () => t.url.replace(/\/graphql$/, '');
  const get = async (path: string, token: string, accept = 'application/taxii+json;version=2.1') => {
    const res = await fetch(`${origin()}${path}`, { headers: { accept, authorization: `Bearer ${token}` } });
    return { status: res.status, text: await res.text() };
  };

  it.each(PEER_TIERS)('over queries (lists, counts, fields): a %s peer gets the reference member\'s records, less what never leaves', async (tier) => {
    const never = neverLeaves(tier);
    const seen = new Set<string>();
    const texts: string[] = [];
    for (const [connection, query] of Object.entries(PEER_QUERIES)) {
      const [ref, peer] = await Promise.all([t.gql(query, {}, { token: peerTokens[tier].ref }), t.gql(query, {}, { token: peerTokens[tier].peer })]);
      expect(ref.body.errors, ref.text).toBeUndefined();
      expect(peer.body.errors, peer.text).toBeUndefined();
      const expected = ref.body.data[connection].edges.filter((e: any) => !never.has(e.node.id));
      expect(peer.body.data[connection].edges, `${tier} ${connection}`).toEqual(expected);
      expect(peer.body.data[connection].totalCount, `${tier} ${connection}`).toBe(expected.length);
      for (const e of ref.body.data[connection].edges) seen.add(e.node.id);
      texts.push(peer.text);
    }
    // It can fail: the reference sees what never leaves (the RED records naming it; CORE the embargoed notice, TRUSTED and CORE a case before publication).
    expect([peerIds.redIndicator, peerIds.redNotice, ...Object.values(receivedIds)].every((id) => seen.has(id)), tier).toBe(true);
    expect(seen.has(receivedIds.onward)).toBe(true);
    expect(seen.has(receivedNoticeId!)).toBe(true);
    expect(seen.has(ids.embargoed), tier).toBe(tier === 'CORE');
    expect(seen.has(cases.fix), tier).toBe(tier !== 'COMMUNITY');
    assertNoMarkers(tier, texts.join('\n'));
    for (const id of never) expect(texts.join('\n').includes(id), `${tier} peer received ${id}`).toBe(false);
    // Lookups and filters on the values of what never leaves answer a peer as on values nobody published.
    for (const value of ['leak-peer-red.example', ...neverValues(tier)]) {
      for (const query of [
        `query($v: String!) { lookupIndicators(values: [$v]) { input normalized type known indicators { id } } }`,
        `query($v: String!) { indicators(filter: { value: $v }) { totalCount countUpTo(atMost: 1) { value exact } pageInfo { hasNextPage endCursor } edges { node { id } } } }`,
      ]) {
        const hidden = await gqlText(query, { v: value }, peerTokens[tier].peer);
        expect(swap(hidden, [value], 'X'), `${tier} ${value}`).toBe(swap(await gqlText(query, { v: 'leak-never-published.example' }, peerTokens[tier].peer), ['leak-never-published.example'], 'X'));
      }
    }
    // By id: what never leaves answers a peer as a missing id does.
    for (const [id, query] of [
      [peerIds.redIndicator, `query($id: ID!) { indicator(id: $id) { id value } node(id: $id) { id } }`],
      [ids.embargoed, `query($id: ID!) { modelRiskNotice(id: $id) { id title } node(id: $id) { id } }`],
      [cases.fix, `query($id: ID!) { vulnerability(id: $id) { id title } node(id: $id) { id } }`],
      [receivedIds.local, `query($id: ID!) { indicator(id: $id) { id value } stixBundle(ids: [$id]) }`],
      [ids.embargoed, `query($id: ID!) { stixBundle(ids: [$id]) }`],
    ] as const) {
      const missing = missingId(id.split('--')[0]!);
      const answer = async (x: string) => swap(await gqlText(query, { id: x }, peerTokens[tier].peer), [x], 'X').replace(/bundle--[0-9a-f-]{36}/g, 'bundle--X');
      expect(await answer(id)).toBe(await answer(missing));
    }
  });

  it.each(PEER_TIERS)('over alerts, with the puller\'s selection: a %s peer hears the reference member\'s events, less what never leaves', async (tier) => {
    const { peer, ref } = peerStreams[tier];
    // Last, a RED record naming both: the reference hears it; the peer's place (its heartbeats' cursor) does not move for it.
    const late = await t.gql(`mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { indicator { id } } } }`, {
      input: { idempotencyKey: `peer-late-${tier}`, indicators: [{ value: `leak-peer-late-${tier.toLowerCase()}.example`, tlp: 'RED', recipients: [`leak-peer-${tier.toLowerCase()}`, `leak-ref-${tier.toLowerCase()}`], severity: 'LOW', confidence: 10 }] },
    }, { token: await t.token(publisherId, ['reader', 'publisher']) });
    const lateId = late.body.data.publishIndicators.results[0].indicator.id as string;
    await ref.until((s) => s.events.some((e) => e.indicator?.id === lateId), 'the late RED record at the reference');
    await Promise.all([peer.nextHeartbeats(2), ref.nextHeartbeats(2)]);
    const never = new Set([...neverLeaves(tier), lateId]);
    expect(peer.events.length).toBeGreaterThan(0);
    expect(peer.heartbeats.at(-1)!.cursor, `${tier} peer's heartbeat moved for a record it was not sent`).toBe(peer.events.at(-1)!.cursor);
    // It can fail: the reference's place did move to the late record.
    expect(ref.events.at(-1)!.indicator?.id).toBe(lateId);
    expect(ref.heartbeats.at(-1)!.cursor).toBe(ref.events.at(-1)!.cursor);
    const recordOf = (e: any) => e.indicator?.id ?? e.notice?.id ?? e.vulnerability?.id;
    const withoutCursor = ({ cursor: _c, ...rest }: any) => rest;
    const expected = ref.events.filter((e) => !never.has(recordOf(e))).map(withoutCursor);
    expect(peer.events.map(withoutCursor), tier).toEqual(expected);
    // It can fail: the reference heard the RED records naming it.
    expect(ref.events.map(recordOf)).toEqual(expect.arrayContaining([peerIds.redIndicator, peerIds.redNotice]));
    expect(expected.length).toBeGreaterThan(0);
    const text = JSON.stringify(peer.messages);
    assertNoMarkers(tier, text);
    for (const id of never) expect(text.includes(id), `${tier} peer heard of ${id}`).toBe(false);
  });

  it.each(PEER_TIERS)('over TAXII and the MISP feed: a %s peer reads what the reference member reads, less what never leaves', async (tier) => {
    const { peer, ref } = peerTokens[tier];
    const never = neverLeaves(tier);
    const collections = JSON.parse((await get('/taxii2/hub/collections/', peer)).text).collections as Array<{ id: string }>;
    expect(collections.length).toBeGreaterThan(0);
    for (const c of collections) {
      const [r, p] = await Promise.all([get(`/taxii2/hub/collections/${c.id}/objects/`, ref), get(`/taxii2/hub/collections/${c.id}/objects/`, peer)]);
      expect(p.status, p.text).toBe(200);
      // Each caller reads its own organisation's identity in the reference collection: left out of the comparison.
      const objects = (text: string) => ((JSON.parse(text).objects ?? []) as Array<{ id: string; name?: string }>).filter((o) => !/^leak-(peer|ref)-/.test(o.name ?? ''));
      const expected = objects(r.text).filter((o) => !never.has(o.id));
      expect(objects(p.text), `${tier} ${c.id}`).toEqual(expected);
      // The reference collection lists the member directory (member ids the matrix uses as markers), as `members` does.
      if (c.id !== 'df6684fb-ab9f-41a4-b5fe-5bc9622c0568') assertNoMarkers(tier, p.text);
      for (const id of never) expect(p.text.includes(id), `${tier} peer read ${id} over TAXII`).toBe(false);
    }
    if (tier === 'CORE') {
      const missing = missingId('x-model-risk-notice');
      const hidden = await get(`/taxii2/hub/collections/model-risk-notices/objects/${ids.embargoed}/`, peer);
      expect(swap(hidden.text, [ids.embargoed], 'X')).toBe(swap((await get(`/taxii2/hub/collections/model-risk-notices/objects/${missing}/`, peer)).text, [missing], 'X'));
    }
    // The MISP feed: manifest, every event and hashes.csv, the reference's (neither carries RED),
    // but for the uuids of events and attributes, which are per member (src/misp/misp-ids.ts).
    const noUuids = (text: string) => JSON.stringify(JSON.parse(text, (k, v) => (k === 'uuid' ? undefined : v)));
    const [rm, pm] = await Promise.all([get('/misp/feed/manifest.json', ref, 'application/json'), get('/misp/feed/manifest.json', peer, 'application/json')]);
    expect(pm.status, pm.text).toBe(200);
    /** Every attribute value of the feed's events. */
    const values = async (manifest: string, token: string) => {
      const out: string[] = [];
      for (const uuid of Object.keys(JSON.parse(manifest))) {
        const event = await get(`/misp/feed/${uuid}.json`, token, 'application/json');
        expect(event.status, event.text).toBe(200);
        if (token === peer) assertNoMarkers(tier, event.text);
        JSON.parse(event.text, (k, v) => (k === 'value' && typeof v === 'string' ? (out.push(v), v) : v));
      }
      return out.sort();
    };
    const refValues = await values(rm.text, ref);
    expect(refValues).toEqual(expect.arrayContaining(neverValues(tier)));
    expect(await values(pm.text, peer)).toEqual(refValues.filter((v) => !neverValues(tier).includes(v)));
    const md5 = (v: string) => createHash('md5').update(v).digest('hex');
    const hashes = async (token: string) => (await get('/misp/feed/hashes.csv', token, 'text/csv')).text.split('\n').filter(Boolean).map((l) => l.split(',')[0]).sort();
    expect(await hashes(peer)).toEqual((await hashes(ref)).filter((h) => !neverValues(tier).map(md5).includes(h!)));
  });
});

describe('who sees whom in the people directory', () => {
  const PEOPLE = `query($m: ID) { people(memberId: $m) { ${PEOPLE_FIELDS} } }`;
  const personMarkers = [SECRETS.personId, SECRETS.personName, SECRETS.personEmail, SECRETS.rosterPersonName, SECRETS.rosterPersonEmail];

  it("shows a member's people (names, emails) to its member-admins and hub-admins only: not to its other people, nor to a community's administrators through its roster", async () => {
    // The member's own people without member-admin: refused, whatever the directory holds.
    for (const roles of [['reader'], ['reader', 'publisher', 'approver']] as const) {
      const colleague = await gqlText(PEOPLE, {}, await t.token(publisherId, [...roles]));
      expect(colleague).toContain('FORBIDDEN');
      for (const secret of personMarkers) expect(colleague).not.toContain(secret.marker);
    }
    // The community's administrator sees its roster's members, never their people.
    const roster = await gqlText('{ communities { members { id name sector kind country } owner { id name } } }', {}, publisherAdmin);
    expect(roster).toContain(SECRETS.rosterMember.marker);
    for (const secret of [SECRETS.rosterPersonName, SECRETS.rosterPersonEmail]) expect(roster).not.toContain(secret.marker);
    const theirs = await gqlText(PEOPLE, { m: SECRETS.rosterMember.marker }, publisherAdmin);
    expect(swap(theirs, [SECRETS.rosterMember.marker], 'X')).toBe(swap(await gqlText(PEOPLE, { m: 'no-such-member' }, publisherAdmin), ['no-such-member'], 'X'));
    // A member in the community learns nothing of the owner's people either.
    const memberAdmin = await gqlText(PEOPLE, { m: publisherId }, await t.tokenAs(SECRETS.rosterMember.marker, 'admin@roster', ['reader', 'member-admin']));
    for (const secret of [SECRETS.personId, SECRETS.personName, SECRETS.personEmail]) expect(memberAdmin).not.toContain(secret.marker);
    // Its own member-admin and a hub-admin do see them: the markers are really there.
    expect(await gqlText(PEOPLE, {}, await t.tokenAs(SECRETS.rosterMember.marker, 'admin@roster', ['reader', 'member-admin']))).toContain(SECRETS.rosterPersonEmail.marker);
    t.member('leak-operator', 'CORE', { allowedRoles: ['reader', 'member-admin', 'hub-admin'] });
    const hubAdmin = await t.tokenAs('leak-operator', 'ops@leak-operator', ['reader', 'hub-admin']);
    const all = await gqlText(PEOPLE, {}, hubAdmin);
    for (const secret of personMarkers) expect(all).toContain(secret.marker);
  });
});

describe('a viewer that joins a community, then leaves it', () => {
  const LIST = '{ communities { id name description owner { id } members { id } updatedAt } }';
  const change = async (mutation: 'addCommunityMember' | 'removeCommunityMember', memberId: string) => {
    const res = await t.gql(`mutation($c: ID!, $m: ID!) { ${mutation}(communityId: $c, memberId: $m) { id } }`, { c: ids.community, m: memberId }, { token: publisherAdmin });
    expect(res.body.errors).toBeUndefined();
  };

  it.each(['COMMUNITY', 'TRUSTED', 'CORE'] as const)('sees, as a %s member, its name and RED records while in it, never its roster, and after leaving exactly what it saw before', async (v) => {
    const token = tokens[v]!;
    const memberId = `leak-${v.toLowerCase()}`;
    const observe = async () => (await gqlText(CONNECTIONS, {}, token)) + (await gqlText(LIST, {}, token)) + (await gqlText(`query($id: ID!) { indicator(id: $id) { ${ALL_INDICATOR_FIELDS} } }`, { id: ids.communityRed }, token));
    const before = await observe();
    assertNoMarkers(v, before);

    await change('addCommunityMember', memberId);
    const inside = await observe();
    expect(inside).toContain(SECRETS.communityName.marker);
    expect(inside).toContain(SECRETS.communityDescription.marker);
    expect(inside).toContain(SECRETS.communityRedValue.marker);
    // Still never: the roster, the owner, who else a record names, and every other secret.
    expect(inside).not.toContain(SECRETS.rosterMember.marker);
    expect(inside).not.toContain('leak-recipient');
    expect(inside).not.toContain(ids.community + '"]');
    const stillHidden = hiddenFrom(v).filter(([name]) => !['communityName', 'communityDescription', 'communityRedValue'].includes(name));
    for (const [name, secret] of stillHidden) expect(inside.includes(secret.marker), `${v} received the ${name} marker while in the community`).toBe(false);

    await change('removeCommunityMember', memberId);
    expect(await observe()).toBe(before);
  });
});

/**
 * Model reviews (issue 14) in the matrix, on a hub of their own (a controlled clock, and its CORE
 * viewer joins after the reviews were scheduled, so that it is no default reviewer): a closed
 * review A (summary released to the public), an open review B and a cancelled review C, each with
 * an invited reviewer whose member id is a marker. While a review is not closed, its existence,
 * its findings (whatever their TLP) and its reviewer list reach nobody of the matrix; once closed,
 * its findings reach whom their TLP reaches, its reviewer list still nobody.
 */
describe('model reviews in the matrix', () => {
  const DAY = 86_400_000;
  const R = {
    closedDescription: { marker: m('RVCLOSEDDESC'), minTier: 'PUBLIC' as Viewer | null },
    closedGreenTitle: { marker: m('RVCLOSEDGREEN'), minTier: 'COMMUNITY' as Viewer | null },
    closedAmberTitle: { marker: m('RVCLOSEDAMBER'), minTier: 'TRUSTED' as Viewer | null },
    closedRedTitle: { marker: m('RVCLOSEDRED'), minTier: null as Viewer | null },
    openModel: { marker: m('RVOPENMODEL'), minTier: null as Viewer | null },
    openDescription: { marker: m('RVOPENDESC'), minTier: null as Viewer | null },
    openGreenTitle: { marker: m('RVOPENGREEN'), minTier: null as Viewer | null },
    openClearTitle: { marker: m('RVOPENCLEAR'), minTier: null as Viewer | null },
    openCaseTitle: { marker: m('RVOPENCASE'), minTier: null as Viewer | null },
    cancelledDescription: { marker: m('RVCANCELDESC'), minTier: null as Viewer | null },
    cancelledClearTitle: { marker: m('RVCANCELCLEAR'), minTier: null as Viewer | null },
    cancelReason: { marker: m('RVCANCELREASON'), minTier: null as Viewer | null },
    /**
     * The invited reviewer's member id: listed in the member directory, a reviewer to nobody of the
     * matrix. (It files findings under B and C only: the closed review's are filed by `rv-filer`,
     * whose findings, once released, name it as their source to whom sees sources.)
     */
    reviewer: { marker: m('rvreviewer'), minTier: null as Viewer | null },
    /** The review ids of B and C, set once scheduled. */
    openId: { marker: 'unset-open', minTier: null as Viewer | null },
    cancelledId: { marker: 'unset-cancelled', minTier: null as Viewer | null },
  };
  const hiddenReviewSecrets = (v: Viewer) => Object.entries(R).filter(([, s]) => s.minTier === null || RANK[v] < RANK[s.minTier]);
  const assertNoReviewMarkers = (v: Viewer, text: string, except: string[] = []) => {
    for (const [name, secret] of hiddenReviewSecrets(v)) {
      if (except.includes(name)) continue;
      expect(text.includes(secret.marker), `${v} received the ${name} marker`).toBe(false);
    }
  };
  const REVIEWER = R.reviewer.marker;
  let r: TestHub;
  let rclock = Date.now();
  let rorigin: string;
  const rt: Partial<Record<Viewer, string>> = {};
  let labToken: string;
  const rids = {} as Record<'closed' | 'open' | 'cancelled' | 'closedGreen' | 'closedAmber' | 'closedRed' | 'openGreen' | 'openClear' | 'openCase' | 'cancelledClear', string>;
  const streams: Partial<Record<Viewer, AlertStream>> = {};
  /** A peer hub (a member of kind HUB) of each tier: the peer channel of reviews. */
  const rpeer = {} as Record<PeerTier, string>;
  const rpeerStreams = {} as Record<PeerTier, AlertStream>;
  const absentReview = () => `x-model-review--${randomUUID()}`;
  const REVIEW_ALL = `id model { name developer version } description lab { id } plannedDeploymentAt windowOpensAt closedAt cancelledAt cancelReason status reviewers { id }
    findings { __typename ... on ModelRiskNotice { id title tlp } ... on Vulnerability { id title } } summary { total byCategory { category count } bySeverity { severity count } highestSeverity } summaryPublic createdAt updatedAt`;
  /** An answer's text, with STIX bundle ids (random per answer) replaced. */
  const rq = async (query: string, variables: Record<string, unknown>, token?: string) => (await r.gql(query, variables, { token })).text.replace(/bundle--[0-9a-f-]{36}/g, 'bundle--X');

  beforeAll(async () => {
    r = await startTestHub({ config: { anonymousReads: true, alertHeartbeatMs: 40 }, start: { clock: () => rclock } });
    rorigin = r.url.replace(/\/graphql$/, '');
    const roles = ['reader', 'publisher', 'approver', 'member-admin'] as const;
    await Promise.all([
      r.member('rv-lab', 'TRUSTED', { kind: 'LAB' }).token(),
      r.member(REVIEWER, 'COMMUNITY').token(),
      r.member('rv-plain', 'COMMUNITY').token(),
      r.member('rv-filer', 'COMMUNITY').token(),
      r.member('rv-community', 'COMMUNITY').token(),
      r.member('rv-trusted', 'TRUSTED').token(),
    ]);
    labToken = await r.tokenAs('rv-lab', 'lena@rv-lab', [...roles]);
    const reviewerToken = await r.tokenAs(REVIEWER, 'rex@reviewer', ['reader', 'publisher']);
    const filerToken = await r.tokenAs('rv-filer', 'fay@filer', ['reader', 'publisher']);
    rt.COMMUNITY = await r.token('rv-community', ['reader', 'publisher']);
    rt.TRUSTED = await r.token('rv-trusted', ['reader', 'publisher']);
    for (const v of ['PUBLIC', 'COMMUNITY', 'TRUSTED'] as const) streams[v] = await alertStream(r, rt[v], { selection: REVIEW_ALERT_SELECTION });
    for (const v of ['COMMUNITY', 'TRUSTED'] as const) {
      rpeer[v] = await r.member(`rv-peer-${v.toLowerCase()}`, v, { kind: 'HUB', allowedRoles: ['reader'] }).token(['reader']);
      rpeerStreams[v] = await alertStream(r, rpeer[v], { selection: REVIEW_ALERT_SELECTION });
    }
    const schedule = async (model: Record<string, unknown>, description: string, planned: number, publicSummary: boolean) => {
      const res = await r.gql(`mutation($input: ModelReviewInput!) { scheduleModelReview(input: $input) { id } }`, {
        input: { model, description, plannedDeploymentAt: new Date(planned).toISOString(), reviewerIds: [REVIEWER, 'rv-filer'], publicSummary },
      }, { token: labToken });
      if (res.body.errors) throw new Error(res.text);
      return res.body.data.scheduleModelReview.id as string;
    };
    const n = rclock;
    rids.closed = await schedule({ name: 'Closed-Model', developer: 'Rv Lab' }, R.closedDescription.marker, n + 31 * DAY, true);
    rids.open = await schedule({ name: R.openModel.marker, developer: 'Rv Lab' }, R.openDescription.marker, n + 40 * DAY, false);
    rids.cancelled = await schedule({ name: 'Cancelled-Model', developer: 'Rv Lab' }, R.cancelledDescription.marker, n + 40 * DAY, false);
    R.openId.marker = rids.open;
    // The TRUSTED peer hub is invited to review B: a peer is never a review's insider, invited or not.
    const invited = await r.gql(`mutation($id: ID!) { inviteReviewers(reviewId: $id, memberIds: ["rv-peer-trusted"]) { id } }`, { id: rids.open }, { token: labToken });
    if (invited.body.errors) throw new Error(invited.text);
    R.cancelledId.marker = rids.cancelled;
    // The CORE viewer joins now: no default reviewer of the reviews scheduled before.
    rclock += 1;
    await r.member('rv-core', 'CORE').token();
    rt.CORE = await r.token('rv-core', ['reader', 'publisher']);
    streams.CORE = await alertStream(r, rt.CORE, { selection: REVIEW_ALERT_SELECTION });
    rpeer.CORE = await r.member('rv-peer-core', 'CORE', { kind: 'HUB', allowedRoles: ['reader'] }).token(['reader']);
    rpeerStreams.CORE = await alertStream(r, rpeer.CORE, { selection: REVIEW_ALERT_SELECTION });

    rclock = n + 10 * DAY;
    const file = async (reviewId: string, title: string, tlp: string, over: Record<string, unknown> = {}, token = reviewerToken) => {
      const res = await r.gql(`mutation($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }`, {
        input: { title, summary: 'what the reviewer found', model: { name: 'Reviewed', developer: 'Rv Lab' }, category: 'JAILBREAK', severity: 'HIGH', tlp, status: 'PUBLISHED', reviewId, ...over },
      }, { token });
      if (res.body.errors) throw new Error(res.text);
      return res.body.data.publishModelRiskNotice.id as string;
    };
    rids.closedGreen = await file(rids.closed, R.closedGreenTitle.marker, 'GREEN', {}, filerToken);
    rids.closedAmber = await file(rids.closed, R.closedAmberTitle.marker, 'AMBER', {}, filerToken);
    rids.closedRed = await file(rids.closed, R.closedRedTitle.marker, 'RED', { recipients: ['rv-lab'] }, filerToken);
    rids.openGreen = await file(rids.open, R.openGreenTitle.marker, 'GREEN');
    rids.openClear = await file(rids.open, R.openClearTitle.marker, 'CLEAR');
    rids.cancelledClear = await file(rids.cancelled, R.cancelledClearTitle.marker, 'CLEAR');
    const kase = await r.gql(`mutation($input: VulnerabilityInput!) { submitVulnerability(input: $input) { id } }`, {
      input: { title: R.openCaseTitle.marker, summary: 's', severity: 'HIGH', cwes: ['CWE-787'], affected: [{ vendorName: 'V', product: 'p', versions: '1' }], discovery: { method: 'AI_MODEL', model: { name: 'Reviewed', developer: 'Rv Lab' }, humanValidated: true }, reviewId: rids.open },
    }, { token: reviewerToken });
    if (kase.body.errors) throw new Error(kase.text);
    rids.openCase = kase.body.data.submitVulnerability.id;
    const cancel = await r.gql(`mutation($id: ID!, $reason: String!) { cancelModelReview(reviewId: $id, reason: $reason) { id } }`, { id: rids.cancelled, reason: R.cancelReason.marker }, { token: labToken });
    if (cancel.body.errors) throw new Error(cancel.text);
    // An early close of B asked for: an approval request of the lab's.
    const early = await r.gql(`mutation($id: ID!) { closeModelReview(reviewId: $id) { id } }`, { id: rids.open }, { token: labToken });
    expect(early.body.errors?.[0]?.extensions?.code).toBe('APPROVAL_REQUIRED');
    rclock = n + 31 * DAY;
    const maintenance = r.hub.maintenance as typeof r.hub.maintenance & { checkReviews?: () => Promise<number> };
    expect(await maintenance.checkReviews!()).toBe(1);
    rclock += 1;
    await Promise.all(Object.values(streams).map((s) => s!.nextHeartbeats(2)));
  });

  const RCHANNELS: Array<{ name: string; run(v: Viewer, token: string | undefined): Promise<string> }> = [
    {
      name: 'model reviews: lists, counts, cursors and filters',
      async run(v, token) {
        const list = await r.gql(`{ modelReviews(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${REVIEW_ALL} } } } }`, {}, { token });
        expect(list.body.errors, list.text).toBeUndefined();
        expect(list.body.data.modelReviews.edges.map((e: any) => e.node.id)).toEqual([rids.closed]);
        expect(list.body.data.modelReviews.totalCount).toBe(1);
        const closed = list.body.data.modelReviews.edges[0].node;
        expect(closed).toMatchObject({ status: 'CLOSED', reviewers: null, summary: { total: 3 } });
        const texts = [list.text];
        const q = `query($f: ModelReviewFilter) { modelReviews(filter: $f, first: 1) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }`;
        for (const [hidden, absent] of [
          [{ modelName: R.openModel.marker }, { modelName: 'no-such-model' }],
          [{ status: ['OPEN', 'SCHEDULED'] }, { status: ['SCHEDULED'] }],
          [{ status: ['CANCELLED'] }, { status: ['SCHEDULED'] }],
          [{ modelName: 'Cancelled-Model' }, { modelName: 'no-such-model' }],
        ] as const) {
          const answer = await rq(q, { f: hidden }, token);
          expect(swap(answer, [R.openModel.marker], 'X')).toBe(swap(await rq(q, { f: absent }, token), ['no-such-model'], 'X'));
          texts.push(answer);
        }
        const first = await r.gql(q, { f: { lab: ['rv-lab'] } }, { token });
        texts.push(first.text);
        if (!first.body.errors) expect(first.body.data.modelReviews).toMatchObject({ totalCount: 1, pageInfo: { hasNextPage: false } });
        return texts.join('\n');
      },
    },
    {
      name: 'a review by id (modelReview, node, stixBundle) answers like a missing id',
      async run(_v, token) {
        const texts: string[] = [];
        for (const id of [rids.open, rids.cancelled]) {
          for (const query of [`query($id: ID!) { modelReview(id: $id) { ${REVIEW_ALL} } }`, `query($id: ID!) { node(id: $id) { id ... on ModelReview { description reviewers { id } } } }`, `query($id: ID!) { stixBundle(ids: [$id]) }`]) {
            const hidden = await rq(query, { id }, token);
            const missing = absentReview();
            expect(swap(hidden, [id], 'X')).toBe(swap(await rq(query, { id: missing }, token), [missing], 'X'));
            texts.push(swap(hidden, [id], 'X'));
          }
        }
        // The closed review's STIX: never its reviewers.
        texts.push(await rq(`query($id: ID!) { stixBundle(ids: [$id]) }`, { id: rids.closed }, token));
        return texts.join('\n');
      },
    },
    {
      name: 'findings: lists, counts, the reviewId filter, lookups by id',
      async run(v, token) {
        const texts: string[] = [];
        const all = await r.gql(`{ modelRiskNotices(first: 50) { totalCount edges { node { id title tlp review { id status reviewers { id } } } } } vulnerabilities(first: 50) { totalCount edges { node { id title review { id } } } } }`, {}, { token });
        expect(all.body.errors, all.text).toBeUndefined();
        const expected = v === 'PUBLIC' ? [] : RANK[v] >= RANK.TRUSTED ? [rids.closedGreen, rids.closedAmber] : [rids.closedGreen];
        expect(all.body.data.modelRiskNotices.edges.map((e: any) => e.node.id).sort()).toEqual(expected.sort());
        expect(all.body.data.modelRiskNotices.totalCount).toBe(expected.length);
        expect(all.body.data.vulnerabilities.totalCount).toBe(0);
        texts.push(all.text);
        const byReview = `query($id: ID!) { modelRiskNotices(filter: { reviewId: $id }, first: 1) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title } } } }`;
        for (const id of [rids.open, rids.cancelled]) {
          const hidden = await rq(byReview, { id }, token);
          const missing = absentReview();
          expect(hidden).toBe(await rq(byReview, { id: missing }, token));
          texts.push(hidden);
        }
        texts.push(await rq(byReview, { id: rids.closed }, token));
        for (const id of [rids.openGreen, rids.openClear, rids.cancelledClear, rids.closedRed, ...(v === 'PUBLIC' ? [rids.closedGreen] : [])]) {
          for (const query of [`query($id: ID!) { modelRiskNotice(id: $id) { id title review { id } } }`, `query($id: ID!) { node(id: $id) { id } }`, `query($id: ID!) { stixBundle(ids: [$id]) }`]) {
            const hidden = await rq(query, { id }, token);
            const missing = missingId('x-model-risk-notice');
            expect(swap(hidden, [id], 'X')).toBe(swap(await rq(query, { id: missing }, token), [missing], 'X'));
            texts.push(hidden);
          }
        }
        const kase = `query($id: ID!) { vulnerability(id: $id) { id title } node(id: $id) { id } }`;
        const missingCase = missingId('vulnerability');
        expect(swap(await rq(kase, { id: rids.openCase }, token), [rids.openCase], 'X')).toBe(swap(await rq(kase, { id: missingCase }, token), [missingCase], 'X'));
        return texts.join('\n');
      },
    },
    {
      name: 'filing a finding under, or managing, a hidden review answers like a missing one; a reviewer is told apart from no one',
      async run(v, token) {
        if (!token) return '';
        const texts: string[] = [];
        const admin = await r.token(`rv-${v.toLowerCase()}`, ['reader', 'publisher', 'member-admin']);
        const notice = `mutation($id: ID!) { publishModelRiskNotice(input: { title: "mine", summary: "s", model: { name: "M", developer: "D" }, category: JAILBREAK, severity: LOW, tlp: GREEN, status: PUBLISHED, reviewId: $id }) { id } }`;
        const kase = `mutation($id: ID!) { submitVulnerability(input: { title: "mine", summary: "s", severity: LOW, cwes: ["CWE-787"], affected: [{ vendorName: "V", product: "p", versions: "1" }], discovery: { method: HUMAN, humanValidated: true }, reviewId: $id }) { id } }`;
        const manage = [
          `mutation($id: ID!) { inviteReviewers(reviewId: $id, memberIds: ["rv-plain"]) { id reviewers { id } } }`,
          `mutation($id: ID!) { removeReviewers(reviewId: $id, memberIds: ["${REVIEWER}"]) { id reviewers { id } } }`,
          `mutation($id: ID!) { rescheduleModelReview(reviewId: $id, plannedDeploymentAt: "2099-01-01T00:00:00.000Z", reason: "r") { id } }`,
          `mutation($id: ID!) { closeModelReview(reviewId: $id) { id } }`,
          `mutation($id: ID!) { cancelModelReview(reviewId: $id, reason: "r") { id } }`,
          `mutation($id: ID!) { releaseModelReviewSummary(reviewId: $id) { id } }`,
        ];
        for (const id of [rids.open, rids.cancelled]) {
          for (const [query, who] of [[notice, token], [kase, token], ...manage.map((m) => [m, admin] as const)] as const) {
            const hidden = await rq(query, { id }, who);
            const missing = absentReview();
            expect(hidden).toContain('"errors"');
            expect(swap(hidden, [id], 'X'), query).toBe(swap(await rq(query, { id: missing }, who), [missing], 'X'));
            texts.push(swap(hidden, [id], 'X'));
          }
        }
        // On the closed review it may see: whether a member is a reviewer shows in no error.
        for (const mutation of ['inviteReviewers', 'removeReviewers']) {
          const q = (member: string) => `mutation($id: ID!) { ${mutation}(reviewId: $id, memberIds: ["${member}"]) { id reviewers { id } } }`;
          const asReviewer = await rq(q(REVIEWER), { id: rids.closed }, admin);
          const asPlain = await rq(q('rv-plain'), { id: rids.closed }, admin);
          expect(swap(asReviewer, [REVIEWER], 'X')).toBe(swap(asPlain, ['rv-plain'], 'X'));
          texts.push(swap(asReviewer, [REVIEWER], 'X'));
        }
        return texts.join('\n');
      },
    },
    {
      name: 'TAXII collections, objects by id and manifests',
      async run(_v, token) {
        const texts: string[] = [];
        const get = async (path: string) => {
          rclock += 1;
          const res = await fetch(`${rorigin}/taxii2/hub/collections/${path}`, { headers: { accept: 'application/taxii+json;version=2.1', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
          return `${res.status} ${res.headers.get('x-taxii-date-added-first')} ${res.headers.get('x-taxii-date-added-last')}\n${await res.text()}`;
        };
        const collections = JSON.parse((await get('')).split('\n').slice(1).join('\n')).collections as Array<{ id: string }>;
        for (const c of collections) {
          // The reference collection serves the member directory's identities (the reviewer among
          // them, as in `members`): its id is left out there, checked everywhere else.
          const directory = (text: string) => (c.id === 'df6684fb-ab9f-41a4-b5fe-5bc9622c0568' ? swap(text, [REVIEWER], 'X') : text);
          texts.push(directory(await get(`${c.id}/objects/`)), directory(await get(`${c.id}/manifest/`)));
          for (const id of [rids.openClear, rids.cancelledClear, rids.open, rids.cancelled]) {
            const missing = `${id.split('--')[0]}--${randomUUID()}`;
            const hidden = await get(`${c.id}/objects/${id}/`);
            expect(swap(hidden, [id], 'X')).toBe(swap(await get(`${c.id}/objects/${missing}/`), [missing], 'X'));
            texts.push(swap(hidden, [id], 'X'));
          }
        }
        return texts.join('\n');
      },
    },
    {
      name: 'the member directory and member(id): a reviewer looks like any member',
      async run(v, token) {
        const q = (id: string) => rq(`query($id: ID!) { member(id: $id) { id name kind tier sector country status statusReason statusChangedAt } }`, { id }, token);
        const reviewer = await q(REVIEWER);
        expect(swap(reviewer, [REVIEWER], 'X')).toBe(swap(await q('rv-plain'), ['rv-plain'], 'X'));
        const list = await rq('{ members { id name kind tier sector country status } }', {}, token);
        if (v !== 'PUBLIC') expect(list).toContain(REVIEWER);
        return swap(reviewer + list, [REVIEWER], 'X');
      },
    },
    {
      name: 'the audit log and approval requests, read as the viewer member\'s admin',
      async run(v, token) {
        if (!token) return '';
        const admin = await r.token(`rv-${v.toLowerCase()}`, ['reader', 'member-admin', 'approver']);
        const audit = await rq(`query($f: AuditLogFilter) { auditLog(filter: $f, first: 500) { totalCount edges { node { id action memberId actor { memberId userId } target { kind id } summary details } } } }`, {}, admin);
        const foreign = await r.gql(`query($f: AuditLogFilter) { auditLog(filter: $f, first: 500) { totalCount edges { node { id } } } }`, { f: { memberId: 'rv-lab' } }, { token: admin });
        expect(foreign.body.data?.auditLog ?? { totalCount: 0, edges: [] }).toEqual({ totalCount: 0, edges: [] });
        const approvals = await rq(`{ approvalRequests(first: 50) { totalCount edges { node { id kind status reason target { kind id node { id } } } } } }`, {}, admin);
        expect(approvals).not.toContain('CLOSE_MODEL_REVIEW');
        expect(audit).not.toContain('MODEL_REVIEW');
        return audit + approvals;
      },
    },
    {
      name: 'alerts and heartbeats over graphql-ws',
      async run(v) {
        const stream = streams[v]!;
        const text = JSON.stringify(stream.messages);
        // What a viewer may hear: the closed review's REVIEW_CLOSED (members; anonymous callers too,
        // its summary being public) and the RELEASED of the findings its tier reaches.
        const heard = stream.events.map((e: any) => `${e.review?.id ?? e.notice?.id ?? '-'} ${e.type}`).sort();
        const released = v === 'PUBLIC' ? [] : RANK[v] >= RANK.TRUSTED ? [rids.closedGreen, rids.closedAmber] : [rids.closedGreen];
        expect(heard).toEqual([`${rids.closed} REVIEW_CLOSED`, ...released.map((id) => `${id} RELEASED`)].sort());
        for (const e of stream.events as any[]) if (e.review) expect(e.review.reviewers).toBeNull();
        return text;
      },
    },
  ];

  describe.each(VIEWERS)('a %s viewer', (viewer) => {
    it.each(RCHANNELS.map((c) => [c.name, c] as const))('learns nothing hidden of reviews through %s', async (_name, channel) => {
      const text = await channel.run(viewer, rt[viewer]);
      assertNoReviewMarkers(viewer, text);
      for (const id of [rids.open, rids.cancelled, rids.openGreen, rids.openClear, rids.openCase, rids.cancelledClear, rids.closedRed]) {
        expect(text.includes(id), `${viewer} received the id ${id}`).toBe(false);
      }
    });
  });

  it.each(PEER_TIERS)('the peer channel: a %s peer hub gets the reviews, findings and alerts a member of its tier gets, never an unreleased finding', async (tier) => {
    const q = `{ modelReviews(first: 50) { totalCount edges { node { ${REVIEW_ALL} } } }
      modelRiskNotices(first: 50) { totalCount edges { node { id title tlp review { id status reviewers { id } } } } }
      vulnerabilities(first: 50) { totalCount edges { node { id title review { id } } } } }`;
    const [member, peer] = [await rq(q, {}, rt[tier]), await rq(q, {}, rpeer[tier])];
    expect(JSON.parse(peer).errors, peer).toBeUndefined();
    // Nothing of these never leaves that a member of the tier sees (RED findings reach their recipients only): the same answer.
    expect(peer).toBe(member);
    expect(JSON.parse(peer).data.modelRiskNotices.totalCount).toBe(tier === 'COMMUNITY' ? 1 : 2);
    if (tier === 'TRUSTED') {
      // Invited, the peer still sees neither B nor its findings before the close (an invited member would).
      const asInvited = await rq(`query($id: ID!) { modelReview(id: $id) { id } modelRiskNotice(id: "${rids.openGreen}") { id } }`, { id: rids.open }, rpeer.TRUSTED);
      expect(asInvited).toBe(await rq(`query($id: ID!) { modelReview(id: $id) { id } modelRiskNotice(id: "${rids.openGreen}") { id } }`, { id: absentReview() }, rt.TRUSTED));
    }
    await Promise.all([rpeerStreams[tier].nextHeartbeats(2), streams[tier]!.nextHeartbeats(2)]);
    const events = (s: AlertStream) => s.events.map(({ cursor: _c, ...rest }) => rest);
    expect(events(rpeerStreams[tier])).toEqual(events(streams[tier]!));
    const text = peer + JSON.stringify(rpeerStreams[tier].messages);
    assertNoReviewMarkers(tier, text);
    for (const id of [rids.open, rids.cancelled, rids.openGreen, rids.openClear, rids.openCase, rids.cancelledClear, rids.closedRed]) {
      expect(text.includes(id), `the ${tier} peer received the id ${id}`).toBe(false);
    }
  });

  it('can fail: the lab and the reviewer see the markers', async () => {
    const q = (id: string) => `{ modelReview(id: "${id}") { ${REVIEW_ALL} } modelRiskNotices(first: 50) { edges { node { title } } } vulnerabilities(first: 50) { edges { node { title } } } }`;
    const lab = (await rq(q(rids.open), {}, labToken)) + (await rq(q(rids.cancelled), {}, labToken));
    for (const name of ['openModel', 'openDescription', 'openGreenTitle', 'openClearTitle', 'cancelledDescription', 'cancelledClearTitle', 'cancelReason', 'reviewer', 'closedRedTitle']) {
      expect(lab, `the lab should see ${name}`).toContain(R[name as keyof typeof R].marker);
    }
    const reviewer = await rq(q(rids.open), {}, await r.tokenAs(REVIEWER, 'rex@reviewer', ['reader', 'publisher']));
    for (const name of ['openModel', 'openDescription', 'openGreenTitle', 'openClearTitle', 'openCaseTitle', 'reviewer']) {
      expect(reviewer, `the reviewer should see ${name}`).toContain(R[name as keyof typeof R].marker);
    }
  });
});

describe("members' warning lists in the matrix", () => {
  const W = {
    amberName: { marker: m('WLAMBERNAME'), minTier: 'TRUSTED' as Viewer | null },
    amberEntry: { marker: m('WLAMBERENTRY'), minTier: 'TRUSTED' as Viewer | null },
    amberDescription: { marker: m('WLAMBERDESC'), minTier: 'TRUSTED' as Viewer | null },
    redName: { marker: m('WLREDNAME'), minTier: null as Viewer | null },
    redEntry: { marker: m('WLREDENTRY'), minTier: null as Viewer | null },
    redDescription: { marker: m('WLREDDESC'), minTier: null as Viewer | null },
    /** The lists' publisher: `owner` is gated at TRUSTED (its CLEAR list reaches everyone). */
    owner: { marker: m('WLOWNER'), minTier: 'TRUSTED' as Viewer | null },
  };
  const LIST_FIELDS = 'id name version type category indicatorTypes entryCount entries description owner { id name } tlp recipients createdAt updatedAt revoked';
  const WARNINGS = 'warnings { list listId version category match }';
  const VALUES = ['x.amber-hidden.example', 'x.red-hidden.example', 'x.clear-list.example'];
  let w: TestHub;
  const tokens: Partial<Record<Viewer, string>> = {};
  const ids: Record<'amber' | 'red' | 'clear', string> = { amber: '', red: '', clear: '' };
  let indicatorIds: string[] = [];
  let recipient = '';
  const q = async (query: string, variables: Record<string, unknown>, token?: string) => (await w.gql(query, variables, token ? { token } : {})).text;

  beforeAll(async () => {
    w = await startTestHub({ config: { anonymousReads: true, alertHeartbeatMs: 50 } });
    const owner = await w.member(W.owner.marker, 'TRUSTED').token(['publisher', 'reader']);
    recipient = await w.member('wl-recipient', 'COMMUNITY').token(['publisher', 'reader']);
    const lists = [
      ['amber', { name: W.amberName.marker, type: 'REGEX', entries: [`/^x\\.amber-hidden\\.example$|${W.amberEntry.marker}/`], tlp: 'AMBER', description: W.amberDescription.marker }],
      ['red', { name: W.redName.marker, type: 'REGEX', entries: [`/^x\\.red-hidden\\.example$|${W.redEntry.marker}/`], tlp: 'RED', recipients: ['wl-recipient'], description: W.redDescription.marker }],
      ['clear', { name: 'clear-list', type: 'HOSTNAME', entries: ['clear-list.example'], tlp: 'CLEAR' }],
    ] as const;
    for (const [key, input] of lists) {
      const res = await w.gql(`mutation($input: WarningListInput!) { publishWarningList(input: $input) { id } }`, { input }, { token: owner });
      expect(res.body.errors).toBeUndefined();
      ids[key] = res.body.data.publishWarningList.id;
    }
    for (const v of VIEWERS.filter((v) => v !== 'PUBLIC')) tokens[v] = await w.member(`wl-${v.toLowerCase()}`, v).token(['publisher', 'reader']);
    const pub = await w.member('wl-neutral', 'CORE').token(['publisher', 'reader']);
    const res = await w.gql(`mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { indicator { id } } } }`, { input: { idempotencyKey: 'wl', indicators: VALUES.map((value) => ({ value, tlp: 'CLEAR', severity: 'LOW', confidence: 50 })) } }, { token: pub });
    indicatorIds = res.body.data.publishIndicators.results.map((r: any) => r.indicator.id);
  });

  /** Everything a viewer gets of the lists: the lists, each by id, indicators' warnings, lookups, STIX, TAXII, its own publish results, alerts. */
  async function observed(v: Viewer, token: string | undefined): Promise<string> {
    const texts = [await q(`{ warningLists { ${LIST_FIELDS} } }`, {}, token)];
    for (const id of Object.values(ids)) texts.push(await q(`query($id: ID!) { warningList(id: $id) { ${LIST_FIELDS} } }`, { id }, token));
    texts.push(await q(`{ indicators(first: 20) { totalCount edges { node { value ${WARNINGS} } } } }`, {}, token));
    texts.push(await q(`query($values: [String!]!) { lookupIndicators(values: $values) { input known indicators { id ${WARNINGS} } } }`, { values: VALUES }, token));
    texts.push(await q(`query($ids: [ID!]!) { stixBundle(ids: $ids) }`, { ids: indicatorIds }, token));
    texts.push((await get('/taxii2/hub/collections/ddf9e498-e313-4c9f-a961-674ccefa2ab9/objects/', token)).text);
    if (token) {
      const stream = await alertStream(w, token, { filter: { excludeWarned: false } });
      texts.push(await q(`mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { status error { code message } ${WARNINGS} indicator { ${WARNINGS} } } } }`, { input: { idempotencyKey: `wl-${v}-${randomUUID()}`, indicators: VALUES.map((value) => ({ value, tlp: 'GREEN', severity: 'LOW', confidence: 40 })) } }, token));
      await stream.until((s) => s.events.length >= 3, 'its own three publishes');
      texts.push(JSON.stringify(stream.messages));
    }
    return texts.join('\n');
  }

  async function get(path: string, token?: string) {
    const res = await fetch(`${w.url.replace(/\/graphql$/, '')}${path}`, { headers: { accept: 'application/taxii+json;version=2.1', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    return { status: res.status, text: await res.text() };
  }

  it.each(VIEWERS)('shows a %s viewer exactly the list secrets its tier allows, and a hidden list as an absent one', async (v) => {
    const token = tokens[v];
    const text = await observed(v, token);
    for (const [name, secret] of Object.entries(W)) {
      const allowed = secret.minTier !== null && RANK[v] >= RANK[secret.minTier];
      expect(text.includes(secret.marker), `${v} and ${name}`).toBe(allowed);
    }
    // excludeWarned leaves out the matches of the lists it sees, and only those.
    await w.hub.maintenance.recomputeWarned();
    const count = async (value: string, excludeWarned: boolean) =>
      JSON.parse(await q(`query($f: IndicatorFilter) { indicators(filter: $f, first: 5) { totalCount } }`, { f: { value, excludeWarned } }, token)).data.indicators.totalCount as number;
    const amberAll = await count('x.amber-hidden.example', false);
    expect(amberAll).toBeGreaterThan(0);
    expect(await count('x.amber-hidden.example', true), `${v}: amber-listed kept`).toBe(RANK[v] >= RANK.TRUSTED ? 0 : amberAll);
    expect(await count('x.red-hidden.example', true), `${v}: red-listed kept`).toBe(await count('x.red-hidden.example', false));
    // A list it may not see reads, and refuses a revocation, as one that does not exist.
    const absent = `warning-list--${randomUUID()}`;
    for (const id of v === 'PUBLIC' || v === 'COMMUNITY' ? [ids.amber, ids.red] : [ids.red]) {
      for (const query of [`query($id: ID!) { warningList(id: $id) { id } node(id: $id) { id } }`, `mutation($id: ID!) { revokeWarningList(id: $id, reason: "r") { id } }`]) {
        expect(swap(await q(query, { id }, token), [id], 'X')).toBe(swap(await q(query, { id: absent }, token), [absent], 'X'));
      }
    }
  });

  it('can fail: the RED list\'s recipient sees its name and entries, its publisher everything', async () => {
    const text = await observed('COMMUNITY', recipient);
    for (const name of ['redName', 'redEntry', 'redDescription'] as const) expect(text, name).toContain(W[name].marker);
    expect(text).not.toContain(W.owner.marker);
  });
});

/**
 * Items held under HUB_WARNINGLIST_POLICY=hold (docs/intel-quality.md, "At publish"): not stored,
 * so nothing of them (value, description, TLP, recipients, the id its claim will take) reaches any
 * viewer of the matrix through any channel before a second person approves; the approval queue
 * shows the held item only to those who could see the indicator once stored.
 */
describe('held items in the matrix (HUB_WARNINGLIST_POLICY=hold)', () => {
  const H = {
    greenValue: m('HOLDGREEN'),
    amberValue: m('HOLDAMBER'),
    amberDescription: m('HOLDAMBERDESC'),
    redValue: m('HOLDRED'),
    redDescription: m('HOLDREDDESC'),
    /** A TLP:RED recipient nobody of the matrix is: named only by the held item's recipients. */
    redRecipient: m('holdrecipient'),
  };
  let h: TestHub;
  let horigin: string;
  const ht: Partial<Record<Viewer, string>> = {};
  const hstreams = {} as Record<Viewer, AlertStream>;
  const heldIds = {} as Record<'green' | 'amber' | 'red', { request: string; target: string }>;
  let pubApprover: string;
  const HELD_SELECTION = `id kind status reason requestedBy { memberId userId } target { kind id node { id } } change { tlp recipients indicator { type value submittedValue tlp recipients severity confidence tags description warnings { list match } } }`;
  const hq = async (query: string, variables: Record<string, unknown>, token?: string) => (await h.gql(query, variables, { token })).text;
  const heldMarkers = () => [...Object.values(H), ...Object.values(heldIds).flatMap((i) => [i.request, i.target])];
  const assertNoHeld = (v: Viewer, text: string) => {
    for (const marker of heldMarkers()) expect(text.includes(marker), `${v} received ${marker}`).toBe(false);
  };

  beforeAll(async () => {
    h = await startTestHub({ config: { anonymousReads: true, alertHeartbeatMs: 40, warningListPolicy: 'hold' } });
    horigin = h.url.replace(/\/graphql$/, '');
    await Promise.all([h.member('hold-pub', 'TRUSTED').token(), h.member(H.redRecipient, 'COMMUNITY').token()]);
    for (const v of ['COMMUNITY', 'TRUSTED', 'CORE'] as const) ht[v] = await h.member(`hold-${v.toLowerCase()}`, v).token(['reader', 'publisher']);
    for (const v of VIEWERS) hstreams[v] = await alertStream(h, ht[v]);
    const pub = await h.tokenAs('hold-pub', 'pat@hold-pub', ['reader', 'publisher']);
    pubApprover = await h.tokenAs('hold-pub', 'ada@hold-pub', ['reader', 'approver']);
    const res = await h.gql(`mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { held results { status approvalRequest { id target { id } } } } }`, {
      input: {
        idempotencyKey: 'held-matrix',
        indicators: [
          { value: `${H.greenValue}.bit.ly`, tlp: 'GREEN', severity: 'HIGH', confidence: 70 },
          { value: `${H.amberValue}.bit.ly`, tlp: 'AMBER', severity: 'HIGH', confidence: 70, description: H.amberDescription },
          { value: `${H.redValue}.bit.ly`, tlp: 'RED', recipients: [H.redRecipient], severity: 'HIGH', confidence: 70, description: H.redDescription },
        ],
      },
    }, { token: pub });
    if (res.body.errors || res.body.data.publishIndicators.held !== 3) throw new Error(res.text);
    res.body.data.publishIndicators.results.forEach((r: any, i: number) => (heldIds[(['green', 'amber', 'red'] as const)[i]!] = { request: r.approvalRequest.id, target: r.approvalRequest.target.id }));
  });

  const HCHANNELS: Channel[] = [
    {
      name: 'connections, counts, filters and lookups by value',
      async run(_v, token) {
        const texts = [await hq(CONNECTIONS, {}, token)];
        const q = `query($v: String!) { indicators(filter: { value: $v }) { totalCount countUpTo(atMost: 1) { value exact } edges { node { id } } } lookupIndicators(values: [$v]) { input normalized type known indicators { id } } }`;
        for (const marker of [H.greenValue, H.amberValue, H.redValue]) {
          const hidden = await hq(q, { v: `${marker}.bit.ly` }, token);
          expect(swap(hidden, [marker], 'X')).toBe(swap(await hq(q, { v: 'never-held.bit.ly' }, token), ['never-held'], 'X'));
          texts.push(swap(hidden, [marker], 'X'));
        }
        return texts.join('\n');
      },
    },
    {
      name: 'fetch by the id the held claim will take: as a missing id (GraphQL and TAXII)',
      async run(_v, token) {
        const texts = [];
        for (const { target } of Object.values(heldIds)) {
          const missing = `indicator--${randomUUID()}`;
          const q = `query($id: ID!) { indicator(id: $id) { id value } node(id: $id) { id } }`;
          const hidden = await hq(q, { id: target }, token);
          expect(swap(hidden, [target], 'X')).toBe(swap(await hq(q, { id: missing }, token), [missing], 'X'));
          const get = async (id: string) => {
            const res = await fetch(`${horigin}/taxii2/hub/collections/ddf9e498-e313-4c9f-a961-674ccefa2ab9/objects/${id}/`, { headers: { Accept: 'application/taxii+json;version=2.1', ...(token ? { Authorization: `Bearer ${token}` } : {}) } });
            return `${res.status} ${await res.text()}`;
          };
          const taxii = await get(target);
          expect(swap(taxii, [target], 'X')).toBe(swap(await get(missing), [missing], 'X'));
          texts.push(swap(hidden + taxii, [target], 'X'));
        }
        const all = await fetch(`${horigin}/taxii2/hub/collections/ddf9e498-e313-4c9f-a961-674ccefa2ab9/objects/`, { headers: { Accept: 'application/taxii+json;version=2.1', ...(token ? { Authorization: `Bearer ${token}` } : {}) } });
        texts.push(await all.text());
        return texts.join('\n');
      },
    },
    {
      name: "the approval queue and the audit log, read as the viewer member's admin and approver",
      async run(v, token) {
        if (!token) return hq(`{ approvalRequests(first: 50) { totalCount } }`, {}, token);
        const admin = await h.token(`hold-${v.toLowerCase()}`, ['reader', 'member-admin', 'approver']);
        const listed = await hq(`{ approvalRequests(first: 50) { totalCount edges { node { ${HELD_SELECTION} } } } }`, {}, admin);
        expect(JSON.parse(listed).data.approvalRequests.totalCount).toBe(0);
        const foreign = await hq(`query($id: ID!) { approveRequest(id: $id) { id } }`.replace('query', 'mutation'), { id: heldIds.red.request }, admin);
        const absentId = `approval--${randomUUID()}`;
        expect(swap(foreign, [heldIds.red.request], 'X')).toBe(swap(await hq(`mutation($id: ID!) { approveRequest(id: $id) { id } }`, { id: absentId }, admin), [absentId], 'X'));
        const audit = await hq(`query($f: AuditLogFilter) { auditLog(filter: $f, first: 500) { edges { node { action memberId target { id } summary details } } } }`, { f: { memberId: 'hold-pub' } }, admin);
        return listed + swap(foreign, [heldIds.red.request], 'X') + audit;
      },
    },
    {
      name: 'publishing the same value itself: its own HELD item, nothing of the publisher\'s',
      async run(v, token) {
        if (!token) return '';
        const res = await hq(`mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { held results { status warnings { list match } indicator { id } approvalRequest { ${HELD_SELECTION} } } } }`, {
          input: { idempotencyKey: `held-dup-${v}-${randomUUID()}`, indicators: [{ value: `${H.redValue}.bit.ly`, tlp: 'GREEN', severity: 'LOW', confidence: 1 }] },
        }, token);
        const answer = JSON.parse(res).data.publishIndicators;
        expect(answer.results[0]).toMatchObject({ status: 'HELD', indicator: null, approvalRequest: { requestedBy: { memberId: `hold-${v.toLowerCase()}` }, change: { indicator: { tlp: 'GREEN', description: null } } } });
        expect(answer.results[0].approvalRequest.target.id).not.toBe(heldIds.red.target);
        // Its own request names its own value: only that, not the publisher's description, TLP or recipient.
        return swap(res, [H.redValue], 'X');
      },
    },
    {
      name: 'alerts over graphql-ws',
      async run(v) {
        await hstreams[v].nextHeartbeats();
        expect(hstreams[v].events).toEqual([]);
        return JSON.stringify(hstreams[v].messages);
      },
    },
  ];

  describe.each(VIEWERS)('a %s viewer', (viewer) => {
    it.each(HCHANNELS.map((c) => [c.name, c] as const))('learns nothing of a held item through %s', async (_name, channel) => {
      assertNoHeld(viewer, await channel.run(viewer, ht[viewer]));
    });
  });

  it("shows hub-admins of other members what they could see once stored: a CORE one the GREEN and AMBER items, a COMMUNITY one the GREEN only, neither the RED one", async () => {
    await Promise.all([h.member('hold-ops-core', 'CORE', { allowedRoles: ['reader', 'hub-admin'] }).token(['reader']), h.member('hold-ops-community', 'COMMUNITY', { allowedRoles: ['reader', 'hub-admin'] }).token(['reader'])]);
    // The publisher's three requests (the viewers above held the RED value too, as their own GREEN items).
    const mine = new Set(Object.values(heldIds).map((i) => i.request));
    const list = async (token: string) => {
      const edges = JSON.parse(await hq(`{ approvalRequests(first: 50) { edges { node { ${HELD_SELECTION} } } } }`, {}, token)).data.approvalRequests.edges;
      const held = edges.filter((e: any) => mine.has(e.node.id));
      expect(held).toHaveLength(3);
      return JSON.stringify(held);
    };
    const core = await list(await h.tokenAs('hold-ops-core', 'cy@ops', ['reader', 'hub-admin']));
    const community = await list(await h.tokenAs('hold-ops-community', 'cal@ops', ['reader', 'hub-admin']));
    for (const text of [core, community]) {
      for (const id of Object.values(heldIds)) expect(text).toContain(id.request);
      for (const marker of [H.redValue, H.redDescription, H.redRecipient]) expect(text).not.toContain(marker);
      expect(text).toContain(H.greenValue);
    }
    expect(core).toContain(H.amberValue);
    expect(core).toContain(H.amberDescription);
    for (const marker of [H.amberValue, H.amberDescription]) expect(community).not.toContain(marker);
  });

  it('can fail: the publishing member\'s approver sees every held item, its recipients included', async () => {
    const text = await hq(`{ approvalRequests(first: 50) { edges { node { ${HELD_SELECTION} } } } }`, {}, pubApprover);
    for (const marker of Object.values(H)) expect(text, marker).toContain(marker);
  });
});
