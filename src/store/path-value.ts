/**
 * A document's value at a field path, dotted through sub-documents (`scoreOverride.score`) as
 * MongoDB reads one for a sort or a column; undefined where the path leaves the document.
 */
export function pathValue(doc: object, path: string): unknown {
  if (!path.includes('.')) return (doc as Record<string, unknown>)[path];
  let v: unknown = doc;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}
