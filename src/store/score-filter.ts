/**
 * `IndicatorFilter.minScore` and `excludeDecayed` as one MongoDB filter document (issue 16,
 * item 2), run by every adapter in the store query, never by filtering a fetched page
 * (docs/intel-quality.md, "Filters on the score").
 */
import type { Filter } from '../domain/filter.js';
import type { DecayModel } from '../domain/decay-model.js';
import type { IndicatorType } from '../domain/types.js';

const DAY_MS = 86_400_000;

/** What a score filter is judged with: the viewer's stored base, the models now, and the instant. */
export interface ScoreFilterContext {
  /** The viewer's base (`scoreBaseField` in the policy). */
  field: 'scoreBase' | 'scoreBaseOpen';
  /** Every type's model as the DecayService has it now (a hub-admin's change applies to the next query). */
  models: ReadonlyMap<IndicatorType, DecayModel>;
  /** The instant scores are read at. */
  now: Date;
}

/** The score criteria of an `IndicatorFilter`. */
export interface ScoreCriteria {
  /** 0 to 100 (checked by the service). */
  minScore?: number | null;
  excludeDecayed?: boolean | null;
}

/**
 * The least score each type in `types` must reach: `minScore`, raised to the type's threshold
 * with `excludeDecayed` (a score at or above the threshold is not decayed). 0: no condition.
 */
export function leastScores(criteria: ScoreCriteria, types: readonly IndicatorType[], models: ReadonlyMap<IndicatorType, DecayModel>): Map<IndicatorType, number> {
  return new Map(types.map((type) => [type, Math.max(criteria.minScore ?? 0, criteria.excludeDecayed ? models.get(type)!.threshold : 0)]));
}

/**
 * The `$expr` that holds exactly when the score of a claim of model `model` without an override,
 * read from base `field` at `now`, is at least `least`: the formula of `decayScore`
 * (src/domain/decay-model.ts) term for term, `floor(base * (1 - (t / L) ^ (1 / speed)) + 1e-9)`
 * with `t = max(0, now - lastConfirmedAt)`, so that the store and the score shown agree to the
 * last bit (its constants are computed here as JavaScript computes them there). `t >= L` scores 0
 * there; the branch's time bound keeps every claim it passes below `L`.
 */
export function scoreAtLeastExpr(field: string, model: DecayModel, now: Date, least: number): Filter {
  const lifetimeMs = model.lifetimeDays * DAY_MS;
  const t = { $max: [0, { $subtract: [now, '$lastConfirmedAt'] }] };
  const decayed = { $pow: [{ $divide: [t, lifetimeMs] }, 1 / model.speed] };
  const raw = { $multiply: [`$${field}`, { $subtract: [1, decayed] }] };
  return { $gte: [{ $floor: { $add: [raw, 1e-9] } }, least] };
}

/**
 * The oldest last confirmation at which a claim of the highest base (100) still scores `least`
 * at `now`: a bound every match meets, so the branch reads one index range `(type, base >= least,
 * lastConfirmedAt >= bound)` and the `$expr` decides the rest exactly. A millisecond looser than
 * the closed form (`L * (1 - least / 100) ^ speed`) and with the `1e-9` of the floor, so that
 * rounding never makes it tighter than the exact condition.
 */
export function oldestConfirmation(model: DecayModel, now: Date, least: number): Date {
  const lifetimeMs = model.lifetimeDays * DAY_MS;
  const span = lifetimeMs * Math.max(0, 1 - (least - 1e-6) / 100) ** model.speed;
  return new Date(now.getTime() - Math.ceil(span) - 1);
}

/**
 * The filter of `minScore` / `excludeDecayed` over indicators of `types` (those the filter's
 * `type` names, else all), or null when it asks for nothing. One `$or` branch per type that has a
 * condition, each an index range on `(type, <base>, lastConfirmedAt, _id)` with the exact
 * `$expr`, for claims without an override; one branch per least score for overridden claims (few),
 * on `scoreOverride.score`, which neither decays nor reads the base; and one branch for the types
 * without a condition.
 */
export function scoreFilter(criteria: ScoreCriteria, types: readonly IndicatorType[], context: ScoreFilterContext): Filter | null {
  const least = leastScores(criteria, types, context.models);
  if ([...least.values()].every((s) => s <= 0)) return null;
  const branches: Filter[] = [];
  const free = types.filter((type) => least.get(type)! <= 0);
  if (free.length) branches.push({ type: free.length === 1 ? free[0] : { $in: free } });
  const overridden = new Map<number, IndicatorType[]>();
  for (const type of types) {
    const s = least.get(type)!;
    if (s <= 0) continue;
    const model = context.models.get(type)!;
    branches.push({
      type,
      [context.field]: { $gte: s },
      lastConfirmedAt: { $gte: oldestConfirmation(model, context.now, s) },
      'scoreOverride.score': null,
      $expr: scoreAtLeastExpr(context.field, model, context.now, s),
    });
    overridden.set(s, [...(overridden.get(s) ?? []), type]);
  }
  for (const [s, of] of overridden) branches.push({ type: of.length === 1 ? of[0] : { $in: of }, 'scoreOverride.score': { $gte: s } });
  return branches.length === 1 ? branches[0]! : { $or: branches };
}
