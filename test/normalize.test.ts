import { describe, it, expect } from 'vitest';
import {
  NormalizeError,
  normalizeIndicator,
  refang,
  tryNormalizeIndicator,
  type Normalized,
} from '../src/domain/normalize.js';
import type { IndicatorType } from '../src/domain/types.js';

const MD5_EMPTY = 'd41d8cd98f00b204e9800998ecf8427e';
const SHA1_EMPTY = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
const SHA256_EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SHA512_EMPTY =
  'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e';

const MD5 = '098f6bcd4621d373cade4e832627b4f6';
const SHA1 = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3';
const SHA256 = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const SHA512 =
  'ee26b0dd4af7e749aa1a8ee3c10ae9923f618980772e473f8819a5d4940e0db27ac185f8a0e1d5f84f88bc887fd67b143732c304cc5fa9ad8e6f57f50028a8ff';

/** The NormalizeError thrown by `fn` (fails the test if nothing, or something else, is thrown). */
function errorOf(fn: () => unknown): NormalizeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NormalizeError);
    return e as NormalizeError;
  }
  throw new Error('expected a NormalizeError, but nothing was thrown');
}

const norm = (raw: string, type?: IndicatorType | null): Normalized => normalizeIndicator(raw, type);

describe('refang', () => {
  it('rewrites hxxp and hxxps schemes in any case', () => {
    expect(refang('hxxp://evil.example/')).toBe('http://evil.example/');
    expect(refang('hXXps://evil.example/')).toBe('https://evil.example/');
    expect(refang('HXXPS://evil.example/')).toBe('https://evil.example/');
  });

  it('rewrites fxp to ftp', () => {
    expect(refang('fxp://files.example/x')).toBe('ftp://files.example/x');
  });

  it('replaces every bracketed dot form with a dot, case-insensitively', () => {
    for (const t of ['[.]', '(.)', '{.}', '[dot]', '(dot)', '{dot}', '[DOT]', '(Dot)', '{dOt}']) {
      expect(refang(`evil${t}example${t}com`)).toBe('evil.example.com');
    }
  });

  it('removes the spaces around a bracketed dot', () => {
    expect(refang('evil [dot] example [.] com')).toBe('evil.example.com');
  });

  it('replaces bracketed at forms with @', () => {
    for (const t of ['[@]', '(@)', '[at]', '(at)', '[AT]', ' (at) ']) {
      expect(refang(`alice${t}example.com`)).toBe('alice@example.com');
    }
  });

  it('replaces [:] and [://] in schemes', () => {
    expect(refang('hxxps[:]//evil[.]com/x')).toBe('https://evil.com/x');
    expect(refang('hxxp[://]evil[.]com')).toBe('http://evil.com');
  });

  it('leaves the brackets of an IPv6 URL host and other ordinary brackets alone', () => {
    expect(refang('http://[2001:db8::1]/')).toBe('http://[2001:db8::1]/');
    expect(refang('http://[::1]:8080/a(b)[c]{d}')).toBe('http://[::1]:8080/a(b)[c]{d}');
  });

  it('returns an already clean value unchanged', () => {
    expect(refang('https://example.com/a?b=1')).toBe('https://example.com/a?b=1');
    expect(refang('192.0.2.1')).toBe('192.0.2.1');
  });
});

describe('defanged values of each type', () => {
  it('refangs hxxp and [.] before normalising a URL', () => {
    expect(norm('hxxp://evil[.]example/Path')).toEqual({ type: 'URL', value: 'http://evil.example/Path' });
  });

  it('refangs a defanged domain', () => {
    expect(norm('evil[.]example(dot)com')).toEqual({ type: 'DOMAIN', value: 'evil.example.com' });
  });

  it('refangs a defanged IPv4 address', () => {
    expect(norm('192[.]0[.]2[.]1')).toEqual({ type: 'IPV4', value: '192.0.2.1' });
  });

  it('refangs a defanged IPv4 CIDR block', () => {
    expect(norm('198[.]51[.]100[.]7/24')).toEqual({ type: 'CIDR', value: '198.51.100.0/24' });
  });

  it('refangs a defanged IPv6 address written with [:]', () => {
    expect(norm('2001[:]db8[:]:1')).toEqual({ type: 'IPV6', value: '2001:db8::1' });
  });

  it('refangs a defanged email address', () => {
    expect(norm('Alice[at]Evil[.]Example')).toEqual({ type: 'EMAIL', value: 'Alice@evil.example' });
    expect(norm('bob (at) evil (dot) example')).toEqual({ type: 'EMAIL', value: 'bob@evil.example' });
  });

  it('refangs a fully defanged https URL with [:]', () => {
    expect(norm('hXXps[:]//Evil[.]Example[.]com/login?next=/a')).toEqual({
      type: 'URL',
      value: 'https://evil.example.com/login?next=/a',
    });
  });
});

