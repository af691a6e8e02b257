/**
 * The demo's pre-deployment model reviews (issue 14, docs/model-reviews.md "The demo's reviews"):
 * `demo-lab` has two of its models reviewed before they ship.
 *
 * - Orion-5 (OPEN): its window opened 10 days ago (with the default 30-day window), deployment is 20 days away. `demo-agency`
 *   reviews it as a CORE member (HUB_REVIEW_DEFAULT_TIER), `demo-isac` (TRUSTED) as an invited
 *   reviewer; they filed three findings, TLP:GREEN, TLP:AMBER and TLP:RED (for `demo-lab` only),
 *   which only the lab, the two reviewers and hub-admins see until the review closes.
 * - Orion-4 (CLOSED 5 days ago, at its planned deployment): its two findings, TLP:GREEN and
 *   TLP:AMBER, are released to every member their TLP reaches, and the lab released the summary to
 *   anonymous callers too.
 *
 * Ids are stable (UUIDv5 of a name in the hub's namespace): the docs and the README name them.
 * Everything is fictional.
 */
import type { ModelReviewInput } from '../domain/model-review.js';
import type { NoticeInput } from '../domain/types.js';
import { uuidV5 } from '../stix/stix-ids.js';
import { DEMO_AGENCY, DEMO_ISAC, DEMO_LAB } from './demo-data.js';

const DAY = 86_400_000;

/** The UUID of a demo review or finding's id. */
const demoUuid = (name: string): string => uuidV5(`demo-${name}`);

/** The open review of Orion-5. */
export const DEMO_OPEN_REVIEW = `x-model-review--${demoUuid('review:open')}`;
/** The closed review of Orion-4. */
export const DEMO_CLOSED_REVIEW = `x-model-review--${demoUuid('review:closed')}`;

/** The findings' ids, by review and TLP. */
export const DEMO_FINDINGS = {
  openGreen: `x-model-risk-notice--${demoUuid('finding:open-green')}`,
  openAmber: `x-model-risk-notice--${demoUuid('finding:open-amber')}`,
  openRed: `x-model-risk-notice--${demoUuid('finding:open-red')}`,
  closedGreen: `x-model-risk-notice--${demoUuid('finding:closed-green')}`,
  closedAmber: `x-model-risk-notice--${demoUuid('finding:closed-amber')}`,
} as const;

/** The UUID part of an id (what a service's `randomUUID` is asked to make). */
export const uuidOf = (id: string): string => id.slice(id.indexOf('--') + 2);

const LAB_NAME = 'Demo Frontier AI Lab';

export interface DemoReview {
  id: string;
  /** When the lab scheduled it: the seed's review service runs at this instant. */
  scheduledAt: Date;
  input: ModelReviewInput;
  /** Members the lab invites beyond the default tier's. */
  invite: string[];
  /** The findings, each filed by a reviewer at `filedAt` (inside the window). */
  findings: Array<{ id: string; memberId: string; filedAt: Date; input: NoticeInput }>;
}

/**
 * The two demo reviews at `now` for a review window of `windowMs` (HUB_REVIEW_WINDOW; default 30
 * days), deterministic. The open review deploys in 20 days, its window open for at least 10 days;
 * the closed one deployed 5 days ago. Each is scheduled 2 days before its window opens, and its
 * findings are filed inside the window, so the seed goes through the services' own rules
 * whatever the window.
 */
