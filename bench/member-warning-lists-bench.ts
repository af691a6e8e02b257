/**
 * `npx tsx bench/member-warning-lists-bench.ts [lists=250]`: what members' warning lists cost a
 * read. Stores `lists` lists of 50 members (in turn CIDR, HOSTNAME and STRING lists of 2,000
 * entries, SUBSTRING lists of 1,000, REGEX lists of 100 patterns), times reading them into matchers
 * (`MemberWarningLists.refresh`), then the per-value cost of `matches` for a TRUSTED viewer who
 * sees them all, by indicator type (mean of 20,000 calls).
 */
import { createMemoryStore } from '../src/store/memory/memory-store.js';
import { MemberWarningLists } from '../src/warninglists/member-warning-lists.js';
import type { Viewer } from '../src/policy/policy.js';

const TYPES = ['cidr', 'hostname', 'string', 'substring', 'regex'] as const;

function entriesOf(type: (typeof TYPES)[number], i: number): string[] {
  switch (type) {
    case 'cidr':
      return Array.from({ length: 2_000 }, (_, j) => `10.${i % 250}.${Math.floor(j / 250)}.${j % 250}`);
    case 'hostname':
      return Array.from({ length: 2_000 }, (_, j) => `h${j}.m${i}.example`);
    case 'string':
      return Array.from({ length: 2_000 }, (_, j) => `s${j}-${i}.example`);
    case 'substring':
      return Array.from({ length: 1_000 }, (_, j) => `needle${i}x${j}`);
    case 'regex':
      return Array.from({ length: 100 }, (_, j) => `/^ops${i}-${j}-[0-9]+@example\\.org$/`);
  }
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 250);
  const store = createMemoryStore();
  const t = new Date();
  for (let i = 0; i < n; i++) {
    const type = TYPES[i % TYPES.length]!;
    await store.warningLists.insert({
      _id: `warning-list--${i}`, source: `m${i % 50}`, name: `l${i}`, type, category: 'false_positive',
      indicatorTypes: type === 'cidr' ? ['IPV4', 'URL'] : type === 'hostname' ? ['DOMAIN', 'URL'] : ['DOMAIN', 'URL', 'EMAIL', 'IPV4'],
      entries: entriesOf(type, i), description: null, tlp: 'GREEN', recipients: [], version: 1, revoked: false, revokedReason: null, createdAt: t, updatedAt: t, seq: i + 1,
    });
  }
  const lists = new MemberWarningLists({ lists: store.warningLists });
  let started = performance.now();
  await lists.refresh();
  console.log(`read ${n} lists into matchers: ${(performance.now() - started).toFixed(0)} ms`);
  const viewer: Viewer = { kind: 'member', memberId: 'v', userId: 'u', roles: ['reader'], tier: 'TRUSTED' };
  lists.matches(viewer, 'IPV4', '192.0.2.1');
  for (const [type, value] of [['IPV4', '185.220.101.7'], ['DOMAIN', 'www.evil.example.net'], ['EMAIL', 'abc@example.org'], ['URL', 'https://x.example/path?q=1']] as const) {
    const calls = 20_000;
    started = performance.now();
    for (let i = 0; i < calls; i++) lists.matches(viewer, type, value);
    console.log(`${type}: ${(((performance.now() - started) * 1000) / calls).toFixed(1)} µs per value against ${n} visible lists`);
  }
}

await main();
