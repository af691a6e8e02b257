/**
 * STIX of model reviews (issue 14, docs/model-reviews.md "STIX and TAXII"): the `x-model-review`
 * object the hub's extension-definition declares, made from the review as each viewer may see it
 * (`redactModelReview`), valid against the OASIS core schema, its version moving with every change
 * of what it says (time alone included), and a finding's `review_ref` only where the review is seen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelReviewDoc, ModelReviewSummary } from '../src/domain/model-review.js';
import { redactModelReview, type Viewer } from '../src/policy/policy.js';
import { buildSchema } from '../src/schema.js';
import { HUB_EXTENSION_DEFINITION } from '../src/stix/hub-extension.js';
import { modelReviewToStix } from '../src/stix/model-review-to-stix.js';
import { HUB_EXTENSION_ID, memberIdentityId } from '../src/stix/stix-ids.js';
import { StixGates } from '../src/stix/stix-gates.js';
import { tlpMarkingId } from '../src/stix/tlp-markings.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';
import { schemaErrors, stixProblems } from './support/stix-validator.js';

const DAY = 86_400_000;
const T0 = Date.parse('2027-03-01T00:00:00.000Z');
const gates = StixGates.of(buildSchema());

const member = (memberId: string, tier: 'CORE' | 'TRUSTED' | 'COMMUNITY', roles: string[] = ['reader']): Viewer =>
  ({ kind: 'member', memberId, userId: `u@${memberId}`, roles, tier }) as Viewer;
const VIEWERS = {
  lab: member('lab', 'CORE'),
  reviewer: member('agency', 'CORE'),
  invited: member('isac', 'TRUSTED'),
  core: member('other-core', 'CORE'),
  trusted: member('trusted', 'TRUSTED'),
  community: member('community', 'COMMUNITY'),
  admin: member('hq', 'COMMUNITY', ['reader', 'hub-admin']),
  anonymous: { kind: 'anonymous', tier: 'PUBLIC' } as Viewer,
};
type Who = keyof typeof VIEWERS;

const review = (over: Partial<ModelReviewDoc> = {}): ModelReviewDoc => ({
  _id: 'x-model-review--6f1c2a43-4c1e-4d59-9d1f-0a4b8e1f7c11',
  model: { name: 'Frontier-9', developer: 'Lab', version: '9.0' },
  description: 'Cyber-offense evaluation before general availability.',
  lab: 'lab',
  scheduledBy: { memberId: 'lab', userId: 'u@lab' },
  plannedDeploymentAt: new Date(T0 + 30 * DAY),
  windowOpensAt: new Date(T0),
  closesAt: new Date(T0 + 30 * DAY),
  cancelledAt: null,
  cancelReason: null,
  reviewers: ['agency', 'isac'],
  invited: ['isac'],
  summaryPublic: false,
  closeAnnouncedAt: null,
  createdAt: new Date(T0 - 2 * DAY),
  updatedAt: new Date(T0 - 2 * DAY),
  seq: 1,
  ...over,
});

const SUMMARY: ModelReviewSummary = {
  total: 3,
  byCategory: [{ category: 'CYBER_OFFENSE_CAPABILITY', count: 2 }, { category: 'JAILBREAK', count: 1 }],
  bySeverity: [{ severity: 'CRITICAL', count: 1 }, { severity: 'HIGH', count: 2 }],
  highestSeverity: 'CRITICAL',
};

/** The object `who` gets at `at` (null when it may not see the review): the summary offered to all, as a careless caller might. */
function stixFor(who: Who, at: number, doc = review()) {
  const view = redactModelReview(doc, VIEWERS[who], new Date(at));
  if (!view) return null;
  return modelReviewToStix(view, { viewer: VIEWERS[who], gates }, { summary: SUMMARY, findingIds: [] });
}

const OPEN = T0 + 5 * DAY;
const CLOSED = T0 + 31 * DAY;

