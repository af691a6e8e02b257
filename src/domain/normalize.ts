/**
 * Indicator-value normalisation: the single place that decides what an indicator "is" and the
 * canonical string that dedup and lookups match on.
 *
 * Called for every item of batch publishes and lookups, so it is written for speed:
 *  - no regex with nested or adjacent quantifiers that could backtrack (refanging is a hand-written
 *    linear scanner; the few regexes used are anchored and linear),
 *  - `new URL()` is only constructed for values that look like URLs,
 * *  - IDNA (tr46) runs only for non-ASCII domains or `xn--` labels,
 *  - validators return a `Fail` value instead of throwing, so `tryNormalizeIndicator` never pays
 *    for an exception and type-mismatch detection is cheap.
 *
 * Decisions (see the tests in test/normalize.test.ts):
 *  - Underscores are allowed in domain labels (real DNS names such as `_dmarc.example.com`), but
 *    never in the top-level label.
 *  - URL fragments (`#...`) are dropped: they never reach a server, so they only split duplicates.
 *  - IPv4-mapped IPv6 addresses (`::ffff:0:0/96`) are written in the RFC 5952 section 5 mixed
 *    form `::ffff:192.0.2.1`. NB: ipaddr.js's `toRFC5952String()` prints them as `::ffff:c000:201`,
 *    so that one case is formatted here. Every other IPv6 value is exactly `toRFC5952String()`.
 *    (Hosts inside URLs keep the WHATWG serialisation, which is hex: `http://[::ffff:c000:201]/`.)
 *  - Embedded dotted IPv4 in IPv6 text (`::ffff:1.2.3.4`, `::1.2.3.4`) must follow the strict IPv4
 *    rules and is converted here rather than by ipaddr.js, which is lenient about it and also
 *    rewrites the IPv4-compatible form `::1.2.3.4` into the mapped `::ffff:102:304` (a different
 *    address).
 *  - URLs: any scheme is accepted if the URL has a host. Special schemes (http, https, ftp, ws,
 *    wss) get the WHATWG normal form as is; for other schemes (e.g. `ftps`, `tcp`, `ldap`) WHATWG
 *    keeps the host opaque, so it is lower-cased and punycoded here. Parseable URLs without a
 *    host (`javascript:`, `mailto:`, `file:///`) are UNSUPPORTED_VALUE. Credentials are kept.
 *    WHATWG's own host rules apply inside URLs (e.g. `http://0x7f.1/` becomes
 *    `http://127.0.0.1/`, which is what a browser would connect to).
 *  - ASCII control characters are rejected in URLs and email local parts (WHATWG would silently
 *    delete tabs and newlines, merging unrelated values).
 *  - `mailto:user@example.com` is rejected rather than stored with `mailto:` in the local part.
 */
import tr46 from 'tr46';
import ipaddr from 'ipaddr.js';
import type { IndicatorType } from './types.js';

export interface Normalized {
  type: IndicatorType;
  value: string;
}

export type NormalizeErrorCode = 'INVALID_VALUE' | 'TYPE_MISMATCH' | 'UNSUPPORTED_VALUE';

export class NormalizeError extends Error {
  readonly code: NormalizeErrorCode;

  constructor(code: NormalizeErrorCode, message: string) {
    super(message);
    this.name = 'NormalizeError';
    this.code = code;
  }
}

const MAX_LENGTH = 2048;
const MAX_SHOWN = 80;

/** Internal failure value: validators return it rather than throw. */
class Fail {
  constructor(
    readonly code: NormalizeErrorCode,
    readonly reason: string,
  ) {}
}
type Result = string | Fail;

const invalid = (reason: string): Fail => new Fail('INVALID_VALUE', reason);

/** The offending input, quoted, cut to its first 80 characters. */
function quote(input: string): string {
  return input.length > MAX_SHOWN ? `${JSON.stringify(input.slice(0, MAX_SHOWN))}…` : JSON.stringify(input);
}

function article(type: IndicatorType): string {
  return type === 'IPV4' || type === 'IPV6' || type === 'EMAIL' || type === 'MD5' ? 'an' : 'a';
}

// ---------------------------------------------------------------------------------------------
// Refanging
// ---------------------------------------------------------------------------------------------

const SCHEME_DEFANG = /^(\s*)(hxxp|fxp)(s?):\/\//i;

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09;

