import type Database from 'better-sqlite3';
import { applyUpdate } from '../apply-update.js';
import { pathValue } from '../path-value.js';
import type { Filter } from '../../domain/filter.js';
import type { FindOptions, UpdateDoc } from '../ports.js';
import { decodeDoc, encodeDoc } from './sqlite-codec.js';
import { columnValue, fieldsOf, filterToSql, sortToSql, unindexed, UnsupportedQueryError, type ColumnKind, type FieldResolver, type FieldTarget } from './sqlite-filter.js';
import type { StatementCache } from './statement-cache.js';

/** A field read by queries: kept in a column of its own so that indexes can answer it. */
export interface ColumnSpec {
  /** The document's field; a dotted path reads a sub-document (`model.name`). */
  readonly field: string;
  readonly kind: ColumnKind;
  /**
   * For a field derived from the id alone (`dateAddedOffset`): how to fill it, in the column and
   * the stored document, for rows written before the column existed. Default: read the document.
   */
  readonly fromId?: (id: string) => string | number;
  /**
   * Conditions on it stay indexable inside `$or` (every other field is read unindexed there:
   * `unindexed` in sqlite-filter.ts). For fields that only selective branches name: the score
   * filter's (src/store/score-filter.ts), one index range per branch. Default false.
   */
  readonly seekInOr?: boolean;
}

/** An index, with why it exists (which read it answers). */
export interface IndexSpec {
  /** Column names (a field's column is the field with `.` as `_`). */
  readonly columns: readonly string[];
  readonly unique?: boolean;
  /** A partial index: the rows it holds (SQL over the table's columns, e.g. `x IS NOT NULL`). */
  readonly where?: string;
  readonly purpose: string;
}

/**
 * One document collection as a table: `rid` (the row), `_id`, the document as JSON (`doc`), a
 * column per queried field, a side table `(value, rid)` per multi-valued field (tags,
 * recipients), and optionally a count table: the number of documents per combination of a few
 * low-cardinality fields, kept by triggers, so that a count whose filter names only those fields
 * (a viewer's visibility and the common filters) reads a few hundred rows instead of a million.
 */
export interface CollectionSpec {
  readonly table: string;
  readonly columns: readonly ColumnSpec[];
  readonly lists?: ReadonlyArray<{ readonly field: string; readonly kind: ColumnKind }>;
  readonly indexes: readonly IndexSpec[];
  /** Fields (columns or lists) the count table groups by; none: counts scan through indexes. */
  readonly countBy?: readonly string[];
  /** Names of indexes an earlier hub created that a newer one replaced: dropped at open. */
  readonly retiredIndexes?: readonly string[];
}

const columnName = (field: string): string => field.replace(/\./g, '_');

/**
 * How the count tables hold a null value: a zero-length blob, which no column of a record holds
 * (text, numbers, dates and booleans only) and which, unlike NULL, a primary key holds once.
 * Reads see NULL again (`nullif`), so a filter means the same on the count table as on the rows.
 */
const NULL_IN_COUNTS = Buffer.alloc(0);
const NULL_IN_COUNTS_SQL = "X''";
const quote = (name: string): string => `"${name}"`;
const SQL_TYPE: Record<ColumnKind, string> = { text: 'TEXT', number: 'NUMERIC', boolean: 'INTEGER', date: 'INTEGER' };