describe('input limits', () => {
  it('trims surrounding whitespace', () => {
    expect(norm('  \t example.com \n')).toEqual({ type: 'DOMAIN', value: 'example.com' });
  });

  it('rejects an empty or blank value as INVALID_VALUE', () => {
    expect(errorOf(() => norm('')).code).toBe('INVALID_VALUE');
    expect(errorOf(() => norm('   ')).message).toMatch(/empty/);
  });

  it('rejects a value longer than 2048 characters', () => {
    const long = `http://example.com/${'a'.repeat(2048)}`;
    const e = errorOf(() => norm(long));
    expect(e.code).toBe('INVALID_VALUE');
    expect(e.message).toMatch(/too long/);
  });

  it('accepts a URL of exactly 2048 characters', () => {
    const prefix = 'http://example.com/';
    const url = prefix + 'a'.repeat(2048 - prefix.length);
    expect(norm(url).value).toBe(url);
  });

  it('keeps the error message for a 5,000-character input short', () => {
    const e = errorOf(() => norm('x'.repeat(5000)));
    expect(e.code).toBe('INVALID_VALUE');
    expect(e.message.length).toBeLessThan(200);
    expect(e.message).toContain('x'.repeat(80));
    expect(e.message).not.toContain('x'.repeat(81));
  });

  it('keeps the error message for a long invalid value under the limit short too', () => {
    const e = errorOf(() => norm(`${'a'.repeat(1500)}..com`, 'DOMAIN'));
    expect(e.message.length).toBeLessThan(200);
  });
});

describe('IPv4', () => {
  it('accepts a dotted quad as is', () => {
    expect(norm('192.0.2.1')).toEqual({ type: 'IPV4', value: '192.0.2.1' });
    expect(norm('0.0.0.0')).toEqual({ type: 'IPV4', value: '0.0.0.0' });
    expect(norm('255.255.255.255', 'IPV4')).toEqual({ type: 'IPV4', value: '255.255.255.255' });
  });

  it('rejects leading zeros because they are ambiguous octal', () => {
    const e = errorOf(() => norm('010.1.1.1'));
    expect(e.code).toBe('INVALID_VALUE');
    expect(e.message).toMatch(/leading zero/);
    expect(errorOf(() => norm('10.01.1.1', 'IPV4')).code).toBe('INVALID_VALUE');
    expect(errorOf(() => norm('10.1.1.00')).code).toBe('INVALID_VALUE');
  });

  it('rejects shorthand, hexadecimal and single-integer forms', () => {
    for (const v of ['10.1', '10.1.1', '0x7f.0.0.1', '2130706433', '1.2.3.4.5']) {
      expect(errorOf(() => norm(v)).code, v).toBe('INVALID_VALUE');
      expect(tryNormalizeIndicator(v, 'IPV4'), v).toBeNull();
    }
    expect(errorOf(() => norm('10.1')).message).toMatch(/four dotted decimal octets/);
  });

  it('rejects octets above 255 as INVALID_VALUE rather than treating them as a domain', () => {
    const e = errorOf(() => norm('999.1.1.1'));
    expect(e.code).toBe('INVALID_VALUE');
    expect(e.message).toMatch(/0-255/);
    expect(errorOf(() => norm('256.0.0.1', 'IPV4')).code).toBe('INVALID_VALUE');
  });

  it('rejects empty octets and a trailing dot', () => {
    expect(tryNormalizeIndicator('1..2.3')).toBeNull();
    expect(tryNormalizeIndicator('1.2.3.4.')).toBeNull();
  });
});

