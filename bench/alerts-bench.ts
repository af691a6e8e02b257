/**
 * `npm run bench:alerts`: live-alert fan-out at 5,000 and 10,000 subscribers, the hub against a
 * plain graphql-ws server that executes per subscriber, in one run.
 *
 * Three kinds of process, so that every figure is the server's alone:
 *  - this one, which only orchestrates (and computes the statistics afterwards);
 *  - a server process (bench/lib/alerts-server.ts), started fresh for each (server, count): the
 *    hub (src/main.ts, embedded store, anonymous reads on, heartbeats off, rate limit out of
 *    reach) or the baseline (bench/lib/alerts-baseline.ts). Its process.cpuUsage() deltas and its
 *    RSS before/after connecting the idle subscribers (after forced GCs) are what is reported;
 *  - one client process (bench/lib/alerts-clients.ts) holding every subscriber as a raw `ws`
 *    socket speaking graphql-transport-ws.
 * Children are started through bash with `ulimit -n 65536`, or the hard limit where that may not
 * be raised (the common default of 1,024 open files would stop at ~1,000 sockets); both print
 * the limit they got, and a server below N + 256 stops the run.
 *
 * Subscribers are spread evenly over anonymous (PUBLIC), COMMUNITY, TRUSTED and CORE, four members
 * per tier, and four subscriptions (three documents, one with two variable values): 52 groups on
 * the hub. Alerts are TLP:CLEAR HIGH domains, published through the service layer (baseline: its
 * pubsub), so every subscriber receives every alert exactly once on both servers.
 *
 * Per server and count: connect + subscribe, RSS per idle subscriber, 2 warm-up alerts, 5 single
 * alerts (each waits for all N deliveries), three bursts of 20 alerts published back to back
 * (deliveries/s: the median burst's; latencies and CPU pooled over the three).
 * Latency is per delivery: arrival in the client process minus the start of that alert's publish
 * call in the server process, both as performance.timeOrigin + performance.now() (the two clocks'
 * offset is measured over IPC and removed). Deliveries/s = burst deliveries / (last arrival -
 * first publish). CPU per event = server cpuUsage (user + system) over the phase / alerts.
 * On the hub, at the largest count, three more single alerts and one more burst run under the CPU
 * profiler (node:inspector, as --cpu-prof; not measured) and the hottest functions are printed;
 * the profiles go to bench/results/*.cpuprofile (git-ignored).
 *
 * Prints a table per subscriber count and a PASS/MISS summary; writes bench/results/alerts-latest.json.
 * BENCH_ALERTS_COUNTS=500,1000 changes the counts (for trying the bench out, not for figures);
 * BENCH_ALERTS_PROFILE=0 skips the profiled runs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ALERT_DOCUMENTS, alertValue, openFileLimit, startChild, subscriberPlan, wallNow, type RpcChild } from './lib/alerts-shared.js';
import { inclusiveOf, summarizeProfile, type CpuProfile, type ProfileSummary } from './lib/cpu-profile.js';
import { summarize, type LatencySummary } from './lib/load.js';
import { fmt, passes, printSummary, printTable, type Verdict } from './lib/report.js';

const COUNTS = (process.env.BENCH_ALERTS_COUNTS ?? '5000,10000').split(',').map((s) => Number(s.trim()));
const PROFILE = process.env.BENCH_ALERTS_PROFILE !== '0';
/** The servers run as deployed (the Dockerfile sets NODE_ENV=production: graphql-js skips its development checks). */
const SERVER_NODE_ENV = process.env.NODE_ENV ?? 'production';
const CONFIG = {
  connectConcurrency: 200,
  warmupAlerts: 2,
  singles: 5,
  burst: 20,
  /** Bursts per server and count: deliveries/s is their median (background load on a shared machine comes in spikes). */
  bursts: 3,
  /** Pause between single alerts, ms. */
  pauseMs: 200,
  deliveryTimeoutMs: 120_000,
  profileIntervalUs: 200,
  profiledSingles: 3,
} as const;
const TARGETS = { singleP99Ms: 300, deliveriesRatio: 3, kbPerSubscriber: 30 };

