import type { IndicatorType } from '../domain/types.js';
import type { MemberWarningListDoc } from '../domain/member-warning-list.js';
import { visibilityKey, warningListVisibility, type Viewer } from '../policy/policy.js';
import { Query } from 'mingo';
import { compileFilter } from '../store/memory/compile-filter.js';
import type { WarningListRepository } from '../store/ports.js';
import { compileLinear } from './linear-regex.js';
import { WarningListSet } from './warning-list-set.js';
import { MAX_WARNINGS_SHOWN, type WarningMatch } from './warning-list.js';

/** How long another instance's list change may take to apply here (this instance's own applies at once). */
export const MEMBER_WARNING_LISTS_REFRESH_MS = 2_000;

/** One list with its matcher, as a set of one list (null for a revoked list: it matches nothing). */
export interface HeldList {
  doc: MemberWarningListDoc;
  set: WarningListSet | null;
}
type Held = HeldList;

/** What one snapshot of the lists answers a visibility class: the lists it sees, in `seq` order. */
interface Seen {
  docs: MemberWarningListDoc[];
  active: Held[];
  /** The unrevoked FALSE_POSITIVE lists among them. */
  falsePositiveIds: readonly string[];
}

export interface MemberWarningListsOptions {
  lists: WarningListRepository;
  /** Default `MEMBER_WARNING_LISTS_REFRESH_MS`. */
  refreshMs?: number;
  /**
   * Told of each list that is new, replaced or revoked here, whether written by this instance or
   * read from another's change (what `warnedBy` matches must follow). Default nothing.
   */
  onChange?: (held: HeldList) => void;
}

/**
 * Members' warning lists in force, held in memory with one matcher per list version (built when
 * the version first appears, reused until it changes), and what each viewer sees of them
 * (`warningListVisibility`, the policy's rule, evaluated once per visibility class and snapshot).
 * Everything that applies a member's list (publish screening, `Indicator.warnings`, alert
 * filters) asks here with the viewer, and gets only the lists that viewer may see: a list it may
 * not see is not consulted at all, so it changes neither an answer nor its work.
 *
 * Another instance's change is noticed by the store's highest `seq` (one indexed read), checked
 * every `refreshMs` by `start`'s timer (and in the background by a read that finds the last check
 * older, where no timer runs); this instance's own change applies at once (`applied`).
 */
