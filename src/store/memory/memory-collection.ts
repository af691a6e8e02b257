import { LRUCache } from 'lru-cache';
import { Query } from 'mingo';
import { applyUpdate } from '../apply-update.js';
import { pathValue } from '../path-value.js';
import type { Filter } from '../../domain/filter.js';
import type { FindOptions, SortSpec, UpdateDoc } from '../ports.js';
import { compileFilter } from './compile-filter.js';

/** What a read tests each candidate document with: a compiled filter, or mingo's interpreter. */
interface Matcher {
  test(doc: object): boolean;
}

/**
 * A cache key that identifies `filter` exactly: plain JSON would give a Date and its ISO string,
 * or any two regexes, the same key.
 */
const filterKeys = new WeakMap<Filter, string>();

function filterKey(filter: Filter): string {
  // A page's find and count often get the same filter object: key it once.
  let key = filterKeys.get(filter);
  if (key === undefined) filterKeys.set(filter, (key = keyOf(filter)));
  return key;
}

function keyOf(filter: Filter): string {
  return JSON.stringify(filter, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    if (raw instanceof Date) return { $date: raw.getTime() };
    if (raw instanceof RegExp) return { $regex: raw.source, $options: raw.flags };
    return value;
  });
}

function matcherFor(filter: Filter): Matcher {
  const compiled = compileFilter(filter);
  return compiled ? { test: compiled } : new Query(filter);
}

type Doc = { _id: string; seq?: number };

const QUERY_CACHE_LIMIT = 512;
const COUNT_CACHE_LIMIT = 512;
const CACHEABLE_FILTER_CHARS = 4_096;

/**
 * An in-process collection that answers MongoDB filter documents with mingo. It keeps hash
 * indexes on chosen fields and the documents in write order (`seq`), so that the hub's common
 * reads (by id, by value, newest first) touch only the documents they return, not the whole set.
 *
 * Documents handed out are the stored objects: callers treat them as immutable, and every write
 * replaces a document with a new object rather than changing it.
 */
export class MemoryCollection<T extends Doc> {
  private readonly docs = new Map<string, T>();
  private readonly indexes = new Map<string, Map<unknown, Ids>>();
  /** Compound indexes, in order of preference: fields, and ids by the fields' values joined. */
  private readonly compound: Array<{ fields: readonly string[]; root: CompoundNode }> = [];
  /** Documents by ascending seq; an entry is stale once its document was replaced. */
  private bySeq: T[] = [];
  private stale = 0;
  private readonly queries = new LRUCache<string, Matcher>({ max: QUERY_CACHE_LIMIT });
  /** Bumped by every write: a remembered count is valid while the version it was taken at is current. */
  private version = 0;
  /**
   * Counts by filter, each with the version it was taken at. Why: a list's `totalCount` scans every
   * document the viewer may see, on every request; between writes the answer cannot change.
   */
  private readonly counts = new LRUCache<string, { version: number; count: number }>({ max: COUNT_CACHE_LIMIT });

  /**
   * `indexedFields` are single-field hash indexes; `compoundIndexes` (in order of preference)
   * let a lookup that carries a viewer's visibility `$or` touch only the documents that viewer may
   * see, so that its cost cannot depend on documents hidden from it.
   */
  constructor(indexedFields: readonly string[] = [], compoundIndexes: ReadonlyArray<readonly string[]> = []) {
    for (const field of indexedFields) this.indexes.set(field, new Map());
    for (const fields of compoundIndexes) this.compound.push({ fields, root: new Map() });
  }

  get size(): number {
    return this.docs.size;
  }

  get(id: string): T | undefined {
    return this.docs.get(id);
  }

  /** Inserts or replaces a document by `_id`. */
  put(doc: T): void {
    this.version++;
    const previous = this.docs.get(doc._id);
    if (previous) {
      this.unindex(previous);
      if (previous.seq !== undefined) this.stale++;
    }
    this.docs.set(doc._id, doc);
    this.index(doc);
    if (doc.seq !== undefined) this.appendBySeq(doc);
    if (this.stale > 1024 && this.stale > this.bySeq.length / 2) this.compact();
  }

  find(filter: Filter, options: FindOptions = {}): T[] {
    const limit = options.limit ?? Infinity;
    const sort = options.sort ?? [];
    const plan = this.plan(filter);
    if (!plan && sort.length === 1 && sort[0]![0] === 'seq') {
      return this.walkBySeq(filter, this.compile(filter), sort[0]![1], limit);
    }
    const query = this.compile(plan ? plan.residual : filter);
    const matched: T[] = [];
    for (const doc of plan ? plan.candidates : this.docs.values()) if (query.test(doc)) matched.push(doc);
    if (sort.length > 0) matched.sort(comparator(sort));
    return limit < matched.length ? matched.slice(0, limit) : matched;
  }

