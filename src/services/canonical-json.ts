import { stringify as stableStringify } from 'safe-stable-stringify';

/**
 * The same JSON for inputs that mean the same: keys sorted (safe-stable-stringify), null and
 * absent fields alike, so a retry that spells an omitted field as `null` is still the same
 * request. Byte for byte what the hand-written version produced for GraphQL inputs (whose field
 * names are never integer-like), so stored idempotency hashes stay valid.
 *
 * The null fields are dropped by a walk first, then the plain (replacer-less) stringify runs: the
 * same bytes as a replacer that drops them (test/canonical-json.test.ts holds that version as the
 * oracle), at about a third of its cost on a 5,000-item publish (a replacer is a call per key).
 */
export function canonicalJson(value: unknown): string {
  return stableStringify(withoutNullFields(value, '')) ?? 'null';
}

/** `value` with every object field whose (toJSON'd) value is null left out; array items kept. */
function withoutNullFields(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object') return value;
  // As JSON.stringify does: toJSON once (a Date becomes its ISO text), then the result as it is.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return fieldsOf((value as { toJSON: (key: string) => unknown }).toJSON(key));
  return fieldsOf(value);
}

function fieldsOf(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item, i) => withoutNullFields(item, String(i)));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const v = withoutNullFields((value as Record<string, unknown>)[k], k);
    if (v !== null) out[k] = v;
  }
  return out;
}
