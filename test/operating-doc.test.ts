/**
 * Runs docs/operating.md as an operator would: every ```sh block in order, in one shell, against a
 * real hub process started by the document's own ```sh hub block on a fresh data directory (no
 * demo data), the CLI and the hub sharing that store. Then checks the federation the document
 * built through the API, with a token the CLI issued.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/commands.js';
import { parseConfig } from '../src/config.js';
import { openStorage } from '../src/store/open-storage.js';
import { scriptOf, shellBlocks } from './support/doc-blocks.js';

const DOC = 'docs/operating.md';

/** Whether the store the default configuration opens is one a second process sees (the document needs it). */
async function defaultStoreShared(): Promise<boolean> {
  const storage = await openStorage(parseConfig({ HUB_DATA_DIR: mkdtempSync(join(tmpdir(), 'hub-doc-probe-')) }), pino({ level: 'silent' }));
  await storage.store.close();
  return storage.shared;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const groups: number[] = [];
afterAll(() => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
});

const shared = await defaultStoreShared();
// Until every command the document uses exists (init needs the people directory), the run waits.
const complete = ['init', 'person add', 'token'].every((p) => COMMANDS.some((c) => c.path.join(' ') === p && Object.keys(c.options).includes(p === 'token' ? 'as' : p === 'init' ? 'admin' : 'member')));

describe('docs/operating.md', () => {
  it('has shell blocks, starts the hub once, and shows no demo data', () => {
    const text = readFileSync(DOC, 'utf8');
    const blocks = shellBlocks(text);
    expect(blocks.filter((b) => b.kind === 'hub')).toHaveLength(1);
    expect(blocks.filter((b) => b.kind === 'run').length).toBeGreaterThanOrEqual(8);
    expect(text).not.toMatch(/--demo|HUB_DEMO|demo-isac/);
  });

  it.runIf(shared && complete)('runs from an empty store to a federation of three members, every command exiting 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hub-operating-'));
    const port = await freePort();
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: mkdtempSync(join(tmpdir(), 'hub-operating-home-')),
      HUB_DATA_DIR: dataDir,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      HUB_LOG: join(dataDir, 'hub.log'),
    };
    const script = scriptOf(shellBlocks(readFileSync(DOC, 'utf8')));
    // Its own process group: the hub the script leaves running is stopped with the group.
    const shell = spawn('bash', ['-c', script], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    groups.push(shell.pid!);
    let stdout = '';
    let stderr = '';
    shell.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    shell.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => shell.on('exit', resolve));
    const lastBlock = [...stderr.matchAll(/::block (\d+)/g)].at(-1)?.[1];
    expect({ code, failedAt: code === 0 ? null : `${DOC}:${lastBlock}`, stderr: code === 0 ? '' : stderr.slice(-3000) }).toEqual({ code: 0, failedAt: null, stderr: '' });
    expect(stderr).toContain('::done');

    // The federation, as the API shows it, to a token the CLI issued.
    const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/bin/hub.ts', ...args], { encoding: 'utf8', env, timeout: 30_000 });
    const token = cli(['token', '--as', 'ops-alice']);
    expect(token.status, token.stderr).toBe(0);
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token.stdout.trim()}` },
      body: JSON.stringify({ query: '{ viewer { member { id } roles } members { id tier } }' }),
    });
    const body = (await res.json()) as { data: { viewer: { member: { id: string }; roles: string[] }; members: Array<{ id: string; tier: string }> } };
    expect(body.data.viewer.member.id).toBe('ops');
    expect(body.data.viewer.roles).toContain('hub-admin');
    expect(body.data.members.map((m) => m.id).sort()).toEqual(['acme-bank', 'frontier-lab', 'ops']);
  }, 300_000);
});
