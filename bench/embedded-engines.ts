/**
 * `npm run bench:engines`: the embedded-store candidates of issue 12 §1, SQLite (better-sqlite3,
 * through the hub's own adapter) and LMDB (the `lmdb` package, indexes built by hand in
 * bench/lib/lmdb-indicators.ts), on the same workload, each in child processes of its own.
 *
 * Durable settings on both: SQLite as the hub opens it (WAL, `synchronous = FULL`); LMDB with its
 * defaults (`noSync: false`), each batch acknowledged once `flushed`. One transaction per batch
 * of 5,000, as a publish commits. The data: 1,000,000 indicators of the scale bench's mix
 * (bench/lib/indicator-data.ts: four types, 20% TLP:RED to the reader, tags, four publishers),
 * normalised and shaped into the claim upserts IndicatorService builds (not timed).
 *
 * Per engine: an ingest child (rate, CPU per 1,000, bytes written, RSS, on-disk size), then a fresh read child
 * (open time with the data present, RSS after reading, and p50/p99 of: a 1,000-value lookup, a
 * first page of 50 of one type in `seq` order, the count of a type, a TAXII page of 100 after a
 * time). Reads run as a COMMUNITY member, with the policy's visibility filter on both engines.
 * Both engines' answers are compared (same sizes), so a faster wrong answer cannot pass.
 *
 * Options (after `--`): `--size 1000000`, `--engines sqlite,lmdb` (also `lmdb-minimal`: only
 * the indexes these reads use; `lmdb-no-overlap`: lmdb-js's `overlappingSync` off), `--runs 30`,
 * `--keep` (leave the data directories). Results: `bench/results/engines-latest.json`.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { normalizeIndicator } from '../src/domain/normalize.js';
import { severityRank, type IndicatorDoc } from '../src/domain/types.js';
import { withId } from '../src/domain/with-id.js';
import { indicatorVisibility, taxiiExclusion, visibilityKey, type Viewer } from '../src/policy/policy.js';
import type { ClaimUpsert, ClaimUpsertResult } from '../src/store/ports.js';
import { and, indicatorFilter, sortFor } from '../src/store/queries.js';
import { createSqliteStore, sqliteStorePath, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { generate, inputFor, rng, type GeneratedType } from './lib/indicator-data.js';
import { LmdbIndicators } from './lib/lmdb-indicators.js';
import { summarize, timePath } from './lib/load.js';
import { fmt, printTable } from './lib/report.js';

const { values: args } = parseArgs({
  options: {
    child: { type: 'boolean', default: false },
    phase: { type: 'string', default: 'ingest' },
    engine: { type: 'string', default: 'sqlite' },
    dir: { type: 'string' },
    after: { type: 'string' },
    size: { type: 'string', default: '1000000' },
    engines: { type: 'string', default: 'sqlite,lmdb' },
    runs: { type: 'string', default: '30' },
    keep: { type: 'boolean', default: false },
  },
});

const BATCH = 5_000;
const TYPES: readonly GeneratedType[] = ['IPV4', 'DOMAIN', 'SHA256', 'URL'];
const PUBLISHERS = ['m-pub-0', 'm-pub-1', 'm-pub-2', 'm-pub-3'];
const READER = 'm-reader';
const PATH_BUDGET_MS = 10_000;
const VIEWER: Viewer = { kind: 'member', memberId: READER, userId: `bench@${READER}`, roles: ['reader'], tier: 'COMMUNITY' };

/** What each engine offers the bench: the write and the four reads, as the hub would make them. */
interface Engine {
  upsertClaims(upserts: readonly ClaimUpsert[]): Promise<ClaimUpsertResult[]>;
  lookup(values: readonly string[]): Promise<IndicatorDoc[]>;
  firstPageOfType(type: string): Promise<IndicatorDoc[]>;
  countOfType(type: string): Promise<number>;
  taxiiPage(afterMs: number, cutoffMs: number): Promise<IndicatorDoc[]>;
  close(): Promise<void>;
}

const visibility = indicatorVisibility(VIEWER);
const visKey = visibilityKey(VIEWER);
const taxiiScope = and(visibility, taxiiExclusion());
const TAXII_SORT = [['updatedAt', 1], ['dateAddedOffset', 1], ['_id', 1]] as const;

