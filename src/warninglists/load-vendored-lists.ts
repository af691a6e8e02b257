import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { indicatorTypesFor } from './indicator-types-for.js';
import { COMPRESSED_LISTS, VENDORED_LISTS } from './vendored-lists.js';
import { WARNING_LIST_TYPES, type WarningList, type WarningListType } from './warning-list.js';

/** Where the vendored lists live: `vendor/misp-warninglists/` at the project root (also under dist/). */
export const VENDORED_LISTS_DIR = new URL('../../vendor/misp-warninglists/', import.meta.url);

/**
 * Reads the vendored MISP lists (src/warninglists/vendored-lists.ts names them). Throws when a
 * file is missing or malformed: a hub that silently lost its lists would let `8.8.8.8` through.
 */
export function loadVendoredLists(dir: URL = VENDORED_LISTS_DIR): WarningList[] {
  return Object.entries(VENDORED_LISTS).map(([name, category]) => {
    const compressed = COMPRESSED_LISTS.has(name);
    const raw = readFileSync(new URL(`${name}.json${compressed ? '.gz' : ''}`, dir));
    const json = JSON.parse((compressed ? gunzipSync(raw) : raw).toString('utf8'));
    if (!WARNING_LIST_TYPES.includes(json.type) || !Array.isArray(json.list)) {
      throw new Error(`vendored warning list ${name} is malformed (type ${JSON.stringify(json.type)})`);
    }
    return {
      name,
      version: String(json.version),
      type: json.type as WarningListType,
      category,
      indicatorTypes: indicatorTypesFor(json.matching_attributes ?? []),
      entries: json.list.map(String),
    };
  });
}
