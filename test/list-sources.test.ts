/**
 * A list page reads its nodes' publishers once (src/graphql/preloaded-members.ts) so that
 * `source` and `sourceSector` resolve without a promise per node. The answers must be exactly
 * those of the per-node path: the right member for each node, through fragments too, gated the
 * same way (`source` TRUSTED, `sourceSector` COMMUNITY), and for a page mixing publishers.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

let t: TestHub;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestHub({ config: { anonymousReads: true } });
  const energy = t.member('ls-energy', 'TRUSTED', { sector: 'energy' });
  const finance = t.member('ls-finance', 'COMMUNITY', { sector: 'finance' });
  t.member('ls-community', 'COMMUNITY');
  t.member('ls-trusted', 'TRUSTED');
  await energy.publishes([{ value: 'ls-a.example', tlp: 'CLEAR' }, { value: 'ls-b.example', tlp: 'CLEAR' }]);
  await finance.publishes([{ value: 'ls-c.example', tlp: 'CLEAR' }]);
  await energy.publishes([{ value: 'ls-d.example', tlp: 'CLEAR' }]);
  tokens.COMMUNITY = await t.token('ls-community', ['reader']);
  tokens.TRUSTED = await t.token('ls-trusted', ['reader']);
});

const EXPECTED = [
  { value: 'ls-d.example', source: 'ls-energy', sector: 'energy' },
  { value: 'ls-c.example', source: 'ls-finance', sector: 'finance' },
  { value: 'ls-b.example', source: 'ls-energy', sector: 'energy' },
  { value: 'ls-a.example', source: 'ls-energy', sector: 'energy' },
];

const queries = {
  inline: '{ indicators(first: 10) { edges { node { value sourceSector source { id sector } } } } }',
  fragments: `
    query { indicators(first: 10) { ...Page } }
    fragment Page on IndicatorConnection { edges { ... on IndicatorEdge { node { ...Who } } } }
    fragment Who on Indicator { value sourceSector source { id sector } }`,
};

describe.each(Object.entries(queries))('a page\'s publishers (%s selection)', (_, query) => {
  it('are each node\'s own, for a TRUSTED member', async () => {
    const res = await t.gql(query, {}, { token: tokens.TRUSTED });
    expect(res.body.errors).toBeUndefined();
    const nodes = res.body.data.indicators.edges.map((e: any) => e.node);
    expect(nodes.map((n: any) => ({ value: n.value, source: n.source.id, sector: n.sourceSector }))).toEqual(EXPECTED);
    expect(nodes.every((n: any) => n.source.sector === n.sourceSector)).toBe(true);
  });

  it('are withheld by tier as on the per-node path: COMMUNITY sees sectors, not sources; anonymous neither', async () => {
    const community = await t.gql(query, {}, { token: tokens.COMMUNITY });
    expect(community.body.data.indicators.edges.map((e: any) => [e.node.sourceSector, e.node.source])).toEqual(EXPECTED.map((e) => [e.sector, null]));
    expect(community.body.extensions?.redacted).toEqual(['Indicator.source']);
    const anonymous = await t.gql(query, {});
    expect(anonymous.body.data.indicators.edges.map((e: any) => [e.node.sourceSector, e.node.source])).toEqual(EXPECTED.map(() => [null, null]));
    expect(anonymous.body.extensions?.redacted).toEqual(expect.arrayContaining(['Indicator.source', 'Indicator.sourceSector']));
  });
});
