/**
 * STIX 2.1: what the hub emits for indicators, sightings and model-risk notices, validated against
 * the official OASIS JSON schemas, plus the checks the schemas miss, and redacted per viewer
 * exactly as GraphQL is.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { indicatorPattern } from '../src/stix/indicator-pattern.js';
import { memberIdentityId, uuidV5 } from '../src/stix/stix-ids.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';
import { bundleErrors, hubCheckErrors, schemaErrors, stixProblems, TLP2_MARKING_IDS } from './support/stix-validator.js';

type Stix = Record<string, any> & { type: string; id: string };

const DAY = 86_400_000;
const TRICKY_URL = "http://evil.example/it's/a?q=b\\c";
const EVERY_TYPE = [
  { value: '198.51.100.7', type: 'IPV4', path: 'ipv4-addr:value' },
  { value: '2001:db8::7', type: 'IPV6', path: 'ipv6-addr:value' },
  { value: '198.51.100.0/24', type: 'CIDR', path: 'ipv4-addr:value' },
  { value: '2001:db8::/32', type: 'CIDR', path: 'ipv6-addr:value' },
  { value: 'login-verify.example', type: 'DOMAIN', path: 'domain-name:value' },
  { value: TRICKY_URL, type: 'URL', path: 'url:value' },
  { value: 'phish@evil.example', type: 'EMAIL', path: 'email-addr:value' },
  { value: '0cc175b9c0f1b6a831c399e269772661', type: 'MD5', path: "file:hashes.'MD5'" },
  { value: '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8', type: 'SHA1', path: "file:hashes.'SHA-1'" },
  { value: 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb', type: 'SHA256', path: "file:hashes.'SHA-256'" },
  {
    value: '1f40fc92da241694750979ee6cf582f2d5d7d28e18335de05abc54d0560e0f5302860c652bf08d560252aa5e74210546f369fbbbce8c12cfc7957b2652fe9a75',
    type: 'SHA512',
    path: "file:hashes.'SHA-512'",
  },
] as const;

const BUNDLE = `query ($ids: [ID!]!) { stixBundle(ids: $ids) }`;

let t: TestHub;
const tok = {} as Record<'lab' | 'corp' | 'isac' | 'agency', string>;
const ids = { indicators: [] as string[], revoked: '', notice: '', sighting: '' };
const bundles = {} as Record<'corp' | 'isac' | 'agency', Stix[]>;
let redacted: Record<'corp' | 'isac' | 'agency', string[]>;

const byType = (objects: Stix[], type: string) => objects.filter((o) => o.type === type);
const byId = (objects: Stix[], id: string) => objects.find((o) => o.id === id);

beforeAll(async () => {
  t = await startTestHub();
  const lab = t.member('lab', 'CORE', { kind: 'LAB', sector: 'Technology' });
  const corp = t.member('corp', 'COMMUNITY');
  const isac = t.member('isac', 'TRUSTED', { kind: 'ISAC' });
  const agency = t.member('agency', 'CORE', { kind: 'AGENCY' });
  [tok.lab, tok.corp, tok.isac, tok.agency] = await Promise.all([lab.token(), corp.token(), isac.token(['reader']), agency.token(['reader'])]);

  const validUntil = new Date(Date.now() + 30 * DAY);
  const results = await lab.publishes([
    ...EVERY_TYPE.map((i) => ({ value: i.value, type: i.type, tlp: 'GREEN' as const, validUntil, tags: ['malicious-activity', 'phishing'], description: `a ${i.type}` })),
    { value: '203.0.113.99', tlp: 'GREEN' as const },
  ]);
  ids.indicators = results.slice(0, EVERY_TYPE.length).map((r) => r.indicator.id);
  ids.revoked = results[EVERY_TYPE.length].indicator.id;
  const revoke = await t.gql(`mutation ($id: ID!) { revokeIndicator(id: $id, reason: "false positive") { id } }`, { id: ids.revoked }, { token: tok.lab });
  expect(revoke.body.errors, revoke.text).toBeUndefined();
  const sighted = await t.gql(`mutation ($id: ID!) { reportSighting(indicatorId: $id, count: 3) { id sightings { id } } }`, { id: ids.indicators[0] }, { token: tok.isac });
  expect(sighted.body.errors, sighted.text).toBeUndefined();
  ids.sighting = sighted.body.data.reportSighting.sightings[0].id;

  const notice = await t.gql(
    `mutation ($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }`,
    {
      input: {
        title: 'Jailbreak on Test-Model',
        summary: 'A multi-turn jailbreak.',
        model: { name: 'Test-Model', developer: 'Test Lab', version: '2.1' },
        category: 'JAILBREAK',
        severity: 'HIGH',
        tlp: 'GREEN',
        status: 'PUBLISHED',
        atlasTechniques: ['AML.T0054'],
        owaspLlm: ['LLM01:2025'],
        mitigations: 'Filter multi-turn context.',
        technicalDetails: 'Turn 1 primes, turn 2 asks.',
        evaluationEvidence: 'Eval run 42.',
        affectedDeployments: ['chat.example'],
        relatedIndicatorIds: [ids.indicators[0]],
      },
    },
    { token: tok.lab },
  );
  expect(notice.body.errors, notice.text).toBeUndefined();
  ids.notice = notice.body.data.publishModelRiskNotice.id;

  const all = [...ids.indicators, ids.revoked, ids.notice];
  redacted = {} as typeof redacted;
  for (const viewer of ['corp', 'isac', 'agency'] as const) {
    const res = await t.gql(BUNDLE, { ids: all }, { token: tok[viewer] });
    expect(res.body.errors, res.text).toBeUndefined();
    const bundle = res.body.data.stixBundle;
    expect(bundleErrors(bundle), `${viewer}'s bundle`).toEqual([]);
    bundles[viewer] = bundle.objects;
    redacted[viewer] = (res.body.extensions?.redacted as string[] | undefined) ?? [];
  }
});

describe('STIX objects against the OASIS schemas', () => {
  it('emits a valid indicator SDO for every indicator type, with its single-comparison pattern', () => {
    for (const [i, spec] of EVERY_TYPE.entries()) {
      const indicator = byId(bundles.agency, ids.indicators[i]!)!;
      expect(stixProblems(indicator), spec.type).toEqual([]);
      expect(indicator.pattern.startsWith(`[${spec.path} = '`), indicator.pattern).toBe(true);
      expect(indicator).toMatchObject({ spec_version: '2.1', pattern_type: 'stix', pattern_version: '2.1', revoked: false, confidence: 50 });
      expect(indicator.indicator_types).toEqual(['malicious-activity']);
    }
    expect(byId(bundles.agency, ids.indicators[0]!)!.pattern).toBe("[ipv4-addr:value = '198.51.100.7']");
  });

  it('emits a valid revoked indicator, with the reason in the hub extension', () => {
    const revoked = byId(bundles.agency, ids.revoked)!;
    expect(stixProblems(revoked)).toEqual([]);
    expect(revoked.revoked).toBe(true);
    expect(Object.values(revoked.extensions as Record<string, any>)[0].revocation_reason).toBe('false positive');
    expect('indicator_types' in revoked).toBe(false);
  });

  it('emits a valid sighting SRO pointing at the indicator and the reporter', () => {
    const sighting = byId(bundles.agency, ids.sighting)!;
    expect(stixProblems(sighting)).toEqual([]);
    expect(sighting).toMatchObject({ type: 'sighting', sighting_of_ref: ids.indicators[0], count: 3, where_sighted_refs: [memberIdentityId('isac')] });
  });

  it('emits the notice as a custom object that satisfies the core schema and names the hub extension', async () => {
    const notice = byId(bundles.agency, ids.notice)!;
    expect(stixProblems(notice)).toEqual([]);
    const ext = (await t.gql(`{ stixExtensionDefinition }`, {}, { token: tok.corp })).body.data.stixExtensionDefinition;
    expect(notice.extensions).toEqual({ [ext.id]: { extension_type: 'new-sdo' } });
    expect(notice).toMatchObject({ type: 'x-model-risk-notice', name: 'Jailbreak on Test-Model', category: 'jailbreak', risk_severity: 'high', related_indicator_refs: [ids.indicators[0]] });
    expect('severity' in notice).toBe(false);
  });

  it('publishes a valid extension-definition created by the hub identity, also alone over GraphQL', async () => {
    const res = await t.gql(`{ stixExtensionDefinition }`, {}, { token: tok.corp });
    const ext = res.body.data.stixExtensionDefinition;
    expect(stixProblems(ext)).toEqual([]);
    expect(ext.extension_types).toEqual(['new-sdo', 'property-extension']);
    const hub = byId(bundles.corp, ext.created_by_ref)!;
    expect(stixProblems(hub)).toEqual([]);
    expect(byId(bundles.corp, ext.id)).toEqual(ext);
  });

  it('serves the TLP 2.0 marking-definitions the objects use, valid and with the OASIS ids', () => {
    const markings = byType(bundles.agency, 'marking-definition');
    expect(markings.map((m) => m.name).sort()).toEqual(['TLP:AMBER', 'TLP:CLEAR', 'TLP:GREEN']);
    for (const m of markings) {
      expect(schemaErrors(m)).toEqual([]);
      expect(TLP2_MARKING_IDS.has(m.id)).toBe(true);
      expect(m.extensions['extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d'].extension_type).toBe('property-extension');
    }
  });

  it('gives members deterministic UUIDv5 identities that validate', () => {
    expect(memberIdentityId('lab')).toBe(memberIdentityId('lab'));
    expect(memberIdentityId('lab')).toMatch(/^identity--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // RFC 9562 appendix A.4's test vector: the DNS namespace and www.example.com.
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    const lab = byId(bundles.agency, memberIdentityId('lab'))!;
    expect(stixProblems(lab)).toEqual([]);
    expect(lab).toMatchObject({ name: 'lab organisation', identity_class: 'organization', sectors: ['technology'] });
    expect(stixProblems(byId(bundles.agency, memberIdentityId('isac'))!)).toEqual([]);
  });

  it('passes the hub checks on every object of every bundle: valid_until after valid_from, one TLP marking', () => {
    for (const objects of Object.values(bundles)) for (const o of objects) expect(stixProblems(o), o.id).toEqual([]);
    expect(hubCheckErrors({ type: 'indicator', valid_from: '2026-01-02T00:00:00.000Z', valid_until: '2026-01-01T00:00:00.000Z', object_marking_refs: [...TLP2_MARKING_IDS].slice(0, 2) })).toHaveLength(2);
  });
});

describe('STIX patterns', () => {
  it('escapes quotes and backslashes of a URL in the pattern', () => {
    const url = byId(bundles.agency, ids.indicators[5]!)!;
    expect(url.pattern).toBe("[url:value = 'http://evil.example/it\\'s/a?q=b\\\\c']");
    expect(indicatorPattern('URL', "a'\\'b")).toBe("[url:value = 'a\\'\\\\\\'b']");
  });
});

describe('STIX redaction', () => {
  it("gives a COMMUNITY viewer no created_by_ref, no gated notice properties, no sightings and no identities", () => {
    const objects = bundles.corp;
    for (const id of [...ids.indicators, ids.revoked, ids.notice]) expect('created_by_ref' in byId(objects, id)!, id).toBe(false);
    const notice = byId(objects, ids.notice)!;
    for (const p of ['mitigations', 'technical_details', 'evaluation_evidence', 'affected_deployments']) expect(p in notice, p).toBe(false);
    expect(byType(objects, 'sighting')).toEqual([]);
    expect(byType(objects, 'identity').map((o) => o.id)).toEqual([byId(bundles.corp, byType(bundles.corp, 'extension-definition')[0]!.created_by_ref)!.id]);
    expect(redacted.corp.sort()).toEqual(['Indicator.sightings', 'Indicator.source', 'ModelRiskNotice.affectedDeployments', 'ModelRiskNotice.evaluationEvidence', 'ModelRiskNotice.mitigations', 'ModelRiskNotice.source', 'ModelRiskNotice.technicalDetails']);
    expect(JSON.stringify(objects)).not.toContain('Filter multi-turn');
  });

  it('gives a TRUSTED viewer the source, the sightings and the TRUSTED notice properties, not the CORE ones', () => {
    const objects = bundles.isac;
    expect(byId(objects, ids.indicators[0]!)!.created_by_ref).toBe(memberIdentityId('lab'));
    const notice = byId(objects, ids.notice)!;
    expect(notice).toMatchObject({ created_by_ref: memberIdentityId('lab'), mitigations: 'Filter multi-turn context.', technical_details: 'Turn 1 primes, turn 2 asks.' });
    expect('evaluation_evidence' in notice).toBe(false);
    expect('affected_deployments' in notice).toBe(false);
    expect(byId(objects, ids.sighting)).toBeDefined();
    expect(byId(objects, memberIdentityId('lab'))).toBeDefined();
    expect(redacted.isac.sort()).toEqual(['ModelRiskNotice.affectedDeployments', 'ModelRiskNotice.evaluationEvidence']);
  });

  it('gives a CORE viewer every notice property', () => {
    expect(byId(bundles.agency, ids.notice)).toMatchObject({ evaluation_evidence: 'Eval run 42.', affected_deployments: ['chat.example'] });
    expect(redacted.agency).toEqual([]);
  });

  it('redacts the stix fields of GraphQL records the same way, and lists the withheld coordinates', async () => {
    const query = `query ($i: ID!, $n: ID!) { indicator(id: $i) { stix sightings { stix } } modelRiskNotice(id: $n) { stix } }`;
    const community = await t.gql(query, { i: ids.indicators[0], n: ids.notice }, { token: tok.corp });
    expect(community.body.data.indicator.stix).toEqual(byId(bundles.corp, ids.indicators[0]!));
    expect(community.body.data.indicator.sightings).toBeNull();
    expect('created_by_ref' in community.body.data.modelRiskNotice.stix).toBe(false);
    expect(community.body.extensions?.redacted).toContain('Indicator.source');
    const trusted = await t.gql(query, { i: ids.indicators[0], n: ids.notice }, { token: tok.isac });
    expect(trusted.body.data.indicator.sightings[0].stix).toEqual(byId(bundles.isac, ids.sighting));
    expect(stixProblems(trusted.body.data.modelRiskNotice.stix)).toEqual([]);
  });

  it('shows a COMMUNITY publisher its own source and the sightings of its own indicators', async () => {
    const corp = t.member('corp', 'COMMUNITY');
    const [own] = await corp.publishes([{ value: 'own.example', tlp: 'GREEN' }]);
    await t.gql(`mutation ($id: ID!) { reportSighting(indicatorId: $id) { id } }`, { id: own.indicator.id }, { token: tok.isac });
    const res = await t.gql(BUNDLE, { ids: [own.indicator.id] }, { token: tok.corp });
    const objects: Stix[] = res.body.data.stixBundle.objects;
    expect(byId(objects, own.indicator.id)!.created_by_ref).toBe(memberIdentityId('corp'));
    expect(byType(objects, 'sighting')).toHaveLength(1);
    expect(byId(objects, memberIdentityId('isac'))).toBeDefined();
    for (const o of objects) expect(stixProblems(o), o.id).toEqual([]);
  });

  it('leaves hidden and unknown ids out of a bundle alike', async () => {
    const res = await t.gql(BUNDLE, { ids: ['indicator--00000000-0000-4000-8000-000000000000'] }, { token: tok.corp });
    expect(byType(res.body.data.stixBundle.objects, 'indicator')).toEqual([]);
  });
});
