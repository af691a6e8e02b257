/**
 * The indicator collection on LMDB (the `lmdb` package), built by hand for
 * bench/embedded-engines.ts: what choosing LMDB over SQLite would have meant for one collection.
 *
 * LMDB is a sorted key-value store: no columns, no secondary indexes, no query language. So this
 * file does by hand what SQLite's schema and planner do for src/store/sqlite: every secondary
 * index is a sub-database of composite keys (`[type, seq, _id]`, ...) written and deleted beside
 * the document in the same transaction; the count table is kept the same way; and each read picks
 * its index range itself (a planner per query shape, four here). The policy's filter documents
 * (`indicatorVisibility`, `taxiiExclusion`) are reused as they are, tested per candidate with the
 * hub's FilterMatcher (mingo), because nothing can translate them into LMDB ranges.
 *
 * `indexes: 'full'` keeps the same indexes as the SQLite schema (sqlite-schema.ts INDICATORS):
 * the fair comparison. `'minimal'` keeps only those the bench's reads use (an upper bound for LMDB).
 */
import { open, type Database, type Key, type RootDatabase } from 'lmdb';
import type { IndicatorDoc } from '../../src/domain/types.js';
import type { Filter } from '../../src/domain/filter.js';
import type { ClaimUpsert, ClaimUpsertResult } from '../../src/store/ports.js';
import { FilterMatcher } from '../../src/store/filter-matcher.js';

/** Index entries carry everything in the key; the value is empty. */
const EMPTY = new Uint8Array(0);
/** Sorts after every string and number of ordered-binary keys used here. */
const HIGH = '\uffff';

interface IndexSpec {
  name: string;
  /** The read it answers (as sqlite-schema.ts declares it). */
  purpose: string;
  /** Part of the minimal set (what the bench reads). */
  minimal: boolean;
  keys(doc: IndicatorDoc): Key[];
}

const ms = (d: Date | null | undefined): number => (d ? d.getTime() : -1);

const INDEXES: readonly IndexSpec[] = [
  { name: 'seq', purpose: 'default list order (seq)', minimal: true, keys: (d) => [[d.seq, d._id]] },
  { name: 'createdAt', purpose: 'CREATED_AT order', minimal: false, keys: (d) => [[ms(d.createdAt), d._id]] },
  { name: 'validFrom', purpose: 'VALID_FROM order', minimal: false, keys: (d) => [[ms(d.validFrom), d._id]] },
  { name: 'severityRank', purpose: 'SEVERITY order', minimal: false, keys: (d) => [[d.severityRank, d._id]] },
  { name: 'confidence', purpose: 'CONFIDENCE order, minConfidence', minimal: false, keys: (d) => [[d.confidence, d._id, d.source, d.tlp]] },
  { name: 'source', purpose: 'SOURCE order, own records', minimal: false, keys: (d) => [[d.source, d._id]] },
  {
    name: 'taxii',
    purpose: 'TAXII pages in date_added order; source and tlp for visibility from the key',
    minimal: true,
    keys: (d) => [[ms(d.updatedAt), d.dateAddedOffset, d._id, d.source, d.tlp]],
  },
  { name: 'typeSeq', purpose: 'filtered first page by type', minimal: true, keys: (d) => [[d.type, d.seq, d._id]] },
  { name: 'tlpSeq', purpose: 'filtered first page by TLP', minimal: false, keys: (d) => [[d.tlp, d.seq, d._id]] },
  { name: 'tags', purpose: 'tags filter (one entry per tag)', minimal: false, keys: (d) => d.tags.map((t) => [t, d._id]) },
  { name: 'recipients', purpose: 'TLP:RED recipients (one entry per recipient)', minimal: false, keys: (d) => d.recipients.map((r) => [r, d._id]) },
];

/** The count table's grouping (sqlite-schema.ts countBy), type first so a type's rows are one range. */
function countKey(d: IndicatorDoc): Key {
  return [d.type, d.source, d.tlp, d.recipients.join('\u0000'), d.severity, d.revoked];
}

function countRow(key: Key, n: number): Record<string, unknown> {
  const [type, source, tlp, recipients, severity, revoked] = key as [string, string, string, string, string, boolean];
  return { type, source, tlp, recipients: recipients ? recipients.split('\u0000') : [], severity, revoked, n };
}

const keyString = (k: Key): string => JSON.stringify(k);

export interface LmdbIndicatorsOptions {
  /** 'full' (default): the SQLite schema's indexes; 'minimal': only those the bench reads. */
  indexes?: 'full' | 'minimal';
  /** lmdb-js's `overlappingSync` (default true on Linux: the fsync runs after the commit, outside the write lock). */
  overlappingSync?: boolean;
}

export class LmdbIndicators {
  readonly root: RootDatabase;
  private readonly docs: Database<IndicatorDoc, string>;
  private readonly claims: Database<string, Key>;
  private readonly counts: Database<number, Key>;
  private readonly indexes: Array<{ spec: IndexSpec; db: Database<Uint8Array, Key> }>;
  private readonly matcher = new FilterMatcher();

  constructor(path: string, options: LmdbIndicatorsOptions = {}) {
    // Defaults kept on purpose: noSync false (each commit is flushed), overlappingSync on Linux.
    this.root = open({ path, maxDbs: 20, ...(options.overlappingSync === undefined ? {} : { overlappingSync: options.overlappingSync }) });
    this.docs = this.root.openDB<IndicatorDoc, string>({ name: 'indicators' });
    this.claims = this.root.openDB<string, Key>({ name: 'claims' });
    this.counts = this.root.openDB<number, Key>({ name: 'counts' });
    const wanted = INDEXES.filter((s) => options.indexes !== 'minimal' || s.minimal);
    this.indexes = wanted.map((spec) => ({ spec, db: this.root.openDB<Uint8Array, Key>({ name: `ix_${spec.name}`, encoding: 'binary' }) }));
  }

