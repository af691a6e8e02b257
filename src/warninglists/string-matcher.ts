import type { ValueMatcher } from './warning-list.js';

/** Matches a value equal to an entry, case-insensitively (hashes and domains are case-free in the hub's normal form). */
export class StringMatcher implements ValueMatcher {
  private readonly entries = new Map<string, string>();

  constructor(entries: readonly string[]) {
    for (const raw of entries) this.entries.set(raw.trim().toLowerCase(), raw);
  }

  match(value: string): string | null {
    return this.entries.get(value.toLowerCase()) ?? null;
  }
}
