/**
 * Model-risk notices end to end: publishing, validation, the review lifecycle, updates that may
 * not loosen sharing, related indicators, filters and pagination.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type GqlResponse, type TestHub } from './support/hub-fixture.js';

const DAY = 86_400_000;
const inDays = (n: number) => new Date(Date.now() + n * DAY).toISOString();

const FIELDS = /* GraphQL */ `
  fragment F on ModelRiskNotice {
    id title summary model { name developer version } category severity tlp recipients status embargoUntil
    atlasTechniques owaspLlm mitigations technicalDetails evaluationEvidence affectedDeployments
    relatedIndicators { id } source { id }
  }`;
const PUBLISH = `mutation ($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { ...F } } ${FIELDS}`;
const GET = `query ($id: ID!) { modelRiskNotice(id: $id) { ...F } } ${FIELDS}`;
const UPDATE = `mutation ($id: ID!, $input: ModelRiskNoticeUpdate!) { updateModelRiskNotice(id: $id, input: $input) { ...F } } ${FIELDS}`;
const STATUS = `mutation ($id: ID!, $status: NoticeStatus!) { changeModelRiskNoticeStatus(id: $id, status: $status) { id status } }`;
const LIST = /* GraphQL */ `
  query ($filter: ModelRiskNoticeFilter, $first: Int, $after: String, $orderBy: ModelRiskNoticeOrder) {
    modelRiskNotices(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
      totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id title } }
    }
  }`;

let t: TestHub;
/** lab publishes; trusted can see AMBER; community cannot; partner is a RED recipient. */
const tok = {} as Record<'lab' | 'labReader' | 'trusted' | 'community' | 'partner' | 'partner2', string>;
let labIndicators: { clear: string; amber: string; red: string };
let hiddenIndicator: string;

function base(overrides: Record<string, unknown> = {}) {
  return {
    title: 'Jailbreak on Test-Model',
    summary: 'A multi-turn jailbreak.',
    model: { name: 'Test-Model', developer: 'Test Lab' },
    category: 'JAILBREAK',
    severity: 'HIGH',
    tlp: 'AMBER',
    status: 'PUBLISHED',
    ...overrides,
  };
}

async function publish(input: Record<string, unknown>, token = tok.lab) {
  const res = await t.gql(PUBLISH, { input }, { token });
  expect(res.body.errors, res.text).toBeUndefined();
  return res.body.data.publishModelRiskNotice;
}

function errorOf(res: { body: { errors?: Array<{ message: string; extensions?: Record<string, any> }> } }) {
  expect(res.body.errors, 'expected an error').toBeDefined();
  return res.body.errors![0]!;
}

beforeAll(async () => {
  t = await startTestHub();
  const lab = t.member('lab', 'CORE', { kind: 'LAB' });
  t.member('trusted', 'TRUSTED');
  t.member('community', 'COMMUNITY');
  t.member('partner', 'COMMUNITY');
  t.member('partner2', 'TRUSTED');
  const other = t.member('other', 'CORE');
  tok.lab = await lab.token();
  tok.labReader = await lab.token(['reader']);
  for (const id of ['trusted', 'community', 'partner', 'partner2'] as const) tok[id] = await t.token(id, ['reader', 'publisher']);
  const [clear, amber, red] = await lab.publishes([
    { value: 'clear.notices.example', tlp: 'CLEAR' },
    { value: 'amber.notices.example', tlp: 'AMBER' },
    { value: 'red.notices.example', tlp: 'RED', recipients: ['partner'] },
  ]);
  labIndicators = { clear: clear.indicator.id, amber: amber.indicator.id, red: red.indicator.id };
  const [hidden] = await other.publishes([{ value: 'hidden.notices.example', tlp: 'RED', recipients: ['trusted'] }]);
  hiddenIndicator = hidden.indicator.id;
});

