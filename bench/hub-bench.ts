/**
 * `npm run bench`: the hub on its embedded store.
 *
 *  1. List    `indicators(first: 50)`, every scalar field but `stix`, totalCount and cursors, as
 *             the TRUSTED member of the demo hub, 16 keep-alive connections for 12 s after a 2 s
 *             warm-up, against Apollo Server tuned as the hub is, Apollo with its defaults, and a
 *             bare node:http server answering the same bytes, each server in its own process
 *             (bench/lib/list-bench.ts). Figures: req/s, CPU per request and the three ratios.
 *  2. Ingest  20 sequential `publishIndicators` batches of 1,000 new indicators over HTTP.
 *  3. Lookup  `lookupIndicators` with 1,000 values (half known) against 100,000 stored, 50 runs.
 *
 * Prints a table per section and a PASS/MISS summary, and writes bench/results/latest.json.
 * BENCH_QUICK=1 shortens the list phase (for trying the bench out, not for figures);
 * The list phase runs the hub as deployed: it runs `npm run build` first and starts dist/ (BENCH_HUB=src
 * starts the TypeScript sources through tsx instead). BENCH_ONLY=list runs the list phase only; BENCH_PROFILE=1 adds a CPU profile of the hub under the
 * list load (bench/results/list-hub.cpuprofile) and prints its hottest functions.
 * BENCH_ONLY=ingest runs the ingest phase only (no build; bench/results/ingest-latest.json, not latest.json);
 * with BENCH_PROFILE=1 it then profiles 10 more batches in this process (bench/results/ingest-hub.cpuprofile).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { inclusiveOf, summarizeProfile, type CpuProfile } from './lib/cpu-profile.js';
import type { IndicatorInput } from '../src/domain/types.js';
import { startBenchHub, seedIndicators } from './lib/hub.js';
import { runListBench, type ServerName } from './lib/list-bench.js';
import { generate, inputFor, rng, TLP_MIX, toVariables, type GeneratedType } from './lib/indicator-data.js';
import { closeSequentialAgent, freshConnections, mergeLoadResults, postJson, runLoad, summarize, timeSequential, type LatencySummary, type LoadResult } from './lib/load.js';
import { fmt, passes, printSummary, printTable, type Verdict } from './lib/report.js';

const QUICK = process.env.BENCH_QUICK === '1';
/** BENCH_ONLY=list runs section 1 only (for profiling the edge). */
const ONLY_LIST = process.env.BENCH_ONLY === 'list';
/** BENCH_ONLY=ingest runs section 2 only (for profiling publishIndicators). */
const ONLY_INGEST = process.env.BENCH_ONLY === 'ingest';
/** BENCH_PROFILE=1 profiles the hub under the list load after the measurement; BENCH_PROFILE=hub,apollo-tuned names the servers. */
const PROFILE: ServerName[] = !process.env.BENCH_PROFILE || process.env.BENCH_PROFILE === '0' ? [] : process.env.BENCH_PROFILE === '1' ? ['hub'] : (process.env.BENCH_PROFILE.split(',') as ServerName[]);
const CONFIG = {
  /**
   * 12 s measured per server, split into `rounds` interleaved runs (the order rotates) so that a
   * burst of background load on this shared 2-core machine hits both servers alike. The first
   * run of each server has the full warm-up; later runs re-warm their new connections briefly.
   */
  list: {
    concurrency: 16,
    warmupMs: QUICK ? 1_000 : 2_000,
    rewarmMs: 500,
    durationMs: QUICK ? 4_000 : 12_000,
    rounds: 8,
    profileMs: PROFILE.length ? 4_000 : 0,
    profile: PROFILE,
    /** The servers run as deployed (the Dockerfile sets NODE_ENV=production: graphql-js skips its development checks). */
    nodeEnv: process.env.NODE_ENV ?? 'production',
    /** The hub as deployed: compiled by `npm run build` (run first, below); BENCH_HUB=src runs its sources through tsx. */
    hubDist: process.env.BENCH_HUB === 'src' ? null : fileURLToPath(new URL('../dist/', import.meta.url)),
  },
  ingest: { batches: 20, batchSize: 1_000, warmupBatches: 1 },
  lookup: { stored: 100_000, firstSeed: 10_000, values: 1_000, runs: 50, warmupRuns: 5 },
  /** Service-layer seeding batch size (the hub's maximum). */
  seedBatchSize: 5_000,
} as const;

