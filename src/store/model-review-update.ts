/**
 * How every adapter writes a model review: an update through mingo (as the embedded stores apply
 * every update), checked to set a new `seq` before anything is written, so that the stored `seq`
 * is the compare-and-set's version on every adapter (MongoDB replaces on `{_id, seq}`).
 */
import { update as applyUpdate } from 'mingo';
import type { ModelReviewDoc } from '../domain/model-review.js';
import type { UpdateDoc } from './ports.js';

/** The review after `update`, as a new object (`before` is left as it was). Throws when the update sets no new `seq`. */
export function updatedModelReview(before: ModelReviewDoc, update: UpdateDoc): ModelReviewDoc {
  const next = structuredClone(before);
  applyUpdate(next as unknown as Record<string, unknown>, update as Parameters<typeof applyUpdate>[1], undefined, undefined, { cloneMode: 'deep' });
  if (next.seq === before.seq) throw new Error(`an update of ${before._id} must set a new seq (the write order)`);
  if (next._id !== before._id) throw new Error(`an update of ${before._id} may not change its id`);
  return next;
}
