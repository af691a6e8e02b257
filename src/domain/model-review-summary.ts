/**
 * A review's summary (`ModelReviewSummary`, src/domain/model-review.ts): counts of all its
 * findings (never a DRAFT notice) by category and severity. Who may read it, and when, is the policy's
 * (`redactModelReview`'s `seesSummary`).
 */
import type { ModelReviewSummary } from './model-review.js';
import { NOTICE_CATEGORIES, NOTICE_STATUSES, SEVERITIES, type NoticeCategory, type Severity } from './types.js';

/**
 * The notice statuses a summary counts: every one but DRAFT. A draft is its author's alone, not
 * yet filed: counting it would tell every member, at the close, of a record none of them may see
 * (test/model-review-leaks.test.ts). Listed, not `$ne`: an equality the indexes answer.
 */
export const COUNTED_NOTICE_STATUSES = NOTICE_STATUSES.filter((s) => s !== 'DRAFT');

/** The summary of these findings: a clearinghouse case counts under AI_FOUND_VULNERABILITY. */
export function modelReviewSummary(
  notices: ReadonlyArray<{ category: NoticeCategory; severity: Severity }>,
  cases: ReadonlyArray<{ severity: Severity }>,
): ModelReviewSummary {
  const byCategory = new Map<NoticeCategory, number>();
  const bySeverity = new Map<Severity, number>();
  const add = (category: NoticeCategory, severity: Severity) => {
    byCategory.set(category, (byCategory.get(category) ?? 0) + 1);
    bySeverity.set(severity, (bySeverity.get(severity) ?? 0) + 1);
  };
  for (const n of notices) add(n.category, n.severity);
  for (const c of cases) add('AI_FOUND_VULNERABILITY', c.severity);
  const severities = [...SEVERITIES].reverse().filter((s) => bySeverity.has(s));
  return {
    total: notices.length + cases.length,
    byCategory: NOTICE_CATEGORIES.filter((c) => byCategory.has(c)).map((category) => ({ category, count: byCategory.get(category)! })),
    bySeverity: severities.map((severity) => ({ severity, count: bySeverity.get(severity)! })),
    highestSeverity: severities[0] ?? null,
  };
}
