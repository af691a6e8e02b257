import { CidrMatcher } from './cidr-matcher.js';
import { HostnameMatcher } from './hostname-matcher.js';
import { RegexMatcher } from './regex-matcher.js';
import { StringMatcher } from './string-matcher.js';
import { SubstringMatcher } from './substring-matcher.js';
import type { ValueMatcher, WarningListType } from './warning-list.js';

/** The matcher for a list's type, built once from its entries. */
export function matcherFor(
  type: WarningListType,
  entries: readonly string[],
  /** How regex entries compile (see RegexMatcher); default MISP's way. */
  compileRegex?: (entry: string) => RegExp | null,
): ValueMatcher {
  switch (type) {
    case 'cidr':
      return new CidrMatcher(entries);
    case 'hostname':
      return new HostnameMatcher(entries);
    case 'string':
      return new StringMatcher(entries);
    case 'substring':
      return new SubstringMatcher(entries);
    case 'regex':
      return new RegexMatcher(entries, compileRegex);
  }
}
