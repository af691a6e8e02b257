import { decayBase, decayScore, decaysAt, DEFAULT_DECAY_MODELS, validateDecayModel, type DecayedScore, type DecayModel, type DecayModelDoc } from '../domain/decay-model.js';
import { INDICATOR_TYPES, type IndicatorDoc, type IndicatorType } from '../domain/types.js';
import { assertRole, type ScoreBaseField, type Viewer } from '../policy/policy.js';
import type { DecayModelRepository } from '../store/ports.js';
import type { AuditService } from './audit-service.js';

/** How long another instance's model change may take to reach this one (this instance's own applies at once). */
export const DECAY_MODELS_REFRESH_MS = 5_000;

export interface DecayServiceDeps {
  models: DecayModelRepository;
  audit: Pick<AuditService, 'decayModelSet'>;
  /** The clock scores are read at; default the real one. */
  now?: (() => Date) | undefined;
  /** Default `DECAY_MODELS_REFRESH_MS`. */
  refreshMs?: number;
}

/** An indicator's decay inputs: its stored bases, when it was last confirmed and what an analyst set by hand. */
export type DecayInputs = Pick<IndicatorDoc, 'type' | 'confidence' | 'createdAt'> &
  Partial<Pick<IndicatorDoc, 'lastConfirmedAt' | 'scoreOverride' | 'falsePositiveReporters' | 'scoreBase' | 'scoreBaseOpen'>>;

/** What STIX shows of an indicator's decay. */
export interface DecayFacts extends DecayedScore {
  /** When the score falls below the threshold; null: never. */
  decaysAt: Date | null;
}

/** One type's model as `decayModels` shows it. */
export type TypedDecayModel = { type: IndicatorType } & DecayModel;

/**
 * Reads indicator scores at read time (src/domain/decay-model.ts) by the model of the
 * indicator's type: the documented default unless a hub-admin set one (`setDecayModel`, stored
 * in `decayModels`, audited). Models are cached in memory and re-read after this instance
 * changes one and at most `refreshMs` after another instance did, so a change applies to every
 * indicator at the next read: no indicator carries a copy of its model.
 */
export class DecayService {
  private readonly now: () => Date;
  private readonly refreshMs: number;
  private cache: { at: number; models: Promise<Map<IndicatorType, DecayModel>> } | null = null;

  constructor(private readonly deps: DecayServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.refreshMs = deps.refreshMs ?? DECAY_MODELS_REFRESH_MS;
  }

  /** Every type's model, in the schema's order. */
  async allModels(): Promise<TypedDecayModel[]> {
    const models = await this.models();
    return INDICATOR_TYPES.map((type) => ({ type, ...models.get(type)! }));
  }

  /** The model an indicator type decays by now. */
  async modelFor(type: IndicatorType): Promise<DecayModel> {
    return (await this.models()).get(type)!;
  }

  /** Every type's model now, by type: what score filters are built from (src/store/score-filter.ts). */
  async modelsNow(): Promise<ReadonlyMap<IndicatorType, DecayModel>> {
    return this.models();
  }

  /** The clock's now: the instant scores are read at. */
  nowIs(): Date {
    return this.now();
  }

  /** Sets a type's model (hub-admins); applies to every indicator of the type at its next read. */
  async setModel(viewer: Viewer, type: IndicatorType, input: DecayModel): Promise<TypedDecayModel> {
    assertRole(viewer, 'hub-admin');
    const model = validateDecayModel(input);
    const doc: DecayModelDoc = { _id: type, ...model, updatedAt: this.now(), updatedBy: viewer.userId };
    await this.deps.models.put(doc);
    this.cache = null;
    await this.deps.audit.decayModelSet(viewer, type, model);
    return { type, ...model };
  }

  /**
   * The score and decayed flag of `doc` at the clock's now, from its stored base `field` (the
   * viewer's: `scoreBaseField` in the policy), as score filters read it.
   */
  async scoreOf(doc: DecayInputs, field: ScoreBaseField): Promise<DecayedScore> {
    const model = await this.modelFor(doc.type);
    return decayScore(baseOf(doc, field), refTimeOf(doc), this.now(), model, doc.scoreOverride?.score ?? null);
  }

  /**
   * The score, decayed flag and crossing instant of each indicator, by id, for the STIX mappers
   * (src/stix/indicator-to-stix.ts), from the viewer's base `field`.
   */
  async factsOf(docs: readonly IndicatorDoc[], field: ScoreBaseField): Promise<Map<string, DecayFacts>> {
    const models = await this.models();
    const now = this.now();
    return new Map(docs.map((doc) => {
      const model = models.get(doc.type)!;
      const base = baseOf(doc, field);
      const override = doc.scoreOverride?.score ?? null;
      return [doc._id, { ...decayScore(base, refTimeOf(doc), now, model, override), decaysAt: decaysAt(base, refTimeOf(doc), model, override) }];
    }));
  }

  /** When `doc`'s score, read from base `field`, falls below its model's threshold (null: never). */
  async decaysAt(doc: DecayInputs, field: ScoreBaseField): Promise<Date | null> {
    return decaysAt(baseOf(doc, field), refTimeOf(doc), await this.modelFor(doc.type), doc.scoreOverride?.score ?? null);
  }

  private models(): Promise<Map<IndicatorType, DecayModel>> {
    const at = Date.now();
    if (!this.cache || at - this.cache.at >= this.refreshMs) {
      const models = this.deps.models.all().then((docs) => {
        const map = new Map<IndicatorType, DecayModel>(Object.entries(DEFAULT_DECAY_MODELS) as Array<[IndicatorType, DecayModel]>);
        for (const d of docs) map.set(d._id, { lifetimeDays: d.lifetimeDays, speed: d.speed, threshold: d.threshold });
        return map;
      });
      // A failed read is not cached: the next read tries again.
      models.catch(() => { if (this.cache?.models === models) this.cache = null; });
      this.cache = { at, models };
    }
    return this.cache.models;
  }
}

/**
 * The stored base `field` of `doc`. A claim an earlier hub wrote without it (filled at the next
 * start: ScoreBaseService.backfill) reads as from a COMMUNITY publisher, the lowest weight; score
 * filters leave it out until then.
 */
export function baseOf(doc: DecayInputs, field: ScoreBaseField): number {
  return doc[field] ?? decayBase(doc.confidence, field === 'scoreBase' ? 'COMMUNITY' : null, doc.falsePositiveReporters?.length ?? 0);
}

/** The clock's start: the last re-publication or true-positive sighting; `createdAt` for claims stored before decay existed. */
export function refTimeOf(doc: Pick<IndicatorDoc, 'createdAt'> & Partial<Pick<IndicatorDoc, 'lastConfirmedAt'>>): Date {
  return doc.lastConfirmedAt ?? doc.createdAt;
}
