/**
 * A member's own warning list (issue 16, item 4): `publishWarningList`. Shared like a record, by
 * TLP and recipients; it applies at publish, at read and at export only for the viewers it reaches
 * (src/policy/policy.ts), and a viewer it does not reach learns nothing from it.
 */
import type { IndicatorType, Tlp } from './types.js';
import type { WarningListCategory, WarningListType } from '../warninglists/warning-list.js';

/** The caps `publishWarningList` enforces (and field-sizes.ts weighs answers by). */
export const MEMBER_WARNING_LIST_LIMITS = Object.freeze({
  nameChars: 64,
  entries: 10_000,
  /**
   * Entries of a REGEX list: each is a pattern run against every value the list's viewers publish
   * and read (about 0.4 µs per pattern and value in V8's linear-time engine, 4 ms for 10,000).
   */
  regexEntries: 100,
  entryChars: 512,
  recipients: 50,
  descriptionChars: 4_000,
  /** Unrevoked lists per member. */
  listsPerMember: 50,
});

/** The most lists `warningLists` answers: the vendored ones and members' lists shared with the viewer. */
export const MAX_WARNING_LISTS_LISTED = 1_000;

/** The id prefix of members' lists; a vendored list's id is `misp:<name>`. */
export const MEMBER_WARNING_LIST_ID_PREFIX = 'warning-list--';
export const VENDORED_WARNING_LIST_ID_PREFIX = 'misp:';

/** One member's list as stored (collection `warningLists`). */
export interface MemberWarningListDoc {
  /** `warning-list--<uuid>`. */
  _id: string;
  /** The publishing member. */
  source: string;
  name: string;
  type: WarningListType;
  category: WarningListCategory;
  indicatorTypes: IndicatorType[];
  entries: string[];
  description: string | null;
  tlp: Tlp;
  recipients: string[];
  /** Publications of this (source, name): 1, 2, ... */
  version: number;
  revoked: boolean;
  revokedReason: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Monotonic write sequence (as records carry). */
  seq: number;
}
