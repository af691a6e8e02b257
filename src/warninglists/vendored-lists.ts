import type { WarningListCategory } from './warning-list.js';

/**
 * The MISP warning lists the hub vendors (vendor/misp-warninglists/, CC0, see its ORIGIN.md), by
 * file name, with the category the hub files each under. MISP's list files carry no category in
 * this copy; the hub decides: a `false_positive` match drives HUB_WARNINGLIST_POLICY, a `known`
 * match only annotates. Chosen for the hub's indicator types and a repository of sane size
 * (docs/intel-quality.md, "Warning lists", says why each is here and what was left out).
 * `scripts/vendor-warninglists.ts` copies exactly these from a MISP checkout.
 */
export const VENDORED_LISTS: Readonly<Record<string, WarningListCategory>> = {
  // Addresses that are never a remote attacker's: private, reserved, documentation, multicast.
  rfc1918: 'false_positive',
  rfc5735: 'false_positive',
  rfc6598: 'false_positive',
  rfc3849: 'false_positive',
  multicast: 'false_positive',
  'ipv6-linklocal': 'false_positive',
  // Reserved names (example, localhost, test, invalid ...).
  rfc6761: 'false_positive',
  // Public DNS resolvers: 8.8.8.8 blocked across a sector breaks name resolution.
  'public-dns-v4': 'false_positive',
  'public-dns-v6': 'false_positive',
  // The most used domains (bounded: the top 1,000, exact names).
  cisco_top1000: 'false_positive',
  // Benign services malware also calls (what-is-my-ip, URL shorteners).
  'whats-my-ip': 'false_positive',
  'url-shortener': 'false_positive',
  // Hashes of empty files and of well-known benign files.
  'empty-hashes': 'false_positive',
  'common-ioc-false-positive': 'false_positive',
  // Role mailboxes (abuse@, security@ ...).
  'common-contact-emails': 'false_positive',
  // Known, not wrong: worth a note, not a hold.
  sinkholes: 'known',
  cloudflare: 'known',
  'security-provider-blogpost': 'known',
  'automated-malware-analysis': 'known',
  'eicar.com': 'known',
};

/** Lists stored gzip-compressed (large; one line of JSON each), by name. */
export const COMPRESSED_LISTS: ReadonlySet<string> = new Set(['public-dns-v4']);
