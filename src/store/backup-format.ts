/**
 * The export format of `hub export` / `hub import` (docs/backup.md): NDJSON, one JSON value per
 * line, streamed both ways.
 *
 *   {"collections":[...],"createdAt":"...","format":"the-hub-export","version":1}   header
 *   {"c":"members","d":{...}}                                                     one per document
 *   {"counts":{"members":3,...},"end":true}                                       trailer
 *
 * Documents are grouped by collection, in STORE_COLLECTIONS order, each in `_id` order; keys are
 * sorted, so the same store always gives the same bytes (apart from `createdAt`). A missing
 * trailer means a truncated file, which import refuses.
 *
 * Values JSON cannot hold are tagged, losslessly: a Date is `{"$date":"<ISO>"}`, a number JSON
 * cannot write (NaN, ±Infinity, -0) is `{"$number":"<text>"}`, and an object with a key starting
 * with `$` (which a tag could be mistaken for) is `{"$object":[[key, value], ...]}`. Anything else
 * (a Buffer, a driver type) is refused by name rather than written wrongly.
 */
import { stringify } from 'safe-stable-stringify';
import { STORE_COLLECTIONS, type StoreCollectionName, type StoredDocument } from './ports.js';

export const BACKUP_FORMAT = 'the-hub-export';
export const BACKUP_VERSION = 1;

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: number;
  createdAt: string;
  collections: StoreCollectionName[];
}

export interface BackupTrailer {
  end: true;
  counts: Partial<Record<StoreCollectionName, number>>;
}

export class BackupFormatError extends Error {
  override readonly name = 'BackupFormatError';
}

export function headerLine(createdAt: Date): string {
  const header: BackupHeader = { format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: createdAt.toISOString(), collections: [...STORE_COLLECTIONS] };
  return `${stringify(header)}\n`;
}

export function documentLine(collection: StoreCollectionName, doc: StoredDocument): string {
  return `${stringify({ c: collection, d: encodeValue(doc, `${collection}/${String(doc._id)}`) })}\n`;
}

export function trailerLine(counts: BackupTrailer['counts']): string {
  return `${stringify({ end: true, counts } satisfies BackupTrailer)}\n`;
}

/** Reads the header line; throws a BackupFormatError naming what is wrong. */
export function parseHeader(line: string): BackupHeader {
  const value = parseJson(line, 1) as Partial<BackupHeader> | null;
  if (!value || value.format !== BACKUP_FORMAT) throw new BackupFormatError(`line 1 is not a ${BACKUP_FORMAT} header: not a file written by hub export`);
  if (value.version !== BACKUP_VERSION) throw new BackupFormatError(`export format version ${String(value.version)}; this hub reads version ${BACKUP_VERSION}`);
  const unknown = (value.collections ?? []).filter((c) => !(STORE_COLLECTIONS as readonly string[]).includes(c));
  if (unknown.length) throw new BackupFormatError(`the export holds collections this hub does not know (${unknown.join(', ')}): import it with the hub version that wrote it or newer`);
  return value as BackupHeader;
}

/** One line after the header: a document, or the trailer. */
export function parseLine(line: string, lineNumber: number): { collection: StoreCollectionName; doc: StoredDocument } | BackupTrailer {
  const value = parseJson(line, lineNumber) as { c?: unknown; d?: unknown; end?: unknown; counts?: unknown } | null;
  if (value && value.end === true && typeof value.counts === 'object' && value.counts !== null) return value as BackupTrailer;
  if (!value || typeof value.c !== 'string' || !(STORE_COLLECTIONS as readonly string[]).includes(value.c)) {
    throw new BackupFormatError(`line ${lineNumber}: not a document of a known collection`);
  }
  const doc = decodeValue(value.d) as StoredDocument;
  if (!doc || typeof doc !== 'object' || (typeof doc._id !== 'string' && typeof doc._id !== 'number')) {
    throw new BackupFormatError(`line ${lineNumber}: a ${value.c} document without a string or number _id`);
  }
  return { collection: value.c as StoreCollectionName, doc };
}

function parseJson(line: string, lineNumber: number): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new BackupFormatError(`line ${lineNumber} is not JSON (a damaged or truncated file?)`);
  }
}

/** A stored value as JSON, tagging what JSON cannot hold. `where` names it in errors. */
export function encodeValue(value: unknown, where: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0) ? value : { $number: Object.is(value, -0) ? '-0' : String(value) };
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new BackupFormatError(`${where}: an invalid Date cannot be exported`);
    return { $date: value.toISOString() };
  }
  if (Array.isArray(value)) return value.map((v, i) => (v === undefined ? null : encodeValue(v, `${where}[${i}]`)));
  if (typeof value === 'object' && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.some(([k]) => k.startsWith('$'))) return { $object: entries.map(([k, v]) => [k, encodeValue(v, `${where}.${k}`)]) };
    return Object.fromEntries(entries.map(([k, v]) => [k, encodeValue(v, `${where}.${k}`)]));
  }
  const kind = value === undefined ? 'undefined' : typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
  throw new BackupFormatError(`${where}: a value of type ${kind} has no place in the export format`);
}

export function decodeValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decodeValue);
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1) {
    if (typeof record.$date === 'string') return new Date(record.$date);
    if (typeof record.$number === 'string') return Number(record.$number);
    if (Array.isArray(record.$object)) return Object.fromEntries((record.$object as Array<[string, unknown]>).map(([k, v]) => [k, decodeValue(v)]));
  }
  return Object.fromEntries(keys.map((k) => [k, decodeValue(record[k])]));
}