  /** Like MongoDB's `explain`: how many documents answering `filter` reads before testing them. */
  explain(filter: Filter): { docsExamined: number } {
    return { docsExamined: this.plan(filter)?.candidates.length ?? this.docs.size };
  }

  /** Matches of `filter`; with `limit`, at most that many (counting stops there). */
  count(filter: Filter, limit = Infinity): number {
    const key = filterKey(filter);
    const cacheable = key.length <= CACHEABLE_FILTER_CHARS;
    const known = cacheable ? this.counts.get(key) : undefined;
    if (known?.version === this.version) return Math.min(known.count, limit);
    const plan = this.plan(filter);
    const query = this.compile(plan ? plan.residual : filter);
    let n = 0;
    for (const doc of plan ? plan.candidates : this.docs.values()) {
      if (query.test(doc) && ++n >= limit) return n;
    }
    if (cacheable) this.counts.set(key, { version: this.version, count: n });
    return n;
  }

  /** Applies a MongoDB update document to the first match; returns the new document or null. */
  updateOne(filter: Filter, update: UpdateDoc): T | null {
    const [current] = this.find(filter, { limit: 1 });
    if (!current) return null;
    const next = { ...current } as T;
    applyUpdate(next as unknown as Record<string, unknown>, update);
    this.put(next);
    return next;
  }

  private compile(filter: Filter): Matcher {
    const key = filterKey(filter);
    if (key.length > CACHEABLE_FILTER_CHARS) return matcherFor(filter);
    let query = this.queries.get(key);
    if (!query) {
      query = matcherFor(filter);
      this.queries.set(key, query);
    }
    return query;
  }

  /**
   * Uses an index when `filter` has an equality or `$in` on an indexed field at the top level or
   * inside a top-level `$and`: the candidates it names, and the rest of the filter to test them
   * against (the indexed clause is already satisfied, and re-testing a large `$in` per candidate
   * would make a batch quadratic). Undefined when no index applies.
   */
  private plan(filter: Filter): { candidates: T[]; residual: Filter } | undefined {
    const distributed = this.planDistributed(filter);
    if (distributed) return distributed;
    const and = Array.isArray(filter.$and) ? (filter.$and as Filter[]) : [];
    const clauses: Array<{ clause: Filter; at: number }> = [{ clause: filter, at: -1 }, ...and.map((clause, at) => ({ clause, at }))];
    for (const { clause, at } of clauses) {
      for (const [field, index] of this.indexes) {
        if (!(field in clause)) continue;
        const wanted = equalityValues(clause[field]);
        if (!wanted) continue;
        const candidates: T[] = [];
        const seen = new Set<string>();
        for (const value of wanted) {
          const ids = index.get(value);
          if (ids === undefined) continue;
          forEachId(ids, (id) => {
            if (seen.has(id)) return;
            seen.add(id);
            candidates.push(this.docs.get(id)!);
          });
        }
        const { [field]: _used, ...restOfClause } = clause;
        let residual: Filter;
        if (at === -1) residual = restOfClause;
        else {
          const others = and.filter((_, i) => i !== at);
          if (Object.keys(restOfClause).length) others.push(restOfClause);
          const { $and: _all, ...top } = filter;
          residual = others.length ? { ...top, $and: others } : top;
        }
        return { candidates, residual };
      }
    }
    return undefined;
  }

  /**
   * For a conjunction (`$and`, nested ones flattened) of an equality or `$in` on one field and
   * other conditions, among them the viewer's visibility (an `$or` tree of equality branches):
   * each branch of the other conditions, together with the equality, is answered by a compound
   * index, and the union is tested against the other conditions. Documents no branch selects
   * (those hidden from the viewer) are never read, so the work does not depend on them: a lookup
   * by value or by id, and TAXII's read of one object (which adds `taxiiExclusion` and a time
   * range), alike. Undefined when the shape does not fit.
   */
  private planDistributed(filter: Filter): { candidates: T[]; residual: Filter } | undefined {
    if (this.compound.length === 0) return undefined;
    const conjuncts = flattenAnd(filter);
    if (conjuncts.length < 2) return undefined;
    candidates: for (const [at, eq] of conjuncts.entries()) {
      const eqKeys = Object.keys(eq);
      if (eqKeys.length !== 1 || eqKeys[0]!.startsWith('$') || !equalityValues(eq[eqKeys[0]!])) continue;
      const others = conjuncts.filter((_, i) => i !== at);
      const scope: Filter = others.length === 1 ? others[0]! : { $and: others };
      const branches = equalityBranches(scope);
      if (!branches) continue;
      const found = new Map<string, T>();
      for (const branch of branches) {
        const conditions: Filter = { ...branch, ...eq };
        // The index that pins down the most of the branch (the first such on a tie): the fewer
        // documents it names beyond those the viewer may see, the fewer are read.
        let index: (typeof this.compound)[number] | undefined;
        for (const c of this.compound) {
          if (c.fields.every((f) => f in conditions) && (!index || c.fields.length > index.fields.length)) index = c;
        }
        if (!index) continue candidates;
        const lists = index.fields.map((f) => equalityValues(conditions[f]));
        if (lists.some((l) => !l)) continue candidates;
        collectCompound(index.root, lists as unknown[][], 0, (id) => {
          if (!found.has(id)) found.set(id, this.docs.get(id)!);
        });
      }
      // The index guaranteed the equality; re-testing a large $in per candidate would be quadratic.
      return { candidates: [...found.values()], residual: scope };
    }
    return undefined;
  }

