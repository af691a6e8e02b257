/**
 * Who sees what: every viewer against every TLP, for indicators and model-risk notices, through
 * every way a record can leave the hub (lists and their counts, by id, node, lookup).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

type Tlp = 'CLEAR' | 'GREEN' | 'AMBER' | 'AMBER_STRICT' | 'RED';
type ViewerName = 'anonymous' | 'community' | 'trusted' | 'core' | 'recipient' | 'publisher';

const TLPS: Tlp[] = ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED'];
const VIEWERS: ViewerName[] = ['anonymous', 'community', 'trusted', 'core', 'recipient', 'publisher'];
const WHO: Record<ViewerName, string> = {
  anonymous: 'an anonymous caller',
  community: 'a COMMUNITY member',
  trusted: 'a TRUSTED member',
  core: 'a CORE member who is no recipient',
  recipient: 'the COMMUNITY member named as RED recipient',
  publisher: 'the (COMMUNITY) publisher',
};
const sees = (seen: boolean) => (seen ? 'sees' : 'does not see');

/** Which viewers may see an indicator of each TLP (the RED one names `recipient` only). */
const INDICATOR_SEEN_BY: Record<Tlp, ViewerName[]> = {
  CLEAR: ['anonymous', 'community', 'trusted', 'core', 'recipient', 'publisher'],
  GREEN: ['community', 'trusted', 'core', 'recipient', 'publisher'],
  AMBER: ['trusted', 'core', 'publisher'],
  AMBER_STRICT: ['trusted', 'core', 'publisher'],
  RED: ['recipient', 'publisher'],
};

/** The notices published, and who may see each. */
interface NoticeCase {
  /** How the notice reads in a test name: "a <key> notice". */
  key: string;
  tlp: Tlp;
  status?: 'DRAFT' | 'PUBLISHED';
  /** A past embargo is set 1 s ahead at publication (the hub refuses past ones) and waited out. */
  embargo?: 'future' | 'past';
  seenBy: ViewerName[];
}
const NOTICE_CASES: NoticeCase[] = [
  ...TLPS.map((tlp): NoticeCase => ({ key: `TLP:${tlp}`, tlp, seenBy: INDICATOR_SEEN_BY[tlp] })),
  { key: 'TLP:CLEAR embargoed', tlp: 'CLEAR', embargo: 'future', seenBy: ['core', 'publisher'] },
  { key: 'TLP:AMBER embargoed', tlp: 'AMBER', embargo: 'future', seenBy: ['core', 'publisher'] },
  { key: 'TLP:CLEAR formerly embargoed', tlp: 'CLEAR', embargo: 'past', seenBy: INDICATOR_SEEN_BY.CLEAR },
  { key: 'TLP:AMBER formerly embargoed', tlp: 'AMBER', embargo: 'past', seenBy: INDICATOR_SEEN_BY.AMBER },
  { key: 'TLP:CLEAR DRAFT', tlp: 'CLEAR', status: 'DRAFT', seenBy: ['publisher'] },
];

const PUBLISH_NOTICE = /* GraphQL */ `
  mutation ($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }`;

const INDICATOR_VIEW = /* GraphQL */ `
  query ($id: ID!, $value: String!) {
    indicators(first: 500) { totalCount edges { node { id } } }
    indicator(id: $id) { id }
    node(id: $id) { id }
    lookupIndicators(values: [$value]) { known indicators { id } }
  }`;

const NOTICE_VIEW = /* GraphQL */ `
  query ($id: ID!) {
    modelRiskNotices(first: 500) { totalCount edges { node { id } } }
    modelRiskNotice(id: $id) { id }
    node(id: $id) { id }
  }`;