describe('publishing a notice', () => {
  it('refuses a member whose token lacks the publisher role with FORBIDDEN and stores nothing', async () => {
    const res = await t.gql(PUBLISH, { input: base({ title: 'From a reader' }) }, { token: tok.labReader });
    expect(errorOf(res).extensions?.code).toBe('FORBIDDEN');
    const list = await t.gql(LIST, { filter: { modelName: 'Test-Model' } }, { token: tok.lab });
    expect(list.body.data.modelRiskNotices.edges.map((e: any) => e.node.title)).not.toContain('From a reader');
  });

  it('gives back every field as published, to the publisher, by id as well as in the mutation answer', async () => {
    const embargoUntil = inDays(20);
    const input = {
      title: 'Orion-5 chains exploits autonomously',
      summary: 'The release candidate chained three exploits without help.',
      model: { name: 'Orion-5', developer: 'Frontier Test Lab', version: '5.0-rc1' },
      category: 'CYBER_OFFENSE_CAPABILITY',
      severity: 'CRITICAL',
      tlp: 'RED',
      recipients: ['partner', 'partner2'],
      status: 'UNDER_REVIEW',
      embargoUntil,
      atlasTechniques: ['AML.T0040', 'AML.T0051.001'],
      owaspLlm: ['LLM01:2025', 'LLM06:2025'],
      mitigations: 'Hold the release.',
      technicalDetails: 'Agentic harness with a shell.',
      evaluationEvidence: '9 of 14 scenarios solved.',
      affectedDeployments: ['Orion-5 API', 'Orion-5 partner preview'],
      relatedIndicatorIds: [labIndicators.clear, labIndicators.red],
    };
    const { relatedIndicatorIds, ...rest } = input;
    const expected = {
      ...rest,
      relatedIndicators: relatedIndicatorIds.map((id) => ({ id })),
      source: { id: 'lab' },
    };
    const published = await publish(input);
    expect(published.id).toMatch(/^x-model-risk-notice--[0-9a-f-]{36}$/);
    expect(published).toEqual({ id: published.id, ...expected });
    const fetched = await t.gql(GET, { id: published.id }, { token: tok.lab });
    expect(fetched.body.data.modelRiskNotice).toEqual({ id: published.id, ...expected });
  });

  it('shows the recipients list to the publisher only: a recipient reading the notice gets null', async () => {
    const notice = await publish(base({ title: 'RED for partner2', tlp: 'RED', recipients: ['partner2'] }));
    expect(notice.recipients).toEqual(['partner2']);
    const res = await t.gql(GET, { id: notice.id }, { token: tok.partner2 });
    expect(res.body.data.modelRiskNotice.id).toBe(notice.id);
    expect(res.body.data.modelRiskNotice.recipients).toBeNull();
  });

  it('starts a notice as DRAFT when no status is given', async () => {
    const { status: _s, ...input } = base({ title: 'No status given' });
    expect((await publish(input)).status).toBe('DRAFT');
  });
});

