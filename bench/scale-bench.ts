/**
 * `npm run bench:scale`: the hub at 100,000 and 1,000,000 indicators (issue 12 §3), on the SQLite
 * store and, where it can still run, the in-memory store, side by side.
 *
 * Each store runs in a child process of its own (clean RSS). Per size step the child seeds up to
 * the size through `IndicatorService.publish` (the service path, batches of 5,000, four
 * publishers, the bench data mix: 20% TLP:RED to the reader), then measures: seeding rate, RSS,
 * on-disk size, start-up time with the data present (the hub disposed and started again on the
 * same HUB_DATA_DIR; SQLite only, the memory store has nothing to start with), and p50/p99 over
 * HTTP, as a COMMUNITY member, of: the first list page with totalCount; filtered first pages
 * (type, TLP, severity, tags, minConfidence, updatedSince, revoked, minScore, excludeDecayed, excludeWarned) without and with totalCount
 * (and with `countUpTo`, the capped count, for tags, minConfidence, updatedSince and minScore);
 * first pages in SCORE order (plain, a next page by its cursor, with excludeDecayed on one type, with
 * minScore 90); a 1,000-value lookup; TAXII pages of 100 (first page, a deep page by `added_after`, and its
 * `next`); an audit page (hub-admin); and the alert log read from a day-old position (500 events
 * after it; the store read the replay makes; SQLite only, through a second connection).
 *
 * Options (after `--`): `--sizes 100000,1000000` (default), `--max 10000000` adds the 10M step,
 * `--stores sqlite,memory`, `--memory-max 1000000` (largest step the memory store is run at),
 * `--runs 30` (samples per read path; a path stops early after 10 s). `--child --store sqlite
 * --keep DIR` seeds into DIR and keeps it; `node --expose-gc --import tsx bench/scale-bench.ts
 * --serve DIR` then measures a fresh process on it (start-up, RSS after a GC, the reads): the
 * seeding process's RSS counts the garbage of seeding, a serving hub's does not.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { parseConfig } from '../src/config.js';
import type { IndicatorInput, Member, MemberTier, Role } from '../src/domain/types.js';
import { startHub, type Hub } from '../src/main.js';
import { MAX_PUBLISH_BATCH } from '../src/services/indicator-service.js';
import { createSqliteStore, sqliteStorePath } from '../src/store/sqlite/sqlite-store.js';
import { BENCH_ENV } from './lib/hub.js';
import { generate, inputFor, rng, type GeneratedType } from './lib/indicator-data.js';
import { summarize, timePath } from './lib/load.js';
import { fmt, printTable } from './lib/report.js';

const { values: args } = parseArgs({
  options: {
    child: { type: 'boolean', default: false },
    store: { type: 'string', default: 'sqlite' },
    sizes: { type: 'string', default: '100000,1000000' },
    max: { type: 'string' },
    stores: { type: 'string', default: 'sqlite,memory' },
    'memory-max': { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '30' },
    /** Seed into this directory and keep it (SQLite), for `--serve` in a fresh process. */
    keep: { type: 'string' },
    /** Start a fresh process's hub on this directory (kept by `--keep`) and measure it: start-up, RSS, reads. */
    serve: { type: 'string' },
    /** With `--child`: seed and report the seeding figures only (no restart, no reads): for profiling ingest. */
    'seed-only': { type: 'boolean', default: false },
    /** With `--child`: the hub keeps its metrics, and each step prints where seeding's time went, per store operation. */
    phases: { type: 'boolean', default: false },
  },
});

/** The hubs run as deployed (the Dockerfile sets NODE_ENV=production); `--child`/`--serve` run directly take the caller's. */
const SERVER_NODE_ENV = process.env.NODE_ENV ?? 'production';

