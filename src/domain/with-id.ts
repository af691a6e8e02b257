import { offsetOfId } from '../taxii/date-added.js';

/**
 * A new record's id and the fields derived from it alone: `dateAddedOffset`, the microsecond of
 * its TAXII `date_added` (`offsetOfId`). Stored, not computed on read, so that a TAXII page is a
 * range of the index `(time, dateAddedOffset, _id)` and may end inside a millisecond
 * (docs/taxii.md, "Paging"). Derived from the id only: never from anything counted across
 * records (docs/visibility.md, "TAXII").
 */
export function withId(id: string): { _id: string; dateAddedOffset: number } {
  return { _id: id, dateAddedOffset: offsetOfId(id) };
}