  private walkBySeq(filter: Filter, query: Matcher, direction: 1 | -1, limit: number): T[] {
    const bound = seqBound(filter);
    const out: T[] = [];
    const list = this.bySeq;
    if (direction === -1) {
      let i = list.length - 1;
      if (bound?.lt !== undefined) i = lowerBound(list, bound.lt) - 1;
      for (; i >= 0 && out.length < limit; i--) {
        const doc = list[i]!;
        if (this.docs.get(doc._id) === doc && query.test(doc)) out.push(doc);
      }
    } else {
      let i = 0;
      if (bound?.gt !== undefined) i = lowerBound(list, bound.gt + 1);
      for (; i < list.length && out.length < limit; i++) {
        const doc = list[i]!;
        if (this.docs.get(doc._id) === doc && query.test(doc)) out.push(doc);
      }
    }
    return out;
  }

  private appendBySeq(doc: T): void {
    const list = this.bySeq;
    const last = list[list.length - 1];
    if (!last || last.seq! <= doc.seq!) list.push(doc);
    else list.splice(lowerBound(list, doc.seq!), 0, doc);
  }

  private compact(): void {
    this.bySeq = this.bySeq.filter((doc) => this.docs.get(doc._id) === doc);
    this.stale = 0;
  }

  private index(doc: T): void {
    for (const { fields, root } of this.compound) addCompound(root, doc, fields, 0);
    for (const [field, index] of this.indexes) {
      for (const value of fieldValues(doc, field)) addId(index, value, doc._id);
    }
  }

  private unindex(doc: T): void {
    for (const { fields, root } of this.compound) removeCompound(root, doc, fields, 0);
    for (const [field, index] of this.indexes) {
      for (const value of fieldValues(doc, field)) removeId(index, value, doc._id);
    }
  }
}

function fieldValues(doc: Doc, field: string): unknown[] {
  const v = (doc as Record<string, unknown>)[field];
  return Array.isArray(v) ? v : [v];
}

/**
 * A compound index: one level of maps per field (keyed by the value as a string), the ids at the
 * last. Nested maps, not one map of joined keys: a lookup of 1,000 values through three visibility
 * branches built 5,000 key strings and hashed each (about 7 ms); descending the levels builds none.
 */
type CompoundNode = Map<string, CompoundNode | Ids>;

/**
 * The ids under one index key: a lone id as itself, a Set from the second on. Why: most keys name
 * one document (every `_id`, most values), and a Set per key and index was most of the cost of
 * storing a document (eight indexes: about 5 ms of a 1,000-indicator publish, and its garbage).
 */
type Ids = string | Set<string>;

function addId<K>(map: Map<K, unknown>, key: K, id: string): void {
  const ids = map.get(key) as Ids | undefined;
  if (ids === undefined) map.set(key, id);
  else if (typeof ids === 'string') {
    if (ids !== id) map.set(key, new Set([ids, id]));
  } else ids.add(id);
}

function removeId<K>(map: Map<K, unknown>, key: K, id: string): void {
  const ids = map.get(key) as Ids | undefined;
  if (ids === undefined) return;
  if (typeof ids === 'string') {
    if (ids === id) map.delete(key);
  } else {
    ids.delete(id);
    if (ids.size === 0) map.delete(key);
  }
}

function forEachId(ids: Ids, visit: (id: string) => void): void {
  if (typeof ids === 'string') visit(ids);
  else for (const id of ids) visit(id);
}

function addCompound(node: CompoundNode, doc: Doc, fields: readonly string[], at: number): void {
  const last = at === fields.length - 1;
  for (const value of fieldValues(doc, fields[at]!)) {
    const key = String(value);
    if (last) {
      addId(node, key, doc._id);
      continue;
    }
    let child = node.get(key) as CompoundNode | undefined;
    if (!child) node.set(key, (child = new Map()));
    addCompound(child, doc, fields, at + 1);
  }
}