const TARGETS = { listRatio: 0.8, ingestPerSec: 20_000, lookupMedianMs: 20 };

/** Generator namespaces (first IPv4 octet = 10 + ns). */
const NS = { listSeed: 0, ingest: 1, unknown: 2, topUp: 3, ingestWarmup: 4, ingestProfile: 5 } as const;
const TYPES: readonly GeneratedType[] = ['IPV4', 'DOMAIN', 'SHA256'];

const PUBLISH_MUTATION = `mutation Publish($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { index status indicator { id } } } }`;
const LOOKUP_QUERY = `query Lookup($values: [String!]!) { lookupIndicators(values: $values) { input normalized type known indicators { id value tlp } } }`;

const ms = (n: number) => `${fmt(n, 2)} ms`;
const secondsSince = (t0: number) => (performance.now() - t0) / 1000;

function items(ns: number, from: number, count: number, redRecipient: string, seed: number): IndicatorInput[] {
  const random = rng(seed);
  return Array.from({ length: count }, (_, k) => inputFor(generate(ns, from + k, TYPES), from + k, redRecipient, random));
}

/** The checked-out commit (read-only `git rev-parse`); the working tree may differ from it. */
function commit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const benchStart = performance.now();
  const loadAtStart = loadavg()[0]!;
  const commitAtStart = commit();
  console.log(
    `hub bench @ ${commitAtStart ?? '?'} (+ working tree): node ${process.version}, NODE_ENV=${process.env.NODE_ENV ?? '(unset)'}, ${cpus().length} cpu(s) (${cpus()[0]?.model ?? '?'}), ` +
      `${fmt(totalmem() / 2 ** 30, 1)} GiB, 1-min load average ${fmt(loadAtStart, 2)}${QUICK ? ', QUICK mode' : ''}`,
  );

  // ---------------------------------------------------------------------------------------
  // 1. List: the edge's cost, each server in its own process (bench/lib/list-bench.ts)
  // ---------------------------------------------------------------------------------------
  if (CONFIG.list.hubDist && !ONLY_INGEST) {
    // The build the Dockerfile ships (tsc, no tsx transform at run time), fresh from the working tree.
    const t = performance.now();
    execFileSync('npm', ['run', '--silent', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
    console.log(`[build] npm run build in ${fmt(secondsSince(t), 1)} s`);
  }
  const list = ONLY_INGEST ? null : await runListBench(CONFIG.list);
  if (ONLY_LIST) return;

  const bench = await startBenchHub();
  const { hub } = bench;
  const feed = await bench.member('bench-feed', 'TRUSTED', ['reader', 'publisher']);
  const partner = await bench.member('bench-partner', 'TRUSTED', ['reader']);
  const reader = await bench.member('bench-reader', 'TRUSTED', ['reader']);
  const ingester = await bench.member('bench-ingest', 'TRUSTED', ['reader', 'publisher']);
  let stored = 0;
  let t0 = performance.now();
  stored += await seedIndicators(hub, feed, items(NS.listSeed, 0, CONFIG.lookup.firstSeed, partner.id, 1), CONFIG.seedBatchSize, 'list-seed');
  console.log(`\n[seed] ${fmt(stored, 0)} indicators seeded in ${fmt(secondsSince(t0), 2)} s (service layer)`);

  // ---------------------------------------------------------------------------------------
  // 2. Ingest
  // ---------------------------------------------------------------------------------------
  const { batches, batchSize, warmupBatches } = CONFIG.ingest;
  const publishBody = (ns: number, b: number) =>
    Buffer.from(
      JSON.stringify({
        query: PUBLISH_MUTATION,
        variables: { input: { idempotencyKey: `ingest-${ns}-${b}`, indicators: items(ns, b * batchSize, batchSize, partner.id, 1000 + ns * 100 + b).map(toVariables) } },
      }),
    );
  const warmBodies = Array.from({ length: warmupBatches }, (_, b) => publishBody(NS.ingestWarmup, b));
  const bodies = Array.from({ length: batches }, (_, b) => publishBody(NS.ingest, b));
  const replies: string[] = [];
  const checkPublish = (text: string, what: string) => {
    const results = JSON.parse(text).data?.publishIndicators?.results as Array<{ status: string; indicator: { id: string } | null }> | undefined;
    const created = results?.filter((r) => r.status === 'CREATED' && r.indicator?.id).length ?? 0;
    if (created !== batchSize) throw new Error(`${what}: expected ${batchSize} CREATED, got ${created}: ${text.slice(0, 500)}`);
  };
  const warmTimes: number[] = [];
  freshConnections();
  for (const [b, body] of warmBodies.entries()) {
    const r = await postJson(hub.url, body, ingester.headers);
    checkPublish(r.text, `warm-up batch ${b}`);
    warmTimes.push(r.ms);
  }
  stored += warmupBatches * batchSize;
  const ingestStart = performance.now();
  // This process's CPU (the hub and the client alike): less disturbed by other work on the machine than wall time.
  const ingestCpu = process.cpuUsage();
  const batchMs: number[] = [];
  for (const body of bodies) {
    const r = await postJson(hub.url, body, ingester.headers);
    batchMs.push(r.ms);
    replies.push(r.status === 200 ? r.text : `HTTP ${r.status} ${r.text}`);
  }
  const ingestWallMs = performance.now() - ingestStart;
  const { user, system } = process.cpuUsage(ingestCpu);
  const ingestCpuMsPerBatch = (user + system) / 1000 / batches;
  replies.forEach((text, b) => checkPublish(text, `batch ${b}`));
  stored += batches * batchSize;
  const ingestPerSec = (batches * batchSize * 1000) / ingestWallMs;
  const batchStats = summarize(batchMs);
  printTable(`2. INGEST  ${batches} sequential publishIndicators batches of ${fmt(batchSize, 0)} new indicators (ipv4/domain/sha256, mixed TLP) over HTTP`, [
    ['figure', 'value'],
    ['indicators/s (overall)', fmt(ingestPerSec, 0)],
    ['wall time', ms(ingestWallMs)],
    ['batch p50', ms(batchStats.p50)],
    ['CPU per batch (bench process: hub and client)', ms(ingestCpuMsPerBatch)],
    ['batch mean', ms(batchStats.mean)],
    ['batch min', ms(batchStats.min)],
    ['batch max', ms(batchStats.max)],
    [`untimed warm-up batch${warmupBatches > 1 ? 'es' : ''}`, warmTimes.map(ms).join(', ')],
    ['request body per batch', `${fmt(bodies[0]!.length / 1024, 0)} KiB`],
  ]);
  console.log(`per batch ms: ${batchMs.map((x) => fmt(x, 1)).join(' ')}`);
  if (ONLY_INGEST || !list) {
    const ingestResults = {
      generatedAt: new Date().toISOString(),
      environment: { commit: commitAtStart, node: process.version, nodeEnv: process.env.NODE_ENV ?? null, cpus: cpus().length, loadAverage1m: { start: loadAtStart, end: loadavg()[0] } },
      config: CONFIG.ingest,
      ingest: { indicatorsPerSec: ingestPerSec, wallMs: ingestWallMs, cpuMsPerBatch: ingestCpuMsPerBatch, batchMs: summarize(batchMs), batches: batchMs, warmupBatchMs: warmTimes },
      verdict: ingestPerSec >= TARGETS.ingestPerSec ? 'PASS' : 'MISS',
    };
    writeFileSync(new URL('./results/ingest-latest.json', import.meta.url), `${JSON.stringify(ingestResults, null, 2)}\n`);
    console.log(`wrote bench/results/ingest-latest.json; 1-min load average ${fmt(loadAtStart, 2)} at start, ${fmt(loadavg()[0]!, 2)} at end`);
    if (PROFILE.length) await profileIngest((b) => publishBody(NS.ingestProfile, b), hub.url, ingester.headers, checkPublish);
    closeSequentialAgent();
    await bench.dispose();
    return;
  }

  // ---------------------------------------------------------------------------------------
  // 3. Lookup
  // ---------------------------------------------------------------------------------------
  const topUp = CONFIG.lookup.stored - stored;
  t0 = performance.now();
  stored += await seedIndicators(hub, feed, items(NS.topUp, 0, topUp, partner.id, 7), CONFIG.seedBatchSize, 'top-up');
  const topUpSeconds = secondsSince(t0);
  freshConnections();

  // Known values: distinct indicators the TRUSTED reader may see (not TLP:RED), from all three
  // populations; a third sent defanged (or upper-cased, for hashes). Unknown: valid values never
  // published (some defanged) plus a few strings that are not indicators at all.
  const random = rng(99);
  const populations = [
    { ns: NS.listSeed, count: CONFIG.lookup.firstSeed },
    { ns: NS.ingest, count: batches * batchSize },
    { ns: NS.topUp, count: topUp },
  ];
  const half = CONFIG.lookup.values / 2;
  const picked = new Set<string>();
  const known: string[] = [];
  while (known.length < half) {
    const pop = populations[known.length % populations.length]!;
    const i = Math.floor(random() * pop.count);
    const key = `${pop.ns}:${i}`;
    if (picked.has(key) || TLP_MIX[i % TLP_MIX.length] === 'RED') continue;
    picked.add(key);
    const g = generate(pop.ns, i, TYPES);
    known.push(known.length % 3 === 0 ? g.defanged : g.value);
  }
  const invalid = ['not an indicator', 'http//broken', '999.1.1.1', 'zz', '-bad-.example', 'deadbeef', '10.0.0', 'a@', 'hxxp://', '...'];
  const unknown: string[] = [...invalid];
  for (let i = 0; unknown.length < half; i++) {
    const g = generate(NS.unknown, i, TYPES);
    unknown.push(i % 4 === 0 ? g.defanged : g.value);
  }
  const values = [...known, ...unknown];
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  const lookupBody = Buffer.from(JSON.stringify({ query: LOOKUP_QUERY, variables: { values } }));
  const checkLookup = (text: string) => {
    const rows = JSON.parse(text).data?.lookupIndicators as Array<{ known: boolean; indicators: unknown[] }> | undefined;
    const hits = rows?.filter((r) => r.known && r.indicators.length > 0).length ?? -1;
    if (rows?.length !== values.length || hits !== half) throw new Error(`lookup: expected ${half} known of ${values.length}, got ${hits}: ${text.slice(0, 500)}`);
  };
  const lookupMs = await timeSequential(CONFIG.lookup.runs, CONFIG.lookup.warmupRuns, async (run) => {
    const r = await postJson(hub.url, lookupBody, reader.headers);
    if (run < 0 || run === CONFIG.lookup.runs - 1) checkLookup(r.text);
    return r.ms;
  });
  const lookupStats = summarize(lookupMs);
  printTable(`3. LOOKUP  lookupIndicators with ${fmt(values.length, 0)} values (${half} known, ${half} unknown incl. ${invalid.length} invalid; mixed types, some defanged), ${fmt(stored, 0)} stored`, [
    ['figure', 'value'],
    ['runs (after warm-up)', `${CONFIG.lookup.runs} (${CONFIG.lookup.warmupRuns})`],
    ['median', ms(lookupStats.p50)],
    ['p90', ms(lookupStats.p90)],
    ['p99', ms(lookupStats.p99)],
    ['min / max', `${ms(lookupStats.min)} / ${ms(lookupStats.max)}`],
    ['top-up seeding', `${fmt(topUp, 0)} in ${fmt(topUpSeconds, 2)} s (service layer, ${fmt(CONFIG.seedBatchSize, 0)}/batch)`],
  ]);

  // ---------------------------------------------------------------------------------------
  // Summary
  // ---------------------------------------------------------------------------------------
  const verdicts: Verdict[] = [
    { name: 'list: hub / Apollo tuned req/s', value: list.ratios.hubToTuned, unit: 'x', target: TARGETS.listRatio, op: '>=' },
    { name: 'ingest: indicators/s', value: ingestPerSec, unit: '/s', target: TARGETS.ingestPerSec, op: '>=' },
    { name: 'lookup: median', value: lookupStats.p50, unit: 'ms', target: TARGETS.lookupMedianMs, op: '<=' },
  ];
  printTable('FIGURES', [
    ['figure', 'value'],
    ['list hub req/s (CPU per request)', `${fmt(list.servers.hub.rps, 0)} (${fmt(list.servers.hub.cpuUsPerRequest / 1000, 3)} ms)`],
    ['list Apollo tuned / defaults / raw req/s', [list.servers['apollo-tuned'], list.servers['apollo-defaults'], list.servers.raw].map((s) => fmt(s.rps, 0)).join(' / ')],
    ['list hub / tuned, / defaults, / raw', [list.ratios.hubToTuned, list.ratios.hubToDefaults, list.ratios.hubToRaw].map((r) => fmt(r, 3)).join(', ')],
    ['ingest batch p50 / max', `${ms(batchStats.p50)} / ${ms(batchStats.max)}`],
    ['lookup p99', ms(lookupStats.p99)],
  ]);
  printSummary(verdicts);

  const round = (s: LatencySummary) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
  const results = {
    generatedAt: new Date().toISOString(),
    environment: {
      commit: commitAtStart,
      node: process.version,
      nodeEnv: process.env.NODE_ENV ?? null,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? null,
      loadAverage1m: { start: loadAtStart, end: loadavg()[0] },
      quick: QUICK,
    },
    config: CONFIG,
    list,
    ingest: { indicatorsPerSec: ingestPerSec, wallMs: ingestWallMs, cpuMsPerBatch: ingestCpuMsPerBatch, batchMs: round(batchStats), batches: batchMs, warmupBatchMs: warmTimes },
    lookup: { storedIndicators: stored, values: values.length, known: half, latencyMs: round(lookupStats), runs: lookupMs },
    verdicts: verdicts.map((v) => ({ ...v, result: passes(v) ? 'PASS' : 'MISS' })),
  };
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('latest.json', dir), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote bench/results/latest.json; total bench time ${fmt(secondsSince(benchStart), 1)} s; 1-min load average at end ${fmt(loadavg()[0]!, 2)}`);

  closeSequentialAgent();
  await bench.dispose();
}

/** 10 more ingest batches under the CPU profiler (this process: the hub runs in it), after the measurement. */
async function profileIngest(body: (b: number) => Buffer, url: string, headers: Record<string, string>, check: (text: string, what: string) => void): Promise<void> {
  const bodies = Array.from({ length: 10 }, (_, b) => body(b));
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const t = performance.now();
  for (const [b, payload] of bodies.entries()) check((await postJson(url, payload, headers)).text, `profiled batch ${b}`);
  const wallMs = performance.now() - t;
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  await session.post('Profiler.disable');
  session.disconnect();
  const path = new URL('./results/ingest-hub.cpuprofile', import.meta.url);
  writeFileSync(path, JSON.stringify(profile));
  const summary = summarizeProfile(profile, 30);
  printTable(`ingest CPU profile: 10 batches in ${ms(wallMs)} (${fmt(summary.sampledMs, 0)} ms sampled; ${fileURLToPath(path)})`, [
    ['function', 'self ms', 'total ms'],
    ...summary.byFunction.map((r) => [r.name.slice(0, 110), fmt(r.self, 1), fmt(r.total, 1)]),
  ]);
  console.log(`special: ${Object.entries(summary.special).map(([k, v]) => `${k} ${fmt(v, 0)} ms`).join('; ')}`);
  const needles = ['prepareDocument', 'checkResponseBudget', 'coerceVariables', 'getVariableValues', 'canonicalJson', 'publish  ', 'execute  ', 'insertMany', 'parse  ', 'JSON.parse', 'stringify'];
  console.log(`inclusive: ${inclusiveOf(profile, needles).filter((r) => r.name).map((r) => `${r.name!.slice(0, 80)} ${fmt(r.total, 0)} ms`).join('; ')}`);
}

main().catch((err) => {
  console.error(err);
  // Servers may still be listening: leave without waiting for them.
  process.exit(1);
});
