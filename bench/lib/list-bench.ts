/**
 * `npm run bench`, section 1: the edge's cost. The same list query against four servers, each in
 * its own process (bench/lib/list-server.ts), load from a worker thread of this process:
 *  - the demo hub, as a TRUSTED member (demo-isac), through everything the hub does per request;
 *  - Apollo Server 5 tuned as the hub is (landing page and cache-control plugins off), no auth, no
 *    policy, serving the same 50 stored documents from memory: the fair baseline;
 *  - Apollo Server 5 with its defaults (landing page aside);
 *  - a bare `node:http` server answering the hub's own response bytes: the floor.
 * Every server's answer is checked against the hub's before any load. Rounds are interleaved
 * (the order rotates) so that a burst of background load on a shared machine hits all alike.
 * CPU per request is the server process's `cpuUsage()` over its runs divided by the responses
 * it gave in them (warm-up included).
 */
import { isDeepStrictEqual } from 'node:util';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadavg } from 'node:os';
import type { BaselinePage } from './baseline-apollo.js';
import { startChild, type RpcChild } from './alerts-shared.js';
import { inclusiveOf, summarizeProfile, type CpuProfile } from './cpu-profile.js';
import { mergeLoadResults, postJson, runLoad, type LoadResult } from './load.js';
import { fmt, printTable } from './report.js';

/** Every scalar field of Indicator but `stix` (source and sightings are objects). */
export const LIST_FIELDS =
  'id type value submittedValue tlp recipients severity confidence validFrom validUntil tags description sightingCount lastSeenAt revoked revokedReason createdAt updatedAt sourceSector';
export const LIST_QUERY = `query List { indicators(first: 50) { totalCount edges { cursor node { ${LIST_FIELDS} } } pageInfo { hasNextPage endCursor } } }`;

export const SERVERS = ['hub', 'apollo-tuned', 'apollo-defaults', 'raw'] as const;
export type ServerName = (typeof SERVERS)[number];

export const SERVER_LABEL: Record<ServerName, string> = {
  hub: 'hub (demo, TRUSTED member)',
  'apollo-tuned': 'Apollo tuned as the hub',
  'apollo-defaults': 'Apollo defaults',
  raw: 'raw node:http, same bytes',
};

export interface ListConfig {
  concurrency: number;
  warmupMs: number;
  rewarmMs: number;
  /** Measured ms per server, split over `rounds`. */
  durationMs: number;
  rounds: number;
  /** Profile the hub under the same load for this long after the measurement (0: no profile). */
  profileMs: number;
  /** Which servers to profile (default the hub). */
  profile?: readonly ServerName[];
  /** NODE_ENV of the server processes. */
  nodeEnv: string;
  /** The hub's compiled build (`npm run build`'s dist/), as deployed; null: its TypeScript sources through tsx. */
  hubDist: string | null;
}

export interface ServerFigures {
  rps: number;
  requests: number;
  failed: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Server CPU per response, µs. */
  cpuUsPerRequest: number;
  /**
   * The lowest CPU per response of any one run, µs: the run least disturbed by other work on the
   * machine (contention inflates CPU time too: caches, a shared core's sibling).
   */
  bestCpuUsPerRequest: number;
  /** Server CPU over its runs / wall time of its runs (1 = one core busy). */
  cpuShare: number;
  rpsPerRun: number[];
  firstFailure: string | null;
}

export interface ListFigures {
  responseBytes: number;
  totalCount: number;
  servers: Record<ServerName, ServerFigures>;
  ratios: { hubToTuned: number; hubToDefaults: number; hubToRaw: number };
  /**
   * The same ratios from CPU per request (baseline's / hub's): what each server would manage on a
   * core of its own. Steadier than req/s when other work shares the machine.
   */
  cpuRatios: { hubToTuned: number; hubToDefaults: number; hubToRaw: number };
  /** The same from each server's best run (bestCpuUsPerRequest). */
  bestCpuRatios: { hubToTuned: number; hubToDefaults: number; hubToRaw: number };
  loadAverage1m: { start: number; end: number };
  profile: ProfileFigures | null;
}

interface ProfileFigures {
  server: ServerName;
  path: string;
  top: Array<{ name: string; self: number; total: number }>;
  inclusive: Array<{ needle: string; total: number }>;
  sampledMs: number;
  /** Responses completed while profiling. */
  requests: number;
}

