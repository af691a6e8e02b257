import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  defaultFieldResolver,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  type GraphQLArgument,
  type GraphQLFieldConfig,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import type { Tier } from '../domain/types.js';
import { forbidden } from '../errors.js';
import { canSeeField, canUseGatedInput, type Viewer } from '../policy/policy.js';

/** What the gate needs from the request context. */
export interface GateContext {
  viewer: Viewer;
  /** Coordinates (`Type.field`) withheld from this response; reported once in `extensions.redacted`. */
  redacted: Set<string>;
}

const DIRECTIVE = 'minTier';

/**
 * The sentence the docs explorer shows under a gated coordinate, added when the schema is built,
 * so the SDL's `@minTier` stays the one place a tier is written.
 */
export function tierNote(tier: Tier, kind: 'output' | 'input'): string {
  return kind === 'output'
    ? `Requires tier ${tier} or above; below it, null (named in \`extensions.redacted\`) unless the viewer published the record.`
    : `Requires tier ${tier} or above; below it, using it is FORBIDDEN.`;
}

/** In the description's first paragraph: GraphiQL's field lists show no more than that. */
function withNote(description: string | null | undefined, note: string): string {
  const text = description?.trim();
  if (!text) return note;
  const breakAt = text.indexOf('\n\n');
  return breakAt < 0 ? `${text} ${note}` : `${text.slice(0, breakAt)} ${note}${text.slice(breakAt)}`;
}

function tierOf(schema: GraphQLSchema, node: Parameters<typeof getDirective>[1]): Tier | undefined {
  return getDirective(schema, node, DIRECTIVE)?.[0]?.tier as Tier | undefined;
}

/** Where a gated input sits inside an argument's type: checks a coerced value against the viewer. */
type InputCheck = (value: unknown, viewer: Viewer, path: string) => void;

function inputCheck(schema: GraphQLSchema, type: GraphQLInputType, seen = new Set<string>()): InputCheck | null {
  const inner = getNullableType(type);
  if (isListType(inner)) {
    const item = inputCheck(schema, inner.ofType, seen);
    return item && ((value, viewer, path) => {
      if (Array.isArray(value)) value.forEach((v) => item(v, viewer, path));
    });
  }
  if (isEnumType(inner)) {
    const gated = new Map(inner.getValues().flatMap((v) => {
      const tier = tierOf(schema, v);
      return tier ? [[v.value as unknown, { name: v.name, tier }] as const] : [];
    }));
    return gated.size === 0 ? null : (value, viewer, path) => {
      const gate = gated.get(value);
      if (gate && !canUseGatedInput(viewer, gate.tier)) {
        throw forbidden(`${path}: ${gate.name} needs tier ${gate.tier} or above`);
      }
    };
  }
  if (isInputObjectType(inner)) {
    if (seen.has(inner.name)) return null;
    seen.add(inner.name);
    const checks = Object.values(inner.getFields()).flatMap((f) => {
      const tier = tierOf(schema, f);
      const nested = inputCheck(schema, f.type, seen);
      return tier || nested ? [{ name: f.name, tier, nested }] : [];
    });
    return checks.length === 0 ? null : (value, viewer, path) => {
      if (value == null || typeof value !== 'object') return;
      for (const c of checks) {
        const v = (value as Record<string, unknown>)[c.name];
        if (v === undefined || v === null) continue;
        if (c.tier && !canUseGatedInput(viewer, c.tier)) {
          throw forbidden(`${path}.${c.name} needs tier ${c.tier} or above`);
        }
        c.nested?.(v, viewer, `${path}.${c.name}`);
      }
    };
  }
  return null;
}

function argumentsCheck(schema: GraphQLSchema, args: readonly GraphQLArgument[]): ((args: Record<string, unknown>, viewer: Viewer) => void) | null {
  const checks = args.flatMap((a) => {
    const check = inputCheck(schema, a.type);
    return check ? [{ name: a.name, check }] : [];
  });
  if (checks.length === 0) return null;
  return (values, viewer) => {
    for (const { name, check } of checks) if (values[name] != null) check(values[name], viewer, name);
  };
}

/**
 * Applies `@minTier` everywhere it appears in the SDL:
 * - on an output field: a viewer the policy does not clear gets `null`, and the coordinate is
 *   added to the response's `extensions.redacted`;
 * - on an input field or enum value: using it (to filter or sort) below the tier is FORBIDDEN,
 *   whatever the data.
 * Refuses, at startup, a gated output field that is non-null (it could not be withheld).
 * Each gated coordinate's description gains its {@link tierNote} (GraphiQL's docs show it).
 */
export function applyMinTier(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field: GraphQLFieldConfig<unknown, GateContext>, fieldName, typeName) => {
      const tier = field.astNode ? tierOf(schema, field as never) : undefined;
      const argsCheck = argumentsCheck(schema, Object.entries(field.args ?? {}).map(([name, a]) => ({ name, ...a }) as unknown as GraphQLArgument));
      if (!tier && !argsCheck) return field;
      if (tier) field = { ...field, description: withNote(field.description, tierNote(tier, 'output')) };
      if (tier && isNonNullType(field.type)) {
        throw new Error(`${typeName}.${fieldName} is gated by @minTier but non-null: a withheld field must be able to be null`);
      }
      const coordinate = `${typeName}.${fieldName}`;
      const resolve = field.resolve ?? defaultFieldResolver;
      return {
        ...field,
        resolve: (source, args, context, info) => {
          if (tier && !canSeeField(context.viewer, source, tier)) {
            context.redacted.add(coordinate);
            return null;
          }
          argsCheck?.(args, context.viewer);
          return resolve(source, args, context, info);
        },
      };
    },
    [MapperKind.INPUT_OBJECT_FIELD]: (field) => {
      const tier = tierOf(schema, field as never);
      return tier ? { ...field, description: withNote(field.description, tierNote(tier, 'input')) } : field;
    },
    [MapperKind.ENUM_VALUE]: (value) => {
      const tier = tierOf(schema, value as never);
      return tier ? { ...value, description: withNote(value.description, tierNote(tier, 'input')) } : value;
    },
  });
}

/** The gated output fields (`Type.field` → tier), for exports that leave the hub outside GraphQL. */
export function gatedFields(schema: GraphQLSchema): Map<string, Tier> {
  const out = new Map<string, Tier>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !('getFields' in type) || isInputObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const tier = tierOf(schema, field as never);
      if (tier) out.set(`${type.name}.${field.name}`, tier);
    }
  }
  return out;
}

