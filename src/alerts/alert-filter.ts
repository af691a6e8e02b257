import type { AlertEventType, RecordKind } from '../domain/events.js';
import { SEVERITIES, type IndicatorDoc, type NoticeDoc } from '../domain/types.js';
import type { VulnerabilityDoc } from '../domain/vulnerability.js';
import type { ModelReviewDoc } from '../domain/model-review.js';
import type { AlertFilter } from '../generated/graphql.js';
import type { DecayedScore } from '../domain/decay-model.js';

/** The `AlertFilter` input, as graphql-js coerced it (generated from schema/alerts.graphql). */
export type AlertFilterInput = AlertFilter;

/** The `AlertRecordKind` name of each record kind. */
const KIND_NAMES = { INDICATOR: 'INDICATOR', NOTICE: 'MODEL_RISK_NOTICE', VULNERABILITY: 'VULNERABILITY', REVIEW: 'MODEL_REVIEW' } as const satisfies Record<RecordKind, string>;

/**
 * The subscriber's own filter. Not a policy decision: it runs after the verdict and only narrows
 * what the policy allows. Criteria that belong to one kind imply that kind unless `kinds` says
 * otherwise; `minSeverity` applies to the records that have one (a model review has none: its
 * events pass it).
 */
export function matchesAlertFilter(
  filter: AlertFilterInput | null,
  kind: RecordKind,
  type: AlertEventType,
  record: IndicatorDoc | NoticeDoc | VulnerabilityDoc | ModelReviewDoc,
  /** Whether an indicator is on a false-positive warning list (for `excludeWarned`). */
  warned: (indicator: IndicatorDoc) => boolean = () => false,
  /**
   * The indicator's score as the subscriber reads it at send time (for `minScore` and
   * `excludeDecayed`: `DecayService.scorer` with the subscriber's base). Default: no score, so
   * that those criteria drop every indicator rather than pass one unjudged.
   */
  score: (indicator: IndicatorDoc) => DecayedScore | null = () => null,
): boolean {
  if (!filter) return true;
  if (filter.types?.length && !filter.types.includes(type)) return false;
  const indicatorCriteria = !!(filter.indicatorTypes?.length || filter.minConfidence != null || filter.tags?.length);
  const noticeCriteria = !!filter.noticeCategories?.length;
  if (filter.kinds?.length) {
    if (!filter.kinds.includes(KIND_NAMES[kind])) return false;
  } else if (indicatorCriteria || noticeCriteria) {
    if (kind === 'INDICATOR' ? !indicatorCriteria : kind === 'NOTICE' ? !noticeCriteria : true) return false;
  }
  if (kind === 'REVIEW') return true;
  if (filter.minSeverity && SEVERITIES.indexOf((record as IndicatorDoc | NoticeDoc | VulnerabilityDoc).severity) < SEVERITIES.indexOf(filter.minSeverity)) return false;
  if (kind === 'INDICATOR') {
    const i = record as IndicatorDoc;
    if (filter.indicatorTypes?.length && !filter.indicatorTypes.includes(i.type)) return false;
    if (filter.minConfidence != null && i.confidence < filter.minConfidence) return false;
    if (filter.tags?.length && !filter.tags.some((t) => i.tags.includes(t.trim().toLowerCase()))) return false;
    // Not an indicator criterion (it implies no kind): it drops warned indicators and nothing else.
    if (filter.excludeWarned && warned(i)) return false;
    // Nor are these: judged per event, at send time, with the base the subscriber reads.
    if (filter.minScore != null || filter.excludeDecayed) {
      const read = score(i);
      if (!read || (filter.minScore != null && read.score < filter.minScore) || (filter.excludeDecayed && read.decayed)) return false;
    }
  } else if (kind === 'NOTICE' && filter.noticeCategories?.length && !filter.noticeCategories.includes((record as NoticeDoc).category)) {
    return false;
  }
  return true;
}