describe('IPv6', () => {
  it('compresses and lowercases a fully written address (RFC 5952)', () => {
    expect(norm('2001:0DB8:0000:0000:0000:0000:0000:0001')).toEqual({ type: 'IPV6', value: '2001:db8::1' });
  });

  it('compresses the longest run of zero fields, leftmost on ties', () => {
    expect(norm('2001:db8:0:0:1:0:0:1').value).toBe('2001:db8::1:0:0:1');
    expect(norm('1:0:0:2:0:0:0:3').value).toBe('1:0:0:2::3');
  });

  it('does not compress a single zero field', () => {
    expect(norm('2001:db8:0:1:1:1:1:1').value).toBe('2001:db8:0:1:1:1:1:1');
  });

  it('normalises the unspecified and loopback addresses', () => {
    expect(norm('0:0:0:0:0:0:0:0')).toEqual({ type: 'IPV6', value: '::' });
    expect(norm('0:0:0:0:0:0:0:1', 'IPV6')).toEqual({ type: 'IPV6', value: '::1' });
  });

  it('writes IPv4-mapped addresses in the RFC 5952 mixed form whichever way they are given', () => {
    expect(norm('::ffff:192.0.2.1')).toEqual({ type: 'IPV6', value: '::ffff:192.0.2.1' });
    expect(norm('::FFFF:C000:0201')).toEqual({ type: 'IPV6', value: '::ffff:192.0.2.1' });
    expect(norm('0:0:0:0:0:ffff:c000:201', 'IPV6').value).toBe('::ffff:192.0.2.1');
  });

  it('keeps an IPv4-compatible address as the same address instead of mapping it', () => {
    expect(norm('::192.0.2.1').value).toBe('::c000:201');
  });

  it('applies the strict IPv4 rules to an embedded IPv4 address', () => {
    expect(errorOf(() => norm('::ffff:01.2.3.4')).message).toMatch(/leading zero/);
    expect(tryNormalizeIndicator('::ffff:1.2.3', 'IPV6')).toBeNull();
    expect(tryNormalizeIndicator('::ffff:256.1.1.1')).toBeNull();
  });

  it('rejects zone ids', () => {
    const e = errorOf(() => norm('fe80::1%eth0'));
    expect(e.code).toBe('INVALID_VALUE');
    expect(e.message).toMatch(/zone/);
    expect(errorOf(() => norm('fe80::1%25', 'IPV6')).code).toBe('INVALID_VALUE');
  });

  it('rejects malformed addresses', () => {
    for (const v of ['1:2:3:4:5:6:7:8:9', '1::2::3', '::00001', ':::1', '2001:db8::g']) {
      expect(tryNormalizeIndicator(v), v).toBeNull();
      expect(tryNormalizeIndicator(v, 'IPV6'), v).toBeNull();
    }
  });
});

describe('CIDR', () => {
  it('normalises an IPv4 block to its network address', () => {
    expect(norm('10.1.2.3/8')).toEqual({ type: 'CIDR', value: '10.0.0.0/8' });
    expect(norm('192.0.2.77/26', 'CIDR').value).toBe('192.0.2.64/26');
    expect(norm('192.0.2.77/32').value).toBe('192.0.2.77/32');
    expect(norm('192.0.2.77/0').value).toBe('0.0.0.0/0');
  });

  it('normalises an IPv6 block to its network address in RFC 5952 form', () => {
    expect(norm('2001:DB8::1/32')).toEqual({ type: 'CIDR', value: '2001:db8::/32' });
    expect(norm('2001:db8:abcd:1234::1/50', 'CIDR').value).toBe('2001:db8:abcd::/50');
    expect(norm('2001:db8::1/128').value).toBe('2001:db8::1/128');
    expect(norm('2001:db8::1/0').value).toBe('::/0');
  });

  it('keeps the mixed form for an IPv4-mapped block', () => {
    expect(norm('::ffff:10.1.2.3/104').value).toBe('::ffff:10.0.0.0/104');
  });

  it('rejects prefix lengths that are out of range or have leading zeros', () => {
    for (const v of ['10.0.0.0/33', '10.0.0.0/08', '10.0.0.0/', '10.0.0.0/-1', '2001:db8::/129', '2001:db8::/032']) {
      const e = errorOf(() => norm(v));
      expect(e.code, v).toBe('INVALID_VALUE');
      expect(e.message, v).toMatch(/prefix length/);
    }
  });

  it('applies the strict IPv4 rules to the address part', () => {
    expect(errorOf(() => norm('010.0.0.0/8')).message).toMatch(/leading zero/);
    expect(tryNormalizeIndicator('10.0/8', 'CIDR')).toBeNull();
  });
});

