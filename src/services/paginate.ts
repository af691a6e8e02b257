import { badInput } from '../errors.js';
import type { Filter } from '../domain/filter.js';
import type { CountOptions, FindOptions, SortSpec } from '../store/ports.js';
import { and, keysetAfter, sortValues } from '../store/queries.js';
import type { CursorCodec } from '../util/cursor-codec.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
/** The largest cap `countUpTo(atMost:)` takes: its cost grows with the cap. */
export const MAX_COUNT_UP_TO = 100_000;

/** A count stopped at a cap: `value` is exact when `exact`, else the cap, with more matches beyond. */
export interface CappedCount {
  value: number;
  exact: boolean;
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  /** Counted only when asked for: a count is a scan the page itself does not need. */
  totalCount: () => Promise<number>;
  /**
   * The same count, stopped after `atMost` visible matches (a repository without a limit on its
   * count counts them all, and the answer is the same). Validated here: 1 to MAX_COUNT_UP_TO.
   */
  countUpTo: (args: { atMost: number }) => Promise<CappedCount>;
}

export interface PageRequest {
  /** The viewer's visibility filter: applied before anything is sorted, paged or counted. */
  visibility: Filter;
  filter: Filter;
  sort: SortSpec;
  first: number | null | undefined;
  after: string | null | undefined;
  /** What a cursor is bound to: the viewer and the ordering. */
  binding: string;
  /** Top-level fields of the nodes no resolver of this request reads (FindOptions.omit). */
  omit?: readonly string[];
  /** The filter selects few records (FindOptions.selective). Default false. */
  selective?: boolean;
  codec: CursorCodec;
}

export interface Queryable<T> {
  find(filter: Filter, options?: FindOptions): Promise<T[]>;
  count(filter: Filter, options?: CountOptions): Promise<number>;
}

/**
 * Cursors already sealed, per codec, per stored document (documents are immutable: a write
 * replaces the object, so an entry dies with the version it was sealed for), per binding.
 * Why: sealing (or finding a recent seal by its values) cost more than the rest of an edge; a
 * page read again and again (a dashboard polling the first page) now finds each cursor in two
 * lookups. At most a few bindings are kept per document.
 */
const sealedCursors = new WeakMap<CursorCodec, WeakMap<object, Map<string, string>>>();
const BINDINGS_PER_DOCUMENT = 4;

function cursorOf(req: PageRequest, node: object): string {
  let byDocument = sealedCursors.get(req.codec);
  if (!byDocument) sealedCursors.set(req.codec, (byDocument = new WeakMap()));
  let byBinding = byDocument.get(node);
  if (!byBinding) byDocument.set(node, (byBinding = new Map()));
  let cursor = byBinding.get(req.binding);
  if (cursor === undefined) {
    cursor = req.codec.seal(req.binding, sortValues(req.sort, node as Record<string, unknown>));
    if (byBinding.size >= BINDINGS_PER_DOCUMENT) byBinding.delete(byBinding.keys().next().value!);
    byBinding.set(req.binding, cursor);
  }
  return cursor;
}

/** An edge whose cursor is sealed only when a client selects it (a class: object literals with getters are slow to make). */
class Edge<T extends object> {
  constructor(readonly node: T, private readonly req: PageRequest) {}

  get cursor(): string {
    return cursorOf(this.req, this.node);
  }
}

/** A page's size: `first`, DEFAULT_PAGE_SIZE when absent; throws BAD_USER_INPUT naming `first` outside 0 to MAX_PAGE_SIZE. */
export function pageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw badInput(`first must be between 0 and ${MAX_PAGE_SIZE}`, 'first');
  }
  return size;
}

/** A Relay connection over a repository with keyset (seek) pagination and sealed cursors. */
export async function paginate<T extends object>(repo: Queryable<T>, req: PageRequest): Promise<Connection<T>> {
  const first = pageSize(req.first);
  let seek: Filter | null = null;
  if (req.after != null) {
    const values = req.codec.open(req.binding, req.after);
    if (!values || values.length !== req.sort.length) throw badInput('after is not a cursor this query issued', 'after');
    seek = keysetAfter(req.sort, values);
  }
  const scope = and(req.visibility, req.filter);
  const docs = first === 0 ? [] : await repo.find(and(scope, seek), { sort: req.sort, limit: first + 1, ...(req.omit?.length ? { omit: req.omit } : {}), ...(req.selective ? { selective: true } : {}) });
  const page = docs.slice(0, first);
  // Cursors are sealed only when a client selects them: sealing is most of a page's own cost.
  const edges = page.map((node) => new Edge(node, req));
  return {
    edges,
    pageInfo: {
      hasNextPage: docs.length > first,
      hasPreviousPage: seek !== null,
      get startCursor() { return page.length ? cursorOf(req, page[0]!) : null; },
      get endCursor() { return page.length ? cursorOf(req, page[page.length - 1]!) : null; },
    },
    ...countsOf(repo, scope),
  };
}

/** A connection's `totalCount` and `countUpTo` over `scope` (the viewer's visibility and the filter), counted only when asked for. */
export function countsOf(repo: Pick<Queryable<unknown>, 'count'>, scope: Filter): Pick<Connection<unknown>, 'totalCount' | 'countUpTo'> {
  return {
    totalCount: () => repo.count(scope),
    countUpTo: async ({ atMost }) => {
      if (!Number.isInteger(atMost) || atMost < 1 || atMost > MAX_COUNT_UP_TO) {
        throw badInput(`atMost must be between 1 and ${MAX_COUNT_UP_TO.toLocaleString('en-US')}`, 'atMost');
      }
      // One match past the cap tells "exactly atMost" from "more than atMost".
      const n = await repo.count(scope, { limit: atMost + 1 });
      return n > atMost ? { value: atMost, exact: false } : { value: n, exact: true };
    },
  };
}
