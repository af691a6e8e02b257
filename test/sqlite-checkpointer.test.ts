/**
 * The WAL's checkpoints on their own thread (SqliteCheckpointer): engaged by the first bulk
 * publish, it moves committed pages into the database file while the hub runs, and a `kill -9`
 * while it works loses nothing the hub acknowledged.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withId } from '../src/domain/with-id.js';
import type { ClaimUpsert } from '../src/store/ports.js';
import { createSqliteStore, sqliteStorePath } from '../src/store/sqlite/sqlite-store.js';
import { startHubProcess } from './support/hub-process.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hub-checkpointer-'));
  dirs.push(dir);
  return dir;
}

function claims(from: number, count: number): ClaimUpsert[] {
  const now = new Date();
  return Array.from({ length: count }, (_, k) => ({
    key: { source: 'm-a', type: 'DOMAIN' as const, value: `h${from + k}.checkpoint.example` },
    onInsert: { ...withId(`indicator--${String(from + k).padStart(8, '0')}-0000-4000-8000-000000000000`), createdAt: now, sightingCount: 0, lastSeenAt: null },
    set: {
      submittedValue: `h${from + k}.checkpoint.example`,
      tlp: 'GREEN' as const,
      recipients: [],
      severity: 'HIGH' as const,
      severityRank: 3,
      confidence: 50,
      validFrom: now,
      validUntil: null,
      tags: ['c2'],
      description: 'x'.repeat(400),
      revoked: false,
      revokedReason: null,
      updatedAt: now,
      seq: from + k + 1,
    },
  }));
}

describe('SqliteCheckpointer', () => {
  it('starts with the first bulk publish, then copies committed pages into the database file while the hub runs', async () => {
    const path = sqliteStorePath(tempDir());
    const store = createSqliteStore(path);
    try {
      await store.indicators.upsertClaims(claims(0, 10));
      expect(store.checkpointer?.engaged).toBe(false);
      await store.indicators.upsertClaims(claims(10, 2_000));
      expect(store.checkpointer?.engaged).toBe(true);
      // The hub's own connection no longer checkpoints this little (its limit is 256 MiB of WAL):
      // only the worker can grow the main file.
      const before = statSync(path).size;
      const deadline = Date.now() + 10_000;
      while (statSync(path).size <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(statSync(path).size).toBeGreaterThan(before);
      expect(await store.indicators.count({})).toBe(2_010);
    } finally {
      await store.close();
    }
  });

  it('keeps every acknowledged bulk publish exactly once after kill -9 while checkpoints run beside it', async () => {
    const dataDir = tempDir();
    const env = { HUB_STORE: 'sqlite', HUB_DATA_DIR: dataDir, HUB_RATE_LIMIT: '1000000', HUB_RATE_LIMIT_BURST: '1000000' };
    const hub = await startHubProcess(env);
    const token = await hub.token('m-bulk', { roles: ['reader', 'publisher'] });
    const acked = new Map<string, string>();
    let stop = false;
    const stream = (async () => {
      for (let b = 0; !stop; b++) {
        const indicators = Array.from({ length: 1_000 }, (_, k) => ({ value: `bulk-${b}-${k}.example`, type: 'DOMAIN', tlp: 'GREEN', severity: 'LOW', confidence: 10 }));
        try {
          const res = await fetch(hub.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ query: 'mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { results { indicator { id value } } } }', variables: { input: { idempotencyKey: `bulk-${b}`, indicators } } }),
          });
          const body = (await res.json()) as { data: { publishIndicators: { results: Array<{ indicator: { id: string; value: string } }> } } };
          for (const r of body.data.publishIndicators.results) acked.set(r.indicator.value, r.indicator.id);
        } catch {
          return; // the process is gone: what was not answered is not acknowledged
        }
      }
    })();
    const deadline = Date.now() + 20_000;
    while (acked.size < 5_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await hub.kill();
    stop = true;
    await stream;
    expect(acked.size).toBeGreaterThanOrEqual(5_000);

    const store = createSqliteStore(sqliteStorePath(dataDir));
    try {
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
      const ids = [...acked.values()];
      for (let i = 0; i < ids.length; i += 500) {
        const slice = ids.slice(i, i + 500);
        const found = await store.indicators.find({ _id: { $in: slice } });
        expect(found.map((d) => d._id).sort()).toEqual([...slice].sort());
      }
      for (const [value, id] of [...acked].slice(0, 200)) expect((await store.indicators.find({ value })).map((d) => d._id)).toEqual([id]);
    } finally {
      await store.close();
    }
  }, 60_000);
});