type Kind = 'hub' | 'baseline';
const LABEL: Record<Kind, string> = { hub: 'hub', baseline: 'plain graphql-ws' };

interface Usage {
  cpu: NodeJS.CpuUsage;
  at: number;
}
interface Collected {
  arrivals: Record<string, Float64Array>;
  received: number;
  bytes: number;
  unmatched: number;
  otherMessages: number;
  firstOther: string | null;
  perClient: { min: number; max: number };
  closedDuringRun: number;
  firstClose: string | null;
  cpuMs: number;
  wallMs: number;
}

interface PhaseResult {
  alerts: number;
  expected: number;
  received: number;
  latencyMs: LatencySummary;
  /** deliveries / (last arrival - first publish) */
  deliveriesPerSec: number;
  wallMs: number;
  serverCpuMsPerEvent: number;
  /** The same split into user and system (kernel: mostly socket writes) time. */
  serverUserMsPerEvent: number;
  serverSysMsPerEvent: number;
  /** Server CPU over the phase's wall time, % of one core (all threads: GC helpers count). */
  serverCpuPercent: number;
  /** Deliveries per second of server CPU: throughput with background load factored out. */
  deliveriesPerCpuSec: number;
  clientCpuPercent: number;
  /** CPU used on the whole machine over the phase, % of one core (Linux /proc/stat; NaN elsewhere). */
  machineCpuPercent: number;
  bytesPerDelivery: number;
  perClient: { min: number; max: number };
}

interface ScenarioResult {
  kind: Kind;
  subscribers: number;
  groups: number | null;
  connectSeconds: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  kbPerIdleSubscriber: number;
  heapKbPerIdleSubscriber: number;
  clockOffsetMs: number;
  clockUncertaintyMs: number;
  single: PhaseResult;
  singleP99PerRun: number[];
  burst: PhaseResult;
  deliveriesPerSecPerBurst: number[];
  policyCheck: string | null;
  loadAverage: number;
  /** Hub at the largest count: CPU profiles of extra (unmeasured) single alerts and an extra burst. */
  profiles: Array<ProfileSummary & { what: string; file: string; inclusive: ReturnType<typeof inclusiveOf> }>;
  problems: string[];
}

