import type { ValueMatcher } from './warning-list.js';

/**
 * Matches a value against MISP-style regex entries (`/pattern/flags`, or a bare pattern). The `g`
 * and `y` flags are dropped: they make `test` stateful. An entry that does not compile is skipped.
 */
export class RegexMatcher implements ValueMatcher {
  private readonly patterns: Array<{ re: RegExp; entry: string }> = [];

  constructor(
    entries: readonly string[],
    /** How an entry compiles (null: skipped). Default: MISP's way; members' lists use `compileLinear`. */
    compileEntry: (entry: string) => RegExp | null = (entry) => compile(entry.trim()),
  ) {
    for (const entry of entries) {
      const re = compileEntry(entry);
      if (re) this.patterns.push({ re, entry });
    }
  }

  match(value: string): string | null {
    return this.patterns.find((p) => p.re.test(value))?.entry ?? null;
  }
}

function compile(entry: string): RegExp | null {
  const slashed = /^\/(.*)\/([a-z]*)$/s.exec(entry);
  try {
    return slashed ? new RegExp(slashed[1]!, slashed[2]!.replace(/[gy]/g, '')) : new RegExp(entry);
  } catch {
    return null;
  }
}
