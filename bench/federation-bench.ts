/**
 * `npm run bench:federation`: replication through one hop (docs/federation.md, "Replication lag").
 *
 * Two hubs in this process, each on port 0 with its own embedded store (SQLite, the default):
 * hub B pulls hub A's `alerts` over graphql-ws with the API key A issued to it (B is a TRUSTED
 * peer at A). A publisher at A publishes BENCH_FED_COUNT (default 5,000) TLP:CLEAR indicators in
 * batches of BENCH_FED_BATCH (default 100) through `publishIndicators` (HTTP), back to back.
 *
 * - events/s through one hop: indicators stored at B / (last stored at B - first publish at A);
 * - publish-to-peer-stored latency, per indicator: when B announced it stored it (a graphql-ws
 *   subscriber to B's own `alerts`, in this process: B's PUBLISHED event is committed with the
 *   claim) minus when its batch's publish request was sent to A (so the publish call's own time
 *   is counted in). p50, p99 and max are printed.
 *
 * Both hubs, the puller and the clients share this one process (and its event loop): the figures
 * are an upper bound on what one hop costs on a machine of its own.
 */
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import { pino } from 'pino';
import WebSocket from 'ws';
import { parseConfig } from '../src/config.js';
import { ROLES } from '../src/domain/types.js';
import { startHub, type Hub } from '../src/main.js';
import type { Viewer } from '../src/policy/policy.js';

const COUNT = Number(process.env.BENCH_FED_COUNT ?? 5_000);
const BATCH = Number(process.env.BENCH_FED_BATCH ?? 100);

async function hub(hubId: string): Promise<Hub> {
  const config = parseConfig(
    { PORT: '0', HUB_DATA_DIR: mkdtempSync(join(tmpdir(), `fed-bench-${hubId}-`)), LOG_LEVEL: 'silent', HUB_RATE_LIMIT: '0', HUB_WS_CONNECT_RATE: '0' },
    { demo: false, hubId },
  );
  const h = await startHub(config, { logger: pino({ level: 'silent' }) });
  await h.services.members.register({ _id: 'ops', name: 'ops', kind: 'AGENCY', tier: 'CORE', sector: 'bench', country: 'NL', allowedRoles: [...ROLES], status: 'ACTIVE', createdAt: new Date() });
  await h.services.members.register({ _id: 'pub', name: 'pub', kind: 'ENTERPRISE', tier: 'TRUSTED', sector: 'bench', country: 'NL', allowedRoles: ['reader', 'publisher'], status: 'ACTIVE', createdAt: new Date() });
  for (const id of ['admin1@ops', 'admin2@ops']) await h.services.people.seed({ id, memberId: 'ops', roles: ['hub-admin', 'member-admin', 'reader'] });
  await h.services.people.seed({ id: 'pub@pub', memberId: 'pub', roles: ['publisher', 'reader'] });
  return h;
}

const admin = (userId: string): Viewer => ({ kind: 'member', memberId: 'ops', userId, roles: ['hub-admin', 'member-admin', 'reader'], tier: 'CORE' });