const TYPES: readonly GeneratedType[] = ['IPV4', 'DOMAIN', 'SHA256', 'URL'];
const PUBLISHERS = ['m-pub-0', 'm-pub-1', 'm-pub-2', 'm-pub-3'];
const READER = 'm-reader';
const ADMIN = 'm-admin';
const TAXII_INDICATORS = 'ddf9e498-e313-4c9f-a961-674ccefa2ab9';
const TAXII_ACCEPT = 'application/taxii+json;version=2.1';
const PATH_BUDGET_MS = 10_000;

/** Filters whose exact count reads every match: measured with `countUpTo` too. */
const CAPPED = new Set(['tags', 'minConfidence', 'updatedSince', 'minScore']);

const TARGETS: Record<string, number> = {
  'filter tags + countUpTo': 100,
  'filter minConfidence + countUpTo': 100,
  'filter updatedSince + countUpTo': 100,
  // Issue 16: the score filters (src/store/score-filter.ts), as the COMMUNITY reader reads scores.
  'filter minScore (no count)': 20,
  'filter minScore + countUpTo': 100,
  'filter excludeDecayed (no count)': 20,
  'list first page + totalCount': 20,
  'filter type (no count)': 20,
  'filter excludeWarned (no count)': 20,
  'filter type + totalCount': 100,
  'order SCORE first page': 20,
  'order SCORE next page (cursor)': 20,
  'order SCORE + excludeDecayed, type DOMAIN': 20,
  'order SCORE + minScore 90': 20,
  'lookup 1,000 values': 20,
  'TAXII first page (100)': 30,
  'TAXII deep page (added_after)': 30,
  'TAXII deep page (next)': 30,
};

interface StepResult {
  store: string;
  size: number;
  seedPerSec: number;
  /** Process CPU time (user + system) per 1,000 indicators seeded: less sensitive to other load than the wall rate. */
  seedCpuMsPer1k: number;
  rssMiB: number;
  diskMiB: number | null;
  startupMs: number | null;
  rssAfterStartMiB: number | null;
  reads: Record<string, { p50: number; p99: number; n: number }>;
}

function sizesWanted(): number[] {
  const sizes = args.sizes.split(',').map(Number);
  if (args.max) sizes.push(Number(args.max));
  return [...new Set(sizes)].sort((a, b) => a - b);
}

function items(from: number, count: number): IndicatorInput[] {
  const random = rng(from + 1);
  return Array.from({ length: count }, (_, k) => inputFor(generate(0, from + k, TYPES), from + k, READER, random));
}

function diskMiB(dir: string): number {
  let bytes = 0;
  for (const name of readdirSync(dir)) bytes += statSync(join(dir, name)).size;
  return bytes / 1_048_576;
}

const rssMiB = () => process.memoryUsage().rss / 1_048_576;

const time = (fn: () => Promise<unknown>, runs: number) => timePath(fn, runs, PATH_BUDGET_MS);

async function post(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 500)}`);
  return body.data!;
}

async function taxii(hub: Hub, token: string, query: string): Promise<{ objects?: unknown[]; next?: string; more?: boolean }> {
  const base = hub.url.replace(/\/graphql$/, '');
  const res = await fetch(`${base}/taxii2/hub/collections/${TAXII_INDICATORS}/objects/?${query}`, { headers: { accept: TAXII_ACCEPT, authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`TAXII ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as { objects?: unknown[]; next?: string };
}

async function startBench(store: string, dataDir: string): Promise<Hub> {
  const metrics = args.phases ? { HUB_METRICS_PORT: '0' } : {};
  return startHub(parseConfig({ ...BENCH_ENV, HUB_DATA_DIR: dataDir, HUB_STORE: store, ...metrics }, { demo: false }), { logger: pino({ level: 'silent' }) });
}

/** Seconds spent in each store operation so far (`--phases`), from the hub's metrics. */
async function storeSeconds(hub: Hub): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!hub.metrics) return out;
  // Once more on a failure: a kept-alive socket the metrics listener closed meanwhile.
  const text = await fetch(hub.metrics.url)
    .catch(() => fetch(hub.metrics!.url))
    .then((res) => res.text());
  for (const m of text.matchAll(/^hub_store_operation_duration_seconds_sum\{repository="([^"]+)",operation="([^"]+)"\} (\S+)$/gm)) out.set(`${m[1]}.${m[2]}`, Number(m[3]));
  return out;
}

