/**
 * Starting a bench hub: the real composition root (src/main.ts) on port 0, a fresh temp data dir,
 * a silent logger, members registered through the member service and real JWTs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig, type HubConfig } from '../../src/config.js';
import type { IndicatorInput, Member, MemberTier, Role } from '../../src/domain/types.js';
import { startHub, type Hub } from '../../src/main.js';
import type { Viewer } from '../../src/policy/policy.js';
import { MAX_PUBLISH_BATCH } from '../../src/services/indicator-service.js';

export interface BenchHub {
  hub: Hub;
  url: string;
  /** Registers a member (all roles allowed) and returns its service-layer viewer and a JWT. */
  member(id: string, tier: MemberTier, roles?: Role[]): Promise<BenchMember>;
  dispose(): Promise<void>;
}

export interface BenchMember {
  id: string;
  viewer: Extract<Viewer, { kind: 'member' }>;
  token: string;
  /** `{ authorization: 'Bearer …' }` */
  headers: Record<string, string>;
}

/**
 * Environment every bench hub starts with. The per-member rate limiter (default 600 requests/min,
 * burst 300) would turn a throughput bench into a measurement of the limit, so it stays enabled
 * (its bookkeeping is still paid on every request) with a rate no bench reaches.
 */
export const BENCH_ENV: Record<string, string> = {
  PORT: '0',
  LOG_LEVEL: 'silent',
  HUB_RATE_LIMIT: '1000000000',
  HUB_RATE_LIMIT_BURST: '1000000000',
  // Every bench client connects from loopback, up to 10,000 sockets over 4 members per tier.
  HUB_MAX_CONNECTIONS: '1000000',
  HUB_MAX_CONNECTIONS_PER_ADDRESS: '1000000',
  HUB_WS_MAX_SOCKETS_PER_MEMBER: '1000000',
  HUB_WS_CONNECT_RATE: '0',
  // The edge, ingest and alert benches were measured on the in-process store (docs/performance.md);
  // HUB_STORE=sqlite runs them on the durable default. bench:scale picks its store itself.
  HUB_STORE: process.env.HUB_STORE ?? 'memory',
};

export async function startBenchHub(config: Partial<HubConfig> = {}, env: Record<string, string> = {}): Promise<BenchHub> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-bench-'));
  const hub = await startHub(parseConfig({ ...BENCH_ENV, HUB_DATA_DIR: dataDir, ...env }, { demo: false, ...config }), {
    logger: pino({ level: 'silent' }),
  });
  return {
    hub,
    url: hub.url,
    async member(id, tier, roles = ['reader', 'publisher']) {
      const member: Member = {
        _id: id,
        name: `${id} organisation`,
        kind: 'ENTERPRISE',
        tier,
        sector: 'bench',
        country: 'NL',
        allowedRoles: ['reader', 'publisher', 'approver', 'member-admin'],
        status: 'ACTIVE',
        createdAt: new Date(),
      };
      await hub.services.members.register(member);
      const token = await hub.tokens.issue({ memberId: id, userId: `bench@${id}`, roles, ttlMs: 3_600_000 });
      return {
        id,
        viewer: { kind: 'member', memberId: id, userId: `bench@${id}`, roles, tier },
        token,
        headers: { authorization: `Bearer ${token}` },
      };
    },
    async dispose() {
      await hub.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Publishes through the service layer (no HTTP, no GraphQL) in batches: the fast way to fill a
 * hub. Returns the number stored; throws if any item was rejected.
 */
export async function seedIndicators(
  hub: Hub,
  publisher: BenchMember,
  items: readonly IndicatorInput[],
  batchSize = MAX_PUBLISH_BATCH,
  keyPrefix = 'seed',
): Promise<number> {
  let stored = 0;
  for (let start = 0; start < items.length; start += batchSize) {
    const batch = items.slice(start, start + batchSize);
    const { results } = await hub.services.indicators.publish(publisher.viewer, { idempotencyKey: `${keyPrefix}-${start}`, indicators: batch });
    const rejected = results.find((r) => r.status === 'REJECTED');
    if (rejected) throw new Error(`seed item ${start + rejected.index} rejected: ${JSON.stringify(rejected.error)}`);
    stored += results.length;
  }
  return stored;
}
