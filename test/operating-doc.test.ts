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
import { parseConfig } from '../src/config.js';
import { openStorage } from '../src/store/open-storage.js';
import { scriptOf, shellBlocks } from './support/doc-blocks.js';
import { HUB_BIN } from './support/hub-bin.js';

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

/**
 * The document's ~25 `npm run -s hub -- …` commands run the hub this test run built
 * (test/support/hub-bin.ts) instead of npm starting tsx each time (about 1.5 s of CPU a command);
 * every other command, and what each one does, is the document's. The `npm run -s hub` wiring
 * itself is run by test/cli.test.ts.
 */
const viaPrebuiltHub = `npm() {
  if [ "$1 $2 $3 $4" = "run -s hub --" ]; then shift 4; ${[process.execPath, ...HUB_BIN].map((a) => `'${a}'`).join(' ')} "$@"; else command npm "$@"; fi
}
`;

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

describe('docs/operating.md', () => {
  it('has shell blocks, starts the hub once, and shows no demo data', () => {
    const text = readFileSync(DOC, 'utf8');
    const blocks = shellBlocks(text);
    expect(blocks.filter((b) => b.kind === 'hub')).toHaveLength(1);
    expect(blocks.filter((b) => b.kind === 'run').length).toBeGreaterThanOrEqual(8);
    expect(text).not.toMatch(/--demo|HUB_DEMO|demo-isac/);
  });

  it('stops at the first failing command, naming its block', () => {
    const script = scriptOf([
      { line: 3, kind: 'run', code: 'X=$(echo ok)' },
      { line: 7, kind: 'run', code: 'Y=$(false)\necho never' },
      { line: 9, kind: 'run', code: 'echo never' },
    ]);
    const out = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    expect(out.status).not.toBe(0);
    expect(out.stdout).toBe('');
    expect([...out.stderr.matchAll(/::block (\d+)/g)].map((m) => m[1])).toEqual(['3', '7']);
  });

  it.runIf(shared)('runs from an empty store to a federation of three members, every command exiting 0', async () => {
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
    const script = viaPrebuiltHub + scriptOf(shellBlocks(readFileSync(DOC, 'utf8')));
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
    const cli = (args: string[]) => spawnSync(process.execPath, [...HUB_BIN, ...args], { encoding: 'utf8', env, timeout: 30_000 });
    const token = cli(['token', '--as', 'ops-alice']);
    expect(token.status, token.stderr).toBe(0);
    const query = `{
      viewer { member { id } roles }
      members { id tier status }
      people { id member { id } roles }
      communities { name members { id } }
      frontier: members { id identityProviders { issuer } }
      apiKeys(memberId: "acme-bank") { name roles revokedAt }
    }`;
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token.stdout.trim()}` },
      body: JSON.stringify({ query }),
    });
    const { data, errors } = (await res.json()) as { data: Record<string, any>; errors?: unknown };
    expect(errors).toBeUndefined();
    expect(data.viewer.member.id).toBe('ops');
    expect(data.viewer.roles).toContain('hub-admin');
    expect(data.members).toEqual(
      expect.arrayContaining([
        { id: 'ops', tier: 'CORE', status: 'ACTIVE' },
        { id: 'frontier-lab', tier: 'TRUSTED', status: 'ACTIVE' },
        { id: 'acme-bank', tier: 'COMMUNITY', status: 'ACTIVE' },
      ]),
    );
    expect(data.members).toHaveLength(3);
    const roles = Object.fromEntries(data.people.map((p: { id: string; roles: string[] }) => [p.id, p.roles]));
    expect(roles['lab-carol']).toEqual(['reader', 'publisher', 'member-admin']);
    expect(roles['bank-dave']).toEqual(['reader', 'member-admin']);
    expect(data.communities).toEqual([{ name: 'Model risk circle', members: [{ id: 'ops' }, { id: 'frontier-lab' }, { id: 'acme-bank' }] }]);
    expect(data.frontier.find((m: { id: string }) => m.id === 'frontier-lab').identityProviders).toEqual([{ issuer: 'https://login.frontier-lab.example' }]);
    expect(data.apiKeys).toEqual([{ name: 'Sentinel TAXII', roles: ['reader'], revokedAt: null }]);
  }, 300_000);
});