const SERVER_FILE = new URL('./list-server.ts', import.meta.url);

/**
 * The server processes as deployed: list-server.ts and the bench code it uses compiled to one
 * JavaScript file beside `npm run build`'s output (dist/bench/lib/), the hub's own modules left as
 * imports of dist/src and dist/resolvers, so that no process runs through tsx (whose module hooks
 * cost every server about 10 µs a request: Apollo requires `crypto` on every request).
 */
async function compiledServer(dist: string): Promise<URL> {
  const { build } = await import('esbuild');
  const outfile = join(dist, 'bench/lib/list-server.mjs');
  await build({
    entryPoints: [fileURLToPath(SERVER_FILE)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    plugins: [
      {
        name: 'hub-from-dist',
        setup(b) {
          // The hub's modules come from dist/ (as deployed), not from a second copy in the bundle.
          b.onResolve({ filter: /^(\.\.\/)+(src|resolvers)\// }, (args) => {
            const source = resolve(args.resolveDir, args.path);
            const relativeToRoot = relative(fileURLToPath(new URL('../../', import.meta.url)), source);
            return { path: join(dist, relativeToRoot), external: true };
          });
        },
      },
    ],
  });
  return pathToFileURL(outfile);
}

type Started = { url: string; headers: Record<string, string>; docs?: Array<Record<string, unknown>> };

/** Revives the ISO strings the hub answered into the values a stored document holds (for the baseline's nodes). */
function baselinePage(hubAnswer: string, docs: Array<Record<string, unknown>>): BaselinePage {
  const { data } = JSON.parse(hubAnswer) as {
    data: { indicators: { totalCount: number; edges: Array<{ cursor: string; node: Record<string, unknown> }>; pageInfo: BaselinePage['pageInfo'] } };
  };
  const { edges, pageInfo, totalCount } = data.indicators;
  if (edges.length !== docs.length) throw new Error(`the hub answered ${edges.length} edges, its service ${docs.length}`);
  return {
    totalCount,
    pageInfo: { ...pageInfo, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null },
    edges: edges.map((e, i) => {
      const doc = docs[i]!;
      if (doc._id !== e.node.id) throw new Error(`edge ${i}: the hub answered ${String(e.node.id)}, its service ${String(doc._id)}`);
      // The hub's policy answers (recipients shown to the publisher only; the source's sector), as plain values.
      return { cursor: e.cursor, node: { ...doc, _id: String(doc._id), recipients: e.node.recipients, sourceSector: e.node.sourceSector } };
    }),
  };
}

export async function runListBench(config: ListConfig): Promise<ListFigures> {
  const loadAtStart = loadavg()[0]!;
  const env = { NODE_ENV: config.nodeEnv };
  // BENCH_SERVER_NODE_ARGS: V8/Node flags for every server process alike (for experiments).
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const serverFile = config.hubDist ? await compiledServer(config.hubDist) : SERVER_FILE;
  const children = Object.fromEntries(SERVERS.map((name) => [name, startChild(name, serverFile, nodeArgs, env)])) as Record<ServerName, RpcChild>;
  try {
    const targets = {} as Record<ServerName, { url: string; headers: Record<string, string> }>;
    const hub = await children.hub.call<Started>('start', { kind: 'hub' });
    targets.hub = { url: hub.url, headers: hub.headers };
    const body = JSON.stringify({ query: LIST_QUERY });
    const hubReply = await postJson(hub.url, body, hub.headers);
    if (hubReply.status !== 200 || hubReply.text.includes('"errors":')) throw new Error(`hub list failed: ${hubReply.status} ${hubReply.text.slice(0, 500)}`);
    const page = baselinePage(hubReply.text, hub.docs!);
    for (const name of ['apollo-tuned', 'apollo-defaults'] as const) {
      const started = await children[name].call<Started>('start', { kind: name, page });
      targets[name] = { url: started.url, headers: started.headers };
    }
    const rawStarted = await children.raw.call<Started>('start', { kind: 'raw', bytes: Buffer.from(hubReply.text) });
    targets.raw = { url: rawStarted.url, headers: {} };

    // Same query, same answer: every server's reply, parsed, equals the hub's.
    const expected = JSON.parse(hubReply.text) as unknown;
    for (const name of SERVERS) {
      const reply = await postJson(targets[name].url, body, targets[name].headers);
      if (!isDeepStrictEqual(JSON.parse(reply.text), expected)) throw new Error(`${name} answers the list query differently from the hub: ${reply.text.slice(0, 300)}`);
    }
    const nodes = page.edges.length;
    const tlps = [...new Set(page.edges.map((e) => e.node.tlp as string))].sort().join(',');
    console.log(
      `\n[list] demo hub, ${page.totalCount} indicators visible to demo-isac (TRUSTED); first page identical on all four servers ` +
        `(${nodes} nodes, TLPs ${tlps}, ${fmt(hubReply.text.length / 1024, 1)} KiB); servers run with NODE_ENV=${config.nodeEnv}, each in its own process, ${config.hubDist ? 'compiled (the hub from dist/, as deployed; no tsx)' : 'from TypeScript sources through tsx'}; ` +
        `${config.concurrency} keep-alive connections, ${config.warmupMs / 1000} s warm-up + ${config.durationMs / 1000} s measured per server in ${config.rounds} interleaved rounds`,
    );

    const runs = Object.fromEntries(SERVERS.map((n) => [n, [] as LoadResult[]])) as Record<ServerName, LoadResult[]>;
    const cpuUs = Object.fromEntries(SERVERS.map((n) => [n, 0])) as Record<ServerName, number>;
    const cpuPerRun = Object.fromEntries(SERVERS.map((n) => [n, [] as number[]])) as Record<ServerName, number[]>;
    for (let round = 0; round < config.rounds; round++) {
      const order = SERVERS.map((_, i) => SERVERS[(i + round) % SERVERS.length]!);
      for (const name of order) {
        const before = await children[name].call<number>('cpu');
        const result = await runLoad({
          ...targets[name],
          body,
          concurrency: config.concurrency,
          warmupMs: round === 0 ? config.warmupMs : config.rewarmMs,
          durationMs: config.durationMs / config.rounds,
        });
        const spent = (await children[name].call<number>('cpu')) - before;
        cpuUs[name] += spent;
        cpuPerRun[name].push(spent / Math.max(1, result.completed));
        runs[name].push(result);
      }
    }

    const servers = {} as Record<ServerName, ServerFigures>;
    for (const name of SERVERS) {
      const merged = mergeLoadResults(runs[name]);
      const completed = runs[name].reduce((n, r) => n + r.completed, 0);
      const wallMs = runs[name].reduce((n, r, i) => n + r.elapsedMs + (i === 0 ? config.warmupMs : config.rewarmMs), 0);
      servers[name] = {
        rps: merged.rps,
        requests: merged.requests,
        failed: merged.failed,
        latencyMs: { p50: merged.latency.p50, p90: merged.latency.p90, p99: merged.latency.p99, max: merged.latency.max },
        cpuUsPerRequest: cpuUs[name] / completed,
        bestCpuUsPerRequest: Math.min(...cpuPerRun[name]),
        cpuShare: cpuUs[name] / 1000 / wallMs,
        rpsPerRun: runs[name].map((r) => r.rps),
        firstFailure: merged.firstFailure,
      };
    }
    const ratios = {
      hubToTuned: servers.hub.rps / servers['apollo-tuned'].rps,
      hubToDefaults: servers.hub.rps / servers['apollo-defaults'].rps,
      hubToRaw: servers.hub.rps / servers.raw.rps,
    };

    const cpuRatios = {
      hubToTuned: servers['apollo-tuned'].cpuUsPerRequest / servers.hub.cpuUsPerRequest,
      hubToDefaults: servers['apollo-defaults'].cpuUsPerRequest / servers.hub.cpuUsPerRequest,
      hubToRaw: servers.raw.cpuUsPerRequest / servers.hub.cpuUsPerRequest,
    };

    const bestCpuRatios = {
      hubToTuned: servers['apollo-tuned'].bestCpuUsPerRequest / servers.hub.bestCpuUsPerRequest,
      hubToDefaults: servers['apollo-defaults'].bestCpuUsPerRequest / servers.hub.bestCpuUsPerRequest,
      hubToRaw: servers.raw.bestCpuUsPerRequest / servers.hub.bestCpuUsPerRequest,
    };

    const profiles: ProfileFigures[] = [];
    for (const server of config.profileMs > 0 ? (config.profile ?? ['hub']) : []) {
      const path = new URL(`../results/list-${server}.cpuprofile`, import.meta.url).pathname;
      const load = runLoad({ ...targets[server], body, concurrency: config.concurrency, warmupMs: 500, durationMs: config.profileMs });
      await new Promise((r) => setTimeout(r, 500));
      await children[server].call('profileStart', { intervalUs: 200 });
      const done = await load;
      const cpu = await children[server].call<CpuProfile>('profileStop', { path });
      const summary = summarizeProfile(cpu, 25);
      const needles = ['execute  ', 'completeValue', 'promiseForObject', 'executeHTTPGraphQLRequest', 'processGraphQLRequest', 'paginate', 'find  ', 'count  ', 'serialize', 'prettyJSONStringify', 'authenticate', 'take  ', 'writev  '];
      profiles.push({
        server,
        path,
        sampledMs: summary.sampledMs,
        requests: done.requests,
        top: summary.byFunction.map(({ name, self, total }) => ({ name, self, total })),
        inclusive: inclusiveOf(cpu, needles).filter((r) => r.name).map(({ name, total }) => ({ needle: name!, total })),
      });
    }
    const profile = profiles[0] ?? null;

    const ms = (n: number) => `${fmt(n, 2)} ms`;
    printTable('1. LIST  indicators(first: 50) { totalCount edges { cursor node { every scalar field but stix } } pageInfo }, each server in its own process', [
      ['server', 'req/s', 'p50', 'p99', 'CPU/request', 'best run', 'CPU share', 'requests', 'failed'],
      ...SERVERS.map((name) => {
        const s = servers[name];
        return [SERVER_LABEL[name], fmt(s.rps, 0), ms(s.latencyMs.p50), ms(s.latencyMs.p99), `${fmt(s.cpuUsPerRequest / 1000, 3)} ms`, `${fmt(s.bestCpuUsPerRequest / 1000, 3)} ms`, fmt(s.cpuShare, 2), fmt(s.requests, 0), String(s.failed)];
      }),
    ]);
    console.log(
      `req/s ratios: hub / Apollo tuned ${fmt(ratios.hubToTuned, 3)}; hub / Apollo defaults ${fmt(ratios.hubToDefaults, 3)}; hub / raw ${fmt(ratios.hubToRaw, 3)}`,
    );
    console.log(
      `CPU-per-request ratios (baseline CPU / hub CPU): hub / Apollo tuned ${fmt(cpuRatios.hubToTuned, 3)}; hub / Apollo defaults ${fmt(cpuRatios.hubToDefaults, 3)}; hub / raw ${fmt(cpuRatios.hubToRaw, 3)}`,
    );
    console.log(
      `best-run CPU ratios: hub / Apollo tuned ${fmt(bestCpuRatios.hubToTuned, 3)}; hub / Apollo defaults ${fmt(bestCpuRatios.hubToDefaults, 3)}; hub / raw ${fmt(bestCpuRatios.hubToRaw, 3)}`,
    );
    console.log(`1-min load average ${fmt(loadAtStart, 2)} at start, ${fmt(loadavg()[0]!, 2)} at end (2 cores; a CPU share well below 1 means other work took the rest)`);
    console.log(`req/s per run: ${SERVERS.map((n) => `${n} ${servers[n].rpsPerRun.map((r) => fmt(r, 0)).join(', ')}`).join('; ')}`);
    for (const name of SERVERS) {
      const s = servers[name];
      if (s.failed > 0) console.log(`  WARNING: ${name} failed ${fmt(s.failed, 0)} of ${fmt(s.requests, 0)} requests; first: ${s.firstFailure}`);
    }
    for (const profile of profiles) {
      printTable(`${profile.server} CPU profile under the same load (${fmt(profile.sampledMs, 0)} ms sampled, ${profile.requests} responses; ${profile.path})`, [
        ['function', 'self ms', 'total ms'],
        ...profile.top.map((r) => [r.name.slice(0, 110), fmt(r.self, 1), fmt(r.total, 1)]),
      ]);
      console.log(`inclusive: ${profile.inclusive.map((r) => `${r.needle.trim()} ${fmt(r.total, 0)} ms`).join('; ')}`);
    }
    return { responseBytes: hubReply.text.length, totalCount: page.totalCount, servers, ratios, cpuRatios, bestCpuRatios, loadAverage1m: { start: loadAtStart, end: loadavg()[0]! }, profile };
  } finally {
    await Promise.all(SERVERS.map(async (name) => {
      await children[name].call('stop').catch(() => {});
      await children[name].stop();
    }));
  }
}