/** The DDL of a collection: its table, side tables, indexes, count table and its triggers. */
export function collectionDdl(spec: CollectionSpec): string[] {
  const t = spec.table;
  const lists = spec.lists ?? [];
  const cols = [
    'rid INTEGER PRIMARY KEY',
    '_id TEXT NOT NULL UNIQUE',
    'doc TEXT NOT NULL',
    ...spec.columns.map((c) => `${quote(columnName(c.field))} ${SQL_TYPE[c.kind]}`),
    // The list's values as a sorted JSON array: what the count table groups by.
    ...lists.map((l) => `${quote(columnName(l.field))} TEXT NOT NULL DEFAULT '[]'`),
  ];
  const ddl = [`CREATE TABLE IF NOT EXISTS ${t} (${cols.join(', ')})`];
  for (const name of spec.retiredIndexes ?? []) ddl.push(`DROP INDEX IF EXISTS ${name}`);
  for (const l of lists) {
    const side = `${t}__${columnName(l.field)}`;
    ddl.push(`CREATE TABLE IF NOT EXISTS ${side} (value ${SQL_TYPE[l.kind]} NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (value, rid)) WITHOUT ROWID`);
    ddl.push(`CREATE INDEX IF NOT EXISTS ${side}_rid ON ${side} (rid)`);
  }
  for (const index of spec.indexes) {
    const name = `${t}_${index.columns.map((c) => c.replace(/[^A-Za-z0-9]/g, '')).join('_')}`;
    ddl.push(`CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${name} ON ${t} (${index.columns.map((c) => (c.includes(' ') ? c : quote(c))).join(', ')})${index.where ? ` WHERE ${index.where}` : ''}`);
  }
  if (spec.countBy?.length) {
    const by = spec.countBy.map((f) => quote(columnName(f)));
    const counts = `${t}__counts`;
    // A null value is kept as NULL_IN_COUNTS: NULLs in a primary key never conflict, so each write
    // of a record with a null field would add a row instead of updating its group's.
    ddl.push(`CREATE TABLE IF NOT EXISTS ${counts} (${by.join(', ')}, n INTEGER NOT NULL, PRIMARY KEY (${by.join(', ')}))`);
    // Kept by SqliteCollection in the writing transaction (triggers cost a statement per row;
    // a publish batch adds its deltas once per group instead).
    for (const suffix of ['insert', 'update', 'delete']) ddl.push(`DROP TRIGGER IF EXISTS ${counts}_${suffix}`);
  }
  return ddl;
}

/**
 * Brings a table written by an earlier hub up to `spec`, additively: a column a newer spec added
 * is created and filled from the stored documents, a new side table filled from them, and the
 * count table built when it is missing or groups by other fields than `countBy` (rebuilt from
 * the records). Runs at every open (one `table_info` per table),
 * inside the schema transaction, before the DDL's indexes.
 */
export function migrateCollection(db: Database.Database, spec: CollectionSpec): void {
  const t = spec.table;
  const existing = new Set((db.prepare(`SELECT name FROM pragma_table_info('${t}')`).pluck().all() as string[]));
  if (existing.size === 0) return; // a new table: the DDL creates it whole
  const jsonPath = (field: string) => `'$.${field}'`;
  for (const c of spec.columns) {
    const name = columnName(c.field);
    if (existing.has(name)) continue;
    db.exec(`ALTER TABLE ${t} ADD COLUMN ${quote(name)} ${SQL_TYPE[c.kind]}`);
    if (c.fromId) {
      const set = db.prepare(`UPDATE ${t} SET ${quote(name)} = ?, doc = json_set(doc, ${jsonPath(c.field)}, ?) WHERE rid = ?`);
      // In batches of rows (a statement cannot write while another iterates on this connection).
      const next = db.prepare(`SELECT rid, _id FROM ${t} WHERE rid > ? ORDER BY rid LIMIT 10000`);
      for (let after = 0; ; ) {
        const rows = next.all(after) as Array<{ rid: number; _id: string }>;
        if (rows.length === 0) break;
        for (const row of rows) {
          const value = c.fromId(row._id);
          set.run(value, value, row.rid);
        }
        after = rows[rows.length - 1]!.rid;
      }
      continue;
    }
    const read = c.kind === 'date' ? `json_extract(doc, '$.${c.field}."$date"')` : `json_extract(doc, ${jsonPath(c.field)})`;
    db.exec(`UPDATE ${t} SET ${quote(name)} = ${read}`);
  }
  for (const l of spec.lists ?? []) {
    const name = columnName(l.field);
    if (existing.has(name)) continue;
    const side = `${t}__${name}`;
    db.exec(`ALTER TABLE ${t} ADD COLUMN ${quote(name)} TEXT NOT NULL DEFAULT '[]'`);
    db.exec(`CREATE TABLE IF NOT EXISTS ${side} (value ${SQL_TYPE[l.kind]} NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (value, rid)) WITHOUT ROWID`);
    db.exec(`INSERT OR IGNORE INTO ${side} (value, rid) SELECT j.value, t.rid FROM ${t} t, json_each(t.doc, ${jsonPath(l.field)}) j`);
    db.exec(`UPDATE ${t} SET ${quote(name)} = (SELECT coalesce(json_group_array(value), '[]') FROM (SELECT value FROM ${side} s WHERE s.rid = ${t}.rid ORDER BY value))`);
  }
  if (spec.countBy?.length) {
    const counts = `${t}__counts`;
    const wanted = [...spec.countBy.map(columnName), 'n'];
    const held = db.prepare(`SELECT name FROM pragma_table_info('${counts}')`).pluck().all() as string[];
    const current = held.length > 0 && held.join('\u0000') === wanted.join('\u0000');
    // Missing, or grouping by other fields (an earlier hub's): built from the records.
    if (!current) {
      if (held.length > 0) db.exec(`DROP TABLE ${counts}`);
      const names = spec.countBy.map((f) => quote(columnName(f)));
      const by = names.join(', ');
      db.exec(`CREATE TABLE ${counts} (${by}, n INTEGER NOT NULL, PRIMARY KEY (${by}))`);
      db.exec(`INSERT INTO ${counts} (${by}, n) SELECT ${names.map((n) => `ifnull(${n}, ${NULL_IN_COUNTS_SQL})`).join(', ')}, count(*) FROM ${t} GROUP BY ${by}`);
    }
  }
}

