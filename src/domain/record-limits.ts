/**
 * The most a record may hold, per list and per text. Each is enforced where the record is written
 * (a per-item error naming the field, or BAD_USER_INPUT), or, where a list grows without anyone
 * writing it as a whole, where it is read; the cost analysis (src/http/field-sizes.ts) weighs
 * every answer by these same numbers. docs/limits.md, "Lists and cost", is the table a caller reads.
 */
export const RECORD_LIMITS = {
  /** Tags on one indicator; each tag 1 to `tagChars` characters. */
  tags: 20,
  tagChars: 64,
  /** Member ids a TLP:RED record (indicator or notice) is shared with. */
  recipients: 50,
  /** An indicator's free-text description. */
  indicatorDescription: 4_000,
  /** The reason given when revoking an indicator. */
  revokedReason: 1_000,
  /** MITRE ATLAS technique ids on one notice. */
  atlasTechniques: 20,
  /** OWASP LLM ids on one notice: there are ten, and duplicates are dropped. */
  owaspLlm: 10,
  /** Deployments named on one notice; each 1 to `affectedDeploymentChars` characters. */
  affectedDeployments: 20,
  affectedDeploymentChars: 200,
  /** Indicators linked to one notice (`relatedIndicatorIds`). Older notices over it are served truncated. */
  relatedIndicators: 100,
  /** A notice's model name and developer; its version. */
  modelNameChars: 200,
  modelVersionChars: 100,
  /** Sightings served with an indicator, newest first (`sightingCount` counts them all). Capped on read. */
  sightingsShown: 100,
  /** Claims (one per publishing member) served per looked-up value, newest first. Capped on read. */
  claimsPerLookup: 20,
} as const;
