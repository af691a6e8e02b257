/**
 * Deterministic indicator values and inputs for the benches. Every generator takes a namespace
 * (0-255, the first IPv4 octet / a name label) and an index, so values never collide across
 * namespaces and indexes.
 */
import { createHash } from 'node:crypto';
import { SEVERITIES, type IndicatorInput, type IndicatorType, type Tlp } from '../../src/domain/types.js';
import { mulberry32 } from '../../src/util/prng.js';

export type GeneratedType = Extract<IndicatorType, 'IPV4' | 'DOMAIN' | 'SHA256' | 'URL'>;

export interface Generated {
  type: GeneratedType;
  /** The canonical (normalised) value. */
  value: string;
  /** A defanged spelling of the same value (what an analyst pastes). */
  defanged: string;
}

/** Cheap deterministic PRNG (mulberry32) so every run uses the same data. */
export const rng = mulberry32;

const NS_NAME = ['seed', 'ingest', 'unknown', 'topup', 'warm', 'extra'];

/** The `i`-th value of namespace `ns`; `types` picks the mix (round-robin). */
export function generate(ns: number, i: number, types: readonly GeneratedType[] = ['IPV4', 'DOMAIN', 'SHA256']): Generated {
  const type = types[i % types.length]!;
  const label = NS_NAME[ns] ?? `ns${ns}`;
  switch (type) {
    case 'IPV4': {
      const value = `${ns + 10}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
      return { type, value, defanged: value.replaceAll('.', '[.]') };
    }
    case 'DOMAIN': {
      const value = `h${i.toString(36)}.${label}.bench-example.com`;
      return { type, value, defanged: value.replaceAll('.', '[.]') };
    }
    case 'URL': {
      const value = `http://h${i.toString(36)}.${label}.bench-example.com/p/${i}`;
      return { type, value, defanged: value.replace('http://', 'hxxp://').replaceAll('.', '[.]') };
    }
    case 'SHA256': {
      const value = createHash('sha256').update(`${label}:${i}`).digest('hex');
      return { type, value, defanged: value.toUpperCase() };
    }
  }
}

export const TLP_MIX: readonly Tlp[] = ['CLEAR', 'CLEAR', 'CLEAR', 'GREEN', 'GREEN', 'AMBER', 'AMBER', 'AMBER_STRICT', 'RED', 'RED'];

/**
 * A realistic publish item for `g`: mixed TLP (20% RED, shared with `redRecipient`), severity,
 * confidence, 0-3 tags, an optional description and validity window.
 */
export function inputFor(g: Generated, i: number, redRecipient: string, random: () => number, tlps: readonly Tlp[] = TLP_MIX): IndicatorInput {
  const tlp = tlps[i % tlps.length]!;
  const tags = ['phishing', 'c2', 'botnet', 'ransomware', 'scanner', 'apt'].filter(() => random() < 0.25).slice(0, 3);
  const validFrom = new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 300) * 86_400_000);
  return {
    value: i % 5 === 0 ? g.defanged : g.value,
    // Half the items name their type, half leave it to inference.
    type: i % 2 === 1 ? g.type : null,
    tlp,
    recipients: tlp === 'RED' ? [redRecipient] : null,
    severity: SEVERITIES[Math.floor(random() * SEVERITIES.length)]!,
    confidence: Math.floor(random() * 101),
    validFrom,
    validUntil: random() < 0.5 ? new Date(validFrom.getTime() + 90 * 86_400_000) : null,
    tags,
    description: random() < 0.6 ? `bench indicator ${i}: observed in ${tags[0] ?? 'generic'} activity` : null,
  };
}

/** The same item as GraphQL variables (Dates as ISO strings). */
export function toVariables(input: IndicatorInput): Record<string, unknown> {
  return {
    ...input,
    validFrom: input.validFrom?.toISOString() ?? null,
    validUntil: input.validUntil?.toISOString() ?? null,
  };
}