let t: TestHub;
const tokens = {} as Record<ViewerName, string | undefined>;
const indicatorIds = {} as Record<Tlp, string>;
const indicatorValues = {} as Record<Tlp, string>;
const noticeIds: Record<string, string> = {};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function noticeInput(c: Pick<NoticeCase, 'tlp' | 'status'> & { title: string; embargoUntil?: Date; recipients?: string[] }) {
  return {
    title: c.title,
    summary: `A ${c.tlp} notice for the visibility matrix.`,
    model: { name: 'Matrix-1', developer: 'Visibility Labs' },
    category: 'JAILBREAK',
    severity: 'HIGH',
    tlp: c.tlp,
    status: c.status ?? 'PUBLISHED',
    ...(c.tlp === 'RED' ? { recipients: c.recipients ?? ['recipient'] } : {}),
    ...(c.embargoUntil ? { embargoUntil: c.embargoUntil.toISOString() } : {}),
  };
}

async function as<T = any>(viewer: ViewerName, query: string, variables?: Record<string, unknown>) {
  const res = await t.gql<T>(query, variables, { token: tokens[viewer] });
  expect(res.body.errors, res.text).toBeUndefined();
  return res;
}

beforeAll(async () => {
  t = await startTestHub({ config: { anonymousReads: true } });
  // The publisher is only COMMUNITY: seeing its own AMBER and RED records is not down to its tier.
  const publisher = t.member('publisher', 'COMMUNITY');
  const members = {
    community: t.member('community', 'COMMUNITY'),
    trusted: t.member('trusted', 'TRUSTED'),
    core: t.member('core', 'CORE'),
    recipient: t.member('recipient', 'COMMUNITY'),
  };
  tokens.anonymous = undefined;
  tokens.publisher = await publisher.token();
  for (const [name, m] of Object.entries(members)) tokens[name as ViewerName] = await m.token(['reader']);

  const results = await publisher.publishes(
    TLPS.map((tlp) => ({
      value: `${tlp.toLowerCase().replace('_', '-')}.matrix.example`,
      tlp,
      ...(tlp === 'RED' ? { recipients: ['recipient'] } : {}),
    })),
  );
  TLPS.forEach((tlp, i) => {
    indicatorIds[tlp] = results[i].indicator.id;
    indicatorValues[tlp] = results[i].indicator.value;
  });

  let lastEmbargoEnd = 0;
  for (const c of NOTICE_CASES) {
    const embargoUntil = c.embargo === 'future' ? new Date(Date.now() + 30 * 86_400_000) : c.embargo === 'past' ? new Date(Date.now() + 1_000) : undefined;
    if (c.embargo === 'past') lastEmbargoEnd = embargoUntil!.getTime();
    const res = await t.gql(PUBLISH_NOTICE, { input: noticeInput({ ...c, title: `Matrix notice: ${c.key}`, embargoUntil }) }, { token: tokens.publisher });
    expect(res.body.errors, res.text).toBeUndefined();
    noticeIds[c.key] = res.body.data.publishModelRiskNotice.id;
  }
  await sleep(Math.max(0, lastEmbargoEnd - Date.now() + 50));
});

