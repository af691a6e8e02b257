import type { Filter } from '../domain/filter.js';
import type { FindOptions, SortSpec } from '../store/ports.js';
import { and } from '../store/queries.js';
import type { StixObject } from '../stix/stix-object.js';
import { AFTER_ALL_IDS, comparePositions, type Position } from './date-added.js';

/** One object of a collection as TAXII serves it. */
export interface Entry {
  position: Position;
  object: StixObject;
  /** The object's version: its `modified` (its `created` when it has none). */
  version: string;
}

/** A `date_added`: a millisecond and its microsecond offset. */
export type DateAdded = Pick<Position, 't' | 'u'>;

export interface SourceRead {
  /** Entries after the requested position, in order. */
  entries: Entry[];
  /** True when nothing follows the entries returned (up to the cutoff). */
  exhausted: boolean;
  /** When not exhausted: the last `date_added` read completely; later entries were not read. */
  completeThrough: DateAdded | null;
}

/** One ordered stream of objects (indicator versions, sightings, notices...) for one viewer. */
export interface ObjectSource {
  /**
   * At least `want` entries after `after` (all of them when fewer exist) dated before `cutoff`
   * (ms), every entry of each `date_added` read included whole.
   */
  read(after: Position | null, cutoff: number, want: number): Promise<SourceRead>;
}

interface Repository<D> {
  find(filter: Filter, options?: FindOptions): Promise<D[]>;
}

/** The documents a source reads: dated by a time field, with their `date_added` microsecond stored. */
export interface DatedDoc {
  _id: string;
  dateAddedOffset: number;
}

export interface StoreSourceOptions<D extends DatedDoc> {
  repo: Repository<D>;
  /** What the viewer may see of the repository, and the request's filters. */
  scope: Filter;
  /** The Date field that dates an entry (its `date_added` millisecond). */
  timeField: keyof D & string;
  /** The STIX objects for a batch of documents, in order; null leaves a document out. */
  toObjects(docs: D[]): Promise<Array<StixObject | null>>;
}

const OFFSET = 'dateAddedOffset';

/**
 * A source read from a store repository in (time field, `dateAddedOffset`, `_id`) order, the
 * `date_added` order, through an index on those three (sqlite-schema.ts, mongo-indexes.ts): a
 * page reads about as many documents as it serves, at any depth, whatever the number of
 * objects sharing its last millisecond (a batch publish shares one).
 */
export class StoreSource<D extends DatedDoc> implements ObjectSource {
  constructor(private readonly options: StoreSourceOptions<D>) {}

  async read(after: Position | null, cutoff: number, want: number): Promise<SourceRead> {
    const entries: Entry[] = [];
    let from = after;
    for (;;) {
      const raw = await this.readDocs(from, cutoff, want - entries.length);
      const objects = raw.docs.length ? await this.options.toObjects(raw.docs) : [];
      raw.docs.forEach((doc, i) => {
        const object = objects[i];
        if (object) entries.push({ position: this.position(doc), object, version: versionOf(object) });
      });
      if (raw.last === null) return { entries, exhausted: true, completeThrough: null };
      if (entries.length >= want) return { entries, exhausted: false, completeThrough: raw.last };
      from = { ...raw.last, id: AFTER_ALL_IDS };
    }
  }

  private position(doc: D): Position {
    return { t: (doc[this.options.timeField] as unknown as Date).getTime(), u: doc.dateAddedOffset, id: doc._id };
  }

  /**
   * Documents after `from`, in order: more than `want` (or all, `last` null), the last
   * `date_added` whole. Up to three index ranges, each read in the index's order and only as far
   * as needed: the rest of `from`'s `date_added`, the rest of its millisecond, later milliseconds.
   */
  private async readDocs(from: Position | null, cutoff: number, want: number): Promise<{ docs: D[]; last: DateAdded | null }> {
    const { repo, scope, timeField } = this.options;
    if (from && from.t >= cutoff) return { docs: [], last: null };
    const sort: SortSpec = [[timeField, 1], [OFFSET, 1], ['_id', 1]];
    const limit = want + 1;
    const docs: D[] = [];
    const take = async (range: Filter) => {
      if (docs.length < limit) docs.push(...(await repo.find(and(scope, range), { sort, limit: limit - docs.length })));
    };
    if (from) {
      const at = new Date(from.t);
      if (from.id !== AFTER_ALL_IDS) await take({ [timeField]: at, [OFFSET]: from.u, _id: { $gt: from.id } });
      if (from.u < 999) await take({ [timeField]: at, [OFFSET]: { $gt: from.u } });
      await take({ [timeField]: { $gt: at, $lt: new Date(cutoff) } });
    } else await take({ [timeField]: { $lt: new Date(cutoff) } });
    if (docs.length <= want) return { docs, last: null };
    // Objects sharing a date_added are never split (pager.ts): read the rest of the last one.
    const end = this.position(docs[docs.length - 1]!);
    docs.push(...(await repo.find(and(scope, { [timeField]: new Date(end.t), [OFFSET]: end.u, _id: { $gt: end.id } }), { sort })));
    return { docs, last: { t: end.t, u: end.u } };
  }
}

/** A source over a small list of objects held in memory (the reference collection). */
export class ListSource implements ObjectSource {
  private readonly entries: Entry[];

  constructor(objects: ReadonlyArray<{ object: StixObject; position: Position }>) {
    this.entries = objects.map(({ object, position }) => ({ object, position, version: versionOf(object) })).sort((a, b) => comparePositions(a.position, b.position));
  }

  async read(after: Position | null, cutoff: number): Promise<SourceRead> {
    const entries = this.entries.filter((e) => e.position.t < cutoff && (!after || comparePositions(e.position, after) > 0));
    return { entries, exhausted: true, completeThrough: null };
  }
}

export function versionOf(object: StixObject): string {
  return String(object.modified ?? object.created);
}
