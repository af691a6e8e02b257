/**
 * Non-interference: nothing a viewer observes may depend on what it may not see.
 *
 * For each tier, the same scripted workload runs twice on two fresh hubs with the same controlled
 * clock and deterministic ids: once alone, once interleaved with writes the viewer may not see
 * (hidden publishes, updates, sightings, revocations, RED batches, approvals, embargoed and draft
 * notices, tokens issued to other members, others' communities and roster changes, a roster change
 * of a community the viewer is in, RED records shared with a community the viewer is not in).
 * Everything the viewer observed (GraphQL connections
 * with totalCount, pageInfo and cursors; capped counts (`countUpTo`) of filtered lists; lookups; fetches by id, of visible, hidden and absent ids;
 * errors; STIX bundles; TAXII objects, manifest, object, versions and their headers, walks by
 * `next` and polls by `added_after`; the audit log as its member-admin sees it; idempotent
 * replays; the communities it is in and administers, and changing or naming one it is not in)
 * must be byte-identical. The graphql-ws alert stream has its own suite.
 *
 * Where a hidden write happens in the interleaved run, the alone run's clock still passes through
 * its slot: both runs write the visible records at the same instants.
 */
import { describe, expect, it } from 'vitest';
import type { MemberTier, Tier, Tlp } from '../src/domain/types.js';
import { offsetOfId } from '../src/taxii/date-added.js';
import { firstDifference, RunHub, slotTime, uuidAt } from './support/non-interference.js';

const TAXII = '/taxii2/hub/collections';
const COLLECTIONS = { indicators: 'ddf9e498-e313-4c9f-a961-674ccefa2ab9', notices: 'fc6234ba-1d08-4c68-92c5-2765ca3f6581', reference: 'df6684fb-ab9f-41a4-b5fe-5bc9622c0568' };

const PUBLISH = `mutation ($input: PublishIndicatorsInput!) {
  publishIndicators(input: $input) { replayed results { index status error { code message field } indicator { ...I } } }
} fragment I on Indicator { id value tlp recipients confidence revoked sightingCount updatedAt }`;
const NOTICE = `mutation ($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }`;
const SIGHT = `mutation ($id: ID!) { reportSighting(indicatorId: $id) { id sightingCount updatedAt } }`;
const REVOKE = `mutation ($id: ID!) { revokeIndicator(id: $id, reason: "benign") { id revoked } }`;

const INDICATOR_FIELDS = 'id type value tlp recipients severity confidence tags sightingCount lastSeenAt revoked revokedReason createdAt updatedAt sourceSector source { id } sightings { id count seenAt reportedAt reporter { id } }';
const NOTICE_FIELDS = 'id title tlp recipients status embargoUntil mitigations technicalDetails evaluationEvidence source { id } relatedIndicators { id } createdAt updatedAt';
const CONNECTION = (field: string, fields: string) => `query ($first: Int, $after: String) {
  ${field}(first: $first, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${fields} } } }
}`;
const BY_SCORE = `query ($first: Int, $after: String) {
  indicators(first: $first, after: $after, orderBy: { field: SCORE }) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id score decayed } } }
}`;
const BY_ID = `query ($id: ID!, $ids: [ID!]!) {
  indicator(id: $id) { ${INDICATOR_FIELDS} }
  node(id: $id) { id __typename }
  stixBundle(ids: $ids)
}`;
/** Exact and capped counts of filtered lists: caps small enough that a hidden match would fill them. */
const COUNTS = `query ($f: IndicatorFilter) {
  indicators(filter: $f, first: 1) { totalCount one: countUpTo(atMost: 1) { value exact } two: countUpTo(atMost: 2) { value exact } all: countUpTo { value exact } }
}`;
const COUNT_FILTERS = () => [{}, { minConfidence: 60 }, { updatedSince: new Date(slotTime(0)).toISOString() }, { tlp: ['RED'] }, { revoked: true }, { type: ['IPV4'], minConfidence: 10 }, ...SCORE_FILTERS];
/** Score filters (issue 16): pages, scores and counts read from the stored bases. */
const SCORE_FILTERS = [{ minScore: 45 }, { excludeDecayed: true }, { minScore: 60, type: ['IPV4'] }];
const SCORED = `query ($f: IndicatorFilter) { indicators(filter: $f, first: 3) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id score decayed } } } }`;
const NOTICE_BY_ID = `query ($id: ID!) { modelRiskNotice(id: $id) { ${NOTICE_FIELDS} } node(id: $id) { id } }`;
const LOOKUP = `query ($values: [String!]!) { lookupIndicators(values: $values) { input normalized type known indicators { id tlp } } }`;
const AUDIT = `query ($first: Int, $after: String) {
  auditLog(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id seq at action actor { memberId userId } memberId target { kind id } summary details hash previousHash canonical } }
    chain { algorithm verificationKey checkpoints(first: 5) { position headHash at keyId jws } }
  }
}`;

/** Clearinghouse cases (issue 13): everything of a case a viewer may be shown. */
const VULN_FIELDS = 'id title status tlp cwes proofOfConcept technicalDetails suggestedFix credits { name } affected { vendor { id } vendorName product } vendorStatuses { vendor { id } status notifiedAt queuedAt } reporter { id } possibleDuplicates { id } duplicateOf { id } disclosure { stage nextStage nextStageAt deadlineAt } validation { reason } embargo { state endsAt } publishedAt createdAt updatedAt';
const SUBMIT_VULN = `mutation ($input: VulnerabilityInput!) { submitVulnerability(input: $input) { ${VULN_FIELDS} } }`;
const VULN_BY_ID = `query ($id: ID!) { vulnerability(id: $id) { ${VULN_FIELDS} } node(id: $id) { id } }`;
const VULN_FILTERED = `query ($f: VulnerabilityFilter) { vulnerabilities(filter: $f, first: 5) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }`;
const vulnInput = (title: string, extra: Record<string, unknown> = {}) => ({
  title,
  summary: 'A heap overflow.',
  severity: 'HIGH',
  cwes: ['CWE-787'],
  affected: [{ vendorName: 'Widget Co', product: 'widget', versions: '< 2' }],
  discovery: { method: 'AI_MODEL', model: { name: 'Finder', developer: 'Lab' }, humanValidated: true },
  proofOfConcept: 'poc',
  technicalDetails: 'details',
  ...extra,
});