describe('validation errors name the field at fault', () => {
  it.each([
    ['an ATLAS id that is not AML.T####', { atlasTechniques: ['AML.T0051', 'AML.T51'] }, 'input.atlasTechniques'],
    ['an OWASP id outside LLM01..LLM10:2025', { owaspLlm: ['LLM11:2025'] }, 'input.owaspLlm'],
    ['TLP:RED without recipients', { tlp: 'RED' }, 'input.recipients'],
    ['TLP:RED with an empty recipients list', { tlp: 'RED', recipients: [] }, 'input.recipients'],
    ['a RED recipient who is not a member of the hub', { tlp: 'RED', recipients: ['partner', 'nobody-here'] }, 'input.recipients'],
    ['recipients on a notice that is not RED', { tlp: 'AMBER', recipients: ['partner'] }, 'input.recipients'],
    ['a new notice that starts as MITIGATED', { status: 'MITIGATED' }, 'input.status'],
    ['an empty title', { title: '' }, 'input.title'],
    ['a blank title', { title: '   ' }, 'input.title'],
    ['an embargo that has already ended', { embargoUntil: inDays(-1) }, 'input.embargoUntil'],
    ['a related indicator id that does not exist', { relatedIndicatorIds: ['indicator--00000000-0000-4000-8000-000000000000'] }, 'input.relatedIndicatorIds'],
  ])('refuses %s with BAD_USER_INPUT', async (_what, overrides, field) => {
    const res = await t.gql(PUBLISH, { input: base(overrides) }, { token: tok.lab });
    expect(errorOf(res).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(res.body.data ?? null).toBeNull();
  });

  it('answers a related indicator the publisher cannot see exactly as it answers one that does not exist', async () => {
    const missing = 'indicator--00000000-0000-4000-8000-000000000000';
    const hidden = await t.gql(PUBLISH, { input: base({ relatedIndicatorIds: [hiddenIndicator] }) }, { token: tok.lab });
    const absent = await t.gql(PUBLISH, { input: base({ relatedIndicatorIds: [missing] }) }, { token: tok.lab });
    expect(hidden.status).toBe(absent.status);
    expect(hidden.text.replace(hiddenIndicator, '<id>')).toBe(absent.text.replace(missing, '<id>'));
    expect(errorOf(hidden).extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('the status lifecycle', () => {
  it('walks DRAFT -> UNDER_REVIEW -> DRAFT -> PUBLISHED -> MITIGATED -> PUBLISHED -> RETRACTED, and the notice reads back its status', async () => {
    const { id } = await publish(base({ title: 'Lifecycle', status: 'DRAFT' }));
    for (const status of ['UNDER_REVIEW', 'DRAFT', 'PUBLISHED', 'MITIGATED', 'PUBLISHED', 'RETRACTED']) {
      const res = await t.gql(STATUS, { id, status }, { token: tok.lab });
      expect(res.body.errors, `${status}: ${res.text}`).toBeUndefined();
      expect(res.body.data.changeModelRiskNoticeStatus).toEqual({ id, status });
    }
    const fetched = await t.gql(GET, { id }, { token: tok.lab });
    expect(fetched.body.data.modelRiskNotice.status).toBe('RETRACTED');
  });

  it('refuses to revive a RETRACTED notice with INVALID_TRANSITION and leaves it retracted', async () => {
    const { id } = await publish(base({ title: 'Retracted for good' }));
    await t.gql(STATUS, { id, status: 'RETRACTED' }, { token: tok.lab });
    const res = await t.gql(STATUS, { id, status: 'PUBLISHED' }, { token: tok.lab });
    expect(errorOf(res).extensions?.code).toBe('INVALID_TRANSITION');
    expect((await t.gql(GET, { id }, { token: tok.lab })).body.data.modelRiskNotice.status).toBe('RETRACTED');
  });

  it('refuses to send a PUBLISHED notice back to DRAFT with INVALID_TRANSITION', async () => {
    const { id } = await publish(base({ title: 'No way back' }));
    const res = await t.gql(STATUS, { id, status: 'DRAFT' }, { token: tok.lab });
    expect(errorOf(res).extensions?.code).toBe('INVALID_TRANSITION');
  });

  it('lets only the publisher change the status: FORBIDDEN for a member who can see it, NOT_FOUND for one who cannot', async () => {
    const { id } = await publish(base({ title: 'Not yours', tlp: 'AMBER' }));
    const seen = await t.gql(STATUS, { id, status: 'RETRACTED' }, { token: tok.trusted });
    expect(errorOf(seen).extensions?.code).toBe('FORBIDDEN');
    const unseen = await t.gql(STATUS, { id, status: 'RETRACTED' }, { token: tok.community });
    const absent = await t.gql(STATUS, { id: 'x-model-risk-notice--00000000-0000-4000-8000-000000000000', status: 'RETRACTED' }, { token: tok.community });
    expect(errorOf(unseen).extensions?.code).toBe('NOT_FOUND');
    expect(errorOf(unseen).extensions).toEqual(errorOf(absent).extensions);
    expect((await t.gql(GET, { id }, { token: tok.lab })).body.data.modelRiskNotice.status).toBe('PUBLISHED');
  });
});

describe('updating a notice', () => {
  it('changes its content and keeps the fields that were not sent', async () => {
    const { id } = await publish(base({ title: 'Before', mitigations: 'None yet', owaspLlm: ['LLM01:2025'] }));
    const res = await t.gql(UPDATE, { id, input: { title: 'After', mitigations: 'Patch 1.2', severity: 'CRITICAL' } }, { token: tok.lab });
    expect(res.body.errors, res.text).toBeUndefined();
    const fetched = (await t.gql(GET, { id }, { token: tok.lab })).body.data.modelRiskNotice;
    expect(fetched).toMatchObject({ title: 'After', mitigations: 'Patch 1.2', severity: 'CRITICAL', summary: 'A multi-turn jailbreak.', owaspLlm: ['LLM01:2025'], tlp: 'AMBER' });
  });

  it.each([
    ['lowering the TLP from AMBER to GREEN', base({ tlp: 'AMBER' }), { tlp: 'GREEN' }, 'input.tlp'],
    ['removing a recipient of a RED notice', base({ tlp: 'RED', recipients: ['partner', 'partner2'] }), { recipients: ['partner'] }, 'input.recipients'],
    ['ending an embargo earlier', base({ embargoUntil: inDays(30) }), { embargoUntil: inDays(10) }, 'input.embargoUntil'],
    ['lifting an embargo altogether', base({ embargoUntil: inDays(30) }), { embargoUntil: null }, 'input.embargoUntil'],
  ])('refuses %s with APPROVAL_REQUIRED and changes nothing', async (_what, input, patch, field) => {
    const before = await publish(input);
    const res = await t.gql(UPDATE, { id: before.id, input: { ...patch, title: 'Sneaky retitle' } }, { token: tok.lab });
    expect(errorOf(res).extensions).toMatchObject({ code: 'APPROVAL_REQUIRED', field });
    expect((await t.gql(GET, { id: before.id }, { token: tok.lab })).body.data.modelRiskNotice).toEqual(before);
  });

  it.each(['title', 'summary', 'model', 'category', 'severity', 'tlp'])(
    'refuses null for the required field %s with BAD_USER_INPUT and leaves the notice readable and unchanged',
    async (field) => {
      const before = await publish(base({ title: `Null ${field}` }));
      const res = await t.gql(UPDATE, { id: before.id, input: { [field]: null } }, { token: tok.lab });
      expect(errorOf(res).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: `input.${field}` });
      const after = await t.gql(GET, { id: before.id }, { token: tok.lab });
      expect(after.body.errors, after.text).toBeUndefined();
      expect(after.body.data.modelRiskNotice).toEqual(before);
    },
  );

  it('allows raising the TLP, after which a member below the new TLP no longer sees the notice', async () => {
    const { id } = await publish(base({ tlp: 'GREEN' }));
    expect((await t.gql(GET, { id }, { token: tok.community })).body.data.modelRiskNotice?.id).toBe(id);
    const res = await t.gql(UPDATE, { id, input: { tlp: 'AMBER' } }, { token: tok.lab });
    expect(res.body.data?.updateModelRiskNotice.tlp, res.text).toBe('AMBER');
    expect((await t.gql(GET, { id }, { token: tok.community })).body.data.modelRiskNotice).toBeNull();
  });

  it('allows extending an embargo', async () => {
    const { id } = await publish(base({ embargoUntil: inDays(10) }));
    const later = inDays(40);
    const res = await t.gql(UPDATE, { id, input: { embargoUntil: later } }, { token: tok.lab });
    expect(res.body.data?.updateModelRiskNotice.embargoUntil, res.text).toBe(later);
  });

  it('lets only the publisher update: FORBIDDEN for a member who can see it, NOT_FOUND for one who cannot', async () => {
    const { id } = await publish(base({ title: 'Mine to edit', tlp: 'AMBER' }));
    expect(errorOf(await t.gql(UPDATE, { id, input: { title: 'x' } }, { token: tok.trusted })).extensions?.code).toBe('FORBIDDEN');
    expect(errorOf(await t.gql(UPDATE, { id, input: { title: 'x' } }, { token: tok.community })).extensions?.code).toBe('NOT_FOUND');
  });
});

describe('related indicators', () => {
  it('lists only the related indicators the viewer may see', async () => {
    const { id } = await publish(base({ tlp: 'CLEAR', relatedIndicatorIds: [labIndicators.clear, labIndicators.amber, labIndicators.red] }));
    const seenBy = async (token: string) =>
      ((await t.gql(GET, { id }, { token })).body.data.modelRiskNotice.relatedIndicators as Array<{ id: string }>).map((i) => i.id).sort();
    expect(await seenBy(tok.lab)).toEqual([labIndicators.clear, labIndicators.amber, labIndicators.red].sort());
    expect(await seenBy(tok.trusted)).toEqual([labIndicators.clear, labIndicators.amber].sort());
    expect(await seenBy(tok.community)).toEqual([labIndicators.clear]);
    expect(await seenBy(tok.partner)).toEqual([labIndicators.clear, labIndicators.red].sort());
  });
});

describe('filters and pagination', () => {
  const DEV = 'Filterworks';
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    const specs: Record<string, Record<string, unknown>> = {
      jail: { category: 'JAILBREAK', severity: 'LOW', tlp: 'CLEAR', model: { name: 'F-Alpha', developer: DEV }, atlasTechniques: ['AML.T0054'], owaspLlm: ['LLM01:2025'] },
      inject: { category: 'PROMPT_INJECTION', severity: 'HIGH', tlp: 'GREEN', model: { name: 'F-Beta', developer: DEV }, atlasTechniques: ['AML.T0051.001'], owaspLlm: ['LLM01:2025', 'LLM06:2025'] },
      exfil: { category: 'DATA_EXFILTRATION', severity: 'CRITICAL', tlp: 'AMBER', model: { name: 'F-Alpha', developer: DEV }, atlasTechniques: ['AML.T0057'], owaspLlm: ['LLM02:2025'] },
      draft: { category: 'JAILBREAK', severity: 'MEDIUM', tlp: 'AMBER', status: 'DRAFT', model: { name: 'F-Gamma', developer: DEV }, atlasTechniques: ['AML.T0054'] },
      review: { category: 'AUTONOMY', severity: 'INFO', tlp: 'GREEN', status: 'UNDER_REVIEW', model: { name: 'F-Beta', developer: DEV } },
    };
    for (const [key, spec] of Object.entries(specs)) ids[key] = (await publish(base({ title: `Filter ${key}`, ...spec }))).id;
  });

  async function matching(filter: Record<string, unknown>, token = tok.lab) {
    const res = await t.gql(LIST, { filter: { modelDeveloper: DEV, ...filter } }, { token });
    expect(res.body.errors, res.text).toBeUndefined();
    const conn = res.body.data.modelRiskNotices;
    const got = conn.edges.map((e: any) => e.node.id).sort();
    expect(conn.totalCount).toBe(got.length);
    return got;
  }
  const idsOf = (...keys: string[]) => keys.map((k) => ids[k]!).sort();

  it.each([
    ['category', { category: ['JAILBREAK', 'PROMPT_INJECTION'] }, ['jail', 'inject', 'draft']],
    ['status', { status: ['DRAFT', 'UNDER_REVIEW'] }, ['draft', 'review']],
    ['severity', { severity: ['HIGH', 'LOW'] }, ['jail', 'inject']],
    ['minSeverity', { minSeverity: 'HIGH' }, ['inject', 'exfil']],
    ['tlp', { tlp: ['AMBER'] }, ['exfil', 'draft']],
    ['modelName', { modelName: 'F-Alpha' }, ['jail', 'exfil']],
    ['atlasTechnique', { atlasTechnique: 'AML.T0054' }, ['jail', 'draft']],
    ['owaspLlm', { owaspLlm: 'LLM01:2025' }, ['jail', 'inject']],
    ['modelDeveloper', {}, ['jail', 'inject', 'exfil', 'draft', 'review']],
  ])('the %s filter returns exactly the matching notices, counted', async (_name, filter, keys) => {
    expect(await matching(filter)).toEqual(idsOf(...keys));
  });

  it('filters only among the notices the viewer may see', async () => {
    expect(await matching({ category: ['JAILBREAK', 'PROMPT_INJECTION'] }, tok.community)).toEqual(idsOf('jail', 'inject'));
  });

  it.each([
    ['newest first', undefined],
    ['by severity, lowest first', { field: 'SEVERITY', direction: 'ASC' }],
  ])('pages two at a time %s through every notice once, following endCursor', async (_name, orderBy) => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const res: GqlResponse = await t.gql(LIST, { filter: { modelDeveloper: DEV }, first: 2, after, orderBy }, { token: tok.lab });
      expect(res.body.errors, res.text).toBeUndefined();
      const conn: any = res.body.data.modelRiskNotices;
      expect(conn.totalCount).toBe(5);
      expect(conn.edges.length).toBeLessThanOrEqual(2);
      expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...conn.edges.map((e: any) => e.node.id));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(5);
    expect([...seen].sort()).toEqual(idsOf('jail', 'inject', 'exfil', 'draft', 'review'));
  });

  it('orders by severity when asked', async () => {
    const res = await t.gql(LIST, { filter: { modelDeveloper: DEV }, orderBy: { field: 'SEVERITY', direction: 'DESC' } }, { token: tok.lab });
    expect(res.body.data.modelRiskNotices.edges.map((e: any) => e.node.id)).toEqual(['exfil', 'inject', 'draft', 'jail', 'review'].map((k) => ids[k]));
  });

  it("refuses another viewer's cursor with BAD_USER_INPUT on after", async () => {
    const first = await t.gql(LIST, { filter: { modelDeveloper: DEV }, first: 1 }, { token: tok.lab });
    const cursor = first.body.data.modelRiskNotices.pageInfo.endCursor;
    const res = await t.gql(LIST, { filter: { modelDeveloper: DEV }, first: 1, after: cursor }, { token: tok.trusted });
    expect(errorOf(res).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});

describe('links that became hidden', () => {
  it('lets the publisher edit a notice whose linked indicator its owner has since restricted', async () => {
    const owner = t.member('link-owner', 'TRUSTED');
    const [linked] = await owner.publishes([{ value: 'later-red.notices.example', tlp: 'GREEN' }]);
    const notice = await publish(base({ relatedIndicatorIds: [linked.indicator.id] }));
    // The owner raises the TLP to RED for someone else: the lab can no longer see the indicator.
    await owner.publishes([{ value: 'later-red.notices.example', tlp: 'RED', recipients: ['partner'] }]);
    const res = await t.gql(UPDATE, { id: notice.id, input: { title: 'Retitled after the link went dark' } }, { token: tok.lab });
    expect(res.body.errors, res.text).toBeUndefined();
    expect(res.body.data.updateModelRiskNotice.title).toBe('Retitled after the link went dark');
    expect(res.text).not.toContain('later-red.notices.example');
  });
});
