/**
 * `npm run bench`'s list servers, one per process, so that each one's `process.cpuUsage()` is its
 * own and no server shares a heap or an event loop with another or with the load generator:
 *  - `hub`: the demo hub (src/main.ts with `--demo`'s seed, embedded store), as deployed;
 *  - `apollo-tuned` / `apollo-defaults`: Apollo Server 5 serving the hub's first page from
 *    memory (bench/lib/baseline-apollo.ts), tuned as the hub is or with Apollo's defaults;
 *  - `raw`: a bare `node:http` server answering every POST with the hub's response bytes.
 * Driven over IPC by bench/hub-bench.ts (`startChild` in alerts-shared.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { indicatorConnectionResolvers, INDICATOR_CONNECTION_TYPEDEFS, startBaselineApollo, type BaselinePage, type BaselineServer } from './baseline-apollo.js';
import { serveRpc } from './alerts-shared.js';
import { startCpuProfile, startHeapSampling, stopCpuProfile, stopHeapSampling } from './inspector-profiler.js';
import { startBenchHub, type BenchHub } from './hub.js';

/** The TRUSTED demo member (src/demo/demo-data.ts). */
export const DEMO_TRUSTED_MEMBER = 'demo-isac';

let hub: BenchHub | null = null;
let apollo: BaselineServer | null = null;
let raw: Server | null = null;

async function startRaw(bytes: Uint8Array): Promise<string> {
  const body = Buffer.from(bytes);
  const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length) };
  raw = createServer((req, res) => {
    // Read the request to its end, as any server must before answering on a keep-alive socket.
    req.resume();
    req.on('end', () => {
      res.writeHead(200, headers);
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => raw!.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(raw.address() as AddressInfo).port}/graphql`;
}

serveRpc({
  async start(args: { kind: 'hub' } | { kind: 'apollo-tuned' | 'apollo-defaults'; page: BaselinePage } | { kind: 'raw'; bytes: Uint8Array }) {
    switch (args.kind) {
      case 'hub': {
        hub = await startBenchHub({ demo: true });
        const token = await hub.hub.tokens.issue({ memberId: DEMO_TRUSTED_MEMBER, userId: `bench@${DEMO_TRUSTED_MEMBER}`, roles: ['reader'], ttlMs: 3_600_000 });
        const member = await hub.hub.services.members.get(DEMO_TRUSTED_MEMBER);
        if (member?.tier !== 'TRUSTED') throw new Error(`${DEMO_TRUSTED_MEMBER} is not a TRUSTED demo member`);
        const viewer = { kind: 'member' as const, memberId: DEMO_TRUSTED_MEMBER, userId: `bench@${DEMO_TRUSTED_MEMBER}`, roles: ['reader' as const], tier: member.tier };
        // The stored documents of the first page: what the baselines serve.
        const page = await hub.hub.services.indicators.list(viewer, { first: 50 });
        return { url: hub.url, headers: { authorization: `Bearer ${token}` }, docs: page.edges.map((e) => e.node) };
      }
      case 'apollo-tuned':
      case 'apollo-defaults':
        apollo = await startBaselineApollo({ typeDefs: INDICATOR_CONNECTION_TYPEDEFS, resolvers: indicatorConnectionResolvers(args.page), tuned: args.kind === 'apollo-tuned' });
        return { url: apollo.url, headers: {} };
      case 'raw':
        return { url: await startRaw(args.bytes), headers: {} };
    }
  },

  /** CPU ticks per thread of this process (Linux /proc): which threads, besides the main one, spend CPU. */
  async threads() {
    const { readdirSync, readFileSync } = await import('node:fs');
    return readdirSync('/proc/self/task').map((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return { tid, name, user: Number(fields[11]), system: Number(fields[12]) };
    });
  },

  /** CPU time of this process so far, µs (user + system). */
  cpu() {
    const { user, system } = process.cpuUsage();
    return user + system;
  },

  profileStart: (args: { intervalUs: number }) => startCpuProfile(args.intervalUs),
  profileStop: (args: { path: string }) => stopCpuProfile(args.path),
  heapStart: () => startHeapSampling(),
  heapStop: async (args: { path: string }) => {
    await stopHeapSampling(args.path);
    return null;
  },

  async stop() {
    await hub?.dispose();
    await apollo?.dispose();
    if (raw) {
      raw.closeAllConnections();
      await new Promise<void>((resolve) => raw!.close(() => resolve()));
    }
    hub = apollo = raw = null;
  },
});