/**
 * Length of the defang token starting at `i` (an opening bracket) and its replacement, or null.
 * Tokens: [.] (.) {.} [dot] (dot) {dot} -> "."; [@] (@) [at] (at) -> "@"; [:] -> ":"; [://] -> "://".
 */
function matchToken(s: string, i: number): [number, string] | null {
  const open = s.charCodeAt(i);
  const close = open === 0x5b ? 0x5d : open === 0x28 ? 0x29 : 0x7d; // [] () {}
  // 1-character inner: . @ :
  if (s.charCodeAt(i + 2) === close) {
    const inner = s.charCodeAt(i + 1);
    if (inner === 0x2e) return [3, '.'];
    if (inner === 0x40 && open !== 0x7b) return [3, '@'];
    if (inner === 0x3a && open === 0x5b) return [3, ':'];
    return null;
  }
  // 2-character inner: at
  if (s.charCodeAt(i + 3) === close) {
    if (open !== 0x7b && s.slice(i + 1, i + 3).toLowerCase() === 'at') return [4, '@'];
    return null;
  }
  // 3-character inner: dot ://
  if (s.charCodeAt(i + 4) === close) {
    const inner = s.slice(i + 1, i + 4);
    if (inner.toLowerCase() === 'dot') return [5, '.'];
    if (inner === '://' && open === 0x5b) return [5, '://'];
  }
  return null;
}

/** Undo common defanging. Linear in the input; ordinary brackets (IPv6 URL hosts) are untouched. */
export function refang(raw: string): string {
  let s = raw;
  let hasBracket = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5b || c === 0x28 || c === 0x7b) {
      hasBracket = true;
      break;
    }
  }
  if (hasBracket) {
    let out = '';
    let last = 0; // start of the not-yet-copied segment
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== 0x5b && c !== 0x28 && c !== 0x7b) continue;
      const token = matchToken(s, i);
      if (token === null) continue;
      let j = i;
      while (j > last && isSpace(s.charCodeAt(j - 1))) j--;
      out += s.slice(last, j) + token[1];
      let k = i + token[0];
      while (k < s.length && isSpace(s.charCodeAt(k))) k++;
      last = k;
      i = k - 1;
    }
    s = out + s.slice(last);
  }
  const c0 = s.charCodeAt(0) | 0x20; // first char, lower-cased if a letter
  if (c0 === 0x68 || c0 === 0x66 || isSpace(s.charCodeAt(0))) {
    const m = SCHEME_DEFANG.exec(s);
    if (m !== null) {
      const scheme = (m[2] as string).toLowerCase() === 'fxp' ? 'ftp' : 'http';
      s = `${m[1] as string}${scheme}${(m[3] as string).toLowerCase()}://${s.slice(m[0].length)}`;
    }
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Character helpers
// ---------------------------------------------------------------------------------------------

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHexChar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

function isHex(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isHexChar(s.charCodeAt(i))) return false;
  return true;
}

function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Hashes
// ---------------------------------------------------------------------------------------------

type HashType = 'MD5' | 'SHA1' | 'SHA256' | 'SHA512';

const HASH_LENGTH: Record<HashType, number> = { MD5: 32, SHA1: 40, SHA256: 64, SHA512: 128 };
const HASH_BY_LENGTH = new Map<number, HashType>([
  [32, 'MD5'],
  [40, 'SHA1'],
  [64, 'SHA256'],
  [128, 'SHA512'],
]);

/** Hashes of the empty input: they match every empty file and are never a useful indicator. */
const EMPTY_INPUT_HASHES = new Set([
  'd41d8cd98f00b204e9800998ecf8427e',
  'da39a3ee5e6b4b0d3255bfef95601890afd80709',
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e',
]);

