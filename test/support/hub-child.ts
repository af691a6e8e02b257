/**
 * A hub in its own process, so that its RSS is the hub's alone (test/support/hub-process.ts
 * starts it). Configured from the environment like `npm run hub`, with a fresh data directory;
 * answers `{ cmd: 'rss' }` over IPC with its RSS after forced GCs, and `{ cmd: 'token', memberId }`
 * with a reader's token for a new TRUSTED member. Started with --expose-gc.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig } from '../../src/config.js';
import { startHub } from '../../src/main.js';

const gc = (globalThis as { gc?: () => void }).gc;
const dataDir = mkdtempSync(join(tmpdir(), 'hub-child-'));
const hub = await startHub(parseConfig({ ...process.env, PORT: '0', HUB_DATA_DIR: dataDir }), { logger: pino({ level: 'silent' }) });

process.on('message', async (msg: { rpc: number; cmd: string }) => {
  if (msg.cmd === 'rss') {
    for (let i = 0; i < 3; i++) {
      gc?.();
      await new Promise((r) => setTimeout(r, 20));
    }
    process.send!({ rpc: msg.rpc, rss: process.memoryUsage().rss });
  } else if (msg.cmd === 'token') {
    // A TRUSTED member and a reader's token for it.
    const memberId = (msg as unknown as { memberId: string }).memberId;
    await hub.services.members.register({
      _id: memberId,
      name: `${memberId} organisation`,
      kind: 'ENTERPRISE',
      tier: 'TRUSTED',
      sector: 'testing',
      country: 'NL',
      allowedRoles: ['reader'],
      status: 'ACTIVE',
      createdAt: new Date(),
    });
    await hub.services.people.seed({ id: `test@${memberId}`, memberId, roles: ['reader'] });
    const token = await hub.tokens.issue({ memberId, userId: `test@${memberId}`, roles: ['reader'], ttlMs: 3_600_000 });
    process.send!({ rpc: msg.rpc, token });
  } else if (msg.cmd === 'stop') {
    await hub.dispose();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true, port: hub.port });