const COMMUNITIES = '{ communities { id name description owner { id } members { id } updatedAt } }';
const CREATE_COMMUNITY = 'mutation ($input: CreateCommunityInput!) { createCommunity(input: $input) { id } }';
const ADD_TO_COMMUNITY = 'mutation ($c: ID!, $m: ID!) { addCommunityMember(communityId: $c, memberId: $m) { id name description owner { id } members { id } updatedAt } }';
const REMOVE_FROM_COMMUNITY = 'mutation ($c: ID!, $m: ID!) { removeCommunityMember(communityId: $c, memberId: $m) { id name description owner { id } members { id } updatedAt } }';

const PEOPLE = '{ people { id member { id } displayName email roles status identities { issuer subject } pendingApprovals { id kind } createdBy { userId } } }';
const ADD_PERSON = 'mutation ($input: AddPersonInput!) { addPerson(input: $input) { id } }';
const GRANT = 'mutation ($personId: ID!) { requestRoleGrant(personId: $personId, role: "approver", reason: "r") { id } }';
const APPROVALS = `query ($first: Int, $after: String) {
  approvalRequests(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id kind status reason change { tlp recipients } requestedBy { memberId userId } target { kind node { id } } createdAt expiresAt } }
  }
}`;

/** Model reviews (issue 14). */
const DAY = 86_400_000;
/** When the hidden reviews are scheduled: within slot 0, before the viewer joins. */
const REVIEWS_AT = slotTime(0) + 500;
const ABSENT_REVIEW = `x-model-review--${uuidAt(slotTime(9_999), 2)}`;
const SCHEDULE_REVIEW = 'mutation ($input: ModelReviewInput!) { scheduleModelReview(input: $input) { id } }';
const INVITE = 'mutation ($id: ID!, $m: [ID!]!) { inviteReviewers(reviewId: $id, memberIds: $m) { id reviewers { id } } }';
const REVIEW_FIELDS = `id model { name developer version } description lab { id } plannedDeploymentAt windowOpensAt closedAt cancelledAt cancelReason status reviewers { id }
  findings { __typename ... on ModelRiskNotice { id title } ... on Vulnerability { id title } } summary { total byCategory { category count } bySeverity { severity count } highestSeverity } summaryPublic createdAt updatedAt`;
const REVIEWS_FILTERED = 'query ($f: ModelReviewFilter) { modelReviews(filter: $f, first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }';
const REVIEW_FILTERS = [{ status: ['SCHEDULED', 'OPEN', 'CANCELLED'] }, { lab: ['other'] }, { modelName: 'Hidden-Model' }, { modelDeveloper: 'Other Lab' }];
const REVIEW_BY_ID = `query ($id: ID!) {
  modelReview(id: $id) { ${REVIEW_FIELDS} }
  node(id: $id) { id }
  byReview: modelRiskNotices(filter: { reviewId: $id }, first: 5) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title review { id } } } }
  stixBundle(ids: [$id])
}`;
const FINDING_BY_ID = `query ($id: ID!) {
  modelRiskNotice(id: $id) { id title review { id } }
  vulnerability(id: $id) { id title review { id } }
  node(id: $id) { id }
  stixBundle(ids: [$id])
}`;
const MEMBERS = '{ members { id name kind tier sector country status statusReason statusChangedAt } partner: member(id: "partner") { id name tier status } pub: member(id: "pub") { id name tier status } }';

/**
 * The first instant from `from` (ms) at which the two sightings reported there get ids whose
 * date_added offsets collide (ids are `uuidAt(instant, 0)` and `(instant, 1)`).
 */
function instantWhereSightingsCollide(from: number): number {
  for (let t = from; ; t++) {
    if (offsetOfId(`sighting--${uuidAt(t, 0)}`) === offsetOfId(`sighting--${uuidAt(t, 1)}`)) return t;
  }
}

const TIER_TLPS: Record<Tier, readonly Tlp[]> = {
  PUBLIC: ['CLEAR'],
  COMMUNITY: ['CLEAR', 'GREEN'],
  TRUSTED: ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT'],
  CORE: ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT'],
};

/** The TLPs hidden from a tier besides RED (whose records name someone else). */
const hiddenTlps = (tier: Tier): Tlp[] => (['GREEN', 'AMBER', 'AMBER_STRICT'] as Tlp[]).filter((t) => !TIER_TLPS[tier].includes(t));

const indicatorItem = (value: string, tlp: Tlp, extra: Record<string, unknown> = {}) => ({
  value,
  tlp,
  severity: 'MEDIUM',
  confidence: 50,
  ...(tlp === 'RED' ? { recipients: ['partner'] } : {}),
  ...extra,
});
const noticeInput = (title: string, tlp: Tlp, extra: Record<string, unknown> = {}) => ({
  title,
  summary: 'Multi-turn jailbreak.',
  model: { name: 'M', developer: 'D' },
  category: 'JAILBREAK',
  severity: 'HIGH',
  status: 'PUBLISHED',
  tlp,
  mitigations: 'Filter.',
  technicalDetails: 'Details.',
  evaluationEvidence: 'Evidence.',
  ...(tlp === 'RED' ? { recipients: ['partner'] } : {}),
  ...extra,
});

/**
 * Runs the workload for a viewer of `tier` and returns its transcript. With `hidden`, writes the
 * viewer may not see are interleaved; without, their slots pass with nothing written.
 */