function sqliteEngine(dir: string): Engine {
  const store: SqliteStore = createSqliteStore(sqliteStorePath(dir));
  return {
    upsertClaims: (u) => store.indicators.upsertClaims(u),
    // As IndicatorService.lookup and .list build them.
    lookup: (values) => store.indicators.find(and({ value: { $in: [...new Set(values)] } }, visibility), { sort: [['_id', 1]] }),
    firstPageOfType: (type) => store.indicators.find(and(indicatorFilter({ type: [type as IndicatorDoc['type']] }), visibility), { sort: sortFor('UPDATED_AT', 'DESC'), limit: 50 }),
    countOfType: (type) => store.indicators.count(and(indicatorFilter({ type: [type as IndicatorDoc['type']] }), visibility)),
    // As StoreSource.readDocs builds a page after a position: the range, then the rest of its last date_added.
    async taxiiPage(afterMs, cutoffMs) {
      const docs = await store.indicators.find(and(taxiiScope, { updatedAt: { $gt: new Date(afterMs), $lt: new Date(cutoffMs) } }), { sort: [...TAXII_SORT], limit: 101 });
      const end = docs[docs.length - 1];
      if (docs.length === 101 && end) {
        docs.push(...(await store.indicators.find(and(taxiiScope, { updatedAt: end.updatedAt, dateAddedOffset: end.dateAddedOffset, _id: { $gt: end._id } }), { sort: [...TAXII_SORT] })));
      }
      return docs;
    },
    close: () => store.close(),
  };
}

function lmdbEngine(dir: string, indexes: 'full' | 'minimal', overlappingSync?: boolean): Engine {
  const db = new LmdbIndicators(dir, { indexes, overlappingSync });
  return {
    upsertClaims: (u) => db.upsertClaims(u),
    lookup: async (values) => db.lookup(values, visibility, visKey),
    firstPageOfType: async (type) => db.firstPageOfType(type, 50, visibility, visKey),
    countOfType: async (type) => db.countOfType(type, and(indicatorFilter({ type: [type as IndicatorDoc['type']] }), visibility), `type:${type}|${visKey}`),
    taxiiPage: async (afterMs, cutoffMs) => db.taxiiPage(afterMs, cutoffMs, 100, taxiiScope, `taxii|${visKey}`),
    close: () => db.close(),
  };
}

function openEngine(name: string, dir: string): Engine {
  if (name === 'sqlite') return sqliteEngine(dir);
  if (name === 'lmdb') return lmdbEngine(dir, 'full');
  if (name === 'lmdb-minimal') return lmdbEngine(dir, 'minimal');
  if (name === 'lmdb-no-overlap') return lmdbEngine(dir, 'full', false);
  throw new Error(`unknown engine ${name} (sqlite, lmdb, lmdb-minimal, lmdb-no-overlap)`);
}

