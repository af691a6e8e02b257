import { describe, expect, it } from 'vitest';
import {
  confirmedSince, decayBase, decayScore, decaysAt, DEFAULT_DECAY_MODELS, rawDecayScore, validateDecayModel, type DecayModel,
} from '../src/domain/decay-model.js';
import { INDICATOR_TYPES } from '../src/domain/types.js';

const DAY = 86_400_000;
const t0 = new Date('2026-01-01T00:00:00Z');
const at = (days: number) => new Date(t0.getTime() + days * DAY);
const ip = DEFAULT_DECAY_MODELS.IPV4;

describe('decay model', () => {
  it('follows the polynomial: full at confirmation, MISP shape in between, 0 at and past the lifetime', () => {
    const m: DecayModel = { lifetimeDays: 100, speed: 1, threshold: 30 };
    expect(decayScore(80, t0, t0, m)).toEqual({ score: 80, decayed: false });
    expect(decayScore(80, t0, at(25), m).score).toBe(60); // linear at speed 1
    expect(decayScore(80, t0, at(100), m)).toEqual({ score: 0, decayed: true });
    expect(decayScore(80, t0, at(400), m).score).toBe(0);
    // speed 0.5: exponent 2, so a quarter of the lifetime costs 1/16 of the base
    expect(rawDecayScore(80, 25 * DAY, { ...m, speed: 0.5 })).toBeCloseTo(75);
    // a confirmation in the future (clock skew) counts as now
    expect(decayScore(80, at(1), t0, m).score).toBe(80);
  });

  it('is monotone in time and decayed exactly from decaysAt on', () => {
    for (const type of INDICATOR_TYPES) {
      const model = DEFAULT_DECAY_MODELS[type];
      const base = 90;
      const when = decaysAt(base, t0, model)!;
      expect(decayScore(base, t0, new Date(when.getTime() - 1), model).decayed).toBe(false);
      expect(decayScore(base, t0, when, model).decayed).toBe(true);
      let last = Infinity;
      for (let d = 0; d <= model.lifetimeDays + 1; d += Math.max(1, Math.floor(model.lifetimeDays / 50))) {
        const s = decayScore(base, t0, at(d), model).score;
        expect(s).toBeLessThanOrEqual(last);
        last = s;
      }
    }
  });

  it('ages IP addresses in weeks, domains in months and file hashes in years', () => {
    const days = (type: keyof typeof DEFAULT_DECAY_MODELS) => (decaysAt(100, t0, DEFAULT_DECAY_MODELS[type])!.getTime() - t0.getTime()) / DAY;
    expect(days('IPV4')).toBeGreaterThan(7);
    expect(days('IPV4')).toBeLessThan(35);
    expect(days('DOMAIN')).toBeGreaterThan(60);
    expect(days('DOMAIN')).toBeLessThan(200);
    expect(days('SHA256')).toBeGreaterThan(365);
  });

  it('takes its base from confidence and the publisher tier, halved per false-positive reporter', () => {
    expect(decayBase(100, 'CORE')).toBe(100);
    expect(decayBase(100, 'TRUSTED')).toBe(90);
    expect(decayBase(80, 'COMMUNITY')).toBe(60);
    expect(decayBase(100, 'CORE', 1)).toBe(50);
    expect(decayBase(100, 'CORE', 3)).toBe(12);
    expect(decayBase(0, 'CORE')).toBe(0);
    expect(decayBase(80, null)).toBe(80); // the tier not shown: confidence alone
  });

  it('a base below the threshold is decayed from the start; a threshold of 0 never decays', () => {
    expect(decaysAt(20, t0, ip)).toEqual(t0);
    expect(decayScore(20, t0, t0, ip).decayed).toBe(true);
    expect(decaysAt(90, t0, { ...ip, threshold: 0 })).toBeNull();
    // a base equal to the threshold on a flat start (speed below 1) answers at once, exactly
    const hash = DEFAULT_DECAY_MODELS.SHA256;
    const started = Date.now();
    const when = decaysAt(20, t0, hash)!;
    expect(Date.now() - started).toBeLessThan(100);
    expect(decayScore(20, t0, new Date(when.getTime() - 1), hash).decayed).toBe(false);
    expect(decayScore(20, t0, when, hash).decayed).toBe(true);
  });

  it('an override replaces the score and does not decay', () => {
    expect(decayScore(90, t0, at(365), ip, 70)).toEqual({ score: 70, decayed: false });
    expect(decayScore(90, t0, t0, ip, 10)).toEqual({ score: 10, decayed: true });
    expect(decaysAt(90, t0, ip, 70)).toBeNull();
    expect(decaysAt(90, t0, ip, 10)).toEqual(t0);
  });

  it('turns minScore into a bound on the confirmation time (the indexable form)', () => {
    const now = at(400);
    for (const type of INDICATOR_TYPES) {
      const model = DEFAULT_DECAY_MODELS[type];
      for (const [base, min] of [[90, 50], [100, 30], [60, 59], [40, 39]] as const) {
        const since = confirmedSince(min, base, model, now)!;
        expect(decayScore(base, since, now, model).score).toBeGreaterThanOrEqual(min);
        expect(decayScore(base, new Date(since.getTime() - 60_000), now, model).score).toBeLessThan(min);
      }
      expect(confirmedSince(91, 90, model, now)).toBeNull();
    }
  });

  it('refuses a model out of bounds, naming the field', () => {
    expect(validateDecayModel({ lifetimeDays: 10, speed: 1, threshold: 20 })).toEqual({ lifetimeDays: 10, speed: 1, threshold: 20 });
    for (const [bad, field] of [
      [{ lifetimeDays: 0, speed: 1, threshold: 20 }, 'input.lifetimeDays'],
      [{ lifetimeDays: 10, speed: 0, threshold: 20 }, 'input.speed'],
      [{ lifetimeDays: 10, speed: Number.NaN, threshold: 20 }, 'input.speed'],
      [{ lifetimeDays: 10, speed: 1, threshold: 101 }, 'input.threshold'],
      [{ lifetimeDays: 10, speed: 1, threshold: 20.5 }, 'input.threshold'],
    ] as const) {
      try {
        validateDecayModel(bad);
        expect.unreachable();
      } catch (err) {
        expect((err as { extensions: { field: string } }).extensions.field).toBe(field);
      }
    }
  });
});