async function runWorkload(tier: Tier, hidden: boolean): Promise<string[]> {
  const run = await RunHub.start();
  let slot = 0;
  /** Moves to the next slot; returns its instant. */
  const step = () => {
    run.at(++slot);
    return slotTime(slot);
  };
  /** A write the viewer may not see: its slot passes in both runs, it happens in one. */
  const hiddenStep = async (write: () => Promise<unknown>) => {
    step();
    if (hidden) await write();
  };

  run.at(0);
  const member = tier !== 'PUBLIC';
  await run.register('pub', 'TRUSTED');
  await run.register('other', 'CORE');
  await run.register('partner', 'COMMUNITY');
  // Model reviews (issue 14): two of other's, scheduled before the viewer joins (a CORE viewer
  // would otherwise be a default reviewer), partner invited: one stays open, one is cancelled
  // later. Hidden from every viewer; each scheduled at an instant of its own, so that its id is
  // known to the run where it never happens.
  const hiddenReview = `x-model-review--${uuidAt(REVIEWS_AT, 0)}`;
  const cancelledReview = `x-model-review--${uuidAt(REVIEWS_AT + 50, 0)}`;
  /** Tokens of partner's publisher and other's lab person: seeded in the interleaved run only, before the reviews. */
  let tokensOfLab: { partner: string; lab: string } | null = null;
  if (hidden) {
    run.atInstant(REVIEWS_AT - 10);
    tokensOfLab = { partner: await run.token('partner', ['reader', 'publisher'], 'pub@partner'), lab: await run.token('other', ['reader', 'publisher', 'member-admin'], 'lab@other') };
    const { lab } = tokensOfLab;
    for (const [at, name, id] of [[REVIEWS_AT, 'Hidden-Model', hiddenReview], [REVIEWS_AT + 50, 'Cancelled-Model', cancelledReview]] as const) {
      run.atInstant(at);
      const input = { model: { name, developer: 'Other Lab' }, plannedDeploymentAt: new Date(slotTime(3) + 30 * DAY).toISOString(), reviewerIds: ['partner'], description: `${name} review` };
      expect((await run.write(SCHEDULE_REVIEW, { input }, lab)).scheduleModelReview.id).toBe(id);
    }
  }
  run.atInstant(REVIEWS_AT + 100);
  if (member) await run.register('viewer', tier as MemberTier);
  const pub = await run.token('pub', ['reader', 'publisher']);
  const other = await run.token('other', ['reader', 'publisher']);
  const otherApprover = await run.token('other', ['reader', 'approver'], 'boss@other');
  const partner = await run.token('partner', ['reader']);
  const viewer = member ? await run.token('viewer', ['reader', 'publisher']) : undefined;
  const admin = member ? await run.token('viewer', ['reader', 'member-admin'], 'admin@viewer') : undefined;
  const pubAdmin = await run.token('pub', ['reader', 'member-admin'], 'admin@pub');
  const otherAdmin = await run.token('other', ['reader', 'member-admin'], 'admin@other');
  let keys = 0;
  const publish = (token: string, items: unknown[]) => run.write(PUBLISH, { input: { idempotencyKey: `k${++keys}`, indicators: items } }, token);
  const ids = (data: any): string[] => data.publishIndicators.results.map((r: any) => r.indicator?.id ?? null);

  // ---- the visible workload (both runs) ----
  let t = step();
  const base = ids(await publish(pub, [indicatorItem('198.51.100.1', 'CLEAR'), indicatorItem('198.51.100.2', 'GREEN'), indicatorItem('198.51.100.3', 'AMBER'), indicatorItem('198.51.100.4', 'AMBER_STRICT'), { ...indicatorItem('198.51.100.5', 'RED'), recipients: member ? ['viewer'] : ['partner'] }]));
  await hiddenStep(() => publish(other, [1, 2, 3].map((i) => indicatorItem(`203.0.113.${i}`, 'RED'))));
  // The ids a hidden batch of this slot gets in the interleaved run: absent in the other.
  const hiddenRed = uuidAt(slotTime(slot), 0);
  await hiddenStep(async () => hiddenTlps(tier).length && publish(other, hiddenTlps(tier).map((tlp, i) => indicatorItem(`hidden-${i}.example`, tlp))));
  const hiddenTier = hiddenTlps(tier).length ? uuidAt(slotTime(slot), 0) : null;
  step();
  const notices: string[] = [];
  notices.push((await run.write(NOTICE, { input: noticeInput('Visible clear', 'CLEAR', { relatedIndicatorIds: [base[0], base[1]] }) }, pub)).publishModelRiskNotice.id);
  step();
  notices.push((await run.write(NOTICE, { input: noticeInput('Visible green', 'GREEN') }, pub)).publishModelRiskNotice.id);
  await hiddenStep(() => run.write(NOTICE, { input: noticeInput('Hidden draft', 'CLEAR', { status: 'DRAFT' }) }, other));
  const hiddenDraft = `x-model-risk-notice--${uuidAt(slotTime(slot), 0)}`;
  await hiddenStep(() => run.write(NOTICE, { input: noticeInput('Hidden red', 'RED') }, other));
  if (tier !== 'CORE') {
    await hiddenStep(() => run.write(NOTICE, { input: noticeInput('Hidden embargo', 'CLEAR', { embargoUntil: new Date(slotTime(1_000)).toISOString() }) }, other));
  }

  // The clearinghouse: cases at every stage. Visible in both runs: one published, one with a fix
  // (TRUSTED and CORE see it); hidden, in the interleaved run only: cases at every stage the
  // viewer's tier does not reach, one naming the viewer as a vendor still in its pacing queue,
  // and one the viewer's own report will duplicate (flagged to coordinators only).
  const submitVuln = async (token: string, input: Record<string, unknown>) => (await run.write(SUBMIT_VULN, { input }, token)).submitVulnerability.id as string;
  const moveVuln = async (id: string, set: Record<string, unknown>) => {
    const [doc] = await run.hub.store.vulnerabilities.find({ _id: id });
    const seq = await run.hub.store.sequences.next('vulnerabilities');
    const at = new Date(slotTime(slot));
    const updated = await run.hub.store.vulnerabilities.updateOne({ _id: id, seq: doc!.seq }, { $set: { seq, updatedAt: at, ...set } });
    if (!updated) throw new Error(`could not move ${id}`);
  };
  const validation = (verdict: string) => ({ verdict, reason: 'checked', by: { memberId: 'other', userId: 'user@other' }, at: new Date(slotTime(slot)) });
  step();
  const publishedCase = await submitVuln(pub, vulnInput('Published flaw', { credits: [{ name: 'Finder', type: 'TOOL' }] }));
  await moveVuln(publishedCase, { status: 'PUBLISHED', publishedAt: new Date(slotTime(slot)), validation: validation('VALIDATED') });
  step();
  const fixedCase = await submitVuln(pub, vulnInput('Fixed flaw'));
  await moveVuln(fixedCase, { status: 'FIX_AVAILABLE', validation: validation('VALIDATED') });
  await hiddenStep(() => submitVuln(other, vulnInput('Hidden received')));
  const hiddenCase = `vulnerability--${uuidAt(slotTime(slot), 0)}`;
  await hiddenStep(async () => moveVuln(await submitVuln(other, vulnInput('Hidden invalid')), { status: 'INVALID', validation: validation('INVALID') }));
  if (tier !== 'CORE') await hiddenStep(async () => moveVuln(await submitVuln(other, vulnInput('Hidden validated', { cwes: ['CWE-99'] })), { status: 'VALIDATED', validation: validation('VALIDATED') }));
  if (tier === 'PUBLIC' || tier === 'COMMUNITY') await hiddenStep(async () => moveVuln(await submitVuln(other, vulnInput('Hidden fixed', { cwes: ['CWE-99'] })), { status: 'FIX_AVAILABLE' }));
  if (member) {
    await hiddenStep(async () => {
      const id = await submitVuln(other, vulnInput('Queued for the viewer', { affected: [{ vendorId: 'viewer', vendorName: 'Viewer Inc', product: 'viewer app', versions: '1' }] }));
      const [doc] = await run.hub.store.vulnerabilities.find({ _id: id });
      const queued = doc!.vendorStatuses.map((v) => ({ ...v, queuedAt: new Date(slotTime(slot)) }));
      // Validated (CORE would see that): a RECEIVED case for a CORE viewer, queued all the same.
      await moveVuln(id, tier === 'CORE' ? { vendorStatuses: queued } : { status: 'VALIDATED', vendorStatuses: queued });
    });
  }
  await hiddenStep(() => submitVuln(other, vulnInput('Hidden original', { cwes: ['CWE-416'], affected: [{ vendorName: 'Dup Co', product: 'dup thing', versions: '1', purl: 'pkg:npm/dup-thing@1.0.0' }] })));
  // Model reviews: findings under the hidden reviews (by partner, a reviewer: GREEN and CLEAR
  // notices, a case), pub invited then removed, a postponement, an early close requested (an
  // approval request of other's), and the second review cancelled.
  const reviewTokens = async () => tokensOfLab!;
  /** A hidden finding: its id, known to both runs, checked where it is written. */
  const hiddenFiling = async (kind: 'notice' | 'case', input: Record<string, unknown>): Promise<string> => {
    await hiddenStep(async () => {
      const { partner: token } = await reviewTokens();
      const expected = kind === 'notice' ? `x-model-risk-notice--${uuidAt(slotTime(slot), 0)}` : `vulnerability--${uuidAt(slotTime(slot), 0)}`;
      const id = kind === 'notice' ? (await run.write(NOTICE, { input }, token)).publishModelRiskNotice.id : await submitVuln(token, input);
      expect(id).toBe(expected);
    });
    return kind === 'notice' ? `x-model-risk-notice--${uuidAt(slotTime(slot), 0)}` : `vulnerability--${uuidAt(slotTime(slot), 0)}`;
  };
  const hiddenLab = (query: string, variables: Record<string, unknown>) => hiddenStep(async () => run.write(query, variables, (await reviewTokens()).lab));
  const hiddenFinding = await hiddenFiling('notice', noticeInput('Hidden green finding', 'GREEN', { reviewId: hiddenReview }));
  await hiddenFiling('notice', noticeInput('Hidden clear finding', 'CLEAR', { reviewId: hiddenReview, model: { name: 'Hidden-Model', developer: 'Other Lab' } }));
  const hiddenCaseFinding = await hiddenFiling('case', vulnInput('Hidden case finding', { reviewId: hiddenReview }));
  await hiddenLab(INVITE, { id: hiddenReview, m: ['pub'] });
  await hiddenLab(`mutation ($id: ID!, $at: DateTime!) { rescheduleModelReview(reviewId: $id, plannedDeploymentAt: $at, reason: "later") { id } }`, { id: hiddenReview, at: new Date(slotTime(3) + 40 * DAY).toISOString() });
  await hiddenStep(async () => {
    const res = await run.gql(null, `mutation ($id: ID!) { closeModelReview(reviewId: $id) { id } }`, { id: hiddenReview }, (await reviewTokens()).lab);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('APPROVAL_REQUIRED');
  });
  const cancelledFinding = await hiddenFiling('notice', noticeInput('Cancelled clear finding', 'CLEAR', { reviewId: cancelledReview }));
  await hiddenLab(`mutation ($id: ID!) { cancelModelReview(reviewId: $id, reason: "shelved") { id } }`, { id: cancelledReview });
  await hiddenLab(`mutation ($id: ID!, $m: [ID!]!) { removeReviewers(reviewId: $id, memberIds: $m) { id } }`, { id: hiddenReview, m: ['pub'] });

  step();
  // The viewer's own report, of the product and CWE of the hidden original.
  if (viewer) await run.gql('viewer submits a case', SUBMIT_VULN, { input: vulnInput('My flaw', { cwes: ['CWE-416'], affected: [{ vendorName: 'Dup Co', product: 'dup thing', versions: '1', purl: 'pkg:npm/dup-thing' }] }) }, viewer);
  const ownCase = `vulnerability--${uuidAt(slotTime(slot), 0)}`;
  // Communities: one of pub's that the viewer is in, one of the viewer's own (visible, both
  // runs); others' creations and roster changes, a roster change of the viewer's community, and
  // records shared with a community the viewer is not in (hidden).
  step();
  const circle = (await run.write(CREATE_COMMUNITY, { input: { name: 'Shared circle', description: 'pub and the viewer' } }, pubAdmin)).createCommunity.id as string;
  if (member) await run.write(ADD_TO_COMMUNITY, { c: circle, m: 'viewer' }, pubAdmin);
  if (admin) await run.write(CREATE_COMMUNITY, { input: { name: 'Own circle', description: 'the viewer alone' } }, admin);
  await hiddenStep(() => run.write(ADD_TO_COMMUNITY, { c: circle, m: 'partner' }, pubAdmin));
  await hiddenStep(async () => {
    const c = (await run.write(CREATE_COMMUNITY, { input: { name: 'Other circle', description: 'not the viewer' } }, otherAdmin)).createCommunity.id;
    await run.write(ADD_TO_COMMUNITY, { c, m: 'partner' }, otherAdmin);
    await run.write(ADD_TO_COMMUNITY, { c, m: 'pub' }, otherAdmin);
  });
  const hiddenCommunity = `community--${uuidAt(slotTime(slot), 0)}`;
  await hiddenStep(() => publish(other, [indicatorItem('203.0.113.60', 'RED', { recipients: [hiddenCommunity] }), indicatorItem('203.0.113.61', 'RED', { recipients: [hiddenCommunity, 'partner'] })]));
  await hiddenStep(() => publish(pub, [indicatorItem('203.0.113.62', 'RED', { recipients: [hiddenCommunity] })]));
  await hiddenStep(() => run.write(NOTICE, { input: noticeInput('Hidden community notice', 'RED', { recipients: [hiddenCommunity] }) }, other));
  await hiddenStep(() => run.write(REMOVE_FROM_COMMUNITY, { c: hiddenCommunity, m: 'pub' }, otherAdmin));
  step();
  // Shared with the viewer's community: the viewer (not PUBLIC) sees it in both runs.
  await publish(pub, [indicatorItem('198.51.100.9', 'RED', { recipients: [circle] })]);
  await hiddenStep(() => run.write(REMOVE_FROM_COMMUNITY, { c: circle, m: 'partner' }, pubAdmin));

  step();
  const own = viewer ? await run.gql('viewer publishes', PUBLISH, { input: { idempotencyKey: 'mine', indicators: [indicatorItem('own.example', 'GREEN')] } }, viewer) : null;
  await hiddenStep(() => run.write(SIGHT, { id: `indicator--${hiddenRed}` }, other));
  await hiddenStep(() => run.write(SIGHT, { id: `indicator--${hiddenRed}` }, partner));
  step();
  await run.write(SIGHT, { id: base[0] }, pub);
  await hiddenStep(() => run.write(REVOKE, { id: `indicator--${hiddenRed}` }, other));
  await hiddenStep(() => publish(other, [indicatorItem('203.0.113.2', 'RED', { confidence: 90 })]));
  await hiddenStep(async () => {
    const req = await run.write(`mutation ($id: ID!) { requestRecipientsChange(recordId: $id, recipients: ["pub"], reason: "r") { id } }`, { id: `indicator--${hiddenRed}` }, other);
    await run.write(`mutation ($id: ID!) { approveRequest(id: $id, reason: "ok") { id } }`, { id: req.requestRecipientsChange.id }, otherApprover);
  });
  await hiddenStep(() => run.hub.tokens.issue({ memberId: 'other', userId: 'someone@other', roles: ['reader'], ttlMs: 60_000 }));
  // A batch whose visible items come first; the interleaved run appends hidden ones to it.
  step();
  const mixedVisible = [indicatorItem('mixed-1.example', 'CLEAR'), indicatorItem('mixed-2.example', 'CLEAR')];
  const mixedHidden = [indicatorItem('mixed-3.example', 'RED'), indicatorItem('mixed-4.example', 'RED'), ...hiddenTlps(tier).map((tlp, i) => indicatorItem(`mixed-h${i}.example`, tlp))];
  await publish(pub, hidden ? [...mixedVisible, ...mixedHidden] : mixedVisible);
  // Two visible sightings that share their date_added (a page of limit 1 cannot split them),
  // then, in the interleaved run, sightings TAXII reads and drops (of a RED indicator): `more`
  // must not tell whether such documents follow.
  const shared = instantWhereSightingsCollide(slotTime(slot + 1));
  run.atInstant(shared);
  slot = Math.ceil((shared - slotTime(0)) / 1_000);
  await run.write(SIGHT, { id: base[1] }, pub);
  await run.write(SIGHT, { id: base[1] }, pub);
  await hiddenStep(() => run.write(SIGHT, { id: `indicator--${hiddenRed}` }, other));
  await hiddenStep(() => run.write(SIGHT, { id: `indicator--${uuidAt(slotTime(2), 2)}` }, partner));
  // The viewer's own approval requests, with another member's approved request around them.
  step();
  if (viewer) await run.write(`mutation ($id: ID!) { requestTlpChange(recordId: $id, tlp: CLEAR, reason: "share") { id } }`, { id: own?.body.data.publishIndicators.results[0].indicator.id }, viewer);
  await hiddenStep(async () => {
    const req = await run.write(`mutation ($id: ID!) { requestRecipientsChange(recordId: $id, recipients: ["other"], reason: "r") { id } }`, { id: `indicator--${uuidAt(slotTime(2), 2)}` }, other);
    await run.write(`mutation ($id: ID!) { approveRequest(id: $id, reason: "ok") { id } }`, { id: req.requestRecipientsChange.id }, otherApprover);
  });
  step();
  if (viewer) await run.write(`mutation ($id: ID!) { requestTlpChange(recordId: $id, tlp: CLEAR, reason: "share again") { id } }`, { id: own?.body.data.publishIndicators.results[0].indicator.id }, viewer);

  // ---- observations, round 1 ----
  step();
  const observeAll = async (round: string) => {
    const page1 = await run.gql(`${round} indicators p1`, CONNECTION('indicators', INDICATOR_FIELDS), { first: 3 }, viewer);
    await hiddenStep(() => publish(other, [indicatorItem(`between-${round}.example`, 'RED')]));
    await run.gql(`${round} indicators p2`, CONNECTION('indicators', INDICATOR_FIELDS), { first: 3, after: page1.body.data.indicators.pageInfo.endCursor }, viewer);
    // The SCORE order merges index streams that hold hidden claims too (hidden high scores between pages).
    const scored1 = await run.gql(`${round} by score p1`, BY_SCORE, { first: 2 }, viewer);
    await hiddenStep(() => publish(other, [indicatorItem(`between-score-${round}.example`, 'RED', { confidence: 100 }), indicatorItem(`203.0.113.${round === 'r1' ? 7 : 8}`, hiddenTlps(tier)[0] ?? 'RED', { confidence: 95 })]));
    await run.gql(`${round} by score p2`, BY_SCORE, { first: 4, after: scored1.body.data?.indicators?.pageInfo.endCursor ?? null }, viewer);
    await run.gql(`${round} notices`, CONNECTION('modelRiskNotices', NOTICE_FIELDS), { first: 10 }, viewer);
    // Model reviews: lists, counts, filters, lookups by id (hidden, cancelled, absent), their
    // findings by the reviewId filter and by id, STIX bundles, the member directory.
    const reviews1 = await run.gql(`${round} reviews p1`, CONNECTION('modelReviews', REVIEW_FIELDS), { first: 1 }, viewer);
    await run.gql(`${round} reviews p2`, CONNECTION('modelReviews', REVIEW_FIELDS), { first: 5, after: reviews1.body.data?.modelReviews?.pageInfo.endCursor ?? null }, viewer);
    for (const [i, f] of REVIEW_FILTERS.entries()) await run.gql(`${round} reviews filtered ${i}`, REVIEWS_FILTERED, { f }, viewer);
    for (const [name, id] of [['hidden', hiddenReview], ['cancelled', cancelledReview], ['absent', ABSENT_REVIEW]] as const) {
      await run.gql(`${round} review ${name}`, REVIEW_BY_ID, { id }, viewer);
    }
    for (const [name, id] of [['hidden', hiddenFinding], ['cancelled', cancelledFinding], ['case', hiddenCaseFinding], ['absent', `x-model-risk-notice--${uuidAt(slotTime(9_999), 1)}`]] as const) {
      await run.gql(`${round} finding ${name}`, FINDING_BY_ID, { id }, viewer);
    }
    await run.gql(`${round} members`, MEMBERS, {}, viewer);
    for (const [i, f] of COUNT_FILTERS().entries()) await run.gql(`${round} counts ${i}`, COUNTS, { f }, viewer);
    for (const [i, f] of SCORE_FILTERS.entries()) await run.gql(`${round} scored ${i}`, SCORED, { f }, viewer);
    const vulns1 = await run.gql(`${round} vulnerabilities p1`, CONNECTION('vulnerabilities', VULN_FIELDS), { first: 1 }, viewer);
    await hiddenStep(() => submitVuln(other, vulnInput(`Between ${round}`)));
    await run.gql(`${round} vulnerabilities p2`, CONNECTION('vulnerabilities', VULN_FIELDS), { first: 5, after: vulns1.body.data.vulnerabilities.pageInfo.endCursor }, viewer);
    for (const [name, id] of [['published', publishedCase], ['fixed', fixedCase], ['own', ownCase], ['hidden', hiddenCase], ['absent', `vulnerability--${uuidAt(slotTime(9_999), 0)}`]] as const) {
      await run.gql(`${round} vulnerability ${name}`, VULN_BY_ID, { id }, viewer);
    }
    for (const [name, f] of [['cwe', { cwe: 'CWE-416' }], ['stage', { stage: ['RECEIVED', 'VALIDATED'] }], ['status', { status: ['INVALID', 'CLOSED'] }], ['product', { product: 'dup thing' }]] as const) {
      await run.gql(`${round} vulnerabilities by ${name}`, VULN_FILTERED, { f }, viewer);
    }

    await run.gql(`${round} lookup`, LOOKUP, { values: ['198.51.100.1', '198.51.100.3', '203.0.113.1', '203.0.113.2', 'hidden-0.example', 'mixed-3.example', 'own.example', 'nothing.example'] }, viewer);
    for (const [name, id] of [['visible', base[0]], ['visible-red', base[4]], ['hidden', `indicator--${hiddenRed}`], ['hidden-tier', hiddenTier && `indicator--${hiddenTier}`], ['absent', 'indicator--00000000-0000-4000-8000-000000000000']] as const) {
      if (!id) continue;
      await run.gql(`${round} by id ${name}`, BY_ID, { id, ids: [id, base[0]!, notices[0]!] }, viewer);
      await run.taxii(`${round} taxii object ${name}`, `${TAXII}/${COLLECTIONS.indicators}/objects/${id}/`, viewer);
      await run.taxii(`${round} taxii versions ${name}`, `${TAXII}/${COLLECTIONS.indicators}/objects/${id}/versions/`, viewer);
    }
    for (const [name, id] of [['visible', notices[1]], ['draft', hiddenDraft]] as const) {
      await run.gql(`${round} notice by id ${name}`, NOTICE_BY_ID, { id }, viewer);
    }
    if (viewer) {
      await run.gql(`${round} sighting on hidden`, SIGHT, { id: `indicator--${hiddenRed}` }, viewer);
      await run.gql(`${round} revoke hidden`, REVOKE, { id: `indicator--${hiddenRed}` }, viewer);
      await run.gql(`${round} request on hidden`, `mutation ($id: ID!) { requestTlpChange(recordId: $id, tlp: CLEAR, reason: "r") { id } }`, { id: `indicator--${hiddenRed}` }, viewer);
    }
    // Filing a finding under, or managing, a review the viewer may not see answers as for one that
    // does not exist. A slot of its own: refusals may be audited.
    step();
    if (viewer) {
      for (const [name, id] of [['hidden', hiddenReview], ['cancelled', cancelledReview], ['absent', ABSENT_REVIEW]] as const) {
        await run.gql(`${round} file under ${name} review`, NOTICE, { input: noticeInput('Mine', 'GREEN', { reviewId: id }) }, viewer);
        await run.gql(`${round} file a case under ${name} review`, SUBMIT_VULN, { input: vulnInput('My case', { reviewId: id }) }, viewer);
        await run.gql(`${round} invite to ${name} review`, INVITE, { id, m: ['viewer'] }, admin);
        await run.gql(`${round} release ${name} review`, `mutation ($id: ID!) { releaseModelReviewSummary(reviewId: $id) { id } }`, { id }, admin);
      }
    }
    // Communities: the list (as a member, and as its member-admin, who sees its own one's
    // roster); changing, and naming as a recipient, one it is not in, or one that does not exist.
    // A slot of their own: a refused publish is audited, and its entry's id must not share an
    // instant with the hidden write just before.
    step();
    await run.gql(`${round} communities`, COMMUNITIES, {}, viewer);
    if (admin) {
      await run.gql(`${round} communities as admin`, COMMUNITIES, {}, admin);
      for (const [name, id] of [['hidden', hiddenCommunity], ['absent', `community--${uuidAt(slotTime(9_999), 0)}`]] as const) {
        await run.gql(`${round} add to ${name} community`, ADD_TO_COMMUNITY, { c: id, m: 'viewer' }, admin);
        await run.gql(`${round} remove from ${name} community`, REMOVE_FROM_COMMUNITY, { c: id, m: 'partner' }, admin);
        await run.gql(`${round} name ${name} community`, PUBLISH, { input: { idempotencyKey: `name-${round}-${name}`, indicators: [indicatorItem('named.example', 'RED', { recipients: [id] })] } }, viewer);
      }
      await run.gql(`${round} add to pub's community`, ADD_TO_COMMUNITY, { c: circle, m: 'viewer' }, admin);
    }
    let last: string | null = null;
    for (const [name, collection] of Object.entries(COLLECTIONS)) {
      let res = await run.taxii(`${round} taxii ${name} p1`, `${TAXII}/${collection}/objects/?limit=2`, viewer);
      for (let page = 2; res.body?.more; page++) {
        await hiddenStep(() => publish(other, [indicatorItem(`taxii-${round}-${name}-${page}.example`, 'RED')]));
        res = await run.taxii(`${round} taxii ${name} p${page}`, `${TAXII}/${collection}/objects/?next=${encodeURIComponent(res.body.next)}`, viewer);
      }
      const manifest = await run.taxii(`${round} taxii ${name} manifest`, `${TAXII}/${collection}/manifest/?limit=3`, viewer);
      if (name === 'indicators') last = manifest.headers.get('x-taxii-date-added-first');
    }
    if (last) await run.taxii(`${round} taxii added_after`, `${TAXII}/${COLLECTIONS.indicators}/objects/?added_after=${last}&limit=4`, viewer);
    const sightings = await run.taxii(`${round} taxii sightings p1`, `${TAXII}/${COLLECTIONS.indicators}/objects/?match[type]=sighting&limit=1`, viewer);
    if (sightings.body?.next) await run.taxii(`${round} taxii sightings p2`, `${TAXII}/${COLLECTIONS.indicators}/objects/?next=${encodeURIComponent(sightings.body.next)}`, viewer);
    if (viewer) {
      const requests = await run.gql(`${round} approvals p1`, APPROVALS, { first: 1 }, viewer);
      const target = `indicator--${round === 'r1' ? hiddenRed : uuidAt(slotTime(2), 1)}`;
      await hiddenStep(() => run.write(`mutation ($id: ID!) { requestRecipientsChange(recordId: $id, recipients: ["other"], reason: "r") { id } }`, { id: target }, other));
      await run.gql(`${round} approvals p2`, APPROVALS, { first: 1, after: requests.body.data.approvalRequests.pageInfo.endCursor }, viewer);
    }
    if (admin) {
      // The people directory: another member's people, their grants and requests never show.
      await run.gql(`${round} people`, PEOPLE, {}, admin);
      await hiddenStep(async () => {
        const id = (await run.write(ADD_PERSON, { input: { memberId: 'other', id: `hidden-${round}@other`, displayName: 'Hidden', email: `h-${round}@other.example` } }, otherAdmin)).addPerson.id;
        await run.write(GRANT, { personId: id }, otherAdmin);
      });
      await run.gql(`${round} people again`, PEOPLE, {}, admin);
      const audit = await run.gql(`${round} audit p1`, AUDIT, { first: 2 }, admin);
      await hiddenStep(() => run.hub.tokens.issue({ memberId: 'other', userId: 'again@other', roles: ['reader'], ttlMs: 60_000 }));
      await run.gql(`${round} audit p2`, AUDIT, { first: 2, after: audit.body.data.auditLog.pageInfo.endCursor }, admin);
    }
  };
  await observeAll('r1');

  // ---- more visible writes, hidden ones between, then everything again ----
  step();
  await publish(pub, [indicatorItem('198.51.100.2', 'GREEN', { confidence: 70 })]);
  await hiddenStep(async () => hiddenTlps(tier).length && publish(other, hiddenTlps(tier).map((tlp, i) => indicatorItem(`hidden-${i}.example`, tlp, { confidence: 80 }))));
  step();
  await run.write(REVOKE, { id: base[0] }, pub);
  step();
  if (viewer) {
    await run.gql('viewer replays', PUBLISH, { input: { idempotencyKey: 'mine', indicators: [indicatorItem('own.example', 'GREEN')] } }, viewer);
    expect(own?.body.errors).toBeUndefined();
  }
  step();
  await observeAll('r2');
  const transcript = run.transcript;
  await run.dispose();
  return transcript;
}

