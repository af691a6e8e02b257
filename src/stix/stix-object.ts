/**
 * The JSON shape of what the hub emits as STIX 2.1. A property the viewer may not see is absent
 * from the object (never `null`): STIX has no null, and an absent property reveals nothing.
 */
export interface StixObject {
  type: string;
  id: string;
  [property: string]: unknown;
}

export interface StixBundle {
  type: 'bundle';
  id: string;
  objects: StixObject[];
}

export const STIX_SPEC_VERSION = '2.1';

/** `FIX_AVAILABLE` → `fix-available`: STIX open vocabularies are lower case with hyphens. */
export const stixVocab = (value: string): string => value.toLowerCase().replace(/_/g, '-');

/** STIX timestamps: UTC, millisecond precision (`2026-11-26T09:30:00.000Z`). */
export const stixTimestamp = (date: Date): string => date.toISOString();

/** Copies `object` without the properties whose value is undefined, null or an empty list. */
export function compact<T extends Record<string, unknown>>(object: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) continue;
    out[key] = value;
  }
  return out as T;
}