function normalizeHash(s: string, type: HashType): Result {
  const want = HASH_LENGTH[type];
  if (!isHex(s)) return invalid(`${type} must be ${want} hexadecimal characters`);
  if (s.length !== want) return invalid(`${type} must be ${want} hexadecimal characters, got ${s.length}`);
  const value = s.toLowerCase();
  let zeros = true;
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) !== 0x30) {
      zeros = false;
      break;
    }
  }
  if (zeros) return invalid(`${type} is all zeros`);
  if (EMPTY_INPUT_HASHES.has(value)) return invalid(`${type} is the hash of empty input`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// IPv4 (strict dotted quad)
// ---------------------------------------------------------------------------------------------

/**
 * Strict IPv4: exactly four decimal octets 0-255 without leading zeros. Such a string is already
 * canonical, so on success the input itself is returned.
 */
function normalizeIPv4(s: string): Result {
  let dots = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 0x2e) dots++;
  if (dots !== 3) return invalid('IPv4 address must be four dotted decimal octets (a.b.c.d), not shorthand');
  let octets = 0;
  let digits = 0;
  let value = 0;
  let firstDigit = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i === s.length ? 0x2e : s.charCodeAt(i);
    if (isDigit(c)) {
      if (digits === 0) firstDigit = c;
      else if (firstDigit === 0x30) return invalid('IPv4 octets must not have leading zeros (ambiguous octal)');
      if (++digits > 3) return invalid('IPv4 octets must be 0-255');
      value = value * 10 + (c - 0x30);
    } else if (c === 0x2e) {
      if (digits === 0) return invalid('IPv4 address must be four dotted decimal octets (a.b.c.d)');
      if (value > 255) return invalid('IPv4 octets must be 0-255');
      if (++octets > 4) return invalid('IPv4 address must be four dotted decimal octets (a.b.c.d)');
      digits = 0;
      value = 0;
    } else {
      return invalid('IPv4 address must be four dotted decimal octets (a.b.c.d)');
    }
  }
  if (octets !== 4) return invalid('IPv4 address must be four dotted decimal octets (a.b.c.d)');
  return s;
}

/** Only digits and dots: a value that can only be meant as an IPv4 address (never a domain). */
function isDigitsAndDots(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c) && c !== 0x2e) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// IPv6
// ---------------------------------------------------------------------------------------------

/** Longest textual IPv6 address: `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`. */
const MAX_IPV6_LENGTH = 45;

/** IPv6 text: hex digits, ":" and "." (at least one ":"), optionally "%zone" so that zone ids get a clear message. */
function looksLikeIPv6(s: string): boolean {
  if (s.length > MAX_IPV6_LENGTH + 20 || s.indexOf(':') === -1) return false;
  let zone = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (zone) {
      const lc = c | 0x20;
      if (!isDigit(c) && !(lc >= 0x61 && lc <= 0x7a) && c !== 0x2d && c !== 0x2e && c !== 0x5f) return false;
    } else if (c === 0x25) {
      zone = true;
    } else if (!isHexChar(c) && c !== 0x3a && c !== 0x2e) {
      return false;
    }
  }
  return true;
}

function parseIPv6(s: string): ipaddr.IPv6 | Fail {
  if (s.indexOf('%') !== -1) return invalid('IPv6 zone ids (%...) are not accepted');
  if (s.length > MAX_IPV6_LENGTH) return invalid('not a valid IPv6 address');
  let text = s;
  if (text.indexOf('.') !== -1) {
    // Embedded IPv4 in the last 32 bits: apply the strict IPv4 rules, then hand ipaddr.js hex.
    const colon = text.lastIndexOf(':');
    const v4 = text.slice(colon + 1);
    const ok = normalizeIPv4(v4);
    if (ok instanceof Fail) return invalid(`embedded ${ok.reason}`);
    const o = v4.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, colon + 1)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isHexChar(c) && c !== 0x3a) return invalid('not a valid IPv6 address');
  }
  // IPv6.parse (strict: no IPv4 shorthand, unlike ipaddr.parse). IPv6.isValid is just parse inside
  // a try/catch, so calling both would parse twice.
  try {
    return ipaddr.IPv6.parse(text);
  } catch {
    return invalid('not a valid IPv6 address');
  }
}

