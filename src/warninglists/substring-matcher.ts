import type { ValueMatcher } from './warning-list.js';

/**
 * Matches a value that contains an entry, case-insensitively. A linear scan: the hub's substring
 * lists are small (tens of entries); a member's list is capped (see publish limits), so the cost stays bounded.
 */
export class SubstringMatcher implements ValueMatcher {
  private readonly entries: Array<{ needle: string; entry: string }>;

  constructor(entries: readonly string[]) {
    this.entries = entries.flatMap((entry) => {
      const needle = entry.trim().toLowerCase();
      return needle ? [{ needle, entry }] : [];
    });
  }

  match(value: string): string | null {
    const v = value.toLowerCase();
    return this.entries.find((e) => v.includes(e.needle))?.entry ?? null;
  }
}
