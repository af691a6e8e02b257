import { clip } from '../util/clip.js';
import { badRequest } from './taxii-error.js';
import { parseTimestamp } from './date-added.js';
import { stringify as stableStringify } from 'safe-stable-stringify';

export const DEFAULT_LIMIT = 100;
/** The most objects one page holds, whatever `limit` asks for. */
export const MAX_LIMIT = 1_000;

/** A request's filters, normalised (sorted, deduplicated) so that equal filters compare equal. */
export interface ObjectFilters {
  ids?: string[];
  types?: string[];
  /** `last`, `first`, `all` or timestamps. */
  versions?: string[];
  specVersions?: string[];
  /** As sent (validated). */
  addedAfter?: string;
  /**
   * `match[x_hub_warned]=false`: leave out indicators whose value is on a FALSE_POSITIVE warning
   * list that applies for the caller (IndicatorFilter.excludeWarned). Only `false` is taken.
   */
  warned?: false;
}

/** The hub's own match field (STIX custom names start `x_`): whether an indicator is on a false-positive warning list. */
export const WARNED_PARAM = 'match[x_hub_warned]';

export interface ObjectQuery {
  filters: ObjectFilters;
  /** Undefined when the request named none. */
  limit?: number;
  next?: string;
}

const MATCH_FIELDS = { 'match[id]': 'ids', 'match[type]': 'types', 'match[version]': 'versions', 'match[spec_version]': 'specVersions' } as const;

/** Reads the TAXII 2.1 query parameters; throws a 400 TaxiiError naming a bad one. Unknown parameters are ignored. */
export function parseObjectQuery(params: URLSearchParams): ObjectQuery {
  const filters: ObjectFilters = {};
  for (const [param, key] of Object.entries(MATCH_FIELDS)) {
    const values = params.getAll(param).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
    if (values.length) filters[key] = [...new Set(values)].sort();
  }
  for (const v of filters.versions ?? []) {
    if (!['last', 'first', 'all'].includes(v) && !parseTimestamp(v)) throw badRequest(`match[version]: "${clip(v, 40)}" is not last, first, all or a timestamp`);
  }
  const warned = params.getAll(WARNED_PARAM).flatMap((v) => v.split(',')).map((v) => v.trim());
  if (warned.length) {
    // Only the exclusion: a feed of warned indicators alone is not what a SIEM blocks from (Indicator.warnings shows them).
    const bad = warned.find((v) => v !== 'false');
    if (bad !== undefined) throw badRequest(`${WARNED_PARAM}: "${clip(bad, 40)}" is not false (the only value: leaves out indicators on a false-positive warning list)`);
    filters.warned = false;
  }
  const addedAfter = params.get('added_after');
  if (addedAfter !== null) {
    if (!parseTimestamp(addedAfter)) throw badRequest('added_after must be a timestamp such as 2026-11-26T09:30:00.000000Z');
    filters.addedAfter = addedAfter;
  }
  const query: ObjectQuery = { filters };
  const limit = params.get('limit');
  if (limit !== null) {
    if (!/^\d{1,9}$/.test(limit) || Number(limit) < 1) throw badRequest('limit must be a positive integer');
    query.limit = Math.min(Number(limit), MAX_LIMIT);
  }
  const next = params.get('next');
  if (next !== null) query.next = next;
  return query;
}

/** Whether a request named any filter at all. */
export const hasFilters = (f: ObjectFilters): boolean => Object.keys(f).length > 0;

export const sameFilters = (a: ObjectFilters, b: ObjectFilters): boolean => canonical(a) === canonical(b);

/** The same text for the same filters, whatever order they were given in. */
function canonical(f: ObjectFilters): string {
  return stableStringify(f) ?? '';
}

