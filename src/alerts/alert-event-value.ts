import type { AlertEventType, RecordKind } from '../domain/events.js';
import type { IndicatorDoc, NoticeDoc } from '../domain/types.js';
import type { VulnerabilityDoc } from '../domain/vulnerability.js';
import type { ModelReviewDoc } from '../domain/model-review.js';

/** What the `AlertEvent` type resolves from (resolvers/alert.ts). */
export interface AlertEventValue {
  /** Sealed for the subscriber (src/alerts/alert-cursors.ts). */
  cursor: string;
  type: AlertEventType | 'HEARTBEAT';
  occurredAt: Date;
  kind: RecordKind | null;
  record: IndicatorDoc | NoticeDoc | VulnerabilityDoc | ModelReviewDoc | null;
}
