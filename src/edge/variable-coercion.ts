import {
  coerceInputValue,
  GraphQLError,
  isInputType,
  isNonNullType,
  typeFromAST,
  valueFromAST,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { clip } from '../util/clip.js';

/** Errors in one answer about variables, as for validation. */
const MAX_VARIABLE_ERRORS = 25;
/** Characters of a caller's value quoted back in a message. */
const QUOTED = 64;

/** A caller's value as a message quotes it: JSON, cut to a few dozen characters. */
function quote(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(clip(value, QUOTED));
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  return clip(text ?? String(value), QUOTED);
}

/** `input.indicators[0].tlp` for the variable `input` and the path `['indicators', 0, 'tlp']`. */
function fieldOf(variable: string, path: ReadonlyArray<string | number>): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : `${out}.${key}`), variable);
}

function badVariable(message: string, field: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field } });
}

/**
 * The operation's variables coerced exactly as graphql-js will coerce them at execution, or
 * BAD_USER_INPUT errors naming each variable (and the path inside it) in `extensions.field`.
 * Unlike graphql-js's own messages, a caller's value is quoted cut to 64 characters and no
 * suggestion is offered, so that an error never echoes megabytes back nor names what the caller
 * did not know.
 */
export function coerceVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  inputs: Readonly<Record<string, unknown>> | null | undefined,
): { coerced: Record<string, unknown>; errors?: undefined } | { coerced?: undefined; errors: GraphQLError[] } {
  const given = inputs ?? {};
  const coerced: Record<string, unknown> = {};
  const errors: GraphQLError[] = [];
  const report = (error: GraphQLError) => {
    if (errors.length < MAX_VARIABLE_ERRORS) errors.push(error);
  };
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    const type = typeFromAST(schema, definition.type);
    // Validation has refused unknown and non-input types already.
    if (!type || !isInputType(type)) continue;
    if (!Object.prototype.hasOwnProperty.call(given, name)) {
      if (definition.defaultValue) coerced[name] = valueFromAST(definition.defaultValue, type);
      else if (isNonNullType(type)) report(badVariable(`Variable "$${name}" of required type "${String(type)}" was not provided.`, name));
      continue;
    }
    const value = given[name];
    if (value === null && isNonNullType(type)) {
      report(badVariable(`Variable "$${name}" of non-null type "${String(type)}" must not be null.`, name));
      continue;
    }
    coerced[name] = coerceInputValue(
      value,
      type,
      (path, invalid, error) => {
        const field = fieldOf(name, path);
        const at = path.length > 0 ? ` at "${field}"` : '';
        // error.message quotes the value in full (graphql-js does not clip): cut it before anything reads it.
        report(badVariable(`Variable "$${name}" got invalid value ${quote(invalid)}${at}; ${clip(error.message, 300)}`, field));
      },
      true,
    );
  }
  return errors.length > 0 ? { errors } : { coerced };
}
