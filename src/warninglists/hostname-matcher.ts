import type { ValueMatcher } from './warning-list.js';

/**
 * Matches a hostname when it equals an entry or is a subdomain of one, label by label
 * (`a.example.com` matches `example.com`; `badexample.com` does not). One Set lookup per label
 * suffix: cost grows with the value's labels, not with the list.
 */
export class HostnameMatcher implements ValueMatcher {
  private readonly entries = new Map<string, string>();

  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const key = raw.trim().toLowerCase().replace(/^\*?\./, '').replace(/\.$/, '');
      if (key) this.entries.set(key, raw);
    }
  }

  match(value: string): string | null {
    let host = value.toLowerCase().replace(/\.$/, '');
    for (;;) {
      const hit = this.entries.get(host);
      if (hit !== undefined) return hit;
      const dot = host.indexOf('.');
      if (dot < 0) return null;
      host = host.slice(dot + 1);
    }
  }
}
