import type { IndicatorType } from '../domain/types.js';
import { matcherFor } from './matcher-for.js';
import { MAX_WARNINGS_SHOWN, type ValueMatcher, type WarningList, type WarningMatch } from './warning-list.js';

/**
 * Every loaded list with its matcher, asked per indicator: which lists does this (type, value)
 * match? Values are the hub's normal forms (src/domain/normalize.ts). A URL is also checked by its
 * host against hostname, string and cidr lists that apply to URLs (MISP does the same).
 */
export class WarningListSet {
  private readonly byType = new Map<IndicatorType, Array<{ list: WarningList; matcher: ValueMatcher }>>();

  constructor(
    readonly lists: readonly WarningList[],
    /** How regex entries compile (see RegexMatcher); default MISP's way. Members' lists use `compileLinear`. */
    compileRegex?: (entry: string) => RegExp | null,
  ) {
    for (const list of lists) {
      const matcher = matcherFor(list.type, list.entries, compileRegex);
      for (const type of list.indicatorTypes) {
        if (!this.byType.has(type)) this.byType.set(type, []);
        this.byType.get(type)!.push({ list, matcher });
      }
    }
  }

  /** Whether `value` is on a `false_positive` list (what excludeWarned drops). */
  isWarned(type: IndicatorType, value: string): boolean {
    return this.matches(type, value).some((m) => m.category === 'false_positive');
  }

  /** The lists `value` matches, in load order (one match per list, at most MAX_WARNINGS_SHOWN). */
  matches(type: IndicatorType, value: string): WarningMatch[] {
    return this.scan(type, value, () => true, MAX_WARNINGS_SHOWN);
  }

  /** The names of every `false_positive` list `value` matches, uncapped: what `warnedBy` stores. */
  falsePositiveNames(type: IndicatorType, value: string): string[] {
    return this.scan(type, value, (list) => list.category === 'false_positive', Infinity).map((m) => m.list);
  }

  /** The types of indicator that some `false_positive` list applies to: those a change of the lists can flag. */
  falsePositiveTypes(): IndicatorType[] {
    return [...this.byType].filter(([, lists]) => lists.some((l) => l.list.category === 'false_positive')).map(([type]) => type);
  }

  private scan(type: IndicatorType, value: string, wanted: (list: WarningList) => boolean, cap: number): WarningMatch[] {
    const candidates = this.byType.get(type);
    if (!candidates) return [];
    const host = type === 'URL' ? hostOf(value) : null;
    const out: WarningMatch[] = [];
    for (const { list, matcher } of candidates) {
      if (!wanted(list)) continue;
      let hit = matcher.match(value);
      if (hit === null && host !== null && list.type !== 'substring' && list.type !== 'regex') hit = matcher.match(host);
      if (hit !== null) out.push({ list: list.name, version: list.version, category: list.category, match: hit });
      if (out.length === cap) break;
    }
    return out;
  }
}

function hostOf(url: string): string | null {
  try {
    const host = new URL(url).hostname;
    return host.startsWith('[') ? host.slice(1, -1) : host;
  } catch {
    return null;
  }
}