async function registerMembers(hub: Hub): Promise<void> {
  const add = async (id: string, tier: MemberTier) => {
    const member: Member = {
      _id: id,
      name: `${id} organisation`,
      kind: 'ENTERPRISE',
      tier,
      sector: 'bench',
      country: 'NL',
      allowedRoles: ['reader', 'publisher', 'approver', 'member-admin', 'hub-admin'],
      status: 'ACTIVE',
      createdAt: new Date(),
    };
    await hub.services.members.register(member);
  };
  for (const id of PUBLISHERS) await add(id, 'TRUSTED');
  await add(READER, 'COMMUNITY');
  await add(ADMIN, 'CORE');
}

/** The read paths, timed. */
async function measureReads(hub: Hub, store: string, dataDir: string, runs: number, size: number): Promise<StepResult['reads']> {
  // A token speaks for a person of its member (issue 11): seed them first.
  await hub.services.people.seed({ id: `bench@${READER}`, memberId: READER, roles: ['reader'] });
  await hub.services.people.seed({ id: `bench@${ADMIN}`, memberId: ADMIN, roles: ['reader', 'hub-admin'] });
  const reader = await hub.tokens.issue({ memberId: READER, userId: `bench@${READER}`, roles: ['reader'], ttlMs: 3_600_000 });
  const admin = await hub.tokens.issue({ memberId: ADMIN, userId: `bench@${ADMIN}`, roles: ['reader', 'hub-admin'], ttlMs: 3_600_000 });
  const reads: StepResult['reads'] = {};
  const measure = async (name: string, fn: () => Promise<void>) => {
    reads[name] = await time(fn, runs);
    console.error(`  ${store} ${size}: ${name}: p50 ${fmt(reads[name]!.p50, 2)} ms, p99 ${fmt(reads[name]!.p99, 2)} ms (n=${reads[name]!.n})`);
  };
  const page = (count: boolean | 'capped') =>
    `query($f: IndicatorFilter) { indicators(first: 50, filter: $f) { ${count === 'capped' ? 'countUpTo { value exact }' : count ? 'totalCount' : ''} edges { node { id value type tlp severity confidence updatedAt } } pageInfo { endCursor hasNextPage } } }`;
  const day = new Date(Date.now() - 86_400_000).toISOString();
  await measure('list first page + totalCount', async () => void (await post(hub.url, reader, page(true))));
  const filters: Array<[string, Record<string, unknown>]> = [
    ['type', { type: ['DOMAIN'] }],
    ['TLP', { tlp: ['GREEN'] }],
    ['severity', { severity: ['HIGH'] }],
    ['tags', { tags: ['apt'] }],
    ['minConfidence', { minConfidence: 90 }],
    ['updatedSince', { updatedSince: day }],
    ['revoked', { revoked: false }],
    ['minScore', { minScore: 90 }],
    ['excludeDecayed', { excludeDecayed: true }],
    ['excludeWarned', { excludeWarned: true }],
  ];
  for (const [name, f] of filters) {
    await measure(`filter ${name} (no count)`, async () => void (await post(hub.url, reader, page(false), { f })));
    await measure(`filter ${name} + totalCount`, async () => void (await post(hub.url, reader, page(true), { f })));
    // The bounded count (countUpTo, default cap 10,000) where totalCount counts every match.
    if (CAPPED.has(name)) await measure(`filter ${name} + countUpTo`, async () => void (await post(hub.url, reader, page('capped'), { f })));
  }
  // Issue 16: the SCORE order (src/services/score-merge.ts), as the COMMUNITY reader ranks by the open bases.
  const byScore = 'query($f: IndicatorFilter, $a: String) { indicators(first: 50, filter: $f, after: $a, orderBy: { field: SCORE, direction: DESC }) { edges { node { id value type score } } pageInfo { endCursor hasNextPage } } }';
  await measure('order SCORE first page', async () => void (await post(hub.url, reader, byScore)));
  const second = ((await post(hub.url, reader, byScore)) as { indicators: { pageInfo: { endCursor: string } } }).indicators.pageInfo.endCursor;
  await measure('order SCORE next page (cursor)', async () => void (await post(hub.url, reader, byScore, { a: second })));
  await measure('order SCORE + excludeDecayed, type DOMAIN', async () => void (await post(hub.url, reader, byScore, { f: { excludeDecayed: true, type: ['DOMAIN'] } })));
  await measure('order SCORE + minScore 90', async () => void (await post(hub.url, reader, byScore, { f: { minScore: 90 } })));
  // Half known (every 7th seeded item), half unknown.
  const known = Array.from({ length: 500 }, (_, k) => generate(0, (k * 7919) % size, TYPES).value);
  const unknown = Array.from({ length: 500 }, (_, k) => generate(2, k, TYPES).value);
  const lookupQuery = 'query($v: [String!]!) { lookupIndicators(values: $v) { input known indicators { id tlp } } }';
  await measure('lookup 1,000 values', async () => void (await post(hub.url, reader, lookupQuery, { v: [...known, ...unknown] })));
  await measure('TAXII first page (100)', async () => void (await taxii(hub, reader, 'limit=100')));
  // A deep page: added_after at the middle of the data's dates.
  const first = (await taxii(hub, reader, 'limit=1')).objects as Array<{ modified?: string; created: string }>;
  const from = Date.parse(first[0]!.created);
  const mid = new Date(from + (Date.now() - from) / 2).toISOString();
  await measure('TAXII deep page (added_after)', async () => void (await taxii(hub, reader, `limit=100&added_after=${encodeURIComponent(mid)}`)));
  const deep = await taxii(hub, reader, `limit=100&added_after=${encodeURIComponent(mid)}`);
  if (deep.next) await measure('TAXII deep page (next)', async () => void (await taxii(hub, reader, `limit=100&next=${encodeURIComponent(deep.next!)}`)));
  await measure('audit page (hub-admin) + totalCount', async () => void (await post(hub.url, admin, '{ auditLog(first: 50) { totalCount edges { node { id action at } } } }')));
  if (store === 'sqlite') {
    // The store read an alert replay makes from a day-old cursor: 500 events after an old position.
    const other = createSqliteStore(sqliteStorePath(dataDir));
    try {
      const { latest } = await other.events.bounds();
      const old = Math.max(0, Math.floor(latest / 10));
      await measure('alert replay read (500 events after an old position)', async () => void (await other.events.readAfter(old, 500)));
    } finally {
      await other.close();
    }
  }
  return reads;
}

