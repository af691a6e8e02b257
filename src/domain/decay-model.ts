/**
 * Indicator scores that decay, computed when read (issue 16, item 1).
 *
 * The shape is MISP's polynomial decay model:
 *
 *     score(t) = base * (1 - (t / lifetime) ^ (1 / speed))     for 0 <= t < lifetime, else 0
 *
 * where `t` is the time since the indicator was last *confirmed*: published again by its
 * publisher, or sighted as a true positive (both reset the clock; `decayRefTime`). An indicator
 * is `decayed` when its score is below the model's threshold. Nothing here is stored: the score
 * is a pure function of the indicator, its publisher's tier, the false-positive reports and the
 * model for its type, so a model change applies to every indicator at once (opencti#7790 is the
 * opposite: a rule frozen onto each indicator at creation).
 *
 * The reported score is `floor` of the real-valued one, so `decayed` (score < threshold, an
 * integer) and the crossing instant `decaysAt` agree exactly with what a reader sees.
 */

import { badInput } from '../errors.js';
import type { IndicatorType, MemberTier } from './types.js';

const DAY_MS = 86_400_000;

/** One indicator type's decay model. */
export interface DecayModel {
  /** Days after the last confirmation at which the score reaches 0. 1 to 3,650. */
  lifetimeDays: number;
  /**
   * MISP's `decay_speed`: the exponent is `1 / speed`. Below 1 the score stays high for most of
   * the lifetime and falls late; above 1 it falls early. 0.1 to 10.
   */
  speed: number;
  /** Below this score (0 to 100) the indicator is `decayed`. */
  threshold: number;
}

/**
 * The defaults, per type, and why:
 * - IPV4 / IPV6: 4 weeks, speed 0.5, threshold 30. Addresses are rented, rotated and reassigned
 *   (cloud, residential, fast-flux); an unconfirmed address is mostly noise within weeks, and it
 *   is the type whose false positives hurt most (blocking a shared address).
 * - CIDR: 8 weeks, speed 0.5, threshold 30. A network allocation moves more slowly than one address.
 * - URL: 3 months, speed 0.5, threshold 30. Paths are taken down or cleaned faster than domains.
 * - DOMAIN / EMAIL: 6 months, speed 0.5, threshold 30. Registrations last a year or more;
 *   malicious ones are often parked and re-used; sender addresses behave like their domains.
 * - MD5 / SHA1 / SHA256 / SHA512: 2 years, speed 0.3, threshold 20. A file's hash never changes
 *   meaning: a malicious file stays malicious; it only becomes less relevant as it leaves
 *   circulation, so the score stays high for most of the lifetime (speed below 1).
 */
export const DEFAULT_DECAY_MODELS: Readonly<Record<IndicatorType, DecayModel>> = Object.freeze({
  IPV4: { lifetimeDays: 28, speed: 0.5, threshold: 30 },
  IPV6: { lifetimeDays: 28, speed: 0.5, threshold: 30 },
  CIDR: { lifetimeDays: 56, speed: 0.5, threshold: 30 },
  URL: { lifetimeDays: 90, speed: 0.5, threshold: 30 },
  DOMAIN: { lifetimeDays: 180, speed: 0.5, threshold: 30 },
  EMAIL: { lifetimeDays: 180, speed: 0.5, threshold: 30 },
  MD5: { lifetimeDays: 730, speed: 0.3, threshold: 20 },
  SHA1: { lifetimeDays: 730, speed: 0.3, threshold: 20 },
  SHA256: { lifetimeDays: 730, speed: 0.3, threshold: 20 },
  SHA512: { lifetimeDays: 730, speed: 0.3, threshold: 20 },
});

/** A hub-admin's model for one type, as stored (`decayModels`); a type without one decays by its default. */
export interface DecayModelDoc extends DecayModel {
  /** The indicator type. */
  _id: IndicatorType;
  updatedAt: Date;
  /** The person who set it. */
  updatedBy: string;
}

/** The bounds `validateDecayModel` enforces. */
export const DECAY_MODEL_LIMITS = Object.freeze({
  lifetimeDays: { min: 1, max: 3_650 },
  speed: { min: 0.1, max: 10 },
  threshold: { min: 0, max: 100 },
});

/**
 * How much of its confidence a publisher's claim carries, by the publisher's tier: the hub
 * vouched more for a CORE member than for a COMMUNITY one (tiers are granted by hub-admins on
 * track record). `base = floor(confidence * TIER_WEIGHT[tier] * FP_FACTOR ^ fpReporters)`.
 */
export const TIER_WEIGHT: Readonly<Record<MemberTier, number>> = Object.freeze({ CORE: 1, TRUSTED: 0.9, COMMUNITY: 0.75 });

