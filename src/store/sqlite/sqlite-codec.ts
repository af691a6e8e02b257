/**
 * How a stored document becomes a row's `doc` text and back: JSON, with every Date written as
 * `{"$date": <ms>}` so that it reads back as a Date (MongoDB's extended JSON does the same). JSON
 * rather than V8's serializer: the file stays readable by any SQLite tool and any Node version.
 */

const DATE = '$date';

/** The document as JSON text, Dates tagged. */
export function encodeDoc(doc: object): string {
  return JSON.stringify(doc, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { [DATE]: raw.getTime() } : value;
  });
}

/** The document back from `encodeDoc`'s text, Dates as Dates. */
export function decodeDoc<T>(text: string): T {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const ms = (value as Record<string, unknown>)[DATE];
      if (typeof ms === 'number' && Object.keys(value).length === 1) return new Date(ms);
    }
    return value;
  }) as T;
}
