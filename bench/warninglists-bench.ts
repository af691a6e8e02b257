/**
 * `npx tsx --expose-gc bench/warninglists-bench.ts`: what the vendored warning lists cost the hub.
 * Load: reading, parsing and building every matcher (wall time, and heap after a forced GC against
 * the heap before). Match: `WarningListSet.matches` per indicator type, over values that hit and
 * values that miss (a miss walks every list of the type, the common and dearest case), as the
 * median of 7 rounds of N calls.
 */
import { performance } from 'node:perf_hooks';
import { loadVendoredLists } from '../src/warninglists/load-vendored-lists.js';
import { WarningListSet } from '../src/warninglists/warning-list-set.js';
import type { IndicatorType } from '../src/domain/types.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) console.warn('run with --expose-gc for the heap figure');
gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const rssBefore = process.memoryUsage().rss;
const t0 = performance.now();
const set = new WarningListSet(loadVendoredLists());
const loadMs = performance.now() - t0;
gc?.();
const heapAfter = process.memoryUsage().heapUsed;
const rssAfter = process.memoryUsage().rss;
const entries = set.lists.reduce((n, l) => n + l.entries.length, 0);
console.log(`load: ${set.lists.length} lists, ${entries} entries in ${loadMs.toFixed(1)} ms; heap +${((heapAfter - heapBefore) / 1e6).toFixed(1)} MB, rss +${((rssAfter - rssBefore) / 1e6).toFixed(1)} MB`);

const cases: Array<[string, IndicatorType, string[]]> = [
  ['IPV4 hit', 'IPV4', ['8.8.8.8', '10.1.2.3', '192.168.0.1', '1.1.1.1']],
  ['IPV4 miss', 'IPV4', ['203.0.114.7', '45.33.32.156', '185.220.101.4', '91.198.174.192']],
  ['IPV6 mixed', 'IPV6', ['2a00:1450:4001:80b::200e', '2606:4700::6810:84e5']],
  ['DOMAIN hit', 'DOMAIN', ['google.com', 'www.bit.ly', 'localhost', 'api.ipify.org']],
  ['DOMAIN miss', 'DOMAIN', ['evil-c2.example.net', 'a.b.c.malware.xyz', 'login-paypa1.com', 'x.y']],
  ['URL miss', 'URL', ['https://evil-c2.example.net/a/b?c=d', 'http://1.2.3.4:8080/x']],
  ['EMAIL miss', 'EMAIL', ['phisher@evil.example.net', 'ceo@lookalike.co']],
  ['SHA256 miss', 'SHA256', ['a'.repeat(64), 'b'.repeat(64)]],
];
const N = 20_000;
for (const [label, type, values] of cases) {
  const rounds: number[] = [];
  let sink = 0;
  for (let r = 0; r < 7; r++) {
    const s = performance.now();
    for (let i = 0; i < N; i++) sink += set.matches(type, values[i % values.length]!).length;
    rounds.push(((performance.now() - s) * 1e6) / N);
  }
  rounds.sort((a, b) => a - b);
  console.log(`${label.padEnd(12)} ${rounds[3]!.toFixed(0).padStart(6)} ns per value (median of 7 x ${N}; ${sink ? 'hits' : 'no hits'})`);
}