describe('domains', () => {
  it('lowercases a domain', () => {
    expect(norm('WWW.Example.COM')).toEqual({ type: 'DOMAIN', value: 'www.example.com' });
  });

  it('strips exactly one trailing dot', () => {
    expect(norm('example.com.').value).toBe('example.com');
    expect(tryNormalizeIndicator('example.com..')).toBeNull();
  });

  it('converts an IDN domain to punycode', () => {
    expect(norm('bücher.example')).toEqual({ type: 'DOMAIN', value: 'xn--bcher-kva.example' });
    expect(norm('BÜCHER.example.', 'DOMAIN').value).toBe('xn--bcher-kva.example');
  });

  it('accepts a valid punycode domain and rejects an invalid one', () => {
    expect(norm('XN--BCHER-KVA.example').value).toBe('xn--bcher-kva.example');
    expect(errorOf(() => norm('xn--zz.example', 'DOMAIN')).code).toBe('INVALID_VALUE');
  });

  it('rejects an invalid punycode label in a URL host or an email domain, whatever the Node version', () => {
    expect(norm('http://XN--BCHER-KVA.example/a').value).toBe('http://xn--bcher-kva.example/a');
    expect(errorOf(() => norm('http://xn--zz.example/a', 'URL')).code).toBe('INVALID_VALUE');
    expect(errorOf(() => norm('https://a.xn--zz.example/', 'URL')).code).toBe('INVALID_VALUE');
    expect(errorOf(() => norm('user@xn--zz.example', 'EMAIL')).code).toBe('INVALID_VALUE');
  });

  it('allows underscores in labels other than the top-level domain', () => {
    expect(norm('_dmarc.Example.com').value).toBe('_dmarc.example.com');
    expect(norm('foo_bar.example.com', 'DOMAIN').value).toBe('foo_bar.example.com');
    expect(errorOf(() => norm('example.co_m')).message).toMatch(/top-level/);
  });

  it('requires at least two labels', () => {
    const e = errorOf(() => norm('localhost', 'DOMAIN'));
    expect(e.code).toBe('INVALID_VALUE');
    expect(e.message).toMatch(/two labels/);
  });

  it('rejects labels that start or end with a hyphen, are empty, or are too long', () => {
    expect(tryNormalizeIndicator('-evil.example')).toBeNull();
    expect(tryNormalizeIndicator('evil-.example')).toBeNull();
    expect(tryNormalizeIndicator('evil..example')).toBeNull();
    expect(tryNormalizeIndicator(`${'a'.repeat(64)}.example`)).toBeNull();
    expect(norm(`${'a'.repeat(63)}.example`).value).toBe(`${'a'.repeat(63)}.example`);
  });

  it('rejects a domain longer than 253 characters', () => {
    const label = 'a'.repeat(63);
    const ok = [label, label, label, 'a'.repeat(57), 'com'].join('.'); // 253
    expect(ok.length).toBe(253);
    expect(norm(ok).value).toBe(ok);
    expect(tryNormalizeIndicator(`a${ok}`)).toBeNull();
  });

  it('rejects an all-numeric top-level domain', () => {
    expect(errorOf(() => norm('example.123', 'DOMAIN')).message).toMatch(/all-numeric/);
    expect(errorOf(() => norm('0x7f.0.0.1')).code).toBe('INVALID_VALUE');
  });

  it('rejects characters that are not allowed in host names and hints at a missing URL scheme', () => {
    expect(tryNormalizeIndicator('ev!l.example')).toBeNull();
    expect(tryNormalizeIndicator('exa mple.com')).toBeNull();
    expect(errorOf(() => norm('example.com/path')).message).toMatch(/scheme/);
  });
});

