/**
 * What TAXII 2.1 "Add Objects" leaves in the store (src/taxii/taxii-writer.ts, docs/taxii.md
 * "Writing: add objects"): the status resource of each request, and which version of which STIX
 * object each member last wrote.
 */

/** One object of a status resource's `successes`, `failures` or `pendings` (TAXII 2.1 §4.3.1). */
export interface TaxiiStatusDetail {
  id: string;
  version: string;
  message?: string;
  /**
   * A pending object held under HUB_WARNINGLIST_POLICY=hold: its PUBLISH_WARNED_INDICATOR request,
   * whose decision the status shows when read. Kept in the store, never on the wire (`statusResource`).
   */
  approvalRequestId?: string;
}

/**
 * A TAXII status resource as stored: the answer to one add-objects request, shown only to the
 * member that made it, until `expiresAt` (TAXII_STATUS_RETENTION_MS after the request).
 */
export interface TaxiiStatusDoc {
  /** The status id (a UUID): the `{status-id}` of `GET {api-root}/status/{status-id}/`. */
  _id: string;
  /** The member whose credential made the request: the only one that may read it. */
  memberId: string;
  status: 'complete' | 'pending';
  requestTimestamp: Date;
  totalCount: number;
  successCount: number;
  successes: TaxiiStatusDetail[];
  failureCount: number;
  failures: TaxiiStatusDetail[];
  pendingCount: number;
  pendings: TaxiiStatusDetail[];
  /** When the status is forgotten (an unknown id afterwards). */
  expiresAt: Date;
}

/** How long a status resource is kept: 7 days, ample for a client polling it. */
export const TAXII_STATUS_RETENTION_MS = 7 * 86_400_000;

/**
 * The version of one STIX object a member wrote through TAXII, and the hub record it became:
 * what makes add-objects idempotent per object id and version. Per member: another member's
 * object of the same id is another entry, so a writer learns nothing about anyone else's.
 */
export interface StixVersionDoc {
  /** `stixVersionKey(memberId, stixId)`. */
  _id: string;
  memberId: string;
  /** The STIX id the client gave (`indicator--...`, `sighting--...`). */
  stixId: string;
  /** The object's `modified` as a fixed-width UTC timestamp (`canonicalTimestamp`): compares as a string. */
  modified: string;
  /** The hub indicator the object became (for a sighting: the indicator it sighted). */
  recordId: string;
  /** For a sighting: the count reported so far for this object, so a newer version adds only the difference. */
  count?: number;
  /**
   * A version held under HUB_WARNINGLIST_POLICY=hold: its PUBLISH_WARNED_INDICATOR request, and
   * `recordId` the indicator it will become. Posting it again while the request is open answers
   * that request (no second one); once approved it is stored; rejected or expired, a post holds it anew.
   */
  heldBy?: string;
  writtenAt: Date;
}

/** The key of a member's STIX object: the STIX id holds no `:`, so the split is unambiguous. */
export const stixVersionKey = (memberId: string, stixId: string): string => `${memberId}:${stixId}`;
