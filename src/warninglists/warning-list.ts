import type { IndicatorType } from '../domain/types.js';

/** How a list's entries match a value (MISP's five list types). */
export type WarningListType = 'cidr' | 'hostname' | 'string' | 'substring' | 'regex';
export const WARNING_LIST_TYPES: readonly WarningListType[] = ['cidr', 'hostname', 'string', 'substring', 'regex'];

/**
 * MISP's two categories: a `false_positive` match means "probably a mistake to block this"
 * (it drives HUB_WARNINGLIST_POLICY); a `known` match only annotates (e.g. a sinkhole, a CDN range).
 */
export type WarningListCategory = 'false_positive' | 'known';

/** One warning list as the hub loads it. */
export interface WarningList {
  /** Short stable name (the vendored file's name, e.g. `rfc1918`): what `WarningMatch.list` shows. */
  name: string;
  /** The list's own version (MISP's `version`), shown with every match. */
  version: string;
  type: WarningListType;
  category: WarningListCategory;
  /** Indicator types the list applies to (from MISP's `matching_attributes`). */
  indicatorTypes: readonly IndicatorType[];
  entries: readonly string[];
}

/** At most this many matches are shown per value (one per list; a value rarely matches more than three). */
export const MAX_WARNINGS_SHOWN = 20;

/** One match of an indicator value against a list: which list, its version, and the entry that matched. */
export interface WarningMatch {
  list: string;
  /** `misp:<name>` for a vendored list, `warning-list--<uuid>` for a member's (absent: vendored, from `list`). */
  listId?: string;
  version: string;
  category: WarningListCategory;
  match: string;
}

/** Answers the entry of a list that a value matches, or null. Built once per list at start. */
export interface ValueMatcher {
  match(value: string): string | null;
}
