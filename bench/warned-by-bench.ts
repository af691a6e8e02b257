/**
 * `npx tsx bench/warned-by-bench.ts [claims=200000]`: what the stored warned flag costs on the
 * embedded store (SQLite in memory). Seeds `claims` indicators (a quarter IPv4; every 100th claim
 * a private address, so on rfc1918) with no `warnedBy`, as a store written before the flag existed; times
 * the recompute job's backfill run flat out (`runAll`: every claim read, the warned ones
 * rewritten); then a COMMUNITY reader's first page (51) and count with and without excludeWarned,
 * p50 / p99 of 30 runs each.
 */
import { createSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { and, sortFor, warnedExclusion } from '../src/store/queries.js';
import { indicatorVisibility, type Viewer } from '../src/policy/policy.js';
import { WarningListSet } from '../src/warninglists/warning-list-set.js';
import { loadVendoredLists } from '../src/warninglists/load-vendored-lists.js';
import { WarnedByComputer } from '../src/warninglists/warned-by-computer.js';
import { WarnedByRecompute } from '../src/services/warned-by-recompute.js';
import type { IndicatorDoc } from '../src/domain/types.js';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 200_000);
  const store = createSqliteStore(':memory:');
  const types = ['IPV4', 'DOMAIN', 'URL', 'SHA256'] as const;
  const octets = (i: number) => `${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  store.db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const type = types[i % 4]!;
      const value = type === 'IPV4' ? `${i % 100 === 0 ? 10 : 45}.${octets(i)}` : type === 'DOMAIN' ? `h${i}.example.net` : type === 'URL' ? `http://h${i}.example.net/x` : i.toString(16).padStart(64, '0');
      const at = new Date(1e12 + i);
      const doc: IndicatorDoc = {
        _id: `indicator--${String(i).padStart(8, '0')}`, dateAddedOffset: i % 1000, type, value, submittedValue: value, tlp: (['CLEAR', 'GREEN', 'AMBER'] as const)[i % 3]!,
        recipients: [], severity: 'MEDIUM', severityRank: 2, confidence: 50, validFrom: at, validUntil: null, tags: [], description: null, sightingCount: 0, lastSeenAt: null,
        revoked: false, revokedReason: null, source: `m-${i % 5}`, createdAt: at, updatedAt: at, seq: i,
      };
      store.collections.indicators.insert(doc);
    }
  })();
  store.db.exec('ANALYZE');
  const computer = new WarnedByComputer(new WarningListSet(loadVendoredLists()));
  const job = new WarnedByRecompute({ indicators: store.indicators, jobs: store.jobStates, leases: store.leases, holder: 'bench', computer, onError: (err) => { throw err; } });
  const t0 = performance.now();
  const written = await job.runAll();
  const seconds = (performance.now() - t0) / 1000;
  console.log(`backfill of ${n.toLocaleString('en')} claims: ${written.toLocaleString('en')} rewritten in ${seconds.toFixed(1)} s (${Math.round(n / seconds).toLocaleString('en')} claims/s)`);
  const reader: Viewer = { kind: 'member', memberId: 'm-reader', userId: 'u', roles: ['reader'], tier: 'COMMUNITY' };
  const visibility = indicatorVisibility(reader);
  const unwarned = and(visibility, warnedExclusion(computer.vendoredIds));
  const sort = sortFor('UPDATED_AT', 'DESC');
  const time = async (name: string, fn: () => Promise<unknown>) => {
    const ms: number[] = [];
    for (let k = 0; k < 30; k++) {
      const start = performance.now();
      await fn();
      ms.push(performance.now() - start);
    }
    ms.sort((a, b) => a - b);
    console.log(`${name}: p50 ${ms[15]!.toFixed(2)} ms, p99 ${ms[29]!.toFixed(2)} ms`);
  };
  await time('first page (51)', () => store.indicators.find(visibility, { sort, limit: 51 }));
  await time('first page (51), excludeWarned', () => store.indicators.find(unwarned, { sort, limit: 51 }));
  await time('count', () => store.indicators.count(visibility));
  await time('count, excludeWarned', () => store.indicators.count(unwarned));
  console.log(`visible ${await store.indicators.count(visibility)}, of which not warned ${await store.indicators.count(unwarned)}`);
  await store.close();
}

void main();