describe('URLs', () => {
  it('drops default ports and lowercases scheme and host but leaves path and query untouched', () => {
    expect(norm('HTTP://Example.COM:80/A/b?Q=1')).toEqual({ type: 'URL', value: 'http://example.com/A/b?Q=1' });
    expect(norm('https://Example.com:443/X?Y=Z&a=b', 'URL').value).toBe('https://example.com/X?Y=Z&a=b');
  });

  it('keeps non-default ports', () => {
    expect(norm('http://example.com:8080/a').value).toBe('http://example.com:8080/a');
    expect(norm('https://example.com:80/').value).toBe('https://example.com:80/');
  });

  it('adds the root path as WHATWG does', () => {
    expect(norm('http://EXAMPLE.com').value).toBe('http://example.com/');
  });

  it('drops the fragment', () => {
    expect(norm('https://example.com/a?b=1#section-2').value).toBe('https://example.com/a?b=1');
    expect(norm('https://example.com/#').value).toBe('https://example.com/');
  });

  it('does not reorder the query or decode percent-escapes', () => {
    expect(norm('http://example.com/p%2Fq?z=1&a=%41').value).toBe('http://example.com/p%2Fq?z=1&a=%41');
  });

  it('punycodes an IDN host', () => {
    expect(norm('https://Bücher.example/ä').value).toBe('https://xn--bcher-kva.example/%C3%A4');
  });

  it('keeps credentials, which phishing URLs use', () => {
    expect(norm('http://paypal.com@Evil.example/login').value).toBe('http://paypal.com@evil.example/login');
    expect(norm('http://user:pw@example.com/').value).toBe('http://user:pw@example.com/');
  });

  it('keeps an IPv6 host in brackets', () => {
    expect(norm('http://[2001:DB8:0:0:0:0:0:1]:8080/x').value).toBe('http://[2001:db8::1]:8080/x');
  });

  it('accepts other schemes with a host and normalises their host', () => {
    expect(norm('ftp://Files.Example.com:21/pub').value).toBe('ftp://files.example.com/pub');
    expect(norm('ftps://Files.Example.COM:990/x').value).toBe('ftps://files.example.com:990/x');
    expect(norm('tcp://192.0.2.1:4444').value).toBe('tcp://192.0.2.1:4444');
    expect(norm('wss://Example.com:443/socket').value).toBe('wss://example.com/socket');
  });

  it('rejects a parseable URL without a host as UNSUPPORTED_VALUE', () => {
    expect(errorOf(() => norm('javascript:alert(1)', 'URL')).code).toBe('UNSUPPORTED_VALUE');
    expect(errorOf(() => norm('file:///etc/passwd')).code).toBe('UNSUPPORTED_VALUE');
  });

  it('rejects an unparseable URL or one without a scheme', () => {
    expect(errorOf(() => norm('http://exa mple.com/', 'URL')).code).toBe('INVALID_VALUE');
    expect(errorOf(() => norm('http://', 'URL')).code).toBe('INVALID_VALUE');
    expect(errorOf(() => norm('/just/a/path', 'URL')).message).toMatch(/scheme/);
  });

  it('rejects control characters that WHATWG would silently remove', () => {
    expect(errorOf(() => norm('http://exa\nmple.com/')).message).toMatch(/control/);
  });
});