/**
 * Each distinct member (other than the publisher) that reported the indicator as a false
 * positive halves its base: one report is a doubt, three (the default alert level) bring a
 * confidence of 100 to 12, below every default threshold. Counting members, not reports, keeps
 * one member from silencing an indicator by repeating itself.
 */
export const FP_FACTOR = 0.5;

/** Checks a hub-admin's model; throws BAD_USER_INPUT naming the field (`input.<name>`). */
export function validateDecayModel(model: DecayModel): DecayModel {
  for (const key of ['lifetimeDays', 'speed', 'threshold'] as const) {
    const { min, max } = DECAY_MODEL_LIMITS[key];
    const v = model[key];
    if (!Number.isFinite(v) || v < min || v > max) throw badInput(`${key} must be from ${min} to ${max} (got ${v})`, `input.${key}`);
  }
  if (!Number.isInteger(model.threshold)) throw badInput(`threshold must be an integer (got ${model.threshold})`, 'input.threshold');
  return { lifetimeDays: model.lifetimeDays, speed: model.speed, threshold: model.threshold };
}

/**
 * The base score (0-100) of a claim: its confidence, weighed by its publisher's tier and the
 * false-positive reports. `tier` null: the viewer may not see who published (`Indicator.source`),
 * so the tier, which would narrow down the publisher, is left out (weight 1).
 */
export function decayBase(confidence: number, tier: MemberTier | null, fpReporters = 0): number {
  const raw = confidence * (tier ? TIER_WEIGHT[tier] : 1) * FP_FACTOR ** Math.max(0, fpReporters);
  return Math.max(0, Math.min(100, Math.floor(raw + 1e-9)));
}

/** The real-valued score `t` ms after the last confirmation (no rounding). */
export function rawDecayScore(base: number, tMs: number, model: DecayModel): number {
  const lifetimeMs = model.lifetimeDays * DAY_MS;
  const t = Math.max(0, tMs);
  if (t >= lifetimeMs) return 0;
  return base * (1 - (t / lifetimeMs) ** (1 / model.speed));
}

/** What a reader sees: the score and whether it is below the threshold. */
export interface DecayedScore {
  score: number;
  decayed: boolean;
}

/**
 * The score at `now` of a claim with this base, last confirmed at `refTime`. An analyst's
 * `override` (set since the last re-publication) replaces the computed score and does not decay:
 * the manual decision wins over the model until the publisher publishes the claim again.
 */
export function decayScore(base: number, refTime: Date, now: Date, model: DecayModel, override: number | null = null): DecayedScore {
  const score = override ?? Math.floor(rawDecayScore(base, now.getTime() - refTime.getTime(), model) + 1e-9);
  return { score, decayed: score < model.threshold };
}

/**
 * The instant the score falls below the threshold: `refTime` when it already starts below,
 * else `refTime + lifetime * (1 - threshold / base) ^ speed` (solving the polynomial), and null
 * for a threshold of 0 (never decayed). With an override the score is constant: null or `refTime`.
 */
export function decaysAt(base: number, refTime: Date, model: DecayModel, override: number | null = null): Date | null {
  if (override != null) return override < model.threshold ? refTime : null;
  if (model.threshold <= 0) return null;
  if (base < model.threshold) return refTime;
  // The first whole millisecond at which floor(score) < threshold: a binary search over the
  // lifetime (the score is monotone), not the closed form `lifetime * (1 - threshold / base) ^ speed`
  // alone, which floating point and the floor can put a few milliseconds off, and near a flat
  // start (base equal to the threshold, speed below 1) very many.
  const below = (ms: number) => Math.floor(rawDecayScore(base, ms, model) + 1e-9) < model.threshold;
  let lo = 0;
  let hi = Math.ceil(model.lifetimeDays * DAY_MS);
  if (below(lo)) return refTime;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (below(mid)) hi = mid;
    else lo = mid;
  }
  return new Date(refTime.getTime() + hi);
}

/**
 * The oldest confirmation time for which a claim of this base still scores at least `minScore`
 * at `now`, or null when no confirmation time does (`minScore > base`). The score is monotone
 * in time, so `score >= s` is `decayRefTime >= confirmedSince(s, base, model, now)`: a range
 * condition on an indexed time column per (type, base), which is how `IndicatorFilter.minScore`
 * can be answered from an index rather than a scan.
 */
export function confirmedSince(minScore: number, base: number, model: DecayModel, now: Date): Date | null {
  if (minScore <= 0) return new Date(0);
  if (minScore > base) return null;
  const t = model.lifetimeDays * DAY_MS * (1 - minScore / base) ** model.speed;
  return new Date(now.getTime() - Math.floor(t));
}