export class MemberWarningLists {
  private readonly refreshMs: number;
  private byId = new Map<string, Held>();
  private seq = 0;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private loaded = false;
  private checking: Promise<void> | null = null;
  private seen = new Map<string, Seen>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: MemberWarningListsOptions) {
    this.refreshMs = options.refreshMs ?? MEMBER_WARNING_LISTS_REFRESH_MS;
  }

  /**
   * Makes sure the lists were read, and starts a re-check in the background when the last one is
   * older than `refreshMs`. It waits only for the first read: a request never waits on a re-read,
   * so no answer's timing tells whether some list (perhaps one hidden from it) changed elsewhere.
   */
  async fresh(): Promise<void> {
    if (Date.now() - this.checkedAt < this.refreshMs) return;
    const check = this.refresh();
    if (this.loaded) check.catch(() => undefined);
    else await check;
  }

  /** Checks the store now (one at a time) and re-reads the lists if another instance changed them. */
  refresh(): Promise<void> {
    this.checking ??= this.check().finally(() => (this.checking = null));
    return this.checking;
  }

  /** Checks every `refreshMs`, so that another instance's change applies here within that time. */
  start(onError: (err: unknown) => void): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh().catch(onError), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** This instance wrote `doc`: it applies from the next call on. */
  applied(doc: MemberWarningListDoc): void {
    const held = this.byId.get(doc._id);
    if (held && held.doc.seq >= doc.seq) return;
    const next = new Map(this.byId);
    next.set(doc._id, this.hold(doc, held));
    this.replace(next, Math.max(this.seq, doc.seq));
  }

  /** Every list `viewer` may see, revoked ones included, in `seq` order. */
  visibleDocs(viewer: Viewer): readonly MemberWarningListDoc[] {
    return this.seenBy(viewer).docs;
  }

  /** The ids of the unrevoked FALSE_POSITIVE lists `viewer` may see: what `excludeWarned` leaves out for it besides the vendored ones. */
  falsePositiveIds(viewer: Viewer): readonly string[] {
    return this.seenBy(viewer).falsePositiveIds;
  }

  /** Every list held now with its matcher (revoked ones without): for a listener that joins late. */
  held(): HeldList[] {
    return [...this.byId.values()];
  }

  /** The list with this id if `viewer` may see it; else null (unknown and hidden alike). */
  visibleDoc(viewer: Viewer, id: string): MemberWarningListDoc | null {
    const held = this.byId.get(id);
    return held && this.seenBy(viewer).docs.includes(held.doc) ? held.doc : null;
  }

  /**
   * The unrevoked lists `viewer` may see that `value` matches, in `seq` order, at most `limit`.
   * Each list matches as a vendored one does (src/warninglists/warning-list-set.ts: a URL also by
   * its host against cidr, hostname and string lists).
   */
  matches(viewer: Viewer, type: IndicatorType, value: string, limit = MAX_WARNINGS_SHOWN): WarningMatch[] {
    const out: WarningMatch[] = [];
    if (limit <= 0) return out;
    for (const { doc, set } of this.seenBy(viewer).active) {
      const [hit] = set!.matches(type, value);
      if (!hit) continue;
      out.push({ ...hit, listId: doc._id });
      if (out.length === limit) break;
    }
    return out;
  }

  private async check(): Promise<void> {
    const at = Date.now();
    const last = await this.options.lists.lastSeq();
    if (last !== this.seq) {
      const docs = await this.options.lists.all();
      const next = new Map<string, Held>();
      for (const doc of docs) next.set(doc._id, this.hold(doc, this.byId.get(doc._id)));
      // An own write applied while reading is kept (it may be newer than what was read).
      for (const [id, held] of this.byId) if ((next.get(id)?.doc.seq ?? -1) < held.doc.seq) next.set(id, held);
      this.replace(next, Math.max(last, this.seq));
    }
    this.checkedAt = at;
    this.loaded = true;
  }

  /** The list and its matcher: the one held when its version is unchanged (a revocation needs none). */
  private hold(doc: MemberWarningListDoc, had: Held | undefined): Held {
    if (had && had.doc.seq === doc.seq) return had;
    if (doc.revoked) return { doc, set: null };
    if (had?.set && had.doc.version === doc.version && had.doc.category === doc.category) return { doc, set: had.set };
    const list = { name: doc.name, version: String(doc.version), type: doc.type, category: doc.category, indicatorTypes: doc.indicatorTypes, entries: doc.entries };
    return { doc, set: new WarningListSet([list], linearOrNull) };
  }

  private replace(next: Map<string, Held>, seq: number): void {
    const before = this.byId;
    this.byId = next;
    this.seq = seq;
    this.seen = new Map();
    const onChange = this.options.onChange;
    if (onChange) for (const [id, held] of next) if (before.get(id) !== held) onChange(held);
  }

  private seenBy(viewer: Viewer): Seen {
    const key = visibilityKey(viewer);
    let seen = this.seen.get(key);
    if (!seen) {
      // The policy's own filter, as the stores run it: compiled, or mingo where the compiler declines.
      const filter = warningListVisibility(viewer);
      const query = new Query(filter);
      const sees = compileFilter(filter) ?? ((doc: object) => query.test(doc as Record<string, unknown>));
      const held = [...this.byId.values()].filter((h) => sees(h.doc)).sort((a, b) => a.doc.seq - b.doc.seq);
      const active = held.filter((h) => h.set !== null);
      seen = { docs: held.map((h) => h.doc), active, falsePositiveIds: active.filter((h) => h.doc.category === 'false_positive').map((h) => h.doc._id) };
      this.seen.set(key, seen);
    }
    return seen;
  }
}

/**
 * A value's warnings for `viewer`: the vendored lists' matches (public), then those of the members'
 * lists it may see, at most MAX_WARNINGS_SHOWN in all: what publish screening and
 * `Indicator.warnings` both show. Without a viewer or members' lists, the vendored ones only.
 */
export function warningsFor(vendored: WarningListSet, members: MemberWarningLists | undefined, viewer: Viewer | undefined, type: IndicatorType, value: string): WarningMatch[] {
  const shown = vendored.matches(type, value);
  const own = viewer && members ? members.matches(viewer, type, value, MAX_WARNINGS_SHOWN - shown.length) : [];
  return own.length ? [...shown, ...own] : shown;
}

/** A member's pattern for V8's linear-time engine (entries were checked at publish; one that fails now is skipped). */
function linearOrNull(entry: string): RegExp | null {
  const re = compileLinear(entry);
  return re instanceof RegExp ? re : null;
}
