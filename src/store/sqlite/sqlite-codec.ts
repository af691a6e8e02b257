/**
 * How a stored document becomes a row's `doc` text and back: JSON, with every Date written as
 * `{"$date": <ms>}` so that it reads back as a Date (MongoDB's extended JSON does the same). JSON
 * rather than V8's serializer: the file stays readable by any SQLite tool and any Node version.
 * Plain walks rather than `JSON.stringify`'s replacer and `JSON.parse`'s reviver, which call back
 * for every key and cost about twice as much on the publish path.
 */

const DATE = '$date';

function tagDates(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return { [DATE]: value.getTime() };
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      const t = typeof v === 'object' && v !== null ? tagDates(v) : v;
      if (t !== v) (out ??= value.slice())[i] = t;
    }
    return out ?? value;
  }
  let out: Record<string, unknown> | undefined;
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (typeof v !== 'object' || v === null) continue;
    const t = tagDates(v);
    if (t !== v) (out ??= { ...(value as Record<string, unknown>) })[key] = t;
  }
  return out ?? value;
}

function untagDates(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (typeof value[i] === 'object' && value[i] !== null) value[i] = untagDates(value[i]);
    return value;
  }
  const record = value as Record<string, unknown>;
  const ms = record[DATE];
  if (typeof ms === 'number') {
    let keys = 0;
    for (const _ in record) keys++;
    if (keys === 1) return new Date(ms);
  }
  for (const key in record) {
    const v = record[key];
    if (typeof v === 'object' && v !== null) record[key] = untagDates(v);
  }
  return record;
}

/** The document as JSON text, Dates tagged. The document itself is not changed. */
export function encodeDoc(doc: object): string {
  return JSON.stringify(tagDates(doc));
}

/** The document back from `encodeDoc`'s text, Dates as Dates. */
export function decodeDoc<T>(text: string): T {
  return untagDates(JSON.parse(text)) as T;
}
