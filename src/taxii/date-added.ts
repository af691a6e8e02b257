/**
 * Where an object sits in a TAXII collection, and its `date_added`.
 *
 * `date_added` has microsecond precision: the millisecond `t` of the instant the version was
 * added (a record's `updatedAt`, a sighting's `reportedAt`...) plus an offset `u` of 0-999 µs
 * derived from the object's id alone (`offsetOfId`), so the versions of one batch, which share a
 * millisecond, mostly get distinct `date_added` values. Objects are ordered by (t, u, id): the
 * order of `date_added`, ties broken by id. See docs/taxii.md, "Paging".
 *
 * The offset must never come from anything counted across records (a write sequence, a batch
 * index): a viewer would read, in the gaps, how many records it may not see were written
 * beside its own (docs/visibility.md, "TAXII").
 */
export interface Position {
  /** Milliseconds since the epoch. */
  t: number;
  /** Microseconds within that millisecond, 0-999. */
  u: number;
  id: string;
}

/** Greater than any object id (ids are ASCII): `{t, u, id: AFTER_ALL_IDS}` is after every object at (t, u). */
export const AFTER_ALL_IDS = '\uffff';

export function comparePositions(a: Position, b: Position): number {
  return a.t - b.t || a.u - b.u || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Whether two objects share their `date_added` (such objects are never split across pages). */
export const sameDateAdded = (a: Position, b: Position): boolean => a.t === b.t && a.u === b.u;

/** `2026-11-26T09:30:00.000123Z` */
export function formatDateAdded({ t, u }: { t: number; u: number }): string {
  return `${new Date(t).toISOString().slice(0, -1)}${String(u).padStart(3, '0')}Z`;
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * An RFC 3339 timestamp as (ms, µs); digits past the microsecond are dropped (rounding down keeps
 * "strictly after" exact for every `date_added` the hub gives). Null when it is not one.
 */
export function parseTimestamp(text: string): { t: number; u: number } | null {
  const m = TIMESTAMP.exec(text);
  if (!m) return null;
  const base = Date.parse(`${m[1]}${m[3]!.toUpperCase()}`);
  if (Number.isNaN(base)) return null;
  const fraction = (m[2] ?? '').padEnd(6, '0');
  return { t: base + Number(fraction.slice(0, 3)), u: Number(fraction.slice(3, 6)) };
}

/** An object's microsecond offset, 0-999: FNV-1a of its id, so it tells nothing but the id. */
export function offsetOfId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h % 1000;
}
