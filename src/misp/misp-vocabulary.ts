/**
 * The MISP words the hub speaks, both ways: attribute types and categories, TLP tags, threat
 * levels, distribution levels and the hub's own machine tags. Sources (checked 2026-12):
 *  - attribute types, their categories and `to_ids` defaults: PyMISP `pymisp/data/describeTypes.json`
 *    (`sane_defaults`), the list MISP itself validates attributes against;
 *  - TLP tags and colours: misp-taxonomies `tlp/machinetag.json` (TLP 2.0: `clear`, `amber+strict`;
 *    `white` kept as the TLP 1.0 spelling of `clear`);
 *  - `threat_level_id`, `analysis` and `distribution` values: misp-rfc `misp-core-format/raw.md`.
 */
import { SEVERITIES, TLPS, type IndicatorType, type Severity, type Tlp } from '../domain/types.js';

/** How the hub writes one indicator type as a MISP attribute. */
export interface MispAttributeKind {
  type: string;
  category: string;
}

/**
 * The attribute type and category each indicator type is exported as. An IP address or network
 * is `ip-dst`: the hub does not know the direction, and `ip-dst` is how MISP records a host to
 * detect connections to (MISP accepts a CIDR value in `ip-dst`). An email address is `email-src`:
 * the hub's EMAIL indicators are senders.
 */
export const EXPORT_KINDS: Readonly<Record<IndicatorType, MispAttributeKind>> = {
  IPV4: { type: 'ip-dst', category: 'Network activity' },
  IPV6: { type: 'ip-dst', category: 'Network activity' },
  CIDR: { type: 'ip-dst', category: 'Network activity' },
  DOMAIN: { type: 'domain', category: 'Network activity' },
  URL: { type: 'url', category: 'Network activity' },
  EMAIL: { type: 'email-src', category: 'Payload delivery' },
  MD5: { type: 'md5', category: 'Payload delivery' },
  SHA1: { type: 'sha1', category: 'Payload delivery' },
  SHA256: { type: 'sha256', category: 'Payload delivery' },
  SHA512: { type: 'sha512', category: 'Payload delivery' },
};

const IP: readonly IndicatorType[] = ['IPV4', 'IPV6', 'CIDR'];

/**
 * The MISP attribute types the hub imports: which indicator types the value may be, and which
 * part of a composite value (`filename|sha256`, `ip-dst|port`) is the indicator. Every other type
 * (text, links, filenames, YARA rules...) is skipped with UNSUPPORTED_TYPE: it is not a value the
 * hub's indicators hold.
 */
export const IMPORT_KINDS: Readonly<Record<string, { types: readonly IndicatorType[]; part?: 'first' | 'second' }>> = {
  'ip-dst': { types: IP },
  'ip-src': { types: IP },
  'ip-dst|port': { types: IP, part: 'first' },
  'ip-src|port': { types: IP, part: 'first' },
  domain: { types: ['DOMAIN'] },
  hostname: { types: ['DOMAIN'] },
  url: { types: ['URL'] },
  email: { types: ['EMAIL'] },
  'email-src': { types: ['EMAIL'] },
  'email-dst': { types: ['EMAIL'] },
  md5: { types: ['MD5'] },
  sha1: { types: ['SHA1'] },
  sha256: { types: ['SHA256'] },
  sha512: { types: ['SHA512'] },
  'filename|md5': { types: ['MD5'], part: 'second' },
  'filename|sha1': { types: ['SHA1'], part: 'second' },
  'filename|sha256': { types: ['SHA256'], part: 'second' },
  'filename|sha512': { types: ['SHA512'], part: 'second' },
};

/** The TLP tags the hub reads (lower-cased names), TLP 1.0 and 2.0 spellings. */
export const TLP_OF_TAG: Readonly<Record<string, Tlp>> = {
  'tlp:white': 'CLEAR',
  'tlp:clear': 'CLEAR',
  'tlp:green': 'GREEN',
  'tlp:amber': 'AMBER',
  'tlp:amber+strict': 'AMBER_STRICT',
  'tlp:red': 'RED',
};

/** The tag the hub writes for each TLP a feed can carry (TLP:RED and AMBER+STRICT never leave), with the taxonomy's colour. */
export const TAG_OF_TLP: Readonly<Record<Tlp, { name: string; colour: string }>> = {
  CLEAR: { name: 'tlp:clear', colour: '#ffffff' },
  GREEN: { name: 'tlp:green', colour: '#339900' },
  AMBER: { name: 'tlp:amber', colour: '#FFC000' },
  AMBER_STRICT: { name: 'tlp:amber+strict', colour: '#FFC000' },
  RED: { name: 'tlp:red', colour: '#CC0033' },
};

/** The stricter of two TLPs (TLPS is ordered from the widest to the narrowest). */
export const stricterTlp = (a: Tlp, b: Tlp): Tlp => (TLPS.indexOf(a) >= TLPS.indexOf(b) ? a : b);

/** `threat_level_id` (1 high, 2 medium, 3 low, 4 undefined) of the most severe indicator of an event. */
export function threatLevelOf(severity: Severity): 1 | 2 | 3 {
  return severity === 'CRITICAL' || severity === 'HIGH' ? 1 : severity === 'MEDIUM' ? 2 : 3;
}

/**
 * The severity an imported attribute gets from its event's `threat_level_id` when it carries no
 * `hub:severity` tag. 4 ("undefined") is no evidence of a low threat: MEDIUM, the middle.
 */
export const SEVERITY_OF_THREAT_LEVEL: Readonly<Record<string, Severity>> = { '1': 'HIGH', '2': 'MEDIUM', '3': 'LOW', '4': 'MEDIUM' };

/** MISP `distribution` values (misp-rfc): 0 your organisation only ... 4 sharing group, 5 inherit the event's (attributes only). */
export const DISTRIBUTION = { organisation: 0, community: 1, connected: 2, all: 3, sharingGroup: 4, inherit: 5 } as const;

/**
 * The hub's machine tags (namespace `hub`), carried on exported attributes so that a MISP user
 * sees what the hub knows and another hub importing the event keeps it: severity, confidence and,
 * where the viewer may see it, the publishing member. Never stored as indicator tags on import.
 */
export const HUB_TAG_NAMESPACE = 'hub:';
export const hubTag = (predicate: 'severity' | 'confidence' | 'source', value: string): string => `${HUB_TAG_NAMESPACE}${predicate}="${value}"`;

/** `hub:severity="high"` to HIGH; null for anything else. */
export function severityOfHubTag(name: string): Severity | null {
  const m = /^hub:severity="([a-z]{1,16})"$/.exec(name);
  const severity = m?.[1]?.toUpperCase();
  return severity && (SEVERITIES as readonly string[]).includes(severity) ? (severity as Severity) : null;
}

/** `hub:confidence="80"` to 80; null for anything else. */
export function confidenceOfHubTag(name: string): number | null {
  const m = /^hub:confidence="(\d{1,3})"$/.exec(name);
  const confidence = m ? Number(m[1]) : NaN;
  return confidence >= 0 && confidence <= 100 ? confidence : null;
}

/** The colour MISP shows a tag the hub writes that no taxonomy defines (PyMISP's default). */
export const DEFAULT_TAG_COLOUR = '#ffffff';
