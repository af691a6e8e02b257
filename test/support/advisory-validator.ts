/**
 * Validates the clearinghouse's exports against the official schemas vendored in
 * ../vendor/advisory-schemas/ (see its ORIGIN.md): CSAF 2.1 and OSV (JSON Schema 2020-12, Ajv2020),
 * CVE JSON 5 (draft-07, Ajv). STIX objects go through ./stix-validator.ts.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';

const DIR = fileURLToPath(new URL('../vendor/advisory-schemas/', import.meta.url));
const load = (path: string): Record<string, unknown> => JSON.parse(readFileSync(`${DIR}${path}`, 'utf8'));

/** SSVC selection lists: CSAF's `ssvc_v2` refers to one; the hub emits no SSVC, so any value stands in (ORIGIN.md). */
const SSVC_SELECTION_LIST = 'https://certcc.github.io/SSVC/data/schema/v2/SelectionList_2_0_0.schema.json';

let validators: { csaf: ValidateFunction; osv: ValidateFunction; cveRecord: ValidateFunction; cnaContainer: ValidateFunction } | undefined;

function build() {
  const a2020 = new Ajv2020({ strict: false, allErrors: true });
  formats.default(a2020);
  // FIRST's CVSS schemas carry a dated `$id` (`...cvss-v3.1.json?20190610`); CSAF refers to them without the date.
  for (const v of ['2.0', '3.0', '3.1', '4.0']) a2020.addSchema(load(`first-cvss/cvss-v${v}.json`), `https://www.first.org/cvss/cvss-v${v}.json`);
  a2020.addSchema({ $id: SSVC_SELECTION_LIST });
  // CSAF's meta-schema asserts formats with the 2020-12 format-assertion vocabulary, which Ajv does not ship.
  a2020.addSchema(load('json-schema/format-assertion.json'));
  a2020.addSchema(load('csaf-2.1/meta.json'));
  a2020.addSchema(load('csaf-2.1/extension-metaschema.json'));
  a2020.addSchema(load('csaf-2.1/extension-content.json'));
  const csaf = a2020.compile(load('csaf-2.1/csaf.json'));
  const osv = a2020.compile(load('osv/schema.json'));

  const a7 = new Ajv({ strict: false, allErrors: true });
  formats.default(a7);
  const cve = load('cve-5/CVE_JSON_bundled_5.1.1.json');
  a7.addSchema(cve);
  const cveRecord = a7.getSchema(String(cve.$id))!;
  const cnaContainer = a7.getSchema(`${String(cve.$id)}#/definitions/cnaPublishedContainer`)!;
  return { csaf, osv, cveRecord, cnaContainer };
}

function errorsOf(validate: ValidateFunction, value: unknown): string[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** Schema errors of a CSAF 2.1 document; empty when valid. */
export const csafErrors = (doc: unknown): string[] => errorsOf((validators ??= build()).csaf, doc);
/** Schema errors of an OSV record. */
export const osvErrors = (doc: unknown): string[] => errorsOf((validators ??= build()).osv, doc);
/** Schema errors of a complete CVE JSON 5 record. */
export const cveRecordErrors = (doc: unknown): string[] => errorsOf((validators ??= build()).cveRecord, doc);
/** Schema errors of a CVE JSON 5 CNA container (a published one's: what CVE Services accepts). */
export const cnaContainerErrors = (doc: unknown): string[] => errorsOf((validators ??= build()).cnaContainer, doc);
