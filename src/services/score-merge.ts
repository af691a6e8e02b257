/**
 * The SCORE order of `indicators(orderBy: {field: SCORE})`, read from indexes (issue 16, item 2).
 *
 * A score is not a stored key: it falls with time, and the curves of two bases cross. But within
 * one (type, base) the score is non-increasing in `lastConfirmedAt`, so the index
 * `(type, <base field>, lastConfirmedAt, _id)` read backwards from one (type, base) is a stream
 * already in SCORE order (score desc, then lastConfirmedAt desc, then _id desc: a total order).
 * A page is a k-way merge of those streams, plus one stream of the claims an analyst scored by
 * hand (index `(scoreOverride.score, lastConfirmedAt, _id)`). A stream of base b never scores
 * above b, so streams are opened from the highest base down and only while the page's next claim
 * could come from them: a page reads a few streams, not one per (type, base).
 *
 * Which bases exist is found through the same index: one read per type takes the claims of the
 * highest bases below what is known (`{base: {$lt: floor}}` sorted by base first), so absent bases
 * cost nothing and sparse ones share a read. Every read carries the caller's scope (the viewer's
 * visibility and the filter), so what a viewer is shown, and in which order, depends only on
 * what it may see.
 */
import { decayScore, type DecayModel } from '../domain/decay-model.js';
import type { Filter } from '../domain/filter.js';
import { scoreSince } from '../domain/score-since.js';
import { INDICATOR_TYPES, type IndicatorDoc, type IndicatorType } from '../domain/types.js';
import type { FindOptions, SortSpec } from '../store/ports.js';
import { pathValue } from '../store/path-value.js';
import { and, keysetAfter } from '../store/queries.js';
import { refTimeOf } from './decay-service.js';

/** The stored bases a viewer's score is read from (src/domain/types.ts `IndicatorDoc`). */
export type ScoreBaseField = 'scoreBase' | 'scoreBaseOpen';

/**
 * Where a claim stands in the SCORE order: score desc, then `lastConfirmedAt` desc (epoch ms), then
 * `_id` desc. What a SCORE cursor carries, beside the instant the listing is ranked at.
 */
export interface ScorePosition {
  score: number;
  confirmedAt: number;
  id: string;
}

/** Claims whose score this viewer reads from one base field; the families of one viewer are disjoint. */
export interface ScoreFamily {
  field: ScoreBaseField;
  /** Which claims read this field (`{}`: all of them). */
  scope: Filter;
}

export interface ScoreMergeRequest {
  /** The viewer's visibility and the filter: every read carries it. */
  scope: Filter;
  /** Which base field each claim is read from, for this viewer. */
  families: readonly ScoreFamily[];
  /** The types that can match (the filter's, else every type). */
  types: readonly IndicatorType[];
  /** Each type's decay model (DecayService). */
  models: ReadonlyMap<IndicatorType, DecayModel>;
  /** The instant every score of the listing is computed at (its first page's). */
  rankedAt: Date;
  /** Only claims strictly after this position (a cursor's); null: from the top. */
  after: ScorePosition | null;
  /** How many claims to return at most. */
  limit: number;
  /** The lowest score wanted, per type (minScore, excludeDecayed). Default: 0 for every type. */
  minScore?: ReadonlyMap<IndicatorType, number>;
}

export interface RankedClaim {
  doc: IndicatorDoc;
  position: ScorePosition;
}

interface Finder {
  find(filter: Filter, options?: FindOptions): Promise<IndicatorDoc[]>;
}

/** An upper bound on a pending source's next claim: `confirmedAt` Infinity and `id` null stand above every value. */
interface Bound {
  score: number;
  confirmedAt: number;
  id: string | null;
}

const BY_CONFIRMATION: SortSpec = [
  ['lastConfirmedAt', -1],
  ['_id', -1],
];
const OVERRIDE = 'scoreOverride.score';
const OVERRIDE_ORDER: SortSpec = [[OVERRIDE, -1], ...BY_CONFIRMATION];

/** Positive when `a` comes first in SCORE order. */
export function compareScorePositions(a: Bound, b: Bound): number {
  if (a.score !== b.score) return a.score - b.score;
  if (a.confirmedAt !== b.confirmedAt) return a.confirmedAt < b.confirmedAt ? -1 : 1;
  if (a.id === b.id) return 0;
  if (a.id === null) return 1;
  if (b.id === null) return -1;
  return a.id < b.id ? -1 : 1;
}

