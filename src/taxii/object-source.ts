import type { Filter } from '../domain/filter.js';
import type { FindOptions } from '../store/ports.js';
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

export interface SourceRead {
  /** Entries after the requested position, in order. */
  entries: Entry[];
  /** True when nothing follows the entries returned (up to the cutoff). */
  exhausted: boolean;
  /** When not exhausted: the last millisecond read completely; later entries were not read. */
  completeThrough: number | null;
}

/** One ordered stream of objects (indicator versions, sightings, notices...) for one viewer. */
export interface ObjectSource {
  /**
   * At least `want` entries after `after` (all of them when fewer exist) dated before `cutoff`
   * (ms), every entry of each millisecond read included whole.
   */
  read(after: Position | null, cutoff: number, want: number): Promise<SourceRead>;
}

interface Repository<D> {
  find(filter: Filter, options?: FindOptions): Promise<D[]>;
}

export interface StoreSourceOptions<D extends { _id: string }> {
  repo: Repository<D>;
  /** What the viewer may see of the repository, and the request's filters. */
  scope: Filter;
  /** The Date field that dates an entry (its `date_added` millisecond). */
  timeField: keyof D & string;
  /** The entry's microsecond offset, 0-999. */
  offset(doc: D): number;
  /** The STIX objects for a batch of documents, in order; null leaves a document out. */
  toObjects(docs: D[]): Promise<Array<StixObject | null>>;
}

/** A source read from a store repository by its time field, a few queries per page. */
export class StoreSource<D extends { _id: string }> implements ObjectSource {
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
      if (raw.lastT === null) return { entries, exhausted: true, completeThrough: null };
      if (entries.length >= want) return { entries, exhausted: false, completeThrough: raw.lastT };
      from = { t: raw.lastT, u: 999, id: AFTER_ALL_IDS };
    }
  }

  private position(doc: D): Position {
    return { t: this.time(doc), u: this.options.offset(doc), id: doc._id };
  }

  private time(doc: D): number {
    return (doc[this.options.timeField] as unknown as Date).getTime();
  }

  /** Documents after `from`, at least `want` (or all), the last millisecond whole; lastT null when exhausted. */
  private async readDocs(from: Position | null, cutoff: number, want: number): Promise<{ docs: D[]; lastT: number | null }> {
    const { repo, scope, timeField } = this.options;
    if (from && from.t >= cutoff) return { docs: [], lastT: null };
    const within = (t: number): Filter => ({ [timeField]: { $gte: new Date(t), $lt: new Date(t + 1) } });
    const docs: D[] = [];
    if (from && !(from.u >= 999 && from.id === AFTER_ALL_IDS)) {
      for (const doc of await repo.find(and(scope, within(from.t)))) {
        if (comparePositions(this.position(doc), from) > 0) docs.push(doc);
      }
    }
    const range: Record<string, Date> = { $lt: new Date(cutoff) };
    if (from) range.$gte = new Date(from.t + 1);
    const rest = await repo.find(and(scope, { [timeField]: range }), { sort: [[timeField, 1], ['_id', 1]], limit: want + 1 });
    let lastT: number | null = null;
    if (rest.length > want) {
      const last = this.time(rest[rest.length - 1]!);
      lastT = last;
      docs.push(...rest.filter((d) => this.time(d) < last), ...(await repo.find(and(scope, within(last)))));
    } else docs.push(...rest);
    docs.sort((a, b) => comparePositions(this.position(a), this.position(b)));
    return { docs, lastT };
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
