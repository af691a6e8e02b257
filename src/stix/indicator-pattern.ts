import type { IndicatorType } from '../domain/types.js';

/** The STIX object path each indicator type is matched on. */
const OBJECT_PATH: Record<IndicatorType, (value: string) => string> = {
  IPV4: () => 'ipv4-addr:value',
  IPV6: () => 'ipv6-addr:value',
  // A CIDR block is matched on the address type it belongs to (the value holds the prefix).
  CIDR: (value) => (value.includes(':') ? 'ipv6-addr:value' : 'ipv4-addr:value'),
  DOMAIN: () => 'domain-name:value',
  URL: () => 'url:value',
  EMAIL: () => 'email-addr:value',
  MD5: () => "file:hashes.'MD5'",
  SHA1: () => "file:hashes.'SHA-1'",
  SHA256: () => "file:hashes.'SHA-256'",
  SHA512: () => "file:hashes.'SHA-512'",
};

/** A STIX patterning string literal: backslashes and single quotes escaped, in quotes. */
export function patternString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The single-comparison STIX pattern matching a normalised value: `[ipv4-addr:value = '198.51.100.7']`. */
export function indicatorPattern(type: IndicatorType, value: string): string {
  return `[${OBJECT_PATH[type](value)} = ${patternString(value)}]`;
}
