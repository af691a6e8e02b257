/**
 * The clearinghouse's clocks (issue 13), read from the environment once (src/config.ts) and
 * passed to the rules and the disclosure watcher.
 */
import { DEFAULT_POC_DELAY_MS } from './vulnerability-stage.js';

export interface DisclosureClocks {
  /** Disclosure deadline after the first vendor notification, ms (`HUB_DISCLOSURE_DEADLINE`). Default 90 days. */
  deadlineMs: number;
  /** The deadline instead when the flaw is exploited, ms (`HUB_EXPLOITED_DEADLINE`). Default 7 days. */
  exploitedDeadlineMs: number;
  /** A notified vendor that has not acknowledged within this is escalated to coordinators, ms (`HUB_VENDOR_ACK_ESCALATION`). Default 30 days. */
  ackEscalationMs: number;
  /** New cases notified to one vendor per rolling 7 days (`HUB_VENDOR_PACE`). Default 10. */
  vendorPace: number;
  /** The proof of concept follows publication by this, ms (`HUB_POC_DELAY`). Default 45 days. */
  pocDelayMs: number;
}

const DAY = 86_400_000;

/** The defaults the environment documents (src/config.ts ENVIRONMENT). */
export const DEFAULT_DISCLOSURE_CLOCKS: DisclosureClocks = Object.freeze({
  deadlineMs: 90 * DAY,
  exploitedDeadlineMs: 7 * DAY,
  ackEscalationMs: 30 * DAY,
  vendorPace: 10,
  pocDelayMs: DEFAULT_POC_DELAY_MS,
});

/** The pacing window: `vendorPace` notifications per vendor in any 7 consecutive days. */
export const PACING_WINDOW_MS = 7 * DAY;