/** A fixed id per item (a UUID's shape), so both engines hold the same ids and TAXII's order within a millisecond matches. */
function benchId(i: number): string {
  const h = createHash('sha256').update(`engines:${i}`).digest('hex');
  return `indicator--${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The claim upserts IndicatorService.toUpsert builds for items `from`..`from+count` (one publisher per batch). */
function claims(from: number, count: number, now: Date, firstSeq: number): ClaimUpsert[] {
  const random = rng(from + 1);
  const source = PUBLISHERS[(from / BATCH) % PUBLISHERS.length]!;
  return Array.from({ length: count }, (_, k) => {
    const item = inputFor(generate(0, from + k, TYPES), from + k, READER, random);
    const n = normalizeIndicator(item.value, item.type);
    return {
      key: { source, type: n.type, value: n.value },
      onInsert: { ...withId(benchId(from + k)), createdAt: now, sightingCount: 0, lastSeenAt: null },
      set: {
        submittedValue: item.value,
        tlp: item.tlp,
        recipients: [...new Set(item.recipients ?? [])],
        severity: item.severity,
        severityRank: severityRank(item.severity),
        confidence: item.confidence,
        validFrom: item.validFrom ?? now,
        validUntil: item.validUntil ?? null,
        tags: [...new Set(item.tags ?? [])],
        description: item.description ?? null,
        revoked: false,
        revokedReason: null,
        updatedAt: now,
        seq: firstSeq + k,
      },
    };
  });
}

function disk(dir: string): { mib: number; allocatedMib: number } {
  let bytes = 0;
  let blocks = 0;
  for (const name of readdirSync(dir)) {
    const s = statSync(join(dir, name));
    bytes += s.size;
    blocks += s.blocks * 512;
  }
  return { mib: bytes / 1_048_576, allocatedMib: blocks / 1_048_576 };
}

/**
 * What this process wrote, in MiB (Linux `/proc/self/io`): `wchar`, the bytes its write calls
 * passed, and `write_bytes`, the bytes the kernel counts it as having sent to storage.
 */
function written(): { syscalls: number; storage: number } {
  const io = readFileSync('/proc/self/io', 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(io)?.[1] ?? Number.NaN) / 1_048_576;
  return { syscalls: field('wchar'), storage: field('write_bytes') };
}

/** RSS, and its anonymous (heap, caches) and file-backed (LMDB's map, mapped libraries) parts, in MiB. */
function memory(): { rss: number; anon: number; file: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN) / 1024;
  return { rss: process.memoryUsage().rss / 1_048_576, anon: kb('RssAnon'), file: kb('RssFile') };
}

async function ingestChild(engineName: string, dir: string, size: number): Promise<void> {
  const engine = openEngine(engineName, dir);
  let storeMs = 0;
  let cpuMicros = 0;
  let midMs = 0;
  const started = performance.now();
  for (let from = 0; from < size; from += BATCH) {
    const count = Math.min(BATCH, size - from);
    const now = new Date();
    const batch = claims(from, count, now, from + 1);
    if (midMs === 0 && from + count > size / 2) midMs = now.getTime();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const written = await engine.upsertClaims(batch);
    storeMs += performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    cpuMicros += cpu.user + cpu.system;
    if (written.length !== count || written.some((w) => !w.created)) throw new Error(`batch at ${from}: expected ${count} created`);
    if ((from + count) % 100_000 === 0) console.error(`  ${engineName}: ${from + count} (${fmt(((from + count) / storeMs) * 1000, 0)}/s in the store, load ${fmt(loadavg()[0]!, 1)})`);
  }
  const wallMs = performance.now() - started;
  const mem = memory();
  const t0 = performance.now();
  await engine.close();
  const closeMs = performance.now() - t0;
  const d = disk(dir);
  const w = written();
  console.log(JSON.stringify({
    writtenMiB: w.storage,
    writeCallsMiB: w.syscalls,
    perSec: (size / storeMs) * 1000,
    wallPerSec: (size / wallMs) * 1000,
    cpuMsPer1000: cpuMicros / 1000 / (size / 1000),
    rssMiB: mem.rss,
    rssAnonMiB: mem.anon,
    rssFileMiB: mem.file,
    closeMs,
    diskMiB: d.mib,
    diskAllocatedMiB: d.allocatedMib,
    midMs,
  }));
}

const time = (fn: () => Promise<unknown>, runs: number) => timePath(fn, runs, PATH_BUDGET_MS);

async function readChild(engineName: string, dir: string, size: number, afterMs: number, runs: number): Promise<void> {
  const t0 = performance.now();
  const engine = openEngine(engineName, dir);
  const openMs = performance.now() - t0;
  // Half known (every 7919th item, spread over the data), half unknown: as bench:scale asks.
  const known = Array.from({ length: 500 }, (_, k) => generate(0, (k * 7919) % size, TYPES).value);
  const unknown = Array.from({ length: 500 }, (_, k) => generate(2, k, TYPES).value);
  const values = [...known, ...unknown];
  const cutoffMs = Date.now();
  const t1 = performance.now();
  const firstLookup = await engine.lookup(values);
  const firstReadMs = performance.now() - t1;
  const page = await engine.firstPageOfType('DOMAIN');
  const answers = {
    lookup: firstLookup.length,
    page: page.length,
    pageSeqs: page.map((d) => d.seq).slice(0, 3).join(','),
    count: await engine.countOfType('DOMAIN'),
    taxii: (await engine.taxiiPage(afterMs, cutoffMs)).length,
  };
  const reads: Record<string, { p50: number; p99: number; n: number }> = {};
  const measure = async (name: string, fn: () => Promise<unknown>) => {
    reads[name] = await time(fn, runs);
    console.error(`  ${engineName}: ${name}: p50 ${fmt(reads[name]!.p50, 2)} ms, p99 ${fmt(reads[name]!.p99, 2)} ms (n=${reads[name]!.n})`);
  };
  await measure('lookup 1,000 values', () => engine.lookup(values));
  await measure('first page of 50, type DOMAIN, seq order', () => engine.firstPageOfType('DOMAIN'));
  await measure('count of type DOMAIN', () => engine.countOfType('DOMAIN'));
  await measure('TAXII-like page of 100 after a time', () => engine.taxiiPage(afterMs, cutoffMs));
  const mem = memory();
  await engine.close();
  console.log(JSON.stringify({ openMs, firstReadMs, rssMiB: mem.rss, rssAnonMiB: mem.anon, rssFileMiB: mem.file, reads, answers }));
}

interface Ingest {
  writtenMiB: number;
  writeCallsMiB: number;
  perSec: number;
  wallPerSec: number;
  cpuMsPer1000: number;
  rssMiB: number;
  rssAnonMiB: number;
  rssFileMiB: number;
  closeMs: number;
  diskMiB: number;
  diskAllocatedMiB: number;
  midMs: number;
}
interface Read {
  openMs: number;
  firstReadMs: number;
  rssMiB: number;
  rssAnonMiB: number;
  rssFileMiB: number;
  reads: Record<string, { p50: number; p99: number; n: number }>;
  answers: Record<string, unknown>;
}

const load = () => loadavg().map((l) => fmt(l, 2)).join(' ');

function runChild(childArgs: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...process.execArgv, process.argv[1]!, '--child', ...childArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code === 0 && line) resolve(line);
      else reject(new Error(`child ${childArgs.join(' ')} exited ${code}: ${out.slice(-500)}`));
    });
  });
}

async function parent(): Promise<void> {
  const size = Number(args.size);
  const engines = args.engines.split(',');
  console.log(`bench:engines on ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}, ${fmt(size, 0)} indicators, batches of ${BATCH}; load average ${load()} at start`);
  const results: Record<string, { ingest: Ingest; read: Read; loads: string[] }> = {};
  for (const engine of engines) {
    const dir = mkdtempSync(join(tmpdir(), `hub-engines-${engine}-`));
    try {
      const loads = [`before ingest ${load()}`];
      const ingest = JSON.parse(await runChild(['--phase', 'ingest', '--engine', engine, '--dir', dir, '--size', String(size)])) as Ingest;
      loads.push(`after ingest ${load()}`);
      const read = JSON.parse(await runChild(['--phase', 'read', '--engine', engine, '--dir', dir, '--size', String(size), '--after', String(ingest.midMs - 1), '--runs', args.runs])) as Read;
      loads.push(`after reads ${load()}`);
      results[engine] = { ingest, read, loads };
      console.log(`${engine}: load average ${loads.join(', ')}; answers ${JSON.stringify(read.answers)}`);
    } finally {
      if (args.keep) console.log(`${engine}: data kept in ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    }
  }
  const names = Object.keys(results);
  const row = (label: string, f: (r: { ingest: Ingest; read: Read }) => string) => [label, ...names.map((n) => f(results[n]!))];
  const rows: string[][] = [
    ['', ...names],
    row('ingest, store time (indicators/s)', (r) => fmt(r.ingest.perSec, 0)),
    row('ingest, wall with data generation (/s)', (r) => fmt(r.ingest.wallPerSec, 0)),
    row('CPU per 1,000 indicators (ms)', (r) => fmt(r.ingest.cpuMsPer1000, 1)),
    row('RSS after ingest (MiB; anon / file)', (r) => `${fmt(r.ingest.rssMiB, 0)} (${fmt(r.ingest.rssAnonMiB, 0)} / ${fmt(r.ingest.rssFileMiB, 0)})`),
    row('written during ingest (MiB; write calls / storage)', (r) => `${fmt(r.ingest.writeCallsMiB, 0)} / ${fmt(r.ingest.writtenMiB, 0)}`),
    row('on disk (MiB; allocated)', (r) => `${fmt(r.ingest.diskMiB, 0)} (${fmt(r.ingest.diskAllocatedMiB, 0)})`),
    row('open with the data (ms)', (r) => fmt(r.read.openMs, 1)),
    row('first read after open: lookup (ms)', (r) => fmt(r.read.firstReadMs, 1)),
    row('RSS after reads (MiB; anon / file)', (r) => `${fmt(r.read.rssMiB, 0)} (${fmt(r.read.rssAnonMiB, 0)} / ${fmt(r.read.rssFileMiB, 0)})`),
  ];
  for (const path of Object.keys(results[names[0]!]!.read.reads)) {
    rows.push(row(`${path} p50 / p99 (ms)`, (r) => `${fmt(r.read.reads[path]!.p50, 2)} / ${fmt(r.read.reads[path]!.p99, 2)}`));
  }
  printTable(`bench:engines, ${fmt(size, 0)} indicators (load average at end ${load()})`, rows);
  const answers = names.map((n) => JSON.stringify(results[n]!.read.answers));
  if (new Set(answers).size > 1) {
    console.log(`ANSWERS DIFFER: ${names.map((n, i) => `${n} ${answers[i]}`).join('; ')}`);
    process.exitCode = 1;
  } else console.log(`same answers on every engine: ${answers[0]}`);
  const file = join(import.meta.dirname, 'results', 'engines-latest.json');
  writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), node: process.version, size, results }, null, 2)}\n`);
  console.log(`results in ${file}`);
}

if (!args.child) await parent();
else if (args.phase === 'ingest') await ingestChild(args.engine, args.dir!, Number(args.size));
else await readChild(args.engine, args.dir!, Number(args.size), Number(args.after), Number(args.runs));
