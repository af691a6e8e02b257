/**
 * What GraphiQL's docs explorer shows an analyst: every root field says what it does, and every
 * gated field, filter and ordering says which tier it needs (derived from @minTier, one source).
 */
import { getDirective } from '@graphql-tools/utils';
import { isEnumType, isInputObjectType, isObjectType, isInterfaceType, type GraphQLSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildSchema } from '../src/schema.js';

const schema: GraphQLSchema = buildSchema();

function tierOf(node: Parameters<typeof getDirective>[1]): string | undefined {
  return getDirective(schema, node, 'minTier')?.[0]?.tier as string | undefined;
}

describe('the schema as documentation', () => {
  it('describes every root field (Query, Mutation, Subscription)', () => {
    const missing: string[] = [];
    for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
      for (const field of Object.values(root?.getFields() ?? {})) {
        if (!field.description?.trim()) missing.push(`${root!.name}.${field.name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('names the tier on every gated field, input field and enum value', () => {
    const gated: string[] = [];
    const missing: string[] = [];
    const check = (coordinate: string, tier: string | undefined, description: string | null | undefined) => {
      if (!tier) return;
      gated.push(coordinate);
      if (!description?.includes(`Requires tier ${tier}`)) missing.push(`${coordinate} (${tier}): ${JSON.stringify(description)}`);
    };
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__')) continue;
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) check(`${type.name}.${field.name}`, tierOf(field as never), field.description);
      } else if (isEnumType(type)) {
        for (const value of type.getValues()) check(`${type.name}.${value.name}`, tierOf(value as never), value.description);
      }
    }
    // the test walks what it should: gated outputs, filters and an ordering
    expect(gated).toEqual(expect.arrayContaining(['Indicator.source', 'IndicatorFilter.source', 'IndicatorOrderField.SOURCE', 'ModelRiskNotice.evaluationEvidence']));
    expect(missing).toEqual([]);
  });

  it('keeps what a description said, the note in its first paragraph (what GraphiQL lists)', () => {
    const source = schema.getType('Indicator');
    expect(isObjectType(source) && source.getFields().source!.description).toMatch(/^The publishing member\. Requires tier TRUSTED or above/);
  });
});
