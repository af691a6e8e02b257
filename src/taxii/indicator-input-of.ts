import { SEVERITIES, TLPS, type IndicatorInput, type Severity, type Tlp } from '../domain/types.js';
import { parseIndicatorPattern } from '../stix/parse-indicator-pattern.js';
import { HUB_EXTENSION_ID } from '../stix/stix-ids.js';
import { tlpOfMarking } from '../stix/tlp-markings.js';
import { timestampDate } from './stix-timestamp.js';

/**
 * The STIX 2.1 specification's own TLP 1.0 marking-definitions (§7.2.1.4), which OpenCTI and
 * older tools still reference: TLP:WHITE is TLP 2.0's CLEAR.
 */
const TLP1_MARKINGS: Readonly<Record<string, Tlp>> = {
  'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9': 'CLEAR',
  'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da': 'GREEN',
  'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82': 'AMBER',
  'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed': 'RED',
};

/** The TLP a marking-definition id stands for (TLP 2.0, or the STIX 2.1 TLP 1.0 ones), or undefined. */
export function tlpOfMarkingRef(id: string): Tlp | undefined {
  return tlpOfMarking(id) ?? TLP1_MARKINGS[id];
}

/** When a STIX indicator has no `confidence` (STIX: "unspecified"), the hub stores this middle value. */
export const DEFAULT_CONFIDENCE = 50;
/** When a STIX indicator has no hub `severity` (the hub's property-extension), the hub stores this. */
export const DEFAULT_SEVERITY: Severity = 'MEDIUM';

export type IndicatorInputResult = { ok: true; input: IndicatorInput } | { ok: false; reason: string };

/**
 * A STIX 2.1 `indicator` as the `IndicatorInput` `publishIndicators` takes (docs/taxii.md,
 * "Writing: add objects"): the value from a supported pattern; the TLP from `object_marking_refs`
 * (the most restrictive TLP marking named; none is refused); TLP:RED recipients and the severity
 * from the hub's property-extension; `confidence`, `valid_from`, `valid_until`, `labels` (tags)
 * and `description` as they are. The service then validates and normalises it as it does any
 * publish. Only what the object itself holds is read here: nothing about any stored record.
 */
export function indicatorInputOf(object: Record<string, unknown>): IndicatorInputResult {
  if (object.pattern_type !== 'stix') return { ok: false, reason: `pattern_type ${JSON.stringify(object.pattern_type ?? null)} is not supported (only stix)` };
  if (typeof object.pattern !== 'string') return { ok: false, reason: 'pattern is missing' };
  const parsed = parseIndicatorPattern(object.pattern);
  if (!parsed.ok) return { ok: false, reason: `pattern: ${parsed.reason}` };

  const refs = object.object_marking_refs;
  if (refs !== undefined && (!Array.isArray(refs) || refs.some((r) => typeof r !== 'string'))) return { ok: false, reason: 'object_marking_refs must be a list of marking-definition ids' };
  const tlps = ((refs as string[] | undefined) ?? []).flatMap((r) => tlpOfMarkingRef(r) ?? []);
  if (tlps.length === 0) return { ok: false, reason: 'object_marking_refs names no TLP marking-definition: the hub stores nothing without a TLP' };
  const tlp = tlps.reduce((a, b) => (TLPS.indexOf(b) > TLPS.indexOf(a) ? b : a));

  const extension = object.extensions && typeof object.extensions === 'object' ? ((object.extensions as Record<string, unknown>)[HUB_EXTENSION_ID] as Record<string, unknown> | undefined) : undefined;
  let severity = DEFAULT_SEVERITY;
  if (extension?.severity !== undefined) {
    const named = typeof extension.severity === 'string' ? extension.severity.toUpperCase() : '';
    if (!(SEVERITIES as readonly string[]).includes(named)) return { ok: false, reason: `severity must be one of ${SEVERITIES.map((s) => s.toLowerCase()).join(', ')}` };
    severity = named as Severity;
  }
  const recipients = extension?.recipients;
  if (recipients !== undefined && (!Array.isArray(recipients) || recipients.some((r) => typeof r !== 'string'))) return { ok: false, reason: 'recipients must be a list of member or community ids' };

  const confidence = object.confidence ?? DEFAULT_CONFIDENCE;
  if (typeof confidence !== 'number') return { ok: false, reason: 'confidence must be an integer from 0 to 100' };
  const validFrom = timestampDate(object.valid_from);
  if (!validFrom) return { ok: false, reason: 'valid_from must be a STIX timestamp' };
  const validUntil = object.valid_until === undefined ? null : timestampDate(object.valid_until);
  if (validUntil === null && object.valid_until !== undefined) return { ok: false, reason: 'valid_until must be a STIX timestamp' };
  const labels = object.labels ?? [];
  if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string')) return { ok: false, reason: 'labels must be a list of strings' };
  if (object.description !== undefined && typeof object.description !== 'string') return { ok: false, reason: 'description must be a string' };

  return {
    ok: true,
    input: {
      value: parsed.value,
      type: parsed.type,
      tlp,
      recipients: (recipients as string[] | undefined) ?? null,
      severity,
      confidence,
      validFrom,
      validUntil,
      tags: labels as string[],
      description: (object.description as string | undefined) ?? null,
    },
  };
}
