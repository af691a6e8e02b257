import type { LeaseRepository } from '../store/ports.js';

export interface LeasedTickerOptions {
  /** The lease's name: one per kind of work (`embargo-watcher`, `review-watcher`, ...). */
  lease: string;
  /** The store's leases: with several instances on one store, only the holder runs the work. */
  leases: LeaseRepository;
  /** This instance's name in the lease; unique per running instance. */
  holder: string;
  /** Called with what a scheduled run threw; the next tick tries again. */
  onError: (err: unknown) => void;
  /** How long a lease lasts unless renewed; each run renews it. */
  leaseMs: number;
  /** Time between scheduled runs. */
  everyMs: number;
  /** The hub's clock: each scheduled run happens at its now. Default the real one. */
  clock?: (() => Date) | undefined;
}

/** What a run knows besides the time. */
export interface TickContext {
  now: Date;
  /**
   * True on the first run that holds the lease after a run was refused (another instance held
   * it): work that remembers how far it got must look back to where the previous holder could
   * have stopped (`leaseMs + everyMs` before now).
   */
  tookOver: boolean;
}

/**
 * Runs one instance's share of work that must happen once per hub (ending embargoes, closing
 * model reviews, applying disclosure schedules, signing the audit chain): every `everyMs`, and on
 * demand (`run`), only while this instance holds the lease, and one run at a time in this
 * instance (a slow run is not overlapped by the next tick). The work itself is the caller's.
 */
export class LeasedTicker<T> {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<T> | null = null;
  private refused = false;
  private readonly clock: () => Date;

  constructor(
    private readonly options: LeasedTickerOptions,
    private readonly work: (context: TickContext) => Promise<T>,
    /** What a run answers when another instance holds the lease. */
    private readonly whenRefused: T,
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  start(): void {
    this.timer = setInterval(() => void this.run().catch(this.options.onError), this.options.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Renews the lease, then does the work at `now`; without the lease, does nothing and answers `whenRefused`. */
  run(now = this.clock()): Promise<T> {
    const previous = this.running;
    const next = (previous ?? Promise.resolve()).catch(() => undefined).then(() => this.runOnce(now));
    this.running = next;
    return next;
  }

  private async runOnce(now: Date): Promise<T> {
    const { leases, lease, holder, leaseMs } = this.options;
    if (!(await leases.acquire(lease, holder, leaseMs, now))) {
      this.refused = true;
      return this.whenRefused;
    }
    const tookOver = this.refused;
    this.refused = false;
    return this.work({ now, tookOver });
  }
}