describe('non-interference: a viewer observes the same whether or not writes it may not see happen', () => {
  it.each(['PUBLIC', 'COMMUNITY', 'TRUSTED', 'CORE'] as const)(
    'for a %s viewer, every channel answers byte for byte alike',
    async (tier) => {
      const alone = await runWorkload(tier, false);
      const interleaved = await runWorkload(tier, true);
      expect(alone.length).toBeGreaterThan(40);
      expect(firstDifference(alone, interleaved)).toBeNull();
    },
    60_000,
  );
});

// ---- members' warning lists (issue 16, item 4) ----

const LIST_FIELDS = 'id name version type category indicatorTypes entryCount entries description owner { id } tlp recipients createdAt updatedAt revoked';
const PUBLISH_LIST = `mutation ($input: WarningListInput!) { publishWarningList(input: $input) { ${LIST_FIELDS} } }`;
const REVOKE_LIST = `mutation ($id: ID!) { revokeWarningList(id: $id, reason: "r") { id revoked } }`;
const WARNING_FIELDS = 'warnings { list listId version category match }';
const LISTED_VALUES = ['185.220.101.7', 'www.listed.example', 'clean.example', 'ops-7@listed.example'];

/**
 * A world with members' lists the viewer may not see (other's RED list shared with partner; below
 * TRUSTED, also an AMBER one), replaced and revoked between observations, against the same world
 * without them: every list query, warning, count, lookup, publish result and refusal the viewer
 * gets must be byte-identical.
 */