describe('email addresses', () => {
  it('lowercases the domain but preserves the local part', () => {
    expect(norm('John.Smith@Example.COM')).toEqual({ type: 'EMAIL', value: 'John.Smith@example.com' });
  });

  it('punycodes an IDN email domain', () => {
    expect(norm('info@bücher.example', 'EMAIL').value).toBe('info@xn--bcher-kva.example');
  });

  it('requires exactly one @', () => {
    expect(errorOf(() => norm('a@b@example.com')).message).toMatch(/exactly one/);
    expect(errorOf(() => norm('user.example.com', 'EMAIL')).code).toBe('TYPE_MISMATCH');
  });

  it('requires a local part of 1 to 64 characters without whitespace', () => {
    expect(tryNormalizeIndicator('@example.com')).toBeNull();
    expect(tryNormalizeIndicator(`${'a'.repeat(65)}@example.com`)).toBeNull();
    expect(norm(`${'a'.repeat(64)}@example.com`).type).toBe('EMAIL');
    expect(tryNormalizeIndicator('john smith@example.com', 'EMAIL')).toBeNull();
  });

  it('applies the domain rules to the email domain', () => {
    expect(errorOf(() => norm('user@localhost')).message).toMatch(/email domain/);
    expect(tryNormalizeIndicator('user@exa..mple.com')).toBeNull();
  });

  it('rejects a mailto: prefix instead of storing it in the local part', () => {
    expect(errorOf(() => norm('mailto:user@example.com')).message).toMatch(/mailto/);
  });
});

describe('hashes', () => {
  it('lowercases uppercase hashes of every length', () => {
    expect(norm(MD5.toUpperCase())).toEqual({ type: 'MD5', value: MD5 });
    expect(norm(SHA1.toUpperCase())).toEqual({ type: 'SHA1', value: SHA1 });
    expect(norm(SHA256.toUpperCase())).toEqual({ type: 'SHA256', value: SHA256 });
    expect(norm(SHA512.toUpperCase())).toEqual({ type: 'SHA512', value: SHA512 });
  });

  it('rejects the hashes of empty input', () => {
    for (const [h, t] of [
      [MD5_EMPTY, 'MD5'],
      [SHA1_EMPTY, 'SHA1'],
      [SHA256_EMPTY, 'SHA256'],
      [SHA512_EMPTY, 'SHA512'],
    ] as const) {
      const e = errorOf(() => norm(h.toUpperCase()));
      expect(e.code, t).toBe('INVALID_VALUE');
      expect(e.message, t).toMatch(/empty input/);
      expect(errorOf(() => norm(h, t)).code, t).toBe('INVALID_VALUE');
    }
  });

  it('rejects all-zero hashes of every length', () => {
    for (const [len, t] of [
      [32, 'MD5'],
      [40, 'SHA1'],
      [64, 'SHA256'],
      [128, 'SHA512'],
    ] as const) {
      const e = errorOf(() => norm('0'.repeat(len), t));
      expect(e.code, t).toBe('INVALID_VALUE');
      expect(e.message, t).toMatch(/all zeros/);
      expect(tryNormalizeIndicator('0'.repeat(len)), t).toBeNull();
    }
  });

  it('rejects a hash of the wrong length for its type', () => {
    const e = errorOf(() => norm(MD5.slice(0, 31), 'MD5'));
    expect(e.code).toBe('INVALID_VALUE');
    expect(e.message).toMatch(/32 hexadecimal/);
    expect(errorOf(() => norm(`${SHA256}0`)).message).toMatch(/hex hash but has 65 characters/);
  });

  it('rejects non-hex characters in a hash', () => {
    expect(errorOf(() => norm(`${MD5.slice(0, 31)}g`, 'MD5')).code).toBe('INVALID_VALUE');
  });
});

describe('type inference', () => {
  it('infers every indicator type', () => {
    const cases: [string, IndicatorType, string][] = [
      ['192.0.2.1', 'IPV4', '192.0.2.1'],
      ['2001:db8::1', 'IPV6', '2001:db8::1'],
      ['192.0.2.0/24', 'CIDR', '192.0.2.0/24'],
      ['2001:db8::/32', 'CIDR', '2001:db8::/32'],
      ['example.com', 'DOMAIN', 'example.com'],
      ['https://example.com/x', 'URL', 'https://example.com/x'],
      ['alice@example.com', 'EMAIL', 'alice@example.com'],
      [MD5, 'MD5', MD5],
      [SHA1, 'SHA1', SHA1],
      [SHA256, 'SHA256', SHA256],
      [SHA512, 'SHA512', SHA512],
    ];
    for (const [raw, type, value] of cases) {
      expect(norm(raw), raw).toEqual({ type, value });
      expect(norm(raw, null), raw).toEqual({ type, value });
      expect(norm(raw, type), raw).toEqual({ type, value });
    }
  });

  it('treats a URL with credentials as a URL, not an email', () => {
    expect(norm('http://user@example.com/').type).toBe('URL');
  });

  it('reports a value that is no indicator at all as INVALID_VALUE', () => {
    const e = errorOf(() => norm('not an indicator'));
    expect(e.code).toBe('INVALID_VALUE');
    expect(e.message).toMatch(/not a recognisable indicator/);
  });
});

