/**
 * Copies the MISP warning lists the hub uses (src/warninglists/vendored-lists.ts) from a MISP
 * `misp-warninglists` checkout into vendor/misp-warninglists/, one compact JSON file per list
 * (gzip for the large ones), keeping each list's name, description, version, type,
 * matching_attributes and entries. Usage: `tsx scripts/vendor-warninglists.ts <checkout>`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { COMPRESSED_LISTS, VENDORED_LISTS } from '../src/warninglists/vendored-lists.js';

const source = process.argv[2];
if (!source) {
  console.error('usage: tsx scripts/vendor-warninglists.ts <misp-warninglists checkout>');
  process.exit(2);
}
const target = new URL('../vendor/misp-warninglists/', import.meta.url);
mkdirSync(target, { recursive: true });
let bytes = 0;
for (const name of Object.keys(VENDORED_LISTS)) {
  const list = JSON.parse(readFileSync(`${source}/lists/${name}/list.json`, 'utf8'));
  const kept = {
    name: list.name,
    description: list.description,
    version: list.version,
    type: list.type,
    matching_attributes: list.matching_attributes,
    list: list.list,
  };
  const json = JSON.stringify(kept) + '\n';
  const data = COMPRESSED_LISTS.has(name) ? gzipSync(json, { level: 9 }) : Buffer.from(json);
  writeFileSync(new URL(`${name}.json${COMPRESSED_LISTS.has(name) ? '.gz' : ''}`, target), data);
  bytes += data.length;
  console.log(`${name}: ${list.list.length} entries, ${data.length} bytes`);
}
console.log(`total ${bytes} bytes`);
