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
import type { MemberTier, Role } from '../../src/domain/types.js';

const gc = (globalThis as { gc?: () => void }).gc;
// HUB_DATA_DIR from the environment when given (a restart on the same store), else a fresh one.
const dataDir = process.env.HUB_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'hub-child-'));
const hub = await startHub(parseConfig({ ...process.env, PORT: '0', HUB_DATA_DIR: dataDir }), { logger: pino({ level: 'silent' }) });

process.on('message', async (msg: { rpc: number; cmd: string }) => {
  if (msg.cmd === 'rss') {
    for (let i = 0; i < 3; i++) {
      gc?.();
      await new Promise((r) => setTimeout(r, 20));
    }
    process.send!({ rpc: msg.rpc, rss: process.memoryUsage().rss });
  } else if (msg.cmd === 'token') {
    // A member (TRUSTED unless told) and a token for it (a reader's unless told), the member registered once.
    const { memberId, roles = ['reader'], userId = `test@${memberId}`, tier = 'TRUSTED' } = msg as unknown as { memberId: string; roles?: Role[]; userId?: string; tier?: MemberTier };
    if (!(await hub.services.members.get(memberId))) {
      await hub.services.members.register({
        _id: memberId,
        name: `${memberId} organisation`,
        kind: 'ENTERPRISE',
        tier,
        sector: 'testing',
        country: 'NL',
        allowedRoles: ['reader', 'publisher', 'approver'],
        status: 'ACTIVE',
        createdAt: new Date(),
      });
    }
    await hub.services.people.seed({ id: userId, memberId, roles });
    const token = await hub.tokens.issue({ memberId, userId, roles, ttlMs: 3_600_000 });
    process.send!({ rpc: msg.rpc, token });
  } else if (msg.cmd === 'stop') {
    await hub.dispose();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true, port: hub.port });