describe('explicit types', () => {
  it('raises TYPE_MISMATCH when the value is valid for another type', () => {
    const e = errorOf(() => norm('evil.example', 'IPV4'));
    expect(e.code).toBe('TYPE_MISMATCH');
    expect(e.message).toContain('value looks like a DOMAIN, not an IPV4');
  });

  it('raises TYPE_MISMATCH across every family', () => {
    const cases: [string, IndicatorType, IndicatorType][] = [
      ['192.0.2.1', 'DOMAIN', 'IPV4'],
      ['192.0.2.1', 'CIDR', 'IPV4'],
      ['10.0.0.0/8', 'IPV4', 'CIDR'],
      ['::1', 'IPV4', 'IPV6'],
      ['192.0.2.1', 'IPV6', 'IPV4'],
      ['https://evil.example/', 'DOMAIN', 'URL'],
      ['evil.example', 'URL', 'DOMAIN'],
      ['evil.example', 'EMAIL', 'DOMAIN'],
      ['a@evil.example', 'DOMAIN', 'EMAIL'],
      [SHA256, 'MD5', 'SHA256'],
      [MD5, 'SHA1', 'MD5'],
      [SHA1, 'SHA512', 'SHA1'],
    ];
    for (const [raw, given, looks] of cases) {
      const e = errorOf(() => norm(raw, given));
      expect(e.code, `${raw} as ${given}`).toBe('TYPE_MISMATCH');
      expect(e.message, `${raw} as ${given}`).toContain(`looks like a${/^[IEM]/.test(looks) ? 'n' : ''} ${looks}`);
      expect(tryNormalizeIndicator(raw, given)).toBeNull();
    }
  });

  it('raises INVALID_VALUE naming the type when the value is valid for no type', () => {
    const e = errorOf(() => norm('300.1.1.1', 'IPV4'));
    expect(e.code).toBe('INVALID_VALUE');
    expect(e.message).toMatch(/^invalid IPV4: /);
    expect(errorOf(() => norm('evil..example', 'DOMAIN')).message).toMatch(/^invalid DOMAIN: /);
    expect(errorOf(() => norm('nope', 'SHA256')).message).toMatch(/^invalid SHA256: /);
  });

  it('is a NormalizeError that is also an Error', () => {
    const e = errorOf(() => norm('nope', 'URL'));
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('NormalizeError');
  });
});

describe('tryNormalizeIndicator', () => {
  it('returns the normalised value when valid', () => {
    expect(tryNormalizeIndicator('hxxp://Evil[.]example:80/')).toEqual({ type: 'URL', value: 'http://evil.example/' });
    expect(tryNormalizeIndicator('Evil.Example', 'DOMAIN')).toEqual({ type: 'DOMAIN', value: 'evil.example' });
  });

  it('returns null instead of throwing for invalid values, mismatches and unsupported values', () => {
    expect(tryNormalizeIndicator('')).toBeNull();
    expect(tryNormalizeIndicator('x'.repeat(5000))).toBeNull();
    expect(tryNormalizeIndicator('010.1.1.1')).toBeNull();
    expect(tryNormalizeIndicator('evil.example', 'IPV4')).toBeNull();
    expect(tryNormalizeIndicator('javascript:alert(1)', 'URL')).toBeNull();
    expect(tryNormalizeIndicator(MD5_EMPTY)).toBeNull();
  });
});