describe('indicators: every viewer against every TLP', () => {
  const cells = VIEWERS.flatMap((viewer) =>
    TLPS.map((tlp) => {
      const seen = INDICATOR_SEEN_BY[tlp].includes(viewer);
      return { viewer, tlp, seen, title: `${WHO[viewer]} ${sees(seen)} a TLP:${tlp} indicator in the list, by id, by node or by lookup` };
    }),
  );

  for (const { viewer, tlp, seen, title } of cells) it(title, async () => {
    const res = await as(viewer, INDICATOR_VIEW, { id: indicatorIds[tlp], value: indicatorValues[tlp] });
    const d = res.body.data;
    const listed = d.indicators.edges.map((e: any) => e.node.id);
    expect(listed.includes(indicatorIds[tlp])).toBe(seen);
    expect(d.indicator).toEqual(seen ? { id: indicatorIds[tlp] } : null);
    expect(d.node).toEqual(seen ? { id: indicatorIds[tlp] } : null);
    expect(d.lookupIndicators).toEqual([{ known: seen, indicators: seen ? [{ id: indicatorIds[tlp] }] : [] }]);
  });

  for (const viewer of VIEWERS) it(`${WHO[viewer]} gets an indicator list of exactly the records it may see, and a totalCount of exactly that many`, async () => {
    const expected = TLPS.filter((tlp) => INDICATOR_SEEN_BY[tlp].includes(viewer)).map((tlp) => indicatorIds[tlp]);
    const res = await as(viewer, INDICATOR_VIEW, { id: indicatorIds.CLEAR, value: indicatorValues.CLEAR });
    const listed: string[] = res.body.data.indicators.edges.map((e: any) => e.node.id);
    expect([...listed].sort()).toEqual([...expected].sort());
    expect(res.body.data.indicators.totalCount).toBe(expected.length);
  });

  it('the recipient of a RED indicator sees it although it is only COMMUNITY, and a CORE non-recipient does not', async () => {
    const recipient = await as('recipient', INDICATOR_VIEW, { id: indicatorIds.RED, value: indicatorValues.RED });
    const core = await as('core', INDICATOR_VIEW, { id: indicatorIds.RED, value: indicatorValues.RED });
    expect(recipient.body.data.indicator).toEqual({ id: indicatorIds.RED });
    expect(core.body.data.indicator).toBeNull();
    expect(core.body.data.lookupIndicators[0].known).toBe(false);
  });

  it('a COMMUNITY publisher sees all five of its own indicators, AMBER and RED included', async () => {
    const res = await as('publisher', INDICATOR_VIEW, { id: indicatorIds.AMBER_STRICT, value: indicatorValues.AMBER_STRICT });
    expect(res.body.data.indicators.totalCount).toBe(5);
    expect(res.body.data.indicator).toEqual({ id: indicatorIds.AMBER_STRICT });
  });
});

describe('model-risk notices: every viewer against TLP, embargo and draft', () => {
  const cells = VIEWERS.flatMap((viewer) =>
    NOTICE_CASES.map((c) => {
      const seen = c.seenBy.includes(viewer);
      return { viewer, key: c.key, seen, title: `${WHO[viewer]} ${sees(seen)} a ${c.key} notice in the list, by id or by node` };
    }),
  );

  for (const { viewer, key, seen, title } of cells) it(title, async () => {
    const id = noticeIds[key]!;
    const res = await as(viewer, NOTICE_VIEW, { id });
    const listed = res.body.data.modelRiskNotices.edges.map((e: any) => e.node.id);
    expect(listed.includes(id)).toBe(seen);
    expect(res.body.data.modelRiskNotice).toEqual(seen ? { id } : null);
    expect(res.body.data.node).toEqual(seen ? { id } : null);
  });

  for (const viewer of VIEWERS) it(`${WHO[viewer]} gets a notice list of exactly the notices it may see, and a totalCount of exactly that many`, async () => {
    const expected = NOTICE_CASES.filter((c) => c.seenBy.includes(viewer)).map((c) => noticeIds[c.key]!);
    const res = await as(viewer, NOTICE_VIEW, { id: noticeIds['TLP:CLEAR']! });
    const listed: string[] = res.body.data.modelRiskNotices.edges.map((e: any) => e.node.id);
    expect([...listed].sort()).toEqual([...expected].sort());
    expect(res.body.data.modelRiskNotices.totalCount).toBe(expected.length);
  });
});