describe('x-model-review objects', () => {
  it('declares x-model-review in the extension-definition (a new version), which still validates', () => {
    expect(schemaErrors(HUB_EXTENSION_DEFINITION)).toEqual([]);
    expect(HUB_EXTENSION_DEFINITION).toMatchObject({ version: expect.stringMatching(/^1\.[1-9]\d*\.0$/), extension_types: ['new-sdo', 'property-extension'] });
    expect(String(HUB_EXTENSION_DEFINITION.schema)).toMatch(/new-sdo x-model-review/);
    expect(Date.parse(String(HUB_EXTENSION_DEFINITION.modified))).toBeGreaterThan(Date.parse(String(HUB_EXTENSION_DEFINITION.created)));
  });

  it('validates against the OASIS core schema and the hub checks for every viewer, open, closed and cancelled', () => {
    const cancelled = review({ cancelledAt: new Date(T0 + 10 * DAY), closesAt: null, cancelReason: 'Not shipping.', updatedAt: new Date(T0 + 10 * DAY) });
    let made = 0;
    for (const who of Object.keys(VIEWERS) as Who[]) {
      for (const [at, doc] of [[T0 - DAY, review()], [OPEN, review()], [CLOSED, review()], [CLOSED, review({ summaryPublic: true })], [CLOSED, cancelled]] as const) {
        const object = stixFor(who, at, doc);
        if (!object) continue;
        made++;
        expect(stixProblems(object), `${who} at ${new Date(at).toISOString()}`).toEqual([]);
        expect(object).toMatchObject({ type: 'x-model-review', id: doc._id, extensions: { [HUB_EXTENSION_ID]: { extension_type: 'new-sdo' } } });
      }
    }
    expect(made).toBeGreaterThan(20);
  });

  it('exists only for those who see the review: nobody outside the lab, reviewers and hub-admins before the close; anonymous callers only once the summary is public', () => {
    for (const who of ['core', 'trusted', 'community', 'anonymous'] as const) expect(stixFor(who, OPEN), who).toBeNull();
    for (const who of ['lab', 'reviewer', 'invited', 'admin'] as const) expect(stixFor(who, OPEN), who).not.toBeNull();
    for (const who of ['core', 'trusted', 'community'] as const) expect(stixFor(who, CLOSED), who).not.toBeNull();
    expect(stixFor('anonymous', CLOSED)).toBeNull();
    expect(stixFor('anonymous', CLOSED, review({ summaryPublic: true }))).not.toBeNull();
    const cancelled = review({ cancelledAt: new Date(T0 + 10 * DAY), closesAt: null });
    for (const who of ['core', 'trusted', 'community', 'anonymous'] as const) expect(stixFor(who, CLOSED, cancelled), who).toBeNull();
  });

  it('names the reviewers (reviewer_refs) to the lab, the reviewers and hub-admins only, and the cancellation reason likewise', () => {
    const refs = ['agency', 'isac'].map(memberIdentityId);
    for (const who of ['lab', 'reviewer', 'invited', 'admin'] as const) expect(stixFor(who, CLOSED)!.reviewer_refs, who).toEqual(refs);
    for (const who of ['core', 'trusted', 'community'] as const) expect(stixFor(who, CLOSED), who).not.toHaveProperty('reviewer_refs');
    const cancelled = review({ cancelledAt: new Date(T0 + 10 * DAY), closesAt: null, cancelReason: 'Not shipping.' });
    expect(stixFor('invited', CLOSED, cancelled)).toMatchObject({ status: 'cancelled', cancel_reason: 'Not shipping.', cancelled: new Date(T0 + 10 * DAY).toISOString() });
    expect(stixFor('invited', CLOSED, cancelled)).not.toHaveProperty('closed');
  });

  it('carries the summary only where the viewer may read it: the lab and hub-admins always, reviewers and everyone else from the close, never a cancelled review to others', () => {
    const summary = { total: 3, by_category: [{ category: 'cyber-offense-capability', count: 2 }, { category: 'jailbreak', count: 1 }], by_severity: [{ severity: 'critical', count: 1 }, { severity: 'high', count: 2 }], highest_severity: 'critical' };
    for (const who of ['lab', 'admin'] as const) expect(stixFor(who, OPEN)!.summary, who).toEqual(summary);
    for (const who of ['reviewer', 'invited'] as const) expect(stixFor(who, OPEN), who).not.toHaveProperty('summary');
    for (const who of ['lab', 'reviewer', 'invited', 'core', 'trusted', 'community', 'admin'] as const) expect(stixFor(who, CLOSED)!.summary, who).toEqual(summary);
    const cancelled = review({ cancelledAt: new Date(T0 + 10 * DAY), closesAt: null });
    expect(stixFor('invited', CLOSED, cancelled)).not.toHaveProperty('summary');
  });

  it('gives the lab as created_by_ref where the viewer may see member identities (TRUSTED and up, the lab itself), never to COMMUNITY or anonymous viewers', () => {
    const lab = memberIdentityId('lab');
    for (const who of ['lab', 'reviewer', 'invited', 'core', 'trusted'] as const) expect(stixFor(who, CLOSED)!.created_by_ref, who).toBe(lab);
    expect(stixFor('community', CLOSED)).not.toHaveProperty('created_by_ref');
    expect(stixFor('anonymous', CLOSED, review({ summaryPublic: true }))).not.toHaveProperty('created_by_ref');
  });

  it('is a new version (modified) at the window\'s opening and at the close, with no write: its status is that of its version', () => {
    const before = stixFor('lab', T0 - DAY)!;
    const open = stixFor('lab', OPEN)!;
    const closed = stixFor('lab', CLOSED)!;
    expect([before.status, open.status, closed.status]).toEqual(['scheduled', 'open', 'closed']);
    expect(before.modified).toBe(new Date(T0 - 2 * DAY).toISOString());
    expect(open.modified).toBe(new Date(T0).toISOString());
    expect(closed.modified).toBe(new Date(T0 + 30 * DAY).toISOString());
    expect(stixFor('reviewer', OPEN)!.modified).toBe(new Date(T0).toISOString());
    expect(stixFor('core', CLOSED)!.modified).toBe(new Date(T0 + 30 * DAY).toISOString());
  });

  it('is marked TLP:AMBER until the close, TLP:GREEN after it, TLP:CLEAR once the summary is public; a cancelled review stays AMBER', () => {
    expect(stixFor('lab', OPEN)!.object_marking_refs).toEqual([tlpMarkingId('AMBER')]);
    expect(stixFor('core', CLOSED)!.object_marking_refs).toEqual([tlpMarkingId('GREEN')]);
    expect(stixFor('anonymous', CLOSED, review({ summaryPublic: true }))!.object_marking_refs).toEqual([tlpMarkingId('CLEAR')]);
    expect(stixFor('lab', CLOSED, review({ cancelledAt: new Date(T0 + 10 * DAY), closesAt: null }))!.object_marking_refs).toEqual([tlpMarkingId('AMBER')]);
  });

  it('never reads the stored review: a view without reviewers yields no reviewer_refs whatever the caller passes', () => {
    const view = redactModelReview(review(), VIEWERS.core, new Date(CLOSED))!;
    expect(view.reviewers).toBeNull();
    const object = modelReviewToStix(view, { viewer: VIEWERS.core, gates }, { summary: null, findingIds: ['x-model-risk-notice--1'] });
    expect(object).not.toHaveProperty('reviewer_refs');
    expect(object).not.toHaveProperty('summary');
    expect(object.finding_refs).toEqual(['x-model-risk-notice--1']);
  });
});

