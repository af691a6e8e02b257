import type { IndicatorType } from '../domain/types.js';
import type { Viewer } from '../policy/policy.js';
import { warningsFor, type MemberWarningLists } from './member-warning-lists.js';
import type { WarningListSet } from './warning-list-set.js';
import type { WarningMatch } from './warning-list.js';

/** What the hub does with an item matching a `false_positive` list (HUB_WARNINGLIST_POLICY). */
export type WarningListPolicy = 'warn' | 'hold' | 'reject';

/** One item's screening: its matches (both categories), and what the policy says to do with it. */
export interface ScreenVerdict {
  warnings: WarningMatch[];
  /** `store` for no false-positive match or policy `warn`; else the policy. */
  action: 'store' | 'hold' | 'reject';
}

/**
 * Screens items of `publishIndicators` against the warning lists. Only `false_positive` matches
 * engage the policy; `known` matches ride along as annotations.
 */
export class PublishScreen {
  constructor(
    readonly lists: WarningListSet,
    /** Default `warn`. */
    readonly policy: WarningListPolicy = 'warn',
    /** Members' lists: those the publisher may see warn (and engage the policy) like the vendored ones. Default none. */
    readonly memberLists?: MemberWarningLists,
  ) {}

  /** Brings members' lists up to date (another instance's change) before a batch is screened. */
  async ready(): Promise<void> {
    await this.memberLists?.fresh();
  }

  /**
   * One item's verdict for `publisher`: the vendored lists' matches, then those of the members'
   * lists it may see. A list it may not see is not consulted: it neither warns nor engages the policy.
   */
  screen(type: IndicatorType, value: string, publisher?: Viewer): ScreenVerdict {
    const warnings = warningsFor(this.lists, this.memberLists, publisher, type, value);
    const flagged = warnings.some((w) => w.category === 'false_positive');
    return { warnings, action: !flagged || this.policy === 'warn' ? 'store' : this.policy };
  }

  /** The per-item refusal under policy `reject` (code WARNING_LIST_MATCH, field `value`). */
  static refusal(warnings: readonly WarningMatch[]): { code: string; message: string; field: string } {
    const fp = warnings.filter((w) => w.category === 'false_positive');
    const named = fp.map((w) => `${w.list} (version ${w.version}, entry ${JSON.stringify(w.match)})`).join(', ');
    return { code: 'WARNING_LIST_MATCH', field: 'value', message: `the value is on a false-positive warning list: ${named}; this hub refuses such items (HUB_WARNINGLIST_POLICY=reject)` };
  }
}
