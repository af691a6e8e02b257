/**
 * Validates what the hub emits against the official OASIS STIX 2.1 JSON schemas (Ajv, draft
 * 2020-12), plus what the schemas do not check. See ../vendor/stix2-json-schemas/ORIGIN.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { domainToASCII, fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';

const SCHEMA_DIR = fileURLToPath(new URL('../vendor/stix2-json-schemas/schemas/', import.meta.url));
const BASE = 'http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/';

/** The schema each STIX type must satisfy; a custom object type satisfies the core (common) schema. */
const SCHEMA_OF: Record<string, string> = {
  indicator: 'sdos/indicator.json',
  sighting: 'sros/sighting.json',
  identity: 'sdos/identity.json',
  'marking-definition': 'common/marking-definition.json',
  'extension-definition': 'common/extension-definition.json',
  bundle: 'common/bundle.json',
};

export const TLP2_MARKING_IDS = new Set([
  'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
]);

function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, unicodeRegExp: false, allErrors: true });
  formats.default(ajv);
  ajv.addFormat('idn-hostname', (value: string) => domainToASCII(value) !== '');
  for (const dir of readdirSync(SCHEMA_DIR)) {
    for (const file of readdirSync(join(SCHEMA_DIR, dir))) {
      if (file.endsWith('.json')) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, dir, file), 'utf8')));
    }
  }
  return ajv;
}

let shared: Ajv2020 | undefined;

/** The schema path a STIX object is validated against. */
export const schemaPathOf = (object: { type: string }): string => SCHEMA_OF[object.type] ?? 'common/core.json';

/** Schema errors of one STIX object (or bundle), as readable lines; empty when valid. */
export function schemaErrors(object: { type: string }): string[] {
  shared ??= createAjv();
  const validate = shared.getSchema(`${BASE}${schemaPathOf(object)}`);
  if (!validate) throw new Error(`schema ${schemaPathOf(object)} is not registered`);
  if (validate(object)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** The types bundle.json lists by name; it judges every other type through its custom-object branch. */
const BUNDLE_LISTED = new Set(['indicator', 'sighting', 'identity', 'marking-definition']);

/**
 * Schema errors of a bundle. The official bundle.json accepts a custom object (or an
 * extension-definition, which it does not list) only if it matches exactly one of core.json and
 * cyber-observable-core.json, and every object valid against core.json is valid against the
 * looser cyber-observable-core.json too: no custom SDO can pass. So the bundle is validated with
 * its listed types in place, and each other object against the schema it must satisfy on its own.
 */
export function bundleErrors(bundle: { type: string; objects: Array<{ type: string; id: string }> }): string[] {
  const listed = { ...bundle, objects: bundle.objects.filter((o) => BUNDLE_LISTED.has(o.type)) };
  const others = bundle.objects.filter((o) => !BUNDLE_LISTED.has(o.type));
  return [...schemaErrors(listed), ...others.flatMap((o) => schemaErrors(o).map((e) => `${o.id}: ${e}`))];
}

/**
 * What the schemas miss: `valid_until` after `valid_from`, `modified` not before `created`, and
 * exactly one TLP 2.0 marking on every object that carries markings.
 */
export function hubCheckErrors(object: Record<string, unknown>): string[] {
  const errors: string[] = [];
  if (typeof object.valid_until === 'string' && !(Date.parse(object.valid_until) > Date.parse(String(object.valid_from)))) {
    errors.push(`valid_until ${object.valid_until} is not after valid_from ${String(object.valid_from)}`);
  }
  if (typeof object.modified === 'string' && Date.parse(object.modified) < Date.parse(String(object.created))) errors.push('modified is before created');
  if (object.type !== 'marking-definition') {
    const markings = (object.object_marking_refs as string[] | undefined) ?? [];
    const tlp = markings.filter((m) => TLP2_MARKING_IDS.has(m));
    if (tlp.length !== 1) errors.push(`expected exactly one TLP 2.0 marking, got ${JSON.stringify(markings)}`);
  }
  return errors;
}

/** Every problem with a STIX object: schema and hub checks. */
export const stixProblems = (object: Record<string, unknown> & { type: string }): string[] => [...schemaErrors(object), ...hubCheckErrors(object)];
