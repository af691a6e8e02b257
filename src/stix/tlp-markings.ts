import type { Tlp } from '../domain/types.js';
import { STIX_SPEC_VERSION, type StixObject } from './stix-object.js';

/** The OASIS TLP 2.0 extension-definition the marking definitions below carry. */
export const TLP2_EXTENSION_ID = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';

const TLP2: Record<Tlp, { id: string; name: string; value: string }> = {
  CLEAR: { id: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487', name: 'TLP:CLEAR', value: 'clear' },
  GREEN: { id: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb', name: 'TLP:GREEN', value: 'green' },
  AMBER: { id: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421', name: 'TLP:AMBER', value: 'amber' },
  AMBER_STRICT: { id: 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003', name: 'TLP:AMBER+STRICT', value: 'amber+strict' },
  RED: { id: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1', name: 'TLP:RED', value: 'red' },
};

/** The TLP 2.0 label as FIRST and CSAF spell it, without the `TLP:` prefix (`AMBER+STRICT`). */
export const tlpLabel = (tlp: Tlp): string => TLP2[tlp].name.slice('TLP:'.length);

/** The id of the TLP 2.0 marking-definition for `tlp`: what `object_marking_refs` holds. */
export const tlpMarkingId = (tlp: Tlp): string => TLP2[tlp].id;

/** The TLP 2.0 marking-definition object itself, exactly as OASIS publishes it. */
export function tlpMarkingDefinition(tlp: Tlp): StixObject {
  const { id, name, value } = TLP2[tlp];
  return {
    type: 'marking-definition',
    spec_version: STIX_SPEC_VERSION,
    id,
    created: '2022-10-01T00:00:00.000Z',
    name,
    extensions: { [TLP2_EXTENSION_ID]: { extension_type: 'property-extension', tlp_2_0: value } },
  };
}

/** Which TLP a marking-definition id stands for, or undefined for any other id. */
export function tlpOfMarking(id: string): Tlp | undefined {
  return (Object.keys(TLP2) as Tlp[]).find((tlp) => TLP2[tlp].id === id);
}
