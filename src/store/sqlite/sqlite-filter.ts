import type { Filter } from '../../domain/filter.js';
import type { SortSpec } from '../ports.js';

/** How a column holds a field's values: dates as ms since the epoch, booleans as 0/1. */
export type ColumnKind = 'text' | 'number' | 'boolean' | 'date';

/** How one document field reads in SQL, for the query being built. */
export type FieldTarget =
  /**
   * A scalar column (or expression). `seekInOr`: conditions on it stay indexable inside `$or`
   * (ColumnSpec.seekInOr).
   */
  | { readonly shape: 'scalar'; readonly sql: string; readonly kind: ColumnKind; readonly seekInOr?: boolean }
  /** A multi-valued field kept in a side table `(value, rid)`: matched by the row's `rid`. */
  | {
      readonly shape: 'side';
      readonly table: string;
      readonly rid: string;
      readonly kind: ColumnKind;
      /** The field's array as JSON text from the document: whole-array equality reads it. */
      readonly docJson: string;
    }
  /** A multi-valued field kept as a JSON array in a column (the count tables). */
  | { readonly shape: 'json'; readonly sql: string; readonly kind: ColumnKind };

/** Gives the SQL for a field, or throws when the collection has no column for it. */
export type FieldResolver = (field: string) => FieldTarget;

/** A filter or sort the SQLite store does not translate: a bug to fix, never a silent mismatch. */
export class UnsupportedQueryError extends Error {
  override readonly name = 'UnsupportedQueryError';
}

/**
 * The query operators the hub's filter documents use (queries.ts, policy.ts, the services), and so
 * all this translator accepts: anything else throws `UnsupportedQueryError`, so a new query
 * cannot silently mean something else on SQLite than on MongoDB.
 */
export const SUPPORTED_OPERATORS = ['$and', '$or', '$eq', '$ne', '$in', '$nin', '$lt', '$lte', '$gt', '$gte', '$expr'] as const;

/** Below every date and number a column holds: MongoDB's expression order puts null below them. */
const NULL_FIRST = -1.7976931348623157e308;

const EXPR_COMPARE = { $eq: '=', $ne: '<>', ...{ $lt: '<', $lte: '<=', $gt: '>', $gte: '>=' } } as const;

/** Arithmetic `$expr` operators taking a list of operands, with the SQL operator joining them. */
const EXPR_NARY = { $add: '+', $multiply: '*' } as const;

/**
 * `$expr` as a SQL condition, for the forms the hub uses: a comparison (`$eq` ... `$gte`) of two
 * expressions, each a date or number field (`'$embargoUntil'`), a number or Date literal, or
 * arithmetic on them (`$add`, `$subtract`, `$multiply`, `$divide`, `$pow`, `$floor`, `$max`,
 * `$ifNull`): TAXII's embargo dating compares two fields; the score filters compute the decayed
 * score (src/store/score-filter.ts). Null (or missing) compares below every value, as in
 * MongoDB's aggregation order; arithmetic on null is null, as there. Anything else throws.
 */
function exprToSql(expr: unknown, resolve: FieldResolver, params: unknown[]): string {
  const [op, args] = operatorOf(expr);
  if (!op || !(op in EXPR_COMPARE) || !Array.isArray(args) || args.length !== 2) {
    throw new UnsupportedQueryError(`$expr: only a comparison of two expressions is supported ({$gt: ['$a', '$b']}), not ${JSON.stringify(expr)}`);
  }
  const sides = args.map((a) => `coalesce(${valueToSql(a, resolve, params)}, ${NULL_FIRST})`);
  return `${sides[0]} ${EXPR_COMPARE[op as keyof typeof EXPR_COMPARE]} ${sides[1]}`;
}

/** The one operator of an expression object and its operand, or `[undefined, undefined]`. */
function operatorOf(expr: unknown): [string | undefined, unknown] {
  const entries = expr !== null && typeof expr === 'object' && !Array.isArray(expr) && !(expr instanceof Date) ? Object.entries(expr) : [];
  return entries.length === 1 && entries[0]![0].startsWith('$') ? entries[0]! : [undefined, undefined];
}

