/**
 * A case's affected range (`AffectedProduct.versions`, free text such as `>= 2.0.0, < 2.4.1`) read
 * as bounds, for the formats that want them structured (OSV events, CVE version ranges). Text that
 * is not a list of comparisons is kept as text by the callers.
 */
export interface VersionRange {
  /** `>= v` (or `> v`, read as the first version after it: kept as v, `exclusive`). */
  introduced: string | null;
  /** `< v`: the first version not affected. */
  fixed: string | null;
  /** `<= v`: the last version affected. */
  lastAffected: string | null;
  /** A single version (`= v` or a bare version). */
  exact: string | null;
}

const VERSION = /^v?[0-9A-Za-z][0-9A-Za-z.+_~-]*$/;

/** The bounds of `text`, or null when it is not comma- or space-separated comparisons (`all`, prose). */
export function parseVersionRange(text: string): VersionRange | null {
  const range: VersionRange = { introduced: null, fixed: null, lastAffected: null, exact: null };
  const parts = text.split(/\s*(?:,|&&|\band\b)\s*|\s+(?=[<>=])/).map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) return null;
  for (const part of parts) {
    const m = /^(>=|<=|>|<|==|=)?\s*(\S+)$/.exec(part);
    if (!m || !VERSION.test(m[2]!)) return null;
    const [, op, version] = m as unknown as [string, string | undefined, string];
    if (op === '>=' || op === '>') {
      if (range.introduced) return null;
      range.introduced = version;
    } else if (op === '<') {
      if (range.fixed || range.lastAffected) return null;
      range.fixed = version;
    } else if (op === '<=') {
      if (range.fixed || range.lastAffected) return null;
      range.lastAffected = version;
    } else {
      if (range.exact || parts.length > 1) return null;
      range.exact = version;
    }
  }
  return range;
}