/** Busy and total CPU time of the whole machine so far (jiffies, all cores), from /proc/stat. */
function machineCpu(): { busy: number; total: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - f[3]! - f[4]!, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpuMs = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => (b.user - a.user + b.system - a.system) / 1000;

function commit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** `child`'s clock minus ours, from the IPC round trip with the smallest RTT. */
async function clockOffset(child: RpcChild): Promise<{ offset: number; rtt: number }> {
  let best = { offset: 0, rtt: Infinity };
  for (let i = 0; i < 40; i++) {
    const t0 = wallNow();
    const tc = await child.call<number>('clock');
    const t1 = wallNow();
    if (t1 - t0 < best.rtt) best = { offset: tc - (t0 + t1) / 2, rtt: t1 - t0 };
  }
  return best;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Publishes `count` alerts from `from` on, waits for `count * n` deliveries and measures. `skew`
 * is the client clock minus the server clock.
 */
async function phase(server: RpcChild, clients: RpcChild, n: number, from: number, count: number, skew: number, problems: string[], what: string): Promise<PhaseResult & { latencies: number[] }> {
  await clients.call('reset');
  const m0 = machineCpu();
  const u0 = await server.call<Usage>('usage');
  const started = await server.call<Float64Array>('publish', { from, count });
  const expected = n * count;
  const waited = await clients.call<{ received: number; timedOut: boolean; lastArrival: number }>('waitFor', { total: expected, timeoutMs: CONFIG.deliveryTimeoutMs });
  const u1 = await server.call<Usage>('usage');
  const m1 = machineCpu();
  const got = await clients.call<Collected>('collect');
  if (waited.timedOut) problems.push(`${what}: ${expected - waited.received} of ${expected} deliveries missing after ${CONFIG.deliveryTimeoutMs / 1000} s`);
  if (got.unmatched || got.otherMessages) problems.push(`${what}: ${got.unmatched} unmatched, ${got.otherMessages} non-next messages (first: ${got.firstOther})`);
  if (got.closedDuringRun) problems.push(`${what}: ${got.closedDuringRun} sockets closed (first: ${got.firstClose})`);
  const latencies: number[] = [];
  for (let j = 0; j < count; j++) {
    const arrivals = got.arrivals[alertValue(from + j)];
    if (!arrivals) continue;
    for (const t of arrivals) latencies.push(t - skew - started[j]!);
  }
  const last = waited.lastArrival - skew;
  const wallMs = last - started[0]!;
  const serverCpu = cpuMs(u0.cpu, u1.cpu);
  return {
    alerts: count,
    expected,
    received: got.received,
    latencyMs: summarize(latencies),
    deliveriesPerSec: (got.received * 1000) / wallMs,
    wallMs,
    serverCpuMsPerEvent: serverCpu / count,
    serverUserMsPerEvent: (u1.cpu.user - u0.cpu.user) / 1000 / count,
    serverSysMsPerEvent: (u1.cpu.system - u0.cpu.system) / 1000 / count,
    serverCpuPercent: (100 * serverCpu) / Math.max(1, u1.at - u0.at),
    deliveriesPerCpuSec: (got.received * 1000) / Math.max(1e-3, serverCpu),
    clientCpuPercent: (100 * got.cpuMs) / Math.max(1, got.wallMs),
    machineCpuPercent: (100 * cpus().length * (m1.busy - m0.busy)) / (m1.total - m0.total),
    bytesPerDelivery: got.received ? got.bytes / got.received : 0,
    perClient: got.perClient,
    latencies,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Pools runs: latencies and CPU over all of them; deliveries/s the median run's (`medianRate`) or overall. */
function mergePhases(runs: Array<PhaseResult & { latencies: number[] }>, medianRate = false): PhaseResult {
  const all = runs.flatMap((r) => r.latencies);
  const received = runs.reduce((s, r) => s + r.received, 0);
  const wall = runs.reduce((s, r) => s + r.wallMs, 0);
  const cpu = runs.reduce((s, r) => s + r.serverCpuMsPerEvent * r.alerts, 0);
  return {
    alerts: runs.reduce((s, r) => s + r.alerts, 0),
    expected: runs.reduce((s, r) => s + r.expected, 0),
    received,
    latencyMs: summarize(all),
    deliveriesPerSec: medianRate ? median(runs.map((r) => r.deliveriesPerSec)) : (received * 1000) / wall,
    wallMs: medianRate ? median(runs.map((r) => r.wallMs)) : wall / runs.length,
    serverCpuMsPerEvent: cpu / runs.reduce((s, r) => s + r.alerts, 0),
    serverUserMsPerEvent: runs.reduce((s, r) => s + r.serverUserMsPerEvent * r.alerts, 0) / runs.reduce((s, r) => s + r.alerts, 0),
    serverSysMsPerEvent: runs.reduce((s, r) => s + r.serverSysMsPerEvent * r.alerts, 0) / runs.reduce((s, r) => s + r.alerts, 0),
    serverCpuPercent: runs.reduce((s, r) => s + r.serverCpuPercent, 0) / runs.length,
    deliveriesPerCpuSec: (received * 1000) / Math.max(1e-3, cpu),
    clientCpuPercent: runs.reduce((s, r) => s + r.clientCpuPercent, 0) / runs.length,
    machineCpuPercent: runs.reduce((s, r) => s + r.machineCpuPercent, 0) / runs.length,
    bytesPerDelivery: runs.reduce((s, r) => s + r.bytesPerDelivery * r.received, 0) / Math.max(1, received),
    perClient: { min: Math.min(...runs.map((r) => r.perClient.min)), max: Math.max(...runs.map((r) => r.perClient.max)) },
  };
}

async function scenario(kind: Kind, n: number, clients: RpcChild, clientOffset: { offset: number; rtt: number }, profile: boolean): Promise<ScenarioResult> {
  const loadAverage = loadavg()[0]!;
  const problems: string[] = [];
  const server = startChild(`${kind}-server`, new URL('./lib/alerts-server.ts', import.meta.url), ['--expose-gc', '--max-old-space-size=8192'], { NODE_ENV: SERVER_NODE_ENV });
  try {
    const started = await server.call<{ wsUrl: string; tokens: Record<string, string>; openFiles: number | null }>('start', { kind });
    if (started.openFiles !== null && started.openFiles < n + 256) throw new Error(`the server process may open only ${started.openFiles} files; ${n} subscribers need more`);
    const serverOffset = await clockOffset(server);
    const skew = clientOffset.offset - serverOffset.offset;
    const before = await server.call<NodeJS.MemoryUsage>('memory', { gc: true });

    const subs = Array.from({ length: n }, (_, i) => {
      const p = subscriberPlan(i);
      return { auth: p.member ? (started.tokens[p.member] ?? null) : null, doc: p.doc };
    });
    const c = await clients.call<{ ms: number }>('connect', { url: started.wsUrl, docs: ALERT_DOCUMENTS, subs, concurrency: CONFIG.connectConcurrency });
    let stats = { subscribers: 0, groups: null as number | null };
    await until(`${n} live subscriptions on the ${kind}`, async () => (stats = await server.call('subscribers')).subscribers >= n, 60_000);
    await sleep(500);
    const after = await server.call<NodeJS.MemoryUsage>('memory', { gc: true });
    process.stdout.write(`  ${LABEL[kind]}: ${fmt(n, 0)} subscribed in ${fmt(c.ms / 1000, 1)} s${stats.groups !== null ? ` (${stats.groups} groups)` : ''}; `);

    let next = 0;
    for (let w = 0; w < CONFIG.warmupAlerts; w++) {
      await phase(server, clients, n, next, 1, skew, problems, 'warm-up');
      next += 1;
    }

    // Policy spot check (hub): a TLP:AMBER alert reaches exactly the TRUSTED and CORE subscribers.
    let policyCheck: string | null = null;
    if (kind === 'hub') {
      const expected = subs.filter((_, i) => ['TRUSTED', 'CORE'].includes(subscriberPlan(i).cls)).length;
      await clients.call('reset');
      await server.call('publish', { from: next, count: 1, tlp: 'AMBER' });
      next += 1;
      await clients.call('waitFor', { total: expected, timeoutMs: 30_000 });
      await sleep(300);
      const got = await clients.call<Collected>('collect');
      policyCheck = `TLP:AMBER alert delivered to ${fmt(got.received, 0)} subscribers (TRUSTED + CORE: ${fmt(expected, 0)})`;
      if (got.received !== expected || got.perClient.max > 1) problems.push(`policy check failed: ${policyCheck}, at most ${got.perClient.max} per socket`);
    }

    const singles: Array<PhaseResult & { latencies: number[] }> = [];
    for (let r = 0; r < CONFIG.singles; r++) {
      singles.push(await phase(server, clients, n, next, 1, skew, problems, `single ${r + 1}`));
      next += 1;
      await sleep(CONFIG.pauseMs);
    }
    const bursts: Array<PhaseResult & { latencies: number[] }> = [];
    for (let b = 0; b < CONFIG.bursts; b++) {
      await sleep(500);
      bursts.push(await phase(server, clients, n, next, CONFIG.burst, skew, problems, `burst ${b + 1}`));
      next += CONFIG.burst;
    }
    const burst = mergePhases(bursts, true);
    process.stdout.write(`single p99 ${fmt(mergePhases(singles).latencyMs.p99, 1)} ms, bursts ${bursts.map((b) => fmt(b.deliveriesPerSec, 0)).join(' / ')} deliveries/s\n`);

    const profiles: ScenarioResult['profiles'] = [];
    if (profile) {
      for (const [what, name, alerts, rounds] of [
        [`${CONFIG.profiledSingles} extra single alerts`, 'single', 1, CONFIG.profiledSingles],
        [`an extra burst of ${CONFIG.burst}`, 'burst', CONFIG.burst, 1],
      ] as const) {
        await sleep(500);
        const file = `bench/results/alerts-hub-${name}-${n}.cpuprofile`;
        await server.call('profileStart', { intervalUs: CONFIG.profileIntervalUs });
        for (let r = 0; r < rounds; r++) {
          await phase(server, clients, n, next, alerts, skew, problems, `profiled ${name}`);
          next += alerts;
        }
        const prof = await server.call<CpuProfile>('profileStop', { path: fileURLToPath(new URL(`../${file}`, import.meta.url)) });
        profiles.push({
          ...summarizeProfile(prof, 25),
          what,
          file,
          inclusive: inclusiveOf(prof, ['dispatch ', 'judgeAndRender ', 'render ', 'execute ', 'flush ', 'sendMany', 'send ', 'writev ', 'verdict ', 'publish ']),
        });
      }
    }

    await server.call('stop');
    await clients.call('closeAll');
    return {
      kind,
      subscribers: n,
      groups: stats.groups,
      connectSeconds: c.ms / 1000,
      rssBeforeMiB: before.rss / 2 ** 20,
      rssAfterMiB: after.rss / 2 ** 20,
      kbPerIdleSubscriber: (after.rss - before.rss) / 1024 / n,
      heapKbPerIdleSubscriber: (after.heapUsed + after.external - before.heapUsed - before.external) / 1024 / n,
      clockOffsetMs: skew,
      clockUncertaintyMs: (clientOffset.rtt + serverOffset.rtt) / 2,
      single: mergePhases(singles),
      singleP99PerRun: singles.map((s) => s.latencyMs.p99),
      burst,
      deliveriesPerSecPerBurst: bursts.map((b) => b.deliveriesPerSec),
      policyCheck,
      loadAverage,
      profiles,
      problems,
    };
  } finally {
    await clients.call('closeAll').catch(() => undefined);
    await server.stop();
  }
}

function printScenario(n: number, hub: ScenarioResult, base: ScenarioResult): void {
  const ms = (v: number) => fmt(v, 1);
  const ratio = (a: number, b: number) => (b > 0 ? `${fmt(a / b, 2)}x` : '-');
  const row = (name: string, h: number, b: number, f: (v: number) => string = ms) => [name, f(h), f(b), ratio(h, b)];
  const others = (p: PhaseResult) => Math.max(0, p.machineCpuPercent - p.serverCpuPercent - p.clientCpuPercent);
  const split = (p: PhaseResult) => `${fmt(p.serverUserMsPerEvent, 1)} / ${fmt(p.serverSysMsPerEvent, 1)}`;
  printTable(
    `${fmt(n, 0)} SUBSCRIBERS  (hub: ${hub.groups} groups; anonymous/COMMUNITY/TRUSTED/CORE x ${ALERT_DOCUMENTS.length} subscriptions; 1-min load avg at start: hub ${fmt(hub.loadAverage, 2)}, baseline ${fmt(base.loadAverage, 2)})`,
    [
      ['figure', 'hub', 'plain graphql-ws', 'hub / plain'],
      row('single alert p50, ms', hub.single.latencyMs.p50, base.single.latencyMs.p50),
      row('single alert p99, ms', hub.single.latencyMs.p99, base.single.latencyMs.p99),
      row('single alert max, ms', hub.single.latencyMs.max, base.single.latencyMs.max),
      row('single alert: server CPU per event, ms', hub.single.serverCpuMsPerEvent, base.single.serverCpuMsPerEvent),
      row('single alert: server CPU, % of a core', hub.single.serverCpuPercent, base.single.serverCpuPercent, (v) => fmt(v, 0)),
      ['  of which user / system, ms', split(hub.single), split(base.single), ''],
      row(`burst of 20 p50, ms (${CONFIG.bursts} bursts pooled)`, hub.burst.latencyMs.p50, base.burst.latencyMs.p50),
      row('burst of 20 p99, ms', hub.burst.latencyMs.p99, base.burst.latencyMs.p99),
      row('burst: deliveries per second (median burst)', hub.burst.deliveriesPerSec, base.burst.deliveriesPerSec, (v) => fmt(v, 0)),
      row('burst: first publish to last delivery, ms (median)', hub.burst.wallMs, base.burst.wallMs),
      row('burst: server CPU per event, ms', hub.burst.serverCpuMsPerEvent, base.burst.serverCpuMsPerEvent),
      ['  of which user / system, ms', split(hub.burst), split(base.burst), ''],
      row('burst: server CPU, % of a core (all threads)', hub.burst.serverCpuPercent, base.burst.serverCpuPercent, (v) => fmt(v, 0)),
      row('burst: deliveries per server CPU-second', hub.burst.deliveriesPerCpuSec, base.burst.deliveriesPerCpuSec, (v) => fmt(v, 0)),
      row('RSS per idle subscriber, KB', hub.kbPerIdleSubscriber, base.kbPerIdleSubscriber),
      row('heap+external per idle subscriber, KB', hub.heapKbPerIdleSubscriber, base.heapKbPerIdleSubscriber),
      row('connect + subscribe all, s', hub.connectSeconds, base.connectSeconds),
      row('bytes per delivery', hub.burst.bytesPerDelivery, base.burst.bytesPerDelivery, (v) => fmt(v, 0)),
      row('client process CPU during burst, % of a core', hub.burst.clientCpuPercent, base.burst.clientCpuPercent, (v) => fmt(v, 0)),
      row(`everything else's CPU in single alerts, % of a core (of ${cpus().length * 100})`, others(hub.single), others(base.single), (v) => fmt(v, 0)),
      row(`everything else's CPU in bursts, % of a core (of ${cpus().length * 100})`, others(hub.burst), others(base.burst), (v) => fmt(v, 0)),
      [
        'deliveries received / expected (single; burst)',
        `${fmt(hub.single.received, 0)}/${fmt(hub.single.expected, 0)}; ${fmt(hub.burst.received, 0)}/${fmt(hub.burst.expected, 0)}`,
        `${fmt(base.single.received, 0)}/${fmt(base.single.expected, 0)}; ${fmt(base.burst.received, 0)}/${fmt(base.burst.expected, 0)}`,
        '',
      ],
    ],
  );
  console.log(`single-alert p99 per run, ms: hub ${hub.singleP99PerRun.map((v) => fmt(v, 1)).join(', ')}; plain ${base.singleP99PerRun.map((v) => fmt(v, 1)).join(', ')}`);
  console.log(`deliveries/s per burst: hub ${hub.deliveriesPerSecPerBurst.map((v) => fmt(v, 0)).join(', ')}; plain ${base.deliveriesPerSecPerBurst.map((v) => fmt(v, 0)).join(', ')}`);
  console.log(
    `RSS before/after connecting: hub ${fmt(hub.rssBeforeMiB, 1)} -> ${fmt(hub.rssAfterMiB, 1)} MiB; plain ${fmt(base.rssBeforeMiB, 1)} -> ${fmt(base.rssAfterMiB, 1)} MiB. ` +
      `Clock offset client-server ${fmt(hub.clockOffsetMs, 3)} / ${fmt(base.clockOffsetMs, 3)} ms (+-${fmt(Math.max(hub.clockUncertaintyMs, base.clockUncertaintyMs), 3)}), removed.`,
  );
  if (hub.policyCheck) console.log(`policy spot check: ${hub.policyCheck}`);
  for (const r of [hub, base]) for (const p of r.problems) console.log(`  WARNING (${LABEL[r.kind]}): ${p}`);
  for (const r of [hub, base]) {
    if (r.burst.clientCpuPercent > 85) console.log(`  NOTE (${LABEL[r.kind]}): the client process used ${fmt(r.burst.clientCpuPercent, 0)}% of a core in the burst: its deliveries/s may be bounded by the clients, not the server`);
  }
}

function printProfile(n: number, p: ScenarioResult['profiles'][number]): void {
  const special = Object.entries(p.special).map(([k, v]) => `${k} ${fmt(v, 0)} ms`).join(', ');
  printTable(`HUB CPU PROFILE  ${p.what} at ${fmt(n, 0)} subscribers (not measured; ${fmt(p.sampledMs, 0)} ms of wall time sampled: ${special}) -> ${p.file}`, [
    ['function (self time)', 'self ms', 'total ms'],
    ...p.byFunction.slice(0, 18).map((r) => [r.name, fmt(r.self, 1), fmt(r.total, 1)]),
  ]);
  printTable('  by file (self)', [['file', 'self ms'], ...p.byFile.slice(0, 10).map((r) => [r.file, fmt(r.self, 1)])]);
  console.log(`  inclusive: ${p.inclusive.filter((i) => i.name).map((i) => `${i.name!.split('  ')[0]} (${i.name!.split('  ')[1]}) ${fmt(i.total, 1)} ms`).join('; ')}`);
}

async function main(): Promise<void> {
  const benchStart = performance.now();
  const loadAtStart = loadavg();
  const sha = commit();
  console.log(
    `alerts bench @ ${sha ?? '?'} (+ working tree): node ${process.version}, ${cpus().length} cpu(s) (${cpus()[0]?.model ?? '?'}), ${fmt(totalmem() / 2 ** 30, 1)} GiB, ` +
      `load average ${loadAtStart.map((l) => fmt(l, 2)).join(' ')}; servers run with NODE_ENV=${SERVER_NODE_ENV}; open-file limit here ${(await openFileLimit()) ?? '?'}`,
  );
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const clients = startChild('clients', new URL('./lib/alerts-clients.ts', import.meta.url), ['--max-old-space-size=8192']);
  const results: Record<number, Record<Kind, ScenarioResult>> = {};
  const started = performance.now();
  try {
    const clientFiles = await clients.call<number | null>('openFiles');
    console.log(
      `client process open-file limit ${clientFiles ?? '?'} (raised with ulimit -n); counts ${COUNTS.map((n) => fmt(n, 0)).join(', ')}; ` +
        `${CONFIG.warmupAlerts} warm-up + ${CONFIG.singles} single alerts + ${CONFIG.bursts} bursts of ${CONFIG.burst} per server and count`,
    );
    const clientOffset = await clockOffset(clients);
    for (const [idx, n] of COUNTS.entries()) {
      console.log(`\n[${fmt(n, 0)} subscribers]`);
      // Alternate the order, so that neither server always runs first.
      const order: Kind[] = idx % 2 === 0 ? ['hub', 'baseline'] : ['baseline', 'hub'];
      const pair = {} as Record<Kind, ScenarioResult>;
      for (const kind of order) pair[kind] = await scenario(kind, n, clients, clientOffset, PROFILE && kind === 'hub' && n === Math.max(...COUNTS));
      results[n] = pair;
    }
  } finally {
    await clients.stop();
  }

  for (const n of COUNTS) printScenario(n, results[n]!.hub, results[n]!.baseline);
  const largest = Math.max(...COUNTS);
  const top = results[largest]!;
  for (const p of top.hub.profiles) printProfile(largest, p);
  if (top.hub.profiles.length) {
    console.log('  (samples are wall time on the main thread: time the process waits for a core while inside a system call is counted there)');
  }

  const verdicts: Verdict[] = [
    { name: `single alert p99 at ${fmt(largest, 0)} subscribers (hub)`, value: top.hub.single.latencyMs.p99, unit: 'ms', target: TARGETS.singleP99Ms, op: '<=' },
    { name: `deliveries/s, hub / plain graphql-ws at ${fmt(largest, 0)}`, value: top.hub.burst.deliveriesPerSec / top.baseline.burst.deliveriesPerSec, unit: 'x', target: TARGETS.deliveriesRatio, op: '>=' },
    { name: `RSS per idle subscriber at ${fmt(largest, 0)} (hub)`, value: top.hub.kbPerIdleSubscriber, unit: 'KB', target: TARGETS.kbPerSubscriber, op: '<=' },
  ];
  printSummary(verdicts);
  const busy = (p: PhaseResult) => Math.max(0, p.machineCpuPercent - p.serverCpuPercent - p.clientCpuPercent);
  console.log(
    `conditions at ${fmt(largest, 0)}: during the hub's single alerts it got ${fmt(top.hub.single.serverCpuPercent, 0)}% of a core and other processes used ${fmt(busy(top.hub.single), 0)}%; ` +
      `during its bursts ${fmt(top.hub.burst.serverCpuPercent, 0)}% / ${fmt(busy(top.hub.burst), 0)}%; the plain server's bursts ${fmt(top.baseline.burst.serverCpuPercent, 0)}% / ${fmt(busy(top.baseline.burst), 0)}%. ` +
      `A single alert costs the hub ${fmt(top.hub.single.serverCpuMsPerEvent, 0)} ms of CPU at this count: its p99 is about that divided by its share of a core.`,
  );
  console.log(
    `for reference (no target): deliveries per server CPU-second, hub / plain at ${fmt(largest, 0)}: ` +
      `${fmt(top.hub.burst.deliveriesPerCpuSec / top.baseline.burst.deliveriesPerCpuSec, 2)}x (does not depend on how much CPU the server got)`,
  );
  const loadAtEnd = loadavg();
  console.log(
    `load average at start ${loadAtStart.map((l) => fmt(l, 2)).join(' ')}, at end ${loadAtEnd.map((l) => fmt(l, 2)).join(' ')} ` +
      `(2 cores: the server and client processes each want one; other work on the machine inflates latencies)`,
  );

  const round = (s: LatencySummary) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
  const strip = (r: ScenarioResult) => ({
    ...r,
    single: { ...r.single, latencyMs: round(r.single.latencyMs) },
    burst: { ...r.burst, latencyMs: round(r.burst.latencyMs) },
  });
  const out = {
    bench: 'alerts',
    commit: sha,
    at: new Date().toISOString(),
    node: process.version,
    serverNodeEnv: SERVER_NODE_ENV,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    totalMemGiB: totalmem() / 2 ** 30,
    loadAverage: { start: loadAtStart, end: loadAtEnd },
    config: { counts: COUNTS, ...CONFIG, documents: ALERT_DOCUMENTS, classes: 'PUBLIC (anonymous), COMMUNITY, TRUSTED, CORE; 4 members per tier' },
    method: {
      processes: 'orchestrator; one server process per (server, count) started with --expose-gc; one client process with raw ws sockets',
      latency: 'client arrival (performance.timeOrigin + now) minus the start of that alert\'s publish call in the server process, IPC-measured clock offset removed',
      deliveriesPerSec: 'burst deliveries / (last arrival - first publish start)',
      cpuPerEvent: 'server process.cpuUsage() user+system delta over the phase / alerts in it',
      rssPerSubscriber: 'server RSS after connecting N idle subscribers minus before, after forced GCs, / N',
      baseline: 'graphql-ws useServer (graphql-ws/use/ws) on node:http, same AlertEvent/Indicator shape, in-process pubsub with one async iterator per subscriber, no auth, no policy (bench/lib/alerts-baseline.ts)',
    },
    results: Object.fromEntries(COUNTS.map((n) => [n, { hub: strip(results[n]!.hub), baseline: strip(results[n]!.baseline) }])),
    verdicts: verdicts.map((v) => ({ ...v, result: passes(v) ? 'PASS' : 'MISS' })),
    seconds: (performance.now() - started) / 1000,
  };
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('alerts-latest.json', dir), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nwrote bench/results/alerts-latest.json; total bench time ${fmt((performance.now() - benchStart) / 1000, 1)} s`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