function toColumn(value: unknown, kind: ColumnKind, field: string): string | number | null {
  if (value === undefined || value === null) return null;
  const stored = columnValue(value, kind);
  if (stored !== undefined) return stored;
  throw new UnsupportedQueryError(`field "${field}" must hold ${kind} values to be stored in its column (got ${typeof value})`);
}

type Row = { rid: number; doc: string };

/** A multi-valued field: its column (the values as a JSON array) and its side table `(value, rid)`. */
type ListColumn = { field: string; kind: ColumnKind; name: string; side: string };

/** The operands of `{$in: [...]}` and nothing else; otherwise undefined. */
function inOperands(condition: unknown): unknown[] | undefined {
  if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) return undefined;
  const entries = Object.entries(condition);
  return entries.length === 1 && entries[0]![0] === '$in' && Array.isArray(entries[0]![1]) ? entries[0]![1] : undefined;
}

/**
 * A document collection in SQLite, answering the port's MongoDB filter and sort documents
 * through `filterToSql`. Documents handed out are decoded afresh: a caller changing one changes
 * nothing stored.
 */
export class SqliteCollection<T extends { _id: string }> {
  private readonly resolveRow: FieldResolver;
  private readonly resolveCount: FieldResolver;
  private readonly countFields: ReadonlySet<string>;
  private readonly orderedResolvers = new Map<string, FieldResolver>();
  /** The count table's columns, and where each sits in `rowValues`. */
  private readonly countColumns: readonly string[];
  private readonly countIndexes: readonly number[];
  private readonly columns: ReadonlyArray<ColumnSpec & { name: string }>;
  private readonly lists: readonly ListColumn[];
  private readonly upsertSql: string;
  private readonly insertSql: string;
  /** Count-table deltas not yet written, by group (while `deferCounts` runs), else null. */
  private pendingCounts: Map<string, { group: unknown[]; n: number }> | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly statements: StatementCache,
    readonly spec: CollectionSpec,
  ) {
    const t = spec.table;
    this.columns = spec.columns.map((c) => ({ ...c, name: columnName(c.field) }));
    this.lists = (spec.lists ?? []).map((l) => ({ ...l, name: columnName(l.field), side: `${t}__${columnName(l.field)}` }));
    const targets = new Map<string, FieldTarget>([['_id', { shape: 'scalar', sql: 't._id', kind: 'text' }]]);
    for (const c of this.columns) targets.set(c.field, { shape: 'scalar', sql: `t.${quote(c.name)}`, kind: c.kind, ...(c.seekInOr ? { seekInOr: true } : {}) });
    for (const l of this.lists) {
      targets.set(l.field, { shape: 'side', table: l.side, rid: 't.rid', kind: l.kind, docJson: `json_extract(t.doc, '$.${l.field}')` });
    }
    this.resolveRow = (field) => {
      const target = targets.get(field);
      if (!target) throw new UnsupportedQueryError(`the ${t} table has no column for field "${field}": add it to its CollectionSpec (sqlite-schema.ts)`);
      return target;
    };
    this.countFields = new Set(spec.countBy ?? []);
    this.countColumns = (spec.countBy ?? []).map(columnName);
    const rowColumns = ['_id', 'doc', ...this.columns.map((c) => c.name), ...this.lists.map((l) => l.name)];
    this.countIndexes = this.countColumns.map((c) => rowColumns.indexOf(c));
    this.resolveCount = (field) => {
      const target = this.resolveRow(field);
      const name = quote(columnName(field));
      return target.shape === 'side'
        ? { shape: 'json', sql: `c.${name}`, kind: target.kind }
        : { shape: 'scalar', sql: `nullif(c.${name}, ${NULL_IN_COUNTS_SQL})`, kind: target.kind };
    };
    const names = ['_id', 'doc', ...this.columns.map((c) => c.name), ...this.lists.map((l) => l.name)].map(quote);
    const placeholders = names.map(() => '?').join(', ');
    this.insertSql = `INSERT INTO ${t} (${names.join(', ')}) VALUES (${placeholders})`;
    this.upsertSql = `${this.insertSql} ON CONFLICT (_id) DO UPDATE SET ${names
      .slice(1)
      .map((n) => `${n} = excluded.${n}`)
      .join(', ')} RETURNING rid`;
  }

  /** The SQL and parameters of a read, for `find` and for EXPLAIN QUERY PLAN in tests. */
  selectSql(filter: Filter, options: FindOptions = {}, what = 't.doc'): { sql: string; params: unknown[] } {
    const params: unknown[] = [];
    const ordered = options.sort?.length && options.limit !== undefined && !options.selective ? this.orderedResolver(options.sort.map(([field]) => field)) : this.resolveRow;
    let sql = `SELECT ${what} FROM ${this.spec.table} t WHERE ${filterToSql(filter, ordered, params)}`;
    if (options.sort?.length) sql += ` ORDER BY ${sortToSql(options.sort, this.resolveRow, options.selective === true)}`;
    if (options.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(options.limit);
    }
    return { sql, params };
  }

  /**
   * For a page (a sort and a limit): conditions stay indexable only on the sort's leading field,
   * or on a field with an index `(field, leading field, ...)`; the others are read unindexed. So
   * the first page of a list filtered by confidence, time or tag walks the order's index and stops
   * after the page, instead of the planner reading every match through the filter's index and
   * sorting them (at a million records, 100,000 matches sorted for 51 shown). A later sort key
   * (not `_id`) that an index led by the leading field holds next stays indexable too: TAXII's
   * `{updatedAt: t, dateAddedOffset: {$gt: u}}` is then one seek into the index it walks.
   */
  private orderedResolver(sort: readonly string[]): FieldResolver {
    const key = sort.join('\u0000');
    let resolver = this.orderedResolvers.get(key);
    if (!resolver) {
      const [leading, ...later] = sort as [string, ...string[]];
      const lead = columnName(leading);
      // The columns an index holds before the leading field: `(type, seq)` for a seq order, and
      // `(type, scoreBase)` before `lastConfirmedAt` (the SCORE order's streams, equalities on both).
      const keep = new Set([leading, ...this.spec.indexes.flatMap((i) => (leading === '_id' ? i.columns.slice(0, i.columns[1] === lead ? 1 : 0) : i.columns.slice(0, Math.max(0, i.columns.indexOf(lead)))))]);
      for (const field of later) {
        if (field !== '_id' && this.spec.indexes.some((i) => i.columns[0] === lead && i.columns.slice(1, sort.length).includes(columnName(field)))) keep.add(field);
      }
      // Inside `$or` only the leading field may seek: the score filter's per-type branches name
      // `type` (seekInOr, for its counts), and kept seekable here they became a MULTI-INDEX OR over
      // `(type, seq)` reading every claim of every type before the sort (2.3 s at 1M for a page).
      const walkInOr = (target: FieldTarget): FieldTarget => (target.shape === 'scalar' && target.seekInOr ? { shape: 'scalar', sql: target.sql, kind: target.kind } : target);
      resolver = (field) => (field === leading ? this.resolveRow(field) : keep.has(field) || keep.has(columnName(field)) ? walkInOr(this.resolveRow(field)) : unindexed(this.resolveRow(field)));
      this.orderedResolvers.set(key, resolver);
    }
    return resolver;
  }

  /**
   * The SQL of a count: from the count table when the filter names only its fields. With
   * `limit`, at most that many: the row count reads at most `limit` matches (`countUpTo`).
   */
  countSql(filter: Filter, limit?: number): { sql: string; params: unknown[] } {
    const params: unknown[] = [];
    if (this.countFields.size > 0 && [...fieldsOf(filter)].every((f) => this.countFields.has(f))) {
      const sum = `coalesce(sum(c.n), 0)`;
      const sql = `SELECT ${limit === undefined ? sum : `min(${sum}, ?)`} AS n FROM ${this.spec.table}__counts c WHERE `;
      if (limit !== undefined) params.push(limit);
      return { sql: sql + filterToSql(filter, this.resolveCount, params), params };
    }
    if (limit !== undefined) {
      const driving = this.drivingList(filter);
      if (driving) {
        // Read the side table's entries for the values in order, each record's row by its rid,
        // and stop at the limit: `rid IN (SELECT ...)` would first collect every entry of the
        // values (a quarter of a million for a common tag) before counting the first.
        const { list, values, rest } = driving;
        params.push(...values);
        const where = filterToSql(rest, this.resolveRow, params);
        params.push(limit);
        const one = values.length === 1;
        return {
          sql: `SELECT count(*) AS n FROM (SELECT ${one ? '1' : 'DISTINCT g.rid'} FROM ${list.side} g CROSS JOIN ${this.spec.table} t ON t.rid = g.rid WHERE g.value ${one ? '= ?' : `IN (${values.map(() => '?').join(',')})`} AND ${where} LIMIT ?)`,
          params,
        };
      }
    }
    const where = filterToSql(filter, this.resolveRow, params);
    if (limit === undefined) return { sql: `SELECT count(*) AS n FROM ${this.spec.table} t WHERE ${where}`, params };
    params.push(limit);
    return { sql: `SELECT count(*) AS n FROM (SELECT 1 FROM ${this.spec.table} t WHERE ${where} LIMIT ?)`, params };
  }

  /**
   * A condition every match must meet that names values of a multi-valued field (an AND-ed
   * `{tags: v}` or `{tags: {$in: [...]}}`, outside any `$or`), and the filter without it: a capped
   * count reads that field's side table first.
   */
  private drivingList(filter: Filter): { list: ListColumn; values: Array<string | number>; rest: Filter } | null {
    for (const [key, condition] of Object.entries(filter)) {
      if (key === '$and' && Array.isArray(condition)) {
        for (const [i, part] of condition.entries()) {
          if (part === null || typeof part !== 'object' || Array.isArray(part)) continue;
          const found = this.drivingList(part as Filter);
          if (found) return { ...found, rest: { ...filter, $and: condition.map((p, j) => (j === i ? found.rest : p)) } };
        }
        continue;
      }
      const list = this.lists.find((l) => l.field === key);
      if (!list) continue;
      const operands = typeof condition === 'string' || typeof condition === 'number' ? [condition] : inOperands(condition);
      const values = operands?.map((v) => columnValue(v, list.kind));
      if (!values?.length || values.some((v) => v === undefined)) continue;
      const rest = { ...filter };
      delete rest[key];
      return { list, values: [...new Set(values as Array<string | number>)], rest };
    }
    return null;
  }

  find(filter: Filter, options: FindOptions = {}): T[] {
    if (options.limit === 0) return [];
    // Left out in SQLite (json_remove): the JSON text of the omitted fields never reaches JS.
    const omitted = options.omit?.length ? `json_remove(t.doc, ${options.omit.map((f) => `'$.${f.replace(/[^A-Za-z0-9_]/g, '')}'`).join(', ')})` : undefined;
    const { sql, params } = this.selectSql(filter, options, omitted);
    const rows = this.statements.get(sql).pluck().all(...params) as string[];
    return rows.map((text) => decodeDoc<T>(text));
  }

  /** Matches of `filter`; with `limit`, at most that many (counting stops there). */
  count(filter: Filter, limit?: number): number {
    const { sql, params } = this.countSql(filter, limit);
    return this.statements.get(sql).pluck().get(...params) as number;
  }

  get(id: string): T | null {
    const text = this.statements.get(`SELECT doc FROM ${this.spec.table} WHERE _id = ?`).pluck().get(id) as string | undefined;
    return text === undefined ? null : decodeDoc<T>(text);
  }

  /** Inserts a new document; throws on a duplicate `_id` (or another unique index). */
  insert(doc: T): void {
    this.insertUnless(doc, null);
  }

  /**
   * Inserts a new document unless another already holds its key in the unique index on
   * `conflictColumns` (answering false, writing nothing); throws on any other duplicate. One
   * statement: the index the insert must search anyway decides, so a new document costs no
   * read before its write.
   */
  insertUnless(doc: T, conflictColumns: readonly string[] | null): boolean {
    const values = this.rowValues(doc);
    const sql = conflictColumns ? `${this.insertSql} ON CONFLICT (${conflictColumns.map(quote).join(', ')}) DO NOTHING` : this.insertSql;
    const { changes, lastInsertRowid } = this.statements.get(sql).run(...values);
    if (changes === 0) return false;
    this.writeLists(Number(lastInsertRowid), doc, false);
    this.countGroup(values, 1);
    return true;
  }

  /** Inserts, or replaces the document with the same `_id`. */
  put(doc: T): void {
    const values = this.rowValues(doc);
    if (this.countColumns.length) {
      const old = this.statements.get(`SELECT ${this.countColumns.map(quote).join(', ')} FROM ${this.spec.table} WHERE _id = ?`).raw(true).get(doc._id) as unknown[] | undefined;
      if (old) this.addCount(old, -1);
    }
    const rid = this.statements.get(this.upsertSql).pluck().get(...values) as number;
    this.writeLists(rid, doc, true);
    this.countGroup(values, 1);
  }

  /**
   * Runs `fn` (inside the caller's transaction) with the count table's changes summed per group
   * and written once at the end: a batch of 5,000 records touches a few dozen groups.
   */
  deferCounts<R>(fn: () => R): R {
    if (this.pendingCounts || !this.countColumns.length) return fn();
    this.pendingCounts = new Map();
    try {
      const result = fn();
      const pending = this.pendingCounts;
      this.pendingCounts = null;
      for (const { group, n } of pending.values()) if (n !== 0) this.writeCount(group, n);
      return result;
    } finally {
      this.pendingCounts = null;
    }
  }

  private countGroup(rowValues: unknown[], n: number): void {
    if (!this.countColumns.length) return;
    this.addCount(this.countIndexes.map((i) => rowValues[i]), n);
  }

  private addCount(group: unknown[], n: number): void {
    if (!this.pendingCounts) return this.writeCount(group, n);
    const key = JSON.stringify(group);
    const entry = this.pendingCounts.get(key);
    if (entry) entry.n += n;
    else this.pendingCounts.set(key, { group, n });
  }

  private writeCount(group: unknown[], n: number): void {
    const cols = this.countColumns.map(quote).join(', ');
    this.statements
      .get(`INSERT INTO ${this.spec.table}__counts (${cols}, n) VALUES (${this.countColumns.map(() => '?').join(', ')}, ?) ON CONFLICT (${cols}) DO UPDATE SET n = n + excluded.n`)
      .run(...group.map((v) => v ?? NULL_IN_COUNTS), n);
  }

  /**
   * Applies a MongoDB update document (`$set`, `$inc`, `$max`...: src/store/apply-update.ts, as
   * the embedded store does) to the first match, in one immediate transaction: a compare-and-set across
   * processes too. The document after the update, or null.
   */
  updateOne(filter: Filter, update: UpdateDoc): T | null {
    return this.db
      .transaction(() => {
        const { sql, params } = this.selectSql(filter, { limit: 1 }, 't.rid, t.doc');
        const row = this.statements.get(sql).pluck(false).get(...params) as Row | undefined;
        if (!row) return null;
        const next = decodeDoc<T>(row.doc);
        applyUpdate(next as unknown as Record<string, unknown>, update);
        this.put(next);
        return next;
      })
      .immediate();
  }

  private rowValues(doc: T): unknown[] {
    const d = doc as unknown as Record<string, unknown>;
    const values: unknown[] = [doc._id, encodeDoc(doc)];
    for (const c of this.columns) values.push(toColumn(pathValue(d, c.field), c.kind, c.field));
    for (const l of this.lists) values.push(JSON.stringify(this.listValues(d, l)));
    return values;
  }

  private listValues(doc: Record<string, unknown>, list: { field: string; kind: ColumnKind }): Array<string | number> {
    const raw = pathValue(doc, list.field);
    const items = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
    const values = [...new Set(items.map((v) => toColumn(v, list.kind, list.field)).filter((v): v is string | number => v !== null))];
    return values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private writeLists(rid: number, doc: T, replacing: boolean): void {
    for (const l of this.lists) {
      if (replacing) this.statements.get(`DELETE FROM ${l.side} WHERE rid = ?`).run(rid);
      const values = this.listValues(doc as unknown as Record<string, unknown>, l);
      if (values.length === 0) continue;
      const insert = this.statements.get(`INSERT INTO ${l.side} (value, rid) VALUES (?, ?)`);
      for (const v of values) insert.run(v, rid);
    }
  }
}
