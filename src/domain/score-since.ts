/**
 * Where a score is reached on one decay curve: the bound the SCORE order (src/services/score-merge.ts)
 * turns into a range on `lastConfirmedAt`, per (type, base).
 */
import { decayScore, type DecayModel } from './decay-model.js';

const DAY_MS = 86_400_000;

/**
 * The earliest confirmation instant (epoch ms, whole) at which a claim of `base` scores at least
 * `score` at `at`, exactly as `decayScore` reads it (its `floor` included): `-Infinity` when every
 * confirmation does (`score <= 0`), `+Infinity` when none does (`score > base`).
 *
 * The score is non-increasing in the time since confirmation, so `score(claim) >= s` is
 * `lastConfirmedAt >= scoreSince(s, base, ...)`. A binary search over the lifetime, not the closed
 * form (`confirmedSince`), which floating point and the floor can put a few milliseconds off: a
 * cursor bound that is a millisecond off repeats or skips a claim.
 */
export function scoreSince(score: number, base: number, model: DecayModel, at: Date): number {
  if (score <= 0) return -Infinity;
  if (score > base) return Infinity;
  const now = at.getTime();
  const reaches = (tMs: number) => decayScore(base, new Date(now - tMs), at, model).score >= score;
  // t = 0 scores `base` >= score; t = lifetime scores 0 < score: the last t that reaches it lies between.
  let lo = 0;
  let hi = Math.ceil(model.lifetimeDays * DAY_MS);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (reaches(mid)) lo = mid;
    else hi = mid;
  }
  return now - lo;
}
