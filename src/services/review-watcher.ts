import type { ModelReviewDoc } from '../domain/model-review.js';
import type { LeaseRepository, ModelReviewRepository } from '../store/ports.js';
import { MODEL_REVIEW_CLOSE_ORDER, modelReviewsDueToClose } from '../store/queries.js';
import { LeasedTicker } from './leased-ticker.js';
import type { ClosedReview } from './review-close.js';

/** The lease whose holder is the one instance that announces reviews' closes. */
export const REVIEW_LEASE = 'review-watcher';

/** Reviews announced per check at most (the next tick takes the rest). */
const ANNOUNCED_PER_CHECK = 100;

export interface ReviewWatcherOptions {
  modelReviews: Pick<ModelReviewRepository, 'find'>;
  /** Announces one review's close (`announceClose`, src/services/review-close.ts); null when it was announced already. */
  announce: (review: ModelReviewDoc, now: Date) => Promise<ClosedReview | null>;
  /** The store's leases: only the holder of `review-watcher` checks, so each close is announced by one instance. */
  leases: LeaseRepository;
  /** This instance's name in the lease; unique per running instance. */
  holder: string;
  /** Called with what a scheduled check threw; the next tick tries again. */
  onError: (err: unknown) => void;
  /** How long a lease lasts unless renewed; each check renews it. Default 30 s. */
  leaseMs?: number;
  /** Time between scheduled checks. Default 1 s. */
  everyMs?: number;
  /** The hub's clock. Default `() => new Date()`. */
  clock?: () => Date;
}

/**
 * Reviews close on their own: nothing writes a review or its findings at `closesAt` (the policy
 * compares each finding's `reviewReleaseAt` with now), so this watcher notices the close and
 * announces it (`announceClose`: REVIEW_CLOSED, a RELEASED per finding, the audit entry), as the
 * EmbargoWatcher does for embargoes. With several instances on one store, only the holder of the
 * `review-watcher` lease checks.
 *
 * Unlike an embargo's end, an announcement is stored (`closeAnnouncedAt`, set by compare-and-set):
 * each check asks for every due review not yet announced, so an instance taking the lease over, or
 * a hub restarted after a downtime, announces what its predecessor left, however far back, and
 * never one twice.
 */
export class ReviewWatcher {
  private readonly ticker: LeasedTicker<number>;

  constructor(private readonly options: ReviewWatcherOptions) {
    this.ticker = new LeasedTicker(
      { lease: REVIEW_LEASE, leases: options.leases, holder: options.holder, onError: options.onError, leaseMs: options.leaseMs ?? 30_000, everyMs: options.everyMs ?? 1_000, clock: options.clock },
      ({ now }) => this.announceDue(now),
      0,
    );
  }

  start(): void {
    this.ticker.start();
  }

  stop(): void {
    this.ticker.stop();
  }

  /** Renews the lease, then announces every due close not yet announced; without the lease, does nothing. Answers how many it announced. */
  check(now?: Date): Promise<number> {
    return this.ticker.run(now);
  }

  private async announceDue(now: Date): Promise<number> {
    const { modelReviews, announce } = this.options;
    const due = await modelReviews.find(modelReviewsDueToClose(now), { sort: MODEL_REVIEW_CLOSE_ORDER, limit: ANNOUNCED_PER_CHECK });
    let announced = 0;
    for (const review of due) if (await announce(review, now)) announced++;
    return announced;
  }
}
