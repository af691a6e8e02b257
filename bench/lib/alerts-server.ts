/**
 * The alerts bench's server process: runs either the hub (src/main.ts through bench/lib/hub.ts)
 * or the plain graphql-ws baseline, and nothing else, so that its `process.cpuUsage()` and
 * `process.memoryUsage().rss` are the server's alone. Driven over IPC by bench/alerts-bench.ts;
 * one process per (server, subscriber count), so that one run's heap never inflates the next
 * one's RSS figures. Started with --expose-gc.
 */
import { withId } from '../../src/domain/with-id.js';
import { randomUUID } from 'node:crypto';
import { startCpuProfile, stopCpuProfile } from './inspector-profiler.js';
import { writeHeapSnapshot } from 'node:v8';
import type { IndicatorDoc, MemberTier } from '../../src/domain/types.js';
import { startAlertsBaseline, type AlertsBaseline } from './alerts-baseline.js';
import { alertInput, CLASSES, MEMBERS_PER_TIER, memberId, openFileLimit, serveRpc, wallNow } from './alerts-shared.js';
import { startBenchHub, type BenchHub, type BenchMember } from './hub.js';

const PUBLISHER = 'alerts-feed';

let hub: BenchHub | null = null;
let feed: BenchMember | null = null;
let baseline: AlertsBaseline | null = null;

const gc = (globalThis as { gc?: () => void }).gc;

async function settleGc(): Promise<void> {
  if (!gc) throw new Error('the server process needs --expose-gc');
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The baseline's copy of the k-th alert: what the hub would have stored for it. */
function baselineDoc(k: number, at: Date): IndicatorDoc {
  const input = alertInput(k);
  return {
    ...withId(`indicator--${randomUUID()}`),
    type: input.type!,
    value: input.value,
    submittedValue: input.value,
    tlp: input.tlp,
    recipients: [],
    severity: input.severity,
    severityRank: 3,
    confidence: input.confidence,
    validFrom: input.validFrom!,
    validUntil: input.validUntil ?? null,
    tags: input.tags ?? [],
    description: input.description ?? null,
    sightingCount: 0,
    lastSeenAt: null,
    revoked: false,
    revokedReason: null,
    source: PUBLISHER,
    createdAt: at,
    updatedAt: at,
    seq: k,
  };
}

let baselineCursor = 0;

serveRpc({
  async start(args: { kind: 'hub' | 'baseline' }) {
    const tokens: Record<string, string> = {};
    if (args.kind === 'hub') {
      // Anonymous reads on (PUBLIC subscribers), heartbeats off (they would be deliveries too),
      // rate limit out of reach (BENCH_ENV).
      hub = await startBenchHub({ anonymousReads: true }, { HUB_ALERT_HEARTBEAT: '0' });
      feed = await hub.member(PUBLISHER, 'TRUSTED', ['reader', 'publisher']);
      for (const tier of CLASSES) {
        if (tier === 'PUBLIC') continue;
        for (let k = 0; k < MEMBERS_PER_TIER; k++) {
          const m = await hub.member(memberId(tier as MemberTier, k), tier as MemberTier, ['reader']);
          tokens[m.id] = m.token;
        }
      }
      return { wsUrl: hub.hub.wsUrl, tokens, openFiles: await openFileLimit() };
    }
    baseline = await startAlertsBaseline(new Map([[PUBLISHER, 'bench']]));
    return { wsUrl: baseline.wsUrl, tokens, openFiles: await openFileLimit() };
  },

  subscribers() {
    if (hub) return hub.hub.alerts.stats();
    if (baseline) return { subscribers: baseline.subscribers(), groups: null };
    return { subscribers: 0, groups: null };
  },

  async memory(args: { gc: boolean }) {
    if (args.gc) await settleGc();
    return process.memoryUsage();
  },

  usage() {
    return { cpu: process.cpuUsage(), at: wallNow() };
  },

  clock() {
    return wallNow();
  },

  /**
   * Publishes alerts `from`..`from + count - 1` one after another (each awaited, as one publisher
   * would) and returns the wall-clock time each publish call started. `tlp` other than CLEAR is
   * for the policy spot check (hub only).
   */
  async publish(args: { from: number; count: number; tlp?: 'CLEAR' | 'AMBER' }) {
    const started = new Float64Array(args.count);
    for (let j = 0; j < args.count; j++) {
      const k = args.from + j;
      started[j] = wallNow();
      if (hub && feed) {
        const { results } = await hub.hub.services.indicators.publish(feed.viewer, { idempotencyKey: `alert-${k}`, indicators: [alertInput(k, args.tlp ?? 'CLEAR')] });
        if (results[0]?.status !== 'CREATED') throw new Error(`alert ${k} not created: ${JSON.stringify(results[0])}`);
      } else if (baseline) {
        const at = new Date();
        baseline.publish({ cursor: String(++baselineCursor), type: 'PUBLISHED', occurredAt: at, kind: 'INDICATOR', record: baselineDoc(k, at) });
        await Promise.resolve();
      } else throw new Error('no server started');
    }
    return started;
  },

  /** CPU profile of this process from now until profileStop (node:inspector, same as --cpu-prof). */
  profileStart: (args: { intervalUs: number }) => startCpuProfile(args.intervalUs),

  profileStop: (args: { path: string }) => stopCpuProfile(args.path),

  /** Writes a heap snapshot after forced GCs (for finding what an idle subscriber holds). */
  async heapSnapshot(args: { path: string }) {
    await settleGc();
    return writeHeapSnapshot(args.path);
  },

  async stop() {
    await hub?.dispose();
    await baseline?.dispose();
    hub = null;
    baseline = null;
    return true;
  },
});
