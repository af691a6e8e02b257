import type { DisclosureClocks } from '../domain/disclosure-clocks.js';
import { escalationDueAt } from '../domain/disclosure-deadline.js';
import { autoPublishAt } from '../domain/disclosure-schedule.js';
import { OPEN_STATUSES } from '../domain/disclosure-status.js';
import { embargoNextChangeAt } from '../domain/embargo-machine.js';
import type { VulnerabilityDoc } from '../domain/vulnerability.js';
import type { LeaseRepository } from '../store/ports.js';
import { LeasedTicker, type TickContext } from './leased-ticker.js';
import type { VulnerabilityWorkflow, WorkflowCases } from './vulnerability-workflow.js';

/** The lease whose holder is the one instance that applies the clearinghouse's schedule. */
export const DISCLOSURE_LEASE = 'disclosure-watcher';

export interface DisclosureWatcherOptions {
  vulnerabilities: WorkflowCases;
  workflow: Pick<VulnerabilityWorkflow, 'applySchedule' | 'proofOfConceptReleased'>;
  clocks: DisclosureClocks;
  /** The store's leases: only the holder of `disclosure-watcher` applies the schedule, so each step happens once per hub. */
  leases: LeaseRepository;
  /** This instance's name in the lease; unique per running instance. */
  holder: string;
  /** Called with what a scheduled check threw; the next tick tries again. */
  onError: (err: unknown) => void;
  /** The hub's clock. Default the real one. */
  clock?: () => Date;
  /** How long a lease lasts unless renewed; each check renews it. Default 30 s. */
  leaseMs?: number;
  /** Time between scheduled checks. Default 10 s: the clocks count days, a few seconds late is on time. */
  everyMs?: number;
}

/**
 * Applies the clearinghouse's schedule (docs/clearinghouse.md, "The schedule"): nothing writes a
 * case when one of its clocks runs out, so this watcher does, on a lease like the embargo
 * watcher: an embargo EXITED at its end (a proposal lapsing unaccepted), vendors that did not
 * acknowledge within `HUB_VENDOR_ACK_ESCALATION` escalated to coordinators, paced notifications
 * as each vendor's 7-day window frees, the publication at `max(deadline, end of the embargo in
 * force)`, and the proof of concept's release `HUB_POC_DELAY` after publication (a RELEASED alert
 * for those it newly reaches). Each step is the workflow's own compare-and-set: a coordinator's
 * step racing the watcher's wins or loses cleanly.
 *
 * Each check reads the open cases (VALIDATED, FIX_AVAILABLE) and acts on those due; published
 * cases are read only in the window of publication times whose proof of concept came due since
 * the last check.
 */
export class DisclosureWatcher {
  private readonly ticker: LeasedTicker<number>;
  private checkedUntil: Date;
  private readonly leaseMs: number;
  private readonly everyMs: number;

  constructor(private readonly options: DisclosureWatcherOptions) {
    const clock = options.clock ?? (() => new Date());
    this.checkedUntil = clock();
    this.leaseMs = options.leaseMs ?? 30_000;
    this.everyMs = options.everyMs ?? 10_000;
    this.ticker = new LeasedTicker(
      { lease: DISCLOSURE_LEASE, leases: options.leases, holder: options.holder, onError: options.onError, leaseMs: this.leaseMs, everyMs: this.everyMs, clock },
      (context) => this.applyDue(context),
      0,
    );
  }

  start(): void {
    this.ticker.start();
  }

  stop(): void {
    this.ticker.stop();
  }

  /** Renews the lease, then applies every step due at `now`; answers how many cases it changed or announced. */
  check(now?: Date): Promise<number> {
    return this.ticker.run(now);
  }

  private async applyDue({ now, tookOver }: TickContext): Promise<number> {
    const { vulnerabilities, workflow, clocks } = this.options;
    // Taking over: the previous holder checked at least up to a lease and a tick ago.
    if (tookOver) this.checkedUntil = new Date(now.getTime() - this.leaseMs - this.everyMs);
    let changed = 0;
    // The (status, seq) index on every store answers this.
    const open = await vulnerabilities.find({ status: { $in: [...OPEN_STATUSES] } }, { sort: [['seq', 1]] });
    for (const doc of open) {
      if (!isDue(doc, now, clocks)) continue;
      if ((await workflow.applySchedule(doc._id, now)).length > 0) changed++;
    }
    const from = this.checkedUntil;
    if (now > from) {
      // Proofs of concept that came due in (from, now]: published in (from - delay, now - delay].
      const published = await vulnerabilities.find(
        { status: 'PUBLISHED', publishedAt: { $gt: new Date(from.getTime() - clocks.pocDelayMs), $lte: new Date(now.getTime() - clocks.pocDelayMs) } },
        { sort: [['publishedAt', 1], ['_id', 1]] },
      );
      for (const doc of published) if (doc.proofOfConcept && (await workflow.proofOfConceptReleased(doc._id))) changed++;
      this.checkedUntil = now;
    }
    return changed;
  }
}

function isDue(doc: VulnerabilityDoc, now: Date, clocks: DisclosureClocks): boolean {
  const t = now.getTime();
  const embargo = embargoNextChangeAt(doc.embargo);
  if (embargo && embargo.getTime() <= t) return true;
  if (doc.vendorStatuses.some((e) => (escalationDueAt(e, clocks)?.getTime() ?? Infinity) <= t)) return true;
  if (doc.vendorStatuses.some((e) => !e.notifiedAt && e.queuedAt)) return true;
  const publish = autoPublishAt(doc);
  return publish !== null && publish.getTime() <= t;
}
