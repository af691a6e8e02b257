import type { GraphQLSchema } from 'graphql';
import type { Tier } from '../domain/types.js';
import { gatedFields } from '../graphql/min-tier.js';
import { canSeeField, type Viewer } from '../policy/policy.js';

/**
 * Which part of the STIX output shows which gated GraphQL field: declared once, here. The tier
 * comes from the SDL (`@minTier`, read by `gatedFields`) and the decision from the policy
 * (`canSeeField`), so STIX is redacted exactly as GraphQL is, and moving a tier in the SDL moves it
 * here too.
 */
export const STIX_GATES = {
  /** An indicator's creator is its publishing member. */
  'indicator.created_by_ref': 'Indicator.source',
  /** Sighting objects, their reporters (`created_by_ref`, `where_sighted_refs`) included. */
  sighting: 'Indicator.sightings',
  'x-model-risk-notice.created_by_ref': 'ModelRiskNotice.source',
  'x-model-risk-notice.mitigations': 'ModelRiskNotice.mitigations',
  'x-model-risk-notice.technical_details': 'ModelRiskNotice.technicalDetails',
  'x-model-risk-notice.evaluation_evidence': 'ModelRiskNotice.evaluationEvidence',
  'x-model-risk-notice.affected_deployments': 'ModelRiskNotice.affectedDeployments',
  /** A member's identity object says who published: served where the source is. */
  identity: 'Indicator.source',
} as const;

export type StixGate = keyof typeof STIX_GATES;

/** What the STIX mappers need to know about a record to gate it: who published it. */
export interface GatedRecord {
  source: string;
}

const bySchema = new WeakMap<GraphQLSchema, StixGates>();

/** The STIX gates of one schema: tiers from its `@minTier` directives, decisions from the policy. */
export class StixGates {
  private readonly tiers = new Map<StixGate, Tier>();

  /** Throws if a gate names a coordinate the schema does not gate: STIX must never fail open. */
  constructor(gated: ReadonlyMap<string, Tier>) {
    for (const [gate, coordinate] of Object.entries(STIX_GATES) as Array<[StixGate, string]>) {
      const tier = gated.get(coordinate);
      if (!tier) throw new Error(`STIX gate ${gate} names ${coordinate}, which the schema does not gate with @minTier`);
      this.tiers.set(gate, tier);
    }
  }

  /** The gates of `schema`, built once per schema. */
  static of(schema: GraphQLSchema): StixGates {
    let gates = bySchema.get(schema);
    if (!gates) bySchema.set(schema, (gates = new StixGates(gatedFields(schema))));
    return gates;
  }

  /** Whether `viewer` sees `gate` on `record` (a member always does on its own records). */
  allows(viewer: Viewer, record: GatedRecord, gate: StixGate): boolean {
    return canSeeField(viewer, record, this.tiers.get(gate)!);
  }

  /** Whether `viewer` sees `gate` on every record, whoever published it. */
  allowsEverywhere(viewer: Viewer, gate: StixGate): boolean {
    return canSeeField(viewer, null, this.tiers.get(gate)!);
  }

  /** The tier a gate opens at for records of others (from the SDL's `@minTier`). */
  tierOf(gate: StixGate): Tier {
    return this.tiers.get(gate)!;
  }

  /** The GraphQL coordinate a gate stands for (`Indicator.source`), as `extensions.redacted` names it. */
  coordinate(gate: StixGate): string {
    return STIX_GATES[gate];
  }
}

/** Who the STIX is for, and where withheld coordinates are reported (GraphQL's `extensions.redacted`). */
export interface StixView {
  viewer: Viewer;
  gates: StixGates;
  /** Told of each gated coordinate left out. Default: nobody. */
  onWithheld?: (coordinate: string) => void;
}

/** Whether the view sees `gate` on `record`; reports the coordinate when it does not. */
export function sees(view: StixView, record: GatedRecord, gate: StixGate): boolean {
  if (view.gates.allows(view.viewer, record, gate)) return true;
  view.onWithheld?.(view.gates.coordinate(gate));
  return false;
}