/** RFC 5952 text; IPv4-mapped addresses in the section 5 mixed form (`::ffff:192.0.2.1`). */
function formatIPv6(addr: ipaddr.IPv6): string {
  const p = addr.parts;
  // ::ffff:0:0/96, checked directly: addr.isIPv4MappedAddress() walks every special range (slow).
  if (p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0xffff) {
    const hi = p[6] as number;
    const lo = p[7] as number;
    return `::ffff:${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return addr.toRFC5952String();
}

function normalizeIPv6(s: string): Result {
  const addr = parseIPv6(s);
  return addr instanceof Fail ? addr : formatIPv6(addr);
}

// ---------------------------------------------------------------------------------------------
// CIDR
// ---------------------------------------------------------------------------------------------

/** Prefix length: 1-3 decimal digits, no leading zero (except "0"); -1 if malformed. */
function parsePrefix(s: string): number {
  if (s.length === 0 || s.length > 3 || (s.length > 1 && s.charCodeAt(0) === 0x30)) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

function normalizeCIDR(s: string): Result {
  const slash = s.indexOf('/');
  if (slash === -1) return invalid('a CIDR block must be address/prefix-length');
  const addrPart = s.slice(0, slash);
  const prefix = parsePrefix(s.slice(slash + 1));

  if (isDigitsAndDots(addrPart)) {
    const ok = normalizeIPv4(addrPart);
    if (ok instanceof Fail) return ok;
    if (prefix < 0 || prefix > 32) return invalid('IPv4 CIDR prefix length must be 0-32 without leading zeros');
    const o = addrPart.split('.').map(Number) as [number, number, number, number];
    const ip = ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const net = (ip & mask) >>> 0;
    return `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${prefix}`;
  }

  if (looksLikeIPv6(addrPart)) {
    const addr = parseIPv6(addrPart);
    if (addr instanceof Fail) return addr;
    if (prefix < 0 || prefix > 128) return invalid('IPv6 CIDR prefix length must be 0-128 without leading zeros');
    const parts = addr.parts.slice();
    for (let i = 0; i < 8; i++) {
      const bits = prefix - i * 16; // bits of this 16-bit group inside the prefix
      if (bits >= 16) continue;
      parts[i] = bits <= 0 ? 0 : (parts[i] as number) & ((0xffff << (16 - bits)) & 0xffff);
    }
    return `${formatIPv6(new ipaddr.IPv6(parts))}/${prefix}`;
  }

  return invalid('a CIDR block must be an IPv4 or IPv6 address, "/", and a prefix length');
}

// ---------------------------------------------------------------------------------------------
// Domains
// ---------------------------------------------------------------------------------------------

const MAX_DOMAIN_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

/** UTS #46 non-transitional processing, as WHATWG URL hosts: `_` allowed (no STD3 rules), lengths checked below. */
const IDNA_OPTIONS = { checkBidi: true, checkHyphens: false, checkJoiners: true, useSTD3ASCIIRules: false, verifyDNSLength: false, transitionalProcessing: false } as const;

/**
 * Lower-case, strip one trailing dot, punycode, and check the label rules. `minLabels` is 2 for
 * DOMAIN and email domains, 1 for the opaque hosts of non-special URL schemes.
 */
function normalizeDomain(s: string, minLabels = 2): Result {
  let ascii = true;
  let xn = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      ascii = false;
      continue;
    }
    const lc = c | 0x20;
    if ((lc >= 0x61 && lc <= 0x7a) || isDigit(c) || c === 0x2d || c === 0x2e || c === 0x5f) {
      if (c === 0x2d && s.charCodeAt(i - 1) === 0x2d && (s.charCodeAt(i - 2) | 0x20) === 0x6e) xn = true;
      continue;
    }
    if (c === 0x2f) return invalid('a domain cannot contain "/" (a URL needs a scheme such as http://)');
    return invalid(`a domain cannot contain ${JSON.stringify(s[i])}`);
  }

  let d: string;
  if (ascii && !xn) {
    d = s.toLowerCase();
  } else {
    // Non-ASCII (IDN) or an `xn--` label to verify, with UTS #46 from tr46 (its own tables and
    // punycode), never Node's domainToASCII: Node 24 stopped rejecting invalid `xn--` labels, and
    // what the hub accepts must not depend on the Node version. The ASCII characters were checked
    // above, so nothing here can be misread as a path or port.
    const converted = tr46.toASCII(s, IDNA_OPTIONS);
    if (converted === null) return invalid('not a valid internationalised domain name');
    d = converted;
  }
  if (d.charCodeAt(d.length - 1) === 0x2e) d = d.slice(0, -1); // exactly one trailing dot
  if (d.length === 0) return invalid('a domain cannot be empty');
  if (d.length > MAX_DOMAIN_LENGTH) return invalid(`a domain must be at most ${MAX_DOMAIN_LENGTH} characters`);

  let labels = 0;
  let start = 0;
  for (let i = 0; i <= d.length; i++) {
    if (i < d.length && d.charCodeAt(i) !== 0x2e) continue;
    const len = i - start;
    if (len === 0) return invalid('a domain cannot have empty labels');
    if (len > MAX_LABEL_LENGTH) return invalid(`domain labels must be at most ${MAX_LABEL_LENGTH} characters`);
    if (d.charCodeAt(start) === 0x2d || d.charCodeAt(i - 1) === 0x2d) {
      return invalid('domain labels cannot start or end with "-"');
    }
    labels++;
    if (i === d.length) {
      // Top-level label: never all-numeric (so dotted numbers never become domains), no "_".
      let numeric = true;
      for (let j = start; j < i; j++) {
        const c = d.charCodeAt(j);
        if (c === 0x5f) return invalid('the top-level domain cannot contain "_"');
        if (!isDigit(c)) numeric = false;
      }
      if (numeric) return invalid('the top-level domain cannot be all-numeric');
    }
    start = i + 1;
  }
  if (labels < minLabels) return invalid('a domain needs at least two labels (e.g. example.com)');
  // Underscores are allowed in labels other than the TLD (`_dmarc.example.com`); the domainToASCII
  // output could in principle contain other characters, so check the final alphabet once.
  for (let i = 0; i < d.length; i++) {
    const c = d.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || isDigit(c) || c === 0x2d || c === 0x2e || c === 0x5f)) {
      return invalid('not a valid domain');
    }
  }
  return d;
}

// ---------------------------------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------------------------------

/** `scheme://` at the start. Anchored, one quantifier: linear. */
const SCHEME_SLASHES = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const HAS_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const SPECIAL_SCHEMES = new Set(['http:', 'https:', 'ftp:', 'ws:', 'wss:', 'file:']);

function normalizeURL(s: string): Result {
  if (!HAS_SCHEME.test(s)) return invalid('a URL needs a scheme such as http://');
  if (hasControlChar(s)) return invalid('a URL cannot contain control characters');
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return invalid('not a parseable URL');
  }
  if (u.hostname === '') return new Fail('UNSUPPORTED_VALUE', `URLs without a host (${u.protocol}) are not supported`);
  if (SPECIAL_SCHEMES.has(u.protocol)) {
    // The WHATWG parser has already punycoded the host; its `xn--` labels are verified here with
    // tr46, since Node 24's parser stopped rejecting invalid ones (the answer must not depend on Node).
    if (u.hostname.includes('xn--') && tr46.toASCII(u.hostname, IDNA_OPTIONS) === null) {
      return invalid('the URL host is not a valid internationalised domain name');
    }
  } else {
    // Non-special schemes keep the host opaque (case and percent-encoding preserved): normalise it.
    const host = u.hostname;
    if (host.charCodeAt(0) !== 0x5b) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(host);
      } catch {
        return invalid('the URL host is not a valid hostname');
      }
      const normalized = isDigitsAndDots(decoded) ? normalizeIPv4(decoded) : normalizeDomain(decoded, 1);
      if (normalized instanceof Fail) return invalid(`the URL host is invalid: ${normalized.reason}`);
      if (normalized !== host) u.hostname = normalized;
    }
  }
  u.hash = ''; // fragments never reach the server
  return u.href;
}