/** One operand of an `$expr`, as SQL (see `exprToSql`). Dates read as epoch ms, as their columns hold them. */
function valueToSql(value: unknown, resolve: FieldResolver, params: unknown[]): string {
  if (typeof value === 'string' && value.startsWith('$') && !value.startsWith('$$')) {
    const target = resolve(value.slice(1));
    if (target.shape !== 'scalar' || (target.kind !== 'date' && target.kind !== 'number')) {
      throw new UnsupportedQueryError(`$expr reads date or number fields only, not "${value.slice(1)}"`);
    }
    return target.sql;
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    params.push(value);
    return '?';
  }
  if (value instanceof Date) {
    params.push(value.getTime());
    return '?';
  }
  const [op, args] = operatorOf(value);
  const list = Array.isArray(args) ? args : [args];
  const sql = (v: unknown) => valueToSql(v, resolve, params);
  switch (op) {
    case '$add':
    case '$multiply':
      if (list.length < 1) break;
      return `(${list.map(sql).join(` ${EXPR_NARY[op]} `)})`;
    case '$subtract':
      if (list.length !== 2) break;
      return `(${sql(list[0])} - ${sql(list[1])})`;
    case '$divide':
      // Real division, as MongoDB's: SQLite divides two integers (epoch ms) as integers.
      if (list.length !== 2) break;
      return `(CAST(${sql(list[0])} AS REAL) / ${sql(list[1])})`;
    case '$pow':
      if (list.length !== 2) break;
      return `pow(${sql(list[0])}, ${sql(list[1])})`;
    case '$floor':
      if (list.length !== 1) break;
      return `floor(${sql(list[0])})`;
    case '$max': {
      // MongoDB's $max leaves nulls out; SQLite's max() of a null is null.
      // Each operand is written twice: translated twice, so that its parameters follow the text.
      if (list.length !== 2) break;
      const first = `coalesce(${sql(list[0])}, ${sql(list[1])})`;
      return `max(${first}, coalesce(${sql(list[1])}, ${sql(list[0])}))`;
    }
    case '$ifNull':
      if (list.length !== 2) break;
      return `coalesce(${sql(list[0])}, ${sql(list[1])})`;
  }
  throw new UnsupportedQueryError(`$expr: unsupported operand ${JSON.stringify(value)} (fields, numbers, Dates, $add, $subtract, $multiply, $divide, $pow, $floor, $max of two, $ifNull)`);
}

const COMPARE = { $lt: '<', $lte: '<=', $gt: '>', $gte: '>=' } as const;

type Scalar = string | number | boolean | Date | null;