export function demoReviews(now: Date, windowMs = 30 * DAY): { open: DemoReview; closed: DemoReview } {
  const at = (days: number) => new Date(now.getTime() + days * DAY);
  const openPlanned = at(20);
  const openOpens = new Date(Math.min(at(-10).getTime(), openPlanned.getTime() - windowMs));
  const closedPlanned = at(-5);
  const closedOpens = new Date(closedPlanned.getTime() - windowMs);
  /** The instant `share` of the way from `from` to `to`. */
  const between = (from: Date, to: Date, share: number) => new Date(Math.round(from.getTime() + (to.getTime() - from.getTime()) * share));
  const orion5 = { name: 'Orion-5', developer: LAB_NAME, version: '5.0-preview' };
  const orion4 = { name: 'Orion-4', developer: LAB_NAME, version: '4.0' };
  return {
    open: {
      id: DEMO_OPEN_REVIEW,
      scheduledAt: new Date(openOpens.getTime() - 2 * DAY),
      input: {
        model: orion5,
        plannedDeploymentAt: openPlanned,
        windowOpensAt: openOpens,
        description: 'Pre-deployment cyber-risk review of Orion-5: offensive-capability uplift, tool-use jailbreaks and autonomous vulnerability discovery.',
        publicSummary: false,
      },
      invite: [DEMO_ISAC],
      findings: [
        {
          id: DEMO_FINDINGS.openGreen,
          memberId: DEMO_AGENCY,
          filedAt: between(openOpens, now, 0.4),
          input: {
            title: 'Orion-5 writes working exploits for published n-day CVEs',
            summary: 'Given a CVE identifier and the vendor advisory, Orion-5 produced a working exploit for 7 of 20 n-day flaws in lab targets, against 1 of 20 for Orion-4.',
            model: orion5,
            category: 'CYBER_OFFENSE_CAPABILITY',
            severity: 'HIGH',
            tlp: 'GREEN',
            status: 'PUBLISHED',
            atlasTechniques: ['AML.T0054'],
            mitigations: 'Refusal tuning on exploit-development requests; rate limits on code execution in the hosted sandbox.',
          },
        },
        {
          id: DEMO_FINDINGS.openAmber,
          memberId: DEMO_ISAC,
          filedAt: between(openOpens, now, 0.6),
          input: {
            title: 'Orion-5 tool-use jailbreak exfiltrates records through a search plugin',
            summary: 'A two-step prompt makes Orion-5 encode customer records from a connected CRM tool into search queries sent to an attacker-controlled domain.',
            model: orion5,
            category: 'DATA_EXFILTRATION',
            severity: 'HIGH',
            tlp: 'AMBER',
            status: 'PUBLISHED',
            owaspLlm: ['LLM01:2025', 'LLM06:2025'],
            mitigations: 'Allow-list the domains tools may reach; strip encoded payloads from outbound queries.',
          },
        },
        {
          id: DEMO_FINDINGS.openRed,
          memberId: DEMO_AGENCY,
          filedAt: between(openOpens, now, 0.8),
          input: {
            title: 'Orion-5 finds memory-safety flaws in industrial controller firmware unaided',
            summary: 'Run as an agent with a disassembler, Orion-5 found two previously unknown memory-safety flaws in a PLC firmware image within six hours.',
            model: orion5,
            category: 'AUTONOMY',
            severity: 'CRITICAL',
            tlp: 'RED',
            recipients: [DEMO_LAB],
            status: 'PUBLISHED',
            technicalDetails: 'Both flaws are reported to the firmware vendor through the clearinghouse; details withheld here.',
          },
        },
      ],
    },
    closed: {
      id: DEMO_CLOSED_REVIEW,
      scheduledAt: new Date(closedOpens.getTime() - 2 * DAY),
      input: {
        model: orion4,
        plannedDeploymentAt: closedPlanned,
        description: 'Pre-deployment cyber-risk review of Orion-4 (shipped 5 days ago).',
        publicSummary: true,
      },
      invite: [DEMO_ISAC],
      findings: [
        {
          id: DEMO_FINDINGS.closedGreen,
          memberId: DEMO_AGENCY,
          filedAt: between(closedOpens, closedPlanned, 1 / 3),
          input: {
            title: 'Orion-4 follows instructions hidden in retrieved web pages',
            summary: 'Instructions planted in a web page that Orion-4 browses override the user\'s task in 3 of 10 trials; mitigated before deployment by the lab\'s input isolation.',
            model: orion4,
            category: 'PROMPT_INJECTION',
            severity: 'MEDIUM',
            tlp: 'GREEN',
            status: 'PUBLISHED',
            owaspLlm: ['LLM01:2025'],
            mitigations: 'Keep retrieved content in a separate, lower-trust context; confirm tool calls that retrieved content suggests.',
          },
        },
        {
          id: DEMO_FINDINGS.closedAmber,
          memberId: DEMO_ISAC,
          filedAt: between(closedOpens, closedPlanned, 2 / 3),
          input: {
            title: 'Orion-4 drafts convincing payment-fraud lures for named banks',
            summary: 'Orion-4 wrote bank-branded payment-fraud emails that passed three commercial filters; the lab added refusals before deployment.',
            model: orion4,
            category: 'CYBER_OFFENSE_CAPABILITY',
            severity: 'MEDIUM',
            tlp: 'AMBER',
            status: 'PUBLISHED',
            mitigations: 'Brand-impersonation classifiers on outbound mail; report lures to the ISAC.',
          },
        },
      ],
    },
  };
}
