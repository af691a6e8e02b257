/**
 * A hub in its own process, so that its RSS is the hub's alone (test/support/hub-process.ts
 * starts it). Configured from the environment like `npm run hub`, with a fresh data directory;
 * answers `{ cmd: 'rss' }` over IPC with its RSS after forced GCs. Started with --expose-gc.
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
  } else if (msg.cmd === 'stop') {
    await hub.dispose();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true, port: hub.port });