function isScalar(v: unknown): v is Scalar {
  return v === null || v instanceof Date || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/**
 * A value as a column of `kind` stores it (dates as epoch ms, booleans as 0/1), or undefined when
 * a value of its type cannot be in that column. Shared by writes (SqliteCollection) and query operands.
 */
export function columnValue(value: unknown, kind: ColumnKind): string | number | undefined {
  switch (kind) {
    case 'date':
      return value instanceof Date ? value.getTime() : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? (value ? 1 : 0) : undefined;
    case 'number':
      return typeof value === 'number' ? value : undefined;
    case 'text':
      return typeof value === 'string' ? value : undefined;
  }
}

/** An operand as the column stores it; throws when its type cannot be in that column. */
function bind(value: Scalar, kind: ColumnKind, field: string): string | number {
  const bound = columnValue(value, kind);
  if (bound !== undefined && !(kind === 'number' && Number.isNaN(bound))) return bound;
  throw new UnsupportedQueryError(`field "${field}" holds ${kind} values; a query compared it with ${value instanceof Date ? 'a Date' : typeof value}`);
}

/**
 * Translates a MongoDB filter document into a SQL condition, appending its parameters to
 * `params`. MongoDB's meaning is kept where it differs from SQL's: equality with null also
 * matches a missing value, `$ne` and `$nin` match null, and a multi-valued field matches when one
 * of its values does.
 */
export function filterToSql(filter: Filter, resolve: FieldResolver, params: unknown[], inOr = false): string {
  const parts: string[] = [];
  for (const key of Object.keys(filter)) {
    const value = filter[key];
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || value.length === 0) throw new UnsupportedQueryError(`${key} needs a non-empty array`);
      const sub = value.map((part) => {
        if (part === null || typeof part !== 'object' || Array.isArray(part)) throw new UnsupportedQueryError(`${key} takes filter documents`);
        return filterToSql(part as Filter, resolve, params, inOr || key === '$or');
      });
      parts.push(`(${sub.join(key === '$and' ? ' AND ' : ' OR ')})`);
      continue;
    }
    if (key === '$expr') {
      parts.push(exprToSql(value, resolve, params));
      continue;
    }
    if (key.startsWith('$')) throw new UnsupportedQueryError(`unsupported top-level operator ${key} (supported: ${SUPPORTED_OPERATORS.join(', ')})`);
    const target = resolve(key);
    parts.push(fieldToSql(key, value, inOr && !(target.shape === 'scalar' && target.seekInOr) ? unindexed(target) : target, params));
  }
  return parts.length === 0 ? '1' : parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`;
}

/**
 * A field read without its index (SQLite's unary `+`). Used inside `$or`: the `$or`s on large
 * tables are visibility's (own, TLP within tier, named recipient), which select most of a table
 * (the score filter's branches, each a selective range, name only fields declared `seekInOr`);
 * left indexable, the planner may answer them with a MULTI-INDEX OR over half the records
 * instead of the selective condition beside them (a lookup's values, a time range, the order).
 */
export function unindexed(target: FieldTarget): FieldTarget {
  if (target.shape === 'scalar') return { ...target, sql: `+${target.sql}` };
  if (target.shape === 'side') return { ...target, rid: `+${target.rid}` };
  return target;
}

function fieldToSql(field: string, condition: unknown, target: FieldTarget, params: unknown[]): string {
  if (isScalar(condition)) return equals(field, condition, target, params, false);
  if (Array.isArray(condition) && target.shape === 'side' && condition.every((v) => typeof v === 'string' || typeof v === 'number')) {
    // MongoDB: an array operand matches the whole array, in order (a compare-and-set on recipients).
    params.push(JSON.stringify(condition));
    return `${target.docJson} = ?`;
  }
  if (typeof condition !== 'object' || Array.isArray(condition) || Object.keys(condition as object).length === 0) {
    throw new UnsupportedQueryError(`field "${field}": only scalars and operator documents are supported, not ${JSON.stringify(condition)}`);
  }
  const parts: string[] = [];
  for (const [op, operand] of Object.entries(condition as Record<string, unknown>)) {
    switch (op) {
      case '$eq':
      case '$ne':
        if (!isScalar(operand)) throw new UnsupportedQueryError(`field "${field}": ${op} takes a scalar`);
        parts.push(equals(field, operand, target, params, op === '$ne'));
        break;
      case '$in':
      case '$nin': {
        if (!Array.isArray(operand) || !operand.every(isScalar)) throw new UnsupportedQueryError(`field "${field}": ${op} takes an array of scalars`);
        parts.push(inList(field, operand as Scalar[], target, params, op === '$nin'));
        break;
      }
      case '$lt':
      case '$lte':
      case '$gt':
      case '$gte':
        parts.push(compare(field, op, operand, target, params));
        break;
      default:
        throw new UnsupportedQueryError(`field "${field}": unsupported operator ${op} (supported: ${SUPPORTED_OPERATORS.join(', ')})`);
    }
  }
  return parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`;
}

/** "Some value equals one of `values`" for a multi-valued field (`values` non-empty, no null). */
function anyValueIn(target: Exclude<FieldTarget, { shape: 'scalar' }>, placeholders: string): string {
  const test = placeholders.includes(',') ? `value IN (${placeholders})` : `value = ${placeholders}`;
  if (target.shape === 'json') return `EXISTS (SELECT 1 FROM json_each(${target.sql}) WHERE ${test})`;
  // Unindexed (`+rid`): probe the side table per row read, rather than let it drive the read.
  if (target.rid.startsWith('+')) return `EXISTS (SELECT 1 FROM ${target.table} s WHERE s.${test} AND s.rid = ${target.rid.slice(1)})`;
  return `${target.rid} IN (SELECT rid FROM ${target.table} WHERE ${test})`;
}