// ---------------------------------------------------------------------------------------------
// Email
// ---------------------------------------------------------------------------------------------

const MAX_LOCAL_LENGTH = 64;
const WHITESPACE = /\s/;
const MAILTO = /^mailto:/i;

function normalizeEmail(s: string): Result {
  const at = s.indexOf('@');
  if (at === -1) return invalid('an email address needs an "@"');
  if (s.indexOf('@', at + 1) !== -1) return invalid('an email address must contain exactly one "@"');
  const local = s.slice(0, at);
  if (local.length === 0) return invalid('the email local part is empty');
  if (local.length > MAX_LOCAL_LENGTH) return invalid(`the email local part must be at most ${MAX_LOCAL_LENGTH} characters`);
  if (WHITESPACE.test(local) || hasControlChar(local)) return invalid('the email local part cannot contain whitespace');
  if (MAILTO.test(local)) return invalid('an email address must not start with "mailto:"');
  const domain = normalizeDomain(s.slice(at + 1));
  if (domain instanceof Fail) return invalid(`email domain: ${domain.reason}`);
  return `${local}@${domain}`; // local parts are case-sensitive (RFC 5321): kept as-is
}

// ---------------------------------------------------------------------------------------------
// Dispatch
// ---------------------------------------------------------------------------------------------