async function child(): Promise<void> {
  const store = args.store;
  const runs = Number(args.runs);
  const dataDir = args.keep ?? mkdtempSync(join(tmpdir(), `hub-scale-${store}-`));
  let hub = await startBench(store, dataDir);
  await registerMembers(hub);
  const publishers = PUBLISHERS.map((id) => ({ kind: 'member' as const, memberId: id, userId: `bench@${id}`, roles: ['reader', 'publisher'] as Role[], tier: 'TRUSTED' as const }));
  let seeded = 0;
  let batch = 0;
  try {
    for (const size of sizesWanted()) {
      if (store === 'memory' && size > Number(args['memory-max'])) break;
      const from = seeded;
      // Timed: the publish calls only (making the inputs is the client's work, not ingest's).
      let wallMs = 0;
      let cpuMicros = 0;
      const storeBefore = await storeSeconds(hub);
      while (seeded < size) {
        const count = Math.min(MAX_PUBLISH_BATCH, size - seeded);
        const input = { idempotencyKey: `scale-${batch}`, indicators: items(seeded, count) };
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const { results } = await hub.services.indicators.publish(publishers[batch % publishers.length]!, input);
        const c1 = process.cpuUsage(c0);
        cpuMicros += c1.user + c1.system;
        wallMs += performance.now() - t0;
        const rejected = results.find((r) => r.status === 'REJECTED');
        if (rejected) throw new Error(`item ${seeded + rejected.index} rejected: ${JSON.stringify(rejected.error)}`);
        seeded += count;
        batch++;
        if (batch % 20 === 0) console.error(`  ${store}: seeded ${seeded} (${fmt(rssMiB(), 0)} MiB RSS, ${fmt((seeded - from) / (wallMs / 1000), 0)}/s, ${fmt(cpuMicros / 1000 / ((seeded - from) / 1000), 1)} ms CPU per 1,000, load ${fmt(loadavg()[0]!, 1)})`);
      }
      const seedPerSec = (size - from) / (wallMs / 1000);
      const seedCpuMsPer1k = cpuMicros / 1000 / ((size - from) / 1000);
      if (args.phases) {
        const per1k = (seconds: number) => fmt((seconds * 1000) / ((size - from) / 1000), 1);
        const after = await storeSeconds(hub);
        // `events.appendWith` is the transaction around the publish's writes: it holds the calls
        // made inside it (upsertClaims, the seq reservation), so it is reported, not summed.
        const ENVELOPE = 'events.appendWith';
        let inStore = 0;
        const lines = [...after].map(([op, sec]) => [op, sec - (storeBefore.get(op) ?? 0)] as const).filter(([, sec]) => sec > 0).sort((a, b) => b[1] - a[1]);
        const envelope = lines.find(([op]) => op === ENVELOPE)?.[1] ?? 0;
        const nested = lines.find(([op]) => op === 'indicators.upsertClaims')?.[1] ?? 0;
        for (const [op, sec] of lines) {
          if (op !== ENVELOPE && !(envelope && op === 'indicators.upsertClaims')) inStore += sec;
          console.error(`  phases ${size}: ${op} ${per1k(sec)} ms per 1,000${op === ENVELOPE ? ` (holds upsertClaims; the rest, ${per1k(sec - nested)}, is its events, seq reservation and commit)` : ''}`);
        }
        inStore += envelope;
        console.error(`  phases ${size}: outside the store (service path) ${per1k(wallMs / 1000 - inStore)} ms per 1,000; wall ${per1k(wallMs / 1000)}, CPU ${fmt(seedCpuMsPer1k, 1)}`);
      }
      const result: StepResult = { store, size, seedPerSec, seedCpuMsPer1k, rssMiB: rssMiB(), diskMiB: store === 'sqlite' ? diskMiB(dataDir) : null, startupMs: null, rssAfterStartMiB: null, reads: {} };
      if (args['seed-only']) {
        console.log(JSON.stringify(result));
        continue;
      }
      if (store === 'sqlite') {
        await hub.dispose();
        const s0 = performance.now();
        hub = await startBench(store, dataDir);
        result.startupMs = performance.now() - s0;
        result.rssAfterStartMiB = rssMiB();
      }
      result.reads = await measureReads(hub, store, dataDir, runs, size);
      result.rssMiB = Math.max(result.rssMiB, rssMiB());
      console.log(JSON.stringify(result));
    }
  } finally {
    await hub.dispose();
    if (!args.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `--serve DIR`: this fresh process starts a hub on a kept SQLite directory and measures it. */
async function serve(dir: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const before = rssMiB();
  const s0 = performance.now();
  const hub = await startBench('sqlite', dir);
  const startupMs = performance.now() - s0;
  gc?.();
  const afterStart = rssMiB();
  const other = createSqliteStore(sqliteStorePath(dir));
  const size = await other.indicators.count({});
  await other.close();
  try {
    const reads = await measureReads(hub, 'sqlite', dir, Number(args.runs), size);
    gc?.();
    console.log(JSON.stringify({ size, rssBeforeStartMiB: before, startupMs, rssAfterStartMiB: afterStart, rssAfterReadsMiB: rssMiB(), diskMiB: diskMiB(dir), reads: Object.keys(reads).length }));
  } finally {
    await hub.dispose();
  }
}

async function parent(): Promise<void> {
  const stores = args.stores.split(',');
  console.log(`hubs run with NODE_ENV=${SERVER_NODE_ENV} (as the Dockerfile deploys; set NODE_ENV to override)`);
  console.log(`bench:scale on ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => fmt(l, 2)).join(' ')} at start; sizes ${sizesWanted().join(', ')}`);
  try {
    console.log(`other processes at start: ${execFileSync('sh', ['-c', "ps -eo pcpu,comm --sort=-pcpu | head -6 | tail -5 | tr '\\n' ';'"]).toString()}`);
  } catch {
    // ps missing: say nothing
  }
  const results: StepResult[] = [];
  for (const store of stores) {
    const proc = spawn(process.execPath, [...process.execArgv, process.argv[1]!, '--child', '--store', store, '--sizes', args.sizes, ...(args.max ? ['--max', args.max] : []), '--memory-max', args['memory-max'], '--runs', args.runs], {
      stdio: ['ignore', 'pipe', 'inherit'],
      // The memory store needs the room (about 4 GB at 1M); the SQLite store runs with Node's defaults.
      // The hub runs as deployed: the Dockerfile sets NODE_ENV=production (graphql-js skips its
      // development checks, about 1.5 ms of a 1,000-value lookup).
      env: {
        ...process.env,
        NODE_ENV: SERVER_NODE_ENV,
        ...(store === 'memory' ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=8192` } : {}),
      },
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
    for (const line of out.split('\n')) if (line.startsWith('{')) results.push(JSON.parse(line) as StepResult);
    if (code !== 0) console.log(`${store}: child exited ${code} (a step it could not finish is missing below)`);
  }
  for (const size of sizesWanted()) {
    const at = results.filter((r) => r.size === size);
    if (at.length === 0) continue;
    const col = (f: (r: StepResult) => string) => at.map(f);
    const rows: string[][] = [
      ['', ...at.map((r) => r.store), 'target (1M)'],
      ['seeding (publishIndicators, /s)', ...col((r) => fmt(r.seedPerSec, 0)), '>= 20000'],
      ['seeding CPU per 1,000 indicators (ms)', ...col((r) => fmt(r.seedCpuMsPer1k, 1)), '<= 50 (1 core)'],
      ['RSS (MiB)', ...col((r) => fmt(r.rssMiB, 0)), '<= 1024'],
      ['RSS after restart (MiB)', ...col((r) => (r.rssAfterStartMiB === null ? 'n/a' : fmt(r.rssAfterStartMiB, 0))), ''],
      ['on disk (MiB)', ...col((r) => (r.diskMiB === null ? 'n/a' : fmt(r.diskMiB, 0))), ''],
      ['start-up with data (ms)', ...col((r) => (r.startupMs === null ? 'n/a' : fmt(r.startupMs, 0))), '<= 10000'],
    ];
    const paths = [...new Set(at.flatMap((r) => Object.keys(r.reads)))];
    for (const p of paths) rows.push([`${p} p50 / p99 (ms)`, ...col((r) => (r.reads[p] ? `${fmt(r.reads[p]!.p50, 1)} / ${fmt(r.reads[p]!.p99, 1)}` : 'n/a')), TARGETS[p] ? `p50 <= ${TARGETS[p]}` : '']);
    printTable(`${size.toLocaleString('en')} indicators`, rows);
  }
  console.log(`load average at end: ${loadavg().map((l) => fmt(l, 2)).join(' ')}`);
}

if (args.serve) await serve(args.serve);
else if (args.child) await child();
else await parent();
