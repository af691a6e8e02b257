import { randomUUID } from 'node:crypto';
import type { JobStateDoc } from '../domain/job-state.js';
import type { IndicatorDoc, IndicatorType } from '../domain/types.js';
import type { Filter } from '../domain/filter.js';
import type { IndicatorRepository, JobStateRepository, LeaseRepository } from '../store/ports.js';
import type { WarnedByComputer } from '../warninglists/warned-by-computer.js';

/** The lease whose holder is the one instance that rewrites `warnedBy`; also the job's name in `jobStates`. */
export const WARNED_BY_JOB = 'warned-by';

/**
 * One pending re-scan: every claim of `types` (null: every type), in `seq` order, from `afterSeq`
 * on. One type per scan (or all): the (type, seq) index then yields a batch in order; two types
 * would sort every remaining claim of both for each batch.
 */
export interface WarnedByScan {
  /** Random: progress is saved to this scan only (a request for the same reason replaces it, restarting). */
  id: string;
  /** `vendored` (the hub's lists changed: a release), or `list:<id>` (a member's list changed). */
  reason: string;
  types: IndicatorType[] | null;
  /** The last `seq` rewritten; null: not started. */
  afterSeq: number | null;
}

/** The job's stored state (`jobStates`, `_id` `warned-by`). */
export interface WarnedByState {
  /** The vendored lists' fingerprint the stored flags agree with once `scans` is empty. */
  fingerprint: string;
  /** The indicator types those lists can flag (what the next release's scan re-reads besides its own). */
  types: IndicatorType[];
  scans: WarnedByScan[];
}

export interface WarnedByRecomputeOptions {
  indicators: Pick<IndicatorRepository, 'find' | 'updateOne'>;
  /** Where the state and progress live, so that a restart resumes (compare-and-set). */
  jobs: JobStateRepository;
  /** Only the holder of `warned-by` rewrites: one instance at a time. */
  leases: LeaseRepository;
  /** This instance's name in the lease; unique per running instance. */
  holder: string;
  /** The lists now (what each claim's `warnedBy` must say). */
  computer: WarnedByComputer;
  /** Run before each tick that holds the lease (the members' lists re-read); default nothing. */
  beforeTick?: () => Promise<void>;
  /** Called with what a scheduled tick threw; the next tick tries again from the saved progress. */
  onError: (err: unknown) => void;
  /** Claims read per batch (one read, then a write for each claim whose flag changed). Default 500. */
  batchSize?: number;
  /** Batches per scheduled tick (the lease is renewed before each). Default 20. */
  batchesPerTick?: number;
  /** Time between scheduled ticks. Default 2 s. */
  everyMs?: number;
  /** How long the lease lasts unless renewed. Default 60 s. */
  leaseMs?: number;
  now?: () => Date;
}

/**
 * Keeps each claim's `warnedBy` in step with the lists, in the background: at start, when the
 * vendored lists' fingerprint differs from the stored one (a hub release changed them; or none is
 * stored: claims written before `warnedBy` existed are filled the same way), it re-scans every
 * claim of the types those lists can flag; `listChanged` does the same for one member's list. A
 * scan reads claims in `seq` order in bounded batches and saves its position after each, so a
 * crash or a restart resumes where it stopped; one instance at a time (the lease). Rewriting the
 * flag is not a new version of the claim: `seq`, `updatedAt` and the alert stream are untouched.
 * Idempotent: a batch done twice writes nothing the second time.
 */
export class WarnedByRecompute {
  private timer: NodeJS.Timeout | null = null;
  /** The last tick queued: ticks of one instance run one after another (the schedule's and `runAll`'s). */
  private running: Promise<unknown> = Promise.resolve();
  private readonly batchSize: number;
  private readonly now: () => Date;

  constructor(private readonly options: WarnedByRecomputeOptions) {
    this.batchSize = options.batchSize ?? 500;
    this.now = options.now ?? (() => new Date());
  }

  start(): void {
    const tick = () => void this.tick().catch(this.options.onError);
    setImmediate(tick).unref();
    this.timer = setInterval(tick, this.options.everyMs ?? 2_000);
    this.timer.unref();
  }

