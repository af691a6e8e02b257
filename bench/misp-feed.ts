/**
 * `npx tsx bench/misp-feed.ts`: how long a member's MISP feed takes to build (docs/federation.md,
 * "MISP"), on the SQLite store: N indicators (env `N`, default 60,000) published over DAYS days
 * (env `DAYS`, default 30) through `IndicatorService.publish`, TLP mix 40% GREEN, 30% AMBER, 20%
 * CLEAR, 10% AMBER+STRICT; then, for a COMMUNITY and a TRUSTED member, the manifest, one day's
 * event and hashes.csv, read through `MispFeed` (the HTTP handler only streams what it yields).
 * Prints one line per member.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig } from '../src/config.js';
import { startHub } from '../src/main.js';
import { MispFeed } from '../src/misp/misp-feed.js';
import { hubOrgUuid } from '../src/misp/misp-ids.js';
import { buildSchema } from '../src/schema.js';
import { StixGates } from '../src/stix/stix-gates.js';

const N = Number(process.env.N ?? 60000), DAYS = Number(process.env.DAYS ?? 30);
let now = Date.parse('2026-10-01T00:00:00Z');
const dataDir = mkdtempSync(join(tmpdir(), 'misp-measure-'));
const hub = await startHub(parseConfig({ PORT: '0', HUB_DATA_DIR: dataDir, LOG_LEVEL: 'silent', HUB_IDEMPOTENCY_TTL: '1h' }, { demo: false }), { logger: pino({ level: 'silent' }), clock: () => now });
for (const [id, tier] of [['pub', 'TRUSTED'], ['corp', 'COMMUNITY'], ['isac', 'TRUSTED']] as const) {
  await hub.services.members.register({ _id: id, name: id, kind: 'ENTERPRISE', tier, sector: 's', country: 'NL', allowedRoles: ['reader', 'publisher'], status: 'ACTIVE', createdAt: new Date(now) } as any);
}
const pub = { kind: 'member', memberId: 'pub', userId: 'p', roles: ['publisher', 'reader'], tier: 'TRUSTED' } as const;
const tlps = ['GREEN', 'GREEN', 'GREEN', 'GREEN', 'AMBER', 'AMBER', 'AMBER', 'CLEAR', 'CLEAR', 'AMBER_STRICT'] as const;
const perDay = N / DAYS;
const t0 = performance.now();
for (let d = 0; d < DAYS; d++) {
  now = Date.parse('2026-10-01T00:00:00Z') + d * 86_400_000 + 3_600_000;
  for (let off = 0; off < perDay; off += 5000) {
    const items = Array.from({ length: Math.min(5000, perDay - off) }, (_, i) => {
      const k = d * perDay + off + i;
      return { value: `h${k}.example.org`, tlp: tlps[k % 10]!, severity: (['LOW', 'MEDIUM', 'HIGH'] as const)[k % 3]!, confidence: 50, tags: ['bulk'] };
    });
    await hub.services.indicators.publish(pub as any, { idempotencyKey: `k${d}-${off}`, indicators: items });
  }
}
now += 86_400_000;
console.log(`seeded ${N} indicators over ${DAYS} days in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const feed = new MispFeed({ indicators: hub.store.indicators, gates: StixGates.of(buildSchema()), org: { name: 'x', uuid: hubOrgUuid('https://x') }, now: () => now });
for (const [memberId, tier] of [['corp', 'COMMUNITY'], ['isac', 'TRUSTED']] as const) {
  const viewer = { kind: 'member', memberId, userId: 'u', roles: ['reader'], tier } as const;
  let t = performance.now();
  const manifest = await feed.manifest(viewer as any);
  const mt = performance.now() - t;
  const uuids = Object.keys(manifest);
  t = performance.now();
  let bytes = 0;
  for await (const c of (await feed.event(viewer as any, uuids[5]!))!) bytes += c.length;
  const et = performance.now() - t;
  t = performance.now();
  let hb = 0;
  for await (const c of feed.hashes(viewer as any)) hb += c.length;
  const ht = performance.now() - t;
  console.log(`${tier}: manifest ${uuids.length} events in ${mt.toFixed(0)} ms; one event (${(bytes / 1e6).toFixed(2)} MB) in ${et.toFixed(0)} ms; hashes.csv (${(hb / 1e6).toFixed(2)} MB) in ${ht.toFixed(0)} ms`);
}
await hub.dispose();
