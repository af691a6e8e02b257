import { AFTER_ALL_IDS, comparePositions, sameDateAdded, type Position } from './date-added.js';
import type { Entry, ObjectSource } from './object-source.js';

export interface Page {
  entries: Entry[];
  /** Whether objects follow the page. */
  more: boolean;
}

/**
 * One page of a collection: the sources' entries after `after`, merged in (date_added, id) order.
 * A page never ends between two objects with the same `date_added` (an `added_after` poller
 * could not ask for the rest): it ends before them, or, when they open the page, after them
 * (the one case where a page may hold more than `limit` objects).
 */
export async function readPage(sources: readonly ObjectSource[], after: Position | null, cutoff: number, limit: number): Promise<Page> {
  const reads = await Promise.all(sources.map((s) => s.read(after, cutoff, limit + 1)));
  // Entries are complete only up to the least date_added a truncated source read whole.
  let bound: Position | null = null;
  for (const r of reads) {
    if (r.exhausted || r.completeThrough === null) continue;
    const through = { ...r.completeThrough, id: AFTER_ALL_IDS };
    if (!bound || comparePositions(through, bound) < 0) bound = through;
  }
  const all = reads.flatMap((r) => r.entries).filter((e) => !bound || comparePositions(e.position, bound) <= 0);
  all.sort((a, b) => comparePositions(a.position, b.position));
  const entries = cut(all, limit);
  if (entries.length < all.length) return { entries, more: true };
  // The page took every entry read. A source that stopped early did so after reading documents,
  // some of which it may have dropped as hidden (sightings of indicators the viewer may not see):
  // "more" must say whether a *visible* entry follows, never whether any document does.
  const last = entries[entries.length - 1];
  if (!last || reads.every((r) => r.exhausted)) return { entries, more: false };
  const probes = await Promise.all(sources.map((s) => s.read(last.position, cutoff, 1)));
  return { entries, more: probes.some((p) => p.entries.length > 0) };
}

function cut(all: Entry[], limit: number): Entry[] {
  if (all.length <= limit) return all;
  let end = limit;
  while (end > 0 && sameDateAdded(all[end - 1]!.position, all[end]!.position)) end--;
  if (end === 0) {
    end = limit;
    while (end < all.length && sameDateAdded(all[end - 1]!.position, all[end]!.position)) end++;
  }
  return all.slice(0, end);
}
