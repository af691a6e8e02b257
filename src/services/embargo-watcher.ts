import type { LeaseRepository, NoticeRepository } from '../store/ports.js';
import type { EventRecorder } from './event-recorder.js';
import { LeasedTicker, type TickContext } from './leased-ticker.js';

/** The lease whose holder is the one instance that ends embargoes. */
export const EMBARGO_LEASE = 'embargo-watcher';

export interface EmbargoWatcherOptions {
  notices: NoticeRepository;
  events: EventRecorder;
  /** The store's leases: only the holder of `embargo-watcher` checks, so each end is announced once per hub. */
  leases: LeaseRepository;
  /** This instance's name in the lease; unique per running instance. */
  holder: string;
  /** Called with what a scheduled check threw; the next tick tries again. */
  onError: (err: unknown) => void;
  /** How long a lease lasts unless renewed; each check renews it. Default 30 s. */
  leaseMs?: number;
  /** Time between scheduled checks. Default 1 s. */
  everyMs?: number;
  /** Where the first check starts. Default the clock's now. */
  now?: Date;
  /** The hub's clock: each scheduled check happens at its now. Default the real one. */
  clock?: () => Date;
}

/**
 * Embargoes end on their own: nothing writes a notice when its `embargoUntil` passes, so this
 * watcher notices it and records a RELEASED event, and those the notice was withheld from hear
 * of it then. (Visibility itself needs no watcher: the policy compares `embargoUntil` with now.)
 * With several instances on one store, only the holder of the `embargo-watcher` lease checks.
 */
export class EmbargoWatcher {
  private readonly ticker: LeasedTicker<number>;
  private checkedUntil: Date;
  private readonly leaseMs: number;
  private readonly everyMs: number;

  constructor(private readonly options: EmbargoWatcherOptions) {
    this.checkedUntil = options.now ?? options.clock?.() ?? new Date();
    this.leaseMs = options.leaseMs ?? 30_000;
    this.everyMs = options.everyMs ?? 1_000;
    this.ticker = new LeasedTicker(
      { lease: EMBARGO_LEASE, leases: options.leases, holder: options.holder, onError: options.onError, leaseMs: this.leaseMs, everyMs: this.everyMs, clock: options.clock },
      (context) => this.releaseEnded(context),
      0,
    );
  }

  start(): void {
    this.ticker.start();
  }

  stop(): void {
    this.ticker.stop();
  }

  /**
   * Renews the lease, then records a RELEASED event for every embargo that ended on its own since
   * the last check; without the lease, does nothing. Checks run one at a time and each claims its
   * window before it reads, so a notice is never released twice by one instance; a notice written
   * at or after its embargo end (a lift by approval) was announced by that write.
   *
   * Taking the lease over from another instance, the window starts `leaseMs + everyMs` back: the
   * previous holder checked at least up to then (it checks each time it renews), so an end is
   * not missed; one that ended in the previous holder's last tick may be announced twice.
   */
  check(now?: Date): Promise<number> {
    return this.ticker.run(now);
  }

  private async releaseEnded({ now, tookOver }: TickContext): Promise<number> {
    const { notices, events } = this.options;
    if (tookOver) this.checkedUntil = new Date(now.getTime() - this.leaseMs - this.everyMs);
    const from = this.checkedUntil;
    if (now <= from) return 0;
    this.checkedUntil = now;
    let ended;
    try {
      ended = await notices.find({ embargoUntil: { $gt: from, $lte: now } }, { sort: [['embargoUntil', 1], ['_id', 1]] });
    } catch (err) {
      if (this.checkedUntil === now) this.checkedUntil = from;
      throw err;
    }
    const released = ended.filter((n) => n.updatedAt < n.embargoUntil!);
    for (const notice of released) await events.embargoEnded(notice);
    return released.length;
  }
}
