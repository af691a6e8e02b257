import type { CursorCodec } from '../util/cursor-codec.js';
import type { Position } from './date-added.js';
import type { ObjectFilters } from './object-query.js';

/** What a `next` token carries: everything needed to continue, so that `next` alone suffices. */
export interface PageState {
  /** The last object served. */
  after: Position;
  /** The filters of the request that started the walk. */
  filters: ObjectFilters;
  limit: number;
}

const VERSION = 1;

/**
 * `next` tokens: sealed (AES-256-GCM, the hub's cursor key) and bound to the caller and the
 * collection, so another caller's token, or a token for another collection, opens to nothing.
 */
export class PageTokens {
  constructor(private readonly codec: CursorCodec) {}

  seal(binding: string, state: PageState): string {
    const { after, filters, limit } = state;
    return this.codec.seal(`taxii|${binding}`, [VERSION, after.t, after.u, after.id, limit, filters]);
  }

  /** The state sealed under `binding`, or null for anything else. */
  open(binding: string, token: string): PageState | null {
    const values = this.codec.open(`taxii|${binding}`, token);
    if (!values || values.length !== 6 || values[0] !== VERSION) return null;
    const [, t, u, id, limit, filters] = values;
    if (typeof t !== 'number' || typeof u !== 'number' || typeof id !== 'string' || typeof limit !== 'number') return null;
    if (!filters || typeof filters !== 'object') return null;
    return { after: { t, u, id }, filters: filters as ObjectFilters, limit };
  }
}