describe('ModelReview.stix, stixBundle and review_ref on a real hub', () => {
  let t: TestHub;
  let clock = Date.now();
  type Who = 'lab' | 'agency' | 'isac' | 'core2' | 'community' | 'anonymous';
  const tok = {} as Record<Who, string | undefined>;
  let reviewId: string;
  let green: string;
  let red: string;
  let caseId: string;
  const STIX = 'query ($id: ID!) { modelReview(id: $id) { stix } }';
  const BUNDLE = 'query ($ids: [ID!]!) { stixBundle(ids: $ids) }';

  const gql = async (who: Who, query: string, variables: Record<string, unknown>) => {
    const res = await t.gql(query, variables, { token: tok[who] });
    expect(res.body.errors, res.text).toBeUndefined();
    return res.body.data;
  };

  beforeAll(async () => {
    t = await startTestHub({ config: { anonymousReads: true }, start: { clock: () => clock } });
    const members = { lab: t.member('lab', 'CORE', { kind: 'LAB' }), agency: t.member('agency', 'CORE'), isac: t.member('isac', 'TRUSTED'), community: t.member('community', 'COMMUNITY') };
    for (const [who, m] of Object.entries(members)) tok[who as Who] = await m.token(['reader', 'publisher']);
    const scheduled = await gql('lab', 'mutation ($input: ModelReviewInput!) { scheduleModelReview(input: $input) { id } }', {
      input: { model: { name: 'Frontier-9', developer: 'lab', version: '9.0' }, plannedDeploymentAt: new Date(clock + 31 * DAY).toISOString(), reviewerIds: ['isac'], description: 'Before it ships.' },
    });
    reviewId = scheduled.scheduleModelReview.id;
    // A CORE member that joined after the scheduling: not a reviewer (the default tier's members are taken when it is scheduled).
    tok.core2 = await t.member('core2', 'CORE').token(['reader']);
    clock += 2 * DAY; // the window is open
    const file = async (who: Who, input: Record<string, unknown>) =>
      (await gql(who, 'mutation ($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }', {
        input: { title: 'Finding', summary: 'Found in review.', model: { name: 'Frontier-9', developer: 'lab' }, category: 'CYBER_OFFENSE_CAPABILITY', severity: 'HIGH', status: 'PUBLISHED', reviewId, ...input },
      })).publishModelRiskNotice.id as string;
    green = await file('agency', { tlp: 'GREEN' });
    red = await file('isac', { tlp: 'RED', recipients: ['agency'], severity: 'CRITICAL' });
    caseId = (await gql('agency', 'mutation ($input: VulnerabilityInput!) { submitVulnerability(input: $input) { id } }', {
      input: { title: 'Sandbox escape', summary: 'The model found a sandbox escape.', severity: 'HIGH', affected: [{ vendorName: 'runc', product: 'runc', versions: '< 1.2' }], discovery: { method: 'HUMAN', humanValidated: true }, reviewId },
    })).submitVulnerability.id;
    clock += 1;
  });
  afterAll(() => t.dispose());

  it('gives the lab and reviewers the open review\'s STIX, valid, from their view: reviewers named, the summary to the lab only, findings each sees', async () => {
    const lab = (await gql('lab', STIX, { id: reviewId })).modelReview.stix;
    expect(stixProblems(lab)).toEqual([]);
    expect(lab).toMatchObject({ type: 'x-model-review', id: reviewId, status: 'open', reviewer_refs: expect.arrayContaining([memberIdentityId('agency'), memberIdentityId('isac')]), summary: { total: 3, highest_severity: 'critical' } });
    // The lab is no RED recipient: the RED finding is counted in the summary, never referenced.
    expect(lab.finding_refs).not.toContain(red);
    const agency = (await gql('agency', STIX, { id: reviewId })).modelReview.stix;
    expect(agency).not.toHaveProperty('summary');
    expect([...agency.finding_refs].sort()).toEqual([green, red, caseId].sort());
    const isac = (await gql('isac', STIX, { id: reviewId })).modelReview.stix;
    expect([...isac.finding_refs].sort()).toEqual([green, red].sort());
  });

  it('leaves a hidden review out of stixBundle exactly as an unknown id, and names the review on a finding only where it is seen', async () => {
    const unknown = 'x-model-review--00000000-0000-4000-8000-000000000000';
    for (const who of ['core2', 'community', 'anonymous'] as const) {
      const hidden = (await gql(who, BUNDLE, { ids: [reviewId] })).stixBundle;
      const missing = (await gql(who, BUNDLE, { ids: [unknown] })).stixBundle;
      expect({ ...hidden, id: 'bundle' }, who).toEqual({ ...missing, id: 'bundle' });
      expect((await gql(who, STIX.replace('stix', 'id'), { id: reviewId })).modelReview, who).toBeNull();
    }
    const bundle = (await gql('lab', BUNDLE, { ids: [reviewId, green] })).stixBundle;
    const objects = bundle.objects as Array<{ type: string; id: string; review_ref?: string }>;
    expect(objects.filter((o) => o.type === 'x-model-review').map((o) => o.id)).toEqual([reviewId]);
    expect(objects.find((o) => o.id === green)!.review_ref).toBe(reviewId);
    // Its reviewers' and lab's identities come along, so the bundle is self-contained.
    const identities = objects.filter((o) => o.type === 'identity').map((o) => o.id);
    expect(identities).toEqual(expect.arrayContaining(['lab', 'agency', 'isac'].map(memberIdentityId)));
  });

  it('after the close, gives every member the closed review without reviewers, with the summary; findings name it for members, not for anonymous callers', async () => {
    clock += 30 * DAY;
    const core2 = (await gql('core2', STIX, { id: reviewId })).modelReview.stix;
    expect(stixProblems(core2)).toEqual([]);
    expect(core2).toMatchObject({ status: 'closed', summary: { total: 3 }, object_marking_refs: [tlpMarkingId('GREEN')] });
    expect(core2).not.toHaveProperty('reviewer_refs');
    // The case is still at RECEIVED: released from the review, it is seen by its stage's rules (CORE from VALIDATED).
    expect(core2.finding_refs).toEqual([green]);
    const community = (await gql('community', STIX, { id: reviewId })).modelReview.stix;
    expect(community.finding_refs).toEqual([green]);
    expect(community).not.toHaveProperty('created_by_ref');
    const notice = 'query ($id: ID!) { modelRiskNotice(id: $id) { stix } }';
    expect((await gql('community', notice, { id: green })).modelRiskNotice.stix.review_ref).toBe(reviewId);
    expect((await gql('anonymous', notice, { id: green })).modelRiskNotice).toBeNull(); // GREEN: members only
    const vuln = 'query ($id: ID!) { vulnerability(id: $id) { stix } }';
    expect((await gql('agency', vuln, { id: caseId })).vulnerability.stix.extensions[HUB_EXTENSION_ID].review_ref).toBe(reviewId);
  });
});
