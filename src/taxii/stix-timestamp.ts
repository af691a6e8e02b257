/**
 * A STIX timestamp (RFC 3339, UTC, `Z`, any number of fraction digits) in one fixed width, nine
 * fraction digits, so that two versions compare as strings: `2026-01-01T00:00:00.1Z` and
 * `...00.100Z` are the same version, `...00.12Z` a later one. Null when it is not a STIX timestamp.
 */
export function canonicalTimestamp(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(value);
  if (!m || Number.isNaN(Date.parse(`${m[1]}Z`))) return null;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z`;
}

/** The timestamp as a Date (milliseconds; finer digits dropped), or null. */
export function timestampDate(value: unknown): Date | null {
  const canonical = canonicalTimestamp(value);
  return canonical === null ? null : new Date(`${canonical.slice(0, 23)}Z`);
}