async function gql(h: Hub, token: string, query: string, variables: Record<string, unknown>): Promise<any> {
  const res = await fetch(h.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: any; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function main(): Promise<void> {
  const [a, b] = await Promise.all([hub('bench-a'), hub('bench-b')]);
  // A issues B a key (B is a TRUSTED peer there); B registers A and a second hub-admin approves.
  await a.services.members.register({ _id: 'bench-b', name: 'B', kind: 'HUB', tier: 'TRUSTED', sector: 'federation', country: 'NL', allowedRoles: ['reader'], status: 'ACTIVE', createdAt: new Date() });
  await a.services.people.seed({ id: 'peer@bench-b', memberId: 'bench-b', roles: ['reader'] });
  const adminA = await a.tokens.issue({ memberId: 'ops', userId: 'admin1@ops', roles: ['hub-admin'], ttlMs: 3_600_000 });
  const { createApiKey } = await gql(a, adminA, 'mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key } }', { i: { memberId: 'bench-b', name: 'bench', personId: 'peer@bench-b' } });
  await b.services.peers.register(admin('admin1@ops'), { id: 'bench-a', name: 'A', country: 'NL', tier: 'TRUSTED', url: a.url, credential: createApiKey.key });
  const [request] = await b.store.approvals.find({ kind: 'REGISTER_PEER', 'target.id': 'bench-a' });
  await b.services.approvals.approve(admin('admin2@ops'), request!._id, null);
  await b.maintenance.pullPeers();
  while (a.alerts.stats().subscribers < 1) await new Promise((r) => setTimeout(r, 10));

  // What B stored, as B announces it: a reader at B subscribed to its alerts.
  const stored = new Map<string, number>();
  const readerB = await b.tokens.issue({ memberId: 'ops', userId: 'admin1@ops', roles: ['reader'], ttlMs: 3_600_000 });
  const client = createClient({ url: b.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${readerB}` } });
  let allStored!: () => void;
  const done = new Promise<void>((r) => (allStored = r));
  client.subscribe<{ alerts: { indicator: { value: string } | null } }>(
    { query: 'subscription { alerts(filter: { kinds: [INDICATOR], types: [PUBLISHED] }) { indicator { value } } }' },
    {
      next: (r) => {
        const v = r.data?.alerts.indicator?.value;
        if (v && !stored.has(v)) stored.set(v, performance.now());
        if (stored.size === COUNT) allStored();
      },
      error: (err) => console.error('subscriber failed', err),
      complete: () => {},
    },
  );
  while (b.alerts.stats().subscribers < 1) await new Promise((r) => setTimeout(r, 10));

  const pubToken = await a.tokens.issue({ memberId: 'pub', userId: 'pub@pub', roles: ['publisher'], ttlMs: 3_600_000 });
  const sentAt = new Map<string, number>();
  const started = performance.now();
  for (let start = 0; start < COUNT; start += BATCH) {
    const indicators = Array.from({ length: Math.min(BATCH, COUNT - start) }, (_, k) => ({ value: `${start + k}.fed-bench.example`, tlp: 'CLEAR', severity: 'HIGH', confidence: 70 }));
    const t0 = performance.now();
    for (const i of indicators) sentAt.set(i.value, t0);
    await gql(a, pubToken, 'mutation($i: PublishIndicatorsInput!) { publishIndicators(input: $i) { created } }', { i: { idempotencyKey: `bench-${start}`, indicators } });
  }
  const published = performance.now();
  const timeout = setTimeout(() => {
    console.error(`only ${stored.size} of ${COUNT} stored at B after 120 s`);
    process.exit(1);
  }, 120_000);
  await done;
  clearTimeout(timeout);
  const last = Math.max(...stored.values());
  const latencies = [...stored].map(([v, at]) => at - sentAt.get(v)!).sort((x, y) => x - y);
  const peer = (await b.services.peers.list(admin('admin1@ops')))[0]!;

  console.log(`federation bench: ${COUNT} TLP:CLEAR indicators published at A in batches of ${BATCH}, pulled by B over graphql-ws (one hop)`);
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}`);
  console.log(`publishing at A took ${((published - started) / 1000).toFixed(2)} s (${Math.round(COUNT / ((published - started) / 1000))} indicators/s)`);
  console.log(`events/s through one hop: ${Math.round(COUNT / ((last - started) / 1000))} (${COUNT} stored at B in ${((last - started) / 1000).toFixed(2)} s from the first publish)`);
  console.log(`publish-to-peer-stored latency: p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`);
  console.log(`peers at B: status ${peer.status}, received ${peer.received}, refused ${peer.refused}, lag of the last event ${peer.lagSeconds?.toFixed(3)} s`);
  await client.dispose();
  await Promise.all([b.dispose(), a.dispose()]);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