describe('hidden records leave no trace in what a viewer receives', () => {
  const SNAPSHOT = /* GraphQL */ `
    query ($values: [String!]!) {
      indicators(first: 500) { totalCount pageInfo { hasNextPage } edges { node { id value tlp severity } } }
      modelRiskNotices(first: 500) { totalCount pageInfo { hasNextPage } edges { node { id title tlp status } } }
      lookupIndicators(values: $values) { input normalized type known indicators { id tlp } }
    }`;
  // Values that the hidden records below will use; one of them is also a visible CLEAR value.
  const VALUES = ['hidden-red.matrix.example', 'hidden-amber.matrix.example', 'clear.matrix.example'];

  async function snapshots(viewers: ViewerName[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const v of viewers) out[v] = (await as(v, SNAPSHOT, { values: VALUES })).text;
    return out;
  }

  it('records nobody but their publisher and a recipient may see change no byte of other viewers\' answers', async () => {
    const viewers: ViewerName[] = ['anonymous', 'community', 'trusted', 'core'];
    const before = await snapshots(viewers);
    const outsider = t.member('outsider', 'CORE');
    await outsider.publishes([
      { value: 'hidden-red.matrix.example', tlp: 'RED', recipients: ['recipient'] },
      // A second, hidden claim on a value every viewer already sees as CLEAR.
      { value: 'clear.matrix.example', tlp: 'RED', recipients: ['recipient'] },
    ]);
    const token = await outsider.token();
    for (const input of [
      noticeInput({ title: 'Hidden: RED notice', tlp: 'RED' }),
      noticeInput({ title: 'Hidden: draft', tlp: 'CLEAR', status: 'DRAFT' }),
      noticeInput({ title: 'Hidden: RED notice under embargo', tlp: 'RED', embargoUntil: new Date(Date.now() + 86_400_000) }),
    ]) {
      const res = await t.gql(PUBLISH_NOTICE, { input }, { token });
      expect(res.body.errors, res.text).toBeUndefined();
    }
    const after = await snapshots(viewers);
    for (const v of viewers) expect(after[v], `${v}'s answer changed`).toBe(before[v]);
    // The recipient, by contrast, does see the new records: the step really published something.
    const recipient = await as('recipient', SNAPSHOT, { values: VALUES });
    expect(recipient.body.data.lookupIndicators[0].known).toBe(true);
  });

  it('records above a viewer\'s tier or under embargo change no byte of that viewer\'s answers', async () => {
    const viewers: ViewerName[] = ['anonymous', 'community'];
    const before = await snapshots(viewers);
    const outsider = t.member('outsider-2', 'TRUSTED');
    await outsider.publishes([{ value: 'hidden-amber.matrix.example', tlp: 'AMBER' }]);
    const token = await outsider.token();
    for (const input of [
      noticeInput({ title: 'Hidden: AMBER notice', tlp: 'AMBER' }),
      noticeInput({ title: 'Hidden: CLEAR notice under embargo', tlp: 'CLEAR', embargoUntil: new Date(Date.now() + 86_400_000) }),
    ]) {
      const res = await t.gql(PUBLISH_NOTICE, { input }, { token });
      expect(res.body.errors, res.text).toBeUndefined();
    }
    const after = await snapshots(viewers);
    for (const v of viewers) expect(after[v], `${v}'s answer changed`).toBe(before[v]);
    const trusted = await as('trusted', SNAPSHOT, { values: VALUES });
    expect(trusted.body.data.lookupIndicators[1].known).toBe(true);
  });
});

describe('a hub with anonymous reads off', () => {
  let closed: TestHub;
  beforeAll(async () => {
    closed = await startTestHub({ config: { anonymousReads: false } });
    await closed.member('closed-publisher', 'CORE').publishes([{ value: 'open.closed-hub.example', tlp: 'CLEAR' }]);
  });

  it.each([
    ['indicators', '{ indicators { totalCount } }'],
    ['indicator', '{ indicator(id: "indicator--00000000-0000-4000-8000-000000000000") { id } }'],
    ['node', '{ node(id: "indicator--00000000-0000-4000-8000-000000000000") { id } }'],
    ['lookupIndicators', '{ lookupIndicators(values: ["open.closed-hub.example"]) { known } }'],
    ['modelRiskNotices', '{ modelRiskNotices { totalCount } }'],
    ['viewer', '{ viewer { anonymous tier } }'],
    ['__typename', '{ __typename }'],
  ])('refuses an anonymous %s query with UNAUTHENTICATED and HTTP 401, and no data', async (_name, query) => {
    const res = await closed.gql(query);
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.body.data ?? null).toBeNull();
    expect(res.text).not.toContain('closed-hub.example');
  });

  it('still answers the same query for a member with a token', async () => {
    const token = await closed.token('closed-publisher');
    const res = await closed.gql('{ lookupIndicators(values: ["open.closed-hub.example"]) { known } }', {}, { token });
    expect(res.status).toBe(200);
    expect(res.body.data.lookupIndicators).toEqual([{ known: true }]);
  });
});