  /** The whole batch in one transaction, acknowledged once flushed to disk (as SQLite FULL). */
  async upsertClaims(upserts: readonly ClaimUpsert[]): Promise<ClaimUpsertResult[]> {
    const results = await this.root.transaction(() => {
      const deltas = new Map<string, { key: Key; n: number }>();
      const count = (doc: IndicatorDoc, n: number) => {
        const key = countKey(doc);
        const k = keyString(key);
        const entry = deltas.get(k);
        if (entry) entry.n += n;
        else deltas.set(k, { key, n });
      };
      const out = upserts.map((u): ClaimUpsertResult => {
        const claim: Key = [u.key.value, u.key.source, u.key.type];
        const id = this.claims.get(claim);
        if (id !== undefined) {
          const before = this.docs.get(id)!;
          const doc = { ...before, ...u.set } as IndicatorDoc;
          this.write(doc, before);
          count(before, -1);
          count(doc, 1);
          return { id, created: false };
        }
        const doc = { ...u.key, ...u.onInsert, ...u.set } as IndicatorDoc;
        this.claims.put(claim, doc._id);
        this.write(doc, null);
        count(doc, 1);
        return { id: doc._id, created: true };
      });
      for (const { key, n } of deltas.values()) {
        const next = (this.counts.get(key) ?? 0) + n;
        if (next === 0) this.counts.remove(key);
        else this.counts.put(key, next);
      }
      return out;
    });
    await this.root.flushed;
    return results;
  }

  /** The document and its index entries: stale entries removed, new ones added. */
  private write(doc: IndicatorDoc, before: IndicatorDoc | null): void {
    for (const { spec, db } of this.indexes) {
      const next = spec.keys(doc);
      if (before) {
        const keep = new Set(next.map(keyString));
        const had = new Set<string>();
        for (const k of spec.keys(before)) {
          had.add(keyString(k));
          if (!keep.has(keyString(k))) db.remove(k);
        }
        for (const k of next) if (!had.has(keyString(k))) db.put(k, EMPTY);
      } else for (const k of next) db.put(k, EMPTY);
    }
    this.docs.put(doc._id, doc);
  }

  private visible(filter: Filter, cacheKey: string, object: object): boolean {
    return this.matcher.matches(filter, object, cacheKey);
  }

  /** lookupIndicators: the claim index by value, each claim's document, visibility, `_id` order. */
  lookup(values: readonly string[], visibility: Filter, cacheKey: string): IndicatorDoc[] {
    const found: IndicatorDoc[] = [];
    for (const value of new Set(values)) {
      for (const id of this.claims.getRange({ start: [value], end: [value, HIGH] }).map(({ value: id }) => id)) {
        const doc = this.docs.get(id);
        if (doc && this.visible(visibility, cacheKey, doc)) found.push(doc);
      }
    }
    return found.sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
  }

  /** A first page of one type, newest `seq` first: the (type, seq) index walked backwards. */
  firstPageOfType(type: string, limit: number, visibility: Filter, cacheKey: string): IndicatorDoc[] {
    const page: IndicatorDoc[] = [];
    const index = this.index('typeSeq');
    for (const key of index.getKeys({ start: [type, Number.MAX_VALUE], end: [type, -1], reverse: true })) {
      const doc = this.docs.get((key as [string, number, string])[2]);
      if (doc && this.visible(visibility, cacheKey, doc)) page.push(doc);
      if (page.length === limit) break;
    }
    return page;
  }

  /** totalCount of one type: the count table's rows of that type, the filter run on each row. */
  countOfType(type: string, filter: Filter, cacheKey: string): number {
    let n = 0;
    for (const { key, value } of this.counts.getRange({ start: [type], end: [type, HIGH] })) {
      if (this.visible(filter, cacheKey, countRow(key, value))) n += value;
    }
    return n;
  }

  /**
   * A TAXII page after `afterMs`: the (updatedAt, dateAddedOffset, _id, source, tlp) index from
   * there, visibility tested on the key's source and TLP (enough once TAXII's exclusion removes
   * TLP:RED, the only TLP whose visibility reads recipients), `limit` + 1 entries and the rest of
   * the last `date_added`, then the documents.
   */
  taxiiPage(afterMs: number, cutoffMs: number, limit: number, scope: Filter, cacheKey: string): IndicatorDoc[] {
    const ids: string[] = [];
    let last: [number, number] | null = null;
    for (const key of this.index('taxii').getKeys({ start: [afterMs + 1], end: [cutoffMs] })) {
      const [t, u, id, source, tlp] = key as [number, number, string, string, string];
      if (ids.length > limit && (t !== last![0] || u !== last![1])) break;
      if (!this.visible(scope, cacheKey, { source, tlp, recipients: [] })) continue;
      ids.push(id);
      last = [t, u];
    }
    return ids.map((id) => this.docs.get(id)!);
  }

  private index(name: string): Database<Uint8Array, Key> {
    const found = this.indexes.find((i) => i.spec.name === name);
    if (!found) throw new Error(`index ${name} not kept (indexes: 'minimal'?)`);
    return found.db;
  }

  /** Index entries per document (for the report). */
  get indexCount(): number {
    return this.indexes.length;
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
