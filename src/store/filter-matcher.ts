import { LRUCache } from 'lru-cache';
import { Query } from 'mingo';
import type { Filter } from '../domain/filter.js';

/** Compiled filters kept, least recently used first out (one per visibility key in practice). */
const CACHE_LIMIT = 1_024;

/**
 * Tests one object against a MongoDB filter document, with mingo: how the hub applies a policy
 * filter to something that is not in a collection (an event's before/after sharing).
 */
export class FilterMatcher {
  private readonly compiled = new LRUCache<string, Query>({ max: CACHE_LIMIT });

  /** `cacheKey`, when given, must identify `filter` exactly (filters with a time in them have none). */
  matches(filter: Filter, object: object, cacheKey?: string): boolean {
    if (cacheKey === undefined) return new Query(filter).test(object as Record<string, unknown>);
    let query = this.compiled.get(cacheKey);
    if (!query) {
      query = new Query(filter);
      this.compiled.set(cacheKey, query);
    }
    return query.test(object as Record<string, unknown>);
  }
}