function removeCompound(node: CompoundNode, doc: Doc, fields: readonly string[], at: number): void {
  const last = at === fields.length - 1;
  for (const value of fieldValues(doc, fields[at]!)) {
    const key = String(value);
    if (last) {
      removeId(node, key, doc._id);
      continue;
    }
    const child = node.get(key) as CompoundNode | undefined;
    if (!child) continue;
    removeCompound(child, doc, fields, at + 1);
    if (child.size === 0) node.delete(key);
  }
}

/** Calls `visit` with the id of every document indexed under one value from each of `lists`. */
function collectCompound(node: CompoundNode, lists: readonly unknown[][], at: number, visit: (id: string) => void): void {
  const last = at === lists.length - 1;
  for (const value of lists[at]!) {
    const child = node.get(String(value));
    if (!child) continue;
    if (last) forEachId(child as Ids, visit);
    else collectCompound(child as CompoundNode, lists, at + 1, visit);
  }
}

/** Beyond this many branches a visibility filter is answered without compound indexes. */
const MAX_BRANCHES = 64;

/**
 * The equality conditions of a filter as a disjunction of conjunctions (`$or` and `$and` trees
 * multiplied out): each branch keeps the equalities (and `$in`s) on plain fields that must hold
 * for a document to match through that branch, and leaves out every other condition (`$ne`,
 * ranges, `null`, `$expr`), which the caller still tests. So every document the filter matches
 * matches some branch: the branches select a superset, which indexes can answer. Undefined when
 * the filter multiplies out into too many branches.
 */
function equalityBranches(clause: Filter): Filter[] | undefined {
  let branches: Filter[] = [{}];
  for (const [key, value] of Object.entries(clause)) {
    let options: Filter[];
    if (key === '$or' || key === '$and') {
      if (!Array.isArray(value)) return undefined;
      const parts: Filter[][] = [];
      for (const part of value as Filter[]) {
        const flat = equalityBranches(part);
        if (!flat) return undefined;
        parts.push(flat);
      }
      options = key === '$or' ? parts.flat() : parts.reduce((acc, part) => product(acc, part), [{}] as Filter[]);
    } else if (!key.startsWith('$') && equalityValues(value)) options = [{ [key]: value }];
    else options = [{}];
    branches = product(branches, options);
    if (branches.length > MAX_BRANCHES) return undefined;
  }
  return branches;
}

/** Every conjunction of one branch from each side. */
function product(left: readonly Filter[], right: readonly Filter[]): Filter[] {
  const out: Filter[] = [];
  for (const a of left) for (const b of right) out.push({ ...a, ...b });
  return out;
}

/** The conjuncts of a filter: the parts of a top-level `$and` (nested ones too), or the filter itself. */
function flattenAnd(filter: Filter): Filter[] {
  const keys = Object.keys(filter);
  if (keys.length === 1 && keys[0] === '$and' && Array.isArray(filter.$and)) return (filter.$and as Filter[]).flatMap(flattenAnd);
  return keys.length ? [filter] : [];
}

function topLevelClauses(filter: Filter): Filter[] {
  const and = filter.$and;
  return Array.isArray(and) ? [filter, ...(and as Filter[])] : [filter];
}

function equalityValues(condition: unknown): unknown[] | undefined {
  if (typeof condition === 'string' || typeof condition === 'number') return [condition];
  if (condition && typeof condition === 'object' && !(condition instanceof Date)) {
    const keys = Object.keys(condition);
    if (keys.length === 1 && keys[0] === '$in' && Array.isArray((condition as { $in: unknown }).$in)) {
      return (condition as { $in: unknown[] }).$in;
    }
  }
  return undefined;
}

function seqBound(filter: Filter): { lt?: number; gt?: number } | undefined {
  for (const clause of topLevelClauses(filter)) {
    const c = clause.seq as { $lt?: number; $gt?: number } | undefined;
    if (c && typeof c === 'object') return { lt: c.$lt, gt: c.$gt };
  }
  return undefined;
}

/** First index whose seq is >= target. */
function lowerBound(list: readonly Doc[], target: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.seq! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function rank(v: unknown): number | string {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number' || typeof v === 'string') return v;
  return -Infinity;
}

/** MongoDB's ordering for the value kinds the hub sorts on: null first, then numbers/dates, strings. */
function comparator(sort: SortSpec): (a: Doc, b: Doc) => number {
  return (a, b) => {
    for (const [key, dir] of sort) {
      const x = rank(pathValue(a, key));
      const y = rank(pathValue(b, key));
      if (x === y) continue;
      return (x < y ? -1 : 1) * dir;
    }
    return 0;
  };
}
