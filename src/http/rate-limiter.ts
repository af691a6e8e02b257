import type { GraphQLError } from 'graphql';
import type { Viewer } from '../policy/policy.js';
import { LIMIT_CODES, limitError } from './limits.js';

/** Above this many tracked callers, buckets that have refilled completely are forgotten. */
const PRUNE_ABOVE = 10_000;

export interface RateLimiterOptions {
  /** Sustained rate, in requests per minute. 0 turns the limiter off (every `take` succeeds). */
  perMinute: number;
  /** Requests a caller may make at once after being idle: the bucket's capacity. At least 1. */
  burst: number;
  /** The clock, in ms; tests and benchmarks may pass their own. Default `performance.now`. */
  now?: () => number;
}

/** The outcome of one `take`: allowed, or refused with how long to wait. */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** RATE_LIMITED, with the seconds to wait in `extensions.retryAfter` (HTTP adds a `Retry-After` header). */
export function rateLimitedError(retryAfterSeconds: number): GraphQLError {
  return limitError(LIMIT_CODES.rate, `Too many requests: retry in ${retryAfterSeconds} s`, { retryAfter: retryAfterSeconds });
}

/** Whose bucket a request draws from: a member's (all its users and sockets share it), else the caller's IP. */
export function rateLimitKey(viewer: Viewer, remoteAddress: string | undefined): string {
  return viewer.kind === 'member' ? `member:${viewer.memberId}` : `ip:${remoteAddress ?? 'unknown'}`;
}

/**
 * A token bucket per caller, shared by HTTP requests and graphql-ws subscribe messages: each takes
 * one token; tokens come back at `perMinute / 60` per second, up to `burst`.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private readonly now: () => number;

  constructor(private readonly options: RateLimiterOptions) {
    this.perMs = options.perMinute / 60_000;
    this.now = options.now ?? (() => performance.now());
  }

  get enabled(): boolean {
    return this.options.perMinute > 0;
  }

  /** Takes one token from `key`'s bucket. */
  take(key: string): RateDecision {
    if (!this.enabled) return { ok: true };
    const now = this.now();
    const capacity = Math.max(1, this.options.burst);
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= PRUNE_ABOVE) this.prune(now, capacity);
      this.buckets.set(key, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000)) };
  }

  private prune(now: number, capacity: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.perMs >= capacity) this.buckets.delete(key);
    }
  }
}
