import type { IndicatorType } from '../domain/types.js';

/** What a pattern holds: the value and the indicator type its object path says, or why it is not supported. */
export type ParsedPattern = { ok: true; type: IndicatorType; value: string } | { ok: false; reason: string };

/** The hash names `file:hashes.<name>` may carry, as STIX's hash-algorithm-ov spells them and as tools commonly do. */
const HASHES: Record<string, IndicatorType> = { MD5: 'MD5', 'SHA-1': 'SHA1', SHA1: 'SHA1', 'SHA-256': 'SHA256', SHA256: 'SHA256', 'SHA-512': 'SHA512', SHA512: 'SHA512' };

/**
 * The one comparison `[<object path> = '<value>']` the hub writes (`indicatorPattern`), read back:
 * `ipv4-addr:value` / `ipv6-addr:value` (a CIDR when the value holds a prefix), `domain-name:value`,
 * `url:value`, `email-addr:value`, `file:hashes.'MD5'` (also `SHA-1`, `SHA-256`, `SHA-512`, quoted or
 * not). Anything else (several comparisons, other operators or objects, qualifiers) is not
 * supported: the hub stores single values, and would otherwise store less than the pattern says.
 */
export function parseIndicatorPattern(pattern: string): ParsedPattern {
  const m = /^\s*\[\s*([a-z0-9-]+):([A-Za-z0-9_.'"-]+)\s*=\s*'((?:[^'\\]|\\.)*)'\s*\]\s*$/.exec(pattern);
  if (!m) return { ok: false, reason: "only a single comparison [<object>:<property> = '<value>'] is supported" };
  const [, object, property, quoted] = m as unknown as [string, string, string, string];
  const value = quoted.replace(/\\(.)/g, '$1');
  const path = `${object}:${property}`;
  switch (path) {
    case 'ipv4-addr:value':
      return { ok: true, type: value.includes('/') ? 'CIDR' : 'IPV4', value };
    case 'ipv6-addr:value':
      return { ok: true, type: value.includes('/') ? 'CIDR' : 'IPV6', value };
    case 'domain-name:value':
      return { ok: true, type: 'DOMAIN', value };
    case 'url:value':
      return { ok: true, type: 'URL', value };
    case 'email-addr:value':
      return { ok: true, type: 'EMAIL', value };
  }
  const hash = /^file:hashes\.(?:'([^']+)'|"([^"]+)"|([A-Za-z0-9-]+))$/.exec(path);
  const name = hash ? (hash[1] ?? hash[2] ?? hash[3])!.toUpperCase() : undefined;
  if (name !== undefined && HASHES[name]) return { ok: true, type: HASHES[name], value };
  return { ok: false, reason: `the object path ${path} is not one the hub stores (ipv4-addr, ipv6-addr, domain-name, url, email-addr values; file MD5, SHA-1, SHA-256, SHA-512 hashes)` };
}
