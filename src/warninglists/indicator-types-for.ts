import type { IndicatorType } from '../domain/types.js';

/** MISP attribute types (a list's `matching_attributes`) and the hub indicator types they mean. */
const BY_ATTRIBUTE: Record<string, readonly IndicatorType[]> = {
  'ip-src': ['IPV4', 'IPV6', 'CIDR'],
  'ip-dst': ['IPV4', 'IPV6', 'CIDR'],
  'domain|ip': ['IPV4', 'IPV6', 'CIDR', 'DOMAIN'],
  domain: ['DOMAIN'],
  hostname: ['DOMAIN'],
  url: ['URL'],
  uri: ['URL'],
  link: ['URL'],
  email: ['EMAIL'],
  'email-src': ['EMAIL'],
  'email-dst': ['EMAIL'],
  'target-email': ['EMAIL'],
  'whois-registrant-email': ['EMAIL'],
  md5: ['MD5'],
  sha1: ['SHA1'],
  sha256: ['SHA256'],
  sha512: ['SHA512'],
};

/** The indicator types a MISP list applies to, from its `matching_attributes` (unknown attributes are ignored). */
export function indicatorTypesFor(matchingAttributes: readonly string[]): IndicatorType[] {
  return [...new Set(matchingAttributes.flatMap((a) => BY_ATTRIBUTE[a] ?? []))];
}
