import type { GraphQLError } from 'graphql';
import type { RateBucket, RateDecision, RateLimitRepository } from '../store/ports.js';
import { LIMIT_CODES, limitError } from './limits.js';

export interface RateLimiterOptions {
  /** Sustained rate, in requests per minute. 0 turns the limiter off (every `take` succeeds, the store is not asked). */
  perMinute: number;
  /** Requests a caller may make at once after being idle: the bucket's capacity. At least 1. */
  burst: number;
  /**
   * Where the buckets live: the store's, so that every instance on one MongoDB draws from the
   * same bucket. A `take` that throws (store unreachable) rejects, and the request fails.
   */
  buckets: RateLimitRepository;
  /** The clock, in ms since the epoch (wall-clock: instances compare it); tests may pass their own. Default `Date.now`. */
  now?: () => number;
}

export type { RateDecision };

/** RATE_LIMITED, with the seconds to wait in `extensions.retryAfter` (HTTP adds a `Retry-After` header). */
export function rateLimitedError(retryAfterSeconds: number): GraphQLError {
  return limitError(LIMIT_CODES.rate, `Too many requests: retry in ${retryAfterSeconds} s`, { retryAfter: retryAfterSeconds });
}

/**
 * A token bucket per caller (whose bucket: the policy's `rateLimitBucket`), shared by HTTP
 * requests, graphql-ws subscribe messages and TAXII through the edge pipeline's `admit`:
 * each takes one token; tokens come back at `perMinute / 60` per second, up to `burst`. The
 * buckets are the store's (`RateLimitRepository`), each take one atomic store operation.
 */
export class RateLimiter {
  private readonly bucket: RateBucket;
  private readonly now: () => number;

  constructor(private readonly options: RateLimiterOptions) {
    this.bucket = { capacity: Math.max(1, options.burst), refillPerMs: options.perMinute / 60_000 };
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.options.perMinute > 0;
  }

  /** Takes one token from `key`'s bucket. */
  async take(key: string): Promise<RateDecision> {
    if (!this.enabled) return { ok: true };
    return this.options.buckets.take(key, new Date(this.now()), this.bucket);
  }
}