function equals(field: string, operand: Scalar, target: FieldTarget, params: unknown[], negate: boolean): string {
  if (operand === null) {
    // MongoDB: null matches null and missing; a multi-valued field is never missing here.
    if (target.shape !== 'scalar') return negate ? '1' : '0';
    return `${target.sql} IS ${negate ? 'NOT ' : ''}NULL`;
  }
  params.push(bind(operand, target.kind, field));
  if (target.shape === 'scalar') return negate ? `(${target.sql} IS NULL OR ${target.sql} <> ?)` : `${target.sql} = ?`;
  const any = anyValueIn(target, '?');
  return negate ? `NOT ${any}` : any;
}

function inList(field: string, operands: Scalar[], target: FieldTarget, params: unknown[], negate: boolean): string {
  const withNull = operands.some((o) => o === null);
  const values = operands.filter((o) => o !== null).map((o) => bind(o, target.kind, field));
  let sql: string;
  if (values.length === 0) sql = '0';
  else {
    params.push(...values);
    const placeholders = values.map(() => '?').join(',');
    sql = target.shape === 'scalar' ? `${target.sql} IN (${placeholders})` : anyValueIn(target, placeholders);
  }
  if (withNull && target.shape === 'scalar') sql = values.length === 0 ? `${target.sql} IS NULL` : `(${sql} OR ${target.sql} IS NULL)`;
  if (!negate) return sql;
  if (target.shape === 'scalar' && !withNull) return values.length === 0 ? '1' : `(${target.sql} IS NULL OR NOT ${sql})`;
  return `NOT ${sql}`;
}

function compare(field: string, op: keyof typeof COMPARE, operand: unknown, target: FieldTarget, params: unknown[]): string {
  if (target.shape !== 'scalar') throw new UnsupportedQueryError(`field "${field}" holds several values: ${op} is not supported on it`);
  // MongoDB: a null bound matches null (and missing) for $gte/$lte, nothing for $gt/$lt.
  if (operand === null) return op === '$gte' || op === '$lte' ? `${target.sql} IS NULL` : '0';
  if (!isScalar(operand) || typeof operand === 'boolean') throw new UnsupportedQueryError(`field "${field}": ${op} takes a number, string or Date`);
  params.push(bind(operand, target.kind, field));
  return `${target.sql} ${COMPARE[op]} ?`;
}

/**
 * `ORDER BY` terms for a sort document; every key must be a scalar column. `sorted`: the matches
 * are few (FindOptions.selective) and are sorted, never read in the order's index.
 */
export function sortToSql(sort: SortSpec, resolve: FieldResolver, sorted = false): string {
  return sort
    .map(([field, dir], i) => {
      const target = resolve(field);
      if (target.shape !== 'scalar') throw new UnsupportedQueryError(`cannot sort on multi-valued field "${field}"`);
      // A sort led by `_id` orders a handful of matches (a lookup, a roster): `+` keeps the planner
      // from walking the whole `_id` index in order instead of using the filter's index.
      const expr = i === 0 && (field === '_id' || sorted) ? `+${target.sql}` : target.sql;
      return `${expr} ${dir === 1 ? 'ASC' : 'DESC'}`;
    })
    .join(', ');
}

/** Every field a filter names (operators left out), to decide where it can be answered. */
export function fieldsOf(filter: Filter, into = new Set<string>()): Set<string> {
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' || key === '$or') {
      if (Array.isArray(value)) for (const part of value) if (part && typeof part === 'object') fieldsOf(part as Filter, into);
    } else if (key === '$expr') exprFields(value, into);
    else into.add(key);
  }
  return into;
}

/** The fields an `$expr` reads, at any depth. */
function exprFields(expr: unknown, into: Set<string>): void {
  if (typeof expr === 'string' && expr.startsWith('$') && !expr.startsWith('$$')) into.add(expr.slice(1));
  else if (Array.isArray(expr)) for (const e of expr) exprFields(e, into);
  else if (expr !== null && typeof expr === 'object' && !(expr instanceof Date)) for (const e of Object.values(expr)) exprFields(e, into);
}
