import { decayBase, decayScore, decaysAt, DEFAULT_DECAY_MODELS, type DecayedScore, type DecayModel } from '../domain/decay-model.js';
import type { IndicatorDoc, IndicatorType, MemberTier } from '../domain/types.js';

export interface DecayServiceDeps {
  /** The clock scores are read at; default the real one. */
  now?: (() => Date) | undefined;
}

/** An indicator's decay inputs: when it was last confirmed and what an analyst set by hand. */
export type DecayInputs = Pick<IndicatorDoc, 'type' | 'confidence' | 'createdAt'> & Partial<Pick<IndicatorDoc, 'lastConfirmedAt' | 'scoreOverride' | 'falsePositiveReporters'>>;

/**
 * Reads indicator scores at read time (src/domain/decay-model.ts): the model per type, held in
 * memory, so a model change applies to every indicator at the next read. Models are the
 * documented defaults until hub-admins change them (`setDecayModel`, a later step).
 */
export class DecayService {
  private readonly now: () => Date;
  private readonly models = new Map<IndicatorType, DecayModel>(Object.entries(DEFAULT_DECAY_MODELS) as Array<[IndicatorType, DecayModel]>);

  constructor(deps: DecayServiceDeps = {}) {
    this.now = deps.now ?? (() => new Date());
  }

  /** The model an indicator type decays by now. */
  modelFor(type: IndicatorType): DecayModel {
    return this.models.get(type)!;
  }

  /** Every type's model, in the schema's order. */
  allModels(): Array<{ type: IndicatorType } & DecayModel> {
    return [...this.models].map(([type, model]) => ({ type, ...model }));
  }

  /** The score and decayed flag of `doc`, published by a member of `tier`, at the clock's now. */
  scoreOf(doc: DecayInputs, tier: MemberTier): DecayedScore {
    const model = this.modelFor(doc.type);
    return decayScore(this.baseOf(doc, tier), refTimeOf(doc), this.now(), model, doc.scoreOverride?.score ?? null);
  }

  /** When `doc`'s score falls below its model's threshold (null: never). */
  decaysAt(doc: DecayInputs, tier: MemberTier): Date | null {
    return decaysAt(this.baseOf(doc, tier), refTimeOf(doc), this.modelFor(doc.type), doc.scoreOverride?.score ?? null);
  }

  private baseOf(doc: DecayInputs, tier: MemberTier): number {
    return decayBase(doc.confidence, tier, doc.falsePositiveReporters?.length ?? 0);
  }
}

/** The clock's start: the last re-publication or true-positive sighting; `createdAt` for claims stored before decay existed. */
export function refTimeOf(doc: Pick<IndicatorDoc, 'createdAt'> & Partial<Pick<IndicatorDoc, 'lastConfirmedAt'>>): Date {
  return doc.lastConfirmedAt ?? doc.createdAt;
}