async function runListWorkload(tier: Tier, hidden: boolean): Promise<string[]> {
  const run = await RunHub.start();
  let slot = 0;
  const step = () => run.at(++slot);
  const hiddenStep = async (write: () => Promise<unknown>) => {
    step();
    if (hidden) await write();
  };
  run.at(0);
  await run.register('pub', 'TRUSTED');
  await run.register('other', 'CORE');
  await run.register('partner', 'COMMUNITY');
  const member = tier !== 'PUBLIC';
  if (member) await run.register('viewer', tier as MemberTier);
  const pub = await run.token('pub', ['reader', 'publisher']);
  const other = await run.token('other', ['reader', 'publisher']);
  const viewer = member ? await run.token('viewer', ['reader', 'publisher']) : undefined;
  const admin = member ? await run.token('viewer', ['member-admin'], 'admin@viewer') : undefined;
  const hiddenList = (input: Record<string, unknown>) => run.write(PUBLISH_LIST, { input }, other);
  const entries = { cidr: ['185.220.101.0/24'], host: ['listed.example'], regex: ['/^ops-[0-9]+@/'] };

  // Lists the viewer may not see: their ids, known to the run where they never exist.
  const redSlot = slot + 1;
  await hiddenStep(() => hiddenList({ name: 'egress', type: 'CIDR', entries: entries.cidr, tlp: 'RED', recipients: ['partner'] }));
  const hiddenRed = `warning-list--${uuidAt(slotTime(redSlot), 0)}`;
  await hiddenStep(() => hiddenList({ name: 'hosts', type: 'HOSTNAME', entries: entries.host, tlp: 'RED', recipients: ['partner'], category: 'KNOWN' }));
  const tierSlot = slot + 1;
  const hiddenTier = hiddenTlps(tier)[hiddenTlps(tier).length - 1];
  await hiddenStep(async () => hiddenTier && hiddenList({ name: 'mail', type: 'REGEX', entries: entries.regex, tlp: hiddenTier }));
  const hiddenByTier = `warning-list--${uuidAt(slotTime(tierSlot), 0)}`;
  const absent = `warning-list--${uuidAt(slotTime(9_999), 0)}`;

  // What the viewer may see: pub's CLEAR list, and pub's CLEAR indicators on listed values.
  step();
  await run.write(PUBLISH_LIST, { input: { name: 'pub-list', type: 'SUBSTRING', entries: ['clean'], tlp: 'CLEAR', category: 'KNOWN' } }, pub);
  step();
  const published = await run.write(PUBLISH, { input: { idempotencyKey: 'pub-1', indicators: LISTED_VALUES.map((v) => indicatorItem(v, 'CLEAR')) } }, pub);
  const ids: string[] = published.publishIndicators.results.map((r: any) => r.indicator.id);

  const observe = async (round: string) => {
    await run.gql(`${round} lists`, `{ warningLists { ${LIST_FIELDS} } }`, {}, viewer);
    for (const [name, id] of [['hidden red', hiddenRed], ['hidden by tier', hiddenByTier], ['absent', absent], ['vendored', 'misp:rfc1918']] as const) {
      await run.gql(`${round} list ${name}`, `query ($id: ID!) { warningList(id: $id) { ${LIST_FIELDS} } node(id: $id) { id } }`, { id }, viewer);
    }
    await run.gql(`${round} indicators`, `{ indicators(first: 10) { totalCount edges { cursor node { id value ${WARNING_FIELDS} } } } }`, {}, viewer);
    for (const f of [{}, { type: ['IPV4'] }, { value: '185.220.101.7' }]) await run.gql(`${round} counts ${JSON.stringify(f)}`, COUNTS, { f }, viewer);
    await run.gql(`${round} lookup`, `query ($values: [String!]!) { lookupIndicators(values: $values) { input known indicators { id ${WARNING_FIELDS} } } }`, { values: [...LISTED_VALUES, '185.220.101.8'] }, viewer);
    for (const id of ids) await run.gql(`${round} by id ${id}`, `query ($id: ID!, $ids: [ID!]!) { indicator(id: $id) { id ${WARNING_FIELDS} } stixBundle(ids: $ids) }`, { id, ids: [id] }, viewer);
    await run.taxii(`${round} taxii`, `${TAXII}/${COLLECTIONS.indicators}/objects/?limit=10`, viewer);
    // excludeWarned weighs only the lists the viewer sees, whatever the claims' stored warnedBy holds.
    await run.gql(`${round} excludeWarned`, `{ indicators(filter: { excludeWarned: true }, first: 10) { totalCount one: countUpTo(atMost: 1) { value exact } edges { cursor node { id value } } } }`, {}, viewer);
    await run.taxii(`${round} taxii unwarned`, `${TAXII}/${COLLECTIONS.indicators}/objects/?limit=10&match[x_hub_warned]=false`, viewer);
    if (viewer) {
      // Its own publishes on listed values: the same results, warnings and stored claims.
      await run.gql(`${round} viewer publishes`, PUBLISH, { input: { idempotencyKey: `v-${round}`, indicators: ['185.220.101.9', `${round}.listed.example`, `ops-1@${round}.example`].map((v) => indicatorItem(v, 'GREEN')) } }, viewer);
      for (const [name, id] of [['hidden red', hiddenRed], ['hidden by tier', hiddenByTier], ['absent', absent]] as const) {
        await run.gql(`${round} revoke ${name}`, REVOKE_LIST, { id }, viewer);
      }
      // Its own list under a name other uses: independent.
      step();
      await run.gql(`${round} viewer list`, PUBLISH_LIST, { input: { name: 'egress', type: 'STRING', entries: [`${round}.example`], tlp: 'GREEN' } }, viewer);
      await run.gql(`${round} audit`, `{ auditLog(first: 20) { totalCount edges { node { action memberId target { kind id } summary details } } } }`, {}, admin);
    }
  };
  step();
  // The stored flags settled in both runs (in one, they name the hidden lists).
  await run.hub.maintenance.recomputeWarned();
  await observe('r1');
  // Hidden changes: other replaces its RED list (now covering more), revokes its tier-hidden one.
  await hiddenStep(() => hiddenList({ name: 'egress', type: 'CIDR', entries: [...entries.cidr, '185.220.0.0/16'], tlp: 'RED', recipients: ['partner'] }));
  await hiddenStep(async () => hiddenTier && run.write(REVOKE_LIST, { id: hiddenByTier }, other));
  step();
  await run.hub.maintenance.recomputeWarned();
  await observe('r2');
  const transcript = run.transcript;
  await run.dispose();
  return transcript;
}