function validateAs(s: string, type: IndicatorType): Result {
  switch (type) {
    case 'IPV4':
      return normalizeIPv4(s);
    case 'IPV6':
      return normalizeIPv6(s);
    case 'CIDR':
      return normalizeCIDR(s);
    case 'DOMAIN':
      return normalizeDomain(s);
    case 'URL':
      return normalizeURL(s);
    case 'EMAIL':
      return normalizeEmail(s);
    case 'MD5':
    case 'SHA1':
    case 'SHA256':
    case 'SHA512':
      return normalizeHash(s, type);
    default:
      return new Fail('UNSUPPORTED_VALUE', `unknown indicator type ${JSON.stringify(String(type))}`);
  }
}

function wrap(type: IndicatorType, r: Result): Normalized | Fail {
  return typeof r === 'string' ? { type, value: r } : r;
}

/** Infer the type of a refanged, trimmed value, in the documented order. */
function infer(s: string): Normalized | Fail {
  const hashType = HASH_BY_LENGTH.get(s.length);
  if (hashType !== undefined && isHex(s)) return wrap(hashType, normalizeHash(s, hashType));

  const slash = s.indexOf('/');
  if (slash > 0 && s.indexOf('/', slash + 1) === -1) {
    const addr = s.slice(0, slash);
    if (isDigitsAndDots(addr) || looksLikeIPv6(addr)) return wrap('CIDR', normalizeCIDR(s));
  }

  // Only digits and dots can never be a domain (the TLD would be numeric): report why it is not
  // an IPv4 address (leading zeros, shorthand, out of range).
  if (isDigitsAndDots(s)) return wrap('IPV4', normalizeIPv4(s));

  if (looksLikeIPv6(s)) {
    const r = normalizeIPv6(s);
    if (typeof r === 'string') return { type: 'IPV6', value: r };
    // Clearly meant as IPv6 (a zone id, "::", or several ":"): report the IPv6 problem.
    if (s.indexOf('%') !== -1 || s.indexOf(':') !== s.lastIndexOf(':')) return r;
  }

  if (SCHEME_SLASHES.test(s)) return wrap('URL', normalizeURL(s));

  if (s.indexOf('@') !== -1) return wrap('EMAIL', normalizeEmail(s));

  const d = normalizeDomain(s);
  if (typeof d === 'string') return { type: 'DOMAIN', value: d };
  if (s.length >= 16 && isHex(s)) {
    return invalid(`looks like a hex hash but has ${s.length} characters (MD5 32, SHA1 40, SHA256 64, SHA512 128)`);
  }
  return invalid(`not a recognisable indicator; ${d.reason}`);
}

function run(raw: string, type: IndicatorType | null | undefined): Normalized | Fail {
  if (typeof raw !== 'string') return invalid('the value must be a string');
  const trimmed = raw.trim();
  if (trimmed.length === 0) return invalid('the value is empty');
  if (trimmed.length > MAX_LENGTH) {
    return invalid(`the value is too long (${trimmed.length} characters; the maximum is ${MAX_LENGTH})`);
  }
  const s = refang(trimmed);
  if (type === undefined || type === null) return infer(s);

  const r = validateAs(s, type);
  if (typeof r === 'string') return { type, value: r };
  if (r.code === 'INVALID_VALUE') {
    const other = infer(s);
    if (!(other instanceof Fail) && other.type !== type) {
      return new Fail('TYPE_MISMATCH', `value looks like ${article(other.type)} ${other.type}, not ${article(type)} ${type}`);
    }
  }
  return new Fail(r.code, `invalid ${type}: ${r.reason}`);
}

/**
 * Refang then normalise. If `type` is given, the value must be of that type (else TYPE_MISMATCH);
 * if omitted it is inferred (else INVALID_VALUE). Throws NormalizeError.
 */
export function normalizeIndicator(raw: string, type?: IndicatorType | null): Normalized {
  const r = run(raw, type);
  if (r instanceof Fail) {
    const shown = typeof raw === 'string' ? quote(raw.trim()) : typeof raw;
    throw new NormalizeError(r.code, `${r.reason}: ${shown}`);
  }
  return r;
}

/** Same, but returns null instead of throwing (used by lookups). */
export function tryNormalizeIndicator(raw: string, type?: IndicatorType | null): Normalized | null {
  const r = run(raw, type);
  return r instanceof Fail ? null : r;
}
