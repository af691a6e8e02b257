/**
 * The idempotency hash's canonical JSON: byte for byte what the replacer-based version produced
 * (kept here as the oracle), since stored request hashes must stay valid across the change.
 */
import { stringify as stableStringify } from 'safe-stable-stringify';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/services/canonical-json.js';
import { generate, inputFor, rng } from '../bench/lib/indicator-data.js';

function oracle(value: unknown): string {
  return (
    stableStringify(value, function (this: unknown, _key: string, v: unknown) {
      return v === null && !Array.isArray(this) ? undefined : v;
    }) ?? 'null'
  );
}

describe('canonicalJson', () => {
  it('matches the replacer-based version on 2,000 publish items of every shape the bench makes', () => {
    const random = rng(7);
    const items = Array.from({ length: 2_000 }, (_, i) => inputFor(generate(0, i, ['IPV4', 'DOMAIN', 'SHA256', 'URL']), i, 'm-reader', random));
    expect(canonicalJson(items)).toBe(oracle(items));
    for (const item of items.slice(0, 200)) expect(canonicalJson(item)).toBe(oracle(item));
  });

  it('matches it on nulls, undefined, nesting, arrays, Dates (valid or not) and toJSON', () => {
    const cases: unknown[] = [
      null,
      undefined,
      0,
      'text',
      [],
      {},
      [null, undefined, 1, { a: null }],
      { b: null, a: undefined, c: [null, { d: null, e: 1 }], f: { g: null } },
      { at: new Date(0), bad: new Date(Number.NaN), list: [new Date(1), new Date(Number.NaN)] },
      { z: 1, a: 2, m: { y: null, b: [3, null] } },
      { custom: { toJSON: () => ({ inner: null, kept: 1 }) }, none: { toJSON: () => null } },
      new Date(Number.NaN),
    ];
    for (const value of cases) expect(canonicalJson(value)).toBe(oracle(value));
  });
});
