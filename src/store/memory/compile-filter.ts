import type { Filter } from '../../domain/filter.js';

/** A compiled filter: whether one stored document matches. */
export type Predicate = (doc: object) => boolean;

type Scalar = string | number | boolean | null | Date;

const COMPARISONS = { $lt: (c: number) => c < 0, $lte: (c: number) => c <= 0, $gt: (c: number) => c > 0, $gte: (c: number) => c >= 0 } as const;

function isScalar(v: unknown): v is Scalar {
  return v === null || v instanceof Date || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** MongoDB equality of one stored value with a scalar operand (null also matches a missing field). */
function equalsScalar(operand: Scalar): (value: unknown) => boolean {
  if (operand === null) return (v) => v === null || v === undefined;
  if (operand instanceof Date) {
    const t = operand.getTime();
    return (v) => v instanceof Date && v.getTime() === t;
  }
  return (v) => v === operand;
}

/** A field condition holds for a stored value when it holds for the value or, for an array, for one of its elements. */
function anyElement(test: (v: unknown) => boolean): (value: unknown) => boolean {
  return (value) => {
    if (test(value)) return true;
    if (!Array.isArray(value)) return false;
    for (const element of value) if (test(element)) return true;
    return false;
  };
}

/** Comparison of a stored value with an operand of the same kind (MongoDB compares within a type only). */
function compareWith(operand: number | string | Date, holds: (c: number) => boolean): (value: unknown) => boolean {
  if (operand instanceof Date) {
    const t = operand.getTime();
    return (v) => v instanceof Date && holds(v.getTime() - t);
  }
  if (typeof operand === 'number') return (v) => typeof v === 'number' && holds(v - operand);
  return (v) => typeof v === 'string' && holds(v < operand ? -1 : v > operand ? 1 : 0);
}

function fieldCondition(condition: unknown): ((value: unknown) => boolean) | undefined {
  if (typeof condition === 'string' || typeof condition === 'number' || typeof condition === 'boolean') {
    // The common case (`{source: id}`, `{tlp: 'RED'}`), without the general wrapper.
    return (v) => v === condition || (Array.isArray(v) && v.includes(condition));
  }
  if (isScalar(condition)) return anyElement(equalsScalar(condition));
  if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) return undefined;
  const keys = Object.keys(condition);
  if (keys.length === 0) return undefined; // `{f: {}}` is an equality with an empty object: leave it to mingo
  const tests: Array<(value: unknown) => boolean> = [];
  for (const key of keys) {
    const operand = (condition as Record<string, unknown>)[key];
    switch (key) {
      case '$in':
      case '$nin': {
        if (!Array.isArray(operand) || !operand.every(isScalar)) return undefined;
        const plain = new Set(operand.filter((o) => o !== null && !(o instanceof Date)));
        const others = operand.filter((o) => o === null || o instanceof Date).map(equalsScalar);
        const one = others.length === 0 ? (v: unknown) => plain.has(v as never) : (v: unknown) => plain.has(v as never) || others.some((t) => t(v));
        const any = anyElement(one);
        tests.push(key === '$in' ? any : (v) => !any(v));
        break;
      }
      case '$eq':
      case '$ne': {
        if (!isScalar(operand)) return undefined;
        const any = anyElement(equalsScalar(operand));
        tests.push(key === '$eq' ? any : (v) => !any(v));
        break;
      }
      case '$lt':
      case '$lte':
      case '$gt':
      case '$gte': {
        if (!(typeof operand === 'number' || typeof operand === 'string' || operand instanceof Date)) return undefined;
        if (typeof operand === 'number' && Number.isNaN(operand)) return undefined;
        tests.push(anyElement(compareWith(operand, COMPARISONS[key])));
        break;
      }
      default:
        return undefined; // any other operator (or a literal sub-document): mingo answers it
    }
  }
  return tests.length === 1 ? tests[0] : (v) => tests.every((t) => t(v));
}

/**
 * Compiles a MongoDB filter document into a plain function, for the operators the hub's queries use
 * on top-level fields: `$and`, `$or`, equality (string, number, boolean, null, Date; an array field
 * matches when one element does), `$eq`, `$ne`, `$in`, `$nin`, `$lt`, `$lte`, `$gt`, `$gte`.
 * Undefined for anything else (dotted paths, `$expr`, regexes, sub-documents, a comparison with
 * null...): the caller then
 * uses mingo, which knows the whole language. Why: mingo interprets a filter generically (path
 * resolution, operator dispatch and allocations per document), which made it the largest single
 * cost of a page and its count; a compiled function tests a document in a few property reads.
 * test/compiled-filter.test.ts checks it against mingo on the filters the hub builds.
 */
export function compileFilter(filter: Filter): Predicate | undefined {
  const tests: Predicate[] = [];
  for (const key of Object.keys(filter)) {
    const value = filter[key];
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || value.length === 0) return undefined;
      const parts: Predicate[] = [];
      for (const part of value) {
        if (typeof part !== 'object' || part === null || Array.isArray(part)) return undefined;
        const compiled = compileFilter(part as Filter);
        if (!compiled) return undefined;
        parts.push(compiled);
      }
      tests.push(key === '$and' ? allOf(parts) : anyOf(parts));
      continue;
    }
    if (key.startsWith('$') || key.includes('.')) return undefined;
    const condition = fieldCondition(value);
    if (!condition) return undefined;
    tests.push((doc) => condition((doc as Record<string, unknown>)[key]));
  }
  if (tests.length === 0) return () => true;
  return allOf(tests);
}

function allOf(tests: readonly Predicate[]): Predicate {
  if (tests.length === 1) return tests[0]!;
  if (tests.length === 2) {
    const [a, b] = tests as [Predicate, Predicate];
    return (doc) => a(doc) && b(doc);
  }
  return (doc) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(doc)) return false;
    return true;
  };
}

function anyOf(tests: readonly Predicate[]): Predicate {
  if (tests.length === 1) return tests[0]!;
  if (tests.length === 2) {
    const [a, b] = tests as [Predicate, Predicate];
    return (doc) => a(doc) || b(doc);
  }
  return (doc) => {
    for (let i = 0; i < tests.length; i++) if (tests[i]!(doc)) return true;
    return false;
  };
}
