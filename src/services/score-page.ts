import { badInput } from '../errors.js';
import type { Filter } from '../domain/filter.js';
import type { IndicatorDoc } from '../domain/types.js';
import { and } from '../store/queries.js';
import type { CursorCodec } from '../util/cursor-codec.js';
import { countsOf, pageSize, type Connection, type Queryable } from './paginate.js';
import { mergeByScore, type RankedClaim, type ScoreMergeRequest, type ScorePosition } from './score-merge.js';

/** A page of `indicators(orderBy: {field: SCORE})`: the merge's inputs but the scope, the position and the limit, which come from these. */
export interface ScorePageRequest extends Omit<ScoreMergeRequest, 'scope' | 'after' | 'limit' | 'rankedAt'> {
  /** The viewer's visibility filter: in every read and every count. */
  visibility: Filter;
  filter: Filter;
  /**
   * The filter the merge reads with, when not `filter`: without its `type` condition, which the
   * streams carry one type each (beside them an IN list would let SQLite seek by it and sort).
   */
  readFilter?: Filter;
  first: number | null | undefined;
  after: string | null | undefined;
  /** What a cursor is bound to: the viewer and the ordering (a cursor of another opens to nothing). */
  binding: string;
  codec: CursorCodec;
  /** The instant a first page is ranked at; a later page ranks at its cursor's. */
  now: Date;
}

/** An edge whose cursor is sealed only when a client selects it (sealing is most of a page's own cost). */
class ScoreEdge {
  constructor(
    private readonly claim: RankedClaim,
    private readonly seal: (claim: RankedClaim) => string,
  ) {}

  get node(): IndicatorDoc {
    return this.claim.doc;
  }

  get cursor(): string {
    return this.seal(this.claim);
  }
}

/**
 * A Relay connection in SCORE order (src/services/score-merge.ts). The whole listing is ranked
 * at one instant, its first page's: each cursor carries that instant beside the claim's position
 * (score, lastConfirmedAt, id), and the next page computes every score at it, so a claim whose
 * score fell meanwhile neither repeats nor is skipped. `totalCount` and `countUpTo` count what
 * the default order counts: the order changes nothing of what matches.
 */
export async function scorePage(repo: Queryable<IndicatorDoc>, req: ScorePageRequest): Promise<Connection<IndicatorDoc>> {
  const first = pageSize(req.first);
  let rankedAt = req.now;
  let after: ScorePosition | null = null;
  if (req.after != null) {
    const opened = openCursor(req.codec.open(req.binding, req.after));
    if (!opened) throw badInput('after is not a cursor this query issued', 'after');
    ({ rankedAt, after } = opened);
  }
  const scope = and(req.visibility, req.filter);
  const ranked = await mergeByScore(repo, { ...req, scope: req.readFilter ? and(req.visibility, req.readFilter) : scope, rankedAt, after, limit: first === 0 ? 0 : first + 1 });
  const page = ranked.slice(0, first);
  const seal = (c: RankedClaim) => req.codec.seal(req.binding, [rankedAt, c.position.score, new Date(c.position.confirmedAt), c.position.id]);
  return {
    edges: page.map((c) => new ScoreEdge(c, seal)),
    pageInfo: {
      hasNextPage: ranked.length > first,
      hasPreviousPage: after !== null,
      get startCursor() { return page.length ? seal(page[0]!) : null; },
      get endCursor() { return page.length ? seal(page[page.length - 1]!) : null; },
    },
    ...countsOf(repo, scope),
  };
}

function openCursor(values: unknown[] | null): { rankedAt: Date; after: ScorePosition } | null {
  if (!values || values.length !== 4) return null;
  const [rankedAt, score, confirmedAt, id] = values;
  if (!(rankedAt instanceof Date) || !(confirmedAt instanceof Date) || typeof id !== 'string') return null;
  if (typeof score !== 'number' || !Number.isInteger(score) || score < 0 || score > 100) return null;
  return { rankedAt, after: { score, confirmedAt: confirmedAt.getTime(), id } };
}