/** One index stream in SCORE order: a (type, base) of one family, or the overridden claims. */
class Stream {
  buffer: RankedClaim[] = [];
  /** The last claim read (taken or skipped) and its place in the stream: where the next read resumes. */
  private lastRead: { doc: IndicatorDoc; position: ScorePosition } | null = null;
  exhausted = false;

  constructor(
    readonly filter: Filter,
    readonly sort: SortSpec,
    /** Where an unread stream starts (a cursor's bound); null: at its top. */
    readonly start: Filter | null,
    readonly rank: (doc: IndicatorDoc) => number,
    /** Below this score the stream ends (the scores fall along it). */
    readonly minScore: number,
    /** The highest score it can hold. */
    readonly ceiling: number,
    /** A base stream: the overridden claims its index holds are not its own. */
    readonly skipOverridden: boolean,
  ) {}

  /** Appends claims read in stream order; ends the stream at the first one below `minScore`. */
  take(docs: readonly IndicatorDoc[]): void {
    for (const doc of docs) {
      const score = this.rank(doc);
      const position = { score, confirmedAt: confirmedAtOf(doc), id: doc._id };
      this.lastRead = { doc, position };
      if (score < this.minScore) {
        this.exhausted = true;
        return;
      }
      // An overridden claim is the override stream's. Skipped here rather than excluded in the
      // read: a condition on the override would let SQLite walk the override's index instead of
      // the base's, and the overrides (an analyst's, one by one) are few.
      if (this.skipOverridden && doc.scoreOverride) continue;
      this.buffer.push({ doc, position });
    }
  }

  /** Above every claim the stream still holds. */
  bound(after: ScorePosition | null): Bound {
    if (this.lastRead) return this.lastRead.position;
    return { score: Math.min(this.ceiling, after?.score ?? this.ceiling), confirmedAt: Infinity, id: null };
  }

  async read(repo: Finder, limit: number): Promise<void> {
    const last = this.lastRead?.doc;
    const from = last ? keysetAfter(this.sort, this.sort.map(([key]) => pathValue(last, key))) : this.start;
    const docs = await repo.find(and(this.filter, from), { sort: this.sort, limit });
    this.take(docs);
    if (docs.length < limit) this.exhausted = true;
  }
}

/** The bases of one (family, type) not yet known: all below `floor`, down to `minBase`. */
interface Ladder {
  family: ScoreFamily;
  type: IndicatorType;
  model: DecayModel;
  floor: number;
  minBase: number;
}

/**
 * Up to `limit` claims in SCORE order after `after`, ranked at `rankedAt`. Reads only through
 * `repo.find` with the request's scope in every filter.
 */
