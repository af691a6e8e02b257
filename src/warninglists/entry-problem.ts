import { isIP } from 'node:net';
import { tryNormalizeIndicator } from '../domain/normalize.js';
import { clip } from '../util/clip.js';
import { compileLinear } from './linear-regex.js';
import type { WarningListType } from './warning-list.js';

/**
 * Why one entry of a member's list is not valid for the list's type, or null when it is. Unlike
 * MISP's vendored files (whose odd malformed line is skipped), a member's list is refused whole
 * at the first bad entry, so what is stored is what matches.
 * - cidr: an IPv4 or IPv6 address, or one with a prefix length (`198.51.100.0/24`);
 * - hostname: a domain name, optionally written `*.example.com` or `.example.com`;
 * - string, substring: any text (compared case aside);
 * - regex: a pattern V8's linear-time engine runs (`compileLinear`).
 */
export function entryProblem(type: WarningListType, entry: string): string | null {
  const text = entry.trim();
  if (text.length === 0) return 'the entry is empty';
  switch (type) {
    case 'cidr': {
      const [address = '', prefix, extra] = text.split('/');
      const family = isIP(address);
      if (family === 0 || extra !== undefined) return `"${clip(text)}" is not an IP address or CIDR range`;
      if (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128))) {
        return `"${clip(text)}" has a prefix length outside 0 to ${family === 4 ? 32 : 128}`;
      }
      return null;
    }
    case 'hostname': {
      const name = text.replace(/^\*?\./, '').replace(/\.$/, '');
      return tryNormalizeIndicator(name, 'DOMAIN') ? null : `"${clip(text)}" is not a host name`;
    }
    case 'string':
    case 'substring':
      return null;
    case 'regex': {
      const re = compileLinear(text);
      return re instanceof RegExp ? null : re.problem;
    }
  }
}