describe("non-interference: members' warning lists a viewer may not see", () => {
  it.each(['PUBLIC', 'COMMUNITY', 'TRUSTED', 'CORE'] as const)(
    'leave everything a %s viewer observes byte for byte alike',
    async (tier) => {
      const alone = await runListWorkload(tier, false);
      const interleaved = await runListWorkload(tier, true);
      expect(alone.length).toBeGreaterThan(20);
      expect(firstDifference(alone, interleaved)).toBeNull();
    },
    60_000,
  );

  it('can fail: the recipient of the RED list is warned by it', async () => {
    const run = await RunHub.start();
    run.at(0);
    await run.register('other', 'CORE');
    await run.register('partner', 'COMMUNITY');
    const other = await run.token('other', ['reader', 'publisher']);
    const partner = await run.token('partner', ['reader', 'publisher']);
    await run.write(PUBLISH_LIST, { input: { name: 'egress', type: 'CIDR', entries: ['185.220.101.0/24'], tlp: 'RED', recipients: ['partner'] } }, other);
    const res = await run.gql(null, PUBLISH.replace('indicator { ...I }', `indicator { id } ${WARNING_FIELDS}`).replace(/ fragment I on Indicator \{[^}]*\}/, ''), { input: { idempotencyKey: 'p', indicators: [indicatorItem('185.220.101.7', 'GREEN')] } }, partner);
    expect(res.body.data.publishIndicators.results[0].warnings).toEqual([expect.objectContaining({ list: 'egress', match: '185.220.101.0/24' })]);
    await run.dispose();
  });
});