export async function mergeByScore(repo: Finder, req: ScoreMergeRequest): Promise<RankedClaim[]> {
  const out: RankedClaim[] = [];
  if (req.limit <= 0) return out;
  const { after, rankedAt } = req;
  const minOf = (type: IndicatorType) => Math.max(0, req.minScore?.get(type) ?? 0);
  const streams: Stream[] = [];
  const ladders: Ladder[] = req.families.flatMap((family) =>
    req.types.map((type) => ({ family, type, model: req.models.get(type)!, floor: 101, minBase: minOf(type) })),
  );
  // The overridden claims: their score is the analyst's, whatever the base or the clock.
  const overrideMin = [...new Set(req.types.map(minOf))];
  const ofTypes = req.types.length === INDICATOR_TYPES.length ? {} : { type: { $in: req.types } };
  const overridden: Filter =
    overrideMin.length === 1
      ? { ...ofTypes, [OVERRIDE]: { $gte: overrideMin[0] } }
      : { $or: overrideMin.map((m) => ({ type: { $in: req.types.filter((t) => minOf(t) === m) }, [OVERRIDE]: { $gte: m } })) };
  streams.push(
    new Stream(
      and(req.scope, overridden),
      OVERRIDE_ORDER,
      after ? keysetAfter(OVERRIDE_ORDER, [after.score, new Date(after.confirmedAt), after.id]) : null,
      (doc) => doc.scoreOverride!.score,
      0,
      100,
      false,
    ),
  );

  const baseStream = (ladder: Ladder, base: number): Stream => {
    const { family, type, model } = ladder;
    const filter = and(req.scope, family.scope, { type, [family.field]: base }, sinceFilter(ladder.minBase, base, model, rankedAt));
    const stream = new Stream(filter, BY_CONFIRMATION, after ? suffixAfter(after, base, model, rankedAt) : null, (doc) => decayScore(base, refTimeOf(doc), rankedAt, model).score, ladder.minBase, base, true);
    streams.push(stream);
    return stream;
  };

  const discover = async (ladder: Ladder, limit: number): Promise<void> => {
    const { family, type } = ladder;
    const top = ladder.floor - 1;
    const sort: SortSpec = [[family.field, -1], ...BY_CONFIRMATION];
    const within = (low: number) => and(req.scope, family.scope, { type, [family.field]: { $lte: top, $gte: low } });
    if (after && top >= after.score) {
      // Bases at or above the cursor's score hold claims on both sides of it, each base at its own
      // place: find the next base present, and read its stream from its own bound.
      const low = Math.max(after.score, ladder.minBase);
      const [doc] = await repo.find(within(low), { sort, limit: 1 });
      const base = doc ? (doc[family.field] as number) : null;
      if (base === null) ladder.floor = low;
      else {
        baseStream(ladder, base);
        ladder.floor = base;
      }
      return;
    }
    // Below the cursor's score (or with no cursor) every claim comes after it: one read takes
    // the highest bases present, grouped into their streams.
    const docs = await repo.find(within(ladder.minBase), { sort, limit });
    let i = 0;
    while (i < docs.length) {
      const base = docs[i]![family.field] as number;
      let j = i;
      while (j < docs.length && docs[j]![family.field] === base) j++;
      const stream = baseStream(ladder, base);
      stream.take(docs.slice(i, j));
      // A base the read went past is read whole; the last one only if the read ended short.
      if (j < docs.length || docs.length < limit) stream.exhausted = true;
      ladder.floor = base;
      i = j;
    }
    if (docs.length < limit) ladder.floor = ladder.minBase;
  };

  const pendingLadders = () => ladders.filter((l) => l.floor > l.minBase);
  while (out.length < req.limit) {
    let head: Stream | null = null;
    for (const s of streams) if (s.buffer.length && (!head || compareScorePositions(s.buffer[0]!.position, head.buffer[0]!.position) > 0)) head = s;
    const pending: Array<{ bound: Bound; resolve: (limit: number) => Promise<void> }> = [];
    for (const s of streams) if (!s.buffer.length && !s.exhausted) pending.push({ bound: s.bound(after), resolve: (limit) => s.read(repo, limit) });
    for (const l of pendingLadders()) pending.push({ bound: { score: l.floor - 1, confirmedAt: Infinity, id: null }, resolve: (limit) => discover(l, limit) });
    // Whatever could still hold a claim at or above the best one in hand is read first; with
    // nothing in hand, whatever could hold the highest score.
    const highest = pending.reduce((m, p) => Math.max(m, p.bound.score), -1);
    const blocking = head
      ? pending.filter((p) => compareScorePositions(p.bound, head!.buffer[0]!.position) >= 0)
      : pending.filter((p) => p.bound.score === highest);
    if (blocking.length === 0) {
      if (!head) break;
      out.push(head.buffer.shift()!);
      continue;
    }
    const wanted = req.limit - out.length;
    await Promise.all(blocking.map((p) => p.resolve(wanted)));
  }
  return out;
}

/** A stream of `base` holds claims below `minScore` from some confirmation on: read none of them. */
function sinceFilter(minScore: number, base: number, model: DecayModel, at: Date): Filter | null {
  const since = scoreSince(minScore, base, model, at);
  return Number.isFinite(since) ? { lastConfirmedAt: { $gte: new Date(since) } } : null;
}

/**
 * Where the stream of `base` resumes after the cursor `after`: its claims scoring below the
 * cursor's score, and those scoring the same whose (lastConfirmedAt, _id) come after the cursor's.
 * The scores fall along the stream, so that is one keyset bound.
 */
function suffixAfter(after: ScorePosition, base: number, model: DecayModel, at: Date): Filter | null {
  if (base < after.score) return null;
  const same = scoreSince(after.score, base, model, at);
  const above = scoreSince(after.score + 1, base, model, at);
  if (after.confirmedAt >= above) return { lastConfirmedAt: { $lt: new Date(above) } };
  if (after.confirmedAt < same) return { lastConfirmedAt: { $lt: new Date(same) } };
  return keysetAfter(BY_CONFIRMATION, [new Date(after.confirmedAt), after.id]);
}

function confirmedAtOf(doc: IndicatorDoc): number {
  return refTimeOf(doc).getTime();
}
