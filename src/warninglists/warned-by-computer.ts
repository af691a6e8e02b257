import { createHash } from 'node:crypto';
import type { IndicatorType } from '../domain/types.js';
import { VENDORED_WARNING_LIST_ID_PREFIX } from '../domain/member-warning-list.js';
import { warningListsApplying, type Viewer } from '../policy/policy.js';
import type { WarningListSet } from './warning-list-set.js';

/** What the vendored lists are, for the recompute job: a fingerprint and the indicator types they can flag. */
export interface ListSetFingerprint {
  /** sha256 of every vendored list's name, category and version: changes only with a hub release. */
  fingerprint: string;
  /** Indicator types some vendored `false_positive` list applies to. */
  types: IndicatorType[];
}

/** One extra list by id (a member's, `warning-list--<uuid>`), as `setList` takes it. */
export interface ExtraWarningList {
  id: string;
  /** A set holding this list alone (its matchers built once). */
  set: WarningListSet;
}

/**
 * The one place that says which FALSE_POSITIVE lists a value is on (`IndicatorDoc.warnedBy`,
 * whoever may see those lists) and which of them apply for a viewer. IndicatorService stores its
 * answer on every claim it writes (publish, TAXII writes, MISP import, peer pulls), the recompute
 * job (src/services/warned-by-recompute.ts) rewrites it when the lists change, alerts judge each
 * event with it, and queries and TAXII compare the stored ids with `idsFor(viewer)`.
 *
 * Members' lists (issue 16, item 4) join with `setList` / `removeList`, then
 * `WarnedByRecompute.listChanged` rewrites the claims of the list's types.
 */
export class WarnedByComputer {
  private readonly extra = new Map<string, WarningListSet>();
  private seen: (viewer: Viewer) => Iterable<string> = () => [];
  /** Bumped on every change of the extra lists: what `warnedFor` remembers per record is from one version. */
  private version = 0;
  /** Per record object (an alert round judges one event for many subscribers): its lists at `version`. */
  private readonly byRecord = new WeakMap<object, { version: number; ids: string[] }>();
  /** Ids of the vendored FALSE_POSITIVE lists, sorted. */
  readonly vendoredIds: readonly string[];
  readonly vendored: ListSetFingerprint;

  constructor(private readonly lists: WarningListSet) {
    this.vendoredIds = lists.lists
      .filter((l) => l.category === 'false_positive')
      .map((l) => VENDORED_WARNING_LIST_ID_PREFIX + l.name)
      .sort();
    const described = [...lists.lists].map((l) => `${l.name}\u0000${l.category}\u0000${l.version}`).sort().join('\n');
    this.vendored = { fingerprint: createHash('sha256').update(described).digest('hex'), types: lists.falsePositiveTypes().sort() };
  }

  /** Adds or replaces an extra list (a member's) by id; its matches count from now on. */
  setList(id: string, set: WarningListSet): void {
    this.extra.set(id, set);
    this.version++;
  }

  removeList(id: string): void {
    this.extra.delete(id);
    this.version++;
  }

  /** The ids of every FALSE_POSITIVE list `value` matches, sorted: what a claim stores as `warnedBy`. */
  warnedBy(type: IndicatorType, value: string): string[] {
    const ids = this.lists.falsePositiveNames(type, value).map((name) => VENDORED_WARNING_LIST_ID_PREFIX + name);
    for (const [id, set] of this.extra) if (set.falsePositiveNames(type, value).length) ids.push(id);
    return [...new Set(ids)].sort();
  }

  /** Says which members' FALSE_POSITIVE lists a viewer sees (MemberWarningLists.falsePositiveIds); default none. */
  seenMemberLists(seen: (viewer: Viewer) => Iterable<string>): void {
    this.seen = seen;
  }

  /** The FALSE_POSITIVE lists that apply for `viewer` (the policy's `warningListsApplying`): the vendored ones, and the members' it may see. */
  idsFor(viewer: Viewer): string[] {
    return warningListsApplying(viewer, this.vendoredIds, this.seen(viewer));
  }

  /**
   * Whether the record's value is on a FALSE_POSITIVE list that applies for `viewer`, judged
   * against the lists now (AlertFilter.excludeWarned). The matching is done once per record
   * object and lists version, however many subscribers judge it.
   */
  warnedFor(viewer: Viewer, record: { type: IndicatorType; value: string }): boolean {
    let known = this.byRecord.get(record);
    if (known?.version !== this.version) this.byRecord.set(record, (known = { version: this.version, ids: this.warnedBy(record.type, record.value) }));
    if (known.ids.length === 0) return false;
    const applying = new Set(this.idsFor(viewer));
    return known.ids.some((id) => applying.has(id));
  }
}