  /**
   * Stops the schedule, waits for the tick under way (its progress is saved batch by batch), and
   * lets the lease go, so that another instance (a restart) continues at once rather than after
   * `leaseMs`.
   */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    // Renewing to a time already past releases it; a lease another instance holds is left alone.
    await this.options.leases.acquire(WARNED_BY_JOB, this.options.holder, -1);
  }

  /**
   * Renews the lease; queues a scan if the vendored lists changed; runs up to `batches` batches.
   * Answers how many claims' flags were rewritten (0 without the lease).
   */
  tick(batches = this.options.batchesPerTick ?? 20): Promise<number> {
    const next = this.running.then(() => this.run(batches));
    this.running = next.catch(() => undefined);
    return next;
  }

  private async run(batches: number): Promise<number> {
    if (!(await this.lease())) return 0;
    await this.options.beforeTick?.();
    await this.queueVendoredChange();
    let written = 0;
    for (let i = 0; i < batches; i++) {
      if (i > 0 && !(await this.lease())) break;
      const step = await this.step();
      if (step === null) break;
      written += step;
    }
    return written;
  }

  /** Runs every pending scan to its end (the lease permitting): for tests and operators. */
  async runAll(): Promise<number> {
    return this.tick(Number.POSITIVE_INFINITY);
  }

  /** Queues a re-scan of the claims of `types` because the list `listId` (a member's) changed, was added or revoked. */
  async listChanged(listId: string, types: readonly IndicatorType[]): Promise<void> {
    const reason = `list:${listId}`;
    await this.mutate((s) => (s ? { ...s, scans: [...s.scans.filter((x) => x.reason !== reason), ...scansOf(reason, [...types])] } : null));
  }

  /** The stored state (null before the first tick). */
  async state(): Promise<WarnedByState | null> {
    return ((await this.options.jobs.get(WARNED_BY_JOB)) as JobStateDoc<WarnedByState> | null)?.state ?? null;
  }

  private lease(): Promise<boolean> {
    return this.options.leases.acquire(WARNED_BY_JOB, this.options.holder, this.options.leaseMs ?? 60_000);
  }

  /** A scan of the affected types when the vendored fingerprint is not the stored one (every type when none is stored). */
  private async queueVendoredChange(): Promise<void> {
    const current = this.options.computer.vendored;
    await this.mutate((s) => {
      if (s?.fingerprint === current.fingerprint) return null;
      // What the old lists flagged and what the new ones can: both may need rewriting.
      const types = s ? [...new Set([...s.types, ...current.types])].sort() : null;
      const others = s?.scans.filter((x) => x.reason !== 'vendored') ?? [];
      return { fingerprint: current.fingerprint, types: current.types, scans: [...others, ...scansOf('vendored', types)] };
    });
  }

  /** One batch of the first pending scan; null when none is pending. Answers the flags rewritten. */
  private async step(): Promise<number | null> {
    const scan = (await this.state())?.scans[0];
    if (!scan) return null;
    const filter: Filter = {};
    if (scan.types) filter.type = { $in: scan.types };
    if (scan.afterSeq !== null) filter.seq = { $gt: scan.afterSeq };
    const batch = await this.options.indicators.find(filter, { sort: [['seq', 1]], limit: this.batchSize });
    let written = 0;
    for (const doc of batch) if (await this.rewrite(doc)) written++;
    const last = batch[batch.length - 1];
    const done = batch.length < this.batchSize;
    await this.mutate((s) => {
      if (!s?.scans.some((x) => x.id === scan.id)) return null; // replaced meanwhile: it restarts
      const scans = done ? s.scans.filter((x) => x.id !== scan.id) : s.scans.map((x) => (x.id === scan.id ? { ...x, afterSeq: last!.seq } : x));
      return { ...s, scans };
    });
    return written;
  }

  /** Writes the claim's flag when it differs; a claim written since it was read (its `seq` moved) was flagged by that write. */
  private async rewrite(doc: IndicatorDoc): Promise<boolean> {
    const want = this.options.computer.warnedBy(doc.type, doc.value);
    const had = doc.warnedBy ?? [];
    if (want.length === had.length && want.every((id, i) => id === had[i])) return false;
    return (await this.options.indicators.updateOne({ _id: doc._id, seq: doc.seq }, { $set: { warnedBy: want } })) !== null;
  }

  /** Read, change, compare-and-set, retried when another write came first; `change` answers null for no change. */
  private async mutate(change: (state: WarnedByState | null) => WarnedByState | null): Promise<void> {
    const { jobs } = this.options;
    for (let attempt = 0; attempt < 10; attempt++) {
      const doc = (await jobs.get(WARNED_BY_JOB)) as JobStateDoc<WarnedByState> | null;
      const next = change(doc?.state ?? null);
      if (next === null) return;
      if (await jobs.put({ _id: WARNED_BY_JOB, revision: randomUUID(), updatedAt: this.now(), state: next }, doc?.revision ?? null)) return;
    }
    throw new Error('warned-by job state: ten concurrent writes in a row; retried at the next tick');
  }
}

/** The scans for `reason` over `types`: one per type, or one over every claim (null). */
function scansOf(reason: string, types: IndicatorType[] | null): WarnedByScan[] {
  return (types ? [...new Set(types)].sort().map((t) => [t]) : [null]).map((only) => ({ id: randomUUID(), reason, types: only, afterSeq: null }));
}
