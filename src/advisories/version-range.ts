/**
 * A case's affected range (`AffectedProduct.versions`, free text such as `>= 2.0.0, < 2.4.1`) read
 * as bounds, for the formats that want them structured (OSV events, CVE version ranges). Text that
 * is not a list of comparisons is kept as text by the callers.
 */
export interface VersionRange {
  /** `>= v`. */
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
    if (op === '>') return null; // no exclusive lower bound in OSV or CVE ranges
    if (op === '>=') {
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

/**
 * The range as a `vers` URI (github.com/package-url/vers-spec), which CSAF 2.1 asks of a
 * `product_version_range`: `vers:npm/>=2.0.0|<2.4.1`. The scheme is the purl type when there is
 * one, else `generic`. Null when the text is not bounds.
 */
export function toVers(text: string, purlType: string | null): string | null {
  const range = parseVersionRange(text);
  if (!range) return null;
  const scheme = purlType ?? 'generic';
  if (range.exact) return `vers:${scheme}/${range.exact}`;
  const constraints = [
    range.introduced ? `>=${range.introduced}` : null,
    range.fixed ? `<${range.fixed}` : null,
    range.lastAffected ? `<=${range.lastAffected}` : null,
  ].filter(Boolean);
  return constraints.length ? `vers:${scheme}/${constraints.join('|')}` : null;
}
