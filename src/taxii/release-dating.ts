import type { Filter } from '../domain/filter.js';
import { isHubAdmin, type Viewer } from '../policy/policy.js';
import { and } from '../store/queries.js';

/** A field that dates a record's `date_added` in a TAXII collection. */
export type DatingField = 'updatedAt' | 'embargoUntil' | 'reviewReleaseAt';

/** The records one source of a collection dates by one field. */
export interface Dating {
  scope: Filter;
  timeField: DatingField;
}

const cmp = (op: '$gt' | '$lte' | '$lt', a: DatingField, b: DatingField): Filter => ({ $expr: { [op]: [`$${a}`, `$${b}`] } });

/**
 * How a collection of records that a release may widen (notices, clearinghouse cases) dates them
 * for `viewer`: by the instant the viewer could first see their current version, the latest of
 *
 * - `updatedAt`, the version's write;
 * - `embargoUntil`, when `embargoes` (notices) and an embargo holds the viewer back (below CORE,
 *   on another member's notice: `embargoApplies`);
 * - `reviewReleaseAt`, when the record is a model review's finding and the viewer is outside the
 *   review's audience (not its lab or a reviewer, `reviewAudience`; not a hub-admin; not the
 *   record's own publisher), whom the policy's `reviewRestriction` holds back until the review closes.
 *
 * Answered as one scope per dating field, a partition (each record in exactly one, ties going to
 * the earlier field of the list), each read in its own (field, dateAddedOffset, _id) index order,
 * so that an `added_after` poller that polled before a release receives the record on its next
 * poll, dated by the release. The scopes are ANDed to the collection's visibility filter, which
 * decides whether the record is seen at all: a record in a scope it cannot see is not served.
 *
 * A null `embargoUntil` or `reviewReleaseAt` compares below every date in `$expr` (MongoDB's
 * order, which the SQLite filter keeps): the explicit null branches below say so for the reader.
 */
export function releaseDating(viewer: Viewer, embargoes: boolean): Dating[] {
  const own: Filter[] = viewer.kind === 'member' ? [{ source: viewer.memberId }] : [];
  const notOwn: Filter = viewer.kind === 'member' ? { source: { $ne: viewer.memberId } } : {};
  // Reviews' releases date nothing for a hub-admin: it sees every finding from its write.
  const reviews = !isHubAdmin(viewer);
  const inAudience: Filter[] = viewer.kind === 'member' ? [{ reviewAudience: viewer.memberId }] : [];
  const outsideAudience: Filter = viewer.kind === 'member' ? { reviewAudience: { $ne: viewer.memberId } } : {};
  /** The record's review restriction (if any for this viewer) ended by `field`. */
  const releasedBy = (field: DatingField): Filter => (reviews ? { $or: [{ reviewId: null }, ...inAudience, cmp('$lte', 'reviewReleaseAt', field)] } : {});
  const datings: Dating[] = [
    {
      timeField: 'updatedAt',
      scope: { $or: [...own, and(embargoes ? { $or: [{ embargoUntil: null }, cmp('$lte', 'embargoUntil', 'updatedAt')] } : {}, releasedBy('updatedAt'))] },
    },
  ];
  if (embargoes) datings.push({ timeField: 'embargoUntil', scope: and(notOwn, cmp('$gt', 'embargoUntil', 'updatedAt'), releasedBy('embargoUntil')) });
  if (reviews) {
    datings.push({
      timeField: 'reviewReleaseAt',
      scope: and(notOwn, outsideAudience, cmp('$gt', 'reviewReleaseAt', 'updatedAt'), embargoes ? { $or: [{ embargoUntil: null }, cmp('$lt', 'embargoUntil', 'reviewReleaseAt')] } : {}),
    });
  }
  return datings;
}
