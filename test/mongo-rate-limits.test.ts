/**
 * The MongoDB adapter's rate-limit take and lease filter, without a server: the update pipeline
 * runs through mingo's aggregation (the stages are aggregation stages), one document at a time, as
 * `findOneAndUpdate({_id}, pipeline, {upsert: true})` applies it.
 */
import { Aggregator, Query } from 'mingo';
import { describe, expect, it } from 'vitest';
import type { RateBucket, RateDecision } from '../src/store/ports.js';
import { leaseFilter } from '../src/store/mongo/mongo-leases.js';
import { rateDecisionOf, rateLimitTakePipeline, type RateLimitDoc } from '../src/store/mongo/mongo-rate-limits.js';

/** A one-document "collection" of buckets, taken from as MongoDB would. */
function mongoBuckets() {
  const docs = new Map<string, RateLimitDoc>();
  return {
    docs,
    take(key: string, now: Date, bucket: RateBucket): RateDecision {
      const current = docs.get(key) ?? { _id: key }; // an upsert starts from the filter's equality fields
      const [after] = new Aggregator(rateLimitTakePipeline(now, bucket)).run([current]) as unknown as RateLimitDoc[];
      docs.set(key, after!);
      return rateDecisionOf(after!, bucket.refillPerMs);
    },
  };
}

describe('the MongoDB rate-limit take', () => {
  const bucket = { capacity: 3, refillPerMs: 1 / 1_000 };
  const t0 = Date.UTC(2025, 0, 1);
  const at = (ms: number) => new Date(t0 + ms);

  it('starts a new bucket full, spends a burst, then refuses with the seconds to wait', () => {
    const buckets = mongoBuckets();
    const decisions = Array.from({ length: 4 }, () => buckets.take('member:m-a', at(0), bucket));
    expect(decisions).toEqual([{ ok: true }, { ok: true }, { ok: true }, { ok: false, retryAfterSeconds: 1 }]);
    expect(buckets.docs.get('member:m-a')).toMatchObject({ tokens: 0, taken: false, updatedAt: at(0), expiresAt: at(3_000) });
  });

  it('refills for the time elapsed, up to the capacity, and not for a clock behind the stored one', () => {
    const buckets = mongoBuckets();
    for (let i = 0; i < 3; i++) buckets.take('k', at(0), bucket);
    expect(buckets.take('k', at(-10_000), bucket).ok).toBe(false);
    expect(buckets.docs.get('k')!.updatedAt).toEqual(at(0));
    expect(buckets.take('k', at(1_500), bucket)).toEqual({ ok: true });
    expect(buckets.docs.get('k')!.tokens).toBeCloseTo(0.5);
    expect(buckets.take('k', at(1_500), bucket)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect([1, 2, 3, 4].map(() => buckets.take('k', at(600_000), bucket).ok)).toEqual([true, true, true, false]);
  });
});

describe('the MongoDB lease filter', () => {
  const filter = (holder: string, now: Date) => new Query(leaseFilter('job', holder, now) as Record<string, unknown>);
  const lease = { _id: 'job', holder: 'a', expiresAt: new Date(2_000) };

  it('matches the holder\'s own lease and an expired one, never another holder\'s live lease', () => {
    expect(filter('a', new Date(1_000)).test(lease)).toBe(true);
    expect(filter('b', new Date(1_000)).test(lease)).toBe(false);
    expect(filter('b', new Date(2_000)).test(lease)).toBe(false);
    expect(filter('b', new Date(2_001)).test(lease)).toBe(true);
  });
});
